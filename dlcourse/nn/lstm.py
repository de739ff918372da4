"""Long short-term memory, as torch.nn.LSTMCell and torch.nn.LSTM (gates in torch's order i, f, g, o).

Besides the hidden state h, an LSTM carries a cell state c that is changed by ADDING to it:

    [a_i, a_f, a_g, a_o] = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh       (4 blocks of Dh columns)
    i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
    c_t = f * c_{t-1} + i * g          h_t = o * tanh(c_t)

Along the cell path, dc_{t-1} = dc_t * f: the gradient is multiplied by the forget gate only, not by a weight matrix
and a squashing derivative, so with f near 1 it survives many steps (the plain RNN's gradient shrinks or grows by
W_hh^T diag(1 - h^2) at every step).

As in rnn.py: ``lstm_step_*`` is the recurrence of one step given the input projection, ``lstm_cell_*`` one whole
step, ``lstm_forward/backward`` a sequence (all input projections in one matmul, then backpropagation through time
over the stored steps, then every weight gradient in one matmul).
"""

from __future__ import annotations

import functools

import numpy as np

from dlcourse.nn.recurrent import RNNBase, RNNCellBase, matmul_last, project, recurrent_weight_grads


@functools.lru_cache(maxsize=64)
def _gate_constants(hidden: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """(scale, shift) of shape (4*Dh,) such that shift + scale * tanh(scale' * a) gives sigmoid on the i, f, o blocks
    and tanh on the g block: sigmoid(a) = 0.5 + 0.5 * tanh(a / 2), so one tanh call covers all four gates."""
    scale = np.repeat(np.array([0.5, 0.5, 1.0, 0.5], dtype=dtype), hidden)  # (4*Dh,)
    shift = np.repeat(np.array([0.5, 0.5, 0.0, 0.5], dtype=dtype), hidden)  # (4*Dh,)
    scale.flags.writeable = shift.flags.writeable = False  # cached and shared between calls
    return scale, shift


def lstm_step_forward(xw: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, weight_hh: np.ndarray,
                      bias_hh: np.ndarray | None, *, out: np.ndarray | None = None
                      ) -> tuple[np.ndarray, np.ndarray, tuple]:
    """One LSTM step given the input projection.

    Args:
        xw: (N, 4*Dh) the input's projection x W_ih^T + b_ih, blocks i, f, g, o.
        h_prev: (N, Dh). c_prev: (N, Dh).
        weight_hh: (4*Dh, Dh). bias_hh: (4*Dh,) or None.
        out: (N, 4*Dh) array to hold the gates, or None for a new one (lstm_forward passes slices of one array).
    Returns:
        h: (N, Dh). c: (N, Dh). cache: what lstm_step_backward needs.
    """
    hidden = h_prev.shape[1]
    a = np.matmul(h_prev, weight_hh.T, out=out)  # (N, 4*Dh) pre-activations; in-place updates from here on, since
    a += xw  # a fresh array per operation costs more than the arithmetic at these sizes
    if bias_hh is not None:
        a += bias_hh
    scale, shift = _gate_constants(hidden, a.dtype)
    a *= scale  # a / 2 on the sigmoid blocks
    gates = np.tanh(a, out=a)  # (N, 4*Dh), computed in place
    gates *= scale
    gates += shift  # i, f, o = sigmoid(a), g = tanh(a)
    i, f, g, o = gates[:, :hidden], gates[:, hidden:2 * hidden], gates[:, 2 * hidden:3 * hidden], gates[:, 3 * hidden:]
    c = f * c_prev
    c += i * g
    tanh_c = np.tanh(c)
    return o * tanh_c, c, (c_prev, gates, tanh_c, weight_hh)


def lstm_step_backward(dh: np.ndarray, dc: np.ndarray, cache: tuple, *, out: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of lstm_step_forward.

    Args:
        dh: (N, Dh) gradient with respect to h. dc: (N, Dh) gradient with respect to c from later steps.
        cache: from lstm_step_forward. out: (N, 4*Dh) array to hold da, or None for a new one.
    Returns:
        da: (N, 4*Dh) gradient of the gate pre-activations (= of xw, and of h_prev W_hh^T + b_hh).
        dh_prev: (N, Dh) = da W_hh. dc_prev: (N, Dh) = dc_total * f, the additive cell path.
    """
    c_prev, gates, tanh_c, weight_hh = cache
    hidden = c_prev.shape[1]
    i, f, g, o = gates[:, :hidden], gates[:, hidden:2 * hidden], gates[:, 2 * hidden:3 * hidden], gates[:, 3 * hidden:]
    dc = dc + dh * o * (1 - tanh_c * tanh_c)  # c reaches the loss through h = o * tanh(c) and through c_{t+1}
    # da, (N, 4*Dh): first the activations' slopes, sigmoid' = s (1 - s) on the i, f, o blocks ...
    da = np.subtract(1, gates, out=out)
    da *= gates
    da[:, 2 * hidden:3 * hidden] = 1 - g * g  # ... and tanh' = 1 - tanh^2 on the g block
    da[:, :hidden] *= dc * g  # times each gate output's gradient: c = f * c_prev + i * g
    da[:, hidden:2 * hidden] *= dc * c_prev
    da[:, 2 * hidden:3 * hidden] *= dc * i
    da[:, 3 * hidden:] *= dh * tanh_c  # h = o * tanh(c)
    return da, da @ weight_hh, dc * f


def lstm_cell_forward(x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, weight_ih: np.ndarray,
                      weight_hh: np.ndarray, bias_ih: np.ndarray | None = None, bias_hh: np.ndarray | None = None
                      ) -> tuple[np.ndarray, np.ndarray, tuple]:
    """One LSTM step from the raw input (torch.nn.LSTMCell).

    Args:
        x: (N, D). h_prev, c_prev: (N, Dh). weight_ih: (4*Dh, D). weight_hh: (4*Dh, Dh).
        bias_ih, bias_hh: (4*Dh,) or None.
    Returns:
        h: (N, Dh). c: (N, Dh). cache: what lstm_cell_backward needs.
    """
    h, c, step = lstm_step_forward(project(x, weight_ih, bias_ih), h_prev, c_prev, weight_hh, bias_hh)
    return h, c, (x, h_prev, weight_ih, bias_ih is not None, step)


def lstm_cell_backward(dh: np.ndarray, dc: np.ndarray, cache: tuple) -> tuple:
    """Gradients of lstm_cell_forward.

    Args:
        dh: (N, Dh). dc: (N, Dh). cache: from lstm_cell_forward.
    Returns:
        dx (N, D), dh_prev (N, Dh), dc_prev (N, Dh), dweight_ih (4*Dh, D), dweight_hh (4*Dh, Dh),
        dbias_ih (4*Dh,) or None, dbias_hh (4*Dh,) or None.
    """
    x, h_prev, weight_ih, has_bias, step = cache
    da, dh_prev, dc_prev = lstm_step_backward(dh, dc, step)
    return (da @ weight_ih, dh_prev, dc_prev) + recurrent_weight_grads(da, x, da, h_prev, has_bias)


def lstm_forward(x: np.ndarray, h0: np.ndarray, c0: np.ndarray, weight_ih: np.ndarray, weight_hh: np.ndarray,
                 bias_ih: np.ndarray | None = None, bias_hh: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple]:
    """Run an LSTM layer over a sequence.

    Args:
        x: (T, N, D) inputs, time first. h0, c0: (N, Dh) initial states.
        weight_ih: (4*Dh, D). weight_hh: (4*Dh, Dh). bias_ih, bias_hh: (4*Dh,) or None.
    Returns:
        out: (T, N, Dh) h at every step. h_n, c_n: (N, Dh) the last states. cache: for lstm_backward.
    """
    xw = project(x, weight_ih, bias_ih)  # (T, N, 4*Dh): every step's input projection in one matmul
    if bias_hh is not None:
        xw += bias_hh  # both biases are simply added: add b_hh once here instead of at every step
    out = np.empty(x.shape[:2] + h0.shape[1:], dtype=xw.dtype)  # (T, N, Dh)
    gates = np.empty_like(xw)  # (T, N, 4*Dh): each step writes its gates into its slice
    h, c, steps = h0, c0, []
    for t in range(x.shape[0]):
        h, c, step = lstm_step_forward(xw[t], h, c, weight_hh, None, out=gates[t])
        out[t] = h
        steps.append(step)
    return out, h, c, (x, h0, out, weight_ih, bias_ih is not None, steps)


def lstm_backward(dout: np.ndarray, dh_n: np.ndarray | None, dc_n: np.ndarray | None, cache: tuple) -> tuple:
    """Backpropagation through time for lstm_forward.

    Args:
        dout: (T, N, Dh) gradient with respect to out. dh_n, dc_n: (N, Dh) gradients with respect to the final
            states (beyond dout[-1]), or None for zero.
        cache: from lstm_forward.
    Returns:
        dx (T, N, D), dh0 (N, Dh), dc0 (N, Dh), dweight_ih (4*Dh, D), dweight_hh (4*Dh, Dh),
        dbias_ih (4*Dh,) or None, dbias_hh (4*Dh,) or None.
    """
    x, h0, out, weight_ih, has_bias, steps = cache
    da = np.empty(out.shape[:2] + (4 * out.shape[2],), dtype=out.dtype)  # (T, N, 4*Dh)
    dh = np.zeros_like(h0) if dh_n is None else dh_n
    dc = np.zeros_like(h0) if dc_n is None else dc_n
    for t in reversed(range(len(steps))):
        _, dh, dc = lstm_step_backward(dout[t] + dh, dc, steps[t], out=da[t])
    h_prev = np.concatenate([h0[None], out[:-1]])  # (T, N, Dh): the state each step read
    return (matmul_last(da, weight_ih), dh, dc) + recurrent_weight_grads(da, x, da, h_prev, has_bias)


class LSTMCell(RNNCellBase):
    """One LSTM step, as torch.nn.LSTMCell: ``h, c = cell(x, (h_prev, c_prev))``.

    Args:
        input_size: D. hidden_size: Dh. bias: learn b_ih and b_hh.
        rng: Generator for the initial weights, U(-1/sqrt(Dh), 1/sqrt(Dh)). dtype: np.float32 or np.float64.
    Shapes: input (N, D) or (D,), hx (h, c) each (N, Dh) or (Dh,), or None -> (h, c).
    After backward, ``grad_hx`` holds (dh_prev, dc_prev).
    """

    num_states = 2

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, *,
                 rng: np.random.Generator | None = None, dtype=np.float32):
        super().__init__(input_size, hidden_size, bias, num_gates=4, rng=rng, dtype=dtype)

    def backward(self, grad_output: np.ndarray, *, grad_c: np.ndarray | None = None) -> np.ndarray:
        """Gradient of the input from the gradients of h (``grad_output``) and of c (optional)."""
        return self._backward(grad_output, grad_c)

    def _cell_forward(self, x, states, weights):
        h, c, cache = lstm_cell_forward(x, *states, *weights)
        return (h, c), cache

    def _cell_backward(self, dstates, cache):
        dx, dh_prev, dc_prev, *grads = lstm_cell_backward(*dstates, cache)
        return dx, (dh_prev, dc_prev), grads


class LSTM(RNNBase):
    """Stacked LSTM layers over whole sequences, as torch.nn.LSTM: ``output, (h_n, c_n) = lstm(x, (h0, c0))``.

    Args:
        input_size: D. hidden_size: Dh. num_layers: stacked layers. bias: learn the biases.
        batch_first: input (N, T, D) instead of (T, N, D). dropout: drop probability on the outputs of every layer
        but the last, in training. bidirectional: add a backwards-in-time copy of each layer (``_reverse``).
        rng: Generator for the initial weights and the dropout masks. dtype: np.float32 or np.float64.
    Shapes: input (T, N, D) (or (N, T, D), or unbatched (T, D)); hx (h0, c0) each (num_layers * num_directions,
        N, Dh), or None -> output (T, N, num_directions * Dh), (h_n, c_n) each (num_layers * num_directions, N, Dh).
    After backward, ``grad_hx`` holds (dh0, dc0).
    """

    num_states = 2

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, *,
                 rng: np.random.Generator | None = None, dtype=np.float32):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         num_gates=4, rng=rng, dtype=dtype)

    def _layer_forward(self, x, states, weights):
        out, h_n, c_n, cache = lstm_forward(x, *states, *weights)
        return out, (h_n, c_n), cache

    def _layer_backward(self, dout, dstates, cache):
        dx, dh0, dc0, *grads = lstm_backward(dout, *dstates, cache)
        return dx, (dh0, dc0), grads
