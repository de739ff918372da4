"""Adam and AdamW, as torch.optim.Adam and torch.optim.AdamW.

    g <- -g                                              (maximize)
    g <- g + weight_decay * p                            (Adam: L2 penalty inside the gradient)
    p <- p * (1 - lr * weight_decay)                     (AdamW: decoupled decay, outside the moments)
    m <- m + (1 - beta1) * (g - m)                       (running mean of gradients)
    v <- beta2 * v + (1 - beta2) * g^2                   (running mean of squared gradients)
    v_max <- max(v_max, v),  use v_max for v             (amsgrad)
    p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
The factors 1 - beta^t undo the bias of moments that start at zero.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from dlcourse.nn.module import Parameter
from dlcourse.optim.optimizer import Optimizer
from dlcourse.validate import check_non_negative, check_unit_interval


def adam_step(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray, step: int, *,
              lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
              weight_decay: float = 0.0, decoupled_weight_decay: bool = False, amsgrad: bool = False,
              max_exp_avg_sq: np.ndarray | None = None,
              maximize: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """One Adam (or AdamW, with ``decoupled_weight_decay``) update of one parameter (nothing modified in place).

    Args:
        param: the current values, any shape.
        grad: d loss / d param, the same shape.
        exp_avg: m, the running mean of gradients (zeros before the first step), the same shape.
        exp_avg_sq: v, the running mean of squared gradients (zeros before the first step), the same shape.
        step: t, the number of this update (1 for the first).
        max_exp_avg_sq: the largest v so far, used with amsgrad (None before the first step means zeros).
        lr: the step size.
        betas: (beta1, beta2), the decays of m and v.
        eps: added to the root of v so the division stays finite.
        weight_decay: the factor of p added to g (Adam) or the shrink rate per unit of lr (AdamW).
        decoupled_weight_decay: AdamW's decay, applied to p outside the moments.
        amsgrad: divide by the largest v so far instead of v.
        maximize: step uphill (g <- -g).
    Returns:
        (new_param, exp_avg, exp_avg_sq, max_exp_avg_sq), each of param's shape (the last None without amsgrad).
    """
    beta1, beta2 = betas
    if maximize:
        grad = -grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            param = param * (1 - lr * weight_decay)
        else:
            grad = grad + weight_decay * param
    exp_avg = exp_avg + (1 - beta1) * (grad - exp_avg)
    exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
    second_moment = exp_avg_sq
    if amsgrad:
        max_exp_avg_sq = exp_avg_sq if max_exp_avg_sq is None else np.maximum(max_exp_avg_sq, exp_avg_sq)
        second_moment = max_exp_avg_sq  # never let the denominator shrink, so steps never grow back
    step_size = lr / (1 - beta1**step)
    denom = np.sqrt(second_moment) / (1 - beta2**step) ** 0.5 + eps
    return param - step_size * (exp_avg / denom), exp_avg, exp_avg_sq, max_exp_avg_sq


class Adam(Optimizer):
    """Adam (see the module docstring for the rule).

    Args:
        params: Parameters or param groups.
        lr: step size (default 1e-3).
        betas: (beta1, beta2), the decays of the two running means.
        eps: keeps the division finite.
        weight_decay: L2 penalty coefficient (added to the gradient).
        amsgrad: divide by the largest second moment seen so far.
        maximize: ascend instead.
        decoupled_weight_decay: shrink the weights directly, as AdamW does.
    State per parameter: ``"step"`` (int), ``"exp_avg"``, ``"exp_avg_sq"`` and, with amsgrad, ``"max_exp_avg_sq"``.
    """

    def __init__(self, params: Iterable[Parameter] | Iterable[dict], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 amsgrad: bool = False, *, maximize: bool = False, decoupled_weight_decay: bool = False):
        where = type(self).__name__
        check_non_negative(lr, where, "lr")
        check_non_negative(eps, where, "eps")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{where}: expected betas to be a pair (beta1, beta2), got {betas!r}")
        check_unit_interval(betas[0], where, "betas[0]")
        check_unit_interval(betas[1], where, "betas[1]")
        check_non_negative(weight_decay, where, "weight_decay")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _update(self, param: Parameter, grad: np.ndarray, state: dict, group: dict) -> np.ndarray:
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(param.data), exp_avg_sq=np.zeros_like(param.data))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param.data)
        state["step"] += 1
        new_param, state["exp_avg"], state["exp_avg_sq"], max_sq = adam_step(
            param.data, grad, state["exp_avg"], state["exp_avg_sq"], state["step"], lr=group["lr"],
            betas=group["betas"], eps=group["eps"], weight_decay=group["weight_decay"],
            decoupled_weight_decay=group["decoupled_weight_decay"], amsgrad=group["amsgrad"],
            max_exp_avg_sq=state.get("max_exp_avg_sq"), maximize=group["maximize"])
        if max_sq is not None:
            state["max_exp_avg_sq"] = max_sq
        return new_param


class AdamW(Adam):
    """Adam with decoupled weight decay: the weights shrink by ``lr * weight_decay`` each step, outside the moments.

    Args:
        params: as Adam.
        lr: as Adam.
        betas: as Adam.
        eps: as Adam.
        weight_decay: the decay rate per unit of lr (default 1e-2), always decoupled.
        amsgrad: as Adam.
        maximize: as Adam.
    """

    def __init__(self, params: Iterable[Parameter] | Iterable[dict], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
