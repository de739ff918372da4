"""Every exercise means something: its release fails its tests, its solution passes them all, and a half-right
submission gets partial credit, through the learner's check and through the whole grading pipeline (sandbox,
trusted tests, nbgrader gradebook)."""

from pathlib import Path

import nbformat
import pytest

from dlcourse.grading.check import check_notebook
from dlcourse.grading.course import assignments
from dlcourse.grading.exercise import nbgrader_meta
from dlcourse.grading.grade import grade_folder, totals
from dlcourse.grading.limits import Limits

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = assignments(ROOT)
pytestmark = pytest.mark.slow
LIMITS = Limits(call_seconds=60, memory_mb=2048)


def _paths(assignment):
    return (ROOT / "solutions" / assignment / f"{assignment}.ipynb",
            ROOT / "exercises" / assignment / f"{assignment}.ipynb")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_learner_check_fails_the_release_and_passes_the_solution(assignment):
    solution, release = _paths(assignment)
    released = check_notebook(release, limits=LIMITS)
    assert released and all(r.score == 0 and not r.passed for r in released)
    solved = check_notebook(solution, limits=LIMITS)
    assert [r.describe() for r in solved] == ["passed"] * len(solved)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nbgrader_gives_the_solution_full_marks_and_the_release_none(assignment, tmp_path):
    solution, release = _paths(assignment)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "solved.ipynb").write_bytes(solution.read_bytes())
    (tmp_path / "in" / "blank.ipynb").write_bytes(release.read_bytes())
    nbformat.write(_half(solution, release), tmp_path / "in" / "half.ipynb")
    results = grade_folder(tmp_path / "in", assignment=assignment, root=ROOT, out=tmp_path / "out", workers=2,
                           limits=LIMITS)
    table = totals(results)
    assert table["solved"][0] == table["solved"][1] > 0, [r for r in results if r.student == "solved"]
    assert table["blank"][0] == 0
    assert 0 < table["half"][0] < table["half"][1], [r for r in results if r.student == "half"]


def _half(solution, release):
    """The release with the solution's answer in every other answer cell."""
    answers = {nbgrader_meta(c)["grade_id"]: c.source for c in nbformat.read(solution, as_version=4).cells
               if nbgrader_meta(c).get("solution")}
    notebook = nbformat.read(release, as_version=4)
    cells = [c for c in notebook.cells if nbgrader_meta(c).get("solution")]
    for c in cells[::2]:
        c.source = answers[nbgrader_meta(c)["grade_id"]]
    return notebook
