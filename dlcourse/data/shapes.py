"""Generated images of simple shapes (circle, square, triangle, cross, ring, bar): an image dataset of any size
and resolution, made in a blink, with no download.

Each image shows one shape at a random position, size, rotation and brightness on a noisy background. A shape is
drawn from its signed distance d(u, v) (negative inside, positive outside) in the shape's own rotated frame, and
a pixel's intensity is clip(1/2 - d / pixel_width, 0, 1), which gives smooth, anti-aliased edges. Everything is
computed for the whole batch at once; the only loop runs over the (few) classes.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from dlcourse.validate import FLOAT_DTYPES, check_non_negative, check_positive_int, check_rng

SHAPE_NAMES = ("circle", "square", "triangle", "cross", "ring", "bar")


def _signed_distance(name: str, u: np.ndarray, v: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Signed distance (approximate for the polygons) of points (u, v) to a shape of radius r centred at 0.

    Args:
        u: (n, H, W) coordinates in each shape's rotated frame.
        v: (n, H, W) coordinates in each shape's rotated frame.
        r: (n, 1, 1) radii.
    Returns:
        (n, H, W), negative inside the shape.
    """
    radius = np.sqrt(u**2 + v**2)
    if name == "circle":
        return radius - r
    if name == "square":  # half-side 0.8 r: about the circle's area
        return np.maximum(np.abs(u), np.abs(v)) - 0.8 * r
    if name == "triangle":  # equilateral, circumradius 1.2 r: the inradius 0.6 r is each edge's distance
        normals = [(np.cos(a), np.sin(a)) for a in (np.pi / 2, np.pi * 7 / 6, np.pi * 11 / 6)]
        return np.maximum.reduce([nu * u + nv * v for nu, nv in normals]) - 0.6 * r
    if name == "cross":
        arm = 0.28 * r  # half-width of each bar
        return np.minimum(np.maximum(np.abs(u) - r, np.abs(v) - arm), np.maximum(np.abs(v) - r, np.abs(u) - arm))
    if name == "ring":
        return np.abs(radius - 0.75 * r) - 0.22 * r
    if name == "bar":
        return np.maximum(np.abs(u) - 1.1 * r, np.abs(v) - 0.25 * r)
    raise ValueError(f"make_shapes: expected shapes from {list(SHAPE_NAMES)}, got {name!r}")


def render_shapes(names: list[str] | tuple[str, ...], labels: np.ndarray, centers: np.ndarray, radii: np.ndarray,
                  angles: np.ndarray, size: int) -> np.ndarray:
    """Draw one white shape per image on a black background, without noise.

    Args:
        names: the shape of each class.
        labels: (N,) class indices.
        centers: (N, 2) (x, y) in [-1, 1].
        radii: (N,) in units of half the image width.
        angles: (N,) rotations in radians.
        size: H = W in pixels.
    Returns:
        (N, size, size) float32 intensities in [0, 1]; row 0 is the top (y = -1).
    """
    grid = (np.arange(size, dtype=np.float32) + 0.5) * (2.0 / size) - 1.0  # pixel centres in [-1, 1]
    images = np.zeros((len(labels), size, size), dtype=np.float32)
    for k, name in enumerate(names):  # one pass per class over all its images
        idx = np.flatnonzero(labels == k)
        if idx.size == 0:
            continue
        dx = grid[None, None, :] - centers[idx, 0, None, None].astype(np.float32)  # (n, 1, W)
        dy = grid[None, :, None] - centers[idx, 1, None, None].astype(np.float32)  # (n, H, 1)
        cos, sin = np.cos(angles[idx])[:, None, None], np.sin(angles[idx])[:, None, None]
        u, v = cos * dx + sin * dy, cos * dy - sin * dx  # (n, H, W): the shape's own frame
        distance = _signed_distance(name, u, v, radii[idx, None, None])
        images[idx] = np.clip(0.5 - distance * (size / 2.0), 0.0, 1.0)  # one pixel is 2/size wide
    return images


def make_shapes(n_samples: int, *, size: int = 28, shapes: tuple[str, ...] = SHAPE_NAMES, noise: float = 0.1,
                scale: tuple[float, float] = (0.3, 0.7), rotate: bool = True, rng: np.random.Generator,
                dtype: DTypeLike = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """A class-balanced dataset of shape images.

    Args:
        n_samples: N, the number of images; class counts differ by at most one.
        size: H = W, any resolution >= 8 (the same shapes, drawn finer).
        shapes: the classes, by name (label k is ``shapes[k]``); any subset of SHAPE_NAMES.
        noise: standard deviation of the Gaussian pixel noise (0 for clean images).
        scale: (smallest, largest) radius as a fraction of half the image width.
        rotate: rotate each shape by a uniform random angle (False: all upright).
        rng: the np.random.Generator that draws everything; the same seed gives the same images.
        dtype: np.float32 (default) or np.float64.
    Returns:
        X: (N, 1, size, size) in [0, 1], one channel as torch's Conv2d expects. y: (N,) int64 labels.
    """
    n_samples = check_positive_int(n_samples, "make_shapes", "n_samples")
    size = check_positive_int(size, "make_shapes", "size", minimum=8)
    rng = check_rng(rng, "make_shapes")
    check_non_negative(noise, "make_shapes", "noise")
    if np.dtype(dtype) not in FLOAT_DTYPES:
        raise TypeError(f"make_shapes: expected dtype float32 or float64, got {np.dtype(dtype)}")
    unknown = [name for name in shapes if name not in SHAPE_NAMES]
    if unknown or len(shapes) < 2 or len(set(shapes)) != len(shapes):
        raise ValueError(f"make_shapes: expected at least two distinct shapes from {list(SHAPE_NAMES)}, "
                         f"got {list(shapes)}")
    low, high = scale
    if not 0 < low <= high <= 0.9:
        raise ValueError(f"make_shapes: expected 0 < scale[0] <= scale[1] <= 0.9, got {scale}")
    labels = rng.permutation(np.arange(n_samples) % len(shapes))  # balanced, in random order
    radii = rng.uniform(low, high, n_samples)
    centers = rng.uniform(-1, 1, (n_samples, 2)) * (0.95 - radii)[:, None]  # keep (most of) the shape inside
    angles = rng.uniform(0, 2 * np.pi, n_samples) if rotate else np.zeros(n_samples)
    brightness = rng.uniform(0.6, 1.0, (n_samples, 1, 1))
    images = render_shapes(shapes, labels, centers, radii, angles, size) * brightness
    images = images + rng.normal(0.0, noise, images.shape) if noise > 0 else images
    X = np.clip(images, 0.0, 1.0).astype(dtype)[:, None]  # (N, size, size) -> (N, 1, size, size)
    return X, labels.astype(np.int64)
