"""Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay, as torch.optim.SGD.

    g <- -g                                      (maximize)
    g <- g + weight_decay * p                    (L2 penalty folded into the gradient)
    b <- g  on the first step,  else  b <- momentum * b + (1 - dampening) * g
    d <- g + momentum * b  (nesterov)   or   d <- b   (momentum > 0)   or   d <- g
    p <- p - lr * d
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from dlcourse.nn.module import Parameter
from dlcourse.optim.optimizer import Optimizer
from dlcourse.validate import check_non_negative


def sgd_step(param: np.ndarray, grad: np.ndarray, momentum_buffer: np.ndarray | None, *, lr: float,
             momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
             maximize: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """One SGD update of one parameter (nothing is modified in place).

    Args:
        param: the current values, any shape.
        grad: d loss / d param, the same shape.
        momentum_buffer: the velocity b from the previous step (same shape), or None before the first step.
        lr: the step size in p <- p - lr * d.
        momentum: the velocity's decay in b <- momentum * b + (1 - dampening) * g; 0 skips the velocity.
        dampening: how much less of g enters the velocity.
        weight_decay: the factor of p added to g.
        nesterov: step along g + momentum * b instead of b.
        maximize: step uphill (g <- -g).
    Returns:
        new_param: param's shape and dtype.
        momentum_buffer: the new velocity (param's shape), or None when momentum == 0.
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad + weight_decay * param
    if momentum != 0:
        if momentum_buffer is None:
            momentum_buffer = grad.copy()  # the first step starts the velocity at the gradient, undamped
        else:
            momentum_buffer = momentum * momentum_buffer + (1 - dampening) * grad
        grad = grad + momentum * momentum_buffer if nesterov else momentum_buffer
    return param - lr * grad, momentum_buffer


class SGD(Optimizer):
    """Stochastic gradient descent (see the module docstring for the rule).

    Args:
        params: Parameters or param groups.
        lr: step size (default 1e-3, as torch).
        momentum: velocity decay (0 = plain SGD).
        dampening: scales the gradient added to the velocity.
        weight_decay: L2 penalty coefficient.
        nesterov: look-ahead momentum (needs momentum > 0 and dampening 0).
        maximize: ascend instead.
    State per parameter: ``"momentum_buffer"`` (param's shape, or None).
    """

    def __init__(self, params: Iterable[Parameter] | Iterable[dict], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False, *,
                 maximize: bool = False):
        check_non_negative(lr, "SGD", "lr")
        check_non_negative(momentum, "SGD", "momentum")
        check_non_negative(weight_decay, "SGD", "weight_decay")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"SGD: expected momentum > 0 and dampening = 0 with nesterov=True, "
                             f"got momentum={momentum}, dampening={dampening}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def _update(self, param: Parameter, grad: np.ndarray, state: dict, group: dict) -> np.ndarray:
        new_param, state["momentum_buffer"] = sgd_step(
            param.data, grad, state.get("momentum_buffer"), lr=group["lr"], momentum=group["momentum"],
            dampening=group["dampening"], weight_decay=group["weight_decay"], nesterov=group["nesterov"],
            maximize=group["maximize"])
        return new_param
