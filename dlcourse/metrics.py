"""Metrics for classifiers and regressors, vectorised, with scikit-learn's names and conventions.

Classification: ``accuracy``, ``precision``, ``recall``, ``f1_score``, ``confusion_matrix``, ``roc_curve``, ``auc``,
``roc_auc_score``. Regression: ``mean_absolute_error``, ``mean_squared_error``, ``root_mean_squared_error``,
``r2_score``. Every function takes NumPy arrays (lists and CPU torch tensors are converted) and returns a float or
an array; the results agree with scikit-learn (tests/test_metrics.py checks this on random data).

Where scikit-learn would warn and return NaN, these functions raise a ValueError instead (a course should stop at
an undefined number, not print it): ``roc_curve`` / ``roc_auc_score`` with only one class in ``y_true``, and
``r2_score`` with fewer than two samples. Precision, recall and F1 never warn: a zero denominator gives
``zero_division`` (0.0 by default, as scikit-learn's default after its warning).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

# ----- input checks -------------------------------------------------------------------------------


def _as_array(x, where: str, name: str) -> np.ndarray:
    """Any array-like (list, ndarray, torch tensor) as an ndarray; never empty."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor: metrics are read-only, so copying is harmless
        x = x.detach().cpu().numpy()
    x = np.asarray(x)
    if x.size == 0:
        raise ValueError(f"{where}: expected a non-empty {name}, got shape {x.shape}")
    return x


def _as_1d(x, where: str, name: str) -> np.ndarray:
    """A non-empty 1-D array; a column (N, 1) is accepted and flattened, as scikit-learn does."""
    x = _as_array(x, where, name)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise ValueError(f"{where}: expected {name} of shape (N,), got shape {x.shape}")
    return x


def _as_labels(y, where: str, name: str) -> np.ndarray:
    """Class labels (N,): ints, bools or strings; floats only when they are whole numbers."""
    y = _as_1d(y, where, name)
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError(f"{where}: expected class labels in {name}, got non-integer floats such as "
                             f"{y[y != np.round(y)][:3]}; for probabilities threshold them (p > 0.5) "
                             "or take argmax over classes first")
    return y


def _check_same_length(a: np.ndarray, b: np.ndarray, where: str, names=("y_true", "y_pred")) -> None:
    if len(a) != len(b):
        raise ValueError(f"{where}: expected {names[0]} and {names[1]} of the same length, "
                         f"got {len(a)} and {len(b)}")


def _label_pair(y_true, y_pred, where: str) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = _as_labels(y_true, where, "y_true"), _as_labels(y_pred, where, "y_pred")
    _check_same_length(y_true, y_pred, where)
    return y_true, y_pred


