"""Adagrad, as torch.optim.Adagrad: each coordinate's step shrinks with the sum of its past squared gradients.

    g <- -g                                   (maximize)
    g <- g + weight_decay * p
    lr_t = lr / (1 + (t - 1) * lr_decay)      (t = 1, 2, ... counts the steps)
    s <- s + g^2
    p <- p - lr_t * g / (sqrt(s) + eps)
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from dlcourse.nn.module import Parameter
from dlcourse.optim.optimizer import Optimizer
from dlcourse.validate import check_non_negative


def adagrad_step(param: np.ndarray, grad: np.ndarray, state_sum: np.ndarray, step: int, *, lr: float = 1e-2,
                 lr_decay: float = 0.0, weight_decay: float = 0.0, eps: float = 1e-10,
                 maximize: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """One Adagrad update of one parameter (nothing is modified in place).

    Args:
        param: the current values, any shape.
        grad: d loss / d param, the same shape.
        state_sum: the running sum of squared gradients s, the same shape.
        step: t, the number of this update (1 for the first).
        lr: the base step size.
        lr_decay: how fast the step size falls: lr_t = lr / (1 + (t - 1) lr_decay).
        weight_decay: the factor of p added to g.
        eps: added to the root of s so the division stays finite.
        maximize: step uphill (g <- -g).
    Returns:
        new_param: param's shape and dtype.
        state_sum: the new sum, param's shape.
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad + weight_decay * param
    clr = lr / (1 + (step - 1) * lr_decay)
    state_sum = state_sum + grad * grad
    return param - clr * (grad / (np.sqrt(state_sum) + eps)), state_sum


class Adagrad(Optimizer):
    """Adagrad (see the module docstring for the rule).

    Args:
        params: Parameters or param groups.
        lr: base step size (default 1e-2).
        lr_decay: the step size falls as 1 / (1 + (t-1) lr_decay).
        weight_decay: L2 penalty coefficient.
        initial_accumulator_value: the starting s.
        eps: keeps the division finite.
        maximize: ascend instead.
    State per parameter: ``"step"`` (int) and ``"sum"`` (param's shape), created at construction as torch does.
    """

    def __init__(self, params: Iterable[Parameter] | Iterable[dict], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0, eps: float = 1e-10, *,
                 maximize: bool = False):
        for name, value in [("lr", lr), ("lr_decay", lr_decay), ("weight_decay", weight_decay),
                            ("initial_accumulator_value", initial_accumulator_value), ("eps", eps)]:
            check_non_negative(value, "Adagrad", name)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "maximize": maximize}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for param in group["params"]:
                self.state[param] = {"step": 0, "sum": np.full_like(param.data, group["initial_accumulator_value"])}

    def _update(self, param: Parameter, grad: np.ndarray, state: dict, group: dict) -> np.ndarray:
        if not state:  # a group added after construction
            state.update(step=0, sum=np.full_like(param.data, group["initial_accumulator_value"]))
        state["step"] += 1
        new_param, state["sum"] = adagrad_step(
            param.data, grad, state["sum"], state["step"], lr=group["lr"], lr_decay=group["lr_decay"],
            weight_decay=group["weight_decay"], eps=group["eps"], maximize=group["maximize"])
        return new_param
