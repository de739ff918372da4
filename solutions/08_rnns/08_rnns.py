# %% [markdown]
# # Exercise 08: recurrent networks
#
# Six functions, each worth points: one step of a plain RNN, backpropagation through time over a whole sequence,
# one LSTM step forward and backward, gradient clipping by norm, and sampling a character with a temperature. Write
# each one with NumPy between the lines that say `YOUR CODE HERE`; do not use `torch` or `dlcourse.nn` (the grader's
# sandbox does not let you import them).
#
# Shapes and names follow chapter 08 and PyTorch: a batch of N rows, inputs of D features, hidden states of Dh
# units; `W_ih` is (G*Dh, D) and `W_hh` is (G*Dh, Dh) with G = 1 for the RNN and G = 4 for the LSTM (gate blocks in
# the order i, f, g, o). The two biases $b_{ih}$ and $b_{hh}$ are always added together, so here they come as one
# bias `b` = $b_{ih} + b_{hh}$ of shape (G*Dh,).
#
# Check your work at any time: run the test cell under each function, or, from a terminal,
# `dlcourse check 08_rnns.ipynb` for a score out of the visible tests. The grader also runs hidden tests on
# other inputs, so make your code right for every input, not just for the example.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false} dlcourse={"forbid": ["torch", "dlcourse.nn"]}
import numpy as np

from dlcourse.grading import expect_close, expect_equal, expect_true

# %% [markdown]
# ## 1. One step of a plain RNN (2 points)
#
# $$h_t = \tanh(x_t W_{ih}^\top + h_{t-1} W_{hh}^\top + b)$$

# %% nbgrader={"grade": false, "grade_id": "rnn_step_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rnn_step_forward(x, h_prev, W_ih, W_hh, b):
    """x: (N, D), h_prev: (N, Dh), W_ih: (Dh, D), W_hh: (Dh, Dh), b: (Dh,) -> h: (N, Dh)."""
    ### BEGIN SOLUTION
    return np.tanh(x @ W_ih.T + h_prev @ W_hh.T + b)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "rnn_step_forward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Test cells import what they use again, so that nothing a solution cell rebinds can change a test.
import numpy as np
from dlcourse.grading import expect_close, expect_equal, expect_true

