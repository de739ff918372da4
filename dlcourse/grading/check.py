"""``dlcourse check NOTEBOOK``: a learner's self-check against the visible tests, never the hidden ones.

The learner's answers are put into the released notebook (so edited tests count as the originals), run headless in
the sandboxed kernel with a time limit per cell, and each graded item is reported passed or failed with its message.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from dlcourse.grading.assemble import assemble, is_graded, is_solution, nbgrader_meta
from dlcourse.grading.autograde import item_statuses
from dlcourse.grading.course import course_root
from dlcourse.grading.sandbox import run_sandboxed, write_kernelspec


@dataclass
class CheckResult:
    item: str
    points: float
    max_points: float
    status: str


def _graded_ids(notebook) -> set[str]:
    return {nbgrader_meta(c).get("grade_id") for c in notebook.cells if is_graded(c) or is_solution(c)} - {None}


def find_release(notebook: nbformat.NotebookNode, root: Path | None) -> nbformat.NotebookNode:
    """The released exercise sharing the most answer and test cells with this notebook; the notebook itself when
    none does (a learner outside the course folder still gets a check, against the tests in their copy)."""
    ids = _graded_ids(notebook)
    best, overlap = notebook, 0
    for path in sorted((root / "exercises").glob("*/*.ipynb")) if root else []:
        release = nbformat.read(path, as_version=4)
        shared = len(ids & _graded_ids(release))
        if shared > overlap:
            best, overlap = release, shared
    return best


def check_notebook(path: str | Path, *, cell_timeout: int = 30, memory_mb: int = 2048) -> list[CheckResult]:
    """Run a learner's notebook against the visible tests and return one result per graded item."""
    path = Path(path).resolve()
    submitted = nbformat.read(path, as_version=4)
    try:
        root = course_root(path.parent)
    except FileNotFoundError:
        root = None
    notebook, problems = assemble(find_release(submitted, root), submitted)
    finished = _execute(notebook, path.parent, root, cell_timeout, memory_mb)
    crashed_at = next((i for i in range(len(notebook.cells)) if i not in finished), None)
    statuses = item_statuses(notebook)
    results = []
    answer = None
    for index, cell in enumerate(notebook.cells):
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            answer = meta.get("grade_id")
        if not is_graded(cell):
            continue
        status = problems.get(answer) or _crash_status(index, crashed_at) or statuses.get(meta["grade_id"], "passed")
        top = float(meta.get("points", 0))
        results.append(CheckResult(meta["grade_id"], top if status == "passed" else 0.0, top, status))
    return results


def _crash_status(index: int, crashed_at: int | None) -> str | None:
    if crashed_at is None or index < crashed_at:
        return None
    if index == crashed_at:
        return "crash: the kernel died while running this cell"
    return "not run: the kernel died in an earlier cell"


def _execute(notebook, cwd: Path, root: Path | None, cell_timeout: int, memory_mb: int) -> set[int]:
    """Run the notebook in place; return the indices of the cells that finished (all, unless the kernel died)."""
    finished: set[int] = set()
    hidden = [(root / "solutions", None), (root / "gradebook.db", None)] if root else []
    with tempfile.TemporaryDirectory(prefix="dlcourse-check-") as tmp:
        write_kernelspec(Path(tmp), memory_mb=memory_mb, hidden=hidden)
        run_sandboxed(notebook, kernels=Path(tmp), connection_file=Path(tmp) / "kernel.json", cwd=cwd,
                      timeout=cell_timeout, on_cell_executed=lambda cell_index, **_: finished.add(cell_index))
    finished |= {i for i, c in enumerate(notebook.cells) if c.cell_type != "code"}
    return finished


def report(results: list[CheckResult], name: str) -> str:
    """The table a learner reads."""
    lines = [f"Checking {name} against its visible tests:"]
    for r in results:
        mark = "PASS" if r.status == "passed" else "FAIL"
        detail = "" if mark == "PASS" else f"  {r.status}"
        lines.append(f"  [{mark}] {r.item} ({r.points:g}/{r.max_points:g}){detail}")
    got, top = sum(r.points for r in results), sum(r.max_points for r in results)
    lines.append(f"Visible tests: {got:g}/{top:g} points. The grader also runs hidden tests on other inputs, "
                 "so a pass here is necessary, not sufficient.")
    return "\n".join(lines)