# ----- classification -----------------------------------------------------------------------------


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Fraction of correct predictions: mean(y_true == y_pred).

    Args:
        y_true: (N,) true class labels.
        y_pred: (N,) predicted class labels (not probabilities: threshold or argmax first).
    Returns:
        A float in [0, 1].
    """
    y_true, y_pred = _label_pair(y_true, y_pred, "accuracy")
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, labels: ArrayLike | None = None, *,
                     normalize: str | None = None) -> np.ndarray:
    """Counts C[i, j] of samples with true label labels[i] predicted as labels[j].

    Args:
        y_true: (N,) true labels.
        y_pred: (N,) predicted labels.
        labels: (K,) the classes, in the order of rows and columns; default: sorted union of both arrays. Samples
            whose true or predicted label is not in ``labels`` are left out (as scikit-learn does).
        normalize: None (counts), "true" (rows sum to 1), "pred" (columns sum to 1) or "all" (all sum to 1).
    Returns:
        (K, K) array: int64 counts, or float64 when normalized (0 where a row/column is empty).
    """
    where = "confusion_matrix"
    y_true, y_pred = _label_pair(y_true, y_pred, where)
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"{where}: expected normalize to be one of [None, 'true', 'pred', 'all'], got {normalize!r}")
    if labels is None:
        labels = np.union1d(y_true, y_pred)
    else:
        labels = _as_1d(labels, where, "labels")
        if len(np.unique(labels)) != len(labels):
            raise ValueError(f"{where}: expected distinct labels, got {labels.tolist()}")
    k = len(labels)
    order = np.argsort(labels, kind="stable")  # map a label to its position in `labels` via a sorted lookup
    sorted_labels = labels[order]
    i, j = (np.clip(np.searchsorted(sorted_labels, y), 0, k - 1) for y in (y_true, y_pred))
    keep = (sorted_labels[i] == y_true) & (sorted_labels[j] == y_pred)
    rows, cols = order[i[keep]], order[j[keep]]
    counts = np.bincount(rows * k + cols, minlength=k * k).reshape(k, k).astype(np.int64)  # (K*K,) -> (K, K)
    if normalize is None:
        return counts
    total = {"true": counts.sum(axis=1, keepdims=True), "pred": counts.sum(axis=0, keepdims=True),
             "all": counts.sum()}[normalize]
    return np.divide(counts, total, out=np.zeros((k, k)), where=total != 0)


def _binary_counts(y_true, y_pred, pos_label, where: str) -> tuple[int, int, int]:
    """(tp, fp, fn) for a binary problem, after checking that at most two labels occur."""
    y_true, y_pred = _label_pair(y_true, y_pred, where)
    present = np.union1d(y_true, y_pred)
    if len(present) > 2:
        raise ValueError(f"{where}: expected binary labels (at most 2 distinct values) with average='binary', "
                         f"got {len(present)}: {present.tolist()[:10]}; use average='macro' for more classes")
    if len(present) == 2 and pos_label not in present.tolist():
        raise ValueError(f"{where}: expected pos_label to be one of {present.tolist()}, got {pos_label!r}")
    true_pos, pred_pos = y_true == pos_label, y_pred == pos_label
    tp = int(np.sum(true_pos & pred_pos))
    return tp, int(np.sum(pred_pos)) - tp, int(np.sum(true_pos)) - tp


def _per_class_counts(y_true, y_pred, where: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tp, predicted, actual) per class, each (K,), classes = sorted union of labels."""
    counts = confusion_matrix(*_label_pair(y_true, y_pred, where))
    return np.diag(counts), counts.sum(axis=0), counts.sum(axis=1)


def _safe_divide(numerator, denominator, zero_division: float) -> np.ndarray:
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    return np.divide(numerator, denominator, out=np.full(numerator.shape, float(zero_division)),
                     where=denominator != 0)


def _prf(kind: str, y_true, y_pred, pos_label, average, zero_division):
    """Precision tp/(tp+fp), recall tp/(tp+fn) or F1 2tp/(2tp+fp+fn), binary, per class or macro-averaged."""
    where = {"p": "precision", "r": "recall", "f": "f1_score"}[kind]
    if average not in ("binary", "macro", None):
        raise ValueError(f"{where}: expected average to be one of ['binary', 'macro', None], got {average!r}")
    if not (zero_division in (0, 1) or (isinstance(zero_division, float) and np.isnan(zero_division))):
        raise ValueError(f"{where}: expected zero_division to be 0.0, 1.0 or np.nan, got {zero_division!r}")
    if average == "binary":
        tp, fp, fn = _binary_counts(y_true, y_pred, pos_label, where)
        predicted, actual = tp + fp, tp + fn
    else:
        tp, predicted, actual = _per_class_counts(y_true, y_pred, where)
    numerator, denominator = {"p": (tp, predicted), "r": (tp, actual), "f": (2 * tp, predicted + actual)}[kind]
    scores = _safe_divide(numerator, denominator, zero_division)
    if average == "binary":
        return float(scores)
    if average == "macro":
        # NaN scores (zero_division=np.nan) are left out of the mean, as scikit-learn does
        return float(np.nanmean(scores)) if not np.all(np.isnan(scores)) else float("nan")
    return scores


def precision(y_true: ArrayLike, y_pred: ArrayLike, *, pos_label: Any = 1, average: str | None = "binary",
              zero_division: float = 0.0) -> float | np.ndarray:
    """Of the samples predicted positive, the fraction that are: tp / (tp + fp).

    Args:
        y_true: (N,) true labels.
        y_pred: (N,) predicted labels.
        pos_label: the positive class when average="binary" (labels must then take at most 2 values).
        average: "binary" (the positive class only), "macro" (unweighted mean over the classes in either array) or None
            (one score per class, classes sorted).
        zero_division: the score when tp + fp = 0 (0.0, 1.0 or np.nan; NaN is left out of the macro mean).
    Returns:
        A float, or (K,) scores when average is None.
    """
    return _prf("p", y_true, y_pred, pos_label, average, zero_division)


