"""The mixtures of Gaussians: where the modes are, that samples come from them with the stated spread, seeds, errors."""

import numpy as np
import pytest

from dlcourse.data import (
    grid_centers,
    make_grid_of_gaussians,
    make_ring_of_gaussians,
    ring_centers,
    sample_mixture,
)


def test_ring_centres_are_evenly_spaced_on_the_circle():
    centers = ring_centers(8, radius=2.0)
    assert centers.shape == (8, 2) and centers.dtype == np.float64
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 2.0)
    np.testing.assert_allclose(centers[0], [2.0, 0.0])
    np.testing.assert_allclose(centers[2], [0.0, 2.0], atol=1e-15)
    gaps = np.linalg.norm(centers - np.roll(centers, 1, axis=0), axis=1)  # neighbours: chord 2 r sin(pi / 8)
    np.testing.assert_allclose(gaps, 2 * 2.0 * np.sin(np.pi / 8))


def test_grid_centres_are_a_centred_square_grid():
    centers = grid_centers(5, spacing=2.0)
    assert centers.shape == (25, 2)
    np.testing.assert_allclose(centers.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(np.unique(centers[:, 0]), [-4, -2, 0, 2, 4])
    np.testing.assert_allclose(centers[:5, 1], -4.0)  # the first row
    assert len({tuple(c) for c in centers}) == 25
    np.testing.assert_allclose(grid_centers(1), [[0.0, 0.0]])


@pytest.mark.parametrize("make, K", [(make_ring_of_gaussians, 8), (make_grid_of_gaussians, 25)])
def test_samples_sit_around_their_own_mode_with_the_stated_spread(make, K):
    X, y = make(20_000, std=0.1, rng=np.random.default_rng(0))
    assert X.shape == (20_000, 2) and X.dtype == np.float64 and y.dtype == np.int64
    centers = ring_centers() if K == 8 else grid_centers()
    offsets = X - centers[y]
    np.testing.assert_allclose(offsets.std(axis=0), 0.1, rtol=0.03)
    np.testing.assert_allclose(offsets.mean(axis=0), 0.0, atol=0.005)
    counts = np.bincount(y, minlength=K)
    assert len(counts) == K and counts.min() > 0.8 * 20_000 / K  # every mode drawn, about equally often


def test_same_seed_same_samples_and_zero_std_gives_the_centres():
    a = make_ring_of_gaussians(50, rng=np.random.default_rng(3))
    b = make_ring_of_gaussians(50, rng=np.random.default_rng(3))
    c = make_ring_of_gaussians(50, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.allclose(a[0], c[0])
    X, y = sample_mixture(30, np.array([[1.0, 2.0], [-3.0, 0.5]]), std=0.0, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(X, np.array([[1.0, 2.0], [-3.0, 0.5]])[y])


def test_errors_name_what_was_expected():
    with pytest.raises(TypeError, match="expected rng=np.random.Generator"):
        make_ring_of_gaussians(10, rng=0)
    with pytest.raises(ValueError, match=r"expected centers of shape \(K, 2\).*got shape \(3,\)"):
        sample_mixture(5, np.zeros(3), std=0.1, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="expected std >= 0, got -1"):
        make_grid_of_gaussians(5, std=-1.0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="expected radius > 0"):
        ring_centers(8, radius=0.0)
    with pytest.raises(ValueError, match="expected n_samples >= 1, got 0"):
        make_ring_of_gaussians(0, rng=np.random.default_rng(0))
