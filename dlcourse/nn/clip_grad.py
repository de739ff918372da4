"""Gradient clipping, as torch.nn.utils: rescale all gradients when their joint norm is too large
(``clip_grad_norm_``), or clamp every element (``clip_grad_value_``). Both modify ``param.grad`` in place.

Call them after ``backward`` and before ``optimizer.step()``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from dlcourse.nn.module import Parameter, as_parameter_list


def _norm_type(norm_type, where: str) -> float:
    if isinstance(norm_type, str):
        if norm_type != "inf":
            raise ValueError(f"{where}: expected norm_type to be a positive number or 'inf', got {norm_type!r}")
        return math.inf
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"{where}: expected norm_type > 0, got {norm_type}")
    return norm_type


def total_grad_norm(parameters: Iterable[Parameter] | Parameter, norm_type: float | str = 2.0) -> float:
    """The p-norm of all gradients seen as one long vector: (sum_i ||g_i||_p^p)^(1/p); for inf, max |g|.

    Args:
        parameters: Parameters whose ``.grad`` (any shape) is measured.
        norm_type: p > 0, or inf / 'inf'.
    Returns:
        The norm as a Python float (0.0 for no parameters).
    """
    norm_type = _norm_type(norm_type, "total_grad_norm")
    params = as_parameter_list(parameters, "total_grad_norm")
    if not params:
        return 0.0
    # the norm of the per-parameter norms equals the norm of everything concatenated, without copying
    norms = np.array([np.linalg.norm(p.grad.reshape(-1).astype(np.float64), ord=norm_type) for p in params])
    return float(np.linalg.norm(norms, ord=norm_type))


def clip_grad_norm_(parameters: Iterable[Parameter] | Parameter, max_norm: float, norm_type: float | str = 2.0,
                    error_if_nonfinite: bool = False) -> float:
    """Scale all gradients by min(1, max_norm / (total_norm + 1e-6)), in place, as PyTorch does.

    The direction of the full gradient is kept; only its length is capped at about ``max_norm``.

    Args:
        parameters: one Parameter or an iterable of them; each ``.grad`` (any shape) is rescaled in place.
        max_norm: the largest total norm allowed.
        norm_type: p of the p-norm (2.0 default), or 'inf'.
        error_if_nonfinite: raise a ValueError if the total norm is nan or inf (else the grads become nan).
    Returns:
        The total norm of the gradients *before* clipping, a Python float.
    """
    params = as_parameter_list(parameters, "clip_grad_norm_")
    max_norm = float(max_norm)
    if max_norm < 0:
        raise ValueError(f"clip_grad_norm_: expected max_norm >= 0, got {max_norm}")
    total = total_grad_norm(params, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise ValueError(f"clip_grad_norm_: expected a finite total gradient norm (norm_type={norm_type}), got "
                         f"{total}; set error_if_nonfinite=False to clip anyway")
    coef = min(1.0, max_norm / (total + 1e-6))
    with np.errstate(invalid="ignore"):  # an inf norm gives coef 0 and inf * 0 = nan, as in PyTorch
        for param in params:
            param.grad *= param.grad.dtype.type(coef)
    return total


def clip_grad_value_(parameters: Iterable[Parameter] | Parameter, clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value], in place.

    Args:
        parameters: one Parameter or an iterable of them; each ``.grad`` (any shape) is clamped.
        clip_value: a positive bound.
    """
    params = as_parameter_list(parameters, "clip_grad_value_")
    clip_value = float(clip_value)
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: expected clip_value >= 0, got {clip_value}")
    for param in params:
        np.clip(param.grad, -clip_value, clip_value, out=param.grad)