def recall(y_true: ArrayLike, y_pred: ArrayLike, *, pos_label: Any = 1, average: str | None = "binary",
           zero_division: float = 0.0) -> float | np.ndarray:
    """Of the truly positive samples, the fraction found: tp / (tp + fn).

    Args:
        y_true: as in ``precision``.
        y_pred: as in ``precision``.
        pos_label: as in ``precision``.
        average: as in ``precision``.
        zero_division: the score when tp + fn = 0.
    Returns:
        A float, or (K,) scores when average is None.
    """
    return _prf("r", y_true, y_pred, pos_label, average, zero_division)


def f1_score(y_true: ArrayLike, y_pred: ArrayLike, *, pos_label: Any = 1, average: str | None = "binary",
             zero_division: float = 0.0) -> float | np.ndarray:
    """Harmonic mean of precision and recall, 2 tp / (2 tp + fp + fn).

    Args:
        y_true: as in ``precision``.
        y_pred: as in ``precision``.
        pos_label: as in ``precision``.
        average: as in ``precision``.
        zero_division: the score when tp + fp + fn = 0 (the class never occurs); as in scikit-learn, F1 is 0 (not
            ``zero_division``) when the class occurs but is never predicted correctly.
    Returns:
        A float, or (K,) scores when average is None.
    """
    return _prf("f", y_true, y_pred, pos_label, average, zero_division)


# ----- ranking ------------------------------------------------------------------------------------


def _default_pos_label(y_true: np.ndarray, where: str):
    classes = np.unique(y_true).tolist()
    if set(classes) <= {0, 1} or set(classes) <= {-1, 1}:
        return 1
    raise ValueError(f"{where}: expected y_true in {{0, 1}} or {{-1, 1}} when pos_label is None, got classes "
                     f"{classes[:10]}; pass pos_label explicitly")


