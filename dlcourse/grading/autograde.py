"""Autograde one student's notebook with the real nbgrader, inside a folder and a kernel of its own.

Each student gets ``BATCH/<student>/``: ``course/`` (an nbgrader course holding only this submission),
``private/gradebook.db`` (a copy of the released assignment's gradebook) and ``jupyter/`` (the sandboxed kernel's
spec). The kernel sees only ``course/``; see sandbox.py. Scores are read from the gradebook, statuses from the
autograded notebook's outputs.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from dlcourse.grading.assemble import assemble, is_graded, is_solution, nbgrader_meta
from dlcourse.grading.course import Release, course_config, nbgrader_env, run_nbgrader
from dlcourse.grading.sandbox import run_sandboxed, write_kernelspec

CRASH_STUB = "raise RuntimeError('dlcourse: this answer crashed the kernel while grading, so it scores zero')"


@dataclass(frozen=True)
class Limits:
    """What one submission may use: seconds per cell, memory for its kernel, seconds for the whole notebook."""

    cell_timeout: int = 30
    memory_mb: int = 2048
    notebook_timeout: int = 600


@dataclass
class ItemResult:
    student: str
    item: str
    score: float
    max_score: float
    status: str


def grade_student(student: str, submitted: nbformat.NotebookNode | None, release: Release, batch: Path, *,
                  limits: Limits, hidden: list[Path]) -> list[ItemResult]:
    """Grade one submission (None when it could not be read) and return one result per graded cell."""
    if submitted is None:
        return [ItemResult(student, item, 0.0, top, "missing: no readable notebook")
                for item, top in release.max_scores.items()]
    notebook, problems = assemble(release.notebook, submitted)
    home = batch / student
    for attempt in range(3):  # each retry removes one answer that killed the kernel
        course = _prepare(home, student, notebook, release, limits, hidden)
        outcome = _run_autograde(course, student, release, limits)
        scores = _read_scores(home / "private" / "gradebook.db", release, student)
        graded = course / "autograded" / student / release.assignment / f"{release.assignment}.ipynb"
        if scores is not None and graded.exists():
            return _results(student, release, scores, nbformat.read(graded, as_version=4), problems)
        culprit = _find_crashing_answer(notebook, course) if attempt < 2 else None
        if culprit is None:
            break
        notebook.cells[culprit].source = CRASH_STUB
        problems[nbgrader_meta(notebook.cells[culprit]).get("grade_id", f"cell {culprit}")] = "crash: killed the kernel"
    reason = "timeout: the notebook ran past its time limit" if outcome == "timeout" else "crash: grading failed"
    return [ItemResult(student, item, 0.0, top, reason) for item, top in release.max_scores.items()]


def _prepare(home: Path, student: str, notebook, release: Release, limits: Limits, hidden: list[Path]) -> Path:
    if home.exists():
        shutil.rmtree(home)
    course, private = home / "course", home / "private"
    for folder in (course / "solutions" / release.assignment, course / "runtime", private):
        folder.mkdir(parents=True)
    shutil.copy(release.gradebook, private / "gradebook.db")
    submitted = course / "submitted" / student / release.assignment
    submitted.mkdir(parents=True)
    nbformat.write(notebook, submitted / f"{release.assignment}.ipynb")
    (course / "nbgrader_config.py").write_text(course_config(release.root, **{
        "CourseDirectory.root": repr(str(course)),
        "CourseDirectory.db_url": repr(f"sqlite:///{private / 'gradebook.db'}"),
        "Execute.timeout": str(limits.cell_timeout),
        "KernelManager.transport": repr("ipc"),  # Unix sockets: the kernel has no network
        "KernelManager.ip": repr(str(course / "runtime" / "kernel")),
    }))
    write_kernelspec(home / "jupyter", memory_mb=limits.memory_mb,
                     hidden=[(home.parent, course)] + [(p, None) for p in hidden])
    return course


def _sandbox_env(course: Path) -> dict:
    home = course.parent
    return nbgrader_env({"JUPYTER_PATH": str(home / "jupyter"), "JUPYTER_RUNTIME_DIR": str(course / "runtime"),
                         "JUPYTER_CONFIG_DIR": str(home / "jupyter" / "config"), "PYTHONDONTWRITEBYTECODE": "1"})


def _run_autograde(course: Path, student: str, release: Release, limits: Limits) -> str:
    try:
        run_nbgrader(["autograde", release.assignment, "--student", student, "--force"], cwd=course,
                     env=_sandbox_env(course), timeout=limits.notebook_timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    return "done"


def _read_scores(gradebook: Path, release: Release, student: str) -> dict[str, float] | None:
    """Auto scores by grade_id from the gradebook, or None when nbgrader recorded none (it failed)."""
    with Gradebook(f"sqlite:///{gradebook}") as gb:
        try:
            submission = gb.find_submission_notebook(release.assignment, release.assignment, student)
        except Exception:  # MissingEntry, or a gradebook nbgrader left half-written
            return None
        scores = {grade.name: grade.auto_score for grade in submission.grades}
    if any(score is None for score in scores.values()):
        return None
    return {name: float(score) for name, score in scores.items()}


def _results(student, release, scores, graded, problems) -> list[ItemResult]:
    statuses = item_statuses(graded)
    answer_of = _answer_for_each_test(release.notebook)
    results = []
    for item, top in release.max_scores.items():
        score = scores.get(item, 0.0)
        problem = problems.get(answer_of.get(item))
        status = problem or ("passed" if score >= top else statuses.get(item, "failed"))
        results.append(ItemResult(student, item, score, top, status))
    return results


def _answer_for_each_test(notebook) -> dict[str, str]:
    """Map each test cell's grade_id to the grade_id of the answer cell it follows."""
    answer, mapping = None, {}
    for cell in notebook.cells:
        if is_solution(cell):
            answer = nbgrader_meta(cell).get("grade_id")
        elif is_graded(cell):
            mapping[nbgrader_meta(cell)["grade_id"]] = answer
    return mapping


