"""Data parallelism in NumPy: shards, the gradient average, the ring all-reduce and its cost model."""

import numpy as np
import pytest

from dlcourse.distributed import (
    allreduce_mean,
    parameter_server_time,
    ring_allreduce,
    ring_allreduce_time,
    ring_chunk,
    shard_indices,
)


@pytest.mark.parametrize("n, p", [(64, 4), (63, 4), (5, 8), (1, 1), (100, 7)])
def test_shards_cover_every_sample_once_and_differ_by_at_most_one(n, p):
    shards = [shard_indices(n, p, r) for r in range(p)]
    assert np.array_equal(np.concatenate(shards), np.arange(n))
    sizes = [len(s) for s in shards]
    assert max(sizes) - min(sizes) <= 1


def test_shard_errors_name_what_was_expected():
    with pytest.raises(ValueError, match="rank 4"):
        shard_indices(10, 4, 4)
    with pytest.raises(TypeError, match="world_size"):
        shard_indices(10, 2.0, 0)


def test_average_of_equal_shard_gradients_is_the_big_batch_gradient(rng):
    # the gradient of a mean squared error of a linear model, computed per shard and on the whole batch
    X, y, w = rng.normal(size=(64, 5)), rng.normal(size=64), rng.normal(size=5)

    def grad(idx):
        return [2 * X[idx].T @ (X[idx] @ w - y[idx]) / len(idx)]

    per_worker = [grad(shard_indices(64, 4, r)) for r in range(4)]
    np.testing.assert_allclose(allreduce_mean(per_worker)[0], grad(np.arange(64))[0], rtol=1e-12, atol=1e-14)
    uneven = [grad(shard_indices(63, 4, r)) for r in range(4)]
    sizes = [len(shard_indices(63, 4, r)) for r in range(4)]
    whole = grad(np.arange(63))[0]
    np.testing.assert_allclose(allreduce_mean(uneven, sizes)[0], whole, rtol=1e-12, atol=1e-14)
    assert np.abs(allreduce_mean(uneven)[0] - whole).max() > 1e-6  # the plain average is wrong for unequal shards


def test_allreduce_mean_rejects_ragged_workers():
    with pytest.raises(ValueError, match="expected 2 gradients from every worker, got 1 from worker 1"):
        allreduce_mean([[np.ones(2), np.ones(3)], [np.ones(2)]])


@pytest.mark.parametrize("p", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("shape", [(10,), (3, 5), (2,)])
def test_ring_allreduce_gives_every_worker_the_sum(p, shape, rng):
    arrays = [rng.normal(size=shape) for _ in range(p)]
    results, log = ring_allreduce(arrays)
    expected = np.sum(arrays, axis=0)
    for result in results:
        np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-12)
    assert len(log) == 2 * (p - 1)
    # every worker sends 2 (p - 1) chunks, about n / p values each
    n = int(np.prod(shape))
    sent = [sum(size for entry in log for (a, _, _, size) in entry["sends"] if a == r) for r in range(p)]
    assert all(abs(s - 2 * (p - 1) * n / p) <= 2 * (p - 1) for s in sent)


def test_ring_schedule_sends_each_chunk_once_per_step():
    p = 5
    for phase in ("reduce-scatter", "all-gather"):
        for step in range(p - 1):
            assert sorted(ring_chunk(r, step, p, phase) for r in range(p)) == list(range(p))
    assert ring_chunk(0, 0, 4, "reduce-scatter") == 0 and ring_chunk(0, 1, 4, "reduce-scatter") == 3
    with pytest.raises(ValueError, match="phase"):
        ring_chunk(0, 0, 4, "gather")


def test_cost_models():
    assert ring_allreduce_time(1e6, 1, alpha=1e-5, beta=1e9) == 0.0
    assert ring_allreduce_time(400e6, 4, alpha=0.0, beta=1e9) == pytest.approx(2 * 3 * 100e6 / 1e9)
    assert parameter_server_time(400e6, 4, alpha=0.0, beta=1e9) == pytest.approx(2 * 3 * 400e6 / 1e9)
    # the ring's bandwidth term approaches 2 n / beta
    assert ring_allreduce_time(1e9, 1000, alpha=0.0, beta=1e9) == pytest.approx(2.0, rel=1e-2)
    with pytest.raises(ValueError, match="beta > 0"):
        ring_allreduce_time(1.0, 2, alpha=0.0, beta=0.0)
