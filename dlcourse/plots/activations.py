"""Figures for activation functions: curves beside their derivatives, and histograms of a network's activations
layer by layer (where saturation and dead units show).

The numbers come from dlcourse.nn layers: f(x) is ``layer(x)`` and f'(x) is ``layer.backward(ones)``, the
vector-Jacobian product with ones, which for an elementwise function is its derivative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def plot_activations(layers: Mapping, *, x_range: float = 4.0, num_points: int = 401,
                     axes: Sequence[plt.Axes] | None = None) -> np.ndarray:
    """Draw every activation in one panel and every derivative in a second.

    Args:
        layers: {label: elementwise dlcourse.nn layer}, e.g. {"ReLU": nn.ReLU(), "tanh": nn.Tanh()}.
        x_range: the curves cover [-x_range, x_range].
        num_points: P, samples along x.
        axes: two Axes to draw into; None makes a new figure.
    Returns:
        The (2,) array of Axes: functions, derivatives (returning Axes keeps Jupyter from drawing twice).
    """
    if not layers:
        raise ValueError("plot_activations: expected at least one layer, got none")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    axes = np.asarray(axes, dtype=object).reshape(-1)
    x = np.linspace(-x_range, x_range, num_points)  # (P,)
    for label, layer in layers.items():
        y = layer(x)
        dy = layer.backward(np.ones_like(y))
        axes[0].plot(x, y, label=label, lw=1.8)
        axes[1].plot(x, dy, label=label, lw=1.8)
    for ax, title in zip(axes, ("f(x)", "f'(x)"), strict=True):
        ax.axhline(0, color="gray", lw=0.5)
        ax.axvline(0, color="gray", lw=0.5)
        ax.set_title(title)
        ax.set_xlabel("x")
    axes[0].legend(fontsize="small")
    return axes


def plot_layer_histograms(activations: Mapping[str, list], *, bins: int = 50, axes: Sequence[plt.Axes] | None = None
                          ) -> np.ndarray:
    """One row per network, one panel per layer: the histogram of that layer's outputs over a batch.

    Args:
        activations: {label: [layer 1 output, layer 2 output, ...]}, each an (N, M) array; every network must have the
            same number L of layers.
        bins: histogram bins per panel.
        axes: an (R, L) grid of Axes; None makes a new figure.
    Returns:
        The (R, L) array of Axes.
    """
    depths = {label: len(outputs) for label, outputs in activations.items()}
    if not depths or len(set(depths.values())) != 1 or 0 in depths.values():
        raise ValueError(f"plot_layer_histograms: expected the same number (>= 1) of layers per network, got {depths}")
    rows, cols = len(depths), next(iter(depths.values()))
    if axes is None:
        _, axes = plt.subplots(rows, cols, figsize=(1.5 * cols, 1.4 * rows), squeeze=False, constrained_layout=True)
    axes = np.asarray(axes, dtype=object).reshape(rows, cols)
    for row, (label, outputs) in enumerate(activations.items()):
        for col, out in enumerate(outputs):
            ax = axes[row, col]
            ax.hist(np.ravel(out), bins=bins, color=f"C{row}", histtype="stepfilled")  # one patch: fast to draw
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f"layer {col + 1}", fontsize="small")
            if col == 0:
                ax.set_ylabel(label)
    return axes
