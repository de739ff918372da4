"""dlcourse.metrics against scikit-learn on random data, plus the edge cases and errors it documents."""

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dlcourse import metrics

SEEDS = range(25)


def random_labels(rng, n_classes, n=None):
    n = n if n is not None else int(rng.integers(1, 60))
    return rng.integers(0, n_classes, n), rng.integers(0, n_classes, n)


# ----- classification versus scikit-learn -----------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_accuracy_and_confusion_matrix_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    y_true, y_pred = random_labels(rng, int(rng.integers(2, 6)))
    assert metrics.accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred), abs=1e-15)
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred), skm.confusion_matrix(y_true, y_pred))
    for normalize in ("true", "pred", "all"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sklearn warns about empty rows; both give 0 there
            expected = np.nan_to_num(skm.confusion_matrix(y_true, y_pred, normalize=normalize))
        np.testing.assert_allclose(metrics.confusion_matrix(y_true, y_pred, normalize=normalize), expected,
                                   rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("seed", SEEDS)
def test_confusion_matrix_with_given_labels_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    y_true, y_pred = random_labels(rng, 5, n=40)
    labels = rng.permutation(6)[: int(rng.integers(2, 6))]  # a subset, in shuffled order, maybe with an absent class
    if not np.isin(labels, y_true).any():
        labels = np.r_[labels, y_true[0]]
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred, labels=labels),
                                  skm.confusion_matrix(y_true, y_pred, labels=labels))


def test_confusion_matrix_rows_are_true_columns_are_predicted():
    cm = metrics.confusion_matrix(["cat", "cat", "dog"], ["dog", "cat", "dog"], labels=["dog", "cat"])
    np.testing.assert_array_equal(cm, [[1, 0], [1, 1]])  # true dog -> pred dog once; true cat -> dog once, cat once


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("zero_division", [0.0, 1.0, np.nan])
def test_binary_precision_recall_f1_match_sklearn(seed, zero_division):
    rng = np.random.default_rng(seed)
    y_true, y_pred = random_labels(rng, 2, n=int(rng.integers(1, 12)))  # short: zero divisions happen often
    labels = np.array([-1, 1]) if seed % 2 else np.array([0, 1])
    y_true, y_pred = labels[y_true], labels[y_pred]
    for ours, theirs in ((metrics.precision, skm.precision_score), (metrics.recall, skm.recall_score),
                         (metrics.f1_score, skm.f1_score)):
        np.testing.assert_equal(ours(y_true, y_pred, zero_division=zero_division),
                                theirs(y_true, y_pred, zero_division=zero_division))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("zero_division", [0.0, 1.0, np.nan])
def test_macro_and_per_class_scores_match_sklearn(seed, zero_division):
    rng = np.random.default_rng(seed)
    y_true, y_pred = random_labels(rng, int(rng.integers(2, 7)))
    for ours, theirs in ((metrics.precision, skm.precision_score), (metrics.recall, skm.recall_score),
                         (metrics.f1_score, skm.f1_score)):
        for average in ("macro", None):
            np.testing.assert_allclose(ours(y_true, y_pred, average=average, zero_division=zero_division),
                                       theirs(y_true, y_pred, average=average, zero_division=zero_division),
                                       rtol=1e-12)


def test_pos_label_selects_the_positive_class():
    y_true, y_pred = np.array(["spam", "ham", "spam", "ham"]), np.array(["spam", "spam", "ham", "ham"])
    assert metrics.precision(y_true, y_pred, pos_label="spam") == 0.5
    assert metrics.recall(y_true, y_pred, pos_label="ham") == skm.recall_score(y_true, y_pred, pos_label="ham")


def test_zero_division_is_applied_as_documented():
    y_true, y_pred = np.array([0, 0, 0]), np.array([0, 0, 0])  # class 1 never occurs nor is predicted
    for fn in (metrics.precision, metrics.recall, metrics.f1_score):
        assert fn(y_true, y_pred) == 0.0
        assert fn(y_true, y_pred, zero_division=1.0) == 1.0
        assert np.isnan(fn(y_true, y_pred, zero_division=np.nan))
    # class 1 occurs but is never predicted: recall and F1 are 0 whatever zero_division says, precision is 0/0
    y_true, y_pred = np.array([1, 0]), np.array([0, 0])
    assert metrics.precision(y_true, y_pred, zero_division=1.0) == 1.0
    assert metrics.recall(y_true, y_pred, zero_division=1.0) == 0.0
    assert metrics.f1_score(y_true, y_pred, zero_division=1.0) == 0.0


# ----- ROC and AUC --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("drop_intermediate", [True, False])
def test_roc_curve_matches_sklearn(seed, drop_intermediate):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 80))
    y_true = rng.integers(0, 2, n)
    y_true[:2] = [0, 1]  # both classes present
    y_score = y_true * rng.uniform(0, 1) + rng.standard_normal(n)
    if seed % 3 == 0:
        y_score = np.round(y_score, 1)  # many ties
    ours = metrics.roc_curve(y_true, y_score, drop_intermediate=drop_intermediate)
    theirs = skm.roc_curve(y_true, y_score, drop_intermediate=drop_intermediate)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-15)
    assert metrics.roc_auc_score(y_true, y_score) == pytest.approx(skm.roc_auc_score(y_true, y_score), rel=1e-12)
    assert metrics.auc(ours[0], ours[1]) == pytest.approx(skm.auc(theirs[0], theirs[1]), rel=1e-12)


