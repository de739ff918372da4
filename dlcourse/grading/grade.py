"""``dlcourse grade``: grade a folder of submissions in sandboxes, record the scores in nbgrader, write a CSV.

For each student: a sandbox runs the release's setup cell and the student's cells; the instructor's test cells
(visible and hidden parts, from solutions/) run in this process with proxies to the student's functions
(runner.py). Students are graded in parallel, one sandbox each. The verdicts go into an nbgrader course in
``OUT/nbgrader`` through ``nbgrader autograde`` (gradebook.py); ``OUT/grades.csv`` and ``OUT/summary.txt`` are
written from the same verdicts, and any disagreement with the gradebook is an error.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from dlcourse.grading import gradebook
from dlcourse.grading.course import Release, assignments, course_root, generate_release
from dlcourse.grading.exercise import Exercise
from dlcourse.grading.limits import Limits
from dlcourse.grading.runner import run_tests
from dlcourse.grading.sandbox import Image, namespaces_available
from dlcourse.grading.session import Session
from dlcourse.grading.status import ItemResult, Status
from dlcourse.grading.submission import Submission, find_students, read_notebook

CSV_COLUMNS = ["student", "item", "score", "max", "status", "notebook"]
NO_SANDBOX = ("this system does not allow the Linux namespaces the grading sandbox needs (try `unshare --user "
              "--map-root-user --pid --fork --mount-proc --net true`); student code would run with your files, "
              "network and processes in reach. Grade on a system that allows them, or pass --unsafe-no-sandbox "
              "to run it anyway (memory and time limits only)")


class SandboxUnavailable(RuntimeError):
    """Grading refuses to run student code without a sandbox unless explicitly told to."""


def grade_ids(path: Path) -> set[str]:
    notebook = read_notebook(path)
    cells = notebook.cells if notebook else []
    return {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells} - {None}


def guess_assignment(folder: Path, root: Path) -> str:
    """The assignment whose graded cells the submitted notebooks share most."""
    submitted = set().union(*[grade_ids(p) for p in list(folder.rglob("*.ipynb"))[:20]])
    overlap = {a: len(submitted & grade_ids(root / "solutions" / a / f"{a}.ipynb")) for a in assignments(root)}
    best = max(overlap, key=overlap.get, default=None)
    if best is None or overlap[best] == 0:
        raise ValueError(f"cannot tell which assignment {folder} holds (none of {assignments(root)} matches "
                         "its notebooks' cells); pass --assignment")
    return best


def exercise_of(release: Release) -> Exercise:
    """The exercise with the instructor's tests (hidden parts included) and the released answer stubs."""
    source = Exercise.read(release.source)
    return replace(source, answers=Exercise.from_notebook(release.notebook, release.assignment).answers,
                   setup=Exercise.from_notebook(release.notebook, release.assignment).setup)


def grade_one(submission: Submission, exercise: Exercise, image: Image, home: Path, limits: Limits,
              release_path: Path | None, *, hidden: bool = True) -> list[ItemResult]:
    """Every item of one submission, graded in a sandbox of its own (always closed afterwards)."""
    if submission.notebook is None:
        return [ItemResult(submission.student, t.grade_id, 0.0, t.points, Status.MISSING, submission.note)
                for t in exercise.tests]
    session = Session(image, home, limits, exercise.setup, submission.cells(),
                      files=(release_path,) if release_path else ())
    try:
        return run_tests(exercise, session, submission.student, hidden=hidden)
    except Exception as error:  # the sandbox could not start: not the student's fault, and said so
        return [ItemResult(submission.student, t.grade_id, 0.0, t.points, Status.CRASH,
                           f"grader: {type(error).__name__}: {error}") for t in exercise.tests]
    finally:
        session.close()


