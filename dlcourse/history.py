"""What a training run remembers: the per-epoch ``History`` and the ``EarlyStopping`` rule that reads it.

Both training loops (``dlcourse.training.fit`` for NumPy models, ``dlcourse.torch.fit`` for torch ones) use them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from dlcourse.validate import check_choice, check_positive_int


class EarlyStopping:
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs in a row.

    Args:
        patience: epochs without improvement to tolerate (>= 1).
        min_delta: the smallest change that counts.
        mode: "min" (losses) or "max" (accuracies).
        restore_best: at the end of fit, load the best epoch's weights.
        monitor: the History key to watch, "val_loss" by default ("loss" watches the training loss).
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0, mode: str = "min", restore_best: bool = True, *,
                 monitor: str = "val_loss"):
        self.patience = check_positive_int(patience, "EarlyStopping", "patience")
        if not min_delta >= 0:
            raise ValueError(f"EarlyStopping: expected min_delta >= 0, got {min_delta}")
        self.min_delta, self.restore_best, self.monitor = float(min_delta), restore_best, monitor
        self.mode = check_choice(mode, ("min", "max"), "EarlyStopping", "mode")
        self.reset()

    def reset(self) -> None:
        """Forget the previous run (fit calls this first)."""
        self.best, self.best_epoch, self.best_state, self.wait = None, None, None, 0

    def improved(self, value: float) -> bool:
        """Whether ``value`` beats the best so far by more than min_delta (any finite value beats none).

        Args:
            value: this epoch's monitored quantity.
        """
        if self.best is None:
            return bool(np.isfinite(value))
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def update(self, value: float, epoch: int, snapshot: Callable[[], object] | None = None) -> bool:
        """Record one epoch's ``value``; call ``snapshot()`` (the weights) when it is the best so far.

        Returns:
            True when training should stop.
        """
        if self.improved(value):
            self.best, self.best_epoch, self.wait = float(value), epoch, 0
            if self.restore_best and snapshot is not None:
                self.best_state = snapshot()
            return False
        self.wait += 1
        return self.wait >= self.patience

    def __repr__(self) -> str:
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, mode={self.mode!r}, "
                f"restore_best={self.restore_best}, monitor={self.monitor!r})")


class History:
    """One row per epoch: ``history["loss"]``, ``history["val_loss"]``, ``history["accuracy"]``, ``history["lr"]``...

    Attributes:
        epochs: the epoch numbers, from 1. monitor, mode: what "best" means ("val_loss"/"min" by default).
        stopped_epoch: the epoch early stopping ended the run at, or None.
        restored_epoch: the epoch whose weights the model holds after fit restored the best, or None.
    """

    def __init__(self, monitor: str = "loss", mode: str = "min"):
        self.epochs: list[int] = []
        self._columns: dict[str, list[float]] = {}
        self.monitor, self.mode = monitor, mode
        self.stopped_epoch: int | None = None
        self.restored_epoch: int | None = None

    def append(self, epoch: int, row: Mapping[str, float]) -> None:
        """Record one epoch.

        Args:
            epoch: its number, counting from 1.
            row: {column: value}, e.g. {"loss": 0.3, "val_loss": 0.4}.
        """
        self.epochs.append(epoch)
        for key, value in row.items():
            self._columns.setdefault(key, []).append(float(value))

    def __getitem__(self, key: str) -> list[float]:
        if key not in self._columns:
            raise KeyError(f"History: expected one of {self.keys()}, got {key!r}")
        return self._columns[key]

    def __contains__(self, key: str) -> bool:
        return key in self._columns

    def keys(self) -> list[str]:
        return list(self._columns)

    def __len__(self) -> int:
        return len(self.epochs)

    def as_dict(self) -> dict[str, list]:
        """{"epoch": [...], "loss": [...], ...}, copies (``pandas.DataFrame(history.as_dict())`` makes a table)."""
        return {"epoch": list(self.epochs), **{key: list(values) for key, values in self._columns.items()}}

    @property
    def best_epoch(self) -> int | None:
        """The epoch with the best ``monitor`` value (the first one on ties), or None before any epoch."""
        if self.monitor not in self._columns:
            return None
        values = np.asarray(self._columns[self.monitor], dtype=np.float64)
        values = np.where(np.isnan(values), np.inf if self.mode == "min" else -np.inf, values)
        return self.epochs[int(np.argmin(values) if self.mode == "min" else np.argmax(values))]

    def plot(self, **kwargs: Any) -> np.ndarray:
        """Loss and metric curves, train and validation; see ``dlcourse.plots.curves.plot_history``."""
        from dlcourse.plots.curves import plot_history  # matplotlib loads only when a curve is drawn

        return plot_history(self, **kwargs)

    def __repr__(self) -> str:
        last = ", ".join(f"{key}={values[-1]:.4g}" for key, values in self._columns.items() if key != "lr")
        return f"History(epochs={len(self)}, {last}, best_epoch={self.best_epoch})" if self.epochs else "History()"
