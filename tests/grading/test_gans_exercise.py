"""Exercise 11 through the real nbgrader pipeline: a half-right submission gets exactly the points of its right
half, and answers typed in from the visible examples fail the hidden tests."""

from __future__ import annotations

import copy

import nbformat
import pytest

from dlcourse.grading.autograde import Limits
from dlcourse.grading.grade import grade_folder, totals
from tests.grading.submissions import ROOT, cell

pytestmark = pytest.mark.slow
ASSIGNMENT = "11_gans"


def _answer(nb, grade_id: str, source: str):
    nb = copy.deepcopy(nb)
    cell(nb, grade_id).source = source
    return nb


def _solution(grade_id: str) -> str:
    solved = nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    return "\n".join(line for line in cell(solved, grade_id).source.splitlines() if "### " not in line) + "\n"


def test_half_right_and_hardcoded_submissions(tmp_path):
    blank = nbformat.read(ROOT / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    half = _answer(_answer(blank, "discriminator_loss", _solution("discriminator_loss")),
                   "alternating_update", _solution("alternating_update"))  # 2 + 3 points
    hardcoded = _answer(_answer(half, "count_modes", "def count_modes(samples, centers, std, min_count):\n"
                                "    return (1, 0.8) if min_count == 2 else (2, 0.8)\n"),
                        "frechet_distance", "def frechet_distance(mu1, sigma1, mu2, sigma2):\n"
                        "    return 13.0 if len(mu1) == 1 else 0.0\n")
    folder = tmp_path / "in"
    folder.mkdir()
    nbformat.write(half, folder / "half.ipynb")
    nbformat.write(hardcoded, folder / "hardcoded.ipynb")
    results = grade_folder(folder, assignment=ASSIGNMENT, root=ROOT, out=tmp_path / "out", workers=2,
                           limits=Limits(cell_timeout=60))
    assert totals(results) == {"half": (5.0, 12.0), "hardcoded": (5.0, 12.0)}
    status = {(r.student, r.item): r.status for r in results}
    assert status["hardcoded", "count_modes_tests"].startswith("failed: modes covered, case 0")
    assert status["hardcoded", "frechet_distance_tests"].startswith("failed: FD in 2 dimensions")
