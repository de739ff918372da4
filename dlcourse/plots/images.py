"""Pictures for convolutional networks: a grid of images with their labels, the feature maps a layer produces,
and the filters it learned.

Every function takes NumPy arrays or torch tensors (moved to the CPU and detached), draws into a grid of Axes
(new, or given) and returns the Axes as a 2-D array; returning Axes rather than a Figure keeps Jupyter from
showing the picture twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from numpy.typing import ArrayLike


def _to_numpy(array, where: str) -> np.ndarray:
    if hasattr(array, "detach"):  # a torch tensor, possibly on the GPU
        array = array.detach().cpu().numpy()
    array = np.asarray(array)
    if not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{where}: expected a numeric array, got dtype {array.dtype}")
    return array


def image_grid(count: int, ncols: int, *, axes: Sequence[plt.Axes] | np.ndarray | None = None, cell: float = 1.4
               ) -> np.ndarray:
    """``count`` Axes in rows of ``ncols`` (new figure unless ``axes`` is given); spare Axes are hidden.

    Args:
        count: how many Axes are needed.
        ncols: Axes per row.
        axes: Axes to draw into (at least as many as are drawn), or None for a new figure.
        cell: the size of one Axes in inches, for a new figure.
    Returns:
        (rows, ncols) array of Axes, ticks off.
    """
    ncols = max(1, min(ncols, count))
    rows = math.ceil(count / ncols)
    if axes is None:
        _, axes = plt.subplots(rows, ncols, figsize=(cell * ncols, cell * rows + 0.3), squeeze=False,
                               layout="constrained")
    axes = np.atleast_2d(np.asarray(axes, dtype=object))  # given Axes keep their layout
    if axes.size < count:
        raise ValueError(f"image_grid: expected at least {count} axes, got {axes.size}")
    for index, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_visible(index < count)
    return axes


def _as_displayable(images: np.ndarray, where: str) -> np.ndarray:
    """(N, H, W), (N, 1, H, W) or (N, 3, H, W) -> (N, H, W) or (N, H, W, 3), as imshow wants them."""
    if images.ndim == 4 and images.shape[1] == 1:
        return images[:, 0]
    if images.ndim == 4 and images.shape[1] == 3:
        return np.moveaxis(images, 1, -1)  # (N, 3, H, W) -> (N, H, W, 3): colour last for imshow
    if images.ndim == 3:
        return images
    raise ValueError(f"{where}: expected images (N, H, W), (N, 1, H, W) or (N, 3, H, W), got shape {images.shape}")


def show_images(images: ArrayLike, labels: ArrayLike | None = None, *, predictions: ArrayLike | None = None,
                class_names: Sequence[str] | None = None, ncols: int = 8, max_images: int = 32,
                axes: Sequence[plt.Axes] | np.ndarray | None = None, cmap: str = "gray", title: str | None = None
                ) -> np.ndarray:
    """A grid of images, each titled with its label (and the prediction, red when it is wrong).

    Args:
        images: (N, H, W), (N, 1, H, W) or (N, 3, H, W); values in [0, 1] for colour images.
        labels: (N,) class indices, or None.
        predictions: (N,) predicted indices, or None.
        class_names: names for the indices (e.g. SHAPE_NAMES), or None to print the indices.
        ncols: images per row.
        max_images: at most this many are drawn (the first ones).
        axes: Axes to draw into (at least as many as are drawn), or None for a new figure.
        cmap: the colour map of one-channel images.
        title: the figure's title, or None.
    Returns:
        (rows, ncols) array of Axes.
    """
    images = _as_displayable(_to_numpy(images, "show_images"), "show_images")[:max_images]
    name = (lambda k: str(class_names[int(k)])) if class_names is not None else (lambda k: str(int(k)))
    axes = image_grid(len(images), ncols, axes=axes)
    for index, (ax, image) in enumerate(zip(axes.flat, images, strict=False)):
        colour = image.ndim == 3
        ax.imshow(np.clip(image, 0, 1) if colour else image, cmap=None if colour else cmap)
        text, wrong = "", False
        if labels is not None:
            text = name(_to_numpy(labels, "show_images")[index])
        if predictions is not None:
            guess = _to_numpy(predictions, "show_images")[index]
            wrong = labels is not None and int(guess) != int(_to_numpy(labels, "show_images")[index])
            text = f"{text} -> {name(guess)}" if text else name(guess)
        ax.set_title(text, fontsize=8, color="red" if wrong else "black")
    if title:
        axes.flat[0].figure.suptitle(title)
    return axes


def show_feature_maps(maps: ArrayLike, *, ncols: int = 8, max_maps: int = 32,
                      axes: Sequence[plt.Axes] | np.ndarray | None = None, cmap: str = "viridis",
                      title: str | None = None) -> np.ndarray:
    """Each channel of one image's activations as a picture with its own colour scale.

    Args:
        maps: (C, H, W) or (1, C, H, W), e.g. a Conv2d layer's output for one image.
        ncols: maps per row.
        max_maps: at most this many channels are drawn (the first ones).
        axes: Axes to draw into (at least as many as are drawn), or None for a new figure.
        cmap: the colour map.
        title: the figure's title, or None.
    Returns:
        (rows, ncols) array of Axes; channel c is titled "c".
    """
    maps = _to_numpy(maps, "show_feature_maps")
    maps = maps[0] if maps.ndim == 4 and maps.shape[0] == 1 else maps
    if maps.ndim != 3:
        raise ValueError(f"show_feature_maps: expected maps (C, H, W) or (1, C, H, W), got shape {maps.shape}")
    maps = maps[:max_maps]
    axes = image_grid(len(maps), ncols, axes=axes)
    for channel, (ax, feature) in enumerate(zip(axes.flat, maps, strict=False)):
        ax.imshow(feature, cmap=cmap)
        ax.set_title(str(channel), fontsize=8)
    if title:
        axes.flat[0].figure.suptitle(title)
    return axes


def show_filters(weight: ArrayLike, *, ncols: int = 8, max_filters: int = 32,
                 axes: Sequence[plt.Axes] | np.ndarray | None = None, title: str | None = None) -> np.ndarray:
    """A convolution's filters, one picture per output channel.

    One-channel filters use a diverging map centred at 0 (red positive, blue negative, one scale for all, so
    their strengths compare); three-channel filters are shown in colour, each rescaled to [0, 1]; otherwise each
    filter's first input channel is shown.

    Args:
        weight: (M, C, kH, kW), a Conv2d weight.
        ncols: filters per row.
        max_filters: at most this many are drawn (the first ones).
        axes: Axes to draw into (at least as many as are drawn), or None for a new figure.
        title: the figure's title, or None.
    Returns:
        (rows, ncols) array of Axes.
    """
    weight = _to_numpy(weight, "show_filters")
    if weight.ndim != 4:
        raise ValueError(f"show_filters: expected a weight (M, C, kH, kW), got shape {weight.shape}")
    weight = weight[:max_filters]
    axes = image_grid(len(weight), ncols, axes=axes)
    limit = np.abs(weight).max() or 1.0
    for m, (ax, kernel) in enumerate(zip(axes.flat, weight, strict=False)):
        if kernel.shape[0] == 3:
            low, high = kernel.min(), kernel.max()
            ax.imshow(np.moveaxis((kernel - low) / max(high - low, 1e-12), 0, -1))  # (3, kH, kW) -> (kH, kW, 3)
        else:
            ax.imshow(kernel[0], cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(str(m), fontsize=8)
    if title:
        axes.flat[0].figure.suptitle(title)
    return axes
