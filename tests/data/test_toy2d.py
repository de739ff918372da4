"""The generated 2-D datasets: shapes, dtypes, balanced classes, the geometry each promises, seeds, errors."""

import numpy as np
import pytest

from dlcourse.data import make_blobs, make_circles, make_moons, make_regression_curve, make_spirals, make_xor
from dlcourse.data.toy2d import smooth_curve

CLASSIFIERS = {
    "moons": (make_moons, 2, {}),
    "circles": (make_circles, 2, {}),
    "spirals3": (make_spirals, 3, {"n_arms": 3}),
    "spirals5": (make_spirals, 5, {"n_arms": 5}),
    "xor": (make_xor, 2, {}),
    "blobs": (make_blobs, 4, {"centers": 4}),
}


@pytest.mark.parametrize("name", CLASSIFIERS)
@pytest.mark.parametrize("n_samples", [7, 100, 301])
def test_shapes_dtypes_and_class_balance(name, n_samples):
    make, n_classes, kwargs = CLASSIFIERS[name]
    X, y = make(n_samples, rng=np.random.default_rng(1), **kwargs)
    assert X.shape == (n_samples, 2) and X.dtype == np.float64
    assert y.shape == (n_samples,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=n_classes)
    assert len(counts) == n_classes and counts.max() - counts.min() <= 1 and counts.sum() == n_samples
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_same_seed_same_data_other_seed_other_data(name):
    make, _, kwargs = CLASSIFIERS[name]
    X1, y1 = make(50, rng=np.random.default_rng(3), **kwargs)
    X2, y2 = make(50, rng=np.random.default_rng(3), **kwargs)
    X3, _ = make(50, rng=np.random.default_rng(4), **kwargs)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(X1, X3)


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_rows_are_shuffled_unless_asked_not_to(name):
    make, _, kwargs = CLASSIFIERS[name]
    _, y = make(60, rng=np.random.default_rng(0), **kwargs)
    _, y_sorted = make(60, rng=np.random.default_rng(0), shuffle=False, **kwargs)
    assert np.all(np.diff(y_sorted) >= 0) and not np.all(np.diff(y) >= 0)


def test_noise_free_geometry():
    rng = np.random.default_rng(0)
    X, y = make_circles(200, noise=0.0, factor=0.3, rng=rng)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), np.where(y == 0, 1.0, 0.3))
    X, y = make_moons(200, noise=0.0, rng=rng)
    centre = np.where(y[:, None] == 0, [0.0, 0.0], [1.0, 0.5])
    np.testing.assert_allclose(np.linalg.norm(X - centre, axis=1), 1.0)
    assert np.all(X[y == 0, 1] >= 0) and np.all(X[y == 1, 1] <= 0.5)
    X, y = make_xor(40, noise=0.0, rng=rng)
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0], X[:, 1]))
    X, y = make_spirals(90, n_arms=3, noise=0.0, turns=0.5, rng=rng)
    radius = np.linalg.norm(X, axis=1)
    t = (radius - 0.1) / 0.9  # position along the arm recovers the angle: 2 pi (turns t + k / K)
    angle = 2 * np.pi * (0.5 * t + y / 3)
    expected = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    np.testing.assert_allclose(X, expected, atol=1e-12)


def test_noise_level_sets_the_spread():
    centers = np.array([[0.0, 0.0], [10.0, 10.0]])
    X, y = make_blobs(20000, centers=centers, noise=0.5, rng=np.random.default_rng(0))
    for k in range(2):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centers[k], atol=0.03)
        np.testing.assert_allclose(X[y == k].std(axis=0), 0.5, rtol=0.05)


def test_regression_curve():
    rng = np.random.default_rng(0)
    X, y = make_regression_curve(500, noise=0.0, x_range=(-1.0, 2.0), rng=rng)
    assert X.shape == (500, 1) and y.shape == (500,) and X.dtype == y.dtype == np.float64
    assert X.min() >= -1 and X.max() <= 2
    np.testing.assert_allclose(y, smooth_curve(X[:, 0]))
    X, y = make_regression_curve(5000, noise=0.3, fn=np.cos, rng=rng)
    assert np.std(y - np.cos(X[:, 0])) == pytest.approx(0.3, rel=0.05)


def test_errors_name_expected_and_got():
    rng = np.random.default_rng(0)
    with pytest.raises(TypeError, match="expected rng=np.random.Generator .* got int"):
        make_moons(10, rng=0)
    unseeded = [make_xor(10, rng=None)[0] for _ in range(2)]  # rng=None: a fresh unseeded generator each time
    assert not np.array_equal(*unseeded)
    with pytest.raises(ValueError, match="expected n_samples >= 4, got 3"):
        make_xor(3, rng=rng)
    with pytest.raises(ValueError, match="expected noise >= 0, got -0.1"):
        make_circles(10, noise=-0.1, rng=rng)
    with pytest.raises(ValueError, match="expected 0 < factor < 1, got 1.5"):
        make_circles(10, factor=1.5, rng=rng)
    with pytest.raises(ValueError, match="expected n_arms >= 2, got 1"):
        make_spirals(10, n_arms=1, rng=rng)
    with pytest.raises(ValueError, match=r"expected centers to be an int or an array of shape \(K, 2\), got \S+ \(3,"):
        make_blobs(10, centers=np.zeros(3), rng=rng)
    with pytest.raises(ValueError, match=r"expected x_range \(low, high\) with low < high, got \(1, 0\)"):
        make_regression_curve(10, x_range=(1, 0), rng=rng)
