"""Elementwise nonlinearities and softmax, as torch.nn: ReLU, LeakyReLU, ELU, GELU, SiLU, Sigmoid, Tanh, Softmax.

Each activation is a pair of pure functions, ``<name>_forward(x, ...) -> (out, cache)`` and
``<name>_backward(dout, cache) -> dx`` (x, out, dout, dx all share one shape and dtype), wrapped by a
parameter-free Module. Sigmoid, softmax and log-softmax never exponentiate a large positive number, so inputs of
size 1000 give no overflow.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erf  # NumPy has no vectorised erf; SciPy ships with scikit-learn

from dlcourse.nn.module import Module
from dlcourse.validate import as_float_array, check_choice

_SQRT_2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715  # the constant of the tanh approximation (Hendrycks and Gimpel, 2016)


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """max(x, 0).

    Args:
        x: any shape.
    Returns:
        out: x's shape.
        cache: what relu_backward needs.
    """
    return np.maximum(x, 0), (x,)


def relu_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dx = dout * [x > 0] (the derivative at 0 is taken as 0, as in PyTorch).

    Args:
        dout: x's shape, the gradient with respect to the output.
        cache: from relu_forward.
    Returns:
        dx: x's shape.
    """
    (x,) = cache
    return dout * (x > 0)


def leaky_relu_forward(x: np.ndarray, negative_slope: float = 0.01) -> tuple[np.ndarray, tuple]:
    """x for x > 0, negative_slope * x otherwise.

    Args:
        x: any shape.
        negative_slope: the slope for x <= 0.
    Returns:
        out: x's shape.
        cache: what leaky_relu_backward needs.
    """
    return np.where(x > 0, x, x * x.dtype.type(negative_slope)), (x, negative_slope)


def leaky_relu_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dx = dout for x > 0, negative_slope * dout otherwise.

    Args:
        dout: x's shape, the gradient with respect to the output.
        cache: from leaky_relu_forward.
    Returns:
        dx: x's shape.
    """
    x, negative_slope = cache
    return np.where(x > 0, dout, dout * x.dtype.type(negative_slope))


def elu_forward(x: np.ndarray, alpha: float = 1.0) -> tuple[np.ndarray, tuple]:
    """x for x > 0, alpha * (exp(x) - 1) otherwise.

    Args:
        x: any shape.
        alpha: the limit -alpha for x -> -inf.
    Returns:
        out: x's shape.
        cache: what elu_backward needs.
    """
    # expm1 only sees x <= 0: exp of a large positive x would overflow in the branch np.where throws away
    negative = x.dtype.type(alpha) * np.expm1(np.minimum(x, 0))
    return np.where(x > 0, x, negative), (x, alpha)


def elu_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dx = dout for x > 0, dout * alpha * exp(x) otherwise.

    Args:
        dout: x's shape, the gradient with respect to the output.
        cache: from elu_forward.
    Returns:
        dx: x's shape.
    """
    x, alpha = cache
    return np.where(x > 0, dout, dout * x.dtype.type(alpha) * np.exp(np.minimum(x, 0)))


def gelu_forward(x: np.ndarray, approximate: str = "none") -> tuple[np.ndarray, tuple]:
    """x * Phi(x), Phi the standard normal CDF; ``approximate="tanh"`` uses
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).

    Args:
        x: any shape.
        approximate: "none" (exact, with erf) or "tanh".
    Returns:
        out: x's shape.
        cache: what gelu_backward needs.
    """
    check_choice(approximate, ("none", "tanh"), "gelu_forward", "approximate")
    if approximate == "tanh":
        t = np.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x**3))
        return 0.5 * x * (1 + t), (x, approximate, t)
    cdf = 0.5 * (1 + erf(x / _SQRT_2))
    return x * cdf, (x, approximate, cdf)


