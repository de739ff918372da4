"""The Gaussian-process surrogate and expected improvement of dlcourse.tuning."""

import numpy as np
import pytest
from scipy.stats import norm

from dlcourse.tuning import expected_improvement, gp_posterior, rbf_kernel


def test_kernel_is_one_on_the_diagonal_and_decays_with_distance():
    A = np.array([[0.0, 0.0], [0.3, 0.4]])  # distance 0.5
    K = rbf_kernel(A, A, length_scale=0.5)
    np.testing.assert_allclose(np.diag(K), 1.0)
    np.testing.assert_allclose(K[0, 1], np.exp(-0.25 / (2 * 0.25)))  # exp(-d^2 / (2 l^2))
    np.testing.assert_allclose(K, K.T)


def test_posterior_interpolates_observations_and_is_unsure_far_away():
    U = np.array([[0.1], [0.5], [0.9]])
    y = np.array([1.0, 3.0, 2.0])
    mean, std = gp_posterior(U, y, U, length_scale=0.2, noise=1e-8)
    np.testing.assert_allclose(mean, y, atol=1e-5)
    assert np.all(std < 1e-3)
    far_mean, far_std = gp_posterior(U, y, np.array([[5.0]]), length_scale=0.2)
    np.testing.assert_allclose(far_mean, y.mean(), atol=1e-6)  # back to the prior: the scores' mean
    np.testing.assert_allclose(far_std, y.std(), rtol=1e-6)  # and the prior's spread


def test_posterior_matches_the_textbook_formula_with_an_explicit_inverse():
    rng = np.random.default_rng(0)
    U, y, C = rng.random((6, 2)), rng.standard_normal(6), rng.random((4, 2))
    noise, ell = 1e-3, 0.4
    y_std = (y - y.mean()) / y.std()
    K_inv = np.linalg.inv(rbf_kernel(U, U, length_scale=ell) + noise * np.eye(6))
    k = rbf_kernel(C, U, length_scale=ell)
    mean = y.mean() + y.std() * (k @ K_inv @ y_std)
    var = 1.0 - np.einsum("qm,mn,qn->q", k, K_inv, k)  # diag of k K^-1 k^T
    got_mean, got_std = gp_posterior(U, y, C, length_scale=ell, noise=noise)
    np.testing.assert_allclose(got_mean, mean, rtol=1e-8)
    np.testing.assert_allclose(got_std, y.std() * np.sqrt(var), rtol=1e-6)


def test_expected_improvement_matches_a_monte_carlo_estimate():
    rng = np.random.default_rng(1)
    mean, std, best = np.array([0.0, 1.0, 2.0]), np.array([1.0, 0.5, 0.1]), 1.2
    draws = rng.normal(mean, std, size=(400_000, 3))
    monte_carlo = np.maximum(draws - best, 0).mean(axis=0)
    np.testing.assert_allclose(expected_improvement(mean, std, best), monte_carlo, rtol=0.02, atol=1e-4)
    z = (mean - best) / std  # and the closed form, with scipy's normal
    np.testing.assert_allclose(expected_improvement(mean, std, best),
                               (mean - best) * norm.cdf(z) + std * norm.pdf(z), rtol=1e-12)


def test_errors_name_expected_and_got():
    with pytest.raises(ValueError, match=r"same number of columns, got \(2, 2\) and \(2, 3\)"):
        rbf_kernel(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="expected length_scale > 0, got 0"):
        rbf_kernel(np.zeros((2, 2)), np.zeros((2, 2)), length_scale=0)
    with pytest.raises(ValueError, match=r"expected y of shape \(3,\) with at least one score, got \(2,\)"):
        gp_posterior(np.zeros((3, 1)), np.zeros(2), np.zeros((1, 1)))
    with pytest.raises(ValueError, match=r"expected mean and std of the same shape, got \(2,\) and \(3,\)"):
        expected_improvement(np.zeros(2), np.ones(3), 0.0)
