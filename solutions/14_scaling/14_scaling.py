# %% [markdown]
# # Exercise 14: from one process to many
#
# Six functions, each worth points: the pieces of data parallelism and of a drift monitor from chapter 14. Write
# each one with NumPy between the lines that say `YOUR CODE HERE`; `torch`, `dlcourse.distributed`,
# `dlcourse.monitoring` and `scipy.stats` are not available to your answers when they are graded.
#
# Run the test cell under each function to check it on the examples. The grader also runs hidden tests on other
# inputs, so make your code right for every input, not just for the example.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false} dlcourse={"forbid": ["torch", "dlcourse.distributed", "dlcourse.monitoring", "scipy.stats"]}
import numpy as np

from dlcourse.grading import expect_close, expect_equal

# %% [markdown]
# ## 1. Averaging the workers' gradients (2 points)
#
# Worker $r$ computed the gradients of its mean loss on a shard of $n_r$ examples: `worker_grads[r]` is a list with
# one array per parameter. Return the gradients of the mean loss over all $\sum_r n_r$ examples, one array per
# parameter:
# $$g_i = \frac{\sum_r n_r\, g_{r,i}}{\sum_r n_r}.$$
# With equal shards this is the plain average; with unequal shards the plain average is wrong (chapter 14, section 1).

# %% nbgrader={"grade": false, "grade_id": "average_gradients", "locked": false, "schema_version": 3, "solution": true, "task": false}
def average_gradients(worker_grads, shard_sizes):
    """worker_grads: list (p workers) of lists (P parameters) of arrays; shard_sizes: list of p ints
    -> list of P arrays, each the shape of that parameter."""
    ### BEGIN SOLUTION
    total = float(sum(shard_sizes))
    n_params = len(worker_grads[0])
    return [sum(n * grads[i] for n, grads in zip(shard_sizes, worker_grads)) / total for i in range(n_params)]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "average_gradients_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal

