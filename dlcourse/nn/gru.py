"""Gated recurrent unit, as torch.nn.GRUCell and torch.nn.GRU (gate blocks in torch's order r, z, n).

    [xw_r, xw_z, xw_n] = x_t W_ih^T + b_ih          [hw_r, hw_z, hw_n] = h_{t-1} W_hh^T + b_hh
    r = sigmoid(xw_r + hw_r)    z = sigmoid(xw_z + hw_z)    n = tanh(xw_n + r * hw_n)
    h_t = (1 - z) * n + z * h_{t-1}

The reset gate r multiplies the hidden product AFTER it is computed (hw_n includes b_hn), as torch does; the original
paper put r inside, before W_hn. The update gate z mixes old state and candidate: along h_{t-1} -> h_t the
gradient is multiplied by z plus the path through the gates, so with z near 1 it passes through many steps, as the
LSTM's cell path does. With two projections that are not simply added, backward returns two pre-activation
gradients (of xw and of hw) instead of the LSTM's one.
"""

from __future__ import annotations

import numpy as np

from dlcourse.nn.recurrent import RNNBase, RNNCellBase, matmul_last, project, recurrent_weight_grads, sigmoid


def gru_step_forward(xw: np.ndarray, h_prev: np.ndarray, weight_hh: np.ndarray, bias_hh: np.ndarray | None
                     ) -> tuple[np.ndarray, tuple]:
    """One GRU step given the input projection.

    Args:
        xw: (N, 3*Dh) the input's projection x W_ih^T + b_ih, blocks r, z, n.
        h_prev: (N, Dh). weight_hh: (3*Dh, Dh). bias_hh: (3*Dh,) or None.
    Returns:
        h: (N, Dh). cache: what gru_step_backward needs.
    """
    hidden = h_prev.shape[1]
    hw = h_prev @ weight_hh.T  # (N, 3*Dh) the hidden projection, kept whole: n needs hw_n apart from xw_n
    if bias_hh is not None:
        hw += bias_hh
    rz = xw[:, :2 * hidden] + hw[:, :2 * hidden]  # (N, 2*Dh): r and z side by side
    sigmoid(rz, out=rz)  # in place: a fresh array per operation costs more than the arithmetic at these sizes
    r, z = rz[:, :hidden], rz[:, hidden:]
    n = np.tanh(xw[:, 2 * hidden:] + r * hw[:, 2 * hidden:])
    h = n + z * (h_prev - n)  # = (1 - z) * n + z * h_prev
    return h, (h_prev, rz, n, hw[:, 2 * hidden:], weight_hh)


