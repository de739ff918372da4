"""Learning-rate schedules, as torch.optim.lr_scheduler: call ``scheduler.step()`` once per epoch, after
``optimizer.step()``; it rewrites every param group's ``"lr"``.

Like torch, each schedule is computed *recursively* from the current lr (so a schedule composes with anyone else
who changes the lr) and the sequence equals torch's to the last bit. The closed forms, for reference:

    StepLR:            lr_e = base_lr * gamma ** (e // step_size)
    ExponentialLR:     lr_e = base_lr * gamma ** e
    CosineAnnealingLR: lr_e = eta_min + (base_lr - eta_min) * (1 + cos(pi * e / T_max)) / 2
"""

from __future__ import annotations

import math

from dlcourse.optim.optimizer import Optimizer
from dlcourse.validate import check_non_negative, check_positive_int


class LRScheduler:
    """Base class: remembers each group's starting lr (``base_lrs``) and counts epochs in ``last_epoch``.

    Args:
        optimizer: the Optimizer whose param groups' ``"lr"`` this schedule sets.
        last_epoch: -1 to start fresh (the constructor then performs step 0); a larger value resumes a schedule,
            and needs ``"initial_lr"`` in every param group, as torch does.
    Subclasses implement ``get_lr()``: the next lr of every group, from the current ones.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected a dlcourse.optim Optimizer, "
                            f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for index, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"{type(self).__name__}: expected 'initial_lr' in param_groups[{index}] "
                               f"to resume at last_epoch={last_epoch}, got none")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True  # the constructor's step only records the starting lr (torch's _initial_step)
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        raise NotImplementedError(f"{type(self).__name__} does not implement get_lr")

    def step(self) -> None:
        """Advance one epoch and write the new lr into every param group."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The lr of every param group after the latest ``step()``."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """Everything but the optimizer (which saves itself)."""
        return {key: value for key, value in vars(self).items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what state_dict() returned.

        Args:
            state_dict: from state_dict().
        """
        vars(self).update(state_dict)

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs.

    Args:
        optimizer: whose lr to set.
        step_size: epochs between decays.
        gamma: the factor (default 0.1).
        last_epoch: -1 to start fresh.
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        self.step_size = check_positive_int(step_size, "StepLR", "step_size")
        self.gamma = check_non_negative(gamma, "StepLR", "gamma")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch.

    Args:
        optimizer: whose lr to set.
        gamma: the factor per epoch.
        last_epoch: -1 to start fresh.
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = check_non_negative(gamma, "ExponentialLR", "gamma")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from the starting lr down to ``eta_min`` over ``T_max`` epochs, then back up (and so on).

    Args:
        optimizer: whose lr to set.
        T_max: epochs from the top to the bottom.
        eta_min: the lowest lr.
        last_epoch: -1 to start fresh.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):  # noqa: N803
        self.T_max = check_positive_int(T_max, "CosineAnnealingLR", "T_max")
        self.eta_min = check_non_negative(eta_min, "CosineAnnealingLR", "eta_min")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        epoch, t_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and epoch > 0:  # resuming: jump straight to the closed form
            return [eta_min + (base - eta_min) * (1 + math.cos(epoch * math.pi / t_max)) / 2 for base in self.base_lrs]
        if (epoch - 1 - t_max) % (2 * t_max) == 0:
            # leaving the bottom of a cycle: the ratio form below would divide by zero there
            return [lr + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
                    for base, lr in zip(self.base_lrs, self._current_lrs(), strict=True)]
        ratio = (1 + math.cos(math.pi * epoch / t_max)) / (1 + math.cos(math.pi * (epoch - 1) / t_max))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]
