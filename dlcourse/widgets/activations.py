"""The activation explorer: pick a nonlinearity, see its curve, its derivative, what it does to a layer's outputs,
and how a temperature reshapes a softmax.

Every number drawn comes from dlcourse.nn: the curve is ``layer(x)``, the derivative is ``layer.backward(ones)``
(for an elementwise function the vector-Jacobian product with ones is f'(x)), and the histogram is the output of a
``Linear`` layer followed by the activation on a fixed standard normal batch.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from numpy.typing import ArrayLike

import dlcourse.nn as nn
from dlcourse.widgets.base import Explorer

ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh")
NUM_BINS = 40
BLOCKED = 0.01  # a unit whose derivative is below this passes (almost) no gradient back: dead or saturated


def make_activation(name: str, *, negative_slope: float = 0.01, alpha: float = 1.0) -> nn.Module:
    """The dlcourse.nn layer called ``name``, with the slope / alpha that apply to it.

    Args:
        name: one of ACTIVATIONS.
        negative_slope: leaky_relu's slope for x <= 0.
        alpha: elu's alpha.
    """
    layers = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh,
              "leaky_relu": lambda: nn.LeakyReLU(negative_slope), "elu": lambda: nn.ELU(alpha)}
    if name not in layers:
        raise ValueError(f"make_activation: expected one of {list(ACTIVATIONS)}, got {name!r}")
    return layers[name]()


def curve_and_derivative(layer: nn.Module, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(x) and f'(x) of an elementwise layer. x: (P,) -> two (P,) arrays."""
    out = layer(x)
    return out, layer.backward(np.ones_like(out))