def roc_curve(y_true: ArrayLike, y_score: ArrayLike, *, pos_label: Any | None = None, drop_intermediate: bool = True
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Receiver operating characteristic: true- vs false-positive rate as the decision threshold falls.

    Predict positive when score >= threshold. Thresholds are the distinct scores in decreasing order, preceded by
    +inf (nothing predicted positive, the point (0, 0)), exactly as scikit-learn >= 1.3. With ``drop_intermediate``
    the points that lie on a straight line between their neighbours are dropped (they do not change the curve
    or its area); scikit-learn's rule is used, so the arrays match its output element for element.

    Args:
        y_true: (N,) binary labels.
        y_score: (N,) scores, higher meaning "more positive" (probabilities or logits).
        pos_label: the positive class; None means 1, allowed when the labels are {0, 1} or {-1, 1}.
        drop_intermediate: drop collinear points (default True, as scikit-learn).
    Returns:
        fpr: (T,) increasing false-positive rates. tpr: (T,) true-positive rates. thresholds: (T,) decreasing.
    Raises:
        ValueError when y_true holds only one class (scikit-learn warns and returns NaN instead).
    """
    where = "roc_curve"
    y_true = _as_labels(y_true, where, "y_true")
    y_score = _as_1d(y_score, where, "y_score").astype(np.float64)
    _check_same_length(y_true, y_score, where, ("y_true", "y_score"))
    classes = np.unique(y_true)
    if len(classes) > 2:
        raise ValueError(f"{where}: expected binary y_true, got {len(classes)} classes {classes.tolist()[:10]}")
    pos_label = _default_pos_label(y_true, where) if pos_label is None else pos_label
    positive = y_true == pos_label
    if positive.all() or not positive.any():
        raise ValueError(f"{where}: expected both classes in y_true, got only "
                         f"{'positives' if positive.all() else 'negatives'} (pos_label={pos_label!r}); "
                         "the curve is undefined")
    if not np.all(np.isfinite(y_score)):
        raise ValueError(f"{where}: expected finite y_score, got NaN or inf")
    order = np.argsort(-y_score, kind="stable")  # descending, ties in input order (any order gives the same counts)
    score, positive = y_score[order], positive[order]
    last_of_each_score = np.r_[np.nonzero(np.diff(score))[0], len(score) - 1]
    tps = np.cumsum(positive)[last_of_each_score]
    fps = last_of_each_score + 1 - tps
    thresholds = score[last_of_each_score]
    if drop_intermediate and len(fps) > 2:
        corner = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]  # a kink in either count
        tps, fps, thresholds = tps[corner], fps[corner], thresholds[corner]
    tps, fps, thresholds = np.r_[0, tps], np.r_[0, fps], np.r_[np.inf, thresholds]
    return fps / fps[-1], tps / tps[-1], thresholds


def auc(x: ArrayLike, y: ArrayLike) -> float:
    """Area under a curve by the trapezoidal rule; ``x`` must be monotonic (increasing or decreasing).

    Args:
        x: (T,) with T >= 2, e.g. fpr.
        y: (T,), e.g. tpr.
    Returns:
        The area (positive for decreasing x too, as scikit-learn).
    """
    where = "auc"
    x, y = _as_1d(x, where, "x").astype(np.float64), _as_1d(y, where, "y").astype(np.float64)
    _check_same_length(x, y, where, ("x", "y"))
    if len(x) < 2:
        raise ValueError(f"{where}: expected at least 2 points, got {len(x)}")
    dx = np.diff(x)
    if np.any(dx < 0) and np.any(dx > 0):
        raise ValueError(f"{where}: expected x to be monotonic (increasing or decreasing), got {x[:10]}")
    area = float(np.sum(dx * (y[1:] + y[:-1]) / 2))
    return abs(area)


def roc_auc_score(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Area under the ROC curve: the probability that a random positive scores above a random negative.

    Args:
        y_true: (N,) binary labels; the larger of the two labels is the positive class (as scikit-learn).
        y_score: (N,) scores for that positive class.
    Returns:
        A float in [0, 1]; 0.5 for random scores.
    """
    y_true = _as_labels(y_true, "roc_auc_score", "y_true")
    classes = np.unique(y_true)
    if len(classes) != 2:
        raise ValueError(f"roc_auc_score: expected exactly 2 classes in y_true, got {len(classes)} "
                         f"{classes.tolist()[:10]}")
    fpr, tpr, _ = roc_curve(y_true, y_score, pos_label=classes[1])
    return auc(fpr, tpr)


# ----- regression ---------------------------------------------------------------------------------


def _regression_pair(y_true, y_pred, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Two float64 arrays of the same shape, (N,) or (N, M) for M outputs."""
    y_true = _as_array(y_true, where, "y_true").astype(np.float64)
    y_pred = _as_array(y_pred, where, "y_pred").astype(np.float64)
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.ndim not in (1, 2):
            raise ValueError(f"{where}: expected {name} of shape (N,) or (N, M), got shape {y.shape}")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{where}: expected y_true and y_pred of the same shape, got {y_true.shape} and "
                         f"{y_pred.shape}")
    return y_true, y_pred


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """mean |y_true - y_pred|. Args: (N,) or (N, M) arrays (outputs averaged uniformly). Returns a float."""
    y_true, y_pred = _regression_pair(y_true, y_pred, "mean_absolute_error")
    return float(np.mean(np.abs(y_true - y_pred)))


def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """mean (y_true - y_pred)^2. Args: (N,) or (N, M) arrays (outputs averaged uniformly). Returns a float."""
    y_true, y_pred = _regression_pair(y_true, y_pred, "mean_squared_error")
    return float(np.mean((y_true - y_pred) ** 2))


def root_mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """sqrt(MSE), in the units of y; for (N, M) the mean over outputs of each output's RMSE (as scikit-learn).

    Args:
        y_true: (N,) or (N, M).
        y_pred: the same shape.
    """
    y_true, y_pred = _regression_pair(y_true, y_pred, "root_mean_squared_error")
    return float(np.mean(np.sqrt(np.mean((y_true - y_pred) ** 2, axis=0))))


def r2_score(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot: 1 is perfect, 0 is "always predict the mean".

    A constant y_true (SS_tot = 0) gives 1.0 for a perfect prediction and 0.0 otherwise (scikit-learn's
    force_finite convention). For (N, M) the per-output scores are averaged.

    Args:
        y_true: (N,) or (N, M), N >= 2.
        y_pred: the same shape.
    Returns:
        A float <= 1 (negative when worse than the mean).
    """
    y_true, y_pred = _regression_pair(y_true, y_pred, "r2_score")
    if len(y_true) < 2:
        raise ValueError(f"r2_score: expected at least 2 samples, got {len(y_true)} (R^2 is undefined for one)")
    ss_res = np.sum((y_true - y_pred) ** 2, axis=0)
    ss_tot = np.sum((y_true - y_true.mean(axis=0)) ** 2, axis=0)
    perfect_or_zero = np.where(ss_res == 0, 1.0, 0.0)
    scores = np.where(ss_tot != 0, 1 - ss_res / np.where(ss_tot != 0, ss_tot, 1), perfect_or_zero)
    return float(np.mean(scores))
