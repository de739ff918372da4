"""The pure helpers of the grading package: the wire format, the exercise model, the student folder layout."""

from __future__ import annotations

import json
import pickle
import struct

import numpy as np
import pytest

from dlcourse.grading import wire
from dlcourse.grading.exercise import Exercise, split_hidden
from dlcourse.grading.gradebook import assemble
from dlcourse.grading.status import ItemResult, Status
from dlcourse.grading.submission import Submission, answered, safe_id, student_cells
from tests.grading.submissions import POINTS, TOTAL, add_cell, cell, load, solution_answer, submission, write


def roundtrip(value):
    frame = wire.encode({"value": value})
    (length,) = struct.unpack("<Q", frame[:8])
    assert length == len(frame) - 8
    return wire.decode(frame[8:])["value"]


@pytest.mark.parametrize("value", [None, True, 3, -2**70, 1.5, float("inf"), "李明", (1, [2.0, None]),
                                   {"a": 1, 2: "b", None: (True,)}, [], ()])
def test_plain_values_roundtrip(value):
    assert roundtrip(value) == value and type(roundtrip(value)) is type(value)


def test_arrays_come_back_exact_with_dtype_and_shape():
    for array in [np.arange(6.0).reshape(2, 3), np.array([True, False]), np.zeros((0, 3), np.int8),
                  np.asfortranarray(np.ones((3, 2), np.float32)), np.arange(4)[::2], np.array(2.5), 1j * np.ones(2)]:
        back = roundtrip(array)
        assert type(back) is np.ndarray and back.dtype == array.dtype and back.shape == array.shape
        assert np.array_equal(back, array) and back.flags.writeable
    assert type(roundtrip(np.float32(1.5))) is np.float32 and roundtrip(np.int64(7)) == 7


@pytest.mark.parametrize("value, says", [(np.zeros(2).view(type("Sub", (np.ndarray,), {})), "ndarray subclass"),
                                         (np.array(["a"]), "dtype <U1"), (np.array([object()]), "dtype object"),
                                         (object(), "object"), (lambda: 1, "function"), ({1, 2}, "set"),
                                         (np.datetime64(1, "D"), "datetime64"), (np.ma.ones(2), "MaskedArray")])
def test_anything_else_is_not_plain_data(value, says):
    with pytest.raises(wire.NotPlainData, match=says):
        wire.encode({"value": value})


def _frame(tree, blobs=b"", sizes=()):
    header = json.dumps({"tree": tree, "blobs": list(sizes)}).encode()
    return struct.pack("<Q", len(header)) + header + blobs


@pytest.mark.parametrize("body", [
    b"", pickle.dumps({"value": 1}), _frame({"v": {"p": "os.system"}}), _frame({"v": {"a": [0, "O", [1]]}}, b"x" * 8,
                                                                            [8]),
    _frame({"v": {"a": [0, "<f8", [2]]}}, b"x" * 8, [8]), _frame({"v": {"a": [0, "<f8", [1]]}}, b"x" * 9, [8]),
    _frame({"v": {"a": [1, "<f8", [1]]}}, b"x" * 8, [8]), _frame({"v": {"t": [1], "l": [2]}}),
    _frame({"v": {"s": [0, "<U1"]}}, b"x" * 4, [4]), _frame({"v": {"d": [[[1], 2]]}}),
])
def test_malformed_frames_are_refused(body):
    with pytest.raises(wire.BadFrame):
        wire.decode(body)


def test_split_hidden_keeps_visible_part_and_drops_markers():
    source = "a = 1\n### BEGIN HIDDEN TESTS\nb = 2\n### END HIDDEN TESTS\nc = 3"
    assert split_hidden(source) == ("a = 1\nc = 3\n", "a = 1\nb = 2\nc = 3\n")


def test_exercise_reads_answers_tests_and_forbid():
    source, release = Exercise.from_notebook(load("solution"), "01"), Exercise.from_notebook(load("release"), "01")
    assert list(source.answers) == ["neuron", "perceptron_step", "mlp_forward", "perceptron_epoch", "gradient_descent"]
    assert [(t.grade_id, t.answer, t.points) for t in source.tests] == [
        (f"{name}_tests", name, points) for name, points in POINTS.items()]
    assert source.forbid == release.forbid == ("torch", "dlcourse.nn")
    assert "default_rng(101)" in source.tests[0].full and "default_rng(101)" not in source.tests[0].visible
    assert all(t.full == t.visible for t in release.tests)  # the release has no hidden part
    assert source.max_points == TOTAL


def test_student_cells_are_answers_and_own_cells_never_tests_or_locked_cells():
    nb = add_cell(submission(right=("neuron",)), "neuron", "def helper():\n    return 1\n")
    cell(nb, "neuron_tests").source = "raise SystemExit"
    cells = student_cells(nb)
    assert [name for name, _ in cells] == ["neuron", None, "perceptron_step", "mlp_forward", "perceptron_epoch",
                                           "gradient_descent"]
    assert cells[0][1] == solution_answer("neuron") and "helper" in cells[1][1]


def test_answered_counts_changed_answers_only():
    release = Exercise.from_notebook(load("release"), "01")
    assert answered(load("release"), release) == 0
    assert answered(submission(right=("neuron", "mlp_forward")), release) == 2


def test_safe_ids_are_ascii_and_distinct():
    assert safe_id("alice") == "alice"
    ids = {safe_id(name) for name in ["Jane Doe", "Jane_Doe", "李明", "王芳", "Copy of 01_neurons", "a/b"]}
    assert len(ids) == 6 and all(i.isascii() and "/" not in i and " " not in i for i in ids)


def test_a_folder_is_graded_on_the_notebook_with_answers(tmp_path):
    release = Exercise.from_notebook(load("release"), "01")
    write(load("release"), tmp_path / "ada" / "01_neurons.ipynb")
    write(submission(right=("neuron",)), tmp_path / "ada" / "work" / "mine.ipynb")
    (tmp_path / "ada" / "broken.ipynb").write_text("{not json")
    chosen = Submission.load(tmp_path / "ada", release)
    assert chosen.chosen.name == "mine.ipynb" and "work/mine.ipynb" in chosen.note and "of 3" in chosen.note
    empty = tmp_path / "bob"
    empty.mkdir()
    assert Submission.load(empty, release).notebook is None


def test_assemble_puts_answers_and_own_cells_into_the_release():
    release = load("release")
    nb = assemble(release, [(None, "import math"), ("neuron", "def neuron(X, w, b):\n    return X\n"),
                            (None, "def helper():\n    pass")])
    sources = [c.source for c in nb.cells]
    assert sources.index("import math") == sources.index(cell(release, "setup").source) + 1
    assert sources[sources.index("def neuron(X, w, b):\n    return X\n") + 1] == "def helper():\n    pass"
    assert cell(nb, "neuron_tests").source == cell(release, "neuron_tests").source
    assert len(nb.cells) == len(release.cells) + 2


def test_item_results_describe_themselves_on_one_line():
    result = ItemResult("ada", "neuron_tests", 0.0, 2.0, Status.TIMEOUT, "neuron: ran past\nits 10 s limit")
    assert result.describe() == "timeout: neuron: ran past its 10 s limit" and not result.passed

