"""The Fréchet distance between two sets of feature vectors, each summarised by a Gaussian.

Images are compared in the feature space of a trained classifier (Heusel et al., 2017, used Inception; the course
uses a small digits classifier). Fit a Gaussian to each set: means mu_1, mu_2 (D,) and covariances S_1, S_2 (D, D).
The Fréchet (2-Wasserstein) distance between N(mu_1, S_1) and N(mu_2, S_2) is, in squared form,

    FD = |mu_1 - mu_2|^2 + tr(S_1 + S_2 - 2 (S_1 S_2)^{1/2}).

The first term compares where the two clouds sit, the second their spread and shape. For one dimension it is
(m_1 - m_2)^2 + (s_1 - s_2)^2 with standard deviations s; for covariances that commute (both diagonal, say) it is
|mu_1 - mu_2|^2 + |S_1^{1/2} - S_2^{1/2}|_F^2. The matrix square root (S_1 S_2)^{1/2} is a matrix R with R R =
S_1 S_2. The product is not symmetric, but it is similar to the symmetric S_1^{1/2} S_2 S_1^{1/2}, so its
eigenvalues lambda_i are real and >= 0, and tr (S_1 S_2)^{1/2} = sum_i sqrt(lambda_i). scipy.linalg.sqrtm computes
the root (through a Schur decomposition); rounding can leave a tiny imaginary part, which is dropped.

A finite sample of real images against another finite sample of real images does not give 0: the estimated means and
covariances carry sampling noise. That real-vs-real value is the floor against which a generator is judged.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg

from dlcourse.validate import as_float_array, check_ndim

IMAGINARY_TOLERANCE = 1e-3  # relative to the trace: more than rounding means the covariances are not valid


def gaussian_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of a set of feature vectors (the covariance divides by N - 1, as np.cov).

    Args:
        features: (N, D) one feature vector per row, N >= 2.
    Returns:
        mu: (D,) float64. sigma: (D, D) float64, symmetric.
    """
    features = as_float_array(features, "gaussian_statistics", "features")
    check_ndim(features, 2, "gaussian_statistics", "(N, D)", "features")
    if len(features) < 2:
        raise ValueError(f"gaussian_statistics: expected at least 2 feature vectors (N >= 2) for a covariance, "
                         f"got shape {features.shape}")
    features = features.astype(np.float64)
    centred = features - features.mean(axis=0)  # (N, D)
    return features.mean(axis=0), centred.T @ centred / (len(features) - 1)  # (D, N) @ (N, D) -> (D, D)


def _sqrtm_or_none(matrix: np.ndarray) -> np.ndarray | None:
    """scipy.linalg.sqrtm of a (D, D) matrix, or None when it is singular (SciPy warns) or the root is not finite."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", scipy.linalg.LinAlgWarning)
        try:
            root = scipy.linalg.sqrtm(matrix)
        except scipy.linalg.LinAlgWarning:
            return None
    return root if np.all(np.isfinite(root)) else None


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray, *,
                     eps: float = 1e-6) -> float:
    """The squared Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2).

    Args:
        mu1, mu2: (D,) means. sigma1, sigma2: (D, D) symmetric positive semi-definite covariances.
        eps: when sqrtm fails (a singular product, e.g. fewer samples than dimensions), eps * I is added to both
            covariances and the root taken again.
    Returns:
        |mu1 - mu2|^2 + tr(sigma1 + sigma2 - 2 sqrtm(sigma1 @ sigma2)), a float >= 0 (up to rounding).
    """
    mu1, mu2 = (as_float_array(m, "frechet_distance", n).astype(np.float64) for m, n in ((mu1, "mu1"), (mu2, "mu2")))
    sigma1 = as_float_array(sigma1, "frechet_distance", "sigma1").astype(np.float64)
    sigma2 = as_float_array(sigma2, "frechet_distance", "sigma2").astype(np.float64)
    check_ndim(mu1, 1, "frechet_distance", "(D,)", "mu1")
    D = len(mu1)
    for name, value, shape in (("mu2", mu2, (D,)), ("sigma1", sigma1, (D, D)), ("sigma2", sigma2, (D, D))):
        if value.shape != shape:
            raise ValueError(f"frechet_distance: expected {name} of shape {shape} (D = {D} from mu1), got "
                             f"shape {value.shape}")
    root = _sqrtm_or_none(sigma1 @ sigma2)
    if root is None:  # singular (e.g. a collapsed generator's features): shift both covariances a little
        shift = eps * np.eye(D)
        root = scipy.linalg.sqrtm((sigma1 + shift) @ (sigma2 + shift))
    if np.iscomplexobj(root):
        largest = np.abs(root.imag).max()
        if largest > IMAGINARY_TOLERANCE * max(1.0, abs(np.trace(root.real))):
            raise ValueError(f"frechet_distance: the matrix square root has an imaginary part of {largest:.3g}; "
                             "expected symmetric positive semi-definite covariances")
        root = root.real
    gap = mu1 - mu2
    return float(gap @ gap + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(root))


def frechet_distance_of_features(features1: np.ndarray, features2: np.ndarray) -> float:
    """The Fréchet distance between the Gaussians fitted to two sets of features.

    Args:
        features1: (N1, D) features of one set (say real images). features2: (N2, D) of the other (generated).
    Returns:
        frechet_distance(*gaussian_statistics(features1), *gaussian_statistics(features2)).
    """
    return frechet_distance(*gaussian_statistics(features1), *gaussian_statistics(features2))