# W_ih = 0.5 * I and no recurrence: h = tanh(0.5 * x) = [tanh(0.5), tanh(0)] = [0.4621, 0].
got = rnn_step_forward(np.array([[1.0, 0.0]]), np.zeros((1, 2)), 0.5 * np.eye(2), np.zeros((2, 2)), np.zeros(2))
expect_close(got, [[np.tanh(0.5), 0.0]], name="h with W_ih = 0.5 I")
# No input, W_hh = I and bias 1: h = tanh(h_prev + 1) = tanh([2, 0]).
got = rnn_step_forward(np.zeros((1, 2)), np.array([[1.0, -1.0]]), np.zeros((2, 2)), np.eye(2), np.ones(2))
expect_close(got, [[np.tanh(2.0), 0.0]], name="h with W_hh = I, bias 1")
print("✓ rnn_step_forward: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
from dlcourse.nn.functional import rnn_cell_forward

rng = np.random.default_rng(801)  # a generator of the test's own: inputs a student cannot predict or disturb
for N, D, Dh in [(3, 4, 5), (1, 2, 2), (6, 1, 3)]:
    x, h_prev = rng.normal(size=(N, D)), rng.normal(size=(N, Dh))
    W_ih, W_hh, b = rng.normal(size=(Dh, D)), rng.normal(size=(Dh, Dh)), rng.normal(size=Dh)
    expected, _ = rnn_cell_forward(x, h_prev, W_ih, W_hh, b, None)
    got = rnn_step_forward(x, h_prev, W_ih, W_hh, b)
    expect_true(np.shape(got) == (N, Dh), f"rnn_step_forward: expected shape {(N, Dh)}, got {np.shape(got)}")
    expect_close(got, expected, name=f"rnn_step_forward with N={N}, D={D}, Dh={Dh}", rtol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Backpropagation through time (3 points)
#
# Given a whole sequence that went through $h_t = \tanh(x_t W_{ih}^\top + h_{t-1} W_{hh}^\top + b)$ for
# $t = 1..T$, the stored states `hs` ($h_1..h_T$, stacked: `hs[t-1]` is $h_t$) and the gradient `dout[t-1]` of the
# loss with respect to each $h_t$ (from the layer above), return the gradients of the inputs, of $h_0$ and of the
# weights. From chapter 08, section 3: walk from the last step to the first,
# $$\delta h_t = g_t + \delta a_{t+1} W_{hh}, \qquad \delta a_t = \delta h_t \odot (1 - h_t^2),$$
# and add up each shared weight's gradient over the steps. Arrays are time first, as in the chapter.

# %% nbgrader={"grade": false, "grade_id": "rnn_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rnn_backward(dout, x, h0, hs, W_ih, W_hh):
    """dout: (T, N, Dh), x: (T, N, D), h0: (N, Dh), hs: (T, N, Dh) the states h_1..h_T, W_ih: (Dh, D),
    W_hh: (Dh, Dh) -> (dx (T, N, D), dh0 (N, Dh), dW_ih (Dh, D), dW_hh (Dh, Dh), db (Dh,))."""
    ### BEGIN SOLUTION
    T = x.shape[0]
    dx, dW_ih, dW_hh = np.zeros_like(x), np.zeros_like(W_ih), np.zeros_like(W_hh)
    db = np.zeros(W_hh.shape[0])
    dh_next = np.zeros_like(h0)  # the gradient reaching h_t from step t + 1
    for t in reversed(range(T)):
        h_prev = hs[t - 1] if t > 0 else h0
        da = (dout[t] + dh_next) * (1 - hs[t] ** 2)
        dx[t] = da @ W_ih
        dW_ih += da.T @ x[t]
        dW_hh += da.T @ h_prev
        db += da.sum(axis=0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_ih, dW_hh, db
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "rnn_backward_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal, expect_true

# One unit, no input, W_hh = 0.5, h0 = 1, T = 2: h1 = tanh(0.5), h2 = tanh(0.5 h1). The loss reads h2 only (dout = [0, 1]).
h0, w = np.array([[1.0]]), 0.5
h1 = np.tanh(w * h0)
h2 = np.tanh(w * h1)
da2 = 1.0 * (1 - h2 ** 2)  # through the tanh of step 2
da1 = (da2 * w) * (1 - h1 ** 2)  # back through W_hh to h1, then its tanh
dx, dh0, dW_ih, dW_hh, db = rnn_backward(np.array([[[0.0]], [[1.0]]]), np.zeros((2, 1, 1)), h0,
                                         np.stack([h1, h2]), np.array([[1.0]]), np.array([[w]]))
expect_close(dh0, da1 * w, name="dh0 = da1 * W_hh")
expect_close(dW_hh, da2 * h1 + da1 * h0, name="dW_hh = da2 h1 + da1 h0 (a sum over both steps)")
expect_close(db, (da1 + da2).reshape(1), name="db = da1 + da2")
expect_close(dx, np.stack([da1, da2]), name="dx_t = da_t W_ih with W_ih = 1")
print("✓ rnn_backward: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
from dlcourse.nn.functional import rnn_backward as reference_backward
from dlcourse.nn.functional import rnn_forward

rng = np.random.default_rng(802)
for T, N, D, Dh in [(5, 3, 4, 2), (1, 2, 3, 3), (7, 1, 2, 4), (4, 4, 1, 1)]:
    x, h0 = rng.normal(size=(T, N, D)), rng.normal(size=(N, Dh))
    W_ih, W_hh, b = rng.normal(size=(Dh, D)), 0.7 * rng.normal(size=(Dh, Dh)), rng.normal(size=Dh)
    hs, _, cache = rnn_forward(x, h0, W_ih, W_hh, b, None)
    dout = rng.normal(size=(T, N, Dh))
    dx_e, dh0_e, dW_ih_e, dW_hh_e, db_e, _ = reference_backward(dout, None, cache)
    got = rnn_backward(dout, x, h0, hs, W_ih, W_hh)
    expect_true(isinstance(got, (tuple, list)) and len(got) == 5, "rnn_backward must return 5 arrays")
    for name, g, e in zip(["dx", "dh0", "dW_ih", "dW_hh", "db"], got, [dx_e, dh0_e, dW_ih_e, dW_hh_e, db_e]):
        expect_close(g, e, name=f"{name} with T={T}, N={N}, D={D}, Dh={Dh}", rtol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. One LSTM step (2 points)
#
# From chapter 08, section 5, with the four gate blocks of Dh columns each in the order i, f, g, o:
# $$[a_i, a_f, a_g, a_o] = x_t W_{ih}^\top + h_{t-1} W_{hh}^\top + b, \quad i = \sigma(a_i),\ f = \sigma(a_f),\
#   g = \tanh(a_g),\ o = \sigma(a_o),$$
# $$c_t = f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t),$$
# where $\sigma(a) = 1/(1 + e^{-a})$.

# %% nbgrader={"grade": false, "grade_id": "lstm_step_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def lstm_step_forward(x, h_prev, c_prev, W_ih, W_hh, b):
    """x: (N, D), h_prev, c_prev: (N, Dh), W_ih: (4*Dh, D), W_hh: (4*Dh, Dh), b: (4*Dh,) -> (h, c), each (N, Dh)."""
    ### BEGIN SOLUTION
    Dh = h_prev.shape[1]
    a = x @ W_ih.T + h_prev @ W_hh.T + b
    i, f = 1 / (1 + np.exp(-a[:, :Dh])), 1 / (1 + np.exp(-a[:, Dh:2 * Dh]))
    g, o = np.tanh(a[:, 2 * Dh:3 * Dh]), 1 / (1 + np.exp(-a[:, 3 * Dh:]))
    c = f * c_prev + i * g
    return o * np.tanh(c), c
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "lstm_step_forward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal, expect_true

# All weights and biases zero: i = f = o = sigmoid(0) = 0.5 and g = tanh(0) = 0, so c = 0.5 c_prev and
# h = 0.5 tanh(c). With c_prev = 2: c = 1 and h = 0.5 tanh(1) = 0.3808.
h, c = lstm_step_forward(np.ones((1, 3)), np.ones((1, 1)), np.array([[2.0]]), np.zeros((4, 3)), np.zeros((4, 1)),
                         np.zeros(4))
expect_close(c, [[1.0]], name="c with zero weights")
expect_close(h, [[0.5 * np.tanh(1.0)]], name="h with zero weights")
# A large input-gate and candidate bias writes g = tanh(20) ~ 1 fully: c = 0.5 * 0 + 1 * 1.
h, c = lstm_step_forward(np.zeros((1, 1)), np.zeros((1, 1)), np.zeros((1, 1)), np.zeros((4, 1)), np.zeros((4, 1)),
                         np.array([20.0, 0.0, 20.0, 0.0]))
expect_close(c, [[1.0]], name="c with i ~ 1 and g ~ 1", rtol=1e-5)
print("✓ lstm_step_forward: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
from dlcourse.nn.functional import lstm_cell_forward

rng = np.random.default_rng(803)
for N, D, Dh in [(3, 4, 5), (1, 2, 1), (5, 1, 3)]:
    x, h_prev, c_prev = rng.normal(size=(N, D)), rng.normal(size=(N, Dh)), rng.normal(size=(N, Dh))
    W_ih, W_hh, b = rng.normal(size=(4 * Dh, D)), rng.normal(size=(4 * Dh, Dh)), rng.normal(size=4 * Dh)
    h_e, c_e, _ = lstm_cell_forward(x, h_prev, c_prev, W_ih, W_hh, b, None)
    got = lstm_step_forward(x, h_prev, c_prev, W_ih, W_hh, b)
    expect_true(isinstance(got, (tuple, list)) and len(got) == 2, "lstm_step_forward must return (h, c)")
    expect_close(got[0], h_e, name=f"h with N={N}, D={D}, Dh={Dh}", rtol=1e-5)
    expect_close(got[1], c_e, name=f"c with N={N}, D={D}, Dh={Dh}", rtol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. The LSTM step backward (3 points)
#
# Given the gradients `dh` and `dc` of the loss with respect to this step's $h_t$ and $c_t$ (from the layers above
# and the later steps), return the gradients of everything the step read. Recompute what you need of the forward
# pass from the inputs. Chapter 08, section 5: the cell also receives the gradient through
# $h_t = o \odot \tanh(c_t)$, then $\delta c_{t-1} = \delta c_t \odot f$; each gate's gradient goes through its
# activation ($\sigma' = \sigma(1 - \sigma)$, $\tanh' = 1 - \tanh^2$) to the pre-activations $a$, and from there to
# $x$, $h_{t-1}$ and the weights as for a linear layer.

# %% nbgrader={"grade": false, "grade_id": "lstm_step_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def lstm_step_backward(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b):
    """dh, dc: (N, Dh); x: (N, D); h_prev, c_prev: (N, Dh); W_ih: (4*Dh, D); W_hh: (4*Dh, Dh); b: (4*Dh,)
    -> (dx (N, D), dh_prev (N, Dh), dc_prev (N, Dh), dW_ih (4*Dh, D), dW_hh (4*Dh, Dh), db (4*Dh,))."""
    ### BEGIN SOLUTION
    Dh = h_prev.shape[1]
    a = x @ W_ih.T + h_prev @ W_hh.T + b
    i, f = 1 / (1 + np.exp(-a[:, :Dh])), 1 / (1 + np.exp(-a[:, Dh:2 * Dh]))
    g, o = np.tanh(a[:, 2 * Dh:3 * Dh]), 1 / (1 + np.exp(-a[:, 3 * Dh:]))
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    dc = dc + dh * o * (1 - tanh_c ** 2)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2),
                         dh * tanh_c * o * (1 - o)], axis=1)
    return da @ W_ih, da @ W_hh, dc * f, da.T @ x, da.T @ h_prev, da.sum(axis=0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "lstm_step_backward_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal, expect_true

# Zero weights, c_prev = 2: i = f = o = 0.5, g = 0, c = 1 (as above). With dh = 1 and dc = 0, the cell receives
# dc_total = dh * o * (1 - tanh(c)^2) = 0.5 (1 - tanh(1)^2); the old cell gets dc_total * f; h_prev gets nothing
# (W_hh = 0); the forget gate's pre-activation gets dc_total * c_prev * f (1 - f) = dc_total * 2 * 0.25.
dc_total = 0.5 * (1 - np.tanh(1.0) ** 2)
got = lstm_step_backward(np.ones((1, 1)), np.zeros((1, 1)), np.ones((1, 1)), np.ones((1, 1)), np.array([[2.0]]),
                         np.zeros((4, 1)), np.zeros((4, 1)), np.zeros(4))
expect_true(isinstance(got, (tuple, list)) and len(got) == 6, "lstm_step_backward must return 6 arrays")
dx, dh_prev, dc_prev, dW_ih, dW_hh, db = got
expect_close(dc_prev, [[0.5 * dc_total]], name="dc_prev = dc_total * f")
expect_close(dh_prev, [[0.0]], name="dh_prev with W_hh = 0")
expect_close(db[1], 0.5 * dc_total, name="db of the forget gate (index 1)")
print("✓ lstm_step_backward: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
from dlcourse.nn.functional import lstm_cell_backward, lstm_cell_forward

rng = np.random.default_rng(804)
for N, D, Dh in [(3, 4, 5), (1, 2, 1), (4, 1, 3)]:
    x, h_prev, c_prev = rng.normal(size=(N, D)), rng.normal(size=(N, Dh)), rng.normal(size=(N, Dh))
    W_ih, W_hh, b = rng.normal(size=(4 * Dh, D)), rng.normal(size=(4 * Dh, Dh)), rng.normal(size=4 * Dh)
    dh, dc = rng.normal(size=(N, Dh)), rng.normal(size=(N, Dh))
    _, _, cache = lstm_cell_forward(x, h_prev, c_prev, W_ih, W_hh, b, None)
    expected = lstm_cell_backward(dh, dc, cache)[:6]
    got = lstm_step_backward(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b)
    expect_true(isinstance(got, (tuple, list)) and len(got) == 6, "lstm_step_backward must return 6 arrays")
    for name, g, e in zip(["dx", "dh_prev", "dc_prev", "dW_ih", "dW_hh", "db"], got, expected):
        expect_close(g, e, name=f"{name} with N={N}, D={D}, Dh={Dh}", rtol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Gradient clipping by norm (1 point)
#
# The norm of all gradients together is $\|g\| = \sqrt{\sum_k \sum g_k^2}$ over every array $g_k$. If it exceeds
# `max_norm`, scale every array by `max_norm / ||g||` (PyTorch divides by `||g|| + 1e-6`; either is accepted);
# otherwise leave them as they are. Return the new arrays (a list, same shapes) and $\|g\|$ from before clipping.

# %% nbgrader={"grade": false, "grade_id": "clip_grad_norm", "locked": false, "schema_version": 3, "solution": true, "task": false}
def clip_grad_norm(grads, max_norm):
    """grads: list of arrays (any shapes), max_norm: float > 0 -> (clipped: list of arrays, total_norm: float)."""
    ### BEGIN SOLUTION
    total = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))
    scale = min(1.0, max_norm / (total + 1e-6))
    return [np.asarray(g) * scale for g in grads], total
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "clip_grad_norm_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal, expect_true

# Gradients [3] and [[4]] have joint norm 5; clipped to norm 1 they become [0.6] and [[0.8]] (same direction).
clipped, norm = clip_grad_norm([np.array([3.0]), np.array([[4.0]])], 1.0)
expect_close(norm, 5.0, name="total norm")
expect_close(clipped[0], [0.6], name="first gradient, clipped", rtol=1e-5)
expect_close(clipped[1], [[0.8]], name="second gradient, clipped", rtol=1e-5)
# Below the threshold nothing changes.
clipped, norm = clip_grad_norm([np.array([3.0]), np.array([[4.0]])], 10.0)
expect_close(clipped[1], [[4.0]], name="a gradient under the threshold")
print("✓ clip_grad_norm: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(805)
for shapes, max_norm in [([(3, 4), (4,), (2, 2, 2)], 1.0), ([(5,)], 100.0), ([(2, 3), (1,)], 0.1)]:
    grads = [rng.normal(size=s) for s in shapes]
    total = np.sqrt(sum((g ** 2).sum() for g in grads))
    clipped, norm = clip_grad_norm([g.copy() for g in grads], max_norm)
    expect_close(norm, total, name=f"total norm of arrays of shapes {shapes}", rtol=1e-5)
    expect_true(len(clipped) == len(grads), f"clip_grad_norm: expected {len(grads)} arrays, got {len(clipped)}")
    scale = min(1.0, max_norm / total)
    for k, (c, g) in enumerate(zip(clipped, grads)):
        expect_close(c, g * scale, name=f"gradient {k} of shapes {shapes}, max_norm {max_norm}", rtol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Sampling with a temperature (1 point)
#
# Turn logits $z$ into probabilities $p = \operatorname{softmax}(z / \tau)$ with temperature $\tau$ (chapter 02),
# then draw an index with a given uniform number $u \in [0, 1)$ by *inverse transform sampling*: return the first
# index $k$ whose cumulative probability $p_0 + \dots + p_k$ exceeds $u$. (The chapter's `rng.choice` does this with
# a $u$ of its own; taking $u$ as an argument makes the answer checkable.) Subtract the largest logit before `exp`,
# so that small temperatures do not overflow.

# %% nbgrader={"grade": false, "grade_id": "sample_with_temperature", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sample_with_temperature(logits, temperature, u):
    """logits: (K,), temperature: float > 0, u: float in [0, 1) -> int index in [0, K)."""
    ### BEGIN SOLUTION
    z = np.asarray(logits, dtype=float) / temperature
    p = np.exp(z - z.max())
    cumulative = np.cumsum(p / p.sum())
    return int(min(np.searchsorted(cumulative, u, side="right"), len(cumulative) - 1))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "sample_with_temperature_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal, expect_true

# Equal logits: p = [0.5, 0.5], cumulative [0.5, 1.0]; u = 0.3 picks 0, u = 0.7 picks 1.
expect_equal(sample_with_temperature(np.array([0.0, 0.0]), 1.0, 0.3), 0, name="u = 0.3 with p = [0.5, 0.5]")
expect_equal(sample_with_temperature(np.array([0.0, 0.0]), 1.0, 0.7), 1, name="u = 0.7 with p = [0.5, 0.5]")
# Logits [ln 3, 0] give p = [0.75, 0.25]: u = 0.7 picks 0. At temperature 2 they give [sqrt 3, 1] / (sqrt 3 + 1)
# = [0.634, 0.366]: u = 0.7 now picks 1.
expect_equal(sample_with_temperature(np.array([np.log(3.0), 0.0]), 1.0, 0.7), 0, name="p = [0.75, 0.25], u = 0.7")
expect_equal(sample_with_temperature(np.array([np.log(3.0), 0.0]), 2.0, 0.7), 1, name="temperature 2, u = 0.7")
print("✓ sample_with_temperature: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(806)
for K, temperature in [(5, 1.0), (75, 0.5), (10, 3.0), (4, 0.01)]:
    logits = 3 * rng.normal(size=K)
    z = logits / temperature
    p = np.exp(z - z.max())
    cumulative = np.cumsum(p / p.sum())
    for u in list(rng.random(6)) + [0.0]:
        expected = int(min(np.searchsorted(cumulative, u, side="right"), K - 1))
        got = sample_with_temperature(logits.copy(), temperature, float(u))
        expect_equal(int(got), expected, name=f"index for K={K}, temperature={temperature}, u={u:.3f}")
expect_equal(int(sample_with_temperature(np.array([0.0, 1000.0, 2.0]), 0.001, 0.999)), 1,
             name="a tiny temperature picks the largest logit (without overflow)")
### END HIDDEN TESTS

# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl+S), then run the cell below: it checks the saved notebook against the visible tests the
# same way `dlcourse check` does, in a sandbox like the grader's, and prints a score out of the visible points.

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
from dlcourse.grading import check_this_notebook

check_this_notebook()
