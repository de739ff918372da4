"""How fast are dlcourse's NumPy MultiheadAttention and GPT block next to PyTorch on the CPU?

Run: ``python benchmarks/bench_attention.py`` (under a minute). Each row times one forward plus one backward pass
(input and every parameter gradient) of causal self-attention at the chapter's size (N = 32 windows of T = 64
characters, E = 64, 4 heads) and of a whole GPT block (pre-norm TransformerEncoderLayer, GELU MLP of 4E), in float32
and float64, and prints NumPy time / torch time. Targets: <= 2 in float32, <= 1 in float64.

torch runs its own fastest path: ``need_weights=False`` with the causal hint, which sends the attention to
``scaled_dot_product_attention``'s fused CPU kernel. Both libraries get the same threads (see bench_conv.py, whose
timing helpers this reuses); ``--threads 1 --cpu-time`` is the setting for a busy machine.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from ratios import command_line, compare

import dlcourse.nn as nn
from dlcourse.nn.attention import causal_mask

N, T, E, HEADS = 32, 64, 64, 4


def mha_pair(dtype, rng: np.random.Generator) -> tuple[Callable, Callable]:
    """Causal self-attention forward + backward, NumPy and torch, the same weights and data."""
    theirs = torch.nn.MultiheadAttention(E, HEADS, batch_first=True).to(getattr(torch, np.dtype(dtype).name))
    ours = nn.MultiheadAttention(E, HEADS, batch_first=True, dtype=dtype)
    ours.load_state_dict(theirs.state_dict())
    x = rng.standard_normal((N, T, E)).astype(dtype)
    dout = rng.standard_normal((N, T, E)).astype(dtype)
    x_t, dout_t = torch.tensor(x, requires_grad=True), torch.tensor(dout)
    mask_t = torch.tensor(~causal_mask(T))
    params = list(theirs.parameters())

    def numpy_step():
        ours(x, x, x, need_weights=False, is_causal=True)
        return ours.backward(dout)

    def torch_step():
        out, _ = theirs(x_t, x_t, x_t, need_weights=False, attn_mask=mask_t, is_causal=True)
        return torch.autograd.grad(out, [x_t, *params], dout_t)

    return numpy_step, torch_step


def block_pair(dtype, rng: np.random.Generator) -> tuple[Callable, Callable]:
    """A GPT block (pre-norm, GELU, 4E MLP, causal) forward + backward, NumPy and torch."""
    kwargs = dict(d_model=E, nhead=HEADS, dim_feedforward=4 * E, dropout=0.0, activation="gelu", batch_first=True,
                  norm_first=True)
    theirs = torch.nn.TransformerEncoderLayer(**kwargs).to(getattr(torch, np.dtype(dtype).name))
    ours = nn.TransformerEncoderLayer(**kwargs, dtype=dtype)
    ours.load_state_dict(theirs.state_dict())
    x = rng.standard_normal((N, T, E)).astype(dtype)
    dout = rng.standard_normal((N, T, E)).astype(dtype)
    x_t, dout_t = torch.tensor(x, requires_grad=True), torch.tensor(dout)
    mask_t = torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=x_t.dtype)
    params = list(theirs.parameters())

    def numpy_step():
        ours(x, is_causal=True)
        return ours.backward(dout)

    def torch_step():
        return torch.autograd.grad(theirs(x_t, src_mask=mask_t, is_causal=True), [x_t, *params], dout_t)

    return numpy_step, torch_step


def cases(dtype, rng: np.random.Generator) -> list[tuple[str, Callable, Callable]]:
    """Multi-head attention and a GPT block as (name, numpy_step, torch_step)."""
    return [(name, *make(dtype, rng)) for name, make in (("MultiheadAttention, causal", mha_pair),
                                                          ("GPT block (pre-norm, GELU)", block_pair))]


def main(repeats: int = 15, budget_s: float = 2.0, threads: int | None = None,
         cpu_time: bool = False) -> list[tuple[str, str, float, float]]:
    """Time both cases in both dtypes; print and return rows (name, dtype, numpy_ms, torch_ms)."""
    return compare(cases, repeats=repeats, budget_s=budget_s, threads=threads, cpu_time=cpu_time,
                   about=f"N={N}, T={T}, E={E}, {HEADS} heads.")


if __name__ == "__main__":
    command_line(__doc__.splitlines()[0], main, repeats=15, budget_s=2.0)
