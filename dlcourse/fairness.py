"""Group fairness metrics in NumPy, named as in fairlearn (whose results the tests compare against).

A decision ``y_pred`` (0/1) is made for people with a true outcome ``y_true`` (0/1) who belong to groups ``group``.
Per group g:

- selection rate  P(y_pred = 1 | g)
- true positive rate (TPR)  P(y_pred = 1 | y_true = 1, g)
- false positive rate (FPR)  P(y_pred = 1 | y_true = 0, g)

and the gaps between groups (largest minus smallest over groups, so 0 is equal treatment):

- demographic parity difference: gap in selection rate; the ratio is the smallest over the largest rate;
- equal opportunity difference: gap in TPR;
- equalised odds difference: the larger of the TPR gap and the FPR gap.

Calibration asks a different question of a score ``prob``: among people scored about p, do a fraction p have
y_true = 1, in each group? ``calibration_by_group`` bins the scores and answers it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from dlcourse.validate import check_positive_int


def _as_labels(y: ArrayLike, where: str, name: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{where}: expected {name} of shape (N,), got {y.shape}")
    if y.size and not np.all((y == 0) | (y == 1)):
        raise ValueError(f"{where}: expected {name} to hold only 0 and 1, got values {np.unique(y)[:5]}")
    return y.astype(np.int64)


def _check_inputs(y_true: ArrayLike, y_pred: ArrayLike, group: ArrayLike, where: str) -> tuple:
    y_true, y_pred = _as_labels(y_true, where, "y_true"), _as_labels(y_pred, where, "y_pred")
    group = np.asarray(group)
    if not y_true.shape == y_pred.shape == group.shape:
        raise ValueError(f"{where}: expected y_true, y_pred and group of one shape (N,), got "
                         f"{y_true.shape}, {y_pred.shape} and {group.shape}")
    return y_true, y_pred, group


def selection_rate(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Fraction of positive decisions, P(y_pred = 1); y_true is ignored (kept for a common signature).

    Args:
        y_true: (N,) 0/1 outcomes.
        y_pred: (N,) 0/1 decisions.
    """
    return float(np.mean(np.asarray(y_pred) == 1))