def item_statuses(graded) -> dict[str, str]:
    """Why each graded cell lost points, read from its error output (or from its answer cell's, which explains
    better why the test could not even call the answer)."""
    statuses, answer_error = {}, None
    for cell in graded.cells:
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if is_solution(cell):
            answer_error = errors[-1] if errors else None
        elif is_graded(cell) and errors:
            if answer_error is not None:
                reason = describe_error(answer_error.ename, answer_error.evalue)
                statuses[nbgrader_meta(cell)["grade_id"]] = f"answer cell raised {reason}"
            else:
                statuses[nbgrader_meta(cell)["grade_id"]] = describe_error(errors[-1].ename, errors[-1].evalue)
    return statuses


def describe_error(ename: str, evalue: str) -> str:
    """A short status for an error a cell raised."""
    first_line = (evalue or "").strip().splitlines()[0][:160] if (evalue or "").strip() else ""
    if ename == "CellTimeoutError":
        return "timeout: a cell ran past its time limit"
    if ename == "MemoryError":
        return "memory: ran out of its memory limit"
    if ename == "NotImplementedError":
        return "not attempted"
    if ename in ("ExerciseError", "AssertionError"):
        return f"failed: {first_line}"
    return f"error: {ename}: {first_line}"


def _find_crashing_answer(notebook, course: Path) -> int | None:
    """Run the notebook in the same sandbox and return the index of the student cell to blame for a dead kernel."""
    last = {"index": None}

    def remember(cell, cell_index, **_):
        last["index"] = cell_index

    survived = run_sandboxed(nbformat.from_dict(notebook), kernels=course.parent / "jupyter",
                             connection_file=course / "runtime" / "crash-check.json", cwd=course / "runtime",
                             timeout=30, on_cell_execute=remember)
    return None if survived else _blame(notebook, last["index"])


def _blame(notebook, index: int | None) -> int | None:
    """A crashing answer cell is its own culprit; a crashing test blames the answer it tests."""
    if index is None:
        return None
    for i in range(index, -1, -1):
        cell = notebook.cells[i]
        if is_solution(cell) or (cell.cell_type == "code" and not nbgrader_meta(cell)):
            return i
        if i < index and is_graded(cell):
            return None
    return None