def gru_step_backward(dh: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of gru_step_forward.

    Args:
        dh: (N, Dh) gradient with respect to h. cache: from gru_step_forward.
    Returns:
        dxw: (N, 3*Dh) gradient of the input projection. dhw: (N, 3*Dh) gradient of the hidden projection.
        dh_prev: (N, Dh) = dh * z (the direct path) + dhw W_hh (through the gates).
    """
    h_prev, rz, n, hw_n, weight_hh = cache
    hidden = h_prev.shape[1]
    r, z = rz[:, :hidden], rz[:, hidden:]
    dan = dh * (1 - z) * (1 - n * n)  # through n = tanh(a_n)
    dxw = np.empty(dh.shape[:1] + (3 * hidden,), dtype=dh.dtype)  # (N, 3*Dh)
    dxw[:, :hidden] = dan * hw_n * r * (1 - r)  # a_n = xw_n + r * hw_n, then r = sigmoid(a_r)
    dxw[:, hidden:2 * hidden] = dh * (h_prev - n) * z * (1 - z)
    dxw[:, 2 * hidden:] = dan
    dhw = dxw.copy()
    dhw[:, 2 * hidden:] *= r  # hw_n enters a_n multiplied by r
    return dxw, dhw, dh * z + dhw @ weight_hh


def gru_cell_forward(x: np.ndarray, h_prev: np.ndarray, weight_ih: np.ndarray, weight_hh: np.ndarray,
                     bias_ih: np.ndarray | None = None, bias_hh: np.ndarray | None = None) -> tuple[np.ndarray, tuple]:
    """One GRU step from the raw input (torch.nn.GRUCell).

    Args:
        x: (N, D). h_prev: (N, Dh). weight_ih: (3*Dh, D). weight_hh: (3*Dh, Dh). bias_ih, bias_hh: (3*Dh,) or None.
    Returns:
        h: (N, Dh). cache: what gru_cell_backward needs.
    """
    h, step = gru_step_forward(project(x, weight_ih, bias_ih), h_prev, weight_hh, bias_hh)
    return h, (x, h_prev, weight_ih, bias_ih is not None, step)


def gru_cell_backward(dh: np.ndarray, cache: tuple) -> tuple:
    """Gradients of gru_cell_forward.

    Args:
        dh: (N, Dh). cache: from gru_cell_forward.
    Returns:
        dx (N, D), dh_prev (N, Dh), dweight_ih (3*Dh, D), dweight_hh (3*Dh, Dh), dbias_ih (3*Dh,) or None,
        dbias_hh (3*Dh,) or None.
    """
    x, h_prev, weight_ih, has_bias, step = cache
    dxw, dhw, dh_prev = gru_step_backward(dh, step)
    return (dxw @ weight_ih, dh_prev) + recurrent_weight_grads(dxw, x, dhw, h_prev, has_bias)


def gru_forward(x: np.ndarray, h0: np.ndarray, weight_ih: np.ndarray, weight_hh: np.ndarray,
                bias_ih: np.ndarray | None = None, bias_hh: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Run a GRU layer over a sequence.

    Args:
        x: (T, N, D) inputs, time first. h0: (N, Dh).
        weight_ih: (3*Dh, D). weight_hh: (3*Dh, Dh). bias_ih, bias_hh: (3*Dh,) or None.
    Returns:
        out: (T, N, Dh). h_n: (N, Dh). cache: for gru_backward.
    """
    xw = project(x, weight_ih, bias_ih)  # (T, N, 3*Dh): every step's input projection in one matmul
    out = np.empty(x.shape[:2] + h0.shape[1:], dtype=xw.dtype)  # (T, N, Dh)
    h, steps = h0, []
    for t in range(x.shape[0]):
        h, step = gru_step_forward(xw[t], h, weight_hh, bias_hh)
        out[t] = h
        steps.append(step)
    return out, h, (x, h0, out, weight_ih, bias_ih is not None, steps)


def gru_backward(dout: np.ndarray, dh_n: np.ndarray | None, cache: tuple) -> tuple:
    """Backpropagation through time for gru_forward.

    Args:
        dout: (T, N, Dh) gradient with respect to out. dh_n: (N, Dh) gradient with respect to h_n, or None.
        cache: from gru_forward.
    Returns:
        dx (T, N, D), dh0 (N, Dh), dweight_ih (3*Dh, D), dweight_hh (3*Dh, Dh), dbias_ih (3*Dh,) or None,
        dbias_hh (3*Dh,) or None.
    """
    x, h0, out, weight_ih, has_bias, steps = cache
    dxw = np.empty(out.shape[:2] + (3 * out.shape[2],), dtype=out.dtype)  # (T, N, 3*Dh)
    dhw = np.empty_like(dxw)
    dh = np.zeros_like(h0) if dh_n is None else dh_n
    for t in reversed(range(len(steps))):
        dxw[t], dhw[t], dh = gru_step_backward(dout[t] + dh, steps[t])
    h_prev = np.concatenate([h0[None], out[:-1]])  # (T, N, Dh): the state each step read
    return (matmul_last(dxw, weight_ih), dh) + recurrent_weight_grads(dxw, x, dhw, h_prev, has_bias)


class GRUCell(RNNCellBase):
    """One GRU step, as torch.nn.GRUCell: ``h = cell(x, h_prev)``.

    Args:
        input_size: D. hidden_size: Dh. bias: learn b_ih and b_hh.
        rng: Generator for the initial weights, U(-1/sqrt(Dh), 1/sqrt(Dh)). dtype: np.float32 or np.float64.
    Shapes: input (N, D) or (D,), hx (N, Dh) or (Dh,) or None -> h (N, Dh) or (Dh,).
    After backward, ``grad_hx`` holds the gradient of hx.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, *,
                 rng: np.random.Generator | None = None, dtype=np.float32):
        super().__init__(input_size, hidden_size, bias, num_gates=3, rng=rng, dtype=dtype)

    def _cell_forward(self, x, states, weights):
        h, cache = gru_cell_forward(x, states[0], *weights)
        return (h,), cache

    def _cell_backward(self, dstates, cache):
        dx, dh_prev, *grads = gru_cell_backward(dstates[0], cache)
        return dx, (dh_prev,), grads


class GRU(RNNBase):
    """Stacked GRU layers over whole sequences, as torch.nn.GRU: ``output, h_n = gru(x, h0)``.

    Args:
        input_size: D. hidden_size: Dh. num_layers: stacked layers. bias: learn the biases.
        batch_first: input (N, T, D) instead of (T, N, D). dropout: drop probability on the outputs of every layer
        but the last, in training. bidirectional: add a backwards-in-time copy of each layer (``_reverse``).
        rng: Generator for the initial weights and the dropout masks. dtype: np.float32 or np.float64.
    Shapes: input (T, N, D) (or (N, T, D), or unbatched (T, D)); hx (num_layers * num_directions, N, Dh) or None
        -> output (T, N, num_directions * Dh), h_n (num_layers * num_directions, N, Dh).
    After backward, ``grad_hx`` holds the gradient of hx.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, *,
                 rng: np.random.Generator | None = None, dtype=np.float32):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         num_gates=3, rng=rng, dtype=dtype)

    def _layer_forward(self, x, states, weights):
        out, h_n, cache = gru_forward(x, states[0], *weights)
        return out, (h_n,), cache

    def _layer_backward(self, dout, dstates, cache):
        dx, dh0, *grads = gru_backward(dout, dstates[0], cache)
        return dx, (dh0,), grads
