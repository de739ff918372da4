# %% [markdown]
# # Exercise 06: batch normalisation, inverted dropout, clipping and L1
#
# Six functions, 11 points in all: batch normalisation forward and backward, inverted dropout forward and
# backward, gradient clipping by norm, and the soft-threshold step of L1 regularisation. Write each one with NumPy between the lines that say `YOUR CODE HERE`; do not call `dlcourse.nn` or
# `torch` (they cannot be imported when graded). Work on whole arrays at once, without Python loops over examples or features.
#
# Check your work at any time: run the test cell under each function, the last cell, or, from a terminal,
# `dlcourse check 06_training.ipynb` for a score out of the visible tests. The grader also runs hidden tests on
# other inputs, so make your code right for every input, not just for the example.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false} dlcourse={"forbid": ["torch", "dlcourse.nn"]}
import numpy as np

from dlcourse.grading import expect_close, expect_equal, expect_true

# %% [markdown]
# ## 1. Batch normalisation, forward (2 points)
#
# In training mode, batch normalisation standardises every feature (column) $j$ of a mini-batch $x$ of shape (N, D)
# with the batch's own statistics, then rescales it with learned $\gamma_j$ and shifts it by $\beta_j$:
# $$\mu_j = \frac1N\sum_i x_{ij}, \qquad \sigma_j^2 = \frac1N\sum_i (x_{ij} - \mu_j)^2, \qquad
# \hat x_{ij} = \frac{x_{ij} - \mu_j}{\sqrt{\sigma_j^2 + \epsilon}}, \qquad y_{ij} = \gamma_j\,\hat x_{ij} + \beta_j.$$
# Note the variance divides by $N$ (the *biased* variance, NumPy's default `x.var(axis=0)`), as PyTorch's
# `BatchNorm1d` does in its forward pass. Write `batchnorm_forward(x, gamma, beta, eps)` returning $y$.

# %% nbgrader={"grade": false, "grade_id": "batchnorm_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """Training-mode batch norm. x: (N, D), gamma: (D,), beta: (D,), eps: float -> y: (N, D)."""
    ### BEGIN SOLUTION
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    x_hat = (x - mean) / np.sqrt(var + eps)
    return gamma * x_hat + beta
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "batchnorm_forward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Test cells import what they use: the grader runs them in a process of its own, without your cells.
import numpy as np
from dlcourse.grading import expect_close

# Column 0 is (1, 3): mean 2, variance 1, so x_hat = (-1, 1). Column 1 is (2, 6): mean 4, variance 4, so again
# x_hat = (-1, 1). With eps = 0, gamma = (1, 2) and beta = (0, 1): y = (-1, 1) in column 0 and (-1, 3) in column 1.
x = np.array([[1.0, 2.0], [3.0, 6.0]])
expect_close(batchnorm_forward(x, np.array([1.0, 2.0]), np.array([0.0, 1.0]), eps=0.0), [[-1.0, -1.0], [1.0, 3.0]],
             name="batchnorm_forward on a 2 x 2 batch")
