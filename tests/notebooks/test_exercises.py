"""Every exercise means something: its release fails its tests, its solution passes them all, through the learner's
check and through the real nbgrader autograde."""

from pathlib import Path

import pytest

from dlcourse.grading.autograde import Limits
from dlcourse.grading.check import check_notebook
from dlcourse.grading.course import assignments
from dlcourse.grading.grade import grade_folder, totals

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = assignments(ROOT)
pytestmark = pytest.mark.slow


def _paths(assignment):
    return (ROOT / "solutions" / assignment / f"{assignment}.ipynb",
            ROOT / "exercises" / assignment / f"{assignment}.ipynb")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_learner_check_fails_the_release_and_passes_the_solution(assignment):
    solution, release = _paths(assignment)
    released = check_notebook(release, cell_timeout=60)
    assert released and all(r.points == 0 and r.status != "passed" for r in released)
    solved = check_notebook(solution, cell_timeout=60)
    assert [r.status for r in solved] == ["passed"] * len(solved)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nbgrader_gives_the_solution_full_marks_and_the_release_none(assignment, tmp_path):
    solution, release = _paths(assignment)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "solved.ipynb").write_bytes(solution.read_bytes())
    (tmp_path / "in" / "blank.ipynb").write_bytes(release.read_bytes())
    results = grade_folder(tmp_path / "in", assignment=assignment, root=ROOT, out=tmp_path / "out", workers=2,
                           limits=Limits(cell_timeout=60))
    table = totals(results)
    assert table["solved"][0] == table["solved"][1] > 0, [r for r in results if r.student == "solved"]
    assert table["blank"][0] == 0
