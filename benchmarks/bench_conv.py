"""How fast is dlcourse's NumPy convolution and pooling next to PyTorch on the CPU?

Run: ``python benchmarks/bench_conv.py`` (about a minute). Each row times one forward plus one backward pass
(input, weight and bias gradients) on LeNet- and ResNet-block-sized inputs, in float32 and float64, and prints
NumPy time / torch time. Targets: a ratio <= 2 in float32 (torch calls oneDNN's hand-tuned kernels there) and
<= 1 in float64 (torch's float64 convolution is im2col + BLAS, as ours).

Both libraries get the same number of threads: torch.set_num_threads is set to the thread count of NumPy's BLAS
(reported by threadpoolctl), or both are set to ``--threads N``. Each time is the minimum over repeats, so other
programs on the machine inflate it as little as possible; on a busy machine ``--threads 1 --cpu-time`` measures
CPU time instead of wall time, which other programs hardly disturb.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from ratios import command_line, compare

from dlcourse.nn.conv import conv2d_backward, conv2d_forward
from dlcourse.nn.pooling import (
    adaptive_avg_pool2d_backward,
    adaptive_avg_pool2d_forward,
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
)

# name, input shape (N, C, H, W), keyword arguments of the op (for conv: out_channels and kernel_size too)
CONV_CASES = [
    ("LeNet conv1 1->6 5x5 pad 2", (64, 1, 28, 28), {"out": 6, "k": 5, "padding": 2}),
    ("LeNet conv2 6->16 5x5", (64, 6, 14, 14), {"out": 16, "k": 5}),
    ("ResNet block 64->64 3x3 pad 1", (16, 64, 32, 32), {"out": 64, "k": 3, "padding": 1}),
    ("ResNet down 64->128 3x3 s2", (16, 64, 32, 32), {"out": 128, "k": 3, "padding": 1, "stride": 2}),
]
POOL_CASES = [
    ("LeNet max 2x2", (64, 6, 28, 28), "max", {"kernel_size": 2}),
    ("ResNet stem max 3x3 s2 pad 1", (16, 64, 32, 32), "max", {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("LeNet avg 2x2", (64, 16, 10, 10), "avg", {"kernel_size": 2}),
    ("ResNet global avg", (16, 512, 4, 4), "adaptive", {"output_size": 1}),
]


def conv_pair(shape: tuple, spec: dict, dtype, rng: np.random.Generator) -> tuple[Callable, Callable]:
    """Forward + backward of one convolution, as a NumPy closure and a torch closure on the same data."""
    kwargs = {k: v for k, v in spec.items() if k not in ("out", "k")}
    x = rng.standard_normal(shape).astype(dtype)
    w = (rng.standard_normal((spec["out"], shape[1], spec["k"], spec["k"])) * 0.1).astype(dtype)
    b = rng.standard_normal(spec["out"]).astype(dtype)
    dout = np.ones_like(conv2d_forward(x, w, b, **kwargs)[0])
    tensors = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    dout_t = torch.tensor(dout)

    def numpy_step():
        out, cache = conv2d_forward(x, w, b, **kwargs)
        return conv2d_backward(dout, cache)

    def torch_step():
        out = F.conv2d(*tensors, **kwargs)
        return torch.autograd.grad(out, tensors, dout_t)

    return numpy_step, torch_step


POOLS = {"max": (max_pool2d_forward, max_pool2d_backward, F.max_pool2d),
         "avg": (avg_pool2d_forward, avg_pool2d_backward, F.avg_pool2d),
         "adaptive": (adaptive_avg_pool2d_forward, adaptive_avg_pool2d_backward, F.adaptive_avg_pool2d)}


def pool_pair(shape: tuple, kind: str, kwargs: dict, dtype, rng: np.random.Generator) -> tuple[Callable, Callable]:
    """Forward + backward of one pooling op, as a NumPy closure and a torch closure on the same data."""
    forward, backward, torch_op = POOLS[kind]
    x = rng.standard_normal(shape).astype(dtype)
    args = (kwargs["output_size"],) if kind == "adaptive" else (kwargs["kernel_size"],)
    np_kwargs = {k: v for k, v in kwargs.items() if k not in ("kernel_size", "output_size")}
    dout = np.ones_like(forward(x, *args, **np_kwargs)[0])
    x_t, dout_t = torch.tensor(x, requires_grad=True), torch.tensor(dout)

    def numpy_step():
        out, cache = forward(x, *args, **np_kwargs)
        return backward(dout, cache)

    def torch_step():
        return torch.autograd.grad(torch_op(x_t, *args, **np_kwargs), x_t, dout_t)

    return numpy_step, torch_step


def cases(dtype, rng: np.random.Generator) -> list[tuple[str, Callable, Callable]]:
    """Every convolution and pooling case as (name, numpy_step, torch_step)."""
    pairs = [(name, conv_pair(shape, spec, dtype, rng)) for name, shape, spec in CONV_CASES]
    pairs += [(name, pool_pair(shape, kind, kw, dtype, rng)) for name, shape, kind, kw in POOL_CASES]
    return [(name, numpy_step, torch_step) for name, (numpy_step, torch_step) in pairs]


def main(repeats: int = 15, budget_s: float = 2.0, threads: int | None = None,
         cpu_time: bool = False) -> list[tuple[str, str, float, float]]:
    """Time every case in both dtypes; print and return rows (name, dtype, numpy_ms, torch_ms)."""
    return compare(cases, repeats=repeats, budget_s=budget_s, threads=threads, cpu_time=cpu_time)


if __name__ == "__main__":
    command_line(__doc__.splitlines()[0], main, repeats=15, budget_s=2.0)
