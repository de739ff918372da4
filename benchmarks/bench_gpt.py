"""Training throughput of the PyTorch GPT (dlcourse.models.gpt.GPT): tokens per second and, on CUDA, model FLOPs
utilisation (MFU) in bf16 against the card's peak.

Run: ``python benchmarks/bench_gpt.py``. Without CUDA it times a small CPU configuration (the chapter's CPU model,
float32, one thread unless ``--threads``). With CUDA it times the chapter's GPU configuration and a GPT-2-small-sized
one (12 layers, 12 heads, E = 768, context 1024, GPT-2's vocabulary padded to 50,304, the head tied to the token
embedding as in GPT-2: 124M parameters), each with bf16 autocast, fused AdamW, flash attention through
``scaled_dot_product_attention`` (the causal hint of TransformerEncoderLayer), TF32 matrix products and
``torch.compile``.

FLOPs per token are counted as 6 x parameters (a multiply-add is 2 FLOPs; forward 2, backward 4 per weight) plus
12 x layers x T x E for attention's two T x E matrix products per token (2 FLOPs each, x3 for forward and
backward), as in the PaLM paper's appendix; MFU = tokens/s x FLOPs per token / the card's dense bf16 peak.
"""

from __future__ import annotations

import argparse
import time

import torch

from dlcourse.models.gpt import GPT, GPTConfig, count_parameters, flops_per_token

# dense (not sparse) bf16 tensor-core peaks from NVIDIA's data sheets, FLOP/s
PEAK_BF16 = {"H100 SXM": 989e12, "H100 PCIe": 756e12, "H100 NVL": 835e12, "H200": 989e12, "A100": 312e12,
             "L4": 121e12, "A10": 125e12, "T4": 65e12}

CONFIGS = {
    "cpu-chapter": (GPTConfig(vocab_size=75, block_size=64, n_layer=2, n_head=4, n_embd=64), 16),
    "gpu-chapter": (GPTConfig(vocab_size=75, block_size=256, n_layer=6, n_head=6, n_embd=384), 64),
    "gpt2-small": (GPTConfig(vocab_size=50304, block_size=1024, n_layer=12, n_head=12, n_embd=768), 16),
}


def peak_flops(name: str) -> float | None:
    """The bf16 peak of the named CUDA device, or None when the card is not in the table."""
    for key, value in PEAK_BF16.items():
        words = key.split()
        if all(word.lower() in name.lower() for word in words):
            return value
    if "H100" in name:  # an H100 of unknown form factor: the SXM figure
        return PEAK_BF16["H100 SXM"]
    return None


def bench(name: str, steps: int, warmup: int, compile_model: bool, device: torch.device) -> dict:
    """Train ``steps`` steps on random tokens after ``warmup`` steps; return tokens/s and FLOP figures."""
    config, batch_size = CONFIGS[name]
    torch.manual_seed(0)
    model = GPT(config)
    if name == "gpt2-small":  # GPT-2 shares the token embedding with the output head: 124M parameters, not 163M
        model.head.weight = model.tok_emb.weight
    model = model.to(device)
    n_params = count_parameters(model)
    cuda = device.type == "cuda"
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, fused=cuda)
    step_model = torch.compile(model) if compile_model else model
    gen = torch.Generator(device=device).manual_seed(0)
    tokens = torch.randint(0, config.vocab_size, (batch_size, config.block_size + 1), device=device, generator=gen)
    x, y = tokens[:, :-1], tokens[:, 1:]

    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda):
            loss = torch.nn.functional.cross_entropy(step_model(x).flatten(0, 1).float(), y.flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for _ in range(warmup):
        step()
    if cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    tokens_per_s = steps * batch_size * config.block_size / seconds
    per_token = flops_per_token(config, n_params)
    return {"name": name, "params": n_params, "tokens_per_s": tokens_per_s, "flops_per_token": per_token,
            "achieved": tokens_per_s * per_token, "batch": batch_size, "T": config.block_size}


def main(steps: int | None = None, threads: int = 1, compile_model: bool | None = None) -> list[dict]:
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = True  # only the float32 parts (bf16 runs on tensor cores anyway)
        torch.backends.cudnn.allow_tf32 = True
        card = torch.cuda.get_device_name(0)
        peak = peak_flops(card)
        names, steps = ["gpu-chapter", "gpt2-small"], steps or 50
        compile_model = True if compile_model is None else compile_model
        print(f"device: {card}; bf16 peak {peak / 1e12:.0f} TFLOP/s" if peak else f"device: {card}; peak unknown")
    else:
        torch.set_num_threads(threads)
        peak, names, steps = None, ["cpu-chapter"], steps or 30
        compile_model = bool(compile_model)
        print(f"device: CPU, {threads} thread(s), float32; torch {torch.__version__}")
    print("FLOPs per token = 6 x parameters + 12 x layers x T x E (forward and backward, attention included)")
    rows = []
    for name in names:
        row = bench(name, steps, warmup=10 if compile_model else 3, compile_model=compile_model, device=device)
        mfu = f"  MFU {row['achieved'] / peak:6.1%}" if peak else ""
        print(f"{name:<12} {row['params'] / 1e6:7.2f}M params, batch {row['batch']} x T {row['T']}: "
              f"{row['tokens_per_s']:12,.0f} tokens/s, {row['achieved'] / 1e12:8.3f} TFLOP/s{mfu}")
        rows.append(row)
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=None, help="timed steps per configuration")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (CPU runs only)")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile on CUDA")
    options = parser.parse_args()
    main(options.steps, options.threads, False if options.no_compile else None)
