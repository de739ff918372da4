"""Watching a deployed model: has the input distribution drifted away from what it was trained on?

A model is only as good as the match between its training data and what arrives in production. The labels of
production data come late or never, but the inputs are there at once, so monitors compare each feature's
distribution in a recent window with a reference sample (the training or validation inputs).

The two-sample Kolmogorov-Smirnov statistic is the largest vertical gap between the two empirical cumulative
distribution functions, ``D = max_x |F_ref(x) - F_new(x)|``: 0 for identical samples, 1 for samples that do not
overlap. With many features tested at once, some will look drifted by chance; Bonferroni's correction tests each at
``alpha / n_features`` so that the chance of any false alarm in a clean window stays below ``alpha``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DriftReport", "drift_report", "ks_statistic"]


def ks_statistic(reference: np.ndarray, sample: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic of two 1-D samples (ties handled as scipy.stats.ks_2samp does).

    Args:
        reference: (N_ref,) values.
        sample: (N,) values.
    Returns:
        D in [0, 1].
    """
    reference, sample = np.sort(np.ravel(reference)), np.sort(np.ravel(sample))
    if reference.size == 0 or sample.size == 0:
        raise ValueError(f"ks_statistic: expected two non-empty samples, got sizes {reference.size}, {sample.size}")
    points = np.concatenate([reference, sample])  # the ECDFs only jump at observed values
    cdf_ref = np.searchsorted(reference, points, side="right") / reference.size
    cdf_new = np.searchsorted(sample, points, side="right") / sample.size
    return float(np.max(np.abs(cdf_ref - cdf_new)))


@dataclass(frozen=True)
class DriftReport:
    """Per-feature KS statistics and p-values, and which features are flagged at the corrected level."""

    statistics: np.ndarray
    p_values: np.ndarray
    alpha: float
    flagged: np.ndarray

    @property
    def drifted(self) -> bool:
        """True when at least one feature is flagged."""
        return bool(self.flagged.size)

    def __str__(self) -> str:
        worst = int(np.argmax(self.statistics))
        return (f"{self.flagged.size} of {self.statistics.size} features drifted at alpha = {self.alpha:g} "
                f"(Bonferroni); largest KS statistic {self.statistics[worst]:.3f} on feature {worst}")


def drift_report(reference: np.ndarray, batch: np.ndarray, *, alpha: float = 0.01) -> DriftReport:
    """Test every feature of ``batch`` against ``reference`` with the two-sample KS test, Bonferroni-corrected.

    Args:
        reference: (N_ref, D) inputs the model was trained or validated on.
        batch: (N, D) recent production inputs.
        alpha: family-wise false-alarm rate.
    Returns:
        A DriftReport; ``flagged`` holds the indices of features whose p-value < alpha / D. Features that are
        constant in both samples get statistic 0 and p-value 1.
    """
    from scipy.stats import ks_2samp

    reference, batch = np.asarray(reference, dtype=np.float64), np.asarray(batch, dtype=np.float64)
    if reference.ndim != 2 or batch.ndim != 2 or reference.shape[1] != batch.shape[1]:
        raise ValueError(f"drift_report: expected reference (N_ref, D) and batch (N, D) with the same D, "
                         f"got {reference.shape} and {batch.shape}")
    if not 0 < alpha < 1:
        raise ValueError(f"drift_report: expected 0 < alpha < 1, got {alpha}")
    stats, p_values = np.zeros(reference.shape[1]), np.ones(reference.shape[1])
    for j in range(reference.shape[1]):
        if np.ptp(reference[:, j]) == 0 and np.ptp(batch[:, j]) == 0 and reference[0, j] == batch[0, j]:
            continue  # a pixel that is always 0 carries no information either way
        result = ks_2samp(reference[:, j], batch[:, j])
        stats[j], p_values[j] = result.statistic, result.pvalue
    flagged = np.flatnonzero(p_values < alpha / reference.shape[1])
    return DriftReport(stats, p_values, alpha, flagged)
