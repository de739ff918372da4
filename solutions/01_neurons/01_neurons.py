# %% [markdown]
# # Exercise 01: neurons
#
# Five functions, 9 points in all. Write each one with NumPy between the lines that say
# `YOUR CODE HERE`. When graded, your code runs in a sandbox where `torch` and `dlcourse.nn` cannot be imported.
#
# Check your work at any time: run the test cell under each function, the last cell of this notebook, or, from a
# terminal, `dlcourse check 01_neurons.ipynb` for a score out of the visible tests. The grader also runs hidden
# tests on other inputs, so make your code right for every input, not just for the example.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false} dlcourse={"forbid": ["torch", "dlcourse.nn"]}
import numpy as np

from dlcourse.grading import expect_close, expect_true

# %% [markdown]
# ## 1. One neuron (2 points)
#
# A neuron with weights $w \in \mathbb{R}^D$ and bias $b$ maps each input row $x \in \mathbb{R}^D$ to
# $$\hat y = \sigma(w^\top x + b), \qquad \sigma(z) = \frac{1}{1 + e^{-z}}.$$
# Write `neuron(X, w, b)` for a whole batch `X` of shape (N, D) at once (no Python loop); it returns shape (N,).

# %% nbgrader={"grade": false, "grade_id": "neuron", "locked": false, "schema_version": 3, "solution": true, "task": false}
def neuron(X, w, b):
    """Sigmoid neuron. X: (N, D), w: (D,), b: scalar -> (N,) outputs in (0, 1)."""
    ### BEGIN SOLUTION
    z = X @ w + b
    return 1.0 / (1.0 + np.exp(-z))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "neuron_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Test cells import what they use: the grader runs them in a process of its own, without your cells.
import numpy as np
from dlcourse.grading import expect_close, expect_true

