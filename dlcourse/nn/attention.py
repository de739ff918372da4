"""Attention: scaled dot-product attention as pure functions, and MultiheadAttention as in torch.nn.

Each query row asks "which keys look like me?": the scores q . k / sqrt(d_head) go through a softmax over the keys,
and the output is the weighted average of the values,

    out = softmax(Q K^T / sqrt(d_head) + mask) V.

Dividing by sqrt(d_head) keeps the scores' variance near 1 when q and k have unit-variance entries, so the softmax
does not saturate (a saturated softmax has gradients near zero).

Masks follow PyTorch, whose two conventions differ:
- ``scaled_dot_product_attention_forward`` (like ``torch.nn.functional.scaled_dot_product_attention``): a boolean
  ``attn_mask`` is True where a query MAY attend; a float mask is added to the scores.
- ``MultiheadAttention`` (like ``torch.nn.MultiheadAttention``): a boolean ``attn_mask`` or ``key_padding_mask``
  is True where a query may NOT attend; float masks are added.
"""

from __future__ import annotations

import math

import numpy as np

from dlcourse.nn import init
from dlcourse.nn.dropout import check_probability, dropout_mask
from dlcourse.nn.linear import Linear, linear_backward, linear_forward
from dlcourse.nn.module import Module, Parameter
from dlcourse.validate import as_float_array, check_positive_int, check_same_dtype


def causal_mask(L: int, S: int | None = None) -> np.ndarray:
    """Which keys each query may see when query i must not look at the future.

    Args:
        L: number of queries (target length). S: number of keys (default L).
    Returns:
        (L, S) bool, True where key j <= query i: the lower triangle, SDPA's convention (True = attend).
    """
    S = L if S is None else S
    return np.tril(np.ones((L, S), dtype=bool))


def _additive_mask(attn_mask: np.ndarray | None, dtype: np.dtype, where: str) -> np.ndarray | None:
    """A mask in SDPA's convention as numbers to add to the scores: 0 where allowed, -inf where not."""
    if attn_mask is None:
        return None
    attn_mask = np.asarray(attn_mask)
    if attn_mask.dtype == np.bool_:
        return np.where(attn_mask, dtype.type(0), dtype.type(-np.inf))
    if attn_mask.dtype != dtype:
        raise TypeError(f"{where}: expected attn_mask of dtype bool or {dtype} (the query's), got {attn_mask.dtype}")
    return attn_mask


