# %% [markdown]
# # Exercise 01: neurons
#
# Three functions, each worth points. Write each one with NumPy between the lines that say
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
# ## Check your work
#
# Save the notebook (Ctrl+S), then run the cell below: it checks the saved notebook against the visible tests the
# same way `dlcourse check` does, in a sandbox like the grader's, and prints a score out of the visible points.

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
from dlcourse.grading import check_this_notebook

check_this_notebook()