# With gamma = 1 and beta = 0 every column comes out with mean 0 and (biased) standard deviation 1.
y = batchnorm_forward(np.array([[0.0, 10.0], [1.0, 20.0], [5.0, 60.0]]), np.ones(2), np.zeros(2), eps=0.0)
expect_close(y.mean(axis=0), [0.0, 0.0], name="mean of each output column", atol=1e-6)
expect_close(y.std(axis=0), [1.0, 1.0], name="standard deviation of each output column")
print("✓ batchnorm_forward: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(601)  # a generator of the test's own: inputs a student cannot predict or disturb
for N, D in [(8, 3), (2, 1), (50, 7), (5, 16)]:
    x = rng.normal(3.0, 2.0, size=(N, D))
    gamma, beta, eps = rng.normal(size=D), rng.normal(size=D), float(rng.choice([1e-5, 1e-3, 0.5]))
    got = batchnorm_forward(x, gamma, beta, eps)
    centred = x - x.sum(axis=0) / N
    expected = gamma * centred / np.sqrt((centred ** 2).sum(axis=0) / N + eps) + beta
    expect_close(got, expected, name=f"batchnorm_forward on a random ({N}, {D}) batch with eps={eps}")
# The default eps must be 1e-5, as in PyTorch: visible only when the variance is tiny.
tiny = rng.normal(size=(6, 2)) * 1e-3
tiny_centred = tiny - tiny.mean(axis=0)
expect_close(batchnorm_forward(tiny, np.ones(2), np.zeros(2)), tiny_centred / np.sqrt(tiny.var(axis=0) + 1e-5),
             name="batchnorm_forward with the default eps on inputs of size 1e-3")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Batch normalisation, backward (3 points)
#
# Given the upstream gradient $g = \partial L/\partial y$ of shape (N, D), return the gradients with respect to $x$,
# $\gamma$ and $\beta$. The last two are sums over the batch:
# $$\frac{\partial L}{\partial \gamma_j} = \sum_i g_{ij}\,\hat x_{ij}, \qquad
# \frac{\partial L}{\partial \beta_j} = \sum_i g_{ij}.$$
# For $x$, remember that every $x_{ij}$ also moves the mean and the variance of its column, which all the other
# $\hat x_{kj}$ depend on. Collecting those paths, with $\hat g = \gamma\, g$ (the gradient reaching $\hat x$):
# $$\frac{\partial L}{\partial x_{ij}} = \frac{1}{\sqrt{\sigma_j^2 + \epsilon}}
# \Big(\hat g_{ij} - \frac1N\sum_k \hat g_{kj} - \hat x_{ij}\,\frac1N\sum_k \hat g_{kj}\,\hat x_{kj}\Big).$$
# Write `batchnorm_backward(dout, x, gamma, eps)`. It gets the forward pass's input, so recompute $\mu$,
# $\sigma^2$ and $\hat x$ from `x` (do not call your `batchnorm_forward`: each function is graded separately).

# %% nbgrader={"grade": false, "grade_id": "batchnorm_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    """Gradients of training-mode batch norm.

    dout: (N, D), x: (N, D) the forward input, gamma: (D,), eps: float -> (dx (N, D), dgamma (D,), dbeta (D,)).
    """
    ### BEGIN SOLUTION
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - x.mean(axis=0)) * inv_std
    dgamma = (dout * x_hat).sum(axis=0)
    dbeta = dout.sum(axis=0)
    g_hat = dout * gamma
    dx = inv_std * (g_hat - g_hat.mean(axis=0) - x_hat * (g_hat * x_hat).mean(axis=0))
    return dx, dgamma, dbeta
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "batchnorm_backward_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true


def reference_forward(x, gamma, beta, eps):  # the test's own forward pass, to differentiate numerically
    centred = x - x.mean(axis=0)
    return gamma * centred / np.sqrt((centred ** 2).mean(axis=0) + eps) + beta


def numerical_gradients(dout, x, gamma, beta, eps, h=1e-6):
    """d sum(dout * y) / d x, gamma and beta by central differences, one element at a time."""
    grads = []
    for array in (x, gamma, beta):
        grad = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            old = array[index]
            array[index] = old + h
            up = np.sum(dout * reference_forward(x, gamma, beta, eps))
            array[index] = old - h
            down = np.sum(dout * reference_forward(x, gamma, beta, eps))
            array[index] = old
            grad[index] = (up - down) / (2 * h)
        grads.append(grad)
    return grads


# A gradient check: on a 4 x 3 batch, your gradients must match finite differences.
x = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -2.0], [-0.5, 3.0, 1.0], [2.5, 1.0, 0.0]])
gamma, beta = np.array([1.0, -2.0, 0.5]), np.array([0.1, 0.2, 0.3])
dout = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0], [-1.0, 1.0, 1.0], [0.0, -0.5, 2.0]])
got = batchnorm_backward(dout, x, gamma, 1e-5)
expect_true(isinstance(got, tuple) and len(got) == 3, "batchnorm_backward must return a tuple (dx, dgamma, dbeta)")
for name, mine, numeric in zip(["dx", "dgamma", "dbeta"], got, numerical_gradients(dout, x, gamma, beta, 1e-5)):
    expect_close(mine, numeric, name=f"{name} on the 4 x 3 example", rtol=1e-5, atol=1e-7)
# Adding a constant to every output of a column is no change at all after normalisation: dx must be 0.
expect_close(batchnorm_backward(np.ones((4, 3)), x, gamma, 1e-5)[0], np.zeros((4, 3)),
             name="dx for dout = 1 everywhere", atol=1e-6)
print("✓ batchnorm_backward: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(602)
for N, D in [(6, 2), (2, 3), (10, 1), (7, 5)]:
    x, dout = rng.normal(1.0, 3.0, size=(N, D)), rng.normal(size=(N, D))
    gamma, beta, eps = rng.normal(size=D), rng.normal(size=D), float(rng.choice([1e-5, 0.1]))
    got = batchnorm_backward(dout, x, gamma, eps)
    expect_true(isinstance(got, tuple) and len(got) == 3, "batchnorm_backward must return (dx, dgamma, dbeta)")
    for name, mine, numeric in zip(["dx", "dgamma", "dbeta"], got, numerical_gradients(dout, x, gamma, beta, eps)):
        expect_close(mine, numeric, name=f"{name} for a random ({N}, {D}) batch with eps={eps}", rtol=1e-5, atol=1e-7)
# The default eps is 1e-5.
x, dout, gamma = rng.normal(size=(5, 3)) * 1e-3, rng.normal(size=(5, 3)), rng.normal(size=3)
for name, mine, numeric in zip(["dx", "dgamma", "dbeta"], batchnorm_backward(dout, x, gamma),
                               numerical_gradients(dout, x, gamma, np.zeros(3), 1e-5, h=1e-9)):
    expect_close(mine, numeric, name=f"{name} with the default eps", rtol=1e-4, atol=1e-6)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Inverted dropout, forward (2 points)
#
# In training, dropout keeps each element with probability $1 - p$ and zeroes it otherwise, independently. *Inverted*
# dropout scales the kept elements by $1/(1-p)$, so that the expected output equals the input and evaluation can
# use the network unchanged:
# $$m_{ij} = \begin{cases} 1 & \text{with probability } 1-p \\ 0 & \text{with probability } p \end{cases},
# \qquad y = \frac{m \odot x}{1 - p}.$$
# Write `dropout_forward(x, p, seed)` for $0 \le p < 1$: make a generator of your own from the seed you are given,
# `rng = np.random.default_rng(seed)`, draw the mask from it (for example with `rng.random(x.shape)`; never from
# `np.random` directly), and return `(y, mask)` with `mask` a **boolean** array of x's shape, True where the
# element is kept. (Answers take and return plain data, so the generator is passed as its seed.)

# %% nbgrader={"grade": false, "grade_id": "dropout_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def dropout_forward(x, p, seed):
    """Inverted dropout. x: any shape, p: float in [0, 1), seed: int for np.random.default_rng
    -> (y like x, mask bool like x)."""
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    mask = rng.random(x.shape) >= p
    return x * mask / (1.0 - p), mask
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "dropout_forward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal, expect_true

# p = 0 keeps everything: the output is the input.
x = np.arange(6.0).reshape(2, 3)
y, mask = dropout_forward(x, 0.0, 0)
expect_close(y, x, name="dropout_forward with p = 0")
expect_true(mask.dtype == bool and mask.shape == x.shape, f"mask must be a bool array of shape {x.shape}, "
            f"got {mask.dtype} of shape {mask.shape}")
# With p = 0.25 every output is either 0 (dropped) or x / 0.75 (kept), and about 3/4 are kept.
x = np.ones((200, 100))
y, mask = dropout_forward(x, 0.25, 1)
expect_close(y, np.where(mask, 1 / 0.75, 0.0), name="y = mask * x / (1 - p) for x = 1 and p = 0.25")
expect_true(abs(mask.mean() - 0.75) < 0.02, f"about 75% of the elements should be kept, got {mask.mean():.1%}")
print("✓ dropout_forward: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(603)
for shape, p in [((50, 40), 0.5), ((3, 4, 5, 6), 0.1), ((2000,), 0.8)]:
    x = rng.normal(size=shape) + 3.0  # no zeros: a zero in y can only mean "dropped"
    y, mask = dropout_forward(x, p, 7)
    expect_true(isinstance(mask, np.ndarray) and mask.dtype == bool and mask.shape == shape,
                f"mask must be a bool array of shape {shape}")
    expect_close(y, np.where(mask, x / (1 - p), 0.0), name=f"y for p = {p} and shape {shape}")
    sd = np.sqrt(p * (1 - p) / mask.size)  # the binomial standard error of the kept fraction
    expect_true(abs(mask.mean() - (1 - p)) < 5 * sd, f"for p = {p} about {1 - p:.0%} of the elements should be kept, "
                f"got {mask.mean():.1%}")
# The mask comes from the seed given: the same seed gives the same mask, another seed another mask.
x = np.ones((30, 30))
first = dropout_forward(x, 0.5, 11)[1]
again = dropout_forward(x, 0.5, 11)[1]
other = dropout_forward(x, 0.5, 12)[1]
expect_equal(again, first, name="the mask drawn twice with seed 11")
expect_true((other != first).any(), "different seeds must give different masks: draw from default_rng(seed)")
# Inverted dropout keeps the expectation: the mean output over many elements is close to the mean input.
x = rng.uniform(1.0, 2.0, size=100_000)
y, _ = dropout_forward(x, 0.3, 13)
expect_true(abs(y.mean() - x.mean()) < 0.02, f"mean of y ({y.mean():.4f}) should be close to mean of x "
            f"({x.mean():.4f}): divide the kept elements by 1 - p")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Inverted dropout, backward (1 point)
#
# The forward pass is an elementwise multiplication by $m / (1 - p)$, a constant once the mask is drawn. So the
# gradient flows back through exactly the elements that were kept, scaled the same way:
# $$\frac{\partial L}{\partial x} = \frac{m}{1 - p} \odot \frac{\partial L}{\partial y}.$$
# Write `dropout_backward(dout, mask, p)`, with `mask` the boolean array the forward pass returned.

# %% nbgrader={"grade": false, "grade_id": "dropout_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def dropout_backward(dout, mask, p):
    """Gradient of inverted dropout. dout: any shape, mask: bool like dout, p: float in [0, 1) -> dx like dout."""
    ### BEGIN SOLUTION
    return dout * mask / (1.0 - p)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "dropout_backward_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close

# Dropped elements get no gradient; kept ones get dout / (1 - p) = dout / 0.5 = 2 dout.
mask = np.array([[True, False], [False, True]])
expect_close(dropout_backward(np.array([[1.0, 2.0], [3.0, 4.0]]), mask, 0.5), [[2.0, 0.0], [0.0, 8.0]],
             name="dropout_backward with p = 0.5")
print("✓ dropout_backward: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(604)
for shape, p in [((4, 5), 0.2), ((2, 3, 4), 0.9), ((7,), 0.0)]:
    dout, mask = rng.normal(size=shape), rng.random(shape) < 0.6
    got = dropout_backward(dout, mask, p)
    expect_close(got, np.where(mask, dout / (1 - p), 0.0), name=f"dropout_backward for p = {p} and shape {shape}")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Gradient clipping by norm (2 points)
#
# Clipping by norm treats the gradients of all the parameters as one long vector $g$ and shortens it when it is
# longer than `max_norm`, keeping its direction (chapter 06, section 1):
# $$\|g\| = \sqrt{\textstyle\sum_{\text{arrays}} \sum_{\text{elements}} g^2}, \qquad
# g \leftarrow g \cdot \min\!\left(1, \frac{\text{max\_norm}}{\|g\|}\right).$$
# Write `clip_grad_norm(grads, max_norm)`: `grads` is a list of arrays of any shapes (one per parameter); return
# `(clipped, total_norm)`, the list of rescaled arrays (same shapes, same order) and $\|g\|$ from **before**
# clipping, as `nn.clip_grad_norm_` returns it. A gradient no longer than `max_norm` (zero included) stays as it is.

# %% nbgrader={"grade": false, "grade_id": "clip_grad_norm", "locked": false, "schema_version": 3, "solution": true, "task": false}
def clip_grad_norm(grads, max_norm):
    """Clip a list of gradient arrays by their total norm.

    grads: list of arrays, any shapes. max_norm: float > 0 -> (list of arrays like grads, total norm before: float).
    """
    ### BEGIN SOLUTION
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    scale = min(1.0, max_norm / total) if total > 0 else 1.0
    return [g * scale for g in grads], total
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "clip_grad_norm_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal

# The two arrays together hold (3, 4, 0, 0): norm 5. With max_norm 1 everything is divided by 5.
clipped, norm = clip_grad_norm([np.array([3.0, 4.0]), np.zeros((1, 2))], 1.0)
expect_close(norm, 5.0, name="total norm before clipping")
expect_equal(len(clipped), 2, name="number of arrays returned")
expect_close(clipped[0], [0.6, 0.8], name="first array after clipping")
expect_close(clipped[1], [[0.0, 0.0]], name="second array after clipping")
# Norm 5 with max_norm 10: short enough, nothing changes.
clipped, norm = clip_grad_norm([np.array([3.0, 4.0])], 10.0)
expect_close(clipped[0], [3.0, 4.0], name="a gradient already short enough")
print("✓ clip_grad_norm: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(605)
for shapes, scale, max_norm in [([(3, 4), (4,)], 10.0, 1.0), ([(2, 3, 5)], 0.01, 1.0), ([(5,), (1, 1), (6, 2)], 3.0, 2.5),
                                ([(7,)] * 4, 1.0, 100.0)]:
    grads = [rng.normal(size=s) * scale for s in shapes]
    total = np.sqrt(sum((g**2).sum() for g in grads))
    factor = min(1.0, max_norm / total)
    got, got_norm = clip_grad_norm([g.copy() for g in grads], max_norm)
    expect_close(got_norm, total, name=f"total norm of arrays of shapes {shapes}")
    expect_equal(len(got), len(grads), name=f"number of arrays for shapes {shapes}")
    for k, (mine, g) in enumerate(zip(got, grads, strict=True)):
        expect_close(mine, g * factor, name=f"array {k} of shapes {shapes} with max_norm {max_norm}")
    clipped_norm = np.sqrt(sum((np.asarray(m) ** 2).sum() for m in got))
    expect_close(clipped_norm, min(total, max_norm), name=f"norm after clipping, shapes {shapes}")
# All-zero gradients: nothing to clip, and no division by zero.
got, got_norm = clip_grad_norm([np.zeros(3), np.zeros((2, 2))], 1.0)
expect_close(got_norm, 0.0, name="norm of zero gradients")
expect_close(got[1], np.zeros((2, 2)), name="zero gradients after clipping")
### END HIDDEN TESTS

# %% [markdown]
# ## 6. The proximal L1 step: soft thresholding (1 point)
#
# After an SGD step on the data loss, the proximal step solves the L1 penalty $\lambda\sum|w|$ exactly (chapter 06,
# section 4): every weight moves $\eta\lambda$ towards 0, and those that would cross 0 land exactly on 0,
# $$w \leftarrow \operatorname{sign}(w)\,\max(|w| - \eta\lambda,\ 0).$$
# Write `soft_threshold(w, lr, strength)` (`strength` is $\lambda$) for an array of any shape; return a new array.

# %% nbgrader={"grade": false, "grade_id": "soft_threshold", "locked": false, "schema_version": 3, "solution": true, "task": false}
def soft_threshold(w, lr, strength):
    """The proximal step of the L1 penalty. w: any shape, lr, strength: floats >= 0 -> array like w."""
    ### BEGIN SOLUTION
    return np.sign(w) * np.maximum(np.abs(w) - lr * strength, 0.0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "soft_threshold_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# lr * strength = 0.5: 2 -> 1.5 and -1 -> -0.5 move 0.5 towards 0; 0.3 and -0.5 would cross 0, so they become 0.
got = soft_threshold(np.array([2.0, -1.0, 0.3, -0.5, 0.0]), 0.5, 1.0)
expect_close(got, [1.5, -0.5, 0.0, 0.0, 0.0], name="soft_threshold with lr * strength = 0.5")
expect_true(np.all(got[2:] == 0.0), "weights that would cross 0 must be exactly 0")
print("✓ soft_threshold: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(606)
for shape, lr, strength in [((10,), 0.05, 1e-2), ((4, 6), 0.1, 2.0), ((2, 3, 4), 1.0, 0.0), ((1,), 0.5, 0.5)]:
    w = rng.normal(size=shape) * 0.5
    threshold = lr * strength
    want = np.where(np.abs(w) > threshold, w - np.sign(w) * threshold, 0.0)
    got = soft_threshold(w, lr, strength)
    expect_close(got, want, name=f"soft_threshold for shape {shape}, lr {lr}, strength {strength}")
    expect_true(np.all(np.asarray(got)[np.abs(w) <= threshold] == 0.0),
                f"weights within lr * strength of 0 must be exactly 0 (shape {shape})")
### END HIDDEN TESTS

# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl+S), then run the cell below: it checks the saved notebook against the visible tests the
# same way `dlcourse check` does, in a sandbox like the grader's, and prints a score out of the visible points.

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
from dlcourse.grading import check_this_notebook

check_this_notebook()
