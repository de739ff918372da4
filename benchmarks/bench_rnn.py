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

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch
from bench_conv import best_time, set_threads

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


def main(repeats: int = 10, budget_s: float = 3.0, threads: int | None = None,
         cpu_time: bool = False) -> list[tuple[str, str, float, float]]:
    """Time every case in both dtypes; print and return rows (name, dtype, numpy_ms, torch_ms)."""
    threads = set_threads(threads)
    clock = time.process_time if cpu_time else time.perf_counter
    print(f"NumPy BLAS threads: {threads}; torch.set_num_threads({threads}); torch {torch.__version__}, "
          f"NumPy {np.__version__}. Times: forward + backward, best of up to {repeats}, "
          f"{'CPU' if cpu_time else 'wall'} time.")
    print(f"{'case':<28}{'dtype':<9}{'NumPy ms':>10}{'torch ms':>10}{'ratio':>8}  target")
    rows = []
    for dtype in (np.float32, np.float64):
        rng = np.random.default_rng(0)
        target = 2.0 if dtype == np.float32 else 1.0
        for name, kind, sizes in CASES:
            numpy_step, torch_step = rnn_pair(kind, sizes, dtype, rng)
            t_np = best_time(numpy_step, repeats, budget_s, clock)
            t_torch = best_time(torch_step, repeats, budget_s, clock)
            rows.append((name, np.dtype(dtype).name, t_np * 1e3, t_torch * 1e3))
            verdict = "ok" if t_np / t_torch <= target else "over"
            print(f"{name:<28}{np.dtype(dtype).name:<9}{t_np * 1e3:>10.2f}{t_torch * 1e3:>10.2f}"
                  f"{t_np / t_torch:>8.2f}  <= {target:g} {verdict}")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10, help="timed calls per case (the minimum is reported)")
    parser.add_argument("--budget", type=float, default=3.0, help="seconds at most per case and library")
    parser.add_argument("--threads", type=int, default=None, help="threads for both (default: NumPy BLAS's count)")
    parser.add_argument("--cpu-time", action="store_true", help="CPU time instead of wall time (busy machines)")
    options = parser.parse_args()
    main(options.repeats, options.budget, options.threads, options.cpu_time)
