"""``dlcourse grade``: autograde a folder of submissions in parallel and write a CSV and a summary."""

from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from dlcourse.grading.autograde import ItemResult, Limits, grade_student
from dlcourse.grading.course import assignments, course_root, generate_release

CSV_COLUMNS = ["student", "item", "score", "max", "status"]


def student_id(name: str) -> str:
    """A folder-safe student id from a file or folder name."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name).strip(".") or "student"


def find_submissions(folder: Path, assignment: str) -> dict[str, Path | None]:
    """``{student: notebook}`` from a folder holding one ``STUDENT.ipynb`` or one folder ``STUDENT/`` per student
    (nbgrader's ``submitted/STUDENT/ASSIGNMENT/`` layout included). None marks a student folder with no notebook."""
    found: dict[str, Path | None] = {}
    for entry in sorted(folder.iterdir()):
        if entry.is_file() and entry.suffix == ".ipynb":
            found[student_id(entry.stem)] = entry
        elif entry.is_dir() and not entry.name.startswith("."):
            candidates = [p for p in sorted(entry.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts]
            named = [p for p in candidates if p.stem == assignment]
            found[student_id(entry.name)] = (named or candidates or [None])[0]
    return found


def grade_ids(path: Path) -> set[str]:
    """The nbgrader grade_ids in a notebook (empty when it cannot be read)."""
    notebook = read_notebook(path)
    cells = notebook.cells if notebook else []
    return {c.metadata.get("nbgrader", {}).get("grade_id") for c in cells} - {None}


def guess_assignment(folder: Path, root: Path) -> str:
    """The assignment whose graded cells the submitted notebooks share most."""
    submitted = set().union(*[grade_ids(p) for p in list(folder.rglob("*.ipynb"))[:20]])
    overlap = {a: len(submitted & grade_ids(root / "solutions" / a / f"{a}.ipynb")) for a in assignments(root)}
    best = max(overlap, key=overlap.get, default=None)
    if best is None or overlap[best] == 0:
        raise ValueError(f"cannot tell which assignment {folder} holds (none of {assignments(root)} matches "
                         "its notebooks' cells); pass --assignment")
    return best


def read_notebook(path: Path | None) -> nbformat.NotebookNode | None:
    try:
        return nbformat.read(path, as_version=4) if path else None
    except Exception:  # a corrupt or non-notebook file: that student scores zero, the batch goes on
        return None


def grade_folder(submissions: Path, *, assignment: str | None = None, root: Path | None = None,
                 out: Path | None = None, workers: int | None = None, limits: Limits | None = None,
                 on_result=None) -> list[ItemResult]:
    """Autograde every submission in ``submissions``; write ``out/grades.csv`` and ``out/summary.txt``.

    Args:
        submissions: one notebook or folder per student.
        assignment: the assignment's name; guessed from the notebooks' names when None.
        out: where results go; ``grades/ASSIGNMENT`` under the course root when None.
        workers: students graded at once; one per core when None.
        on_result: called with each student's list of ItemResults as they finish (progress).
    Returns:
        One ItemResult per student and graded item, sorted by student.
    """
    root = root or course_root()
    limits = limits or Limits()
    submissions = Path(submissions).resolve()
    assignment = assignment or guess_assignment(submissions, root)
    out = Path(out or root / "grades" / assignment)
    students = find_submissions(submissions, assignment)
    hidden = [root / "solutions", root / "gradebook.db", root / "submitted", root / "autograded", root / "feedback",
              submissions, out.resolve()]
    with tempfile.TemporaryDirectory(prefix="dlcourse-grade-") as tmp:
        release = generate_release(root, assignment, Path(tmp) / "release")
        hidden.append(Path(tmp) / "release")
        batch = Path(tmp) / "students"

        def one(student: str) -> list[ItemResult]:
            try:
                results = grade_student(student, read_notebook(students[student]), release, batch,
                                        limits=limits, hidden=hidden)
            except Exception as error:  # never let one student stop the class
                results = [ItemResult(student, item, 0.0, top, f"crash: {type(error).__name__}: {error}"[:200])
                           for item, top in release.max_scores.items()]
            _keep_feedback(batch / student, student, assignment, out)
            if on_result:
                on_result(results)
            return results

        with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
            results = [r for rs in pool.map(one, sorted(students)) for r in rs]
    write_csv(results, out / "grades.csv")
    (out / "summary.txt").write_text(summary(results, assignment))
    return results


def _keep_feedback(home: Path, student: str, assignment: str, out: Path) -> None:
    graded = home / "course" / "autograded" / student / assignment / f"{assignment}.ipynb"
    if graded.exists():
        (out / "autograded").mkdir(parents=True, exist_ok=True)
        shutil.copy(graded, out / "autograded" / f"{student}.ipynb")


def write_csv(results: list[ItemResult], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for r in results:
            writer.writerow([r.student, r.item, f"{r.score:g}", f"{r.max_score:g}", r.status])


def totals(results: list[ItemResult]) -> dict[str, tuple[float, float]]:
    """``{student: (score, max)}``."""
    table: dict[str, tuple[float, float]] = {}
    for r in results:
        score, top = table.get(r.student, (0.0, 0.0))
        table[r.student] = (score + r.score, top + r.max_score)
    return table


def summary(results: list[ItemResult], assignment: str) -> str:
    """A few lines for the instructor: the class's scores and what went wrong how often."""
    table = totals(results)
    if not table:
        return f"{assignment}: no submissions found\n"
    scores = sorted(score for score, _ in table.values())
    top = max(t for _, t in table.values())
    kinds = Counter(r.status.split(":")[0] for r in results)
    lines = [f"{assignment}: {len(table)} students graded, out of {top:g} points",
             f"mean {sum(scores) / len(scores):.2f}, median {scores[len(scores) // 2]:g}, "
             f"min {scores[0]:g}, max {scores[-1]:g}",
             "items by status: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))]
    flagged = sorted({r.student for r in results if r.status.startswith(("crash", "tampered", "missing", "timeout",
                                                                       "memory"))})
    if flagged:
        lines.append("look at: " + ", ".join(flagged))
    return "\n".join(lines) + "\n"
