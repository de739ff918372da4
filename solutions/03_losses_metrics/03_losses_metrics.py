# %% [markdown]
# # Exercise 03: losses and metrics
#
# Six functions, each worth points: three losses, the gradient of one of them, and two classification metrics.
# Write each one with NumPy between the lines that say `YOUR CODE HERE`; do not call `dlcourse`, `torch` or
# `sklearn` (a hidden test checks for the first two, and the point of the exercise is to write the formulas).
# Work on whole arrays at once: no Python loops over samples.
#
# Check your work at any time: run the test cell under each function, the last cell, or, from a terminal,
# `dlcourse check 03_losses_metrics.ipynb` for a score out of the visible tests. The grader also runs hidden tests
# on other inputs, so make your code right for every input, not just for the example.
#
# **Numerical stability.** The hidden tests feed logits as large as $\pm 1000$, and every result must be a finite,
# right number: `np.exp` must only see numbers $\le 0$ (`np.exp(1000)` is `inf`), and `np.log` must never see 0.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false} dlcourse={"forbid": ["torch", "dlcourse.nn", "dlcourse.metrics", "sklearn"]}
import numpy as np

from dlcourse.grading import expect_close, expect_equal, expect_true

# %% [markdown]
# ## 1. Mean squared error (1 point)
#
# For predictions $\hat y$ and targets $y$ of the same shape, with $n$ elements in all,
# $$\mathrm{MSE}(\hat y, y) = \frac{1}{n} \sum_{i=1}^{n} (\hat y_i - y_i)^2,$$
# the mean over every element (what `torch.nn.MSELoss()` computes by default). Return a single number.

# %% nbgrader={"grade": false, "grade_id": "mse", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mse(y_hat, y):
    """Mean squared error over all elements. y_hat, y: same shape, any -> float."""
    ### BEGIN SOLUTION
    return float(np.mean((y_hat - y) ** 2))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "mse_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Test cells import what they use: the grader runs them in a process of its own, without your cells.
import numpy as np
from dlcourse.grading import expect_close

