"""The Fréchet distance: the closed forms for Gaussians with known answers, a direct computation through
eigenvalues, its sample estimate, the real-vs-real floor shrinking with N, and errors."""

import warnings

import numpy as np
import pytest

from dlcourse.gan import frechet_distance, frechet_distance_of_features, gaussian_statistics


def random_covariance(D, rng):
    A = rng.standard_normal((D, D))
    return A @ A.T + 0.1 * np.eye(D)


def test_one_dimension_is_mean_gap_squared_plus_std_gap_squared():
    # N(1, 2^2) and N(4, 0.5^2): (1 - 4)^2 + (2 - 0.5)^2 = 9 + 2.25
    got = frechet_distance(np.array([1.0]), np.array([[4.0]]), np.array([4.0]), np.array([[0.25]]))
    assert got == pytest.approx(11.25, rel=1e-12)


def test_diagonal_covariances_compare_standard_deviations():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.standard_normal(5), rng.standard_normal(5)
    var1, var2 = rng.uniform(0.1, 3, 5), rng.uniform(0.1, 3, 5)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2)
    assert frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2)) == pytest.approx(expected, rel=1e-10)


def test_scaled_covariance_and_identical_gaussians():
    rng = np.random.default_rng(1)
    mu, sigma = rng.standard_normal(4), random_covariance(4, rng)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-9)
    # sigma2 = c sigma commutes with sigma: tr(S + cS - 2 sqrt(c) S) = (1 - sqrt(c))^2 tr S
    expected = (1 - np.sqrt(9.0)) ** 2 * np.trace(sigma)
    assert frechet_distance(mu, sigma, mu, 9 * sigma) == pytest.approx(expected, rel=1e-10)


def test_general_covariances_match_a_direct_computation():
    rng = np.random.default_rng(2)
    for D in (2, 5, 16):
        mu1, mu2 = rng.standard_normal(D), rng.standard_normal(D)
        s1, s2 = random_covariance(D, rng), random_covariance(D, rng)
        # symmetric route: S1^{1/2} from an eigendecomposition, then tr (S1^{1/2} S2 S1^{1/2})^{1/2}
        w, V = np.linalg.eigh(s1)
        root1 = V @ np.diag(np.sqrt(w)) @ V.T
        inner = np.linalg.eigvalsh(root1 @ s2 @ root1)
        direct = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.sum(np.sqrt(inner))
        assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(direct, rel=1e-8)
        assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(frechet_distance(mu2, s2, mu1, s1), rel=1e-8)


def test_sample_estimate_approaches_the_closed_form_and_the_floor_shrinks():
    rng = np.random.default_rng(3)
    mu, sigma = np.zeros(3), np.diag([1.0, 4.0, 0.25])
    A = rng.multivariate_normal(mu, sigma, 50_000)
    B = rng.multivariate_normal(mu + [1.0, 0.0, 0.0], 4 * sigma, 50_000)
    expected = 1.0 + (1 - 2) ** 2 * np.trace(sigma)  # mean gap 1, covariance scaled by 4
    assert frechet_distance_of_features(A, B) == pytest.approx(expected, rel=0.02)
    floors = [frechet_distance_of_features(rng.multivariate_normal(mu, sigma, n), rng.multivariate_normal(mu, sigma, n))
              for n in (100, 10_000)]
    assert floors[0] > floors[1] > 0


def test_statistics_match_numpy():
    X = np.random.default_rng(4).standard_normal((30, 4))
    mu, sigma = gaussian_statistics(X)
    np.testing.assert_allclose(mu, X.mean(axis=0))
    np.testing.assert_allclose(sigma, np.cov(X, rowvar=False))


def test_singular_covariances_still_give_a_finite_answer_without_warnings():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((3, 6))  # 3 vectors in 6 dimensions: rank 2 covariances
    collapsed = np.zeros((50, 6))
    collapsed[:, :2] = 1e-3 * rng.standard_normal((50, 2))  # a collapsed generator: 4 features never vary
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(frechet_distance_of_features(X, X[::-1] + 1.0))
        value = frechet_distance_of_features(rng.standard_normal((50, 6)), collapsed)
    assert 3.0 < value < 9.0  # close to tr(S_real) = 6 (spread lost) plus |mu_real|^2 (small)


def test_errors():
    with pytest.raises(ValueError, match=r"expected sigma2 of shape \(2, 2\) \(D = 2 from mu1\), got shape \(3, 3\)"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(3))
    with pytest.raises(ValueError, match="at least 2 feature vectors"):
        gaussian_statistics(np.zeros((1, 4)))
    with pytest.raises(ValueError, match="imaginary part"):
        frechet_distance(np.zeros(2), np.array([[1.0, 0.0], [0.0, -1.0]]), np.zeros(2), np.eye(2))
