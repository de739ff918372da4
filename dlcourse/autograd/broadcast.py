"""Gradients through broadcasting and reductions: the two shape rules an array autograd adds to the scalar one.

If ``b`` of shape (D,) is broadcast against ``x`` of shape (N, D), each element of b is used N times, so its
gradient is the sum of N contributions: ``unbroadcast`` sums a (N, D) gradient down to (D,). A reduction is the
opposite: ``x.sum(axis=0)`` used each element once, so ``expand_reduced`` copies the (D,) gradient back to (N, D).
"""

from __future__ import annotations

import numpy as np


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched, so it gets ``shape`` back.

    Args:
        grad: (*broadcast_shape) gradient of a broadcast result.
        shape: the shape of the input that was broadcast, e.g. (D,) or (N, 1).
    Returns:
        An array of ``shape``: every element's gradient is the sum over all its copies.
    """
    extra = grad.ndim - len(shape)
    if extra > 0:  # leading axes that broadcasting prepended: (N, D) grad for a (D,) input
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:  # size-1 axes that were repeated: (N, D) grad for an (N, 1) input
        grad = grad.sum(axis=stretched, keepdims=True)
    if grad.shape != tuple(shape):
        raise ValueError(f"unbroadcast: cannot reduce a gradient of shape {grad.shape} to shape {tuple(shape)}")
    return grad


def expand_reduced(grad: np.ndarray, shape: tuple, axis: int | tuple[int, ...] | None, keepdims: bool) -> np.ndarray:
    """Undo a reduction's shape: put back the reduced axes (size 1) and broadcast to ``shape``.

    Args:
        grad: gradient of ``x.sum(axis, keepdims)`` (or mean, max), the reduced shape.
        shape: x's shape.
    Returns:
        A read-only (*shape) view in which every element sees the gradient of the reduction it fell into.
    """
    if not keepdims:
        axes = tuple(range(len(shape))) if axis is None else axis
        grad = np.expand_dims(grad, axes)
    return np.broadcast_to(grad, shape)
