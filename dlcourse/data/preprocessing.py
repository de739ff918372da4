"""Preparing arrays for training: split into train/validation/test, standardize with training statistics, one-hot.

The rule the course repeats: every statistic (a mean, a standard deviation, a vocabulary) is computed on the
training split only and then applied unchanged to validation and test data, or the test score flatters the model.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from dlcourse.validate import as_real_array, check_rng

# ----- splitting ----------------------------------------------------------------------------------


def _count(size, n: int, name: str) -> int:
    """A split size given as a fraction in [0, 1) or a count in [0, n] -> a count."""
    if isinstance(size, bool) or not isinstance(size, (int, float, np.integer, np.floating)):
        raise TypeError(f"train_val_test_split: expected {name} to be a fraction or a count, "
                        f"got {type(size).__name__} {size!r}")
    if isinstance(size, (float, np.floating)):
        if not 0 <= size < 1:
            raise ValueError(f"train_val_test_split: expected {name} as a fraction in [0, 1), got {size}")
        return int(np.floor(size * n + 0.5))
    if not 0 <= size <= n:
        raise ValueError(f"train_val_test_split: expected {name} as a count in [0, {n}], got {size}")
    return int(size)


def _largest_remainder(counts: np.ndarray, total: int) -> np.ndarray:
    """Split ``total`` over groups in proportion to ``counts`` (K,), in whole numbers that sum to ``total``."""
    exact = counts * total / max(counts.sum(), 1)
    quotas = np.floor(exact).astype(np.int64)
    short = total - quotas.sum()
    quotas[np.argsort(quotas - exact, kind="stable")[:short]] += 1  # largest fractional parts first
    return quotas


def _split_indices(n: int, n_val: int, n_test: int, groups: np.ndarray, rng: np.random.Generator):
    """Shuffled indices (train, val, test) of sizes (N - n_val - n_test, n_val, n_test).

    Each group gets its proportional share of the test part to within one sample, then of the validation part
    out of what is left (so within two of its overall share there), and the rest trains.
    """
    perm = rng.permutation(n)
    g = groups[perm]  # (N,) group ids 0..G-1 in shuffled order
    counts = np.bincount(g)
    test_quota = _largest_remainder(counts, n_test)
    val_quota = _largest_remainder(counts - test_quota, n_val)
    by_group = np.argsort(g, kind="stable")  # positions grouped, shuffled order kept within a group
    rank = np.empty(n, np.int64)
    rank[by_group] = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts)  # rank within its group
    is_test = rank < test_quota[g]
    is_val = ~is_test & (rank < test_quota[g] + val_quota[g])
    return perm[~is_test & ~is_val], perm[is_val], perm[is_test]


def train_val_test_split(*arrays: np.ndarray, val_size: float | int = 0.15, test_size: float | int = 0.15,
                         stratify: np.ndarray | None = None, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffle and split arrays that share their first dimension into train, validation and test parts.

    Args:
        *arrays: one or more arrays with the same length N along axis 0 (e.g. X (N, D) and y (N,)).
        val_size: the validation part: a fraction in [0, 1) (rounded to the nearest count) or a count; 0 gives an
            empty part.
        test_size: the test part, in the same way.
        stratify: None, or (N,) labels whose proportions each part keeps: each class's count in each part is within
            one sample of its proportional share in the test part and within two in the others.
        rng: the Generator that shuffles.
    Returns:
        [a_train, a_val, a_test, b_train, b_val, b_test, ...]: three parts per array, in order (scikit-learn's
        train_test_split layout with a validation part in the middle).
    """
    where = "train_val_test_split"
    rng = check_rng(rng, where)
    if not arrays:
        raise ValueError(f"{where}: expected at least one array, got none")
    arrays = [np.asarray(a) for a in arrays]
    n = len(arrays[0]) if arrays[0].ndim else 0
    for index, a in enumerate(arrays):
        if a.ndim == 0 or len(a) != n:
            raise ValueError(f"{where}: expected every array to have length {n} (that of array 0), "
                             f"got shape {a.shape} for array {index}")
    n_val, n_test = _count(val_size, n, "val_size"), _count(test_size, n, "test_size")
    if n - n_val - n_test < 1:
        raise ValueError(f"{where}: expected at least one training sample, got {n} samples for "
                         f"{n_val} validation + {n_test} test")
    if stratify is None:
        groups = np.zeros(n, np.int64)
    else:
        stratify = np.asarray(stratify)
        if stratify.shape != (n,):
            raise ValueError(f"{where}: expected stratify of shape ({n},), got {stratify.shape}")
        groups = np.unique(stratify, return_inverse=True)[1].reshape(n)
    parts = _split_indices(n, n_val, n_test, groups, rng)
    return [a[index] for a in arrays for index in parts]


