"""Exercise 09 gives partial credit exactly: a submission with some answers right and one subtly wrong gets the
points of the right ones, through the real nbgrader pipeline (hidden tests included)."""

import copy
from pathlib import Path

import nbformat
import pytest

from dlcourse.grading.assemble import nbgrader_meta
from dlcourse.grading.autograde import Limits
from dlcourse.grading.grade import grade_folder, totals

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "09_transformers"
pytestmark = pytest.mark.slow

RIGHT = {
    "causal_mask": "def causal_mask(T):\n    return np.arange(T)[None, :] <= np.arange(T)[:, None]\n",
    "split_heads": ("def split_heads(x, n_heads):\n    N, T, E = x.shape\n"
                    "    return np.stack(np.split(x, n_heads, axis=-1), axis=1)\n"),
    "positional_encoding": ("def positional_encoding(T, E):\n    pe = np.zeros((T, E))\n"
                            "    for t in range(T):\n        for i in range(E // 2):\n"
                            "            angle = t / 10000 ** (2 * i / E)\n"
                            "            pe[t, 2 * i], pe[t, 2 * i + 1] = np.sin(angle), np.cos(angle)\n"
                            "    return pe\n"),
    # forgets the 1/sqrt(d): right only where the scores are all equal; no points
    "attention_forward": ("def attention_forward(Q, K, V, mask=None):\n"
                          "    s = Q @ np.swapaxes(K, -1, -2)\n"
                          "    if mask is not None:\n        s = np.where(mask, s, -np.inf)\n"
                          "    e = np.exp(s - s.max(axis=-1, keepdims=True))\n"
                          "    A = e / e.sum(axis=-1, keepdims=True)\n    return A @ V, A\n"),
}


def test_partial_submission_gets_exactly_the_points_of_its_right_answers(tmp_path):
    release = nbformat.read(ROOT / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    partial = copy.deepcopy(release)
    for cell in partial.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in RIGHT:
            cell.source = RIGHT[grade_id]
    (tmp_path / "in").mkdir()
    nbformat.write(partial, tmp_path / "in" / "partial.ipynb")
    results = grade_folder(tmp_path / "in", assignment=ASSIGNMENT, root=ROOT, out=tmp_path / "out", workers=1,
                           limits=Limits(cell_timeout=60))
    by_item = {r.item: r.score for r in results if r.student == "partial"}
    score, total = totals(results)["partial"]
    assert total == 11
    # causal_mask, split_heads and positional_encoding (loops are fine): 1 + 1 + 2; nothing for attention_forward
    assert score == 1 + 1 + 2, by_item
