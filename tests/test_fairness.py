"""dlcourse.fairness against fairlearn's MetricFrame and metric functions (exact up to float rounding: 1e-12)."""

import numpy as np
import pytest
from fairlearn import metrics as fl
from sklearn.calibration import calibration_curve

from dlcourse import fairness
from dlcourse.data.decisions import make_decisions

TOL = 1e-12


def decisions(seed, n=500, n_groups=2):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, n_groups, size=n)
    y_true = (rng.random(n) < 0.3 + 0.2 * (group % 2)).astype(int)
    prob = np.clip(0.5 * y_true + 0.1 * group + 0.4 * rng.random(n), 0.0, 1.0)
    return y_true, (prob > 0.5).astype(int), group, prob


@pytest.mark.parametrize("seed,n_groups", [(0, 2), (1, 2), (2, 3), (3, 4)])
def test_by_group_matches_metricframe(seed, n_groups):
    y_true, y_pred, group, _ = decisions(seed, n_groups=n_groups)
    frame = fl.MetricFrame(metrics={"selection_rate": fl.selection_rate, "tpr": fl.true_positive_rate,
                                    "fpr": fl.false_positive_rate, "count": fl.count},
                           y_true=y_true, y_pred=y_pred, sensitive_features=group)
    table = fairness.group_table(y_true, y_pred, group)
    for name in ("selection_rate", "tpr", "fpr", "count"):
        expected = frame.by_group[name].to_dict()
        assert set(table[name]) == set(expected)
        for g, value in expected.items():
            assert table[name][g] == pytest.approx(value, abs=TOL), (name, g)


@pytest.mark.parametrize("seed,n_groups", [(4, 2), (5, 2), (6, 3)])
def test_differences_match_fairlearn(seed, n_groups):
    y_true, y_pred, group, _ = decisions(seed, n_groups=n_groups)
    pairs = [(fairness.demographic_parity_difference, fl.demographic_parity_difference),
             (fairness.demographic_parity_ratio, fl.demographic_parity_ratio),
             (fairness.equalized_odds_difference, fl.equalized_odds_difference),
             (fairness.equal_opportunity_difference, fl.equal_opportunity_difference)]
    for ours, theirs in pairs:
        expected = theirs(y_true, y_pred, sensitive_features=group)
        assert ours(y_true, y_pred, group) == pytest.approx(expected, abs=TOL), ours.__name__


def test_metrics_on_the_decision_data_match_fairlearn():
    data = make_decisions(3000, historical_bias=0.4, rng=np.random.default_rng(0))
    y_pred = (data.X[:, 0] + 0.5 * data.X[:, 2] > 0.3).astype(int)
    assert fairness.demographic_parity_difference(data.y, y_pred, data.group) == pytest.approx(
        fl.demographic_parity_difference(data.y, y_pred, sensitive_features=data.group), abs=TOL)
    assert fairness.equalized_odds_difference(data.y_true, y_pred, data.group) == pytest.approx(
        fl.equalized_odds_difference(data.y_true, y_pred, sensitive_features=data.group), abs=TOL)


def test_hand_example():
    # group 0: 2 of 4 selected, both positives selected, no negative selected; group 1: 1 of 4 selected, it is the
    # negative; TPR 1 vs 0 and FPR 0 vs 1/3, so DP diff 0.25, EO diff 1, equal opportunity diff 1, DP ratio 0.5.
    y_true = np.array([1, 1, 0, 0, 1, 0, 0, 0])
    y_pred = np.array([1, 1, 0, 0, 0, 1, 0, 0])
    group = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    assert fairness.demographic_parity_difference(y_true, y_pred, group) == pytest.approx(0.25)
    assert fairness.demographic_parity_ratio(y_true, y_pred, group) == pytest.approx(0.5)
    assert fairness.equalized_odds_difference(y_true, y_pred, group) == pytest.approx(1.0)
    assert fairness.equal_opportunity_difference(y_true, y_pred, group) == pytest.approx(1.0)


def test_calibration_matches_sklearn_per_group():
    y_true, _, group, prob = decisions(7, n=2000)
    result = fairness.calibration_by_group(y_true, prob, group, n_bins=5)
    for g in (0, 1):
        frac, mean = calibration_curve(y_true[group == g], prob[group == g], n_bins=5, strategy="uniform")
        np.testing.assert_allclose(result[g][0], mean, atol=1e-12)
        np.testing.assert_allclose(result[g][1], frac, atol=1e-12)
        assert result[g][2].sum() == np.sum(group == g)


def test_errors_name_expected_and_got():
    with pytest.raises(ValueError, match="only 0 and 1"):
        fairness.demographic_parity_difference([0, 1], [0, 2], [0, 1])
    with pytest.raises(ValueError, match=r"one shape \(N,\)"):
        fairness.equalized_odds_difference([0, 1, 1], [0, 1], [0, 1])
