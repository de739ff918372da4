# %% [markdown]
# # Exercise 09: attention
#
# Six functions, each worth points: the causal mask, attention's forward and backward passes, splitting and
# merging heads, and the sinusoidal positional encoding. Write each one with NumPy between the lines that say
# `YOUR CODE HERE`; do not use `torch` or `dlcourse.nn` (the grader runs your code where they cannot be imported).
#
# Notation as in chapter 09: queries `Q` of shape (..., L, d), keys `K` (..., S, d), values `V` (..., S, Dv), where
# `...` stands for any leading batch and head axes (none, or (N,), or (N, n_heads)). Scaled dot-product attention is
# $$\text{scores} = \frac{Q K^\top}{\sqrt d}, \qquad A = \text{softmax}(\text{scores}) \text{ along the last axis},
# \qquad \text{out} = A V.$$
#
# Check your work at any time: run the test cell under each function, or, from a terminal,
# `dlcourse check 09_transformers.ipynb` for a score out of the visible tests. The grader also runs hidden tests on
# other inputs, so make your code right for every input, not just for the example.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false} dlcourse={"forbid": ["torch", "dlcourse.nn"]}
import numpy as np

from dlcourse.grading import expect_close, expect_equal, expect_true

# %% [markdown]
# ## 1. The causal mask (1 point)
#
# Write `causal_mask(T)`: a (T, T) boolean array that is True where query position `i` may attend to key position
# `j`, that is where `j <= i` (the convention of `torch.nn.functional.scaled_dot_product_attention`).

# %% nbgrader={"grade": false, "grade_id": "causal_mask", "locked": false, "schema_version": 3, "solution": true, "task": false}
def causal_mask(T):
    """T: int -> (T, T) bool, True where key j <= query i."""
    ### BEGIN SOLUTION
    return np.tril(np.ones((T, T), dtype=bool))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "causal_mask_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Test cells import what they use again, so that nothing a solution cell rebinds can change a test.
import numpy as np
from dlcourse.grading import expect_equal, expect_true

# Query 0 sees only key 0; query 2 sees keys 0, 1 and 2: the lower triangle.
got = causal_mask(3)
expect_equal(got, [[True, False, False], [True, True, False], [True, True, True]], name="causal_mask(3)")
expect_true(np.asarray(got).dtype == bool, f"causal_mask must return a bool array, got dtype {np.asarray(got).dtype}")
print("✓ causal_mask: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
for T in (1, 2, 5, 17):
    rows, cols = np.indices((T, T))
    expect_equal(causal_mask(T), cols <= rows, name=f"causal_mask({T})")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Attention, forward (3 points)
#
# Write `attention_forward(Q, K, V, mask)` returning `(out, A)`. `mask` is None or a boolean array broadcastable to
# (..., L, S) that is True where a query may attend: set the other scores to `-np.inf` before the softmax (their
# weight becomes $e^{-\infty} = 0$). Compute the softmax stably, subtracting each row's maximum first (chapter 02).
# You may assume every row keeps at least one key. `np.swapaxes(K, -1, -2)` transposes the last two axes of any
# batch.

# %% nbgrader={"grade": false, "grade_id": "attention_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def attention_forward(Q, K, V, mask=None):
    """Q: (..., L, d), K: (..., S, d), V: (..., S, Dv), mask: None or bool broadcastable to (..., L, S).

    Returns out: (..., L, Dv) and the attention weights A: (..., L, S), each row summing to 1."""
    ### BEGIN SOLUTION
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    A = e / e.sum(axis=-1, keepdims=True)
    return A @ V, A
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "attention_forward_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# Two keys with equal scores share the weight equally: Q = 0 gives scores 0, so A = [0.5, 0.5] and out is the mean
# of the values.
out, A = attention_forward(np.zeros((1, 2)), np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[2.0], [4.0]]))
expect_close(A, [[0.5, 0.5]], name="weights of equal scores")
expect_close(out, [[3.0]], name="output of equal scores")
# q . k / sqrt(2) = 2 / sqrt(2) = sqrt(2) for the first key and 0 for the second: A = softmax([sqrt 2, 0]).
out, A = attention_forward(np.array([[1.0, 1.0]]), np.array([[1.0, 1.0], [0.0, 0.0]]), np.array([[1.0], [0.0]]))
first = np.exp(np.sqrt(2)) / (np.exp(np.sqrt(2)) + 1)
expect_close(A, [[first, 1 - first]], name="weights scaled by 1/sqrt(d)")
# With a mask that hides key 0, all the weight goes to key 1.
out, A = attention_forward(np.array([[1.0, 1.0]]), np.array([[1.0, 1.0], [0.0, 0.0]]), np.array([[1.0], [0.0]]),
                           mask=np.array([[False, True]]))