# ----- standardizing ------------------------------------------------------------------------------


class Standardizer:
    """Shift and scale features to mean 0 and standard deviation 1, with statistics from ``fit`` only.

    Args:
        axis: the axes statistics are taken over: 0 for tables (N, D) (one mean per feature), (0, 2, 3) for images
            (N, C, H, W) (one mean per channel).
    Attributes (after fit):
        mean_, scale_: float64 arrays that broadcast against the input (size 1 along ``axis``). scale_ is the
        population standard deviation, 1 where a feature is constant (so it is centred, not divided by 0).
    """

    def __init__(self, axis: int | tuple[int, ...] = 0):
        self.axis = axis
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def fit(self, x: ArrayLike) -> Standardizer:
        """Learn mean_ and scale_ from x (the training split), shape (N, *)."""
        x = as_real_array(x, "Standardizer.fit")
        if x.ndim == 0 or len(x) == 0:
            raise ValueError(f"Standardizer.fit: expected a non-empty array of shape (N, *), got shape {x.shape}")
        x64 = x.astype(np.float64)  # statistics in float64 so float32 data loses nothing to summation error
        self.mean_ = x64.mean(axis=self.axis, keepdims=True)
        std = x64.std(axis=self.axis, keepdims=True)
        self.scale_ = np.where(std > 0, std, 1.0)
        return self

    def _check(self, x, where: str) -> np.ndarray:
        if self.mean_ is None:
            raise RuntimeError(f"{where}: expected a fitted Standardizer, got an unfitted one; call fit(X_train) "
                               "first")
        x = as_real_array(x, where)
        kept = [size for size, one in zip(x.shape, self.mean_.shape, strict=False) if one != 1]
        expected = [size for size in self.mean_.shape if size != 1]
        if x.ndim != self.mean_.ndim or kept != expected:
            raise ValueError(f"{where}: expected input shaped like the fitted data, "
                             f"(N, *) broadcasting with {self.mean_.shape}, got shape {x.shape}")
        return x

    def transform(self, x: ArrayLike) -> np.ndarray:
        """(x - mean_) / scale_, shape kept, dtype kept (integers become float64)."""
        x = self._check(x, "Standardizer.transform")
        return ((x - self.mean_) / self.scale_).astype(x.dtype)

    def inverse_transform(self, z: ArrayLike) -> np.ndarray:
        """z * scale_ + mean_: back to the original units (e.g. predictions of a standardized target)."""
        z = self._check(z, "Standardizer.inverse_transform")
        return (z * self.scale_ + self.mean_).astype(z.dtype)

    def fit_transform(self, x: ArrayLike) -> np.ndarray:
        """fit(x) then transform(x): only for the training split."""
        return self.fit(x).transform(x)

    def __repr__(self) -> str:
        state = "unfitted" if self.mean_ is None else f"fitted on {self.mean_.shape}"
        return f"Standardizer(axis={self.axis}, {state})"


def standardize(x: ArrayLike, *, axis: int | tuple[int, ...] = 0) -> np.ndarray:
    """x with its own statistics removed: (x - mean) / std along ``axis``. For splits, fit a Standardizer on the
    training split instead. Args: x (N, *). Returns: the same shape and float dtype."""
    return Standardizer(axis).fit_transform(x)


# ----- labels ---------------------------------------------------------------------------------------


def one_hot(y: ArrayLike, num_classes: int | None = None, *, dtype: DTypeLike = np.float64) -> np.ndarray:
    """Class indices to indicator vectors, as torch.nn.functional.one_hot (but float by default).

    Args:
        y: (*) integer labels in 0..K-1, any shape.
        num_classes: K; None means max(y) + 1.
        dtype: the output dtype (float64 default, so it can be a target of MSELoss directly).
    Returns:
        (*, K) array with a single 1 per row.
    """
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected integer class indices, got dtype {y.dtype}; use y.astype(np.int64)")
    if y.size and y.min() < 0:
        raise ValueError(f"one_hot: expected class indices >= 0, got {y.min()}")
    k = (int(y.max()) + 1 if y.size else 0) if num_classes is None else num_classes
    if y.size and y.max() >= k:
        raise ValueError(f"one_hot: expected class indices < num_classes = {k}, got {y.max()}")
    return (y[..., None] == np.arange(k)).astype(dtype)  # (*,) -> (*, K) by broadcasting against 0..K-1
