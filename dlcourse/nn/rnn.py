"""The plain (Elman) recurrent network, as torch.nn.RNNCell and torch.nn.RNN.

One step reads the input x_t and the previous hidden state h_{t-1} with the SAME weights at every t:

    h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),     act = tanh (default) or relu.

The math comes in three layers, each a pair of pure functions:

- ``rnn_step_forward/backward``: the recurrence of one step, given the input's projection xw_t = x_t W_ih^T + b_ih;
- ``rnn_cell_forward/backward``: one whole step, the input projection included (what ``RNNCell`` computes);
- ``rnn_forward/backward``: a whole sequence. Forward projects all T inputs in ONE matmul (the input does not depend
  on the recurrence), then loops over time. Backward is backpropagation through time: walk the stored steps from
  t = T-1 down to 0, carrying dh back through W_hh, then get every weight gradient in one matmul over all steps
  (weight sharing: a shared weight's gradient is the sum of its gradients at every step).
"""

from __future__ import annotations

import numpy as np

from dlcourse.nn.recurrent import RNNBase, RNNCellBase, matmul_last, project, recurrent_weight_grads
from dlcourse.validate import check_choice

NONLINEARITIES = ("tanh", "relu")


def rnn_step_forward(xw: np.ndarray, h_prev: np.ndarray, weight_hh: np.ndarray, bias_hh: np.ndarray | None,
                     nonlinearity: str = "tanh") -> tuple[np.ndarray, tuple]:
    """h = act(xw + h_prev W_hh^T + b_hh).

    Args:
        xw: (N, Dh) the input's projection x W_ih^T + b_ih.
        h_prev: (N, Dh) the previous hidden state.
        weight_hh: (Dh, Dh). bias_hh: (Dh,) or None.
        nonlinearity: "tanh" or "relu".
    Returns:
        h: (N, Dh) the new hidden state. cache: what rnn_step_backward needs.
    """
    a = h_prev @ weight_hh.T  # (N, Dh) pre-activation, updated in place (cheaper than fresh arrays)
    a += xw
    if bias_hh is not None:
        a += bias_hh
    h = np.tanh(a, out=a) if nonlinearity == "tanh" else np.maximum(a, 0, out=a)
    return h, (h, weight_hh, nonlinearity)


