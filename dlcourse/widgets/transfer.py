"""The transfer explorer: how many labelled examples per class, and how many pretrained blocks kept frozen, against
the accuracy reached on a target task, from results the chapter precomputes on a small grid (training is far too
slow to redo on every slider move).

Left panel: accuracy against the number of labelled examples per class (log axis) for the chosen number of frozen
blocks, with training from scratch for comparison; the chosen label count is marked. Right panel: at the chosen label
count, accuracy against the number of frozen blocks (0 = fine-tune everything), with scratch as a dashed line.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from ipywidgets import Layout

from dlcourse.widgets.base import Explorer


class TransferExplorer(Explorer):
    """Two panels driven by two sliders: ``examples`` (labelled examples per class) and ``frozen`` (blocks frozen).

    Args:
        counts: (n_counts,) increasing labelled examples per class of the grid.
        frozen: (n_frozen,) increasing numbers of frozen blocks of the grid.
        accuracy: (n_frozen, n_counts) test accuracy of the pretrained network with frozen[i] blocks frozen,
            trained on counts[j] examples per class.
        scratch: (n_counts,) test accuracy of the same network trained from a random start.
        title: what the grid is about (shown above the panels).
        ylabel: what the accuracy was measured on, e.g. "validation accuracy".
    """

    def __init__(self, counts: np.ndarray, frozen: np.ndarray, accuracy: np.ndarray, scratch: np.ndarray,
                 title: str = "target task", ylabel: str = "accuracy"):
        self.counts = np.asarray(counts, dtype=np.int64)
        self.frozen = np.asarray(frozen, dtype=np.int64)
        self.accuracy = np.asarray(accuracy, dtype=np.float64)
        self.scratch = np.asarray(scratch, dtype=np.float64)
        if self.counts.ndim != 1 or self.frozen.ndim != 1 or len(self.counts) < 2 or len(self.frozen) < 1:
            raise ValueError(f"TransferExplorer: expected 1-D counts (at least 2) and frozen, got shapes "
                             f"{self.counts.shape} and {self.frozen.shape}")
        if self.accuracy.shape != (len(self.frozen), len(self.counts)) or self.scratch.shape != self.counts.shape:
            raise ValueError(f"TransferExplorer: expected accuracy of shape {(len(self.frozen), len(self.counts))} "
                             f"and scratch of shape {self.counts.shape}, got {self.accuracy.shape} and "
                             f"{self.scratch.shape}")
        self.title, self.ylabel = title, ylabel
        # the long description takes ~250 px: 620 px leave a track of more than 300 px to drag on a projector
        slider = {"continuous_update": True, "style": {"description_width": "initial"}, "layout": Layout(width="620px")}
        self.controls = {
            "examples": widgets.SelectionSlider(options=[int(c) for c in self.counts], value=int(self.counts[0]),
                                                description="labelled examples per class", **slider),
            "frozen": widgets.SelectionSlider(options=[int(f) for f in self.frozen], value=int(self.frozen[-1]),
                                              description="frozen blocks", **slider),
        }
        self._make_figure()
        self._start()

    def _make_figure(self) -> None:
        self.figure, (self.ax_curve, self.ax_frozen) = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
        (self.curve,) = self.ax_curve.plot(self.counts, self.accuracy[-1], "o-", label="pretrained")
        self.ax_curve.plot(self.counts, self.scratch, "s--", color="grey", label="from scratch")
        self.marker = self.ax_curve.axvline(self.counts[0], color="black", linewidth=0.8)
        self.ax_curve.set_xscale("log")
        self.ax_curve.set_xlabel("labelled examples per class")
        self.ax_curve.set_ylabel(self.ylabel)
        self.ax_curve.legend(loc="lower right")
        (self.bars,) = self.ax_frozen.plot(self.frozen, self.accuracy[:, 0], "o-")
        self.scratch_line = self.ax_frozen.axhline(self.scratch[0], color="grey", linestyle="--", label="from scratch")
        self.ax_frozen.set_xticks(self.frozen)
        self.ax_frozen.set_xlabel("frozen blocks (0 = fine-tune everything)")
        self.ax_frozen.legend(loc="lower right")
        low = min(self.accuracy.min(), self.scratch.min())
        for ax in (self.ax_curve, self.ax_frozen):
            ax.set_ylim(max(0.0, low - 0.05), 1.01)
            ax.grid(alpha=0.3)

    def redraw(self, examples: int, frozen: int) -> None:
        row = int(np.flatnonzero(self.frozen == frozen)[0])
        column = int(np.flatnonzero(self.counts == examples)[0])
        self.shown_curve = self.accuracy[row]  # what the left panel plots, for tests and readers
        self.shown_by_frozen = self.accuracy[:, column]
        self.curve.set_ydata(self.shown_curve)
        self.curve.set_label(f"pretrained, {frozen} blocks frozen")
        self.ax_curve.legend(loc="lower right")
        self.marker.set_xdata([examples, examples])
        self.bars.set_ydata(self.shown_by_frozen)
        self.scratch_line.set_ydata([self.scratch[column]] * 2)
        gain = self.accuracy[row, column] - self.scratch[column]
        self.summary = (f"{examples} examples per class, {frozen} blocks frozen: accuracy "
                        f"{self.accuracy[row, column]:.3f}, from scratch {self.scratch[column]:.3f} "
                        f"({'+' if gain >= 0 else ''}{gain:.3f})")
        self.ax_curve.set_title(f"{self.title}: accuracy against labels", fontsize=10)
        self.ax_frozen.set_title(f"at {examples} examples per class", fontsize=10)
        self.figure.suptitle(self.summary, fontsize=10)


def transfer_explorer(counts: np.ndarray, frozen: np.ndarray, accuracy: np.ndarray, scratch: np.ndarray,
                      **kwargs: Any) -> TransferExplorer:
    """Sliders over a precomputed grid: labelled examples per class and frozen blocks against accuracy.

    Arguments as TransferExplorer. In Jupyter, leave it as the last expression of a cell; without a browser, set
    ``explorer.controls["examples"].value`` and read ``explorer.shown_curve``, ``explorer.summary``.
    """
    return TransferExplorer(counts, frozen, accuracy, scratch, **kwargs)
