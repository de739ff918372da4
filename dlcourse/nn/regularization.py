"""Weight penalties added to the loss: L2 ("weight decay", ridge) and L1 (lasso).

In PyTorch one writes ``loss = loss + lam * sum(w.abs().sum() for w in ...)`` and autograd finds the gradient.
Here each penalty returns its value *and*, unless ``add_grad=False``, adds its gradient into ``param.grad``
(``+=``, like every backward), so call it once per step, after ``zero_grad`` and before ``optimizer.step()``.

How ``weight_decay`` in the optimizers relates:

- ``SGD(..., weight_decay=wd)`` adds ``wd * w`` to each gradient. That is exactly the gradient of
  ``l2_penalty(params, wd) = wd / 2 * sum ||w||^2``: the two give the same trajectory.
- ``Adam(..., weight_decay=wd)`` does the same, so the decay is then rescaled by Adam's per-element step
  size like any other gradient term.
- ``AdamW(..., weight_decay=wd)`` instead shrinks the weights directly, ``w <- w - lr * wd * w``, outside the
  adaptive rescaling ("decoupled" weight decay); no penalty in the loss reproduces it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from dlcourse.nn.module import as_parameter_list
from dlcourse.validate import check_non_negative


def l2_penalty(parameters: Iterable, weight_decay: float, *, add_grad: bool = True) -> float:
    """weight_decay / 2 * sum_i ||w_i||^2, whose gradient weight_decay * w is SGD's weight_decay term.

    Args:
        parameters: one Parameter or an iterable (e.g. the weights only: ``[m.weight for m in linears]``).
        weight_decay: the coefficient (>= 0).
        add_grad: add weight_decay * w to each ``param.grad`` (shape of ``param.data``).
    Returns:
        The penalty, a Python float, to add to the loss (for logging: the gradient is already in place).
    """
    weight_decay = check_non_negative(weight_decay, "l2_penalty", "weight_decay")
    params = as_parameter_list(parameters, "l2_penalty")
    value = 0.0
    for param in params:
        value += 0.5 * weight_decay * float(np.sum(param.data.astype(np.float64) ** 2))
        if add_grad:
            param.grad += param.data * param.data.dtype.type(weight_decay)
    return value


def l1_penalty(parameters: Iterable, strength: float, *, add_grad: bool = True) -> float:
    """strength * sum_i ||w_i||_1, with (sub)gradient strength * sign(w) (0 at w = 0, as PyTorch's abs).

    The constant pull towards zero, whatever a weight's size, is what drives many weights to exactly zero
    (sparse models), unlike L2 whose pull fades as the weight shrinks.

    Args:
        parameters: one Parameter or an iterable of them.
        strength: the coefficient (>= 0).
        add_grad: add strength * sign(w) to each ``param.grad`` (shape of ``param.data``).
    Returns:
        The penalty, a Python float.
    """
    strength = check_non_negative(strength, "l1_penalty", "strength")
    params = as_parameter_list(parameters, "l1_penalty")
    value = 0.0
    for param in params:
        value += strength * float(np.sum(np.abs(param.data.astype(np.float64))))
        if add_grad:
            param.grad += np.sign(param.data) * param.data.dtype.type(strength)
    return value
