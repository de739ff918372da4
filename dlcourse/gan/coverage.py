"""Scoring a generator on a mixture with known modes: how many modes it covers and how many samples are good.

On a mixture of round Gaussians (``dlcourse.data.mixtures``) each generated sample is assigned to its nearest mode
centre. It is *high quality* when it lies within ``n_std`` standard deviations of that centre (3 by default: a real
sample lands there with probability 1 - exp(-9/2), about 98.9%, in 2-D). A mode is *covered* when at least
``min_count`` high-quality samples landed on it, so that a handful of stray points does not count as a mode. These
are the measures of Srivastava et al. (VEEGAN, 2017) and Lin et al. (PacGAN, 2018).

A generator that has *collapsed* puts all its samples on one or a few modes: few modes covered, possibly with a high
quality share. One that has not learned anything yet scatters its samples: a low quality share.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dlcourse.validate import as_float_array, check_ndim, check_non_negative, check_positive_int


class ModeCoverage(NamedTuple):
    """The result of ``mode_coverage``."""

    covered: int  # modes with at least min_count high-quality samples
    high_quality: float  # the share of samples within n_std * std of their nearest centre
    counts: np.ndarray  # (K,) int64 high-quality samples per mode


def nearest_mode(samples: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The nearest centre of every sample, and the distance to it.

    Args:
        samples: (N, 2) points (any number of columns D works, the same for both arguments).
        centers: (K, 2) the modes' centres.
    Returns:
        index: (N,) int64 in 0..K-1. distance: (N,) float64 Euclidean distance to that centre.
    """
    samples = as_float_array(samples, "nearest_mode", "samples")
    centers = as_float_array(centers, "nearest_mode", "centers")
    check_ndim(samples, 2, "nearest_mode", "(N, D)", "samples")
    check_ndim(centers, 2, "nearest_mode", "(K, D)", "centers")
    if samples.shape[1] != centers.shape[1] or len(centers) == 0:
        raise ValueError(f"nearest_mode: expected samples (N, D) and centers (K, D) with the same D and K >= 1, got "
                         f"shapes {samples.shape} and {centers.shape}")
    gaps = samples[:, None, :].astype(np.float64) - centers[None, :, :]  # (N, 1, D) - (1, K, D) -> (N, K, D)
    distances = np.sqrt((gaps**2).sum(axis=2))  # (N, K)
    index = distances.argmin(axis=1)
    return index.astype(np.int64), distances[np.arange(len(samples)), index]


def mode_coverage(samples: np.ndarray, centers: np.ndarray, *, std: float, n_std: float = 3.0,
                  min_count: int = 20) -> ModeCoverage:
    """Modes covered and the high-quality share of generated samples on a mixture of round Gaussians.

    Args:
        samples: (N, 2) generated points (N >= 1; 2,500 is the usual evaluation size).
        centers: (K, 2) the true modes' centres.
        std: the modes' standard deviation (> 0). n_std: how many standard deviations count as "near" (> 0).
        min_count: high-quality samples a mode needs to count as covered (>= 1).
    Returns:
        ModeCoverage(covered, high_quality, counts).
    """
    std = check_non_negative(std, "mode_coverage", "std")
    n_std = check_non_negative(n_std, "mode_coverage", "n_std")
    if std == 0 or n_std == 0:
        raise ValueError(f"mode_coverage: expected std > 0 and n_std > 0, got std={std}, n_std={n_std}")
    min_count = check_positive_int(min_count, "mode_coverage", "min_count")
    index, distance = nearest_mode(samples, centers)
    if len(index) == 0:
        raise ValueError("mode_coverage: expected at least one sample, got shape (0, 2)")
    good = distance <= n_std * std  # (N,) bool
    counts = np.bincount(index[good], minlength=len(centers)).astype(np.int64)
    return ModeCoverage(int((counts >= min_count).sum()), float(good.mean()), counts)