def grade_folder(submissions: Path, *, assignment: str | None = None, root: Path | None = None,
                 out: Path | None = None, workers: int | None = None, limits: Limits | None = None,
                 unsafe_no_sandbox: bool = False, on_result=None) -> list[ItemResult]:
    """Grade every submission in ``submissions``; write ``out/grades.csv``, ``out/summary.txt``, ``out/nbgrader``.

    Args:
        submissions: one notebook (any name) or one folder per student.
        assignment: the assignment's name; guessed from the notebooks when None.
        out: where results go; ``grades/ASSIGNMENT`` under the course root when None.
        workers: students graded at once; one per core when None.
        limits: the sandbox's limits, for every student and every retry.
        unsafe_no_sandbox: run student code without namespaces where the system forbids them.
        on_result: called with each student's list of ItemResults as they finish (progress).
    Returns:
        One ItemResult per student and graded item, sorted by student.
    """
    root = root or course_root()
    limits = limits or Limits()
    submissions = Path(submissions).resolve()
    isolate = namespaces_available()
    if not isolate and not unsafe_no_sandbox:
        raise SandboxUnavailable(NO_SANDBOX)
    assignment = assignment or guess_assignment(submissions, root)
    out = Path(out or root / "grades" / assignment)
    with tempfile.TemporaryDirectory(prefix="dlcourse-grade-") as tmp:
        release = generate_release(root, assignment, Path(tmp) / "release")
        exercise = exercise_of(release)
        image = Image(Path(tmp) / "image", forbid=exercise.forbid, isolate=isolate)
        students = [Submission.load(path, exercise) for path in find_students(submissions)]

        def one(submission: Submission) -> list[ItemResult]:
            results = grade_one(submission, exercise, image, Path(tmp) / "students" / submission.nbgrader_id,
                                limits, release.path)
            if on_result:
                on_result(submission, results)
            return results

        with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
            graded = dict(zip((s.nbgrader_id for s in students), pool.map(one, students), strict=True))
        recorded = gradebook.record(release, out / "nbgrader",
                                    {s.nbgrader_id: (s.cells(), graded[s.nbgrader_id]) for s in students})
    for s in students:
        mine = {r.item: r.score for r in graded[s.nbgrader_id]}
        if recorded.get(s.nbgrader_id) != mine:
            raise RuntimeError(f"nbgrader recorded {recorded.get(s.nbgrader_id)} for {s.student}, not {mine}")
    results = sorted((r for rs in graded.values() for r in rs), key=lambda r: r.student)
    write_csv(results, {s.student: s for s in students}, out / "grades.csv")
    (out / "summary.txt").write_text(summary(results, assignment, students), encoding="utf-8")
    return results


def write_csv(results: list[ItemResult], students: dict[str, Submission], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for r in results:
            s = students[r.student]
            chosen = str(s.chosen.relative_to(s.path)) if s.chosen and s.chosen != s.path else (
                s.path.name if s.chosen else "")
            writer.writerow([r.student, r.item, f"{r.score:g}", f"{r.max_score:g}", r.describe(), chosen])


def totals(results: list[ItemResult]) -> dict[str, tuple[float, float]]:
    """``{student: (score, max)}``."""
    table: dict[str, tuple[float, float]] = {}
    for r in results:
        score, top = table.get(r.student, (0.0, 0.0))
        table[r.student] = (score + r.score, top + r.max_score)
    return table


def summary(results: list[ItemResult], assignment: str, students: list[Submission] = ()) -> str:
    """A few lines for the instructor: the class's scores, statuses, and who to look at."""
    table = totals(results)
    if not table:
        return f"{assignment}: no submissions found\n"
    scores = sorted(score for score, _ in table.values())
    top = max(t for _, t in table.values())
    kinds = Counter(r.status.value for r in results)
    lines = [f"{assignment}: {len(table)} students graded, out of {top:g} points",
             f"mean {sum(scores) / len(scores):.2f}, median {scores[len(scores) // 2]:g}, "
             f"min {scores[0]:g}, max {scores[-1]:g}",
             "items by status: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))]
    lines += [f"{s.student}: {s.note}" for s in students if s.note]
    alarming = (Status.CRASH, Status.TIMEOUT, Status.MEMORY, Status.MISSING, Status.WRONG_TYPE)
    flagged = sorted({r.student for r in results if r.status in alarming})
    if flagged:
        lines.append("look at: " + ", ".join(flagged))
    return "\n".join(lines) + "\n"
