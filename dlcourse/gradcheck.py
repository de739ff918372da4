"""Numerical gradients by central differences, and checks of analytic gradients against them.

Always run in float64: with eps = 1e-6 the truncation error is O(eps^2) ~ 1e-12 and the rounding error
~ 1e-16 / eps ~ 1e-10, so a correct backward agrees to about 1e-8 in norm-wise relative error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # names used only in annotations
    from dlcourse.nn.module import Module


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """Norm-wise relative error ||a - b|| / max(||a|| + ||b||, 1e-30); 0 when both are zero.

    Per-element ratios explode where a gradient is near zero; the norm-wise form does not.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: expected arrays of the same shape, got {a.shape} and {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / max(denom, 1e-30))


def numerical_gradient(f: Callable[[], float], x: np.ndarray, *, eps: float = 1e-6) -> np.ndarray:
    """d f / d x by central differences, perturbing ``x`` in place (and restoring it).

    Args:
        f: takes no argument and returns a scalar that depends on the current contents of ``x``.
        x: float64 array of any shape.
    Returns:
        An array of x's shape: (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for each element i.
    """
    if x.dtype != np.float64:
        raise TypeError(f"numerical_gradient: expected a float64 array (float32 is too coarse), got {x.dtype}")
    grad = np.zeros_like(x)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat_x, x):
        raise ValueError("numerical_gradient: x must be contiguous so it can be perturbed in place")
    for i in range(flat_x.size):  # one scalar perturbation per element: slow by nature, fine for small checks
        old = flat_x[i]
        flat_x[i] = old + eps
        f_plus = float(f())
        flat_x[i] = old - eps
        f_minus = float(f())
        flat_x[i] = old
        flat_grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def check_function(forward: Callable[..., np.ndarray], backward: Callable[[np.ndarray], tuple | np.ndarray],
                   inputs: list[np.ndarray], *, rng: np.random.Generator, eps: float = 1e-6) -> list[float]:
    """Compare ``backward``'s gradients of a function with numerical ones.

    The scalar checked is sum(forward(*inputs) * dout) with a random ``dout``, so every output element counts.

    Args:
        forward: maps float64 arrays ``inputs`` to an output array.
        backward: maps dout (output's shape) to the gradients for each input (a tuple, or one array).
        inputs: float64 arrays, perturbed in place during the check.
        rng: draws the random dout.
        eps: the central-difference step.
    Returns:
        The norm-wise relative error for each input.
    """
    out = np.asarray(forward(*inputs))
    dout = rng.standard_normal(out.shape)
    analytic = backward(dout)
    if not isinstance(analytic, tuple | list):
        analytic = (analytic,)
    if len(analytic) != len(inputs):  # a forgotten gradient must fail, not go unchecked
        raise ValueError(f"check_function: expected backward to return one gradient per input ({len(inputs)}), "
                         f"got {len(analytic)}")
    errors = []
    for x, grad in zip(inputs, analytic, strict=True):
        if grad is None:
            raise ValueError("check_function: backward returned None for an input; every input needs a gradient")
        numeric = numerical_gradient(lambda: np.sum(forward(*inputs) * dout), x, eps=eps)
        errors.append(relative_error(grad, numeric))
    return errors


def check_module(module: Module, x: np.ndarray, *, rng: np.random.Generator, eps: float = 1e-6) -> dict[str, float]:
    """Check a Module's backward: the input gradient and every parameter gradient.

    The module must be float64 (``module.double()``) and deterministic between calls (put Dropout in
    eval mode or fix its mask).

    Args:
        module: the Module to check.
        x: its input, any shape it accepts (converted to float64).
        rng: draws the random dout.
        eps: the central-difference step.
    Returns:
        ``{"input": err, "weight": err, ...}``: the norm-wise relative error of each gradient (frozen parameters,
        ``requires_grad=False``, are left out).
    """
    x = np.array(x, dtype=np.float64)
    out = module(x)
    dout = rng.standard_normal(np.shape(out))
    module.zero_grad()  # a parameter gradient that backward forgets stays zero: its error is then 1
    dx = module.backward(dout)

    def objective():
        return np.sum(module(x) * dout)

    if dx is None:
        raise ValueError(f"check_module: {type(module).__name__}.backward returned None instead of the input gradient")
    errors = {"input": relative_error(dx, numerical_gradient(objective, x, eps=eps))}
    for name, param in module.named_parameters():
        if param.requires_grad:  # a frozen parameter gets no gradient by design: nothing to check
            errors[name] = relative_error(param.grad, numerical_gradient(objective, param.data, eps=eps))
    return errors
