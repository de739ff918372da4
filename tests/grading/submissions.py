"""Submissions of exercise 01 for the grading tests, built from the release: one student per case."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat

from dlcourse.grading.exercise import nbgrader_meta

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "01_neurons"
POINTS = {"neuron": 2, "perceptron_step": 2, "mlp_forward": 2, "perceptron_epoch": 2, "gradient_descent": 1}
TOTAL = sum(POINTS.values())  # what the solution scores


def load(kind: str, assignment: str = ASSIGNMENT) -> nbformat.NotebookNode:
    folder = "solutions" if kind == "solution" else "exercises"
    return nbformat.read(ROOT / folder / assignment / f"{assignment}.ipynb", as_version=4)


def cell(nb, grade_id: str):
    return next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id)


def solution_answer(grade_id: str, assignment: str = ASSIGNMENT) -> str:
    """The solution's answer cell, without nbgrader's solution markers."""
    lines = cell(load("solution", assignment), grade_id).source.splitlines()
    return "\n".join(line for line in lines if "### " not in line) + "\n"


def answer(nb, grade_id: str, source: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose answer cell ``grade_id`` holds ``source``."""
    nb = copy.deepcopy(nb)
    cell(nb, grade_id).source = source
    return nb


def submission(*, right: tuple[str, ...] = (), assignment: str = ASSIGNMENT,
               **answers: str) -> nbformat.NotebookNode:
    """The release with the solution's answer for each name in ``right`` and ``answers`` as given."""
    nb = load("release", assignment)
    for name in right:
        nb = answer(nb, name, solution_answer(name, assignment))
    for name, source in answers.items():
        nb = answer(nb, name, source)
    return nb


def add_cell(nb, after: str | None, source: str, kind: str = "code") -> nbformat.NotebookNode:
    """A copy of ``nb`` with a student's own cell after the cell ``after`` (at the end when None)."""
    nb = copy.deepcopy(nb)
    new = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
    index = len(nb.cells) if after is None else nb.cells.index(cell(nb, after)) + 1
    nb.cells.insert(index, new)
    return nb


def as_jupyterlab4(nb) -> nbformat.NotebookNode:
    """What JupyterLab 4 saves after a run: execution counts, outputs, kernel and language metadata."""
    nb = copy.deepcopy(nb)
    nb.metadata.update({"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                       "name": "python3"},
                        "language_info": {"name": "python", "version": "3.11.7", "mimetype": "text/x-python"}})
    for count, c in enumerate((c for c in nb.cells if c.cell_type == "code"), start=1):
        c.execution_count = count
        c.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran\n")]
        c.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00.000Z"}
    return nb


def write(nb, path: Path, *, minor: int | None = None) -> None:
    """Write a notebook; ``minor=4`` writes nbformat 4.4 as older Jupyter did (no cell ids)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if minor is None:
        nbformat.write(nb, path)
        return
    data = json.loads(nbformat.writes(nb))
    data["nbformat_minor"] = minor
    for c in data["cells"]:
        c.pop("id", None)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
