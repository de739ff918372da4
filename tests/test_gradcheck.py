"""The gradient checker itself: right on known derivatives, and it catches a wrong backward."""

import numpy as np
import pytest

import dlcourse.nn as nn
from dlcourse.gradcheck import check_function, check_module, numerical_gradient, relative_error


def test_numerical_gradient_of_a_known_function(rng):
    x = rng.standard_normal((3, 4))
    grad = numerical_gradient(lambda: np.sum(np.sin(x) * x), x)
    np.testing.assert_allclose(grad, np.cos(x) * x + np.sin(x), rtol=1e-8, atol=1e-9)


def test_numerical_gradient_restores_its_input(rng):
    x = rng.standard_normal(5)
    before = x.copy()
    numerical_gradient(lambda: np.sum(x**2), x)
    np.testing.assert_array_equal(x, before)


def test_relative_error_is_normwise_and_symmetric():
    a, b = np.array([1.0, 0.0]), np.array([1.0, 1e-12])
    assert relative_error(a, b) == relative_error(b, a) == pytest.approx(1e-12 / 2, rel=1e-3)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0


def test_check_function_accepts_a_right_backward(rng):
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    errors = check_function(lambda x, w: x @ w, lambda d: (d @ w.T, x.T @ d), [x, w], rng=rng)
    assert max(errors) < 1e-8


class _WrongTanh(nn.Module):
    """tanh with a backward that forgets the square: the checker must notice."""

    def forward(self, x):
        self._out = np.tanh(x)
        return self._out

    def backward(self, grad_output):
        return grad_output * (1 - self._out)


def test_check_module_catches_a_wrong_backward(rng):
    assert check_module(_WrongTanh(), rng.standard_normal((3, 4)), rng=rng)["input"] > 1e-2
    right = nn.Sequential(nn.Linear(4, 3, rng=rng), nn.Tanh()).double()
    assert max(check_module(right, rng.standard_normal((3, 4)), rng=rng).values()) < 1e-7


def test_float32_is_refused():
    with pytest.raises(TypeError, match="expected a float64 array .* got float32"):
        numerical_gradient(lambda: 0.0, np.zeros(2, np.float32))
