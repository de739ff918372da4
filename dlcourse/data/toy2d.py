"""Small generated datasets to see a classifier think: points in the plane, and a 1-D curve for regression.

Every classification generator returns ``X`` float64 of shape (N, 2) and ``y`` int64 of shape (N,) with labels
0..K-1, classes as equal in size as N allows (they differ by at most one), rows shuffled. All randomness comes from
the keyword-only ``rng`` (an ``np.random.Generator``), so the same seed gives the same data; ``noise`` is the
standard deviation of Gaussian noise added to every coordinate.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlcourse.validate import check_non_negative, check_positive_int, check_rng


def split_counts(n_samples: int, n_parts: int) -> np.ndarray:
    """Sizes of ``n_parts`` groups that differ by at most one and sum to ``n_samples``: (n_parts,) ints."""
    return n_samples // n_parts + (np.arange(n_parts) < n_samples % n_parts)


def _finish(parts: list[np.ndarray], noise: float, rng: np.random.Generator, shuffle: bool):
    """Stack the classes' clean points (K arrays (N_k, 2)), add noise, label them and shuffle the rows."""
    X = np.concatenate(parts)  # (N, 2)
    y = np.repeat(np.arange(len(parts)), [len(p) for p in parts]).astype(np.int64)
    X = X + noise * rng.standard_normal(X.shape)
    if shuffle:
        order = rng.permutation(len(y))
        X, y = X[order], y[order]
    return X.astype(np.float64), y


def _setup(where: str, n_samples: int, n_classes: int, noise: float) -> tuple[np.ndarray, float]:
    check_positive_int(n_samples, where, "n_samples", minimum=n_classes)
    return split_counts(n_samples, n_classes), check_non_negative(noise, where, "noise")


def _on_circle(angle: np.ndarray, radius: np.ndarray | float = 1.0) -> np.ndarray:
    """Points radius * (cos a, sin a): (n,) angles -> (n, 2)."""
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)


