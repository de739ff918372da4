"""The decision data set: each bias knob does what it says, and only that."""

import numpy as np
import pytest

from dlcourse.data.decisions import make_decisions


def draw(**knobs):
    return make_decisions(20000, rng=np.random.default_rng(0), **knobs)


def test_shapes_dtypes_and_reproducible():
    a, b = make_decisions(100, rng=np.random.default_rng(3)), make_decisions(100, rng=np.random.default_rng(3))
    assert a.X.shape == (100, 3) and a.y.shape == a.y_true.shape == a.group.shape == (100,)
    assert a.y.dtype == np.int64 and set(np.unique(a.group)) <= {0, 1}
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)


def test_no_knob_means_groups_alike():
    data = draw()
    assert abs(data.group.mean() - 0.5) < 0.02
    assert np.array_equal(data.y, data.y_true)
    rates = [data.y_true[data.group == g].mean() for g in (0, 1)]
    assert abs(rates[0] - rates[1]) < 0.02


def test_representation_bias_undersamples_group_1_only():
    data = draw(minority_fraction=0.1)
    assert abs(data.group.mean() - 0.1) < 0.01
    assert np.array_equal(data.y, data.y_true)


def test_historical_bias_flips_only_group_1_positives():
    data, clean = draw(historical_bias=0.5), draw()
    changed = data.y != data.y_true
    assert np.all(data.group[changed] == 1) and np.all(data.y_true[changed] == 1) and np.all(data.y[changed] == 0)
    flipped_share = changed.sum() / np.sum((data.group == 1) & (data.y_true == 1))
    assert abs(flipped_share - 0.5) < 0.03
    np.testing.assert_array_equal(data.y_true, clean.y_true)


def test_measurement_noise_only_on_group_1_features():
    data, clean = draw(measurement_noise=1.0), draw()
    np.testing.assert_array_equal(data.y_true, clean.y_true)
    spread = [np.std(data.X[data.group == g, 0] - clean.X[clean.group == g, 0]) for g in (0, 1)]
    assert spread[0] == 0.0 and abs(spread[1] - 1.0) < 0.05


def test_base_rate_gap_lowers_group_1_repayment():
    data = draw(base_rate_gap=0.5)
    rates = [data.y_true[data.group == g].mean() for g in (0, 1)]
    assert rates[0] - rates[1] > 0.2


def test_bad_arguments():
    with pytest.raises(ValueError, match="minority_fraction"):
        make_decisions(10, minority_fraction=1.0)
    with pytest.raises(ValueError, match="historical_bias"):
        make_decisions(10, historical_bias=1.5)
    with pytest.raises(TypeError, match="Generator"):
        make_decisions(10, rng=0)
