"""The latent explorer: drag the coordinates of a latent code and watch what the decoder makes of it.

Left panel: the first two latent coordinates, with the codes of some images (coloured by label, when given) and a
red cross at the current code. Right panel: the decoded image. The decoder is any function from codes (N, L) to
images with ``prod(image_shape)`` values each, e.g. a VAE decoder followed by a sigmoid.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from dlcourse.widgets.base import Explorer


class LatentExplorer(Explorer):
    """Two panels: the latent plane (z0, z1) with a cross at the current code, and the decoded image.

    Controls: ``z0``, ``z1``, ... (one FloatSlider per latent coordinate, from -limit to limit).

    Args:
        decode: maps codes (N, L) to (N, H*W) (or (N, H, W)) values, drawn on a grey scale from 0 to 1.
        latent_size: L; None takes it from ``codes`` (and is 2 without codes).
        codes: (M, L) codes to scatter on the plane (e.g. the encoder's means of validation images), or None.
        labels: (M,) integer labels colouring the codes, or None.
        image_shape: (H, W) of one decoded image.
        limit: the sliders run from -limit to limit.
    Attributes after each redraw: ``code`` (L,) and ``image`` (H, W), what the right panel shows.
    """

    def __init__(self, decode: Callable[[np.ndarray], np.ndarray], *, latent_size: int | None = None,
                 codes: np.ndarray | None = None, labels: np.ndarray | None = None,
                 image_shape: tuple[int, int] = (16, 16), limit: float = 3.0):
        if not callable(decode):
            raise TypeError(f"LatentExplorer: expected decode to be a function from codes (N, L) to images, "
                            f"got {type(decode).__name__}")
        self.codes = None if codes is None else np.asarray(codes, dtype=np.float64)
        if self.codes is not None and self.codes.ndim != 2:
            raise ValueError(f"LatentExplorer: expected codes of shape (M, L), got shape {self.codes.shape}")
        if latent_size is None:
            latent_size = 2 if self.codes is None else self.codes.shape[1]
        if self.codes is not None and self.codes.shape[1] != latent_size:
            raise ValueError(f"LatentExplorer: expected codes with latent_size = {latent_size} columns, "
                             f"got shape {self.codes.shape}")
        if not (isinstance(latent_size, int) and 1 <= latent_size <= 8):
            raise ValueError(f"LatentExplorer: expected latent_size from 1 to 8 (one slider each), got {latent_size!r}")
        self.decode, self.labels, self.image_shape = decode, labels, tuple(image_shape)
        slider = {"min": -limit, "max": limit, "step": 0.05, "value": 0.0, "continuous_update": True,
                  "layout": widgets.Layout(width="500px"), "style": {"description_width": "initial"}}
        self.controls = {f"z{i}": widgets.FloatSlider(description=f"z{i}", **slider) for i in range(latent_size)}
        self._make_figure(limit)
        self._start()

    def _make_figure(self, limit: float) -> None:
        self.figure, (self.ax_plane, self.ax_image) = plt.subplots(1, 2, figsize=(9, 4.4), layout="constrained")
        if self.codes is not None:
            x, y = self.codes[:, 0], self.codes[:, 1] if self.codes.shape[1] > 1 else np.zeros(len(self.codes))
            colours = None if self.labels is None else np.asarray(self.labels)
            self.ax_plane.scatter(x, y, c=colours, cmap="tab10", s=6, alpha=0.6)
        self.marker = self.ax_plane.scatter([0.0], [0.0], s=120, color="red", marker="x", linewidths=2.5)
        self.ax_plane.set_xlim(-limit, limit)
        self.ax_plane.set_ylim(-limit, limit)
        self.ax_plane.set_xlabel("z0")
        self.ax_plane.set_ylabel("z1")
        self.ax_plane.set_title("latent plane (first two coordinates)", fontsize=9)
        self.image_artist = self.ax_image.imshow(np.zeros(self.image_shape), cmap="gray", vmin=0, vmax=1)
        self.ax_image.set_xticks([])
        self.ax_image.set_yticks([])

    def redraw(self, **values) -> None:
        self.code = np.array([values[f"z{i}"] for i in range(len(values))])
        decoded = np.asarray(self.decode(self.code[None]), dtype=np.float64)
        if decoded.size != np.prod(self.image_shape):
            raise ValueError(f"LatentExplorer: expected decode to return {np.prod(self.image_shape)} values for "
                             f"image_shape {self.image_shape}, got shape {decoded.shape}")
        self.image = decoded.reshape(self.image_shape)
        self.image_artist.set_data(self.image)
        self.marker.set_offsets([[self.code[0], self.code[1] if len(self.code) > 1 else 0.0]])
        self.ax_image.set_title("decoded: z = (" + ", ".join(f"{v:.2f}" for v in self.code) + ")", fontsize=9)


def latent_explorer(decode: Callable[[np.ndarray], np.ndarray], **kwargs) -> LatentExplorer:
    """Sliders for the latent coordinates of a decoder, and the image it decodes.

    Keyword arguments go to LatentExplorer (``codes``, ``labels``, ``image_shape``, ``latent_size``, ``limit``).
    In Jupyter, leave it as the last expression of a cell; without a browser, set ``explorer.controls["z0"].value``
    and read ``explorer.image`` and ``explorer.figure``.
    """
    return LatentExplorer(decode, **kwargs)
