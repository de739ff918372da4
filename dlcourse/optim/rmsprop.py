"""RMSprop, as torch.optim.RMSprop: divide each coordinate's step by a running root-mean-square of its gradients.

    g <- -g                                     (maximize)
    g <- g + weight_decay * p
    v <- alpha * v + (1 - alpha) * g^2          (running mean of squares)
    m <- m + (1 - alpha) * (g - m)              (centered only: running mean of gradients)
    r = sqrt(v - m^2) + eps  (centered)   or   sqrt(v) + eps
    b <- momentum * b + g / r,  p <- p - lr * b     (momentum > 0)
    p <- p - lr * g / r                             (momentum = 0)
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from dlcourse.nn.module import Parameter
from dlcourse.optim.optimizer import Optimizer
from dlcourse.validate import check_non_negative


def rmsprop_step(param: np.ndarray, grad: np.ndarray, square_avg: np.ndarray, *, lr: float = 1e-2,
                 alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, momentum_buffer: np.ndarray | None = None,
                 grad_avg: np.ndarray | None = None,
                 maximize: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """One RMSprop update of one parameter (nothing is modified in place).

    Args:
        param: the current values, any shape.
        grad: d loss / d param, the same shape.
        square_avg: v, the running mean of squared gradients (zeros before the first step), the same shape.
        momentum_buffer: b, used when momentum > 0 (None before the first step means zeros).
        grad_avg: m, used when centered (None before the first step means zeros).
        lr: the step size.
        alpha: the decay of v.
        eps: added to the root r so the division stays finite.
        weight_decay: the factor of p added to g.
        momentum: the decay of the velocity b; 0 steps along g / r directly.
        centered: divide by the root of the variance v - m^2 instead of v.
        maximize: step uphill (g <- -g).
    Returns:
        (new_param, square_avg, momentum_buffer, grad_avg), each of param's shape (the last two None when unused).
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad + weight_decay * param
    square_avg = alpha * square_avg + (1 - alpha) * grad * grad
    if centered:
        grad_avg = np.zeros_like(grad) if grad_avg is None else grad_avg
        grad_avg = grad_avg + (1 - alpha) * (grad - grad_avg)
        # subtracting the squared mean turns the second moment into a variance estimate
        rms = np.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        rms = np.sqrt(square_avg) + eps
    if momentum > 0:
        momentum_buffer = np.zeros_like(grad) if momentum_buffer is None else momentum_buffer
        momentum_buffer = momentum * momentum_buffer + grad / rms
        return param - lr * momentum_buffer, square_avg, momentum_buffer, grad_avg
    return param - lr * (grad / rms), square_avg, momentum_buffer, grad_avg


class RMSprop(Optimizer):
    """RMSprop (see the module docstring for the rule).

    Args:
        params: Parameters or param groups.
        lr: step size (default 1e-2).
        alpha: decay of the running mean of squares.
        eps: keeps the division finite.
        weight_decay: L2 penalty coefficient.
        momentum: velocity decay.
        centered: normalise by the variance.
        maximize: ascend instead.
    State per parameter: ``"step"``, ``"square_avg"``, and ``"momentum_buffer"`` / ``"grad_avg"`` when used.
    """

    def __init__(self, params: Iterable[Parameter] | Iterable[dict], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False):
        for name, value in [("lr", lr), ("eps", eps), ("momentum", momentum), ("weight_decay", weight_decay),
                            ("alpha", alpha)]:
            check_non_negative(value, "RMSprop", name)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _update(self, param: Parameter, grad: np.ndarray, state: dict, group: dict) -> np.ndarray:
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param.data)
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(param.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param.data)
        state["step"] += 1
        new_param, state["square_avg"], buf, avg = rmsprop_step(
            param.data, grad, state["square_avg"], lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
            weight_decay=group["weight_decay"], momentum=group["momentum"], centered=group["centered"],
            momentum_buffer=state.get("momentum_buffer"), grad_avg=state.get("grad_avg"), maximize=group["maximize"])
        if buf is not None:
            state["momentum_buffer"] = buf
        if avg is not None:
            state["grad_avg"] = avg
        return new_param
