"""Losses built from Tensor operations, so their gradients come from the autograd, not from a hand-written backward."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from dlcourse.autograd.tensor import Tensor


def cross_entropy(logits: Tensor, target: np.ndarray) -> Tensor:
    """Mean negative log-likelihood of the target classes: -mean_n log softmax(logits_n)[y_n].

    Args:
        logits: (N, K) unnormalised class scores.
        target: (N,) integer class indices in [0, K).
    Returns:
        A scalar Tensor.
    """
    target = np.asarray(target)
    if logits.data.ndim != 2:
        raise ValueError(f"cross_entropy: expected logits of shape (N, K), got shape {logits.data.shape}")
    if target.dtype.kind not in "iu" or target.shape != logits.data.shape[:1]:
        raise ValueError(f"cross_entropy: expected integer targets of shape ({logits.data.shape[0]},), got "
                         f"{target.dtype} of shape {target.shape}")
    if target.size and (target.min() < 0 or target.max() >= logits.data.shape[1]):
        raise ValueError(f"cross_entropy: expected targets in [0, {logits.data.shape[1]}), got values from "
                         f"{target.min()} to {target.max()}")
    picked = logits.log_softmax(axis=-1)[np.arange(len(target)), target]  # (N,) log-probability of each target
    return -picked.mean()


def mse_loss(prediction: Tensor, target: Tensor | ArrayLike) -> Tensor:
    """Mean squared error, mean((prediction - target)^2).

    Args:
        prediction: (*) any shape.
        target: array-like or Tensor of the same shape.
    Returns:
        A scalar Tensor.
    """
    target_shape = np.shape(target.data if isinstance(target, Tensor) else target)
    if target_shape != prediction.data.shape:
        raise ValueError(f"mse_loss: expected target of shape {prediction.data.shape} (the prediction's), "
                         f"got {target_shape}")
    return ((prediction - target) ** 2).mean()