# Only the last prediction is off, by 2: (0 + 0 + 4) / 3.
expect_close(mse(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0])), 4 / 3, name="mse([1, 2, 3], [1, 2, 5])")
# The mean runs over all four elements, not per row: (0 + 0 + 4 + 4) / 4 = 2.
expect_close(mse(np.array([[0.0, 0.0], [2.0, -2.0]]), np.zeros((2, 2))), 2.0, name="mse of a (2, 2) batch")
print("✓ mse: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(301)  # a generator of the test's own: inputs a student cannot predict or disturb
for shape in [(7,), (4, 3), (2, 3, 5), (1,)]:
    y_hat, y = rng.normal(size=shape), rng.normal(size=shape)
    got = mse(y_hat, y)
    expect_close(got, np.sum((y_hat - y) ** 2) / y.size, name=f"mse on random arrays of shape {shape}")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Binary cross-entropy on logits (2 points)
#
# A binary classifier outputs a logit $z$; its probability for class 1 is $p = \sigma(z)$. With a target
# $y \in [0, 1]$ (usually exactly 0 or 1), the loss is
# $$\ell(z, y) = -\bigl[y \log \sigma(z) + (1 - y) \log(1 - \sigma(z))\bigr].$$
# Computing $\sigma(z)$ first fails for large $|z|$: $\sigma(40) = 1$ in float64, and $\log(1 - 1) = -\infty$.
# Use $\log \sigma(z) = -\log(1 + e^{-z})$ and $\log(1 - \sigma(z)) = -z - \log(1 + e^{-z})$ to get
# $$\ell(z, y) = \log(1 + e^{-z}) + (1 - y)\,z = \max(z, 0) - y\,z + \log\bigl(1 + e^{-|z|}\bigr),$$
# the last form exact for either sign of $z$ and free of overflow (`np.log1p(t)` is $\log(1 + t)$, accurate for
# small $t$). Return the mean over all elements, as `torch.nn.BCEWithLogitsLoss()` does.

# %% nbgrader={"grade": false, "grade_id": "binary_cross_entropy_with_logits", "locked": false, "schema_version": 3, "solution": true, "task": false}
def binary_cross_entropy_with_logits(logits, y):
    """Mean binary cross-entropy of sigmoid(logits) against y, stable. logits, y: same shape, any -> float."""
    ### BEGIN SOLUTION
    per_element = np.maximum(logits, 0) - y * logits + np.log1p(np.exp(-np.abs(logits)))
    return float(np.mean(per_element))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "binary_cross_entropy_with_logits_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# A logit of 0 means p = 1/2, which costs log 2 whatever the target.
expect_close(binary_cross_entropy_with_logits(np.zeros(3), np.array([1.0, 0.0, 1.0])), np.log(2.0),
             name="BCE of zero logits")
# z = ln 3 means p = 3/4: target 1 costs -log(3/4) = log(4/3), target 0 costs -log(1/4) = log 4.
expect_close(binary_cross_entropy_with_logits(np.array([np.log(3.0), np.log(3.0)]), np.array([1.0, 0.0])),
             (np.log(4 / 3) + np.log(4.0)) / 2, name="BCE of logits [ln 3, ln 3] against [1, 0]")
print("✓ binary_cross_entropy_with_logits: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(302)
for shape, scale in [((6,), 2.0), ((4, 3), 5.0), ((10,), 100.0), ((3, 4), 1000.0), ((2, 2, 2), 1.0)]:
    logits = rng.normal(scale=scale, size=shape)
    for kind, y in [("0/1", rng.integers(0, 2, size=shape).astype(float)), ("soft", rng.uniform(size=shape))]:
        where = f"shape {shape}, logits ~ +-{scale:g}, {kind} targets"
        got = binary_cross_entropy_with_logits(logits, y)
        expect_true(np.isfinite(got).all(), f"binary_cross_entropy_with_logits gives NaN or inf ({where}); use "
                                            "the stable form with max(z, 0) and log1p(exp(-|z|))")
        # log(1 + e^z) - y z, with log(1 + e^z) = logaddexp(0, z) computed without overflow by NumPy
        expect_close(got, np.mean(np.logaddexp(0.0, logits) - y * logits), name=f"BCE, {where}")
# Confident and right costs almost nothing; confident and wrong costs about |z|.
got = binary_cross_entropy_with_logits(np.array([100.0, -100.0]), np.array([0.0, 1.0]))
expect_close(got, 100.0, name="BCE of logits [100, -100] against [0, 1] (both wrong by a margin of 100)")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Cross-entropy with class labels (2 points)
#
# For $K$ classes a network outputs a row of logits $z \in \mathbb{R}^K$ per sample; softmax makes them
# probabilities. The loss of a sample whose label is $c$ is minus the log of the probability it gives to $c$:
# $$\ell(z, c) = -\log \frac{e^{z_c}}{\sum_{j} e^{z_j}} = \log \sum_{j=1}^{K} e^{z_j} - z_c
# = m + \log \sum_{j=1}^{K} e^{z_j - m} - z_c, \qquad m = \max_j z_j,$$
# where subtracting $m$ keeps every exponent $\le 0$ (the *log-sum-exp trick*). Write
# `cross_entropy(logits, labels)` for logits of shape (N, K) and integer labels of shape (N,), returning the mean
# over the batch (as `torch.nn.CrossEntropyLoss()` does). `logits[np.arange(N), labels]` picks $z_{n, c_n}$ for
# every row at once.

# %% nbgrader={"grade": false, "grade_id": "cross_entropy", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cross_entropy(logits, labels):
    """Mean softmax cross-entropy. logits: (N, K), labels: (N,) ints in [0, K) -> float."""
    ### BEGIN SOLUTION
    m = logits.max(axis=1, keepdims=True)  # (N, 1)
    log_sum_exp = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))  # (N,)
    picked = logits[np.arange(len(labels)), labels]  # (N,): the logit of each row's true class
    return float(np.mean(log_sum_exp - picked))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "cross_entropy_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# Equal logits over K = 4 classes: each has probability 1/4, so the loss is log 4.
