"""Pictures of 2-D classification: the data as coloured points, and the regions a classifier assigns to each class.

``plot_decision_boundary(predict, X, y)`` works for any model: ``predict`` only has to map a (G, 2) array of points
to labels (G,), class scores (G, K) or one score per point (G,). A NumPy module, a torch model wrapped in a lambda,
or a hand-written rule all fit. One score per point means class 1 where ``score > threshold`` (strictly, as the
perceptron's ``w.x + b > 0``).
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from numpy.typing import ArrayLike, DTypeLike

# the same colour for class k everywhere in the course: points and regions
CLASS_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf"]


def _check_points(X, where: str) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"{where}: expected X of shape (N, 2) with N >= 1, got shape {X.shape}")
    return X


def _new_axes(ax, title: str | None):
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4), constrained_layout=True)
    if title:
        ax.set_title(title)
    return ax


def plot_dataset(X: ArrayLike, y: ArrayLike | None = None, *, ax: plt.Axes | None = None, title: str | None = None,
                 size: float = 18, marker: str = "o") -> plt.Axes:
    """Scatter 2-D points, one colour per class.

    Args:
        X: (N, 2) points.
        y: (N,) integer labels 0..K-1, or None (one colour).
        ax: Axes to draw into; None makes a new figure.
        title: the Axes' title.
        size: of the points.
        marker: of the points.
    Returns:
        The Axes.
    """
    X = _check_points(X, "plot_dataset")
    ax = _new_axes(ax, title)
    if y is None:
        ax.scatter(X[:, 0], X[:, 1], s=size, marker=marker, color="0.3", edgecolors="white", linewidths=0.5)
        return ax
    y = np.asarray(y).reshape(-1)
    if len(y) != len(X):
        raise ValueError(f"plot_dataset: expected y of shape ({len(X)},) to match X, got {np.shape(y)}")
    for k in np.unique(y):  # one scatter per class (K calls), so the legend names each class
        mask = y == k
        ax.scatter(X[mask, 0], X[mask, 1], s=size, marker=marker, color=CLASS_COLORS[int(k) % len(CLASS_COLORS)],
                   edgecolors="white", linewidths=0.5, label=f"class {k}")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def grid_points(X: ArrayLike, *, resolution: int = 200, padding: float = 0.5
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A regular grid covering the data plus a margin.

    Args:
        X: (N, 2) points.
        resolution: R points per axis.
        padding: margin added on every side, in data units.
    Returns:
        xx, yy: (R, R) coordinates (as np.meshgrid). points: (R*R, 2), the grid as rows for a predict function.
    """
    X = _check_points(X, "grid_points")
    low, high = X.min(axis=0) - padding, X.max(axis=0) + padding
    xx, yy = np.meshgrid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))
    return xx, yy, np.stack([xx.ravel(), yy.ravel()], axis=1)  # (R, R) x 2 -> (R*R, 2)


def _to_numpy(out) -> np.ndarray:
    if hasattr(out, "detach"):  # a torch model's output
        out = out.detach().cpu().numpy()
    return np.asarray(out)


def predict_grid(predict: Callable, X: ArrayLike, *, resolution: int = 200, padding: float = 0.5,
                 dtype: DTypeLike | None = None, threshold: float | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Evaluate ``predict`` on a grid around X and turn its output into a class per grid point.

    Args:
        predict: maps points (G, 2) to labels (G,), class scores (G, K) (argmax is taken) or one score per point (G,) or
            (G, 1) (class 1 where score > threshold).
        X: (N, 2) data that sets the grid's extent.
        resolution: as grid_points.
        padding: as grid_points.
        dtype: the grid's dtype (default X's float dtype, so a float32 model gets float32 points).
        threshold: the boundary for one score per point: 0.5 for probabilities, 0 for logits. Given, every float
            output of one column is a score (even an all-integer one, such as w.x + b with w = 0); None guesses:
            a float output with non-integer values is a probability (threshold 0.5), anything else is labels.
    Returns:
        xx, yy: (R, R). labels: (R, R) int class per point. scores: (R, R) for one-score outputs, else None.
    """
    X = _check_points(X, "predict_grid")
    xx, yy, points = grid_points(X, resolution=resolution, padding=padding)
    dtype = dtype or (X.dtype if X.dtype.kind == "f" else np.float64)
    out = _to_numpy(predict(points.astype(dtype)))
    if len(out) != len(points) or out.ndim not in (1, 2):
        raise ValueError(f"predict_grid: expected predict to return shape ({len(points)},) or ({len(points)}, K) "
                         f"for {len(points)} points, got {out.shape}")
    scores = None
    if out.ndim == 2 and out.shape[1] > 1:
        labels = out.argmax(axis=1)
    else:
        out = out.reshape(-1)
        if out.dtype.kind == "f" and (threshold is not None or np.any(out != np.round(out))):  # a score
            threshold = 0.5 if threshold is None else threshold
            scores, labels = out, (out > threshold)
        else:
            labels = out
    if labels.min() < 0:
        raise ValueError(f"predict_grid: expected class labels 0..K-1 from predict, got {labels.min()}; "
                         "map labels {-1, 1} to {0, 1}, e.g. (out > 0).astype(int)")
    shape = xx.shape
    return xx, yy, labels.astype(np.int64).reshape(shape), None if scores is None else scores.reshape(shape)


def plot_decision_boundary(predict: Callable, X: ArrayLike, y: ArrayLike | None = None, *,
                           ax: plt.Axes | None = None, title: str | None = None, resolution: int = 200,
                           padding: float = 0.5, dtype: DTypeLike | None = None, threshold: float | None = None,
                           num_classes: int | None = None) -> plt.Axes:
    """Shade the region each class gets, draw the boundary between them, and scatter the data on top.

    Args:
        predict: as predict_grid.
        X: as predict_grid.
        resolution: as predict_grid.
        padding: as predict_grid.
        dtype: as predict_grid.
        threshold: as predict_grid.
        y: (N,) labels of X for colouring the points, or None.
        ax: Axes to draw into (None makes a new figure).
        title: the Axes' title.
        num_classes: K, so colours stay fixed when the model predicts only some classes (default: inferred).
    Returns:
        The Axes.
    """
    xx, yy, labels, scores = predict_grid(predict, X, resolution=resolution, padding=padding, dtype=dtype,
                                          threshold=threshold)
    ax = _new_axes(ax, title)
    seen = [labels.max() + 1] + ([int(np.max(y)) + 1] if y is not None else [])
    k = max(num_classes or 0, 2, *seen)
    cmap = ListedColormap([CLASS_COLORS[i % len(CLASS_COLORS)] for i in range(k)])
    ax.contourf(xx, yy, labels, levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.25)  # one band per class
    if scores is not None and scores.min() < scores.max():  # a constant score has no boundary to draw
        ax.contour(xx, yy, scores, levels=[0.5 if threshold is None else threshold], colors="k", linewidths=1.2)
    elif labels.min() != labels.max():
        ax.contour(xx, yy, labels, levels=np.arange(k) + 0.5, colors="k", linewidths=0.8)
    plot_dataset(X, y, ax=ax)
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    return ax
