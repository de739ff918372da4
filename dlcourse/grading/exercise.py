"""An exercise as the grader needs it, read from its nbgrader notebook (the source in solutions/ or the release).

Cells are recognised by their nbgrader metadata (see solutions/README.md): the locked ``setup`` cell (imports;
``dlcourse={"forbid": [...]}`` in its metadata names the modules the student's sandbox may not import), answer
cells (``solution: true``, grade_id = the function's name) and test cells (``grade: true``, after their answer).
A test's hidden part lies between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``; in a release it is gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat

from dlcourse.grading.sandbox import DEFAULT_FORBID

BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SELF_CHECK_ID = "self_check"


def nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_answer(cell) -> bool:
    return cell.get("cell_type") == "code" and bool(nbgrader_meta(cell).get("solution"))


def is_test(cell) -> bool:
    return cell.get("cell_type") == "code" and bool(nbgrader_meta(cell).get("grade"))


def split_hidden(source: str) -> tuple[str, str]:
    """``(visible, full)`` code of a test cell: without the hidden block, and with it but without its markers."""
    visible, full, hidden = [], [], False
    for line in source.splitlines():
        marker = line.strip()
        if marker == BEGIN_HIDDEN:
            hidden = True
        elif marker == END_HIDDEN:
            hidden = False
        else:
            full.append(line)
            if not hidden:
                visible.append(line)
    return "\n".join(visible) + "\n", "\n".join(full) + "\n"


@dataclass(frozen=True)
class Test:
    """One graded item: a test cell, the answer it tests and its code (``full`` has the hidden part)."""

    grade_id: str
    points: float
    answer: str | None
    visible: str
    full: str


@dataclass(frozen=True)
class Exercise:
    """What grading needs of an exercise. ``answers`` maps each answer function to its released stub."""

    name: str
    setup: str
    forbid: tuple[str, ...]
    answers: dict[str, str]
    tests: tuple[Test, ...]

    @property
    def max_points(self) -> float:
        return sum(t.points for t in self.tests)

    @classmethod
    def from_notebook(cls, notebook: nbformat.NotebookNode, name: str) -> Exercise:
        setup, forbid, answers, tests, answer = "", DEFAULT_FORBID, {}, [], None
        for cell in notebook.cells:
            meta = nbgrader_meta(cell)
            if cell.cell_type == "code" and meta.get("grade_id") == "setup":
                setup = cell.source
                declared = cell.metadata.get("dlcourse", {}).get("forbid")
                forbid = tuple(declared) if declared is not None else DEFAULT_FORBID
            elif is_answer(cell):
                answer = meta["grade_id"]
                answers[answer] = cell.source
            elif is_test(cell):
                visible, full = split_hidden(cell.source)
                tests.append(Test(meta["grade_id"], float(meta.get("points", 0)), answer, visible, full))
        return cls(name, setup, forbid, answers, tuple(tests))

    @classmethod
    def read(cls, path: str | Path) -> Exercise:
        path = Path(path)
        return cls.from_notebook(nbformat.read(path, as_version=4), path.stem)