expect_close(cross_entropy(np.zeros((1, 4)), np.array([2])), np.log(4.0), name="cross_entropy of uniform logits")
# Logits [0, ln 3]: probabilities [1/4, 3/4]. Label 1 costs log(4/3), label 0 costs log 4; the batch mean of both:
expect_close(cross_entropy(np.array([[0.0, np.log(3.0)], [0.0, np.log(3.0)]]), np.array([1, 0])),
             (np.log(4 / 3) + np.log(4.0)) / 2, name="cross_entropy of a batch of two")
print("✓ cross_entropy: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(303)
for (N, K), scale in [((5, 3), 2.0), ((1, 10), 1.0), ((32, 2), 10.0), ((8, 6), 1000.0), ((4, 5), 300.0)]:
    logits, labels = rng.normal(scale=scale, size=(N, K)), rng.integers(0, K, size=N)
    # np.logaddexp.reduce computes log(sum(exp(row))) pairwise, without overflow
    expected = np.mean(np.logaddexp.reduce(logits, axis=1) - logits[np.arange(N), labels])
    where = f"N={N}, K={K}, logits ~ +-{scale:g}"
    got = cross_entropy(logits, labels)
    expect_true(np.isfinite(got).all(), f"cross_entropy gives NaN or inf ({where}); subtract each row's max "
                                        "before np.exp")
    expect_close(got, expected, name=f"cross_entropy, {where}")
# All rows near 1000: the naive exp overflows, but the loss only depends on differences between logits.
got = cross_entropy(np.array([[1000.0, 1000.0 + np.log(3.0)]]), np.array([1]))
# rtol 1e-4: near 1000, a float32 computation keeps only about 5 significant digits of each logit.
expect_close(got, np.log(4 / 3), name="cross_entropy of logits [1000, 1000 + ln 3] with label 1", rtol=1e-4)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. The gradient of cross-entropy (2 points)
#
# Differentiating $\ell(z, c) = \log \sum_j e^{z_j} - z_c$ with respect to $z_k$ gives
# $\frac{e^{z_k}}{\sum_j e^{z_j}} - [k = c]$: the predicted probabilities minus the one-hot label. The loss is the
# mean over $N$ samples, so each sample's gradient is divided by $N$:
# $$\frac{\partial L}{\partial z_{n,k}} = \frac{1}{N}\bigl(\mathrm{softmax}(z_n)_k - [k = c_n]\bigr).$$
# Write `cross_entropy_grad(logits, labels)`, returning shape (N, K), stable for large logits (compute the softmax
# inside this function; do not call your `cross_entropy`).

# %% nbgrader={"grade": false, "grade_id": "cross_entropy_grad", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cross_entropy_grad(logits, labels):
    """Gradient of the mean cross-entropy w.r.t. the logits. logits: (N, K), labels: (N,) ints -> (N, K)."""
    ### BEGIN SOLUTION
    N = logits.shape[0]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))  # (N, K), every exponent <= 0
    probs = e / e.sum(axis=1, keepdims=True)
    probs[np.arange(N), labels] -= 1.0  # minus the one-hot label
    return probs / N
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "cross_entropy_grad_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# One sample, logits [0, ln 3]: probabilities [1/4, 3/4]; minus the one-hot [0, 1] of label 1 gives [1/4, -1/4].
expect_close(cross_entropy_grad(np.array([[0.0, np.log(3.0)]]), np.array([1])), [[0.25, -0.25]],
             name="cross_entropy_grad of one sample")
# Two samples: the same rows as above, halved by the mean (label 0 gives [1/4 - 1, 3/4]).
expect_close(cross_entropy_grad(np.array([[0.0, np.log(3.0)], [0.0, np.log(3.0)]]), np.array([1, 0])),
             [[0.125, -0.125], [-0.375, 0.375]], name="cross_entropy_grad of a batch of two")