def test_roc_curve_pos_label_and_string_labels():
    y_true = np.array(["a", "b", "a", "b", "b"])
    y_score = np.array([0.1, 0.9, 0.4, 0.35, 0.8])
    for a, b in zip(metrics.roc_curve(y_true, y_score, pos_label="b"), skm.roc_curve(y_true, y_score, pos_label="b"),
                    strict=True):
        np.testing.assert_allclose(a, b)
    assert metrics.roc_auc_score(y_true, y_score) == pytest.approx(skm.roc_auc_score(y_true, y_score))


@given(arrays(np.float64, st.integers(2, 30), elements=st.floats(-5, 5)), st.data())
@settings(max_examples=60, deadline=None)
def test_roc_auc_is_the_probability_a_positive_outranks_a_negative(y_score, data):
    y_true = data.draw(arrays(np.int64, len(y_score), elements=st.integers(0, 1)))
    y_true[:2] = [0, 1]
    pos, neg = y_score[y_true == 1], y_score[y_true == 0]
    pairwise = np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :]))  # (P, Q) comparisons
    assert metrics.roc_auc_score(y_true, y_score) == pytest.approx(pairwise, abs=1e-12)


def test_auc_of_decreasing_x_and_a_known_area():
    assert metrics.auc([0, 0.5, 1], [0, 1, 1]) == pytest.approx(0.75)
    assert metrics.auc([1, 0.5, 0], [1, 1, 0]) == pytest.approx(0.75)


# ----- regression ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_regression_metrics_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(2, 50)),) if seed % 2 else (int(rng.integers(2, 50)), int(rng.integers(1, 4)))
    y_true = rng.standard_normal(shape)
    y_pred = y_true + rng.uniform(0.01, 2) * rng.standard_normal(shape)
    pairs = ((metrics.mean_absolute_error, skm.mean_absolute_error), (metrics.mean_squared_error,
             skm.mean_squared_error), (metrics.root_mean_squared_error, skm.root_mean_squared_error),
             (metrics.r2_score, skm.r2_score))
    for ours, theirs in pairs:
        assert ours(y_true, y_pred) == pytest.approx(theirs(y_true, y_pred), rel=1e-12, abs=1e-15)


def test_r2_of_constant_targets_follows_sklearn():
    y = np.full(5, 3.0)
    assert metrics.r2_score(y, y) == skm.r2_score(y, y) == 1.0
    assert metrics.r2_score(y, y + 1) == skm.r2_score(y, y + 1) == 0.0


def test_torch_tensors_and_lists_are_accepted():
    y_true, y_pred = torch.tensor([0, 1, 1, 0]), torch.tensor([0, 1, 0, 0])
    assert metrics.accuracy(y_true, y_pred) == 0.75
    assert metrics.mean_squared_error([1.0, 2.0], torch.tensor([1.0, 4.0])) == 2.0


# ----- errors ---------------------------------------------------------------------------------------


def test_errors_name_expected_and_got():
    with pytest.raises(ValueError, match="expected y_true and y_pred of the same length, got 3 and 2"):
        metrics.accuracy([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match=r"expected a non-empty y_true, got shape \(0,\)"):
        metrics.f1_score([], [])
    with pytest.raises(ValueError, match=r"expected y_pred of shape \(N,\), got shape \(2, 3\)"):
        metrics.accuracy([0, 1], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="expected class labels in y_pred, got non-integer floats"):
        metrics.accuracy([0, 1], [0.2, 0.9])
    with pytest.raises(ValueError, match=r"expected binary labels .* got 3: \[0, 1, 2\]"):
        metrics.precision([0, 1, 2], [0, 1, 1])
    with pytest.raises(ValueError, match=r"expected pos_label to be one of \[0, 2\], got 1"):
        metrics.recall([0, 2], [2, 2])
    with pytest.raises(ValueError, match="expected average to be one of .* got 'micro'"):
        metrics.f1_score([0, 1], [0, 1], average="micro")
    with pytest.raises(ValueError, match="expected zero_division to be 0.0, 1.0 or np.nan, got 'warn'"):
        metrics.f1_score([0, 1], [0, 1], zero_division="warn")
    with pytest.raises(ValueError, match="expected normalize to be one of .* got 'rows'"):
        metrics.confusion_matrix([0, 1], [0, 1], normalize="rows")


def test_ranking_and_regression_errors():
    with pytest.raises(ValueError, match="expected both classes in y_true, got only positives"):
        metrics.roc_curve([1, 1], [0.2, 0.3])
    with pytest.raises(ValueError, match=r"expected binary y_true, got 3 classes \[0, 1, 2\]"):
        metrics.roc_curve([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"expected y_true in \{0, 1\} or \{-1, 1\} when pos_label is None"):
        metrics.roc_curve([2, 5], [0.1, 0.2])
    with pytest.raises(ValueError, match="expected y_true and y_score of the same length, got 2 and 3"):
        metrics.roc_auc_score([0, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="expected exactly 2 classes in y_true, got 1"):
        metrics.roc_auc_score([0, 0], [0.1, 0.2])
    with pytest.raises(ValueError, match="expected x to be monotonic"):
        metrics.auc([0, 1, 0.5], [0, 1, 1])
    with pytest.raises(ValueError, match="expected at least 2 points, got 1"):
        metrics.auc([0], [1])
    with pytest.raises(ValueError, match=r"expected y_true and y_pred of the same shape, got \(3,\) and \(3, 1\)"):
        metrics.mean_squared_error(np.zeros(3), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="expected at least 2 samples, got 1"):
        metrics.r2_score([1.0], [1.0])
