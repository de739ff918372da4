"""What every NumPy-against-torch benchmark here shares: equal thread counts, a best-of-N timer, the ratio table and
the command line.

A benchmark script defines ``cases(dtype, rng) -> [(name, numpy_step, torch_step), ...]``, where each step is a
function of no arguments that runs one forward plus one backward pass, and calls :func:`run`. The table prints
NumPy time / torch time against the targets: <= 2 in float32 (torch calls hand-tuned kernels there) and <= 1 in
float64.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch

TARGETS = {np.float32: 2.0, np.float64: 1.0}
Case = tuple[str, Callable[[], object], Callable[[], object]]


def best_time(fn: Callable[[], object], repeats: int, budget_s: float, clock=time.perf_counter) -> float:
    """Minimum time of ``fn`` on ``clock`` over ``repeats`` calls (fewer if ``budget_s`` runs out), after a warm-up."""
    fn()
    times = []
    start = time.perf_counter()
    for _ in range(repeats):
        t0 = clock()
        fn()
        times.append(clock() - t0)
        if time.perf_counter() - start > budget_s:
            break
    return min(times)


def blas_threads() -> int:
    """Threads NumPy's BLAS uses (threadpoolctl), or torch's current count when that is unknown."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return torch.get_num_threads()
    counts = [pool["num_threads"] for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return max(counts) if counts else torch.get_num_threads()


def set_threads(threads: int | None) -> int:
    """Give NumPy's BLAS and torch the same thread count (``threads``, or whatever BLAS uses now); return it."""
    if threads is not None:
        from threadpoolctl import threadpool_limits
        threadpool_limits(threads, user_api="blas")
    threads = blas_threads() if threads is None else threads
    torch.set_num_threads(threads)
    return threads


def compare(cases: Callable[[type, np.random.Generator], list[Case]], *, repeats: int, budget_s: float,
            threads: int | None, cpu_time: bool, about: str = "") -> list[tuple[str, str, float, float]]:
    """Time every case in float32 and float64; print the table and return rows (name, dtype, numpy_ms, torch_ms).

    Args:
        cases: builds the cases for a dtype from a generator (seeded with 0 for each dtype).
        repeats: timed calls per case and library (the minimum is reported).
        budget_s: seconds at most per case and library.
        threads: threads for both libraries (None: NumPy BLAS's count).
        cpu_time: time on the process's CPU clock instead of the wall clock (busy machines).
        about: what the sizes are, for the header line.
    """
    threads = set_threads(threads)
    clock = time.process_time if cpu_time else time.perf_counter
    print(f"NumPy BLAS threads: {threads}; torch.set_num_threads({threads}); torch {torch.__version__}, "
          f"NumPy {np.__version__}.{' ' + about if about else ''} Times: forward + backward, best of up to "
          f"{repeats}, {'CPU' if cpu_time else 'wall'} time.")
    print(f"{'case':<34}{'dtype':<9}{'NumPy ms':>10}{'torch ms':>10}{'ratio':>8}  target")
    rows = []
    for dtype, target in TARGETS.items():
        for name, numpy_step, torch_step in cases(dtype, np.random.default_rng(0)):
            t_np = best_time(numpy_step, repeats, budget_s, clock)
            t_torch = best_time(torch_step, repeats, budget_s, clock)
            rows.append((name, np.dtype(dtype).name, t_np * 1e3, t_torch * 1e3))
            verdict = "ok" if t_np / t_torch <= target else "over"
            print(f"{name:<34}{np.dtype(dtype).name:<9}{t_np * 1e3:>10.2f}{t_torch * 1e3:>10.2f}"
                  f"{t_np / t_torch:>8.2f}  <= {target:g} {verdict}")
    return rows


def command_line(description: str, main: Callable[..., object], *, repeats: int, budget_s: float) -> None:
    """Parse ``--repeats --budget --threads --cpu-time`` and call ``main(repeats, budget_s, threads, cpu_time)``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repeats", type=int, default=repeats, help="timed calls per case (the minimum is reported)")
    parser.add_argument("--budget", type=float, default=budget_s, help="seconds at most per case and library")
    parser.add_argument("--threads", type=int, default=None, help="threads for both (default: NumPy BLAS's count)")
    parser.add_argument("--cpu-time", action="store_true", help="CPU time instead of wall time (busy machines)")
    options = parser.parse_args()
    main(options.repeats, options.budget, options.threads, options.cpu_time)
