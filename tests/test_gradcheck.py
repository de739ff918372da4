"""The gradient checker itself: right on known derivatives, and it catches a wrong backward."""

import numpy as np
import pytest

import dlcourse.nn as nn
from dlcourse.gradcheck import check_function, check_module, numerical_gradient, relative_error
from dlcourse.nn.linear import linear_backward


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


def test_check_function_refuses_a_missing_gradient(rng):
    """A backward that forgets b's gradient used to be checked only on what it returned (and passed)."""
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    with pytest.raises(ValueError, match=r"one gradient per input \(3\), got 1"):
        check_function(lambda x, w, b: x @ w + b, lambda d: (d @ w.T,), [x, w, b], rng=rng)


def test_check_function_refuses_an_extra_or_none_gradient(rng):
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    with pytest.raises(ValueError, match=r"one gradient per input \(1\), got 2"):
        check_function(lambda x: x @ w, lambda d: (d @ w.T, x.T @ d), [x], rng=rng)
    with pytest.raises(ValueError, match="returned None"):
        check_function(lambda x, w: x @ w, lambda d: (d @ w.T, None), [x, w], rng=rng)


class _ForgetsBias(nn.Linear):
    """A Linear whose backward leaves the bias gradient out."""

    def backward(self, grad_output):
        dx, dweight, _ = linear_backward(grad_output, self._cache)
        self.accumulate_grad(weight=dweight)
        return dx


def test_check_module_catches_a_forgotten_parameter_gradient(rng):
    errors = check_module(_ForgetsBias(3, 2, rng=rng).double(), rng.standard_normal((4, 3)), rng=rng)
    assert errors["bias"] == pytest.approx(1.0) and max(errors["input"], errors["weight"]) < 1e-7, errors


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


def test_check_module_leaves_frozen_parameters_out():


    layer = nn.Linear(3, 2, rng=np.random.default_rng(0), dtype=np.float64)
    layer.bias.requires_grad_(False)
    errors = check_module(layer, np.random.default_rng(1).normal(size=(4, 3)), rng=np.random.default_rng(2))
    assert set(errors) == {"input", "weight"}
    assert max(errors.values()) < 1e-7
