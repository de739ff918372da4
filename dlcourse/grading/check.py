"""``dlcourse check NOTEBOOK`` and ``check_this_notebook()``: a learner's self-check, same machinery as grading.

The learner's answer and extra cells run in the same sandbox the grader uses; the released exercise's test cells
(visible parts only: the release has no hidden tests) run in this process with proxies to the learner's
functions. Each item is reported PASS or FAIL (timeout, crash, memory ...) with a one-line message, never a
traceback, and the score is out of the visible points.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat

from dlcourse.grading.course import course_root
from dlcourse.grading.exercise import Exercise, is_answer, is_test, nbgrader_meta
from dlcourse.grading.limits import Limits
from dlcourse.grading.runner import run_tests
from dlcourse.grading.sandbox import Image, namespaces_available
from dlcourse.grading.session import Session
from dlcourse.grading.status import ItemResult, Status
from dlcourse.grading.submission import student_cells


def _graded_ids(notebook) -> set[str]:
    return {nbgrader_meta(c).get("grade_id") for c in notebook.cells if is_test(c) or is_answer(c)} - {None}


def find_release(notebook: nbformat.NotebookNode, root: Path | None) -> tuple[nbformat.NotebookNode, Path | None]:
    """The released exercise sharing the most answer and test cells with ``notebook`` (and its path); the notebook
    itself when none does (a learner outside the course folder is checked against the tests in their copy)."""
    ids = _graded_ids(notebook)
    best, best_path, overlap = notebook, None, 0
    for path in sorted((root / "exercises").glob("*/*.ipynb")) if root else []:
        release = nbformat.read(path, as_version=4)
        shared = len(ids & _graded_ids(release))
        if shared > overlap:
            best, best_path, overlap = release, path, shared
    return best, best_path


def check_notebook(path: str | Path, *, limits: Limits | None = None) -> list[ItemResult]:
    """Check a learner's notebook against the visible tests; one result per graded item."""
    path = Path(path).resolve()
    limits = limits or Limits(call_seconds=30, memory_mb=2048)
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:
        return [ItemResult("you", "notebook", 0.0, 0.0, Status.MISSING, f"cannot read {path.name}: {error}")]
    try:
        root = course_root(path.parent)
    except FileNotFoundError:
        root = None
    release, release_path = find_release(notebook, root)
    exercise = Exercise.from_notebook(release, path.stem)
    with tempfile.TemporaryDirectory(prefix="dlcourse-check-") as tmp:
        image = Image(Path(tmp) / "image", forbid=exercise.forbid, isolate=namespaces_available())
        session = Session(image, Path(tmp) / "you", limits, exercise.setup, student_cells(notebook),
                          files=(release_path,) if release_path else ())
        try:
            return run_tests(exercise, session, "you", hidden=False)
        finally:
            session.close()


def report(results: list[ItemResult], name: str) -> str:
    """The table a learner reads: one line per item, then the score out of the visible points."""
    lines = [f"Checking {name} against its visible tests:"]
    for r in results:
        mark = "PASS" if r.passed else "FAIL"
        detail = "" if r.passed else f"  {r.describe()}"
        lines.append(f"  [{mark}] {r.item} ({r.score:g}/{r.max_score:g}){detail}")
    got, top = sum(r.score for r in results), sum(r.max_score for r in results)
    lines.append(f"Visible tests: {got:g}/{top:g} points. The grader also runs hidden tests on other inputs, "
                 "so a pass here is necessary, not sufficient.")
    if not namespaces_available():
        lines.append("(This system has no sandbox: your code ran as an ordinary process; the grader's will not.)")
    return "\n".join(lines)


def notebook_path(namespace: dict | None = None) -> Path | None:
    """The notebook a kernel belongs to: JupyterLab sets JPY_SESSION_NAME (and ``__session__`` in the kernel), an
    absolute path or one relative to the server's root, which is the kernel's folder or one above it."""
    here = Path.cwd()
    for candidate in (os.environ.get("JPY_SESSION_NAME"), (namespace or {}).get("__session__")):
        if not candidate or not str(candidate).endswith(".ipynb"):
            continue
        for base in (here, *here.parents):
            if (base / candidate).is_file():
                return (base / candidate).resolve()
        if (here / Path(candidate).name).is_file():
            return (here / Path(candidate).name).resolve()
    return None


def check_this_notebook(path: str | Path | None = None, *, limits: Limits | None = None) -> list[ItemResult] | None:
    """Check the saved notebook this runs in and print the same report as ``dlcourse check``."""
    if path is None:
        try:
            from IPython import get_ipython

            shell = get_ipython()
        except ImportError:
            shell = None
        path = notebook_path(shell.user_ns if shell is not None else None)
    if path is None:
        print("Cannot tell which notebook this is. Save it, then run check_this_notebook(\"NAME.ipynb\") with its "
              "file name, or `dlcourse check NAME.ipynb` in a terminal.")
        return None
    results = check_notebook(path, limits=limits)
    print(report(results, Path(path).name))
    return results
