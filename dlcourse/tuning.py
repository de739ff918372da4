"""Bayesian optimisation's two pieces, as pure functions: a Gaussian-process surrogate and expected improvement.

A Gaussian process (GP) models an unknown score f(u) over points u in [0, 1]^P (hyperparameters rescaled to the
unit box) as jointly Gaussian: any two points' scores are correlated by a kernel that decays with their distance,

    k(u, u') = exp(-||u - u'||^2 / (2 * length_scale^2)).

Given observed scores y at points U, the GP's prediction at a new point u is a Gaussian with

    mean(u) = k(u, U) (K + noise I)^-1 y,        var(u) = k(u, u) - k(u, U) (K + noise I)^-1 k(U, u),

where K = k(U, U). Far from every observation the mean falls back to the prior (the observations' mean, since the
scores are centred and scaled first) and the uncertainty grows back to the prior's.

Expected improvement (EI) scores a candidate by how much it is expected to beat the best score so far, ``best``,
counting only improvements: for a Gaussian prediction with mean m and standard deviation s, and z = (m - best) / s,

    EI = (m - best) * Phi(z) + s * phi(z),

with Phi and phi the standard normal CDF and density. It is large where the mean is high (exploitation) or the
uncertainty is large (exploration). The optimisation loop that uses them is written out in chapter 06.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from dlcourse.validate import check_ndim


def rbf_kernel(A: np.ndarray, B: np.ndarray, *, length_scale: float = 0.3) -> np.ndarray:
    """The squared-exponential kernel between two sets of points.

    Args:
        A: (M, P) points. B: (Q, P) points. length_scale: the distance over which scores stay correlated.
    Returns:
        (M, Q) kernel values in (0, 1].
    """
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    check_ndim(A, 2, "rbf_kernel", "(M, P)", "A")
    check_ndim(B, 2, "rbf_kernel", "(Q, P)", "B")
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"rbf_kernel: expected A and B with the same number of columns, got {A.shape} and {B.shape}")
    if length_scale <= 0:
        raise ValueError(f"rbf_kernel: expected length_scale > 0, got {length_scale}")
    squared = np.sum((A[:, None, :] - B[None, :, :]) ** 2, axis=-1)  # (M, 1, P) - (1, Q, P) -> (M, Q)
    return np.exp(-squared / (2 * length_scale**2))


def gp_posterior(U: np.ndarray, y: np.ndarray, candidates: np.ndarray, *, length_scale: float = 0.3,
                 noise: float = 1e-4) -> tuple[np.ndarray, np.ndarray]:
    """The GP's predicted mean and standard deviation of the score at each candidate point.

    Args:
        U: (M, P) observed points. y: (M,) their scores. candidates: (Q, P) points to predict.
        length_scale: of the kernel. noise: variance added to the diagonal (observed scores are a little noisy,
            and it keeps the solve stable).
    Returns:
        mean: (Q,) and std: (Q,), in the units of y.
    """
    U, y = np.asarray(U, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if y.ndim != 1 or len(y) != len(U) or len(y) == 0:
        raise ValueError(f"gp_posterior: expected y of shape ({len(U)},) with at least one score, got {y.shape}")
    centre, scale = y.mean(), y.std() if y.std() > 0 else 1.0
    y_std = (y - centre) / scale  # the prior mean 0 and variance 1 then fit the scores
    K = rbf_kernel(U, U, length_scale=length_scale) + noise * np.eye(len(U))  # (M, M)
    K_star = rbf_kernel(candidates, U, length_scale=length_scale)  # (Q, M)
    L = np.linalg.cholesky(K)  # K = L L^T: two triangular solves instead of an inverse
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y_std))  # (M,): K^-1 y
    V = np.linalg.solve(L, K_star.T)  # (M, Q): L^-1 k(U, u)
    mean = K_star @ alpha  # (Q,)
    var = np.maximum(1.0 - np.sum(V**2, axis=0), 1e-12)  # k(u, u) = 1, minus what the observations explain
    return centre + scale * mean, scale * np.sqrt(var)


def expected_improvement(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """How much each candidate is expected to exceed ``best`` (maximising), counting only improvements.

    Args:
        mean: (Q,) predicted means. std: (Q,) predicted standard deviations (> 0). best: the best score so far.
    Returns:
        (Q,) expected improvements, >= 0.
    """
    mean, std = np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
    if mean.shape != std.shape:
        raise ValueError(f"expected_improvement: expected mean and std of the same shape, got {mean.shape} and "
                         f"{std.shape}")
    z = (mean - best) / std
    density = np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)
    return np.maximum((mean - best) * ndtr(z) + std * density, 0.0)
