"""The transformer encoder layer (torch.nn.TransformerEncoderLayer) and positional encodings.

A layer is two residual sub-blocks, self-attention (tokens exchange information) and a position-wise MLP (each
token computes on its own), each wrapped in dropout and layer norm:

- post-norm (``norm_first=False``, the 2017 original): x = norm1(x + SA(x)); x = norm2(x + FF(x)).
- pre-norm (``norm_first=True``, GPT-2 onward): x = x + SA(norm1(x)); x = x + FF(norm2(x)). The residual stream
  x itself is never normalised, so the gradient reaches early layers through the identity path unchanged.

Attention alone cannot tell positions apart (permuting the tokens permutes the outputs), so a position signal is
added to the inputs: fixed sinusoids or a learned table.
"""

from __future__ import annotations

import numpy as np

from dlcourse.nn import init
from dlcourse.nn.activations import GELU, ReLU
from dlcourse.nn.attention import MultiheadAttention
from dlcourse.nn.dropout import Dropout
from dlcourse.nn.linear import Linear
from dlcourse.nn.module import Module, Parameter
from dlcourse.nn.normalization import LayerNorm
from dlcourse.validate import as_float_array, check_choice, check_positive_int, check_same_dtype


def sinusoidal_positional_encoding(T: int, E: int, *, base: float = 10000.0, dtype=np.float32) -> np.ndarray:
    """The fixed position signal of "Attention is all you need".

    PE[t, 2i] = sin(t / base^(2i/E)) and PE[t, 2i+1] = cos(t / base^(2i/E)): each pair of features is a clock
    turning at its own speed, from one turn per 2 pi positions down to one per 2 pi base positions, so every
    position gets a distinct pattern, and PE[t + k] is a fixed rotation of PE[t] for each k.

    Args:
        T: number of positions. E: model width (even).
    Returns:
        (T, E) array of ``dtype``.
    """
    T = check_positive_int(T, "sinusoidal_positional_encoding", "T")
    E = check_positive_int(E, "sinusoidal_positional_encoding", "E")
    if E % 2:
        raise ValueError(f"sinusoidal_positional_encoding: expected an even E (sine/cosine pairs), got {E}")
    positions = np.arange(T)[:, None]  # (T, 1)
    frequencies = base ** (-np.arange(0, E, 2) / E)  # (E/2,): 1 down to 1/base
    angles = positions * frequencies  # (T, 1) * (E/2,) -> (T, E/2)
    pe = np.empty((T, E))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe.astype(dtype)


class SinusoidalPositionalEncoding(Module):
    """x + PE[:T] for (N, T, E) inputs (batch_first); nothing to learn, so backward passes the gradient through.

    Args:
        d_model: E (even). max_len: the longest sequence. dtype: np.float32 or np.float64.
    """

    def __init__(self, d_model: int, max_len: int = 5000, *, dtype=np.float32):
        super().__init__()
        self.pe = sinusoidal_positional_encoding(max_len, d_model, dtype=dtype)  # (max_len, E); not state

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "SinusoidalPositionalEncoding.forward")
        _check_positions(x, self.pe.shape, "SinusoidalPositionalEncoding.forward")
        return x + self.pe[: x.shape[1]].astype(x.dtype)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output


class LearnedPositionalEncoding(Module):
    """x + weight[:T] for (N, T, E) inputs: one learned vector per position (GPT-2's ``wpe``).

    Args:
        max_len: the longest sequence. d_model: E. rng: Generator for the N(0, 1) initial weights (as an
            Embedding's). dtype: np.float32 or np.float64.
    """

    def __init__(self, max_len: int, d_model: int, *, rng: np.random.Generator | None = None, dtype=np.float32):
        super().__init__()
        shape = (check_positive_int(max_len, "LearnedPositionalEncoding", "max_len"),
                 check_positive_int(d_model, "LearnedPositionalEncoding", "d_model"))
        self.weight = Parameter(init.default_rng(rng).standard_normal(shape).astype(dtype))

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "LearnedPositionalEncoding.forward")
        _check_positions(x, self.weight.shape, "LearnedPositionalEncoding.forward")
        check_same_dtype(x, self.weight.data, "LearnedPositionalEncoding.forward")
        self._T = x.shape[1]
        return x + self.weight.data[: self._T]

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        dweight = np.zeros_like(self.weight.data)
        dweight[: self._T] = grad_output.sum(axis=0)  # every example used the same row per position
        self.accumulate_grad(weight=dweight)
        return grad_output