print("✓ cross_entropy_grad: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(304)
for (N, K), scale in [((5, 3), 2.0), ((1, 7), 1.0), ((16, 2), 10.0), ((6, 4), 1000.0)]:
    logits, labels = rng.normal(scale=scale, size=(N, K)), rng.integers(0, K, size=N)
    probs = np.exp(logits - np.logaddexp.reduce(logits, axis=1, keepdims=True))  # softmax via log-sum-exp
    expected = (probs - np.eye(K)[labels]) / N
    where = f"N={N}, K={K}, logits ~ +-{scale:g}"
    got = cross_entropy_grad(logits, labels)
    expect_true(np.isfinite(got).all(), f"cross_entropy_grad gives NaN or inf ({where}); subtract each row's "
                                        "max before np.exp")
    expect_close(got, expected, name=f"cross_entropy_grad, {where}")
# Central differences of the loss agree with the formula (the gradient a framework's backward pass must produce).
logits, labels = rng.normal(size=(3, 4)), rng.integers(0, 4, size=3)


def loss(z):
    return np.mean(np.logaddexp.reduce(z, axis=1) - z[np.arange(3), labels])


step, numeric = 1e-6, np.zeros((3, 4))
for index in np.ndindex(3, 4):
    bump = np.zeros((3, 4))
    bump[index] = step
    numeric[index] = (loss(logits + bump) - loss(logits - bump)) / (2 * step)
expect_close(cross_entropy_grad(logits, labels), numeric, rtol=1e-5, atol=1e-7,
             name="cross_entropy_grad against central differences of the loss")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Precision, recall and F1 (2 points)
#
# For binary labels (1 = positive), count true positives $TP$ (predicted 1, truly 1), false positives $FP$
# (predicted 1, truly 0) and false negatives $FN$ (predicted 0, truly 1). Then
# $$P = \frac{TP}{TP + FP}, \qquad R = \frac{TP}{TP + FN}, \qquad F_1 = \frac{2PR}{P + R}.$$
# Precision asks "of what I flagged, how much was right?", recall "of what was there, how much did I find?", and
# $F_1$ is their harmonic mean. When a denominator is 0 (nothing predicted positive, nothing truly positive, or
# $P = R = 0$) return 0 for that quantity, as scikit-learn does with `zero_division=0`.
# Write `precision_recall_f1(y_true, y_pred)` returning the three numbers as a tuple of floats.

# %% nbgrader={"grade": false, "grade_id": "precision_recall_f1", "locked": false, "schema_version": 3, "solution": true, "task": false}
def precision_recall_f1(y_true, y_pred):
    """Binary precision, recall and F1 of class 1. y_true, y_pred: (N,) of 0/1 -> (precision, recall, f1) floats."""
    ### BEGIN SOLUTION
    tp = int(np.sum((y_pred == 1) & (y_true == 1)))
    fp = int(np.sum((y_pred == 1) & (y_true == 0)))
    fn = int(np.sum((y_pred == 0) & (y_true == 1)))
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f1
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "precision_recall_f1_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# TP = 2 (positions 0 and 4), FP = 1 (position 2), FN = 1 (position 1): P = R = 2/3, so F1 = 2/3 too.
p, r, f1 = precision_recall_f1(np.array([1, 1, 0, 0, 1]), np.array([1, 0, 1, 0, 1]))
expect_close(p, 2 / 3, name="precision")
expect_close(r, 2 / 3, name="recall")
expect_close(f1, 2 / 3, name="F1")
# One positive found out of three, no false alarm: P = 1, R = 1/3, F1 = 2 * (1/3) / (4/3) = 1/2.
p, r, f1 = precision_recall_f1(np.array([1, 1, 1, 0]), np.array([1, 0, 0, 0]))
expect_close(p, 1.0, name="precision of a cautious classifier")
expect_close(r, 1 / 3, name="recall of a cautious classifier")
expect_close(f1, 0.5, name="F1 of a cautious classifier")
print("✓ precision_recall_f1: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
# Expected values inline (scikit-learn's precision_recall_fscore_support(..., zero_division=0) gives the same; it
# is not imported here because its import alone takes seconds of a test's time limit on a busy machine).


def reference(y_true, y_pred):
    tp, fp = np.count_nonzero(y_true[y_pred == 1] == 1), np.count_nonzero(y_true[y_pred == 1] == 0)
    fn = np.count_nonzero(y_true[y_pred == 0] == 1)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


rng = np.random.default_rng(305)
cases = [(rng.integers(0, 2, size=n), rng.integers(0, 2, size=n)) for n in (10, 37, 200)]
cases += [(np.array([1, 0, 1, 1]), np.zeros(4, dtype=int)),  # nothing predicted positive: P = 0 by convention
          (np.zeros(5, dtype=int), np.array([0, 1, 0, 1, 0])),  # nothing truly positive: R = 0
          (np.zeros(3, dtype=int), np.zeros(3, dtype=int)),  # neither: all three are 0
          (np.array([1, 0, 0]), np.array([0, 1, 0])),  # TP = 0 but both denominators > 0: P = R = F1 = 0
          (np.ones(6, dtype=int), np.ones(6, dtype=int))]  # perfect: all three are 1
for y_true, y_pred in cases:
    expected = reference(y_true, y_pred)
    where = f"y_true={y_true.tolist()[:8]}..., y_pred={y_pred.tolist()[:8]}..."
    got = precision_recall_f1(y_true, y_pred)
    expect_true(np.shape(got) == (3,), f"precision_recall_f1 must return three numbers, got {got!r}")
    for value, want, name in zip(got, expected, ("precision", "recall", "F1")):
        expect_close(value, want, name=f"{name} with {where}")
### END HIDDEN TESTS

# %% [markdown]
# ## 6. The confusion matrix (2 points)
#
# For $K$ classes the confusion matrix $C \in \mathbb{N}^{K \times K}$ counts, for each true class $i$ (row) and
# predicted class $j$ (column), the samples with $y = i$ and $\hat y = j$ (scikit-learn's layout). Its diagonal
# holds the correct predictions, so accuracy is $\operatorname{tr} C / N$.
# Write `confusion_matrix(y_true, y_pred, num_classes)` returning an integer array of shape (K, K), with a row and a
# column for every class, even those that never occur. Do it without a Python loop: `np.add.at(C, (rows, cols), 1)`
# adds 1 at every (row, col) pair, repeats included; or give each pair the single index $iK + j$ and count with
# `np.bincount(..., minlength=K * K)`.

# %% nbgrader={"grade": false, "grade_id": "confusion_matrix", "locked": false, "schema_version": 3, "solution": true, "task": false}
def confusion_matrix(y_true, y_pred, num_classes):
    """Counts of (true, predicted) pairs. y_true, y_pred: (N,) ints in [0, K), num_classes: K -> (K, K) ints."""
    ### BEGIN SOLUTION
    pairs = y_true * num_classes + y_pred  # (N,): the flat index of each (true, predicted) cell
    return np.bincount(pairs, minlength=num_classes * num_classes).reshape(num_classes, num_classes)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "confusion_matrix_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_equal, expect_true

# Pairs (true, predicted): (0, 0), (1, 2), (2, 2), (2, 1). Row = true class, column = prediction.
got = confusion_matrix(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 1]), 3)
expect_equal(got, [[1, 0, 0], [0, 0, 1], [0, 1, 1]], name="confusion_matrix of four samples")
expect_true(np.issubdtype(got.dtype, np.integer), f"confusion_matrix must hold integer counts, got {got.dtype}")
print("✓ confusion_matrix: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(306)
for N, K, used in [(20, 3, 3), (100, 5, 5), (1, 2, 2), (50, 6, 4), (300, 10, 10)]:  # used < K: classes never seen
    y_true, y_pred = rng.integers(0, used, size=N), rng.integers(0, used, size=N)
    got = confusion_matrix(y_true, y_pred, K)
    classes = np.arange(K)
    # (N, K, 1) & (N, 1, K) -> (N, K, K): sample n marks cell (true, predicted); summing over n counts the pairs
    expected = ((y_true[:, None, None] == classes[:, None]) & (y_pred[:, None, None] == classes[None, :])).sum(axis=0)
    expect_equal(got, expected, name=f"confusion_matrix with N={N}, K={K}")
    expect_true(np.issubdtype(got.dtype, np.integer), f"confusion_matrix must hold integer counts, got {got.dtype}")
# Repeated pairs count once each: five identical samples give 5 in one cell.
got = confusion_matrix(np.full(5, 1), np.full(5, 0), 2)
expect_equal(got, [[0, 0], [5, 0]], name="confusion_matrix of five (true 1, predicted 0) samples")
### END HIDDEN TESTS

# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl+S), then run the cell below: it checks the saved notebook against the visible tests the
# same way `dlcourse check` does, in a sandbox like the grader's, and prints a score out of the visible points.

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
from dlcourse.grading import check_this_notebook

check_this_notebook()
