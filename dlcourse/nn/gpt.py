"""A decoder-only transformer language model (a tiny GPT) in NumPy, forward and backward, with a key-value cache.

    ids (N, T) -> token embedding + position embedding -> dropout
               -> n_layer pre-norm blocks with causal self-attention and a 4E GELU MLP
               -> final LayerNorm -> head (E -> V, no bias) -> logits (N, T, V)

Each block is a ``TransformerEncoderLayer(norm_first=True, activation="gelu")`` run with a causal mask, so the
parameter names are torch's, and ``dlcourse.models.gpt.GPT`` (the PyTorch twin) has the same state_dict keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlcourse.nn import init
from dlcourse.nn.attention import merge_heads, scaled_dot_product_attention_forward, split_heads
from dlcourse.nn.dropout import Dropout
from dlcourse.nn.embedding import Embedding
from dlcourse.nn.linear import Linear
from dlcourse.nn.module import Module, Sequential
from dlcourse.nn.normalization import LayerNorm
from dlcourse.nn.transformer import TransformerEncoderLayer
from dlcourse.validate import check_positive_int


@dataclass(frozen=True)
class GPTConfig:
    """The size of a GPT.

    Attributes:
        vocab_size: V. block_size: the longest context T. n_layer: number of blocks. n_head: n_heads.
        n_embd: E (divisible by n_head). dropout: on embeddings, attention weights and residual branches.
        bias: biases in the linear layers and norms.
    """

    vocab_size: int
    block_size: int = 64
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 64
    dropout: float = 0.0
    bias: bool = True


def init_gpt_weights(module: Module, rng: np.random.Generator, std: float) -> None:
    """Every weight matrix and embedding N(0, std^2), every bias 0, norms untouched. The GPT passes std = 1/sqrt(E),
    chapter 06's variance-1/fan-in rule (GPT-2's fixed 0.02 is that rule for E near 2,500)."""
    for name, param in module.named_parameters():
        if "norm" in name or name.startswith("ln_"):
            continue
        if name.endswith("bias"):
            param.data[...] = 0
        else:
            param.data[...] = rng.normal(0.0, std, param.shape).astype(param.dtype)


def next_token_probs(logits: np.ndarray, *, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
    """The distribution a token is drawn from: softmax(logits / temperature) over the top_k largest logits.

    Low temperature sharpens the distribution (temperature -> 0 is argmax), high flattens it; top_k removes the
    long tail of unlikely tokens that would otherwise be drawn now and then.

    Args:
        logits: (N, V) or (V,). temperature: > 0. top_k: keep this many tokens per row, None for all.
    Returns:
        probabilities of logits' shape, each row summing to 1 (zeros outside the top k).
    """
    if temperature <= 0:
        raise ValueError(f"next_token_probs: expected temperature > 0, got {temperature}")
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    if top_k is not None:
        top_k = min(check_positive_int(top_k, "next_token_probs", "top_k"), scaled.shape[-1])
        kth = np.sort(scaled, axis=-1)[..., -top_k, None]  # (..., 1): the k-th largest logit of each row
        scaled = np.where(scaled < kth, -np.inf, scaled)
    probs = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    return probs / probs.sum(axis=-1, keepdims=True)


def sample_next(logits: np.ndarray, *, temperature: float = 1.0, top_k: int | None = None,
                rng: np.random.Generator | None = None) -> np.ndarray:
    """Draw one token per row from next_token_probs(logits, temperature, top_k) (inverse-CDF sampling).

    Args:
        logits: (N, V). temperature, top_k: as next_token_probs. rng: Generator for the draw.
    Returns:
        (N,) int64 token ids.
    """
    probs = next_token_probs(logits, temperature=temperature, top_k=top_k)  # (N, V)
    cdf = np.cumsum(probs, axis=-1)  # one uniform per row, found in the cumulative distribution
    u = init.default_rng(rng).random((len(cdf), 1)) * cdf[:, -1:]
    return np.minimum((cdf < u).sum(axis=-1), logits.shape[-1] - 1).astype(np.int64)


class GPT(Module):
    """A decoder-only transformer: next-token logits for every position of every sequence.

    Args:
        config: a GPTConfig. rng: Generator for the weights (N(0, 1/E), biases 0) and dropout masks.
        dtype: np.float32 (default) or np.float64.
    Shapes: ids (N, T) integers with T <= block_size -> logits (N, T, V).
    """

    def __init__(self, config: GPTConfig, *, rng: np.random.Generator | None = None, dtype=np.float32):
        super().__init__()
        rng = init.default_rng(rng)
        self.config = config
        E = config.n_embd
        self.tok_emb = Embedding(config.vocab_size, E, rng=rng, dtype=dtype)
        self.pos_emb = Embedding(config.block_size, E, rng=rng, dtype=dtype)
        self.drop = Dropout(config.dropout, rng=rng)
        self.blocks = Sequential(*[
            TransformerEncoderLayer(E, config.n_head, 4 * E, config.dropout, "gelu", batch_first=True,
                                    norm_first=True, bias=config.bias, rng=rng, dtype=dtype)
            for _ in range(config.n_layer)])
        self.ln_f = LayerNorm(E, bias=config.bias, dtype=dtype)
        self.head = Linear(E, config.vocab_size, bias=False, rng=rng, dtype=dtype)
        init_gpt_weights(self, rng, std=E ** -0.5)

    def forward(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids)
        if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"GPT.forward: expected integer ids of shape (N, T), got {ids.dtype} {ids.shape}")
        T = ids.shape[1]
        if T > self.config.block_size:
            raise ValueError(f"GPT.forward: expected T <= block_size = {self.config.block_size}, got {T}")
        x = self.tok_emb(ids) + self.pos_emb(np.arange(T))  # (N, T, E) + (T, E): the same positions for all
        x = self.drop(x)
        for block in self.blocks:
            x = block(x, is_causal=True)
        return self.head(self.ln_f(x))  # (N, T, V)

    def backward(self, grad_output: np.ndarray) -> None:
        """Add every parameter's gradient given dlogits (N, T, V); token ids have no gradient, so None."""
        dx = self.ln_f.backward(self.head.backward(grad_output))
        for block in reversed(list(self.blocks)):
            dx = block.backward(dx)
        dx = self.drop.backward(dx)
        self.pos_emb.backward(dx.sum(axis=0))  # (N, T, E) -> (T, E): each position row was used by all N
        self.tok_emb.backward(dx)
        return None

    # ----- generation ------------------------------------------------------------------------------------------------
    def generate(self, ids: np.ndarray, max_new_tokens: int, *, temperature: float = 1.0, top_k: int | None = None,
                 use_cache: bool = True, rng: np.random.Generator | None = None) -> np.ndarray:
        """Extend each sequence by sampling one token at a time (in eval mode).

        Without the cache every step runs the whole prefix through the model again; with it, each step computes
        the new token's query, key and value only, and attends to the keys and values kept from earlier steps.

        Args:
            ids: (N, T0) prompt ids. max_new_tokens: how many to add; T0 + max_new_tokens <= block_size.
            temperature, top_k: as sample_next. use_cache: keep keys and values between steps. rng: Generator.
        Returns:
            (N, T0 + max_new_tokens) ids.
        """
        ids = np.asarray(ids, dtype=np.int64)
        if ids.shape[1] + max_new_tokens > self.config.block_size:
            raise ValueError(f"GPT.generate: expected prompt length + max_new_tokens <= block_size = "
                             f"{self.config.block_size}, got {ids.shape[1]} + {max_new_tokens}")
        rng = init.default_rng(rng)
        was_training = self.training
        self.eval()
        cache = [None] * len(self.blocks)
        logits = self._cached_step(ids, 0, cache) if use_cache else self(ids)[:, -1]
        for step in range(max_new_tokens):
            next_id = sample_next(logits, temperature=temperature, top_k=top_k, rng=rng)[:, None]  # (N, 1)
            ids = np.concatenate([ids, next_id], axis=1)
            if step + 1 < max_new_tokens:  # the last token needs no logits after it
                logits = self._cached_step(next_id, ids.shape[1] - 1, cache) if use_cache else self(ids)[:, -1]
        self.train(was_training)
        return ids

    def _cached_step(self, new_ids: np.ndarray, start: int, cache: list) -> np.ndarray:
        """Run ``new_ids`` (N, t) at positions start.. through the blocks, appending each layer's keys and values
        (N, n_heads, T, d_head) to ``cache``; return the last position's logits (N, V)."""
        x = self.tok_emb(new_ids) + self.pos_emb(np.arange(start, start + new_ids.shape[1]))  # (N, t, E)
        for index, block in enumerate(self.blocks):
            attn = block.self_attn
            h = block.norm1(x)
            qkv = h @ attn.in_proj_weight.data.T  # (N, t, E) @ (E, 3E) -> (N, t, 3E)
            if attn.in_proj_bias is not None:
                qkv = qkv + attn.in_proj_bias.data
            q, k, v = (split_heads(a, attn.num_heads) for a in np.split(qkv, 3, axis=-1))  # (N, n_heads, t, d)
            if cache[index] is not None:
                k = np.concatenate([cache[index][0], k], axis=2)  # (N, n_heads, T_past + t, d_head)
                v = np.concatenate([cache[index][1], v], axis=2)
            cache[index] = (k, v)
            # the new queries sit at the end: query i may see every cached key and new keys up to itself
            t, T = q.shape[2], k.shape[2]
            visible = np.tril(np.ones((t, T), dtype=bool), k=T - t)  # (t, T)
            attended, _ = scaled_dot_product_attention_forward(q, k, v, visible)
            x = x + attn.out_proj(merge_heads(attended))  # (N, n_heads, t, d_head) -> (N, t, E)
            x = x + block.linear2(block.activation(block.linear1(block.norm2(x))))
        return self.head(self.ln_f(x[:, -1]))  # (N, V)