def rnn_step_backward(dh: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of rnn_step_forward.

    Args:
        dh: (N, Dh) gradient of the loss with respect to h (from the output at this step and from the future).
        cache: from rnn_step_forward.
    Returns:
        da: (N, Dh) gradient of the pre-activation: it is also the gradient of xw and of b_hh, row by row.
        dh_prev: (N, Dh) = da W_hh, the gradient passed back to the previous step.
    """
    h, weight_hh, nonlinearity = cache
    # tanh' = 1 - tanh^2 and relu' = [a > 0] are both functions of the output h, so the step keeps only h
    da = dh * (1 - h * h) if nonlinearity == "tanh" else dh * (h > 0)
    return da, da @ weight_hh


def rnn_cell_forward(x: np.ndarray, h_prev: np.ndarray, weight_ih: np.ndarray, weight_hh: np.ndarray,
                     bias_ih: np.ndarray | None = None, bias_hh: np.ndarray | None = None,
                     nonlinearity: str = "tanh") -> tuple[np.ndarray, tuple]:
    """One step of the recurrence from the raw input (torch.nn.RNNCell).

    Args:
        x: (N, D) input. h_prev: (N, Dh).
        weight_ih: (Dh, D). weight_hh: (Dh, Dh). bias_ih, bias_hh: (Dh,) or None. nonlinearity: "tanh" or "relu".
    Returns:
        h: (N, Dh). cache: what rnn_cell_backward needs.
    """
    h, step = rnn_step_forward(project(x, weight_ih, bias_ih), h_prev, weight_hh, bias_hh, nonlinearity)
    return h, (x, h_prev, weight_ih, bias_ih is not None, step)


def rnn_cell_backward(dh: np.ndarray, cache: tuple) -> tuple:
    """Gradients of rnn_cell_forward.

    Args:
        dh: (N, Dh). cache: from rnn_cell_forward.
    Returns:
        dx (N, D), dh_prev (N, Dh), dweight_ih (Dh, D), dweight_hh (Dh, Dh), dbias_ih (Dh,) or None,
        dbias_hh (Dh,) or None.
    """
    x, h_prev, weight_ih, has_bias, step = cache
    da, dh_prev = rnn_step_backward(dh, step)
    return (da @ weight_ih, dh_prev) + recurrent_weight_grads(da, x, da, h_prev, has_bias)


def rnn_forward(x: np.ndarray, h0: np.ndarray, weight_ih: np.ndarray, weight_hh: np.ndarray,
                bias_ih: np.ndarray | None = None, bias_hh: np.ndarray | None = None,
                nonlinearity: str = "tanh") -> tuple[np.ndarray, np.ndarray, tuple]:
    """Run the recurrence over a sequence.

    Args:
        x: (T, N, D) inputs, time first. h0: (N, Dh) initial state.
        weight_ih: (Dh, D). weight_hh: (Dh, Dh). bias_ih, bias_hh: (Dh,) or None. nonlinearity: "tanh" or "relu".
    Returns:
        out: (T, N, Dh) the hidden state at every step. h_n: (N, Dh) the last one. cache: for rnn_backward.
    """
    xw = project(x, weight_ih, bias_ih)  # (T, N, Dh): every step's input projection in one matmul
    if bias_hh is not None:
        xw += bias_hh  # both biases are simply added: add b_hh once here instead of at every step
    out = np.empty(xw.shape, dtype=xw.dtype)
    h, steps = h0, []
    for t in range(x.shape[0]):
        h, step = rnn_step_forward(xw[t], h, weight_hh, None, nonlinearity)
        out[t] = h
        steps.append(step)
    return out, h, (x, h0, out, weight_ih, bias_ih is not None, steps)


def rnn_backward(dout: np.ndarray, dh_n: np.ndarray | None, cache: tuple) -> tuple:
    """Backpropagation through time for rnn_forward.

    Args:
        dout: (T, N, Dh) gradient of the loss with respect to out. dh_n: (N, Dh) gradient with respect to h_n
            (beyond what dout[-1] carries), or None for zero.
        cache: from rnn_forward.
    Returns:
        dx (T, N, D), dh0 (N, Dh), dweight_ih (Dh, D), dweight_hh (Dh, Dh), dbias_ih (Dh,) or None,
        dbias_hh (Dh,) or None.
    """
    x, h0, out, weight_ih, has_bias, steps = cache
    da = np.empty_like(out)  # (T, N, Dh) the pre-activation gradient of every step
    dh = np.zeros_like(h0) if dh_n is None else dh_n
    for t in reversed(range(len(steps))):
        # h_t feeds the output at t and the next step: its gradient is the sum of both paths
        da[t], dh = rnn_step_backward(dout[t] + dh, steps[t])
    h_prev = np.concatenate([h0[None], out[:-1]])  # (T, N, Dh): the state each step read
    return (matmul_last(da, weight_ih), dh) + recurrent_weight_grads(da, x, da, h_prev, has_bias)


class RNNCell(RNNCellBase):
    """One step of the Elman recurrence, as torch.nn.RNNCell: ``h = cell(x, h_prev)``.

    Args:
        input_size: D. hidden_size: Dh. bias: learn b_ih and b_hh. nonlinearity: "tanh" or "relu".
        rng: Generator for the initial weights, U(-1/sqrt(Dh), 1/sqrt(Dh)) as torch. dtype: np.float32 or float64.
    Shapes: input (N, D) or (D,), hx (N, Dh) or (Dh,) or None (zeros) -> h (N, Dh) or (Dh,).
    After backward, ``grad_hx`` holds the gradient of hx.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh", *,
                 rng: np.random.Generator | None = None, dtype=np.float32):
        self.nonlinearity = check_choice(nonlinearity, NONLINEARITIES, "RNNCell", "nonlinearity")
        super().__init__(input_size, hidden_size, bias, num_gates=1, rng=rng, dtype=dtype)

    def _cell_forward(self, x, state, weights):
        h, cache = rnn_cell_forward(x, state[0], *weights, nonlinearity=self.nonlinearity)
        return (h,), cache

    def _cell_backward(self, dstate, cache):
        dx, dh_prev, *grads = rnn_cell_backward(dstate[0], cache)
        return dx, (dh_prev,), grads

    def extra_repr(self) -> str:
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity}")


class RNN(RNNBase):
    """A stack of Elman layers over whole sequences, as torch.nn.RNN.

    Args:
        input_size: D. hidden_size: Dh. num_layers: stacked layers. nonlinearity: "tanh" or "relu".
        bias: learn the biases. batch_first: input (N, T, D) instead of (T, N, D).
        dropout: probability of dropping each output of every layer but the last, in training.
        bidirectional: also run each layer backwards in time (``_reverse`` parameters); outputs are concatenated.
        rng: Generator for the initial weights and the dropout masks. dtype: np.float32 or np.float64.
    Shapes: input (T, N, D) (or (N, T, D), or unbatched (T, D)); hx (num_layers * num_directions, N, Dh) or None
        -> output (T, N, num_directions * Dh), h_n (num_layers * num_directions, N, Dh).
    After backward, ``grad_hx`` holds the gradient of hx (zeros' gradient when hx was None).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, *,
                 rng: np.random.Generator | None = None, dtype=np.float32):
        self.nonlinearity = check_choice(nonlinearity, NONLINEARITIES, "RNN", "nonlinearity")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         num_gates=1, rng=rng, dtype=dtype)

    def _layer_forward(self, x, state, weights):
        out, h_n, cache = rnn_forward(x, state[0], *weights, nonlinearity=self.nonlinearity)
        return out, (h_n,), cache

    def _layer_backward(self, dout, dstate, cache):
        dx, dh0, *grads = rnn_backward(dout, dstate[0], cache)
        return dx, (dh0,), grads

    def extra_repr(self) -> str:
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity}")
