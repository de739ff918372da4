"""Mixtures of Gaussians in the plane: the standard test beds for generative models (chapter 11).

A mixture has K *modes*: equal-weight round Gaussians of standard deviation ``std`` around K centres. Each sample
picks its mode uniformly at random (independently, so the counts per mode vary as they would for any sampler), then
adds Gaussian noise. Because the true modes are known, a generator can be scored by counting which modes its samples
land on (``dlcourse.gan.coverage``). The two classic layouts:

- ``make_ring_of_gaussians``: K = 8 modes evenly spaced on a circle of radius 2;
- ``make_grid_of_gaussians``: 5 x 5 = 25 modes on a square grid with spacing 2, centred at the origin.
"""

from __future__ import annotations

import numpy as np

from dlcourse.validate import check_non_negative, check_positive_int, check_rng


def ring_centers(n_modes: int = 8, *, radius: float = 2.0) -> np.ndarray:
    """Centres of K modes evenly spaced on a circle, the first one on the positive x-axis.

    Args:
        n_modes: K >= 1. radius: the circle's radius (> 0).
    Returns:
        (K, 2) float64: mode k at radius * (cos 2 pi k / K, sin 2 pi k / K).
    """
    n_modes = check_positive_int(n_modes, "ring_centers", "n_modes")
    if not check_non_negative(radius, "ring_centers", "radius") > 0:
        raise ValueError(f"ring_centers: expected radius > 0, got {radius}")
    angle = 2 * np.pi * np.arange(n_modes) / n_modes
    return radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def grid_centers(side: int = 5, *, spacing: float = 2.0) -> np.ndarray:
    """Centres of side x side modes on a square grid centred at the origin, row by row.

    Args:
        side: modes per row and per column (>= 1). spacing: the distance between neighbouring modes (> 0).
    Returns:
        (side * side, 2) float64.
    """
    side = check_positive_int(side, "grid_centers", "side")
    if not check_non_negative(spacing, "grid_centers", "spacing") > 0:
        raise ValueError(f"grid_centers: expected spacing > 0, got {spacing}")
    ticks = spacing * (np.arange(side) - (side - 1) / 2)  # symmetric about 0
    rows, cols = np.meshgrid(ticks, ticks, indexing="ij")  # (side, side) each
    return np.stack([cols.ravel(), rows.ravel()], axis=1)  # (side*side, 2): x along a row, y down the rows


def sample_mixture(n_samples: int, centers: np.ndarray, *, std: float, rng: np.random.Generator,
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Draw from the equal-weight mixture of round Gaussians N(centers[k], std^2 I).

    Args:
        n_samples: N >= 1. centers: (K, 2) the modes' centres. std: each mode's standard deviation (>= 0).
        rng: the Generator (all randomness comes from it).
    Returns:
        X: (N, 2) float64 samples. y: (N,) int64, the mode each sample was drawn from (uniform over 0..K-1).
    """
    rng = check_rng(rng, "sample_mixture")
    n_samples = check_positive_int(n_samples, "sample_mixture", "n_samples")
    std = check_non_negative(std, "sample_mixture", "std")
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2 or centers.shape[1] != 2 or len(centers) == 0:
        raise ValueError(f"sample_mixture: expected centers of shape (K, 2) with K >= 1, got shape {centers.shape}")
    y = rng.integers(0, len(centers), n_samples).astype(np.int64)
    X = centers[y] + std * rng.standard_normal((n_samples, 2))
    return X, y


def make_ring_of_gaussians(n_samples: int = 512, *, n_modes: int = 8, radius: float = 2.0, std: float = 0.05,
                           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Samples of K Gaussians on a circle (see ``ring_centers``), each with standard deviation ``std``.

    Args:
        n_samples: N >= 1. n_modes: K. radius: the circle's radius. std: each mode's standard deviation.
        rng: the Generator.
    Returns:
        X: (N, 2) float64. y: (N,) int64 mode index in 0..K-1.
    """
    return sample_mixture(n_samples, ring_centers(n_modes, radius=radius), std=std, rng=rng)


def make_grid_of_gaussians(n_samples: int = 512, *, side: int = 5, spacing: float = 2.0, std: float = 0.05,
                           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Samples of side x side Gaussians on a grid (see ``grid_centers``), each with standard deviation ``std``.

    Args:
        n_samples: N >= 1. side: modes per row and column. spacing: the distance between modes. std: each mode's
            standard deviation. rng: the Generator.
    Returns:
        X: (N, 2) float64. y: (N,) int64 mode index in 0..side*side-1.
    """
    return sample_mixture(n_samples, grid_centers(side, spacing=spacing), std=std, rng=rng)
