"""The gradient-flow explorer: how much does the loss at the last step still feel an input from many steps ago?

Slide the spectral radius of the recurrent weight W_hh (its largest |eigenvalue|: W_hh is that radius times a random
orthogonal matrix), pick a plain RNN (tanh or linear) or an LSTM (with a forget-gate bias), and watch
||dL/dx_t|| against the lag T - t on a log scale: a straight line falling means vanishing gradients, rising means
exploding ones. Every curve is a real run of dlcourse's ``rnn_backward`` / ``lstm_backward`` (backpropagation
through time) with the loss placed on the last step only.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from dlcourse.nn.lstm import lstm_backward, lstm_forward
from dlcourse.nn.rnn import rnn_backward, rnn_forward
from dlcourse.widgets.base import Explorer

CELLS = ("RNN tanh", "RNN linear", "LSTM")


def orthogonal(size: int, rng: np.random.Generator) -> np.ndarray:
    """A random (size, size) orthogonal matrix: every eigenvalue has |lambda| = 1, so radius * Q has radius radius."""
    q, r = np.linalg.qr(rng.standard_normal((size, size)))
    return q * np.sign(np.diag(r))  # fix the signs so the draw is uniform over orthogonal matrices


def gradient_by_lag(cell: str, radius: float, num_steps: int, *, forget_bias: float = 0.0, hidden_size: int = 32,
                    batch_size: int = 16, rng: np.random.Generator) -> np.ndarray:
    """||dL/dx_t|| for t = T-1 down to 0, divided by its value at lag 0, when L depends on the last output only.

    Args:
        cell: one of CELLS. radius: spectral radius of W_hh (of each gate block for the LSTM).
        num_steps: T. forget_bias: added to the LSTM forget gate's bias (the gate starts near sigmoid(forget_bias)).
        hidden_size: Dh (= the input size D). batch_size: N sequences averaged in the norm. rng: Generator.
    Returns:
        (T,) ratios, index k = lag k (the input k steps before the last one).
    """
    if cell not in CELLS:
        raise ValueError(f"gradient_by_lag: expected cell to be one of {list(CELLS)}, got {cell!r}")
    size = hidden_size
    x = rng.standard_normal((num_steps, batch_size, size))  # (T, N, D)
    h0 = np.zeros((batch_size, size))
    dout = np.zeros((num_steps, batch_size, size))
    dout[-1] = rng.standard_normal((batch_size, size))  # the loss reads only the last hidden state
    if cell == "LSTM":
        weight_ih = rng.uniform(-1, 1, (4 * size, size)) / np.sqrt(size)
        weight_hh = np.concatenate([radius * orthogonal(size, rng) for _ in range(4)])  # (4*Dh, Dh)
        bias = np.zeros(4 * size)
        bias[size:2 * size] = forget_bias  # gates i, f, g, o: the second block is the forget gate
        *_, cache = lstm_forward(x, h0, h0, weight_ih, weight_hh, bias, None)
        dx = lstm_backward(dout, None, None, cache)[0]
    else:
        weight_ih = rng.uniform(-1, 1, (size, size)) / np.sqrt(size)
        weight_hh = radius * orthogonal(size, rng)
        if cell == "RNN linear":  # no squashing: the gradient is multiplied by W_hh^T alone at every step
            dx = np.empty_like(x)
            dh = dout[-1]
            for t in reversed(range(num_steps)):
                dx[t] = dh @ weight_ih
                dh = dh @ weight_hh
        else:
            _, _, cache = rnn_forward(x, h0, weight_ih, weight_hh)
            dx = rnn_backward(dout, None, cache)[0]
    norms = np.linalg.norm(dx.reshape(num_steps, -1), axis=1)[::-1]  # (T,), lag 0 first
    return norms / norms[0]


class GradientFlowExplorer(Explorer):
    """One panel: ||dL/dx_{T-k}|| / ||dL/dx_T|| against the lag k, log scale, with the line radius^k for reference.

    Controls: ``cell`` (Dropdown of CELLS), ``radius`` (0.3 to 1.6), ``forget_bias`` (LSTM only, -3 to 5),
    ``num_steps`` (10 to 150).

    Args:
        seed: seeds the weights and inputs, identically on every redraw.
    Attributes after each redraw: ``ratios`` (T,), the plotted curve.
    """

    def __init__(self, *, seed: int = 0):
        self.seed = seed
        slider = {"continuous_update": False, "style": {"description_width": "initial"},
                  "layout": widgets.Layout(width="600px")}  # the long descriptions take ~250 px: tracks stay > 300 px
        self.controls = {
            "cell": widgets.Dropdown(options=list(CELLS), value="RNN tanh", description="cell"),
            "radius": widgets.FloatSlider(value=1.0, min=0.3, max=1.6, step=0.05,
                                          description="spectral radius of W_hh", **slider),
            "forget_bias": widgets.FloatSlider(value=0.0, min=-3.0, max=5.0, step=0.5,
                                               description="LSTM forget-gate bias", **slider),
            "num_steps": widgets.IntSlider(value=60, min=10, max=150, step=10, description="steps T", **slider),
        }
        self.figure, self.ax = plt.subplots(figsize=(11, 4.8), layout="constrained")
        (self.curve,) = self.ax.plot([], [], color="C0", lw=2, label="measured ||dL/dx|| ratio")
        (self.reference,) = self.ax.plot([], [], color="gray", ls="--", label="radius ** lag")
        self.ax.set_yscale("log")
        self.ax.set_xlabel("lag T - t (steps back from the loss)")
        self.ax.set_ylabel("||dL/dx_t|| / ||dL/dx_T||")
        self.ax.legend(loc="lower left")
        self._start()

    def redraw(self, cell, radius, forget_bias, num_steps) -> None:
        # the forget-gate bias only exists in an LSTM: greyed out otherwise, so no slider seems to do nothing
        self.controls["forget_bias"].disabled = cell != "LSTM"
        self.ratios = gradient_by_lag(cell, radius, num_steps, forget_bias=forget_bias,
                                      rng=np.random.default_rng(self.seed))
        lags = np.arange(num_steps)
        floor = 1e-30  # log axis: a gradient that vanished completely is drawn at the floor
        self.curve.set_data(lags, np.maximum(self.ratios, floor))
        self.reference.set_data(lags, np.maximum(radius ** lags, floor))
        self.ax.set_xlim(0, num_steps - 1)
        shown = np.concatenate([np.maximum(self.ratios, floor), [1.0]])
        self.ax.set_ylim(max(shown.min(), floor) / 3, shown.max() * 3)
        extra = f", forget bias {forget_bias:g}" if cell == "LSTM" else ""
        self.ax.set_title(f"{cell}, radius {radius:.2f}{extra}: after {num_steps - 1} steps back the gradient is "
                          f"{self.ratios[-1]:.2g} of its size at the loss")


def gradient_flow_explorer(**kwargs) -> GradientFlowExplorer:
    """Sliders for the recurrent weight's spectral radius and the LSTM forget bias against gradient norm over time.

    Keyword arguments go to GradientFlowExplorer (``seed``). Without a browser, set ``explorer.controls[name].value``
    and read ``explorer.ratios`` and ``explorer.figure``.
    """
    return GradientFlowExplorer(**kwargs)