def gelu_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dx = dout * (Phi(x) + x phi(x)) (or the derivative of the tanh form).

    Args:
        dout: x's shape, the gradient with respect to the output.
        cache: from gelu_forward.
    Returns:
        dx: x's shape.
    """
    x, approximate, saved = cache
    if approximate == "tanh":
        t = saved
        inner_grad = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x**2)
        return dout * (0.5 * (1 + t) + 0.5 * x * (1 - t**2) * inner_grad)
    pdf = np.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)
    return dout * (saved + x * pdf)


def _stable_sigmoid(x: np.ndarray) -> np.ndarray:
    # exp(-|x|) lies in (0, 1]: both branches are exact and nothing overflows
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """1 / (1 + exp(-x)), computed without overflow.

    Args:
        x: any shape.
    Returns:
        out: x's shape.
        cache: what sigmoid_backward needs.
    """
    out = _stable_sigmoid(x)
    return out, (out,)


def sigmoid_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dx = dout * s (1 - s), with s the forward output.

    Args:
        dout: x's shape, the gradient with respect to the output.
        cache: from sigmoid_forward.
    Returns:
        dx: x's shape.
    """
    (out,) = cache
    return dout * out * (1 - out)


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """tanh(x).

    Args:
        x: any shape.
    Returns:
        out: x's shape.
        cache: what tanh_backward needs.
    """
    out = np.tanh(x)
    return out, (out,)


def tanh_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dx = dout * (1 - tanh(x)^2).

    Args:
        dout: x's shape, the gradient with respect to the output.
        cache: from tanh_forward.
    Returns:
        dx: x's shape.
    """
    (out,) = cache
    return dout * (1 - out**2)


def silu_forward(x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """x * sigmoid(x) (also called Swish).

    Args:
        x: any shape.
    Returns:
        out: x's shape.
        cache: what silu_backward needs.
    """
    s = _stable_sigmoid(x)
    return x * s, (x, s)


def silu_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dx = dout * s (1 + x (1 - s)), s = sigmoid(x).

    Args:
        dout: x's shape, the gradient with respect to the output.
        cache: from silu_forward.
    Returns:
        dx: x's shape.
    """
    x, s = cache
    return dout * s * (1 + x * (1 - s))


def softmax_forward(x: np.ndarray, dim: int = -1) -> tuple[np.ndarray, tuple]:
    """exp(x_i) / sum_j exp(x_j) along ``dim``.

    Subtracting the maximum first changes nothing mathematically (the factor exp(-max) cancels) but keeps every
    exponent <= 0, so nothing overflows and the largest term is exactly 1.

    Args:
        x: any shape, at least 1-D, e.g. (N, K) logits.
        dim: the axis that sums to 1.
    Returns:
        out: x's shape.
        cache: what softmax_backward needs.
    """
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    out = e / e.sum(axis=dim, keepdims=True)
    return out, (out, dim)


def softmax_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dx = y * (dout - sum(dout * y)) along ``dim``, the Jacobian-vector product without the (K, K) Jacobian.

    Args:
        dout: x's shape, the gradient with respect to the output y.
        cache: from softmax_forward.
    Returns:
        dx: x's shape.
    """
    out, dim = cache
    return out * (dout - np.sum(dout * out, axis=dim, keepdims=True))


def log_softmax_forward(x: np.ndarray, dim: int = -1) -> tuple[np.ndarray, tuple]:
    """x_i - log sum_j exp(x_j) along ``dim`` (the log-sum-exp trick: shift by the max before exponentiating).
    Exact even where softmax underflows to 0.

    Args:
        x: any shape, at least 1-D, e.g. (N, K) logits.
        dim: the axis of the classes.
    Returns:
        out: x's shape.
        cache: what log_softmax_backward needs.
    """
    shifted = x - x.max(axis=dim, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
    return out, (out, dim)


def log_softmax_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dx = dout - softmax(x) * sum(dout) along ``dim``.

    Args:
        dout: x's shape, the gradient with respect to the output.
        cache: from log_softmax_forward.
    Returns:
        dx: x's shape.
    """
    out, dim = cache
    return dout - np.exp(out) * np.sum(dout, axis=dim, keepdims=True)


