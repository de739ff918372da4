"""Handwritten digits, 8x8 pixels: 1,797 images that scikit-learn ships on disk, so nothing is downloaded.

A small, real image dataset: big enough for a network to beat a linear model, small enough to train on a laptop
CPU in seconds.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import DTypeLike

from dlcourse.validate import FLOAT_DTYPES, check_positive_int


@lru_cache(maxsize=1)
def _raw_digits() -> tuple[np.ndarray, np.ndarray]:
    """Pixels (N, 8, 8) as integers 0..16 and labels (N,), read once per process."""
    from sklearn.datasets import load_digits as sklearn_load_digits  # imported here: sklearn is slow to import

    bunch = sklearn_load_digits()
    images, labels = bunch.images.astype(np.uint8), bunch.target.astype(np.int64)
    images.flags.writeable = labels.flags.writeable = False  # the cache is shared: callers get copies
    return images, labels


def load_digits(*, as_images: bool = False, n_classes: int = 10,
                dtype: DTypeLike = np.float64) -> tuple[np.ndarray, np.ndarray]:
    """The digits 0..9 as grey levels scaled to [0, 1] (the raw pixels are integers 0..16).

    Args:
        as_images: False gives flat rows X (N, 64), ready for Linear(64, ...); True gives images (N, 8, 8).
        n_classes: keep only the digits 0..n_classes-1 (2 gives a binary task of 0 vs 1).
        dtype: np.float64 (default) or np.float32 for X.
    Returns:
        X: (N, 64) or (N, 8, 8) in [0, 1]. y: (N,) int64 digit labels. N = 1,797 for all ten classes.
    """
    n_classes = check_positive_int(n_classes, "load_digits", "n_classes", minimum=2)
    if n_classes > 10:
        raise ValueError(f"load_digits: expected n_classes <= 10, got {n_classes}")
    if np.dtype(dtype) not in FLOAT_DTYPES:
        raise TypeError(f"load_digits: expected dtype float32 or float64, got {np.dtype(dtype)}")
    images, labels = _raw_digits()
    keep = labels < n_classes
    X = (images[keep] / 16.0).astype(dtype)  # (N, 8, 8) in [0, 1]
    y = labels[keep].copy()
    if not as_images:
        X = X.reshape(len(X), 64)  # (N, 8, 8) -> (N, 64), row by row
    return X, y
