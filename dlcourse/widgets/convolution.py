"""The convolution explorer: pick a 3x3 kernel, a stride, a padding and a dilation; see the padded input with the
taps of one output pixel's receptive field, the kernel's numbers, the output map, and the output-size arithmetic.

The output is computed by ``dlcourse.nn.functional.conv2d_forward``, the same function the layers use.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from dlcourse.data.shapes import render_shapes
from dlcourse.nn.conv import conv2d_forward
from dlcourse.nn.im2col import output_size
from dlcourse.widgets.base import Explorer

KERNELS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "edge": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],  # responds where a pixel differs from its neighbours
    "vertical edge": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],  # Sobel: brightness rising from left to right
    "horizontal edge": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],  # Sobel: rising from top to bottom
    "blur": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],  # Gaussian-like
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
}


def default_image(size: int = 32) -> np.ndarray:
    """A (size, size) picture with a disc, a tilted square and a triangle: edges in every direction."""
    centers = np.array([[-0.45, -0.45], [0.45, -0.4], [0.0, 0.45]])
    shapes = render_shapes(["circle", "square", "triangle"], np.arange(3), centers, np.full(3, 0.32),
                           np.array([0.0, 0.4, 0.0]), size)
    return shapes.max(axis=0).astype(np.float64)


def size_arithmetic(height: int, width: int, kernel: int, stride: int, padding: int, dilation: int) -> str:
    """The output-size formula with the numbers filled in, e.g.
    'H_out = floor((H + 2p - d(k-1) - 1) / s) + 1 = floor((32 + 2*1 - 1*(3-1) - 1) / 1) + 1 = 32; W_out = 32'.

    Args:
        height: H of the input.
        width: W of the input.
        kernel: k, the square kernel's size.
        stride: s.
        padding: p, on every side.
        dilation: d.
    """
    out_h, out_w = (output_size(n, kernel, stride, 2 * padding, dilation) for n in (height, width))
    return (f"H_out = floor((H + 2p - d(k-1) - 1) / s) + 1 = floor(({height} + 2*{padding} - {dilation}*({kernel}-1)"
            f" - 1) / {stride}) + 1 = {out_h}; W_out = {out_w}")


class ConvolutionExplorer(Explorer):
    """Three panels: the zero-padded input (the original's border in white, output pixel (0, 0)'s taps in red),
    the kernel with its numbers, and the output map. The figure's title holds the output-size arithmetic.

    Controls: ``kernel`` (Dropdown of KERNELS), ``stride``, ``padding``, ``dilation`` (IntSliders).

    Args:
        image: (H, W) grey picture; None uses default_image().
    """

    def __init__(self, image: np.ndarray | None = None):
        self.image = default_image() if image is None else np.asarray(image, dtype=np.float64)
        if self.image.ndim != 2 or min(self.image.shape) < 8:
            raise ValueError(f"ConvolutionExplorer: expected a grey image (H, W) with H, W >= 8, "
                             f"got shape {self.image.shape}")
        slider = {"continuous_update": True, "style": {"description_width": "initial"}, "layout": {"width": "500px"}}
        self.controls = {
            "kernel": widgets.Dropdown(options=list(KERNELS), value="edge", description="kernel"),
            "stride": widgets.IntSlider(value=1, min=1, max=4, description="stride", **slider),
            "padding": widgets.IntSlider(value=0, min=0, max=4, description="padding", **slider),
            "dilation": widgets.IntSlider(value=1, min=1, max=3, description="dilation", **slider),
        }
        self._make_figure()
        self._start()

    def _make_figure(self) -> None:
        self.figure, (self.ax_in, self.ax_kernel, self.ax_out) = plt.subplots(
            1, 3, figsize=(12, 4.4), layout="constrained", gridspec_kw={"width_ratios": [1, 0.6, 1]})
        self.input_artist = self.ax_in.imshow(self.image, cmap="gray", vmin=0, vmax=1)
        self.border = self.ax_in.add_patch(Rectangle((-0.5, -0.5), *self.image.shape[::-1], fill=False,
                                                     edgecolor="white", linewidth=1.5))
        self.taps = self.ax_in.scatter([], [], s=18, color="red", marker="s")
        self.kernel_artist = self.ax_kernel.imshow(np.zeros((3, 3)), cmap="RdBu_r")
        self.kernel_text = [[self.ax_kernel.text(j, i, "", ha="center", va="center", fontsize=11)
                             for j in range(3)] for i in range(3)]
        self.output_artist = self.ax_out.imshow(np.zeros((2, 2)), cmap="gray")
        for ax in (self.ax_in, self.ax_kernel, self.ax_out):
            ax.set_xticks([])
            ax.set_yticks([])

    def redraw(self, kernel: str, stride: int, padding: int, dilation: int) -> None:
        weights = np.asarray(KERNELS[kernel], dtype=np.float64)
        padded = np.pad(self.image, padding)
        self.input_artist.set_data(padded)
        self.input_artist.set_extent((-padding - 0.5, self.image.shape[1] + padding - 0.5,
                                      self.image.shape[0] + padding - 0.5, -padding - 0.5))
        self.ax_in.set_xlim(-padding - 0.5, self.image.shape[1] + padding - 0.5)
        self.ax_in.set_ylim(self.image.shape[0] + padding - 0.5, -padding - 0.5)
        offsets = np.arange(3) * dilation - padding  # taps of output pixel (0, 0), in original pixel coordinates
        self.taps.set_offsets(np.array([(x, y) for y in offsets for x in offsets]))
        self.ax_in.set_title(f"input {self.image.shape[0]}x{self.image.shape[1]}, padding {padding}: "
                             f"taps of output (0, 0)", fontsize=9)
        self._draw_kernel(kernel, weights)
        self._draw_output(weights, stride, padding, dilation)

    def _draw_kernel(self, name: str, weights: np.ndarray) -> None:
        limit = np.abs(weights).max()
        self.kernel_artist.set_data(weights)
        self.kernel_artist.set_clim(-limit, limit)
        for i in range(3):
            for j in range(3):
                self.kernel_text[i][j].set_text(f"{weights[i, j]:.3g}")
                self.kernel_text[i][j].set_color("white" if abs(weights[i, j]) > 0.6 * limit else "black")
        self.ax_kernel.set_title(f"kernel: {name}", fontsize=9)

    def _draw_output(self, weights: np.ndarray, stride: int, padding: int, dilation: int) -> None:
        x = self.image[None, None]  # (H, W) -> (1, 1, H, W)
        out, _ = conv2d_forward(x, weights[None, None], None, stride=stride, padding=padding, dilation=dilation)
        self.output_map = out[0, 0]  # (H_out, W_out)
        (h_out, w_out), low, high = self.output_map.shape, self.output_map.min(), self.output_map.max()
        self.output_artist.set_data(self.output_map)
        self.output_artist.set_extent((-0.5, w_out - 0.5, h_out - 0.5, -0.5))
        self.output_artist.set_clim(low, max(high, low + 1e-12))  # a constant map still needs a range
        self.ax_out.set_xlim(-0.5, w_out - 0.5)
        self.ax_out.set_ylim(h_out - 0.5, -0.5)
        self.ax_out.set_title(f"output {h_out}x{w_out}", fontsize=9)
        self.arithmetic = size_arithmetic(*self.image.shape, 3, stride, padding, dilation)
        self.figure.suptitle(self.arithmetic, fontsize=10)


def convolution_explorer(**kwargs: Any) -> ConvolutionExplorer:
    """Sliders for a 2-D convolution: kernel, stride, padding and dilation, and the output map they give.

    Keyword arguments go to ConvolutionExplorer (``image``). In Jupyter, leave it as the last expression of a cell;
    without a browser, set ``explorer.controls[name].value`` and read ``explorer.output_map``, ``explorer.figure``.
    """
    return ConvolutionExplorer(**kwargs)
