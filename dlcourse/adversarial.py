"""Adversarial examples: small changes to an input, chosen to raise the loss, that change a model's answer.

Both attacks stay inside the L-infinity ball |x_adv - x|_max <= epsilon and inside the valid range [0, 1] of an
image:

- FGSM (fast gradient sign method): one step of size epsilon along sign(dL/dx), the best first-order move in that
  ball, since a linear approximation of the loss rises by epsilon * sum |dL/dx| there.
- PGD (projected gradient descent, here ascent): ``num_steps`` smaller signed steps of ``step_size``, each followed by
  a projection back into the ball (a clip), optionally from a random start inside it. A stronger attack than FGSM.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from dlcourse.validate import check_non_negative, check_positive_int, check_rng

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def loss_gradient(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor,
                  loss_fn: Loss = torch.nn.functional.cross_entropy) -> torch.Tensor:
    """dL/dx of the summed loss, so each example's gradient is its own (not divided by N).

    Args:
        model: maps (N, ...) to logits.
        x: (N, ...) inputs.
        y: (N,) targets for loss_fn.
        loss_fn: loss(logits, y) -> scalar; the default is cross-entropy with class indices.
    Returns:
        (N, ...) gradient.
    """
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(loss_fn(model(x), y, reduction="sum"), x)
    return grad


def fgsm(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, epsilon: float, *,
         loss_fn: Loss = torch.nn.functional.cross_entropy, clamp: tuple[float, float] | None = (0.0, 1.0)
         ) -> torch.Tensor:
    """x + epsilon * sign(dL/dx), clipped to ``clamp``.

    Args:
        model: maps (N, ...) to logits.
        x: (N, ...) inputs.
        y: (N,) true targets.
        epsilon: the L-infinity budget (>= 0).
        loss_fn: loss(logits, y, reduction=...) to raise.
        clamp: (low, high) valid input range, or None for none.
    Returns:
        (N, ...) adversarial inputs.
    """
    epsilon = check_non_negative(epsilon, "fgsm", "epsilon")
    x_adv = x.detach() + epsilon * loss_gradient(model, x, y, loss_fn).sign()
    return x_adv.clamp(*clamp) if clamp is not None else x_adv


def pgd(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, epsilon: float, *, step_size: float,
        num_steps: int = 10, random_start: bool = True, loss_fn: Loss = torch.nn.functional.cross_entropy,
        clamp: tuple[float, float] | None = (0.0, 1.0), rng: np.random.Generator | None = None) -> torch.Tensor:
    """Projected gradient ascent on the loss inside the epsilon-ball around x.

    Args:
        model: maps (N, ...) to logits.
        x: (N, ...) inputs.
        y: (N,) true targets.
        epsilon: the L-infinity budget (>= 0).
        step_size: size of each signed step (epsilon / 4 is a common choice).
        num_steps: number of steps.
        random_start: start from a uniform random point of the ball (needs rng) instead of x.
        loss_fn: loss(logits, y, reduction=...) to raise.
        clamp: (low, high) valid input range, or None.
        rng: np.random.Generator for the random start (None: a fresh unseeded one).
    Returns:
        (N, ...) adversarial inputs.
    """
    epsilon = check_non_negative(epsilon, "pgd", "epsilon")
    step_size = check_non_negative(step_size, "pgd", "step_size")
    num_steps = check_positive_int(num_steps, "pgd", "num_steps")
    x = x.detach()
    x_adv = x.clone()
    if random_start:
        start = check_rng(rng, "pgd").uniform(-epsilon, epsilon, size=tuple(x.shape))
        x_adv = x_adv + torch.as_tensor(start, dtype=x.dtype, device=x.device)
    for _ in range(num_steps):
        if clamp is not None:
            x_adv = x_adv.clamp(*clamp)
        x_adv = x_adv + step_size * loss_gradient(model, x_adv, y, loss_fn).sign()
        x_adv = torch.minimum(torch.maximum(x_adv, x - epsilon), x + epsilon)  # project onto the ball
    return x_adv.clamp(*clamp) if clamp is not None else x_adv