# Two workers with equal shards: the plain average. Shards of 3 and 1 examples: (3 * 4 + 1 * 0) / 4 = 3.
got = average_gradients([[np.array([1.0, 2.0])], [np.array([3.0, 4.0])]], [5, 5])
expect_close(got[0], [2.0, 3.0], name="equal shards")
got = average_gradients([[np.array([4.0]), np.ones((2, 2))], [np.array([0.0]), np.zeros((2, 2))]], [3, 1])
expect_close(got[0], [3.0], name="first parameter, shards of 3 and 1")
expect_close(got[1], np.full((2, 2), 0.75), name="second parameter, shards of 3 and 1")
print("✓ average_gradients: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1401)
for p, shapes in [(4, [(3, 2), (2,)]), (1, [(5,)]), (7, [(2, 3), (3,), (1, 1)])]:
    sizes = [int(n) for n in rng.integers(1, 20, size=p)]
    grads = [[rng.normal(size=s) for s in shapes] for _ in range(p)]
    got = average_gradients(grads, sizes)
    expect_equal(len(got), len(shapes), name=f"number of averaged gradients ({p} workers)")
    for i in range(len(shapes)):
        expected = sum(n * g[i] for n, g in zip(sizes, grads)) / sum(sizes)
        expect_close(got[i], expected, name=f"parameter {i} averaged over {p} workers with shards {sizes}")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Shards (1 point)
#
# Cut a batch of `n_samples` examples into `world_size` contiguous shards of near-equal size, the first
# `n_samples % world_size` shards one example larger, and return the indices of shard `rank` (an int array). For 10
# samples over 4 workers the shards are [0, 1, 2], [3, 4, 5], [6, 7] and [8, 9].

# %% nbgrader={"grade": false, "grade_id": "shard_indices", "locked": false, "schema_version": 3, "solution": true, "task": false}
def shard_indices(n_samples, world_size, rank):
    """n_samples, world_size, rank: ints (0 <= rank < world_size) -> (N_rank,) int array of indices."""
    ### BEGIN SOLUTION
    base, extra = divmod(n_samples, world_size)
    start = rank * base + min(rank, extra)
    return np.arange(start, start + base + (1 if rank < extra else 0))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "shard_indices_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal

expect_equal(shard_indices(10, 4, 0), [0, 1, 2], name="shard 0 of 10 over 4")
expect_equal(shard_indices(10, 4, 3), [8, 9], name="shard 3 of 10 over 4")
expect_equal(shard_indices(8, 2, 1), [4, 5, 6, 7], name="shard 1 of 8 over 2")
print("✓ shard_indices: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
for n, p in [(64, 4), (63, 4), (5, 8), (1, 1), (100, 7), (3, 3)]:
    base, extra = divmod(n, p)
    for r in range(p):
        start = r * base + min(r, extra)
        expected = np.arange(start, start + base + (1 if r < extra else 0))
        expect_equal(shard_indices(n, p, r), expected, name=f"shard {r} of {n} over {p}")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The ring's schedule (2 points)
#
# In the ring all-reduce over $p$ workers, the array is cut into $p$ chunks and every worker sends one chunk to its
# right neighbour at every step. Return the index of the chunk worker `rank` sends at `step` (0 to $p-2$) of
# `phase`:
# - `"reduce-scatter"`: chunk $(r - s) \bmod p$;
# - `"all-gather"`: chunk $(r + 1 - s) \bmod p$.

# %% nbgrader={"grade": false, "grade_id": "ring_chunk", "locked": false, "schema_version": 3, "solution": true, "task": false}
def ring_chunk(rank, step, world_size, phase):
    """rank, step, world_size: ints; phase: "reduce-scatter" or "all-gather" -> chunk index (int) in 0..p-1."""
    ### BEGIN SOLUTION
    if phase == "reduce-scatter":
        return (rank - step) % world_size
    return (rank + 1 - step) % world_size
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ring_chunk_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal

# Four workers: at step 1 of the reduce-scatter worker 0 sends chunk (0 - 1) mod 4 = 3.
expect_equal(ring_chunk(0, 0, 4, "reduce-scatter"), 0, name="worker 0, step 0, reduce-scatter")
expect_equal(ring_chunk(0, 1, 4, "reduce-scatter"), 3, name="worker 0, step 1, reduce-scatter")
expect_equal(ring_chunk(0, 0, 4, "all-gather"), 1, name="worker 0, step 0, all-gather")
print("✓ ring_chunk: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
for p in (2, 3, 5, 8):
    for s in range(p - 1):
        for r in range(p):
            expect_equal(ring_chunk(r, s, p, "reduce-scatter"), (r - s) % p, name=f"reduce-scatter p={p} r={r} s={s}")
            expect_equal(ring_chunk(r, s, p, "all-gather"), (r + 1 - s) % p, name=f"all-gather p={p} r={r} s={s}")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. The ring all-reduce (3 points)
#
# Simulate the whole algorithm. `arrays` holds one 1-D array per worker, all of the same length $n \ge p$. Each
# worker cuts its own copy into $p$ chunks with `np.array_split(copy, p)`. Then:
# - reduce-scatter, steps $s = 0, \dots, p-2$: every worker $r$ sends chunk `ring_chunk(r, s, p, "reduce-scatter")`
#   to worker $(r+1) \bmod p$, which **adds** it to its own copy of that chunk;
# - all-gather, steps $s = 0, \dots, p-2$: every worker $r$ sends chunk `ring_chunk(r, s, p, "all-gather")` to
#   worker $(r+1) \bmod p$, which **replaces** its copy of that chunk with it.
#
# All sends of one step happen at the same time: read every outgoing chunk before changing any. Return the list of
# every worker's final array (each equal to the sum). Write the chunk formulas inline: a test cell calls only this
# function.

# %% nbgrader={"grade": false, "grade_id": "ring_allreduce", "locked": false, "schema_version": 3, "solution": true, "task": false}
def ring_allreduce(arrays):
    """arrays: list of p arrays of shape (n,) -> list of p arrays of shape (n,), each the elementwise sum."""
    ### BEGIN SOLUTION
    p = len(arrays)
    chunks = [np.array_split(np.array(a, dtype=float), p) for a in arrays]
    for phase in ("reduce-scatter", "all-gather"):
        for s in range(p - 1):
            sent = [(r, (r - s) % p if phase == "reduce-scatter" else (r + 1 - s) % p) for r in range(p)]
            payloads = [chunks[r][c].copy() for r, c in sent]
            for (r, c), payload in zip(sent, payloads):
                if phase == "reduce-scatter":
                    chunks[(r + 1) % p][c] = chunks[(r + 1) % p][c] + payload
                else:
                    chunks[(r + 1) % p][c] = payload
    return [np.concatenate(c) for c in chunks]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ring_allreduce_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal

# Two workers holding [1, 2] and [10, 20]: both end with [11, 22].
got = ring_allreduce([np.array([1.0, 2.0]), np.array([10.0, 20.0])])
expect_equal(len(got), 2, name="number of workers' results")
expect_close(got[0], [11.0, 22.0], name="worker 0's result")
expect_close(got[1], [11.0, 22.0], name="worker 1's result")
print("✓ ring_allreduce: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
from dlcourse.distributed import ring_allreduce as reference_ring

rng = np.random.default_rng(1404)
for p, n in [(3, 7), (4, 4), (5, 23), (1, 3), (6, 11)]:
    arrays = [rng.normal(size=n) for _ in range(p)]
    got = ring_allreduce([a.copy() for a in arrays])
    expected, _ = reference_ring(arrays)
    expect_equal(len(got), p, name=f"number of results for {p} workers")
    for r in range(p):
        expect_close(got[r], expected[r], name=f"worker {r}'s result ({p} workers, n = {n})")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. What the ring costs (1 point)
#
# Return the time in seconds of a ring all-reduce of `n_bytes` over `world_size` workers with latency `alpha`
# seconds per message and bandwidth `beta` bytes per second: $T = 2(p-1)\left(\alpha + \frac{n}{p\beta}\right)$.

# %% nbgrader={"grade": false, "grade_id": "ring_allreduce_time", "locked": false, "schema_version": 3, "solution": true, "task": false}
def ring_allreduce_time(n_bytes, world_size, alpha, beta):
    """n_bytes: float, world_size: int, alpha: seconds, beta: bytes/second -> seconds (float)."""
    ### BEGIN SOLUTION
    p = world_size
    return 2 * (p - 1) * (alpha + n_bytes / (p * beta))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ring_allreduce_time_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal

# One worker sends nothing; 4 workers, 400 MB at 1 GB/s, no latency: 6 messages of 100 MB, 0.6 s.
expect_close(ring_allreduce_time(1e6, 1, 1e-5, 1e9), 0.0, name="one worker")
expect_close(ring_allreduce_time(400e6, 4, 0.0, 1e9), 0.6, name="4 workers, 400 MB, 1 GB/s")
print("✓ ring_allreduce_time: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1405)
for _ in range(10):
    n, p, a, b = rng.uniform(1e3, 1e9), int(rng.integers(1, 100)), rng.uniform(0, 1e-3), rng.uniform(1e8, 1e11)
    expect_close(ring_allreduce_time(n, p, a, b), 2 * (p - 1) * (a + n / (p * b)), name=f"p = {p}")
### END HIDDEN TESTS

# %% [markdown]
# ## 6. The Kolmogorov-Smirnov statistic (2 points)
#
# Return the two-sample KS statistic of two 1-D samples: the largest gap between their empirical cumulative
# distribution functions, $D = \max_x |F_a(x) - F_b(x)|$ with $F(x) = \#\{\text{values} \le x\} / \#\{\text{values}\}$.
# The maximum is reached at one of the observed values, so it is enough to evaluate both functions at every value of
# both samples (`np.searchsorted(sorted_values, points, side="right")` counts the values $\le$ each point). Mind ties.

# %% nbgrader={"grade": false, "grade_id": "ks_statistic", "locked": false, "schema_version": 3, "solution": true, "task": false}
def ks_statistic(a, b):
    """a: (N_a,), b: (N_b,) -> D (float in [0, 1])."""
    ### BEGIN SOLUTION
    a, b = np.sort(a), np.sort(b)
    points = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, points, side="right") / len(a)
    cdf_b = np.searchsorted(b, points, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ks_statistic_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close

# Samples that do not overlap: D = 1. Identical samples: D = 0.
expect_close(ks_statistic(np.array([1.0, 2.0]), np.array([3.0, 4.0])), 1.0, name="samples that do not overlap")
expect_close(ks_statistic(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0])), 0.0, name="identical samples")
# F_a jumps to 1/2 at 0 and to 1 at 2; F_b to 1 at 1: the largest gap is 1/2 (just after 1).
expect_close(ks_statistic(np.array([0.0, 2.0]), np.array([1.0])), 0.5, name="[0, 2] against [1]")
print("✓ ks_statistic: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
from scipy.stats import ks_2samp

rng = np.random.default_rng(1406)
for _ in range(12):
    a = rng.integers(0, 6, size=int(rng.integers(1, 50))).astype(float)  # many ties
    b = rng.normal(1.0, 2.0, size=int(rng.integers(1, 50))).round(1)
    expect_close(ks_statistic(a, b), ks_2samp(a, b).statistic, name=f"KS of samples of sizes {len(a)}, {len(b)}")
### END HIDDEN TESTS

# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl+S), then run the cell below: it checks the saved notebook against the visible tests the
# same way `dlcourse check` does, in a sandbox like the grader's, and prints a score out of the visible points.

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
from dlcourse.grading import check_this_notebook

check_this_notebook()
