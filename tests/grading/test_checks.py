"""The assertions exercise tests use: messages that teach."""

import numpy as np
import pytest

from dlcourse.grading import ExerciseError, expect_close, expect_equal


def test_expect_close_names_shape_index_and_values():
    expect_close(np.array([1.0, 2.0 + 1e-9]), [1, 2], name="x")
    with pytest.raises(ExerciseError, match=r"f\(x\): expected shape \(2,\), got \(3,\)"):
        expect_close(np.zeros(3), [0, 0], name="f(x)")
    with pytest.raises(ExerciseError, match=r"f\(x\): wrong value at index \(1, 0\): expected 2.0, got 2.5"):
        expect_close(np.array([[1.0], [2.5]]), [[1.0], [2.0]], name="f(x)")
    with pytest.raises(ExerciseError, match="returned None; did you forget `return`"):
        expect_close(None, [1.0], name="f(x)")
    with pytest.raises(ExerciseError, match="contains NaN or inf at"):
        expect_close(np.array([np.nan]), [1.0], name="f(x)")
    with pytest.raises(ExerciseError, match="expected a NumPy array, got list"):
        expect_close([1.0], [1.0], name="f(x)")


def test_expect_equal_reports_first_difference():
    expect_equal(np.array([1, 2]), [1, 2], name="labels")
    with pytest.raises(ExerciseError, match=r"labels: wrong value at index \(1,\): expected 2, got 3"):
        expect_equal(np.array([1, 3]), [1, 2], name="labels")


def test_patching_numpy_after_import_changes_nothing(monkeypatch):
    monkeypatch.setattr(np, "abs", lambda x: np.zeros_like(x))
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    with pytest.raises(ExerciseError):
        expect_close(np.array([5.0]), [1.0], name="x")