def _check_positions(x: np.ndarray, table_shape: tuple, where: str) -> None:
    if x.ndim != 3 or x.shape[2] != table_shape[1] or x.shape[1] > table_shape[0]:
        raise ValueError(f"{where}: expected input of shape (N, T, E) with E = {table_shape[1]} and "
                         f"T <= max_len = {table_shape[0]}, got {x.shape}")


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward MLP, each residual with layer norm, as torch.nn.TransformerEncoderLayer.

    Args:
        d_model: E. nhead: n_heads. dim_feedforward: the MLP's hidden width.
        dropout: after attention, inside the MLP and on each residual branch (and on attention weights).
        activation: "relu" or "gelu". layer_norm_eps: LayerNorm's eps.
        batch_first: inputs (N, T, E) instead of (T, N, E). norm_first: pre-norm instead of post-norm.
        bias: biases in the linear layers and the norms.
        rng: Generator for weights and dropout masks. dtype: np.float32 (default) or np.float64.
    Shapes: src (T, N, E) (batch_first: (N, T, E)) -> output of the same shape.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, *, rng: np.random.Generator | None = None,
                 dtype=np.float32):
        super().__init__()
        check_choice(activation, ("relu", "gelu"), "TransformerEncoderLayer", "activation")
        rng = init.default_rng(rng)
        # attribute order = torch's, so state_dict() lists keys in torch's order
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            rng=rng, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, rng=rng, dtype=dtype)
        self.dropout = Dropout(dropout, rng=rng)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, rng=rng, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout, rng=rng)
        self.dropout2 = Dropout(dropout, rng=rng)
        self.activation = ReLU() if activation == "relu" else GELU()
        self.batch_first = batch_first

    def forward(self, src: np.ndarray, src_mask: np.ndarray | None = None,
                src_key_padding_mask: np.ndarray | None = None, is_causal: bool = False) -> np.ndarray:
        """Args:
            src: (T, N, E), (N, T, E) with batch_first, or (T, E).
            src_mask: (T, T) or (N * nhead, T, T), bool True = may NOT attend, or float added (MHA's convention).
            src_key_padding_mask: (N, T), True = a padding token nobody attends to.
            is_causal: forbid attending to later positions.
        Returns:
            src's shape.
        """
        x = as_float_array(src, "TransformerEncoderLayer.forward", "src")
        masks = {"attn_mask": src_mask, "key_padding_mask": src_key_padding_mask, "is_causal": is_causal}
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), masks)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, masks))
        return self.norm2(x + self._ff_block(x))

    def _sa_block(self, x: np.ndarray, masks: dict) -> np.ndarray:
        out, _ = self.self_attn(x, x, x, need_weights=False, **masks)
        return self.dropout1(out)

    def _ff_block(self, x: np.ndarray) -> np.ndarray:
        rows = x.reshape(-1, x.shape[-1])  # (*, E) -> (rows, E): one matrix product per linear layer
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(rows)))).reshape(x.shape))

    def _sa_backward(self, dout: np.ndarray) -> np.ndarray:
        dquery, dkey, dvalue = self.self_attn.backward(self.dropout1.backward(dout))
        return dquery + dkey + dvalue  # x fed all three

    def _ff_backward(self, dout: np.ndarray) -> np.ndarray:
        drows = self.dropout2.backward(dout).reshape(-1, dout.shape[-1])  # (*, E) -> (rows, E)
        dhidden = self.dropout.backward(self.linear2.backward(drows))
        return self.linear1.backward(self.activation.backward(dhidden)).reshape(dout.shape)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """Gradient with respect to src (its layout); adds every parameter's gradient."""
        if self.norm_first:  # x1 = x + SA(n1(x)); out = x1 + FF(n2(x1)): each residual adds an identity path
            dx1 = grad_output + self.norm2.backward(self._ff_backward(grad_output))
            return dx1 + self.norm1.backward(self._sa_backward(dx1))
        dsum2 = self.norm2.backward(grad_output)  # x1 = n1(x + SA(x)); out = n2(x1 + FF(x1))
        dx1 = dsum2 + self._ff_backward(dsum2)
        dsum1 = self.norm1.backward(dx1)
        return dsum1 + self._sa_backward(dsum1)
