"""Mode coverage: real samples cover every mode with the share a 3-sigma disc promises; a collapsed or scattered
generator is caught; counts, thresholds and errors."""

import numpy as np
import pytest

from dlcourse.data import make_ring_of_gaussians, ring_centers
from dlcourse.gan import mode_coverage, nearest_mode


def test_real_samples_cover_every_mode_with_the_three_sigma_share():
    X, _ = make_ring_of_gaussians(20_000, std=0.05, rng=np.random.default_rng(0))
    result = mode_coverage(X, ring_centers(), std=0.05)
    assert result.covered == 8 and result.counts.sum() == round(result.high_quality * 20_000)
    # a 2-D Gaussian puts 1 - exp(-9/2) of its mass within 3 standard deviations
    assert result.high_quality == pytest.approx(1 - np.exp(-4.5), abs=0.003)


def test_collapse_to_two_modes_and_scattered_noise_are_seen():
    centers = ring_centers()
    rng = np.random.default_rng(1)
    collapsed = centers[rng.integers(0, 2, 1000)] + 0.01 * rng.standard_normal((1000, 2))
    result = mode_coverage(collapsed, centers, std=0.05)
    assert result.covered == 2 and result.high_quality == 1.0 and set(np.nonzero(result.counts)[0]) == {0, 1}
    scattered = rng.uniform(-3, 3, (1000, 2))
    result = mode_coverage(scattered, centers, std=0.05)
    assert result.high_quality < 0.05 and result.covered == 0


def test_min_count_and_threshold_are_respected():
    centers = np.array([[0.0, 0.0], [10.0, 0.0]])
    samples = np.array([[0.1, 0.0]] * 5 + [[10.0, 0.29]] * 3 + [[5.0, 5.0]] * 2)
    result = mode_coverage(samples, centers, std=0.1, min_count=3)  # the radius is 0.3
    np.testing.assert_array_equal(result.counts, [5, 3])
    assert result.covered == 2 and result.high_quality == pytest.approx(0.8)
    assert mode_coverage(samples, centers, std=0.1, min_count=4).covered == 1
    assert mode_coverage(samples, centers, std=0.1, n_std=2.0, min_count=1).covered == 1  # radius 0.2


def test_nearest_mode():
    index, distance = nearest_mode(np.array([[0.0, 1.9], [3.0, 0.0]]), ring_centers(4, radius=2.0))
    np.testing.assert_array_equal(index, [1, 0])
    np.testing.assert_allclose(distance, [0.1, 1.0])


def test_errors():
    with pytest.raises(ValueError, match=r"same D.*got shapes \(4, 3\) and \(8, 2\)"):
        nearest_mode(np.zeros((4, 3)), ring_centers())
    with pytest.raises(ValueError, match="expected std > 0"):
        mode_coverage(np.zeros((4, 2)), ring_centers(), std=0.0)
    with pytest.raises(ValueError, match="expected min_count >= 1, got 0"):
        mode_coverage(np.zeros((4, 2)), ring_centers(), std=0.1, min_count=0)
