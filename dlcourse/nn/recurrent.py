"""What RNN, LSTM and GRU share: their parameters (torch's names and shapes), the checks on inputs and states, and
the bookkeeping that stacks layers, runs a reversed copy of each layer (bidirectional) and applies dropout between
layers. The math of each cell lives in rnn.py, lstm.py and gru.py; this file never looks inside a cell.

Each layer k (and direction, ``_reverse`` for the backward-in-time copy) owns ``weight_ih_l{k}`` (G*Dh, D_k),
``weight_hh_l{k}`` (G*Dh, Dh), ``bias_ih_l{k}`` and ``bias_hh_l{k}`` (G*Dh,), where G is the number of gate blocks
(RNN 1, GRU 3, LSTM 4) and D_k is D for the first layer and num_directions * Dh above it; all start as
U(-1/sqrt(Dh), 1/sqrt(Dh)), as in torch.
"""

from __future__ import annotations

import math

import numpy as np

from dlcourse.nn import init
from dlcourse.nn.dropout import check_probability, dropout_backward, dropout_forward, dropout_mask
from dlcourse.nn.module import Module, Parameter
from dlcourse.validate import as_float_array, check_ndim, check_positive_int, check_same_dtype, check_size


def sigmoid(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """1 / (1 + exp(-a)) computed as (1 + tanh(a / 2)) / 2: the same function, stable for any a, and one fast
    NumPy ufunc (tanh) instead of exp and a division. Writes into ``out`` (may be ``a`` itself) or a new array."""
    out = np.multiply(a, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


def matmul_last(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b over the last axis of a, as ONE 2-D matrix product: (*, P) @ (P, Q) -> (*, Q)."""
    return (a.reshape(-1, a.shape[-1]) @ b).reshape(a.shape[:-1] + (b.shape[1],))  # (*, P) -> (prod(*), P)


def project(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """x W^T + b for inputs (*, D) and weight (M, D): every time step's projection at once -> (*, M)."""
    out = matmul_last(x, weight.T)
    if bias is not None:
        out += bias
    return out


def recurrent_weight_grads(dxw: np.ndarray, x: np.ndarray, dhw: np.ndarray, h_prev: np.ndarray,
                           has_bias: bool) -> tuple:
    """The four parameter gradients of a cell, summed over every leading axis (batch, and time for a sequence).

    Args:
        dxw: (*, G*Dh) gradient of x W_ih^T + b_ih. x: (*, D) the inputs.
        dhw: (*, G*Dh) gradient of h_prev W_hh^T + b_hh. h_prev: (*, Dh) the states each step read.
        has_bias: whether the biases exist.
    Returns:
        dweight_ih (G*Dh, D), dweight_hh (G*Dh, Dh), dbias_ih (G*Dh,) or None, dbias_hh (G*Dh,) or None.
    """
    dxw2, dhw2 = dxw.reshape(-1, dxw.shape[-1]), dhw.reshape(-1, dhw.shape[-1])  # (*, G*Dh) -> (prod(*), G*Dh)
    dweight_ih = dxw2.T @ x.reshape(-1, x.shape[-1])  # (G*Dh, prod(*)) @ (prod(*), D)
    dweight_hh = dhw2.T @ h_prev.reshape(-1, h_prev.shape[-1])  # (G*Dh, prod(*)) @ (prod(*), Dh)
    if not has_bias:
        return dweight_ih, dweight_hh, None, None
    return dweight_ih, dweight_hh, dxw2.sum(axis=0), dhw2.sum(axis=0)


def _check_bool(value, where: str, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: expected {name} to be a bool, got {type(value).__name__} {value!r}")
    return bool(value)


class _Recurrent(Module):
    """Parameters and state handling common to the cells and the sequence layers."""

    num_states = 1  # LSTM carries two: (h, c)

    def _make_weights(self, suffix: str, input_size: int, rng: np.random.Generator, dtype) -> None:
        rows, bound = self.num_gates * self.hidden_size, 1.0 / math.sqrt(self.hidden_size)
        shapes = {"weight_ih": (rows, input_size), "weight_hh": (rows, self.hidden_size)}
        if self.bias:
            shapes.update({"bias_ih": (rows,), "bias_hh": (rows,)})
        for name, shape in shapes.items():  # torch's order: weight_ih, weight_hh, bias_ih, bias_hh
            setattr(self, name + suffix, Parameter(rng.uniform(-bound, bound, shape).astype(dtype)))

    def _weights(self, suffix: str) -> tuple:
        """(weight_ih, weight_hh, bias_ih, bias_hh) arrays of one layer and direction; biases None without bias."""
        return tuple(None if getattr(self, name + suffix, None) is None else getattr(self, name + suffix).data
                     for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def _accumulate(self, suffix: str, grads) -> None:
        names = (name + suffix for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        # without bias the bias gradients are None and the parameters do not exist (as in torch)
        self.accumulate_grad(**{name: g for name, g in zip(names, grads, strict=True) if g is not None})

    def _states(self, hx, shape: tuple, dtype, where: str) -> tuple:
        """hx (one array, or (h, c) for LSTM) as a tuple of arrays of ``shape``; zeros when hx is None."""
        if hx is None:
            return tuple(np.zeros(shape, dtype) for _ in range(self.num_states))
        if self.num_states == 2 and not (isinstance(hx, tuple | list) and len(hx) == 2):
            raise TypeError(f"{where}: expected hx to be a tuple (h0, c0), got {type(hx).__name__}")
        states = tuple(hx) if self.num_states == 2 else (hx,)
        checked = []
        for name, state in zip(("h0", "c0"), states, strict=False):
            state = as_float_array(state, where, name)
            if state.shape != shape:
                raise ValueError(f"{where}: expected {name} of shape {shape}, got {state.shape}")
            if state.dtype != dtype:
                raise TypeError(f"{where}: expected {name} of dtype {dtype} (the layer's parameters), "
                                f"got {state.dtype}")
            checked.append(state)
        return tuple(checked)

    def _grad_states(self, grad, grad_c, shape: tuple, dtype, where: str, names: tuple) -> tuple:
        """The gradients of the returned states as a tuple (zeros for those not given)."""
        if self.num_states == 1 and grad_c is not None:
            raise TypeError(f"{where}: {names[1]} is only for LSTM, which returns a cell state")
        grads = []
        for name, g in zip(names[:self.num_states], (grad, grad_c)[:self.num_states], strict=True):
            if g is None:
                grads.append(np.zeros(shape, dtype))
                continue
            g = as_float_array(g, where, name)
            if g.shape != shape:
                raise ValueError(f"{where}: expected {name} of shape {shape}, got {g.shape}")
            grads.append(g.astype(dtype, copy=False))
        return tuple(grads)

    def _pack(self, states: tuple):
        """What forward returns for the states: h, or (h, c) for LSTM."""
        return states[0] if self.num_states == 1 else tuple(states)


class RNNCellBase(_Recurrent):
    """One step with weights weight_ih (G*Dh, D), weight_hh (G*Dh, Dh), bias_ih, bias_hh (G*Dh,).

    Subclasses give ``_cell_forward(x, states, weights) -> (states, cache)`` and
    ``_cell_backward(dstates, cache) -> (dx, dstates_prev, grads)``.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool, *, num_gates: int,
                 rng: np.random.Generator | None, dtype):
        super().__init__()
        where = type(self).__name__
        self.input_size = check_positive_int(input_size, where, "input_size")
        self.hidden_size = check_positive_int(hidden_size, where, "hidden_size")
        self.bias = _check_bool(bias, where, "bias")
        self.num_gates = num_gates
        self._make_weights("", input_size, init.default_rng(rng), dtype)

    def forward(self, input: np.ndarray, hx=None):
        where = f"{type(self).__name__}.forward"
        x = as_float_array(input, where)
        check_ndim(x, (1, 2), where, f"(N, {self.input_size}) or ({self.input_size},)")
        check_size(x.shape[-1], self.input_size, where, "last dimension (input_size)", x.shape)
        check_same_dtype(x, self.weight_ih.data, where)
        self._unbatched = x.ndim == 1
        x = x[None] if self._unbatched else x  # (D,) -> (1, D)
        shape = (x.shape[0], self.hidden_size)
        if hx is not None and self._unbatched:
            hx = tuple(s[None] for s in hx) if self.num_states == 2 else hx[None]
        self._batch = x.shape[0]
        states, self._cache = self._cell_forward(x, self._states(hx, shape, x.dtype, where), self._weights(""))
        return self._pack(tuple(s[0] for s in states) if self._unbatched else states)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """Gradient of the input from the gradient of h; ``grad_hx`` then holds the gradient of hx."""
        return self._backward(grad_output, None)

    def _backward(self, grad_output, grad_c) -> np.ndarray:
        where = f"{type(self).__name__}.backward"
        if not hasattr(self, "_cache"):
            raise RuntimeError(f"{where}: call forward first")
        shape = (self.hidden_size,) if self._unbatched else (self._batch, self.hidden_size)
        dstates = self._grad_states(grad_output, grad_c, shape, self.weight_ih.dtype, where,
                                    ("grad_output", "grad_c"))
        if self._unbatched:
            dstates = tuple(d[None] for d in dstates)  # (Dh,) -> (1, Dh)
        dx, dstates_prev, grads = self._cell_backward(dstates, self._cache)
        self._accumulate("", grads)
        if self._unbatched:
            dx, dstates_prev = dx[0], tuple(d[0] for d in dstates_prev)
        self.grad_hx = self._pack(dstates_prev)
        return dx

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNBase(_Recurrent):
    """Layers stacked over whole sequences, optionally bidirectional, with dropout between layers.

    Subclasses give ``_layer_forward(x, states, weights) -> (out, states_n, cache)`` for a (T, N, D_k) input and
    ``_layer_backward(dout, dstates_n, cache) -> (dx, dstates_0, grads)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int, bias: bool, batch_first: bool,
                 dropout: float, bidirectional: bool, *, num_gates: int, rng: np.random.Generator | None, dtype):
        super().__init__()
        where = type(self).__name__
        self.input_size = check_positive_int(input_size, where, "input_size")
        self.hidden_size = check_positive_int(hidden_size, where, "hidden_size")
        self.num_layers = check_positive_int(num_layers, where, "num_layers")
        self.bias = _check_bool(bias, where, "bias")
        self.batch_first = _check_bool(batch_first, where, "batch_first")
        self.dropout = check_probability(dropout, where)
        self.bidirectional = _check_bool(bidirectional, where, "bidirectional")
        self.num_gates = num_gates
        self.rng = init.default_rng(rng)  # the initial weights, then the dropout masks
        self._suffixes = ("", "_reverse") if bidirectional else ("",)
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else len(self._suffixes) * hidden_size
            for suffix in self._suffixes:
                self._make_weights(f"_l{layer}{suffix}", layer_input, self.rng, dtype)
        self.dropout_masks: list[np.ndarray] = []

    @property
    def num_directions(self) -> int:
        return len(self._suffixes)

    def forward(self, input: np.ndarray, hx=None):
        where = f"{type(self).__name__}.forward"
        x = as_float_array(input, where)
        layout = f"(N, T, {self.input_size})" if self.batch_first else f"(T, N, {self.input_size})"
        check_ndim(x, (2, 3), where, f"{layout} or unbatched (T, {self.input_size})")
        check_size(x.shape[-1], self.input_size, where, "last dimension (input_size)", x.shape)
        check_same_dtype(x, self.weight_ih_l0.data, where)
        self._unbatched = x.ndim == 2
        x = x[:, None] if self._unbatched else (x.transpose(1, 0, 2) if self.batch_first else x)  # -> (T, N, D)
        if x.shape[0] == 0:
            raise ValueError(f"{where}: expected a sequence of length T >= 1, got shape {np.shape(input)}")
        if hx is not None and self._unbatched:
            # (L*dirs, Dh) -> (L*dirs, 1, Dh)
            hx = tuple(s[:, None] for s in hx) if self.num_states == 2 else hx[:, None]
        self._steps_batch = x.shape[:2]
        shape = (self.num_layers * self.num_directions, x.shape[1], self.hidden_size)
        states = self._states(hx, shape, x.dtype, where)
        self._caches, self._dropout_caches, self.dropout_masks = [], [], []
        final = [[] for _ in range(self.num_states)]
        for layer in range(self.num_layers):
            outputs = []
            for direction, suffix in enumerate(self._suffixes):
                index = layer * self.num_directions + direction
                seq = x if direction == 0 else x[::-1]  # the reverse copy reads the sequence backwards in time
                out, states_n, cache = self._layer_forward(seq, tuple(s[index] for s in states),
                                                           self._weights(f"_l{layer}{suffix}"))
                outputs.append(out if direction == 0 else out[::-1])
                self._caches.append(cache)
                for kept, state in zip(final, states_n, strict=True):
                    kept.append(state)
            x = np.concatenate(outputs, axis=-1) if len(outputs) > 1 else outputs[0]  # (T, N, dirs * Dh)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                mask = dropout_mask(x.shape, self.dropout, self.rng)
                x, dcache = dropout_forward(x, self.dropout, mask)
                self.dropout_masks.append(mask)
                self._dropout_caches.append(dcache)
            else:
                self._dropout_caches.append(None)
        states_n = tuple(np.stack(kept) for kept in final)  # each (L*dirs, N, Dh)
        if self._unbatched:
            return x[:, 0], self._pack(tuple(s[:, 0] for s in states_n))
        return (x.transpose(1, 0, 2) if self.batch_first else x), self._pack(states_n)

    def backward(self, grad_output: np.ndarray, *, grad_h_n: np.ndarray | None = None,
                 grad_c_n: np.ndarray | None = None) -> np.ndarray:
        """Backpropagation through time through every layer and direction.

        Args:
            grad_output: gradient of the output, the output's shape.
            grad_h_n: gradient of h_n, h_n's shape, or None (zero). grad_c_n: the same for LSTM's c_n.
        Returns:
            The gradient of the input, the input's shape. ``grad_hx`` then holds the gradient of hx.
        """
        where = f"{type(self).__name__}.backward"
        if not getattr(self, "_caches", None):
            raise RuntimeError(f"{where}: call forward first")
        dtype = self.weight_ih_l0.dtype
        steps, batch = self._steps_batch
        out_shape = (steps, self.num_directions * self.hidden_size)
        if not self._unbatched:
            out_shape = (batch,) + out_shape if self.batch_first else (steps, batch) + out_shape[1:]
        dout = as_float_array(grad_output, where, "grad_output")
        if dout.shape != out_shape:
            raise ValueError(f"{where}: expected grad_output of shape {out_shape} (the output's), got {dout.shape}")
        dout = dout[:, None] if self._unbatched else (dout.transpose(1, 0, 2) if self.batch_first else dout)
        dout = dout.astype(dtype, copy=False)
        state_shape = (self.num_layers * self.num_directions,) + ((batch,) if not self._unbatched else ())
        dstates = self._grad_states(grad_h_n, grad_c_n, state_shape + (self.hidden_size,), dtype, where,
                                    ("grad_h_n", "grad_c_n"))
        if self._unbatched:
            dstates = tuple(d[:, None] for d in dstates)
        dstates0 = [np.zeros_like(d) for d in dstates]
        for layer in reversed(range(self.num_layers)):
            if self._dropout_caches[layer] is not None:
                dout = dropout_backward(dout, self._dropout_caches[layer])
            dx = None
            for direction, suffix in enumerate(self._suffixes):
                index = layer * self.num_directions + direction
                part = dout[..., direction * self.hidden_size:(direction + 1) * self.hidden_size]  # (T, N, Dh)
                part = part if direction == 0 else part[::-1]
                dseq, dinit, grads = self._layer_backward(part, tuple(d[index] for d in dstates),
                                                          self._caches[index])
                self._accumulate(f"_l{layer}{suffix}", grads)
                for total, d in zip(dstates0, dinit, strict=True):
                    total[index] = d
                dseq = dseq if direction == 0 else dseq[::-1]
                dx = dseq if dx is None else dx + dseq  # both directions read the same input
            dout = dx
        if self._unbatched:
            self.grad_hx = self._pack(tuple(d[:, 0] for d in dstates0))
            return dout[:, 0]
        self.grad_hx = self._pack(tuple(dstates0))
        return dout.transpose(1, 0, 2) if self.batch_first else dout

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        options = {"num_layers": (self.num_layers, 1), "bias": (self.bias, True),
                   "batch_first": (self.batch_first, False), "dropout": (self.dropout, 0.0),
                   "bidirectional": (self.bidirectional, False)}
        return text + "".join(f", {name}={value}" for name, (value, default) in options.items() if value != default)
