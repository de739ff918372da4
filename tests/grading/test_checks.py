"""The assertions exercise tests use: messages that teach, and no way around them from a solution cell."""

import numpy as np
import pytest
import torch

import dlcourse.nn.functional as F
from dlcourse.data import make_moons
from dlcourse.grading import ExerciseError, calls_reference, expect_close, expect_equal, expect_own_code


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


@pytest.mark.parametrize("shortcut", [
    lambda z: torch.sigmoid(torch.from_numpy(z)).numpy(),
    lambda z: torch.DoubleTensor(z).softmax(-1).numpy(),
    lambda z: F.linear_forward(z, np.eye(3), None)[0],
])
def test_reference_calls_are_caught_however_made(shortcut):
    with pytest.raises(ExerciseError, match="calls the reference implementation"):
        expect_own_code(shortcut, np.zeros((2, 3)))


def test_own_numpy_code_and_allowed_helpers_pass():
    assert expect_own_code(lambda z: 1 / (1 + np.exp(-z)), np.zeros(2)).tolist() == [0.5, 0.5]
    _, seen = calls_reference(lambda: make_moons(10, rng=np.random.default_rng(0)))
    assert seen == []


def test_extra_forbidden_packages():
    from sklearn.metrics import accuracy_score

    _, seen = calls_reference(accuracy_score, [0, 1], [0, 1], forbid=("sklearn",))
    assert seen and seen[0].startswith("sklearn")
    assert calls_reference(accuracy_score, [0, 1], [0, 1])[1] == []