def softmax_with_temperature(logits: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(logits / T): T -> 0 approaches one-hot on the largest logit, T -> inf the uniform distribution.

    Args:
        logits: (K,).
        temperature: T > 0.
    Returns:
        (K,) probabilities.
    """
    return nn.Softmax(dim=-1)(np.asarray(logits, dtype=np.float64) / temperature)


class ActivationExplorer(Explorer):
    """Four panels: f(x), f'(x), a histogram of Linear+activation outputs, softmax(logits / T) as bars.

    Controls: ``activation`` (Dropdown), ``x_range`` (the curves cover [-x_range, x_range]), ``negative_slope``
    (leaky ReLU), ``alpha`` (ELU), ``temperature`` (softmax), ``weight_scale`` (std of the Linear weights times
    sqrt(D), so 1 keeps the pre-activations at about unit variance).

    Args:
        logits: (K,) the softmax panel's logits.
        num_samples: N, the batch size.
        width: D = M of the Linear layer.
        seed: seeds the generator (np.random.default_rng(seed)) that draws the batch (N, D) and the weights (M, D) once;
            sliders rescale them, so the picture is stable, and the same seed gives the same picture.
    """

    def __init__(self, *, logits: ArrayLike = (2.0, 1.0, 0.5, -0.5, -1.5), num_samples: int = 512, width: int = 64,
                 seed: int = 0):
        rng = np.random.default_rng(seed)
        self.logits = np.asarray(logits, dtype=np.float64)
        self.batch = rng.standard_normal((num_samples, width))  # (N, D)
        self.linear = nn.Linear(width, width, rng=rng, dtype=np.float64)
        self.unit_weight = rng.standard_normal((width, width)) / np.sqrt(width)  # (M, D), rows of norm ~1
        self.controls = self._make_controls()
        self._make_figure()
        self._start()

    @staticmethod
    def _make_controls() -> dict[str, widgets.Widget]:
        slider = {"continuous_update": True, "style": {"description_width": "initial"}, "layout": {"width": "500px"}}
        return {
            "activation": widgets.Dropdown(options=list(ACTIVATIONS), value="relu", description="activation"),
            "x_range": widgets.FloatSlider(value=4.0, min=1.0, max=10.0, step=0.5, description="x range", **slider),
            "negative_slope": widgets.FloatSlider(value=0.1, min=0.0, max=0.5, step=0.01,
                                                  description="leaky slope", **slider),
            "alpha": widgets.FloatSlider(value=1.0, min=0.1, max=3.0, step=0.1, description="ELU alpha", **slider),
            "temperature": widgets.FloatLogSlider(value=1.0, base=10, min=-1, max=1, step=0.05,
                                                  description="temperature", **slider),
            "weight_scale": widgets.FloatSlider(value=1.0, min=0.05, max=5.0, step=0.05, description="weight scale",
                                                **slider),
        }

    def _make_figure(self) -> None:
        self.figure, axes = plt.subplots(2, 2, figsize=(11, 4.8), layout="constrained")
        self.ax_f, self.ax_df, self.ax_hist, self.ax_softmax = axes.ravel()
        (self.f_line,) = self.ax_f.plot([], [], color="C0", lw=2)
        (self.df_line,) = self.ax_df.plot([], [], color="C3", lw=2)
        for ax, label in ((self.ax_f, "f(x)"), (self.ax_df, "f'(x)")):
            ax.axhline(0, color="gray", lw=0.5)
            ax.axvline(0, color="gray", lw=0.5)
            ax.set_xlabel("x")
            ax.set_ylabel(label)
        self.hist_bars = self.ax_hist.bar(np.arange(NUM_BINS), np.zeros(NUM_BINS), width=1.0, align="edge",
                                          color="C2", edgecolor="white")
        self.ax_hist.set_xlabel("activation value after Linear + f")
        self.ax_hist.set_ylabel("count")
        positions = np.arange(len(self.logits))
        self.softmax_bars = self.ax_softmax.bar(positions, np.zeros(len(self.logits)), color="C1")
        self.ax_softmax.set_xticks(positions, [f"z={z:g}" for z in self.logits])
        self.ax_softmax.set_ylim(0, 1)
        self.ax_softmax.set_ylabel("softmax(z / T)")

    def redraw(self, activation: str, x_range: float, negative_slope: float, alpha: float, temperature: float,
               weight_scale: float) -> None:
        self.controls["negative_slope"].disabled = activation != "leaky_relu"
        self.controls["alpha"].disabled = activation != "elu"
        layer = make_activation(activation, negative_slope=negative_slope, alpha=alpha)
        self._draw_curves(layer, activation, x_range)
        self._draw_histogram(layer, weight_scale)
        self._draw_softmax(temperature)

    def _draw_curves(self, layer: nn.Module, activation: str, x_range: float) -> None:
        x = np.linspace(-x_range, x_range, 401)
        f, df = curve_and_derivative(layer, x)
        self.f_line.set_data(x, f)
        self.df_line.set_data(x, df)
        for ax, y in ((self.ax_f, f), (self.ax_df, df)):
            ax.set_xlim(-x_range, x_range)
            pad = 0.1 * max(np.ptp(y), 0.5)
            ax.set_ylim(y.min() - pad, y.max() + pad)
        self.ax_f.set_title(f"{activation}: f(x)")
        self.ax_df.set_title(f"{activation}: f'(x)")

    def _draw_histogram(self, layer: nn.Module, weight_scale: float) -> None:
        self.linear.weight.data = weight_scale * self.unit_weight
        self.linear.bias.data = np.zeros_like(self.linear.bias.data)  # bias would only shift the picture
        out = layer(self.linear(self.batch))  # (N, M)
        blocked_mask = np.abs(layer.backward(np.ones_like(out))) < BLOCKED  # (N, M): per sample and unit
        blocked = np.mean(blocked_mask)  # a share of (sample, unit) outputs, NOT of units
        # a unit blocked on every sample of the batch passes no gradient at all (dead or saturated everywhere)
        self.blocked_units = int(np.all(blocked_mask, axis=0).sum())
        self.histogram = np.histogram(out, bins=NUM_BINS)
        counts, edges = self.histogram
        for bar, count, left, right in zip(self.hist_bars, counts, edges[:-1], edges[1:], strict=True):
            bar.set_x(left)
            bar.set_width(right - left)
            bar.set_height(count)
        self.ax_hist.set_xlim(edges[0], edges[-1])
        self.ax_hist.set_ylim(0, 1.05 * counts.max())
        self.blocked_fraction = float(blocked)
        self.ax_hist.set_title(f"weight scale {weight_scale:g}: |f'| < {BLOCKED} for {100 * blocked:.1f}% of the\n"
                               f"(sample, unit) outputs; for {self.blocked_units} of {out.shape[1]} units "
                               "on every sample", fontsize=10)

    def _draw_softmax(self, temperature: float) -> None:
        probs = softmax_with_temperature(self.logits, temperature)
        for bar, p in zip(self.softmax_bars, probs, strict=True):
            bar.set_height(p)
        entropy = -np.sum(probs * np.log(np.maximum(probs, 1e-300)))
        self.ax_softmax.set_title(f"T = {temperature:.2f}: entropy {entropy:.2f} nats (max {np.log(len(probs)):.2f})")


def activation_explorer(**kwargs: Any) -> ActivationExplorer:
    """Sliders for an activation's curve, derivative, effect on a layer's outputs, and softmax temperature.

    Keyword arguments go to ActivationExplorer (``logits``, ``num_samples``, ``width``, ``seed``). In Jupyter, leave
    it as the last expression of a cell; without a browser, set ``explorer.controls[name].value`` and read
    ``explorer.figure``.
    """
    return ActivationExplorer(**kwargs)
