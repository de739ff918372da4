"""Rebuilding a submission from the release: only answers come from the student, tampering is caught."""

import pytest

from dlcourse.grading.assemble import assemble, tampering
from tests.grading.submissions import answer, cell, load


@pytest.mark.parametrize("source", [
    "def f(x):\n    return np.maximum(0, x)\n",
    "import numpy as np\nfrom numpy import exp\nimport math\n\ndef f(x):\n    y = x.copy()\n    y[0] = 1\n"
    "    return y\n",
    "events = [1, 2]\nmodules = 3\n",  # ordinary variable names are fine
    "class Box:\n    pass\nBox.size = 3\n",
    "def broken(:\n",  # a syntax error fails on its own when run; nothing to flag
])
def test_ordinary_code_is_not_flagged(source):
    assert tampering(source) is None


@pytest.mark.parametrize("source, reason", [
    ("np.allclose = lambda *a, **k: True", "changes the module np"),
    ("import numpy.testing as nt\nnt.assert_allclose = print", "changes the module nt"),
    ("import dlcourse.grading as g\ng.expect_close = print", "changes the module g"),
    ("from dlcourse import grading\ngrading.expect_close = print", "changes the module grading"),
    ("np.random.default_rng = None", "changes the module np"),
    ("get_ipython().events.register('pre_run_cell', f)", "uses"),
    ("setattr(np, 'allclose', f)", "uses setattr"),
    ("import sys\nsys.settrace(None)", "imports sys"),
    ("import builtins\nbuiltins.float = int", "imports builtins"),
    ("__builtins__.print = None", "uses __builtins__"),
    ("!cat ../solutions/*", "IPython magic or shell command"),
    ("%load ../../solutions/01.py", "IPython magic or shell command"),
    ("exec('np.allclose = 1')", "uses exec"),
])
def test_attacks_on_the_grader_are_flagged(source, reason):
    assert reason in tampering(source)


def test_only_answers_come_from_the_student():
    release = load("release")
    submitted = answer(release, "neuron", "def neuron(X, w, b):\n    return X\n")
    cell(submitted, "neuron_tests").source = "pass"
    submitted.cells.remove(cell(submitted, "mlp_forward_tests"))
    submitted.cells.append(submitted.cells[0].copy())
    assembled, problems = assemble(release, submitted)
    assert cell(assembled, "neuron").source == "def neuron(X, w, b):\n    return X\n"
    assert cell(assembled, "neuron_tests").source == cell(release, "neuron_tests").source
    assert cell(assembled, "mlp_forward_tests").source == cell(release, "mlp_forward_tests").source
    assert len(assembled.cells) == len(release.cells)
    assert problems == {}


def test_missing_and_tampered_answers_keep_the_stub():
    release = load("release")
    submitted = answer(release, "neuron", "np.exp = lambda x: x\ndef neuron(X, w, b):\n    return X\n")
    submitted.cells.remove(cell(submitted, "mlp_forward"))
    assembled, problems = assemble(release, submitted)
    assert cell(assembled, "neuron").source == cell(release, "neuron").source
    assert problems["neuron"].startswith("tampered: changes the module np")
    assert problems["mlp_forward"] == "missing"


def test_students_own_cells_are_kept_in_place():
    release = load("release")
    submitted = answer(release, "neuron", "def neuron(X, w, b):\n    return helper(X @ w + b)\n")
    position = submitted.cells.index(cell(submitted, "neuron"))
    helper = submitted.cells[position].copy()
    helper.metadata = {}
    helper.source = "def helper(z):\n    return 1 / (1 + np.exp(-z))\n"
    submitted.cells.insert(position + 1, helper)
    assembled, _ = assemble(release, submitted)
    index = assembled.cells.index(cell(assembled, "neuron"))
    assert assembled.cells[index + 1].source == helper.source