# At z = 0 the sigmoid is 1/2; at z = ln 3 it is 3/4.
X = np.array([[1.0, 2.0], [0.0, 0.0]])
expect_close(neuron(X, np.array([0.5, -0.25]), 0.0), [0.5, 0.5], name="neuron(X, w, 0)")
expect_close(neuron(np.zeros((1, 3)), np.ones(3), np.log(3.0)), [0.75], name="neuron(0, w, ln 3)")
print("✓ neuron: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(101)  # a generator of the test's own: inputs a student cannot predict or disturb
for N, D in [(5, 3), (1, 7), (40, 2)]:
    X, w, b = rng.normal(size=(N, D)), rng.normal(size=D), rng.normal()
    got = neuron(X, w, b)
    expect_close(got, 1 / (1 + np.exp(-(X @ w + b))), name=f"neuron on a random ({N}, {D}) batch")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. The perceptron rule (2 points)
#
# With labels $y \in \{-1, +1\}$, the perceptron predicts $\operatorname{sign}(w^\top x + b)$. When a sample is
# misclassified or on the boundary ($y\,(w^\top x + b) \le 0$) it moves the boundary towards it:
# $$w \leftarrow w + \eta\, y\, x, \qquad b \leftarrow b + \eta\, y,$$
# and leaves $w, b$ alone otherwise. Write `perceptron_step(w, b, x, y, lr)` for one sample; return the new
# `(w, b)` and do not change the arrays passed in.

# %% nbgrader={"grade": false, "grade_id": "perceptron_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def perceptron_step(w, b, x, y, lr):
    """One perceptron update. w: (D,), b: float, x: (D,), y: -1 or +1, lr: float -> (new w (D,), new b)."""
    ### BEGIN SOLUTION
    if y * (x @ w + b) <= 0:
        return w + lr * y * x, b + lr * y
    return w.copy(), b
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "perceptron_step_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# A misclassified point pulls the boundary towards it; a correct one changes nothing.
w, b = np.array([1.0, -1.0]), 0.0
new_w, new_b = perceptron_step(w, b, np.array([1.0, 2.0]), 1, 0.5)
expect_close(new_w, [1.5, 0.0], name="w after a mistake")
expect_close(new_b, 0.5, name="b after a mistake")
new_w, new_b = perceptron_step(w, b, np.array([2.0, 1.0]), 1, 0.5)
expect_close(new_w, [1.0, -1.0], name="w after a correct prediction")
print("✓ perceptron_step: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(102)
for _ in range(20):
    D = int(rng.integers(1, 6))
    w, x, b, y, lr = rng.normal(size=D), rng.normal(size=D), rng.normal(), int(rng.choice([-1, 1])), rng.uniform(0.1, 2)
    wrong = y * (x @ w + b) <= 0
    got_w, got_b = perceptron_step(w, b, x, y, lr)
    expect_close(got_w, w + lr * y * x if wrong else w, name=f"w (D={D}, {'mistake' if wrong else 'correct'})")
    expect_close(got_b, b + lr * y if wrong else b, name=f"b (D={D}, {'mistake' if wrong else 'correct'})")
# On the boundary (margin exactly 0) the rule updates.
got_w, got_b = perceptron_step(np.zeros(2), 0.0, np.array([1.0, 1.0]), -1, 1.0)
expect_close(got_w, [-1.0, -1.0], name="w on the boundary")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. A two-layer network (2 points)
#
# A multilayer perceptron with one hidden ReLU layer, with weights laid out as in `torch.nn.Linear`
# ($W_1$ of shape (H, D), $W_2$ of shape (K, H)):
# $$h = \max(0,\, X W_1^\top + b_1), \qquad \text{logits} = h W_2^\top + b_2.$$
# Write `mlp_forward(X, W1, b1, W2, b2)` returning the logits, shape (N, K).

# %% nbgrader={"grade": false, "grade_id": "mlp_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mlp_forward(X, W1, b1, W2, b2):
    """X: (N, D), W1: (H, D), b1: (H,), W2: (K, H), b2: (K,) -> logits (N, K)."""
    ### BEGIN SOLUTION
    hidden = np.maximum(0.0, X @ W1.T + b1)
    return hidden @ W2.T + b2
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "mlp_forward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# XOR with hand-set weights: h1 = relu(x1 + x2), h2 = relu(x1 + x2 - 1), logit = h1 - 2 h2.
X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
W1, b1 = np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, -1.0])
W2, b2 = np.array([[1.0, -2.0]]), np.array([0.0])
expect_close(mlp_forward(X, W1, b1, W2, b2), [[0.0], [1.0], [1.0], [0.0]], name="XOR network's logits")
print("✓ mlp_forward: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(103)
for N, D, H, K in [(3, 4, 5, 2), (1, 1, 1, 1), (16, 8, 3, 10)]:
    X, W1, b1 = rng.normal(size=(N, D)), rng.normal(size=(H, D)), rng.normal(size=H)
    W2, b2 = rng.normal(size=(K, H)), rng.normal(size=K)
    got = mlp_forward(X, W1, b1, W2, b2)
    expect_close(got, np.maximum(0, X @ W1.T + b1) @ W2.T + b2, name=f"mlp_forward with N, D, H, K = {N, D, H, K}")
expect_true(mlp_forward(X, W1, b1, W2, b2).shape == (16, 10), "mlp_forward must return shape (N, K)")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. One epoch of the perceptron (2 points)
#
# Training visits the samples one at a time, **in the order given**, and applies the rule of part 2 to each, with
# the weights as the previous sample left them (this loop *is* the algorithm, as in chapter 01, section 3). Write
# `perceptron_epoch(w, b, X, y, lr)`: one pass over all $N$ rows of `X`, returning the new `(w, b)` and the number
# of updates (mistakes) it made. An epoch with 0 mistakes means every margin $y_i\,(w^\top x_i + b)$ is positive:
# training has converged. Write the update inside the loop yourself (each function is graded on its own).

# %% nbgrader={"grade": false, "grade_id": "perceptron_epoch", "locked": false, "schema_version": 3, "solution": true, "task": false}
def perceptron_epoch(w, b, X, y, lr):
    """One pass of the perceptron rule over the samples in order.

    w: (D,), b: float, X: (N, D), y: (N,) of -1 and +1, lr: float -> (new w (D,), new b, number of mistakes).
    """
    ### BEGIN SOLUTION
    w, b, mistakes = np.array(w, dtype=float), float(b), 0
    for x_i, y_i in zip(X, y, strict=True):
        if y_i * (x_i @ w + b) <= 0:
            w, b = w + lr * y_i * x_i, b + lr * y_i
            mistakes += 1
    return w, b, mistakes
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "perceptron_epoch_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal

# From w = 0, b = 0 every margin is 0, so the first sample is a mistake: w = (1, 1), b = 1. The second sample,
# x = (-1, -2) with y = -1, then has margin -1 * (-1 - 2 + 1) = 2 > 0: no update. One mistake in all.
X = np.array([[1.0, 1.0], [-1.0, -2.0]])
new_w, new_b, mistakes = perceptron_epoch(np.zeros(2), 0.0, X, np.array([1, -1]), 1.0)
expect_close(new_w, [1.0, 1.0], name="w after one epoch")
expect_close(new_b, 1.0, name="b after one epoch")
expect_equal(mistakes, 1, name="number of mistakes")
print("✓ perceptron_epoch: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(104)


def reference_epoch(w, b, X, y, lr):
    count = 0
    for i in range(len(X)):
        if y[i] * (X[i] @ w + b) <= 0:
            w, b, count = w + lr * y[i] * X[i], b + lr * y[i], count + 1
    return w, b, count


for N, D in [(10, 2), (1, 4), (30, 5), (7, 1)]:
    X, y = rng.normal(size=(N, D)), rng.choice([-1, 1], size=N)
    w, b, lr = rng.normal(size=D) * 0.1, float(rng.normal()) * 0.1, float(rng.uniform(0.1, 2.0))
    want_w, want_b, want_count = reference_epoch(w, b, X, y, lr)
    got_w, got_b, got_count = perceptron_epoch(w, b, X, y, lr)
    expect_close(got_w, want_w, name=f"w after an epoch over {N} samples in {D} dimensions")
    expect_close(got_b, want_b, name=f"b after an epoch over {N} samples in {D} dimensions")
    expect_equal(int(got_count), want_count, name=f"mistakes in an epoch over {N} samples in {D} dimensions")
# Order matters: the second pass over separable data, started from the first pass's weights, makes fewer mistakes,
# and an already separating line makes none and stays where it is.
X = np.concatenate([rng.normal(2.0, 0.5, size=(20, 2)), rng.normal(-2.0, 0.5, size=(20, 2))])
y = np.repeat([1, -1], 20)
order = rng.permutation(40)
w, b = np.zeros(2), 0.0
for epoch in range(5):
    want = reference_epoch(w, b, X[order], y[order], 1.0)
    got = perceptron_epoch(w, b, X[order], y[order], 1.0)
    expect_close(got[0], want[0], name=f"w after epoch {epoch + 1} on separable blobs")
    expect_equal(int(got[2]), want[2], name=f"mistakes in epoch {epoch + 1} on separable blobs")
    w, b = want[0], want[1]
got_w, got_b, got_count = perceptron_epoch(np.array([1.0, 1.0]), 0.0, X, y, 1.0)
expect_equal(int(got_count), 0, name="mistakes of a line that already separates the blobs")
expect_close(got_w, [1.0, 1.0], name="w of a line that already separates the blobs")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Gradient descent on a bowl (1 point)
#
# Gradient descent walks downhill on a loss: $\theta \leftarrow \theta - \eta\, \nabla L(\theta)$ (chapter 01,
# section 6). Take the bowl $L(\theta) = \tfrac12 \sum_j a_j\, \theta_j^2$ with curvatures $a_j > 0$: its partial
# derivatives are $\partial L / \partial \theta_j = a_j\, \theta_j$, so $\nabla L(\theta) = a \odot \theta$ (for one
# coordinate with $a = 2$ it is the chapter's $L = \theta^2$, gradient $2\theta$). Write
# `gradient_descent(theta0, a, lr, num_steps)` returning the whole path: an array of shape (num_steps + 1, D) whose
# row $k$ is $\theta$ after $k$ steps (row 0 is `theta0`).

# %% nbgrader={"grade": false, "grade_id": "gradient_descent", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gradient_descent(theta0, a, lr, num_steps):
    """Gradient descent on L = 0.5 * sum(a * theta**2).

    theta0: (D,) start, a: (D,) curvatures, lr: float, num_steps: int >= 0 -> path (num_steps + 1, D).
    """
    ### BEGIN SOLUTION
    path = [np.array(theta0, dtype=float)]
    for _ in range(num_steps):
        path.append(path[-1] - lr * a * path[-1])
    return np.array(path)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "gradient_descent_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close

# The chapter's L = theta^2 (a = 2) from theta = 2 with lr = 0.1: each step multiplies theta by 1 - 0.1 * 2 = 0.8.
expect_close(gradient_descent(np.array([2.0]), np.array([2.0]), 0.1, 2), [[2.0], [1.6], [1.28]],
             name="two steps on L = theta^2")
# With lr = 1.05 the factor is 1 - 2.1 = -1.1: every step overshoots further.
expect_close(gradient_descent(np.array([2.0]), np.array([2.0]), 1.05, 1), [[2.0], [-2.2]],
             name="one step with lr = 1.05")
print("✓ gradient_descent: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(105)
for D, num_steps in [(1, 5), (3, 20), (6, 1), (2, 0)]:
    theta0, a, lr = rng.normal(size=D), rng.uniform(0.1, 5.0, size=D), float(rng.uniform(0.01, 0.5))
    want = theta0[None, :] * (1 - lr * a[None, :]) ** np.arange(num_steps + 1)[:, None]  # (steps + 1, D)
    got = gradient_descent(theta0, a, lr, num_steps)
    expect_close(got, want, name=f"path of {num_steps} steps in {D} dimensions")
### END HIDDEN TESTS

# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl+S), then run the cell below: it checks the saved notebook against the visible tests the
# same way `dlcourse check` does, in a sandbox like the grader's, and prints a score out of the visible points.

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
from dlcourse.grading import check_this_notebook

check_this_notebook()