def true_positive_rate(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """P(y_pred = 1 | y_true = 1), the share of the deserving who are selected; NaN without positives.

    Args:
        y_true: (N,) 0/1 outcomes.
        y_pred: (N,) 0/1 decisions.
    """
    return _selected_share(y_true, y_pred, outcome=1)


def false_positive_rate(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """P(y_pred = 1 | y_true = 0), the share of the undeserving who are selected; NaN without negatives.

    Args:
        y_true: (N,) 0/1 outcomes.
        y_pred: (N,) 0/1 decisions.
    """
    return _selected_share(y_true, y_pred, outcome=0)


def _selected_share(y_true: ArrayLike, y_pred: ArrayLike, *, outcome: int) -> float:
    """P(y_pred = 1 | y_true = outcome): TPR for outcome 1, FPR for outcome 0; NaN when no one has that outcome."""
    chosen = np.asarray(y_true) == outcome
    return float(np.mean(np.asarray(y_pred)[chosen] == 1)) if chosen.any() else float("nan")


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Fraction of decisions equal to the outcome.

    Args:
        y_true: (N,) 0/1 outcomes.
        y_pred: (N,) 0/1 decisions.
    """
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def by_group(metric: Callable[[np.ndarray, np.ndarray], float], y_true: ArrayLike, y_pred: ArrayLike,
             group: ArrayLike) -> dict:
    """``metric(y_true, y_pred)`` on each group's rows (what fairlearn's ``MetricFrame(...).by_group`` holds).

    Args:
        metric: a function of (y_true, y_pred), e.g. true_positive_rate.
        y_true: (N,) 0/1 outcomes.
        y_pred: (N,) 0/1 decisions.
        group: (N,) group labels (any sortable values).
    Returns:
        {group value: metric on that group}, in sorted group order.
    """
    y_true, y_pred, group = _check_inputs(y_true, y_pred, group, "by_group")
    return {g.item(): metric(y_true[group == g], y_pred[group == g]) for g in np.unique(group)}


def group_table(y_true: ArrayLike, y_pred: ArrayLike, group: ArrayLike) -> dict:
    """Selection rate, TPR, FPR, accuracy and count per group, as {metric name: {group: value}}.

    Args:
        y_true: (N,) 0/1 outcomes.
        y_pred: (N,) 0/1 decisions.
        group: (N,) group labels.
    """
    metrics = {"selection_rate": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate,
               "accuracy": accuracy, "count": lambda t, p: float(len(t))}
    return {name: by_group(metric, y_true, y_pred, group) for name, metric in metrics.items()}


def _gap(metric: Callable, y_true: ArrayLike, y_pred: ArrayLike, group: ArrayLike) -> float:
    values = np.array(list(by_group(metric, y_true, y_pred, group).values()))
    return float(np.max(values) - np.min(values))


def demographic_parity_difference(y_true: ArrayLike, y_pred: ArrayLike, group: ArrayLike) -> float:
    """Largest minus smallest selection rate over groups (0: every group is selected equally often).

    Args:
        y_true: (N,) 0/1 outcomes (unused: parity looks at decisions only).
        y_pred: (N,) 0/1 decisions.
        group: (N,) group labels.
    """
    return _gap(selection_rate, y_true, y_pred, group)


def demographic_parity_ratio(y_true: ArrayLike, y_pred: ArrayLike, group: ArrayLike) -> float:
    """Smallest over largest selection rate (1: parity; the US "four-fifths rule" asks for >= 0.8).

    Args:
        y_true: (N,) 0/1 outcomes (unused).
        y_pred: (N,) 0/1 decisions.
        group: (N,) group labels.
    """
    rates = np.array(list(by_group(selection_rate, y_true, y_pred, group).values()))
    return float(np.min(rates) / np.max(rates)) if np.max(rates) > 0 else float("nan")


def equal_opportunity_difference(y_true: ArrayLike, y_pred: ArrayLike, group: ArrayLike) -> float:
    """Largest minus smallest true positive rate over groups (0: the deserving are selected equally often).

    Args:
        y_true: (N,) 0/1 outcomes.
        y_pred: (N,) 0/1 decisions.
        group: (N,) group labels.
    """
    return _gap(true_positive_rate, y_true, y_pred, group)


def equalized_odds_difference(y_true: ArrayLike, y_pred: ArrayLike, group: ArrayLike) -> float:
    """The larger of the TPR gap and the FPR gap over groups (0: equal error rates on both sides).

    Args:
        y_true: (N,) 0/1 outcomes.
        y_pred: (N,) 0/1 decisions.
        group: (N,) group labels.
    """
    return max(_gap(true_positive_rate, y_true, y_pred, group), _gap(false_positive_rate, y_true, y_pred, group))


def calibration_by_group(y_true: ArrayLike, prob: ArrayLike, group: ArrayLike, *, n_bins: int = 5) -> dict:
    """Per group and per score bin, the mean score and the observed fraction of positives.

    Bins split [0, 1] into ``n_bins`` equal parts (the last one closed), as scikit-learn's
    ``calibration_curve(strategy="uniform")``; empty bins are left out. A calibrated score has the two equal.

    Args:
        y_true: (N,) 0/1 outcomes.
        prob: (N,) scores in [0, 1].
        group: (N,) group labels.
        n_bins: number of equal-width bins.
    Returns:
        {group: (mean_score (B,), fraction_positive (B,), count (B,))} with B <= n_bins non-empty bins.
    """
    n_bins = check_positive_int(n_bins, "calibration_by_group", "n_bins")
    y_true, prob, group = np.asarray(y_true), np.asarray(prob, dtype=np.float64), np.asarray(group)
    if not y_true.shape == prob.shape == group.shape or prob.ndim != 1:
        raise ValueError(f"calibration_by_group: expected y_true, prob and group of one shape (N,), got "
                         f"{y_true.shape}, {prob.shape} and {group.shape}")
    bins = np.minimum((prob * n_bins).astype(np.int64), n_bins - 1)  # score 1.0 belongs to the last bin
    result = {}
    for g in np.unique(group):
        rows = group == g
        count = np.bincount(bins[rows], minlength=n_bins)
        mean_score = np.bincount(bins[rows], weights=prob[rows], minlength=n_bins)
        positives = np.bincount(bins[rows], weights=y_true[rows], minlength=n_bins)
        kept = count > 0
        result[g.item()] = (mean_score[kept] / count[kept], positives[kept] / count[kept], count[kept])
    return result