def _masked_softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, computed in place in ``scores``; a row whose every score is -inf (nothing to
    attend to) gives zeros, not NaN."""
    row_max = scores.max(axis=-1, keepdims=True)
    row_max[~np.isfinite(row_max)] = 0  # all -inf: keep exp(-inf) = 0 instead of nan
    np.subtract(scores, row_max, out=scores)
    np.exp(scores, out=scores)
    total = scores.sum(axis=-1, keepdims=True)
    total[total == 0] = 1
    np.multiply(scores, 1 / total, out=scores)
    return scores


def scaled_dot_product_attention_forward(query: np.ndarray, key: np.ndarray, value: np.ndarray,
                                         attn_mask: np.ndarray | None = None, *, dropout_p: float = 0.0,
                                         is_causal: bool = False, scale: float | None = None,
                                         rng: np.random.Generator | None = None) -> tuple[np.ndarray, tuple]:
    """softmax(Q K^T * scale + mask) V over the last two axes, any leading (batch, head) axes.

    Args:
        query: (*, L, d_head). key: (*, S, d_head). value: (*, S, Dv); the leading axes * must match.
        attn_mask: None, or bool (True = may attend) or float (added to the scores), broadcastable to (*, L, S).
        dropout_p: probability of zeroing each attention weight (inverted dropout, survivors scaled by 1/(1-p)).
        is_causal: also forbid query i to see key j > i (a lower-triangular mask).
        scale: multiplies the scores; None means 1/sqrt(d_head).
        rng: Generator for the dropout mask (a fresh unseeded one if None and dropout_p > 0).
    Returns:
        out: (*, L, Dv). cache: (query, key, value, weights, kept, scale), where weights (*, L, S) is the
        softmax before dropout and kept the dropout multiplier (None without dropout).
    """
    where = "scaled_dot_product_attention_forward"
    _check_qkv(query, key, value, where)
    dropout_p = check_probability(dropout_p, where)
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    # scaling the (L, d) queries costs less than scaling the (L, S) scores
    scores = (query * query.dtype.type(scale)) @ np.swapaxes(key, -1, -2)  # (*, L, d) @ (*, d, S) -> (*, L, S)
    mask = _additive_mask(attn_mask, query.dtype, where)
    if mask is not None:
        _check_broadcast(mask.shape, scores.shape, where, "attn_mask")
        scores += mask
    if is_causal:
        scores[..., ~causal_mask(L, S)] = -np.inf
    weights = _masked_softmax(scores)
    kept = None
    if dropout_p > 0:
        keep = dropout_mask(weights.shape, dropout_p, init.default_rng(rng))
        kept = keep.astype(weights.dtype) * weights.dtype.type(0.0 if dropout_p >= 1 else 1 / (1 - dropout_p))
    used = weights if kept is None else weights * kept
    return used @ value, (query, key, value, weights, kept, scale)  # (*, L, S) @ (*, S, Dv) -> (*, L, Dv)


def scaled_dot_product_attention_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray,
                                                                                     np.ndarray]:
    """Gradients of scaled_dot_product_attention_forward.

    With A the softmax weights (after dropout, A_d) and out = A_d V:
    dV = A_d^T dout, dA = (dout V^T) * kept, dscores = A * (dA - rowsum(dA * A)) (the softmax backward),
    dQ = dscores K * scale, dK = dscores^T Q * scale.

    Args:
        dout: (*, L, Dv). cache: from the forward pass.
    Returns:
        dquery: (*, L, d_head), dkey: (*, S, d_head), dvalue: (*, S, Dv).
    """
    query, key, value, weights, kept, scale = cache
    used = weights if kept is None else weights * kept
    dvalue = np.swapaxes(used, -1, -2) @ dout  # (*, S, L) @ (*, L, Dv) -> (*, S, Dv)
    dweights = dout @ np.swapaxes(value, -1, -2)  # (*, L, Dv) @ (*, Dv, S) -> (*, L, S)
    if kept is not None:
        dweights = dweights * kept
    row = np.sum(dweights * weights, axis=-1, keepdims=True)  # (*, L, 1)
    dscores = np.subtract(dweights, row, out=dweights)  # in place: dweights is not needed again
    np.multiply(dscores, weights, out=dscores)
    scale = dout.dtype.type(scale)  # applied to the (L, d) and (S, d) results, cheaper than to the (L, S) ones
    dquery = (dscores @ key) * scale  # (*, L, S) @ (*, S, d) -> (*, L, d)
    dkey = (np.swapaxes(dscores, -1, -2) @ query) * scale  # (*, S, L) @ (*, L, d) -> (*, S, d)
    return dquery, dkey, dvalue


def _check_qkv(query: np.ndarray, key: np.ndarray, value: np.ndarray, where: str) -> None:
    for name, x in (("query", query), ("key", key), ("value", value)):
        as_float_array(x, where, name)
        if x.ndim < 2:
            raise ValueError(f"{where}: expected {name} of shape (*, length, features), got {x.shape}")
    if key.dtype != query.dtype or value.dtype != query.dtype:
        raise TypeError(f"{where}: expected query, key and value of one dtype, got {query.dtype}, {key.dtype}, "
                        f"{value.dtype}")
    if key.shape[-1] != query.shape[-1]:
        raise ValueError(f"{where}: expected key's last dimension = query's ({query.shape[-1]}), got key "
                         f"{key.shape}")
    if key.shape[:-1] != value.shape[:-1] or key.shape[:-2] != query.shape[:-2]:
        raise ValueError(f"{where}: expected query (*, L, d), key (*, S, d), value (*, S, Dv) with the same *, "
                         f"got {query.shape}, {key.shape}, {value.shape}")


def _check_broadcast(mask_shape: tuple, scores_shape: tuple, where: str, name: str) -> None:
    try:
        if np.broadcast_shapes(mask_shape, scores_shape) == scores_shape:
            return
    except ValueError:
        pass
    raise ValueError(f"{where}: expected {name} broadcastable to the scores' shape {scores_shape} (*, L, S), "
                     f"got {mask_shape}")


# ----- multi-head attention -----------------------------------------------------------------------------------------
def split_heads(x: np.ndarray, num_heads: int) -> np.ndarray:
    """(N, T, E) -> (N, n_heads, T, d_head): each head sees its own d_head = E / n_heads slice of the features."""
    N, T, E = x.shape
    return x.reshape(N, T, num_heads, E // num_heads).transpose(0, 2, 1, 3)  # (N, T, n_heads, d_head) -> swap


def merge_heads(x: np.ndarray) -> np.ndarray:
    """(N, n_heads, T, d_head) -> (N, T, E): the inverse of split_heads, heads laid side by side."""
    N, n_heads, T, d_head = x.shape
    return x.transpose(0, 2, 1, 3).reshape(N, T, n_heads * d_head)  # (N, T, n_heads, d_head) -> (N, T, E)


class MultiheadAttention(Module):
    """Multi-head attention, torch.nn.MultiheadAttention's parameters, arguments and returns.

    Query, key and value are projected by the three row blocks of ``in_proj_weight`` (3E, E), split into n_heads
    heads of d_head = E / n_heads features, attended separately (scaled dot-product), merged and projected by
    ``out_proj``.

    Args:
        embed_dim: E. num_heads: n_heads, must divide E.
        dropout: probability of dropping an attention weight in training.
        bias: learn in_proj_bias (3E,) and out_proj.bias (E,).
        batch_first: inputs are (N, T, E) instead of (T, N, E).
        rng: Generator for the initial weights and the dropout masks. dtype: np.float32 (default) or np.float64.
    Shapes: query (L, N, E), key and value (S, N, E) (batch_first: (N, L, E), (N, S, E); unbatched: (L, E),
        (S, E)) -> output of query's shape, weights (N, L, S) (or (N, n_heads, L, S) when not averaged).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 batch_first: bool = False, *, rng: np.random.Generator | None = None, dtype=np.float32):
        super().__init__()
        self.embed_dim = check_positive_int(embed_dim, "MultiheadAttention", "embed_dim")
        self.num_heads = check_positive_int(num_heads, "MultiheadAttention", "num_heads")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: expected embed_dim divisible by num_heads, got embed_dim "
                             f"{embed_dim} and num_heads {num_heads}")
        self.head_dim = embed_dim // num_heads
        self.dropout = check_probability(dropout, "MultiheadAttention")
        self.batch_first = batch_first
        self.rng = init.default_rng(rng)
        # torch: Xavier-uniform in_proj_weight, zero biases, out_proj.weight as a Linear's default
        bound = math.sqrt(6.0 / (embed_dim + 3 * embed_dim))
        self.in_proj_weight = Parameter(self.rng.uniform(-bound, bound, (3 * embed_dim, embed_dim)).astype(dtype))
        self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, rng=self.rng, dtype=dtype)
        if bias:
            self.out_proj.bias.data[...] = 0

    def forward(self, query: np.ndarray, key: np.ndarray, value: np.ndarray,
                key_padding_mask: np.ndarray | None = None, need_weights: bool = True,
                attn_mask: np.ndarray | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """Attend from query to key/value.

        Args:
            query: (L, N, E) or (N, L, E) with batch_first, or (L, E). key, value: (S, N, E), (N, S, E) or (S, E).
            key_padding_mask: (N, S) (or (S,) unbatched), bool True = ignore this key, or float added.
            need_weights: also return the attention weights.
            attn_mask: (L, S) or (N * n_heads, L, S), bool True = may NOT attend, or float added to the scores.
            average_attn_weights: average the returned weights over the heads.
            is_causal: forbid attending to later positions (torch requires attn_mask with it; here it may be None).
        Returns:
            output: query's shape. weights: (N, L, S), (N, n_heads, L, S), unbatched without N, or None.
        """
        where = "MultiheadAttention.forward"
        q, k, v = (as_float_array(a, where, name) for a, name in ((query, "query"), (key, "key"), (value, "value")))
        self._unbatched = q.ndim == 2
        for name, a in (("query", q), ("key", k), ("value", v)):
            if a.ndim != q.ndim or a.ndim not in (2, 3) or a.shape[-1] != self.embed_dim:
                layout = "(N, T, E)" if self.batch_first else "(T, N, E)"
                raise ValueError(f"{where}: expected {name} of shape {layout} or (T, E) with E = {self.embed_dim} "
                                 f"(as query, {q.ndim}-D), got {a.shape}")
            check_same_dtype(a, self.in_proj_weight.data, where)
        q, k, v = (self._to_batch_first(a) for a in (q, k, v))  # each (N, T, E)
        N, L, _ = q.shape
        S = k.shape[1]
        if k.shape != v.shape or k.shape[0] != N:
            raise ValueError(f"{where}: expected key and value of one shape with query's batch size {N}, "
                             f"got key {key.shape} and value {value.shape}")
        mask = self._merge_masks(attn_mask, key_padding_mask, is_causal, N, L, S, q.dtype)
        w_q, w_k, w_v = np.split(self.in_proj_weight.data, 3)  # each (E, E)
        b_q, b_k, b_v = (None,) * 3 if self.in_proj_bias is None else np.split(self.in_proj_bias.data, 3)
        # projections on (N*T, E) rows: one matrix product each instead of one per example
        qp, cq = linear_forward(q.reshape(N * L, -1), w_q, b_q)
        kp, ck = linear_forward(k.reshape(N * S, -1), w_k, b_k)
        vp, cv = linear_forward(v.reshape(N * S, -1), w_v, b_v)
        heads = [split_heads(a.reshape(N, -1, self.embed_dim), self.num_heads)  # each (N, n_heads, T, d_head)
                 for a in (qp, kp, vp)]
        p = self.dropout if self.training else 0.0
        attended, c_attn = scaled_dot_product_attention_forward(*heads, mask, dropout_p=p, rng=self.rng)
        out = self.out_proj(merge_heads(attended))  # (N, n_heads, L, d_head) -> (N, L, E)
        self._cache = (cq, ck, cv, c_attn)
        out = self._from_batch_first(out)
        if not need_weights:
            return out, None
        weights = c_attn[3] if c_attn[4] is None else c_attn[3] * c_attn[4]  # (N, n_heads, L, S), after dropout
        weights = weights.mean(axis=1) if average_attn_weights else weights
        return out, (weights[0] if self._unbatched else weights)

    def _to_batch_first(self, x: np.ndarray) -> np.ndarray:
        if x.ndim == 2:
            return x[None]  # (T, E) -> (1, T, E)
        return x if self.batch_first else x.transpose(1, 0, 2)  # (T, N, E) -> (N, T, E)

    def _from_batch_first(self, x: np.ndarray) -> np.ndarray:
        if self._unbatched:
            return x[0]
        return x if self.batch_first else x.transpose(1, 0, 2)  # (N, T, E) -> (T, N, E)

    def _merge_masks(self, attn_mask, key_padding_mask, is_causal, N, L, S, dtype) -> np.ndarray | None:
        """One additive mask (N, n_heads, L, S) (or broadcastable) from the masks in torch's MHA convention."""
        where = "MultiheadAttention.forward"
        mask = np.zeros((1, 1, 1, 1), dtype)
        used = False
        if attn_mask is not None:
            attn_mask = np.asarray(attn_mask)
            if attn_mask.shape == (L, S):
                shaped = attn_mask[None, None]  # (L, S) -> (1, 1, L, S)
            elif attn_mask.shape == (N * self.num_heads, L, S):
                shaped = attn_mask.reshape(N, self.num_heads, L, S)  # (N*n_heads, L, S) -> (N, n_heads, L, S)
            else:
                raise ValueError(f"{where}: expected attn_mask of shape (L, S) = {(L, S)} or (N * num_heads, L, S) "
                                 f"= {(N * self.num_heads, L, S)}, got {attn_mask.shape}")
            mask = mask + _mha_additive(shaped, dtype, where, "attn_mask")
            used = True
        if key_padding_mask is not None:
            key_padding_mask = np.asarray(key_padding_mask)
            expected = (S,) if self._unbatched else (N, S)
            if key_padding_mask.shape != expected:
                raise ValueError(f"{where}: expected key_padding_mask of shape {expected} (N, S), "
                                 f"got {key_padding_mask.shape}")
            shaped = key_padding_mask.reshape(N, 1, 1, S)  # (N, S) -> (N, 1, 1, S): the same for every query
            mask = mask + _mha_additive(shaped, dtype, where, "key_padding_mask")
            used = True
        if is_causal:
            mask = np.where(causal_mask(L, S), mask, dtype.type(-np.inf))
            used = True
        return mask if used else None

    def backward(self, grad_output: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Gradients of the loss with respect to query, key and value (each in its input layout); adds the
        parameters' gradients. For self-attention (query = key = value = x) the gradient of x is their sum."""
        cq, ck, cv, c_attn = self._cache
        dout = grad_output[None] if self._unbatched else grad_output
        dout = dout if self.batch_first or self._unbatched else dout.transpose(1, 0, 2)  # (L, N, E) -> (N, L, E)
        dattended = split_heads(self.out_proj.backward(dout), self.num_heads)  # (N, L, E) -> (N, n_heads, L, d)
        dheads = scaled_dot_product_attention_backward(dattended, c_attn)
        grads, dweights, dbiases = [], [], []
        for dh, cache in zip(dheads, (cq, ck, cv), strict=True):
            merged = merge_heads(dh)  # (N, n_heads, T, d_head) -> (N, T, E)
            dx, dw, db = linear_backward(merged.reshape(-1, self.embed_dim), cache)  # on (N*T, E) rows
            grads.append(self._from_batch_first(dx.reshape(merged.shape)))
            dweights.append(dw)
            dbiases.append(db)
        self.accumulate_grad(in_proj_weight=np.concatenate(dweights),
                             in_proj_bias=None if self.in_proj_bias is None else np.concatenate(dbiases))
        return tuple(grads)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}"


def _mha_additive(mask: np.ndarray, dtype: np.dtype, where: str, name: str) -> np.ndarray:
    """MHA's convention: bool True = may NOT attend (-inf), a float mask is added as it is."""
    if mask.dtype == np.bool_:
        return np.where(mask, dtype.type(-np.inf), dtype.type(0))
    if mask.dtype != dtype:
        raise TypeError(f"{where}: expected {name} of dtype bool or {dtype} (the query's), got {mask.dtype}")
    return mask
