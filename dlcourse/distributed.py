"""Data parallelism in NumPy: shard a batch over workers, all-reduce their gradients, and what that costs.

Every worker holds the same parameters and computes the gradient of the mean loss on its own shard of the batch.
When the shards have equal size, the average of the workers' gradients is the gradient of the mean loss on the whole
batch, so one optimizer step on the average is exactly the big-batch step. The average is computed by an
*all-reduce*; the ring algorithm below does it with every worker sending and receiving the same amount, whatever
the number of workers, which is why NCCL and gloo use it for large tensors.

The cost model (Patarasuk & Yuan's analysis of the ring, in the usual alpha-beta form) for ``n`` bytes on ``p``
workers, with per-message latency ``alpha`` (s) and bandwidth ``beta`` (bytes/s)::

    ring:                 2 (p - 1) * (alpha + n / (p * beta))
    parameter server:     2 (p - 1) * (alpha + n / beta)       (one node receives every gradient, then sends back)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlcourse.validate import check_positive_int

__all__ = ["allreduce_mean", "parameter_server_time", "ring_allreduce", "ring_allreduce_time", "ring_chunk",
           "shard_indices"]


def shard_indices(n_samples: int, world_size: int, rank: int) -> np.ndarray:
    """The sample indices worker ``rank`` takes from a batch of ``n_samples``: a contiguous, near-equal block.

    Args:
        n_samples: batch size N.
        world_size: number of workers p.
        rank: this worker, 0 <= rank < p.
    Returns:
        (N_rank,) int64 indices; the first ``N % p`` workers get one sample more, so every sample is used once.
    """
    n_samples = check_positive_int(n_samples, "shard_indices", "n_samples")
    world_size = check_positive_int(world_size, "shard_indices", "world_size")
    rank = check_positive_int(rank, "shard_indices", "rank", minimum=0)
    if rank >= world_size:
        raise ValueError(f"shard_indices: expected 0 <= rank < world_size = {world_size}, got rank {rank}")
    base, extra = divmod(n_samples, world_size)
    start = rank * base + min(rank, extra)
    return np.arange(start, start + base + (rank < extra), dtype=np.int64)


def allreduce_mean(worker_grads: Sequence[Sequence[np.ndarray]],
                   weights: Sequence[float] | None = None) -> list[np.ndarray]:
    """Average each parameter's gradient over workers (what DistributedDataParallel does after backward).

    Args:
        worker_grads: one list per worker, each holding the gradients of the same parameters in the same order and
            shapes: ``worker_grads[r][i]`` is worker r's gradient of parameter i.
        weights: optional per-worker weights (e.g. shard sizes when shards are unequal); they are normalised to
            sum to 1. None weighs every worker equally, as DDP does.
    Returns:
        One averaged array per parameter, same shapes.
    """
    if len(worker_grads) == 0:
        raise ValueError("allreduce_mean: expected at least one worker's gradients, got none")
    n_params = len(worker_grads[0])
    for rank, grads in enumerate(worker_grads):
        if len(grads) != n_params:
            raise ValueError(f"allreduce_mean: expected {n_params} gradients from every worker, "
                             f"got {len(grads)} from worker {rank}")
    w = np.full(len(worker_grads), 1.0 / len(worker_grads)) if weights is None else np.asarray(weights, float)
    if w.shape != (len(worker_grads),) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"allreduce_mean: expected {len(worker_grads)} non-negative weights, got {weights!r}")
    w = w / w.sum()
    return [sum(wr * grads[i] for wr, grads in zip(w, worker_grads, strict=True)) for i in range(n_params)]


def ring_chunk(rank: int, step: int, world_size: int, phase: str) -> int:
    """Which chunk worker ``rank`` sends to its right neighbour at ``step`` of the ring all-reduce.

    The array is cut into ``p`` chunks. In the reduce-scatter phase (steps 0..p-2) worker r sends chunk
    ``(r - step) mod p`` and adds what arrives from its left neighbour into chunk ``(r - step - 1) mod p``; after
    it, worker r holds the full sum of chunk ``(r + 1) mod p``. In the all-gather phase (steps 0..p-2) worker r
    sends chunk ``(r + 1 - step) mod p`` and overwrites chunk ``(r - step) mod p`` with what arrives.

    Args:
        rank: the sending worker, 0 <= rank < p.
        step: 0 <= step <= p - 2.
        world_size: p >= 2.
        phase: "reduce-scatter" or "all-gather".
    Returns:
        The chunk index in 0..p-1.
    """
    if phase not in ("reduce-scatter", "all-gather"):
        raise ValueError(f"ring_chunk: expected phase 'reduce-scatter' or 'all-gather', got {phase!r}")
    if not 0 <= step <= world_size - 2:
        raise ValueError(f"ring_chunk: expected 0 <= step <= world_size - 2 = {world_size - 2}, got {step}")
    return (rank - step) % world_size if phase == "reduce-scatter" else (rank + 1 - step) % world_size


def ring_allreduce(arrays: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list[dict]]:
    """Sum equal-shaped arrays held by ``p`` simulated workers with the ring algorithm, message by message.

    Args:
        arrays: one array per worker, all of the same shape S.
    Returns:
        (results, log): ``results[r]`` is worker r's copy of the sum, shape S; ``log`` has one entry per step,
        ``{"phase", "step", "sends": [(from, to, chunk, n_values), ...]}``, to count what travelled.
    """
    p = len(arrays)
    if p < 1:
        raise ValueError("ring_allreduce: expected at least one worker's array, got none")
    shape = np.shape(arrays[0])
    if any(np.shape(a) != shape for a in arrays):
        raise ValueError(f"ring_allreduce: expected every worker's array to have shape {shape}, "
                         f"got {[np.shape(a) for a in arrays]}")
    # every worker works on its own flat copy, cut into p chunks (the last ones may be one value shorter)
    chunks = [np.array_split(np.array(a, dtype=np.result_type(a, np.float64)).ravel(), p) for a in arrays]
    log = []
    for phase in ("reduce-scatter", "all-gather"):
        for step in range(p - 1):
            # all sends of one step happen at once: read every outgoing chunk before anyone writes
            outgoing = [(r, ring_chunk(r, step, p, phase)) for r in range(p)]
            payloads = [chunks[r][c].copy() for r, c in outgoing]
            sends = []
            for (r, c), payload in zip(outgoing, payloads, strict=True):
                right = (r + 1) % p
                if phase == "reduce-scatter":
                    chunks[right][c] += payload
                else:
                    chunks[right][c] = payload
                sends.append((r, right, c, payload.size))
            log.append({"phase": phase, "step": step, "sends": sends})
    results = [np.concatenate(c).reshape(shape) for c in chunks]
    return results, log


def _check_cost_args(n_bytes: float, world_size: int, alpha: float, beta: float, where: str) -> None:
    world_size = check_positive_int(world_size, where, "world_size")
    if n_bytes < 0 or alpha < 0 or beta <= 0:
        raise ValueError(f"{where}: expected n_bytes >= 0, alpha >= 0, beta > 0, got {n_bytes}, {alpha}, {beta}")


def ring_allreduce_time(n_bytes: float, world_size: int, *, alpha: float, beta: float) -> float:
    """Seconds for a ring all-reduce of ``n_bytes``: 2 (p - 1) messages of n/p bytes, each paying latency alpha.

    Args:
        n_bytes: size of the gradient in bytes.
        world_size: number of workers p.
        alpha: latency per message in seconds.
        beta: link bandwidth in bytes per second.
    """
    _check_cost_args(n_bytes, world_size, alpha, beta, "ring_allreduce_time")
    p = world_size
    return 2 * (p - 1) * (alpha + n_bytes / (p * beta))


def parameter_server_time(n_bytes: float, world_size: int, *, alpha: float, beta: float) -> float:
    """Seconds when one node gathers all p - 1 other gradients, sums, and sends the result back: its link carries
    2 (p - 1) full-size messages, so the time grows linearly with p (the ring's stays nearly flat)."""
    _check_cost_args(n_bytes, world_size, alpha, beta, "parameter_server_time")
    return 2 * (world_size - 1) * (alpha + n_bytes / beta)