def make_moons(n_samples: int = 200, *, noise: float = 0.1, rng: np.random.Generator,
               shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles: class 0 the upper arc centred at (0, 0), class 1 the lower one at (1, 0.5).

    Args:
        n_samples: N >= 2.
        noise: std of the Gaussian noise.
        rng: the Generator.
        shuffle: mix the rows.
    Returns:
        X: (N, 2) float64. y: (N,) int64 in {0, 1}.
    """
    rng = check_rng(rng, "make_moons")
    counts, noise = _setup("make_moons", n_samples, 2, noise)
    upper = _on_circle(rng.uniform(0, np.pi, counts[0]))
    lower = np.array([1.0, 0.5]) - _on_circle(rng.uniform(0, np.pi, counts[1]))
    return _finish([upper, lower], noise, rng, shuffle)


def make_circles(n_samples: int = 200, *, noise: float = 0.05, factor: float = 0.5, rng: np.random.Generator,
                 shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A ring (class 0, radius 1) around a smaller ring (class 1, radius ``factor``): no line separates them.

    Args:
        n_samples: N >= 2.
        noise: std of the noise.
        factor: inner radius, in (0, 1).
        rng: as make_moons.
        shuffle: as make_moons.
    Returns:
        X: (N, 2) float64. y: (N,) int64 in {0, 1}.
    """
    rng = check_rng(rng, "make_circles")
    counts, noise = _setup("make_circles", n_samples, 2, noise)
    if not 0 < factor < 1:
        raise ValueError(f"make_circles: expected 0 < factor < 1, got {factor}")
    outer = _on_circle(rng.uniform(0, 2 * np.pi, counts[0]))
    inner = _on_circle(rng.uniform(0, 2 * np.pi, counts[1]), factor)
    parts = [outer, inner]
    return _finish(parts, noise, rng, shuffle)


def make_spirals(n_samples: int = 300, *, n_arms: int = 2, noise: float = 0.05, turns: float = 1.0,
                 rng: np.random.Generator, shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """K spiral arms winding out from the centre, one class per arm, arm k rotated by 2 pi k / K.

    A point at fraction t in [0, 1] along its arm sits at radius 0.1 + 0.9 t and angle 2 pi (turns t + k / K).

    Args:
        n_samples: N >= K.
        n_arms: K >= 2.
        noise: std of the noise.
        turns: how many times each arm winds.
        rng: as make_moons.
        shuffle: as make_moons.
    Returns:
        X: (N, 2) float64 within about the unit disc. y: (N,) int64 in 0..K-1.
    """
    rng = check_rng(rng, "make_spirals")
    n_arms = check_positive_int(n_arms, "make_spirals", "n_arms", minimum=2)
    counts, noise = _setup("make_spirals", n_samples, n_arms, noise)
    parts = []
    for arm, count in enumerate(counts):  # a loop over the K arms, not over points
        t = rng.uniform(0, 1, count)
        parts.append(_on_circle(2 * np.pi * (turns * t + arm / n_arms), 0.1 + 0.9 * t))
    return _finish(parts, noise, rng, shuffle)


def make_xor(n_samples: int = 200, *, noise: float = 0.15, rng: np.random.Generator,
             shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Noisy copies of XOR's truth table: clusters at the corners (a, b) of the unit square, label a XOR b.

    Class 0 sits at (0, 0) and (1, 1), class 1 at (0, 1) and (1, 0): no single line separates them.

    Args:
        n_samples: N >= 4.
        noise: std of each cluster.
        rng: as make_moons.
        shuffle: as make_moons.
    Returns:
        X: (N, 2) float64. y: (N,) int64 in {0, 1}.
    """
    rng = check_rng(rng, "make_xor")
    counts, noise = _setup("make_xor", n_samples, 4, noise)
    corners = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])  # (4, 2): two corners per class
    per_corner = [np.repeat(corner[None], count, axis=0) for corner, count in zip(corners, counts, strict=True)]
    return _finish([np.concatenate(per_corner[:2]), np.concatenate(per_corner[2:])], noise, rng, shuffle)


def make_blobs(n_samples: int = 300, *, centers: int | np.ndarray = 3, noise: float = 1.0,
               box: tuple[float, float] = (-6.0, 6.0), rng: np.random.Generator,
               shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters, one per class.

    Args:
        n_samples: N >= K.
        centers: K (centres drawn uniformly in ``box`` x ``box``) or a (K, 2) array of centres.
        noise: the std of every cluster.
        box: (low, high) for drawn centres.
        rng: as make_moons.
        shuffle: as make_moons.
    Returns:
        X: (N, 2) float64. y: (N,) int64 in 0..K-1.
    """
    rng = check_rng(rng, "make_blobs")
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        k = check_positive_int(centers, "make_blobs", "centers")
        centers = rng.uniform(box[0], box[1], (k, 2))
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2 or centers.shape[1] != 2:
        raise ValueError(f"make_blobs: expected centers to be an int or an array of shape (K, 2), "
                         f"got shape {centers.shape}")
    counts, noise = _setup("make_blobs", n_samples, len(centers), noise)
    parts = [np.repeat(center[None], count, axis=0) for center, count in zip(centers, counts, strict=True)]
    return _finish(parts, noise, rng, shuffle)


def smooth_curve(x: np.ndarray) -> np.ndarray:
    """The noiseless target of make_regression_curve: sin(1.5 x) + 0.5 x, any shape -> the same shape."""
    return np.sin(1.5 * x) + 0.5 * x


def make_regression_curve(n_samples: int = 100, *, noise: float = 0.2, x_range: tuple[float, float] = (-3.0, 3.0),
                          fn: Callable[[np.ndarray], np.ndarray] = smooth_curve,
                          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A 1-D regression task: x uniform in ``x_range``, y = fn(x) + noise * N(0, 1).

    Args:
        n_samples: N >= 1.
        noise: std of the noise on y.
        x_range: (low, high).
        fn: the true function (default ``smooth_curve``).
        rng: the Generator.
    Returns:
        X: (N, 1) float64 inputs (a column, ready for Linear(1, ...)). y: (N,) float64 targets.
    """
    rng = check_rng(rng, "make_regression_curve")
    check_positive_int(n_samples, "make_regression_curve", "n_samples")
    noise = check_non_negative(noise, "make_regression_curve", "noise")
    if not x_range[0] < x_range[1]:
        raise ValueError(f"make_regression_curve: expected x_range (low, high) with low < high, got {x_range}")
    x = rng.uniform(x_range[0], x_range[1], n_samples)
    y = fn(x) + noise * rng.standard_normal(n_samples)
    return x[:, None].astype(np.float64), np.asarray(y, dtype=np.float64)
