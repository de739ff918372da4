"""How fast are dlcourse's NumPy LSTM and GRU next to PyTorch's on the CPU?

Run: ``python benchmarks/bench_rnn.py`` (under a minute). Each row times one forward plus one backward pass
(backpropagation through time: input, initial-state and every weight gradient) of one layer of chapter 08's size
(batch N = 32, T = 64 steps, D = 64 inputs, Dh = 128 hidden units), in float32 and float64, and prints NumPy time /
torch time. Targets: a ratio <= 2 in float32 and <= 1 in float64.

Both libraries get the same number of threads (as in bench_conv.py: torch.set_num_threads is set to NumPy's BLAS
thread count, or both to ``--threads N``). Each time is the minimum over repeats; on a busy machine
``--threads 1 --cpu-time`` measures CPU time instead of wall time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from ratios import command_line, compare

from dlcourse.nn.gru import gru_backward, gru_forward
from dlcourse.nn.lstm import lstm_backward, lstm_forward

CASES = [  # name, (T, N, D, Dh)
    ("LSTM N32 T64 D64 Dh128", "lstm", (64, 32, 64, 128)),
    ("GRU N32 T64 D64 Dh128", "gru", (64, 32, 64, 128)),
    ("LSTM N32 T64 D128 Dh128", "lstm", (64, 32, 128, 128)),
    ("GRU N32 T64 D128 Dh128", "gru", (64, 32, 128, 128)),
]
GATES = {"lstm": 4, "gru": 3}


def rnn_pair(kind: str, sizes: tuple, dtype, rng: np.random.Generator) -> tuple[Callable, Callable]:
    """Forward + BPTT of one layer, as a NumPy closure and a torch closure on the same data and weights."""
    steps, batch, features, hidden = sizes
    rows = GATES[kind] * hidden
    bound = 1 / np.sqrt(hidden)
    x = rng.standard_normal((steps, batch, features)).astype(dtype)
    h0 = rng.standard_normal((batch, hidden)).astype(dtype)
    weights = [rng.uniform(-bound, bound, shape).astype(dtype)
               for shape in ((rows, features), (rows, hidden), (rows,), (rows,))]
    dout = rng.standard_normal((steps, batch, hidden)).astype(dtype)
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    module = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(features, hidden).to(torch_dtype)
    with torch.no_grad():
        for param, value in zip(module.parameters(), weights, strict=True):
            param.copy_(torch.tensor(value))
    x_t, h0_t = torch.tensor(x, requires_grad=True), torch.tensor(h0[None], requires_grad=True)
    dout_t = torch.tensor(dout)
    inputs = [x_t, h0_t, *module.parameters()]

    if kind == "lstm":
        def numpy_step():
            out, _, _, cache = lstm_forward(x, h0, h0, *weights)
            return lstm_backward(dout, None, None, cache)

        def torch_step():
            out, _ = module(x_t, (h0_t, h0_t))
            return torch.autograd.grad(out, inputs, dout_t)
    else:
        def numpy_step():
            out, _, cache = gru_forward(x, h0, *weights)
            return gru_backward(dout, None, cache)

        def torch_step():
            out, _ = module(x_t, h0_t)
            return torch.autograd.grad(out, inputs, dout_t)

    return numpy_step, torch_step


def cases(dtype, rng: np.random.Generator) -> list[tuple[str, Callable, Callable]]:
    """Every recurrent case as (name, numpy_step, torch_step)."""
    return [(name, *rnn_pair(kind, sizes, dtype, rng)) for name, kind, sizes in CASES]


def main(repeats: int = 10, budget_s: float = 3.0, threads: int | None = None,
         cpu_time: bool = False) -> list[tuple[str, str, float, float]]:
    """Time every case in both dtypes; print and return rows (name, dtype, numpy_ms, torch_ms)."""
    return compare(cases, repeats=repeats, budget_s=budget_s, threads=threads, cpu_time=cpu_time)


if __name__ == "__main__":
    command_line(__doc__.splitlines()[0], main, repeats=10, budget_s=3.0)