expect_close(A, [[0.0, 1.0]], name="weights with key 0 masked")
print("✓ attention_forward: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
from dlcourse.nn.functional import scaled_dot_product_attention_forward

rng = np.random.default_rng(901)
for lead, L, S, d, Dv in [((), 3, 4, 2, 3), ((2,), 5, 5, 4, 2), ((2, 3), 4, 6, 8, 5)]:
    Q, K, V = (rng.normal(size=lead + shape) for shape in ((L, d), (S, d), (S, Dv)))
    for mask in (None, rng.random((L, S)) < 0.6, rng.random(lead + (L, S)) < 0.5):
        if mask is not None:
            mask[..., 0] = True  # every query keeps a key
        expected, cache = scaled_dot_product_attention_forward(Q, K, V, mask)
        got_out, got_A = attention_forward(Q, K, V, mask)
        what = f"shape {lead + (L, d)}, mask {None if mask is None else mask.shape}"
        expect_close(got_out, expected, name=f"out, {what}", rtol=1e-5)
        expect_close(got_A, cache[3], name=f"A, {what}", rtol=1e-5)
Q = 30 * rng.normal(size=(4, 16))  # large scores: a softmax without the max subtraction overflows
out, A = attention_forward(Q, Q, np.eye(4))
expect_true(np.all(np.isfinite(A)), "attention_forward must stay finite for large scores (subtract the row max)")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Attention, backward (3 points)
#
# Write `attention_backward(dout, Q, K, V, A)` returning `(dQ, dK, dV)`, the gradients of the loss given `dout`, the
# gradient of the output (chapter 09, section 4, derives each line):
#
# - $dV = A^\top\, dout$ and $dA = dout\, V^\top$ (transposes over the last two axes);
# - $dS = A \odot (dA - \text{rowsum}(dA \odot A))$, the softmax's backward, with rowsum over the last axis;
# - $dQ = dS\, K / \sqrt d$ and $dK = dS^\top Q / \sqrt d$.
#
# Masked positions need nothing special: their weight in `A` is 0, so their $dS$ is 0.

# %% nbgrader={"grade": false, "grade_id": "attention_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def attention_backward(dout, Q, K, V, A):
    """dout: (..., L, Dv), Q: (..., L, d), K: (..., S, d), V: (..., S, Dv), A: (..., L, S) from the forward pass.

    Returns dQ: (..., L, d), dK: (..., S, d), dV: (..., S, Dv)."""
    ### BEGIN SOLUTION
    dV = np.swapaxes(A, -1, -2) @ dout
    dA = dout @ np.swapaxes(V, -1, -2)
    dS = A * (dA - np.sum(dA * A, axis=-1, keepdims=True)) / np.sqrt(Q.shape[-1])
    return dS @ K, np.swapaxes(dS, -1, -2) @ Q, dV
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "attention_backward_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close

# One key: A = [[1]] whatever the scores, so out = V, dV = dout, and the scores get no gradient (dQ = dK = 0).
dQ, dK, dV = attention_backward(np.array([[2.0, -1.0]]), np.array([[1.0, 2.0]]), np.array([[3.0, 0.5]]),
                                np.array([[5.0, 6.0]]), np.array([[1.0]]))
expect_close(dV, [[2.0, -1.0]], name="dV with one key")
expect_close(dQ, [[0.0, 0.0]], name="dQ with one key")
expect_close(dK, [[0.0, 0.0]], name="dK with one key")
# Q = 0, two keys: A = [0.5, 0.5]. With dout = 1 and V = [[1], [3]]: dA = [1, 3], rowsum(dA * A) = 2, so
# dS = 0.5 * ([1, 3] - 2) = [-0.5, 0.5]; d = 1, so dQ = dS K = -0.5 * 1 + 0.5 * 2 = 0.5 and dK = dS^T Q = 0.
dQ, dK, dV = attention_backward(np.array([[1.0]]), np.array([[0.0]]), np.array([[1.0], [2.0]]),
                                np.array([[1.0], [3.0]]), np.array([[0.5, 0.5]]))
expect_close(dQ, [[0.5]], name="dQ of the two-key example")
expect_close(dV, [[0.5], [0.5]], name="dV of the two-key example")
print("✓ attention_backward: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
from dlcourse.nn.functional import scaled_dot_product_attention_backward, scaled_dot_product_attention_forward

rng = np.random.default_rng(902)
for lead, L, S, d, Dv, masked in [((), 3, 4, 2, 3, False), ((2,), 5, 5, 4, 2, True), ((2, 3), 4, 6, 8, 5, False)]:
    Q, K, V = (rng.normal(size=lead + shape) for shape in ((L, d), (S, d), (S, Dv)))
    mask = np.tril(np.ones((L, S), dtype=bool)) if masked else None
    out, cache = scaled_dot_product_attention_forward(Q, K, V, mask)
    dout = rng.normal(size=out.shape)
    expected = scaled_dot_product_attention_backward(dout, cache)
    got = attention_backward(dout, Q, K, V, cache[3])
    for name, g, e in zip(("dQ", "dK", "dV"), got, expected):
        expect_close(g, e, name=f"{name} for Q of shape {Q.shape}{', causal' if masked else ''}", rtol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Splitting into heads (1 point)
#
# Multi-head attention gives each of `n_heads` heads its own slice of `d_head = E // n_heads` features: head `h`
# gets features `h * d_head` to `(h + 1) * d_head - 1`. Write `split_heads(x, n_heads)`: (N, T, E) ->
# (N, n_heads, T, d_head), with `out[n, h, t] == x[n, t, h * d_head:(h + 1) * d_head]`. One reshape and one
# transpose.

# %% nbgrader={"grade": false, "grade_id": "split_heads", "locked": false, "schema_version": 3, "solution": true, "task": false}
def split_heads(x, n_heads):
    """x: (N, T, E), n_heads: int dividing E -> (N, n_heads, T, E // n_heads)."""
    ### BEGIN SOLUTION
    N, T, E = x.shape
    return x.reshape(N, T, n_heads, E // n_heads).transpose(0, 2, 1, 3)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "split_heads_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal

# Features 0..5 of one position split into 3 heads of 2: head 0 gets [0, 1], head 1 [2, 3], head 2 [4, 5].
got = split_heads(np.arange(6.0).reshape(1, 1, 6), 3)
expect_equal(got, [[[[0.0, 1.0]], [[2.0, 3.0]], [[4.0, 5.0]]]], name="split_heads of 0..5 into 3 heads")
print("✓ split_heads: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(904)
for N, T, E, H in [(2, 3, 8, 2), (1, 5, 12, 4), (3, 2, 6, 1), (2, 4, 6, 6)]:
    x = rng.normal(size=(N, T, E))
    expected = np.stack([x[:, :, h * (E // H):(h + 1) * (E // H)] for h in range(H)], axis=1)
    expect_close(split_heads(x, H), expected, name=f"split_heads of {(N, T, E)} into {H} heads")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Merging the heads (1 point)
#
# Write `merge_heads(x)`, the inverse: (N, n_heads, T, d_head) -> (N, T, n_heads * d_head), the heads side by side
# in order, so that `merge_heads(split_heads(x, n)) == x`.

# %% nbgrader={"grade": false, "grade_id": "merge_heads", "locked": false, "schema_version": 3, "solution": true, "task": false}
def merge_heads(x):
    """x: (N, n_heads, T, d_head) -> (N, T, n_heads * d_head)."""
    ### BEGIN SOLUTION
    N, n_heads, T, d_head = x.shape
    return x.transpose(0, 2, 1, 3).reshape(N, T, n_heads * d_head)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "merge_heads_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal

# Three heads of 2 features at one position, side by side: [0, 1] [2, 3] [4, 5] -> [0, 1, 2, 3, 4, 5].
got = merge_heads(np.array([[[[0.0, 1.0]], [[2.0, 3.0]], [[4.0, 5.0]]]]))
expect_equal(got, [[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]]], name="merge_heads of 3 heads")
print("✓ merge_heads: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(905)
for N, H, T, d in [(2, 2, 3, 4), (1, 4, 5, 3), (3, 1, 2, 6), (2, 6, 4, 1)]:
    x = rng.normal(size=(N, H, T, d))
    expected = np.concatenate([x[:, h] for h in range(H)], axis=-1)
    expect_close(merge_heads(x), expected, name=f"merge_heads of {(N, H, T, d)}")
### END HIDDEN TESTS

# %% [markdown]
# ## 6. The sinusoidal positional encoding (2 points)
#
# Write `positional_encoding(T, E)`: the (T, E) array with, for positions $t = 0..T-1$ and pairs $i = 0..E/2-1$,
# $$PE_{t, 2i} = \sin\!\left(t / 10000^{2i/E}\right), \qquad PE_{t, 2i+1} = \cos\!\left(t / 10000^{2i/E}\right).$$
# `E` is even. No loops needed: an outer product of positions and frequencies gives every angle.

# %% nbgrader={"grade": false, "grade_id": "positional_encoding", "locked": false, "schema_version": 3, "solution": true, "task": false}
def positional_encoding(T, E):
    """T, E: ints (E even) -> (T, E) float array."""
    ### BEGIN SOLUTION
    angles = np.arange(T)[:, None] / 10000 ** (np.arange(0, E, 2) / E)
    pe = np.zeros((T, E))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "positional_encoding_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close

# Position 0: every angle is 0, so sin = 0 and cos = 1 alternate. With E = 2 the only frequency is 1, so row t is
# [sin t, cos t].
expect_close(positional_encoding(1, 4), [[0.0, 1.0, 0.0, 1.0]], name="positional_encoding(1, 4)")
expect_close(positional_encoding(3, 2), [[0.0, 1.0], [np.sin(1), np.cos(1)], [np.sin(2), np.cos(2)]],
             name="positional_encoding(3, 2)")
print("✓ positional_encoding: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
from dlcourse.nn.functional import sinusoidal_positional_encoding

for T, E in [(5, 8), (50, 16), (7, 2), (1, 6), (128, 64)]:
    expect_close(positional_encoding(T, E), sinusoidal_positional_encoding(T, E, dtype=np.float64),
                 name=f"positional_encoding({T}, {E})", rtol=1e-5, atol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl+S), then run the cell below: it checks the saved notebook against the visible tests the
# same way `dlcourse check` does, in a sandbox like the grader's, and prints a score out of the visible points.

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
from dlcourse.grading import check_this_notebook

check_this_notebook()
