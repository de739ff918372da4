"""Simple image augmentation on batches: shifts, flips and noise, each drawn from an explicit Generator.

Images are (N, H, W) or (N, C, H, W); the last two axes are height and width. Every function returns a new
array of the input's shape and dtype and works on the whole batch at once (no loop over images or pixels).
Augmentation makes new training examples that keep the label: a digit moved by a pixel is the same digit.
Whether a transform keeps the label depends on the data: a mirrored 3 is no longer a 3.
"""

from __future__ import annotations

import numpy as np

from dlcourse.validate import check_non_negative, check_rng


def _check_images(images, where: str) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"{where}: expected images of shape (N, H, W) or (N, C, H, W), got shape {images.shape}")
    return images


def shift_images(images: np.ndarray, dy: np.ndarray, dx: np.ndarray, *, fill: float = 0.0) -> np.ndarray:
    """Move image i down by dy[i] and right by dx[i] pixels (negative: up/left); uncovered pixels get ``fill``.

    Args:
        images: (N, H, W) or (N, C, H, W).
        dy: (N,) integer shifts.
        dx: (N,) integer shifts.
        fill: value of uncovered pixels.
    Returns:
        The shifted images, the input's shape and dtype.
    """
    images = _check_images(images, "shift_images")
    dy, dx = np.asarray(dy, dtype=np.int64), np.asarray(dx, dtype=np.int64)
    n, height, width = images.shape[0], images.shape[-2], images.shape[-1]
    if dy.shape != (n,) or dx.shape != (n,):
        raise ValueError(f"shift_images: expected dy and dx of shape ({n},), got {dy.shape} and {dx.shape}")
    stack = images.reshape(n, -1, height, width)  # (N, C', H, W) with C' = 1 for (N, H, W)
    # output pixel (r, c) of image i comes from source pixel (r - dy[i], c - dx[i]) when that is inside
    rows = np.arange(height)[None, :] - dy[:, None]  # (N, H)
    cols = np.arange(width)[None, :] - dx[:, None]  # (N, W)
    inside = ((rows >= 0) & (rows < height))[:, :, None] & ((cols >= 0) & (cols < width))[:, None, :]  # (N, H, W)
    batch = np.arange(n)[:, None, None, None]
    channel = np.arange(stack.shape[1])[None, :, None, None]
    gathered = stack[batch, channel, np.clip(rows, 0, height - 1)[:, None, :, None],
                     np.clip(cols, 0, width - 1)[:, None, None, :]]  # (N, C', H, W)
    out = np.where(inside[:, None], gathered, np.asarray(fill, dtype=images.dtype))
    return out.reshape(images.shape).astype(images.dtype, copy=False)


def random_shift(images: np.ndarray, max_shift: int, *, rng: np.random.Generator, fill: float = 0.0) -> np.ndarray:
    """Shift each image by integers dy, dx drawn uniformly from [-max_shift, max_shift].

    Args:
        images: (N, H, W) or (N, C, H, W).
        max_shift: the largest shift, >= 0.
        rng: the Generator.
        fill: the value of the pixels shifted in.
    Returns:
        The shifted images, the input's shape and dtype.
    """
    images = _check_images(images, "random_shift")
    rng = check_rng(rng, "random_shift")
    if isinstance(max_shift, bool) or not isinstance(max_shift, (int, np.integer)) or max_shift < 0:
        raise ValueError(f"random_shift: expected max_shift to be an int >= 0, got {max_shift!r}")
    dy, dx = rng.integers(-max_shift, max_shift + 1, size=(2, images.shape[0]))
    return shift_images(images, dy, dx, fill=fill)


def random_flip(images: np.ndarray, *, rng: np.random.Generator, p: float = 0.5,
                direction: str = "horizontal") -> np.ndarray:
    """Mirror each image with probability p, left-right ("horizontal") or top-bottom ("vertical").

    Args:
        images: (N, H, W) or (N, C, H, W).
        rng: the Generator.
        p: probability of flipping each image.
        direction: "horizontal" (reverse the W axis) or "vertical" (reverse the H axis).
    Returns:
        The images, those drawn flipped; the input's shape and dtype.
    """
    images = _check_images(images, "random_flip")
    rng = check_rng(rng, "random_flip")
    if direction not in ("horizontal", "vertical"):
        raise ValueError(f"random_flip: expected direction 'horizontal' or 'vertical', got {direction!r}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"random_flip: expected p in [0, 1], got {p}")
    flip = rng.random(images.shape[0]) < p  # (N,)
    axis = -1 if direction == "horizontal" else -2
    chosen = flip.reshape((-1,) + (1,) * (images.ndim - 1))  # (N, 1, 1[, 1]) to broadcast over each image
    return np.where(chosen, np.flip(images, axis=axis), images)


def add_noise(images: np.ndarray, std: float, *, rng: np.random.Generator,
              clip: tuple[float, float] | None = None) -> np.ndarray:
    """Add independent Gaussian noise N(0, std^2) to every pixel, optionally clipped to a range.

    Args:
        images: any float array, e.g. (N, H, W).
        std: the noise's standard deviation, >= 0.
        rng: the Generator.
        clip: (low, high) to keep pixels in their valid range, or None.
    Returns:
        The noisy images, the input's shape and dtype.
    """
    images = np.asarray(images)
    rng = check_rng(rng, "add_noise")
    if images.dtype not in (np.float32, np.float64):
        raise TypeError(f"add_noise: expected float32 or float64 images, got {images.dtype}")
    check_non_negative(std, "add_noise", "std")
    noisy = images + rng.normal(0.0, std, size=images.shape).astype(images.dtype)
    return noisy if clip is None else np.clip(noisy, clip[0], clip[1]).astype(images.dtype, copy=False)
