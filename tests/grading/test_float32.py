"""An honest answer computed in float32 gets full marks in every exercise: each solution, run with its float64
array arguments cast to float32, through the grader's sandbox and hidden tests."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from dlcourse.grading.course import assignments
from dlcourse.grading.exercise import Exercise
from dlcourse.grading.grade import grade_one
from dlcourse.grading.limits import Limits
from dlcourse.grading.sandbox import Image, namespaces_available
from dlcourse.grading.submission import Submission, read_notebook

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
IN_FLOAT32 = """import numpy as np


def in_float32(function):
    def cast(value):
        return value.astype(np.float32) if isinstance(value, np.ndarray) and value.dtype == np.float64 else value

    def back(value):  # float64 in, float64 out (as the tests ask), computed in float32 in between
        if isinstance(value, (tuple, list)):
            return type(value)(back(v) for v in value)
        return value.astype(np.float64) if isinstance(value, np.ndarray) and value.dtype == np.float32 else value

    def wrapped(*args, **kwargs):
        given64 = any(isinstance(v, np.ndarray) and v.dtype == np.float64 for v in [*args, *kwargs.values()])
        result = function(*map(cast, args), **{key: cast(value) for key, value in kwargs.items()})
        return back(result) if given64 else result

    return wrapped


for name in NAMES:
    globals()[name] = in_float32(globals()[name])
"""


@pytest.mark.parametrize("assignment", assignments(ROOT))
def test_float32_solutions_get_full_marks(assignment, tmp_path):
    source = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    release = ROOT / "exercises" / assignment / f"{assignment}.ipynb"
    exercise = Exercise.read(source)
    notebook = read_notebook(source)
    notebook.cells.append(nbformat.v4.new_code_cell(IN_FLOAT32.replace("NAMES", repr(list(exercise.answers)))))
    path = tmp_path / f"{assignment}.ipynb"
    nbformat.write(notebook, path)
    image = Image(tmp_path / "image", forbid=exercise.forbid, isolate=namespaces_available())
    results = grade_one(Submission.load(path, exercise), exercise, image, tmp_path / "student",
                        Limits(call_seconds=60), release)
    failed = [r.describe() for r in results if not r.passed]
    print(f"\n{assignment} in float32: {failed}")
    assert failed == []
