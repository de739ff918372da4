"""Training curves: loss and every metric per epoch, training beside validation, the best epoch marked.

``History.plot()`` (from ``dlcourse.training.fit`` or ``dlcourse.torch.fit``) calls ``plot_history``; it also takes a
plain dict such as ``{"loss": [...], "val_loss": [...]}``, so hand-written loops can draw the same picture.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np

if TYPE_CHECKING:  # names used only in annotations
    from dlcourse.history import History


def _columns(history) -> tuple[list[int], dict[str, list[float]], int | None]:
    """(epochs, {key: values}, best epoch or None) from a History or a dict of equal-length lists."""
    if hasattr(history, "as_dict"):
        columns, best = history.as_dict(), history.best_epoch
    elif isinstance(history, Mapping):
        columns, best = {key: list(values) for key, values in history.items()}, None
    else:
        raise TypeError(f"plot_history: expected a History or a dict of lists, got {type(history).__name__}")
    lengths = {key: len(values) for key, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"plot_history: expected one value per epoch in every column, got lengths {lengths}")
    epochs = columns.pop("epoch", None) or list(range(1, next(iter(lengths.values()), 0) + 1))
    if "loss" not in columns and "val_loss" not in columns:
        raise ValueError(f"plot_history: expected a 'loss' or 'val_loss' column, got {sorted(columns)}")
    return epochs, columns, best


def _panels(columns: Mapping[str, list[float]]) -> list[str]:
    """The quantities that get a panel each: the loss first, then the metrics; lr only when it changed."""
    names = [key.removeprefix("val_") for key in columns if key not in ("lr", "epoch")]
    panels = list(dict.fromkeys(["loss", *names]))
    lr = columns.get("lr")
    if lr is not None and len(set(lr)) > 1:
        panels.append("lr")
    return panels


def plot_history(history: History | dict, *, axes: Sequence[plt.Axes] | None = None, title: str | None = None
                 ) -> np.ndarray:
    """Draw one panel per quantity (loss, each metric, and the learning rate when a scheduler changed it).

    Args:
        history: a dlcourse History, or a dict {"loss": [...], "val_loss": [...], "accuracy": [...], ...} with one
            value per epoch (an optional "epoch" list gives the x values).
        axes: Axes to draw into, one per panel; None makes a new figure.
        title: the figure's title.
    Returns:
        A 1-D array of the Axes (``axes[0].figure`` is the figure). Returning the Axes rather than the Figure keeps
        Jupyter from showing the picture twice.
    """
    epochs, columns, best = _columns(history)
    panels = _panels(columns)
    if axes is None:
        _, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.2), squeeze=False,
                               constrained_layout=True)
    axes = np.asarray(axes, dtype=object).reshape(-1)
    if len(axes) != len(panels):
        raise ValueError(f"plot_history: expected {len(panels)} axes for the panels {panels}, got {len(axes)}")
    for ax, name in zip(axes, panels, strict=True):
        for key, label, style in ((name, "train", "-"), ("val_" + name, "validation", "--")):
            if key in columns:
                ax.plot(epochs, columns[key], style, marker="o", markersize=3, label=label if name != "lr" else None)
        if best is not None:
            ax.axvline(best, color="gray", linestyle=":", linewidth=1, label=f"best epoch ({best})")
        ax.set_xlabel("epoch")
        ax.set_ylabel("learning rate" if name == "lr" else name)
        if ax.get_legend_handles_labels()[1]:
            ax.legend(fontsize="small")
        ax.grid(alpha=0.3)
    if title:
        axes[0].figure.suptitle(title)
    return axes
