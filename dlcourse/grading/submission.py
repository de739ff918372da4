"""A student's submission: which notebook to grade, and which of its cells are the student's code.

Any file name is a student (``Jane Doe.ipynb``, ``李明.ipynb``, ``Copy of 01_neurons.ipynb``); a folder is a
student too, graded on the notebook in it that holds the most answers (a worked copy beside the untouched release
is graded on the worked copy), and the result says which notebook that was.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dlcourse.grading.exercise import Exercise, is_answer, is_test, nbgrader_meta


def read_notebook(path: Path) -> nbformat.NotebookNode | None:
    """The notebook at ``path`` as nbformat 4, or None when it is not a readable notebook."""
    try:
        return nbformat.read(path, as_version=4)
    except Exception:  # corrupt JSON, not a notebook, unreadable: the student is graded as missing
        return None


def student_cells(notebook: nbformat.NotebookNode) -> list[tuple[str | None, str]]:
    """``(answer name or None, source)`` for every code cell the student's kernel runs, in notebook order.

    Answer cells and the student's own extra cells run; test cells and locked cells (setup, the self-check) never
    come from the student: they run in the grader's process or not at all.
    """
    cells = []
    for cell in notebook.cells:
        if cell.get("cell_type") != "code" or not cell.get("source", "").strip():
            continue
        meta = nbgrader_meta(cell)
        if is_answer(cell):
            cells.append((str(meta.get("grade_id")), cell.source))
        elif not is_test(cell) and not meta.get("locked"):
            cells.append((None, cell.source))
    return cells


def answered(notebook: nbformat.NotebookNode, exercise: Exercise) -> int:
    """How many of the exercise's answer cells the student changed from the released stub."""
    changed = {str(nbgrader_meta(c).get("grade_id")) for c in notebook.cells
               if is_answer(c) and exercise.answers.get(nbgrader_meta(c).get("grade_id")) not in (None, c.source)}
    return len(changed & set(exercise.answers))


def safe_id(name: str) -> str:
    """A folder-safe ASCII id for nbgrader, unique per name (a short hash keeps 李明 and 王芳 apart)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", ascii_name).strip("_")[:40]
    if slug == name:
        return slug
    return f"{slug or 'student'}_{hashlib.sha1(name.encode()).hexdigest()[:6]}"


@dataclass
class Submission:
    """One student: their name (the file or folder name), the notebook graded, and why it was chosen."""

    student: str
    path: Path
    notebook: nbformat.NotebookNode | None = None
    chosen: Path | None = None
    note: str = ""
    candidates: list[Path] = field(default_factory=list)

    @property
    def nbgrader_id(self) -> str:
        return safe_id(self.student)

    def cells(self) -> list[tuple[str | None, str]]:
        return student_cells(self.notebook) if self.notebook is not None else []

    @classmethod
    def load(cls, path: Path, exercise: Exercise) -> Submission:
        """Read a student's file or folder and pick the notebook to grade."""
        student = path.stem if path.is_file() else path.name
        candidates = [path] if path.is_file() else sorted(
            p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and p.is_file())
        readable = [(p, nb) for p in candidates if (nb := read_notebook(p)) is not None]
        if not readable:
            note = "no readable notebook" if candidates else "no notebook in the folder"
            return cls(student, path, None, None, note, candidates)
        best, notebook = max(readable, key=lambda item: answered(item[1], exercise))
        note = ""
        if len(candidates) > 1:
            note = (f"graded {best.relative_to(path)} ({answered(notebook, exercise)} answers), "
                    f"the notebook with the most answers of {len(candidates)}")
        return cls(student, path, notebook, best, note, candidates)


def find_students(folder: Path) -> list[Path]:
    """Every entry of a submissions folder that is a student: any ``*.ipynb`` file, any folder not hidden."""
    return sorted(e for e in folder.iterdir() if not e.name.startswith(".")
                  and ((e.is_file() and e.suffix == ".ipynb") or e.is_dir()))
