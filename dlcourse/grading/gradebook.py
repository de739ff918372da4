"""Write the trusted verdicts through nbgrader's own machinery, so formgrader, feedback and exports work.

The grader leaves an nbgrader course in ``OUT/nbgrader/``: the assignment's gradebook (from ``nbgrader
generate_assignment``), each student's notebook in ``submitted/`` (the release with the student's answer and
extra cells), and then runs ``nbgrader autograde`` once for the class, with nbgrader's Execute step replaced by
``FillVerdicts``: instead of running anything, it writes each test cell's verdict as that cell's only output (a
stdout line when it passed, an error when it did not). nbgrader's own SaveAutoGrades then scores the cells and
writes the gradebook. No output in the graded notebook comes from the student (nbgrader clears them all first).
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.api import Gradebook
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    IgnorePattern,
    LimitOutput,
    NbGraderPreprocessor,
    SaveAutoGrades,
)
from traitlets import Unicode

from dlcourse.grading.course import Release, course_config, nbgrader_env, run_nbgrader
from dlcourse.grading.exercise import is_answer, is_test, nbgrader_meta
from dlcourse.grading.status import ItemResult


class FillVerdicts(NbGraderPreprocessor):
    """nbgrader preprocessor: each test cell's output becomes the grader's verdict for this student."""

    verdicts = Unicode("", help="JSON file: {student id: {grade_id: [passed, message]}}").tag(config=True)

    def preprocess(self, nb, resources):
        table = json.loads(Path(self.verdicts).read_text(encoding="utf-8"))
        verdicts = table.get(resources["nbgrader"]["student"], {})
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
            if is_test(cell):
                passed, message = verdicts.get(nbgrader_meta(cell).get("grade_id"), [False, "not graded"])
                if passed:
                    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="passed\n")]
                else:
                    cell.outputs = [nbformat.v4.new_output("error", ename="NotPassed", evalue=message,
                                                           traceback=[message])]
        return nb, resources


PREPROCESSORS = [FillVerdicts, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
                 AssignLatePenalties, CheckCellMetadata]


def assemble(release: nbformat.NotebookNode, cells: list[tuple[str | None, str]]) -> nbformat.NotebookNode:
    """The release with the student's answer cells filled in and their extra cells after the answer they follow."""
    answers: dict[str, str] = {}
    extras: dict[str | None, list[str]] = {}
    anchor = None
    for answer, source in cells:
        if answer is not None:
            answers.setdefault(answer, source)
            anchor = answer
        else:
            extras.setdefault(anchor, []).append(source)
    notebook = copy.deepcopy(release)
    notebook.cells = []
    for cell in release.cells:
        cell = copy.deepcopy(cell)
        grade_id = nbgrader_meta(cell).get("grade_id")
        if is_answer(cell) and grade_id in answers:
            cell.source = answers[grade_id]
        notebook.cells.append(cell)
        if is_answer(cell) or grade_id == "setup":  # extra cells before any answer go after the setup cell
            anchor = grade_id if is_answer(cell) else None
            notebook.cells += [nbformat.v4.new_code_cell(source) for source in extras.get(anchor, [])]
    return notebook


def record(release: Release, course: Path, graded: dict[str, tuple[list[tuple[str | None, str]],
                                                                   list[ItemResult]]]) -> dict[str, dict[str, float]]:
    """Autograde ``graded`` ({nbgrader id: (student cells, results)}) into the nbgrader course at ``course``.

    Returns the scores nbgrader recorded in its gradebook, ``{nbgrader id: {grade_id: score}}``.
    """
    if course.exists():
        shutil.rmtree(course)
    source = course / "solutions" / release.assignment
    source.mkdir(parents=True)
    shutil.copy(release.source, source / f"{release.assignment}.ipynb")
    shutil.copy(release.gradebook, course / "gradebook.db")
    verdicts = {}
    for student, (cells, results) in graded.items():
        folder = course / "submitted" / student / release.assignment
        folder.mkdir(parents=True)
        nbformat.write(assemble(release.notebook, cells), folder / f"{release.assignment}.ipynb")
        verdicts[student] = {r.item: [r.passed, r.describe()] for r in results}
    (course / "verdicts.json").write_text(json.dumps(verdicts, ensure_ascii=False), encoding="utf-8")
    names = [f"{p.__module__}.{p.__name__}" for p in PREPROCESSORS]
    (course / "nbgrader_config.py").write_text(course_config(release.root, **{
        "CourseDirectory.root": repr(str(course)),
        "CourseDirectory.db_url": repr(f"sqlite:///{course / 'gradebook.db'}"),
        "Autograde.autograde_preprocessors": repr(names),
        "FillVerdicts.verdicts": repr(str(course / "verdicts.json")),
    }))
    package_parent = str(Path(__file__).resolve().parents[2])
    done = run_nbgrader(["autograde", release.assignment, "--force"], cwd=course,
                        env=nbgrader_env({"PYTHONPATH": package_parent}))
    scores: dict[str, dict[str, float]] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in graded:
            try:
                notebook = gb.find_submission_notebook(release.assignment, release.assignment, student)
            except Exception:  # nbgrader did not grade this one: reported by the caller as a disagreement
                continue
            scores[student] = {g.name: float(g.auto_score or 0.0) for g in notebook.grades if g.auto_score is not None}
    if not scores and graded:
        raise RuntimeError(f"nbgrader autograde recorded nothing:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return scores
