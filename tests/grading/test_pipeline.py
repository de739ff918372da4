"""The instructor's pipeline on a small class: exact scores, plain statuses, nbgrader's gradebook and feedback
holding the same scores, CSV and summary, and a clear refusal where there is no sandbox."""

from __future__ import annotations

import csv

import pytest
from nbgrader.api import Gradebook

from dlcourse.grading import grade as grade_module
from dlcourse.grading.grade import SandboxUnavailable, grade_folder, totals
from dlcourse.grading.limits import Limits
from dlcourse.grading.status import Status
from dlcourse.grading.submission import safe_id
from tests.grading.submissions import ASSIGNMENT, POINTS, ROOT, TOTAL, load, submission, write

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    cases = {"full": (load("solution"), TOTAL), "blank": (load("release"), 0),
             "half": (submission(right=("neuron", "mlp_forward")), 4),
             "hardcoded": (submission(neuron="def neuron(X, w, b):\n"
                                      "    return np.array([0.5, 0.5]) if len(X) == 2 else np.array([0.75])\n"), 0)}
    for name, (nb, _) in cases.items():
        write(nb, folder / f"{name}.ipynb")
    (folder / "corrupt.ipynb").write_text("this is not a notebook")
    (folder / "empty_folder").mkdir()
    expected = {name: score for name, (_, score) in cases.items()} | {"corrupt": 0, "empty_folder": 0}
    out = tmp_path_factory.mktemp("grades")
    results = grade_folder(folder, assignment=ASSIGNMENT, root=ROOT, out=out, workers=2,
                           limits=Limits(call_seconds=10, memory_mb=1024))
    return results, expected, out


def status(results, student, item):
    return next(r for r in results if r.student == student and r.item == item)


def test_every_case_gets_its_exact_score(graded):
    results, expected, _ = graded
    assert {s: score for s, (score, _) in totals(results).items()} == expected
    assert all(top == TOTAL for _, top in totals(results).values())


def test_statuses_say_what_happened(graded):
    results, _, _ = graded
    assert status(results, "full", "neuron_tests").status is Status.PASSED
    assert status(results, "blank", "neuron_tests").status is Status.NOT_ATTEMPTED
    hardcoded = status(results, "hardcoded", "neuron_tests")
    assert hardcoded.status is Status.FAILED and hardcoded.message.startswith("neuron on a random")
    assert status(results, "corrupt", "neuron_tests").status is Status.MISSING
    assert status(results, "empty_folder", "neuron_tests").describe() == "missing: no notebook in the folder"


def test_nbgrader_gradebook_holds_the_same_scores(graded):
    results, expected, out = graded
    with Gradebook(f"sqlite:///{out / 'nbgrader' / 'gradebook.db'}") as gb:
        for student, score in expected.items():
            assert gb.find_submission(ASSIGNMENT, safe_id(student)).score == score
    autograded = out / "nbgrader" / "autograded" / "half" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert autograded.exists()


def test_csv_and_summary_are_written(graded):
    results, expected, out = graded
    with (out / "grades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["student", "item", "score", "max", "status", "notebook"]
    assert len(rows) == len(POINTS) * len(expected) and {row["student"] for row in rows} == set(expected)
    summary = (out / "summary.txt").read_text()
    assert f"{ASSIGNMENT}: {len(expected)} students graded, out of {TOTAL} points" in summary
    assert "look at: corrupt, empty_folder" in summary


def test_grading_refuses_without_a_sandbox_unless_told(tmp_path, monkeypatch):
    monkeypatch.setattr(grade_module, "namespaces_available", lambda: False)
    write(load("solution"), tmp_path / "in" / "full.ipynb")
    with pytest.raises(SandboxUnavailable, match="--unsafe-no-sandbox"):
        grade_folder(tmp_path / "in", assignment=ASSIGNMENT, root=ROOT, out=tmp_path / "out")
    results = grade_folder(tmp_path / "in", assignment=ASSIGNMENT, root=ROOT, out=tmp_path / "out",
                           unsafe_no_sandbox=True)
    assert totals(results) == {"full": (TOTAL, TOTAL)}
