"""Images for convolutional networks: scikit-learn's 8x8 digits with a channel axis, at 8x8 or resized to any
resolution (16x16, 28x28 like MNIST, ...), and the bilinear resizing behind it.

Resizing is linear in the pixels, so it is two small matrix products: out = R_h @ image @ R_w^T, with R_h of shape
(H_out, H) holding each output row's interpolation weights. That treats every image and channel at once.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from dlcourse.data.digits import load_digits
from dlcourse.validate import FLOAT_DTYPES, as_float_array, check_positive_int


def interpolation_matrix(size_in: int, size_out: int) -> np.ndarray:
    """Bilinear weights along one axis, as torch's F.interpolate(mode="bilinear", align_corners=False).

    Output pixel i sits at source coordinate s = (i + 1/2) * size_in / size_out - 1/2 (clamped at 0) and mixes
    the two nearest source pixels floor(s) and floor(s) + 1 in proportion to its distance from each.

    Returns:
        (size_out, size_in) float64 matrix whose rows sum to 1.
    """
    src = np.maximum((np.arange(size_out) + 0.5) * (size_in / size_out) - 0.5, 0.0)
    left = np.minimum(np.floor(src).astype(np.int64), size_in - 1)
    right = np.minimum(left + 1, size_in - 1)
    frac = src - left
    matrix = np.zeros((size_out, size_in))
    rows = np.arange(size_out)
    np.add.at(matrix, (rows, left), 1.0 - frac)  # add.at: left and right coincide at the last pixel
    np.add.at(matrix, (rows, right), frac)
    return matrix


def resize_images(images: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Bilinear resize of the last two axes.

    Args:
        images: (..., H, W), e.g. (N, C, H, W) or (N, H, W); float32 or float64.
        size: int (square output) or (H_out, W_out).
    Returns:
        (..., H_out, W_out) in the input's dtype.
    """
    images = as_float_array(images, "resize_images", "images")
    if images.ndim < 2:
        raise ValueError(f"resize_images: expected images of shape (..., H, W), got shape {images.shape}")
    h_out, w_out = (size, size) if isinstance(size, int | np.integer) else size
    h_out = check_positive_int(h_out, "resize_images", "size")
    w_out = check_positive_int(w_out, "resize_images", "size")
    rows = interpolation_matrix(images.shape[-2], h_out).astype(images.dtype)  # (H_out, H)
    cols = interpolation_matrix(images.shape[-1], w_out).astype(images.dtype)  # (W_out, W)
    return rows @ images @ cols.T  # (H_out, H) @ (..., H, W) @ (W, W_out) -> (..., H_out, W_out)


def load_digit_images(size: int = 8, *, n_classes: int = 10,
                      dtype: DTypeLike = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's handwritten digits as one-channel images for Conv2d, optionally resized.

    Args:
        size: H = W of the returned images: 8 gives the originals; 16 or 28 resize them bilinearly (smoother
            and larger, not more detailed: no information is added).
        n_classes: keep the digits 0..n_classes-1.
        dtype: np.float32 (default, torch's) or np.float64.
    Returns:
        X: (N, 1, size, size) in [0, 1]. y: (N,) int64 labels. N = 1,797 for ten classes.
    """
    size = check_positive_int(size, "load_digit_images", "size", minimum=2)
    if np.dtype(dtype) not in FLOAT_DTYPES:
        raise TypeError(f"load_digit_images: expected dtype float32 or float64, got {np.dtype(dtype)}")
    images, labels = load_digits(as_images=True, n_classes=n_classes, dtype=np.float64)  # (N, 8, 8)
    if size != 8:
        images = np.clip(resize_images(images, size), 0.0, 1.0)
    return images[:, None].astype(dtype), labels  # (N, H, W) -> (N, 1, H, W)