class _Activation(Module):
    """A parameter-free layer around a forward/backward pair; subclasses set ``_forward``/``_backward``
    and ``_kwargs()`` (their hyperparameters as keyword arguments of the pure function)."""

    _forward = None  # a staticmethod: (x, **kwargs) -> (out, cache)
    _backward = None  # a staticmethod: (dout, cache) -> dx

    def _kwargs(self) -> dict:
        return {}

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, f"{type(self).__name__}.forward")
        out, self._cache = type(self)._forward(x, **self._kwargs())
        return out

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        if not hasattr(self, "_cache"):
            raise RuntimeError(f"{type(self).__name__}.backward: call forward first")
        return type(self)._backward(grad_output, self._cache)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self._kwargs().items())


class ReLU(_Activation):
    """max(x, 0). ``inplace`` is accepted so torch code runs unchanged; the input is never modified.
    Shapes: any -> the same."""

    _forward, _backward = staticmethod(relu_forward), staticmethod(relu_backward)

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace


class LeakyReLU(_Activation):
    """x for x > 0, negative_slope * x otherwise. Shapes: any -> the same.

    Args:
        negative_slope: the slope for x <= 0.
        inplace: accepted for torch compatibility; the output is always a new array.
    """

    _forward, _backward = staticmethod(leaky_relu_forward), staticmethod(leaky_relu_backward)

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope, self.inplace = float(negative_slope), inplace

    def _kwargs(self) -> dict:
        return {"negative_slope": self.negative_slope}


class ELU(_Activation):
    """x for x > 0, alpha * (exp(x) - 1) otherwise. Shapes: any -> the same.

    Args:
        alpha: the limit -alpha for x -> -inf.
        inplace: accepted for torch compatibility; the output is always a new array.
    """

    _forward, _backward = staticmethod(elu_forward), staticmethod(elu_backward)

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = float(alpha), inplace

    def _kwargs(self) -> dict:
        return {"alpha": self.alpha}


class GELU(_Activation):
    """x * Phi(x); ``approximate="tanh"`` for the tanh formula. Shapes: any -> the same."""

    _forward, _backward = staticmethod(gelu_forward), staticmethod(gelu_backward)

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = check_choice(approximate, ("none", "tanh"), "GELU", "approximate")

    def _kwargs(self) -> dict:
        return {"approximate": self.approximate}


class SiLU(_Activation):
    """x * sigmoid(x). Shapes: any -> the same.

    Args:
        inplace: accepted for torch compatibility; the output is always a new array.
    """

    _forward, _backward = staticmethod(silu_forward), staticmethod(silu_backward)

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace


class Sigmoid(_Activation):
    """1 / (1 + exp(-x)). Shapes: any -> the same."""

    _forward, _backward = staticmethod(sigmoid_forward), staticmethod(sigmoid_backward)


class Tanh(_Activation):
    """tanh(x). Shapes: any -> the same."""

    _forward, _backward = staticmethod(tanh_forward), staticmethod(tanh_backward)


class _AlongDim(_Activation):
    """Softmax-like layers normalise along one dimension, which must exist in the input."""

    def __init__(self, dim: int = -1):
        super().__init__()
        # torch.nn.Softmax(dim=None) guesses a dimension from the input's rank (a legacy behaviour with a warning);
        # here the default is the last dimension, and None is refused rather than guessed.
        if dim is None or isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"{type(self).__name__}: expected dim to be an int (e.g. -1 for the last dimension), "
                            f"got {dim!r}")
        self.dim = int(dim)

    def _kwargs(self) -> dict:
        return {"dim": self.dim}

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, f"{type(self).__name__}.forward")
        if x.ndim == 0 or not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"{type(self).__name__}.forward: expected an input with dimension dim={self.dim}, "
                             f"got shape {x.shape} ({x.ndim}-D)")
        return super().forward(x)


class Softmax(_AlongDim):
    """exp(x_i) / sum_j exp(x_j) along ``dim``. Unlike torch, ``dim`` defaults to -1 (the last dimension);
    torch's ``dim=None`` picks a dimension from the input's rank, a legacy rule this class refuses.
    Shapes: any (at least 1-D) -> the same."""

    _forward, _backward = staticmethod(softmax_forward), staticmethod(softmax_backward)


class LogSoftmax(_AlongDim):
    """log(softmax(x)) along ``dim`` (default -1, see Softmax), computed stably. Shapes: any (>= 1-D) -> the same."""

    _forward, _backward = staticmethod(log_softmax_forward), staticmethod(log_softmax_backward)
