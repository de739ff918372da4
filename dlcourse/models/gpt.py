"""The PyTorch twin of ``dlcourse.nn.GPT``: the same modules, names and state_dict keys, so weights move both ways.

Each block is ``torch.nn.TransformerEncoderLayer(norm_first=True, activation="gelu", batch_first=True)`` given a
causal mask and ``is_causal=True``; with no padding mask and no attention weights requested, torch hands the
attention to ``scaled_dot_product_attention`` with ``is_causal=True``, which on a GPU runs a fused (flash) kernel
that never stores the (T, T) attention matrix.
"""

from __future__ import annotations

import torch
from torch import nn

from dlcourse.nn.gpt import GPTConfig

__all__ = ["GPT", "GPTConfig", "count_parameters", "flops_per_token"]


class GPT(nn.Module):
    """Token ids (N, T) -> next-token logits (N, T, V); see dlcourse.nn.GPT for the NumPy version.

    Args:
        config: a GPTConfig.
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        E = config.n_embd
        self.tok_emb = nn.Embedding(config.vocab_size, E)
        self.pos_emb = nn.Embedding(config.block_size, E)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList([
            nn.TransformerEncoderLayer(E, config.n_head, 4 * E, config.dropout, "gelu", batch_first=True,
                                       norm_first=True, bias=config.bias)
            for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(E, bias=config.bias)
        self.head = nn.Linear(E, config.vocab_size, bias=False)
        self.apply(lambda module: self._init_weights(module, E ** -0.5))

    @staticmethod
    def _init_weights(module: nn.Module, std: float) -> None:
        """As dlcourse.nn.gpt.init_gpt_weights: N(0, std^2) weights and embeddings, zero biases."""
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, 0.0, std)
            if getattr(module, "bias", None) is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.MultiheadAttention):
            nn.init.normal_(module.in_proj_weight, 0.0, std)
            if module.in_proj_bias is not None:
                nn.init.zeros_(module.in_proj_bias)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        T = ids.shape[1]
        if T > self.config.block_size:
            raise ValueError(f"GPT.forward: expected T <= block_size = {self.config.block_size}, got {T}")
        positions = torch.arange(T, device=ids.device)
        x = self.drop(self.tok_emb(ids) + self.pos_emb(positions))  # (N, T, E)
        # a float mask (-inf above the diagonal) plus the is_causal hint: torch then uses SDPA's causal kernel
        mask = nn.Transformer.generate_square_subsequent_mask(T, device=ids.device, dtype=x.dtype)
        for block in self.blocks:
            x = block(x, src_mask=mask, is_causal=True)
        return self.head(self.ln_f(x))  # (N, T, V)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def flops_per_token(config: GPTConfig, n_params: int, T: int | None = None) -> int:
    """Training FLOPs per token: 6 x parameters (forward 2, backward 4 per weight) + 12 x layers x T x E for
    attention's scores and weighted sum (2 matmuls of T x E per token, x2 FLOPs, x3 for forward and backward).

    Args:
        config: the model's GPTConfig. n_params: its parameter count. T: context length (default block_size).
    """
    T = config.block_size if T is None else T
    return 6 * n_params + 12 * config.n_layer * T * config.n_embd


def model_flops_utilization(tokens_per_second: float, flops_token: int, peak_flops: float) -> float:
    """Achieved model FLOPs per second over the device's peak (a fraction in [0, 1])."""
    return tokens_per_second * flops_token / peak_flops


def autocast(device: torch.device):
    """bf16 autocast on CUDA, nothing on the CPU (the CPU chapters stay float32 and reproducible)."""
    return torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast("cpu",
                                                                                                     enabled=False)
