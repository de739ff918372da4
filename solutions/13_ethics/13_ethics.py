# %% [markdown]
# # Exercise 13: fairness, explanations and attacks, measured
#
# Six functions, each worth points: two group-fairness metrics, integrated gradients and an FGSM attack for a
# logistic model, Grad-CAM from given activations and gradients, and exact Shapley values from a table of coalition
# values. Write each with NumPy between the lines that say `YOUR CODE HERE`; do not call `dlcourse`, `torch`,
# `sklearn`, `fairlearn` or `captum` (the grader runs your code where they cannot be imported).
#
# Every function takes and returns plain data: numbers and NumPy arrays.
#
# Check your work at any time: run the test cell under each function, or, from a terminal,
# `dlcourse check 13_ethics.ipynb` for a score out of the visible tests. The grader also runs hidden tests on other
# inputs, so make your code right for every input, not just for the example.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false} dlcourse={"forbid": ["torch", "dlcourse.fairness", "dlcourse.attribution", "dlcourse.adversarial", "sklearn", "fairlearn", "captum"]}
import numpy as np

from dlcourse.grading import expect_close, expect_true

# %% [markdown]
# ## 1. Demographic parity difference (2 points)
#
# Decisions `y_pred` (0 or 1) are made for people in groups `group` (any integers, two or more groups). The
# selection rate of group $g$ is the fraction of its members with `y_pred == 1`. Return the largest selection rate
# minus the smallest, over the groups that occur in `group`.

# %% nbgrader={"grade": false, "grade_id": "demographic_parity_difference", "locked": false, "schema_version": 3, "solution": true, "task": false}
def demographic_parity_difference(y_pred, group):
    """y_pred: (N,) 0/1 ints, group: (N,) ints -> float, max minus min selection rate over groups."""
    ### BEGIN SOLUTION
    rates = [np.mean(y_pred[group == g]) for g in np.unique(group)]
    return float(max(rates) - min(rates))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "demographic_parity_difference_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Test cells import what they use again, so that nothing a solution cell rebinds can change a test.
import numpy as np
from dlcourse.grading import expect_close, expect_true

# Group 0 selects 3 of 4 (0.75), group 1 selects 1 of 4 (0.25): the difference is 0.5.
y_pred = np.array([1, 1, 1, 0, 1, 0, 0, 0])
group = np.array([0, 0, 0, 0, 1, 1, 1, 1])
expect_close(demographic_parity_difference(y_pred, group), 0.5, name="3/4 - 1/4")
# Everyone selected: every rate is 1, so the difference is 0.
expect_close(demographic_parity_difference(np.ones(6, dtype=int), np.array([0, 1, 0, 1, 2, 2])), 0.0,
             name="all selected")
print("✓ demographic_parity_difference: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1301)  # a generator of the test's own: inputs a student cannot predict or disturb
for n, n_groups in [(50, 2), (200, 3), (31, 5)]:
    group = rng.integers(0, n_groups, size=n)
    y_pred = (rng.random(n) < 0.2 + 0.15 * group).astype(int)
    rates = [y_pred[group == g].mean() for g in np.unique(group)]
    expect_close(demographic_parity_difference(y_pred, group), max(rates) - min(rates),
                 name=f"demographic parity difference, {n} people in {n_groups} groups")
# group labels that are not 0..G-1
expect_close(demographic_parity_difference(np.array([1, 0, 1, 1]), np.array([7, 7, 3, 3])), 0.5,
             name="groups labelled 7 and 3")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Equalised odds difference (2 points)
#
# With true outcomes `y_true`, group $g$'s true positive rate is the fraction of its members with `y_true == 1`
# who got `y_pred == 1`, and its false positive rate the fraction of its members with `y_true == 0` who got
# `y_pred == 1`. Return the larger of (max TPR - min TPR) and (max FPR - min FPR) over the groups. You may assume
# every group has people with both outcomes.

# %% nbgrader={"grade": false, "grade_id": "equalized_odds_difference", "locked": false, "schema_version": 3, "solution": true, "task": false}
def equalized_odds_difference(y_true, y_pred, group):
    """y_true, y_pred: (N,) 0/1 ints, group: (N,) ints -> float, the larger of the TPR gap and the FPR gap."""
    ### BEGIN SOLUTION
    tpr, fpr = [], []
    for g in np.unique(group):
        t, p = y_true[group == g], y_pred[group == g]
        tpr.append(np.mean(p[t == 1]))
        fpr.append(np.mean(p[t == 0]))
    return float(max(max(tpr) - min(tpr), max(fpr) - min(fpr)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "equalized_odds_difference_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# Group 0: both positives selected (TPR 1), neither negative (FPR 0). Group 1: one of two positives (TPR 0.5) and
# one of two negatives (FPR 0.5). Gaps 0.5 and 0.5: the answer is 0.5.
y_true = np.array([1, 1, 0, 0, 1, 1, 0, 0])
y_pred = np.array([1, 1, 0, 0, 1, 0, 1, 0])
group = np.array([0, 0, 0, 0, 1, 1, 1, 1])
expect_close(equalized_odds_difference(y_true, y_pred, group), 0.5, name="TPR gap 0.5, FPR gap 0.5")
# Only the FPR differs (0 vs 1/2), the TPRs are both 1: the answer is the FPR gap, 0.5.
expect_close(equalized_odds_difference(y_true, np.array([1, 1, 0, 0, 1, 1, 1, 0]), group), 0.5, name="FPR gap only")
print("✓ equalized_odds_difference: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1302)
for n, n_groups in [(80, 2), (300, 3), (120, 4)]:
    group = np.repeat(np.arange(n_groups), n // n_groups)
    y_true = np.tile([0, 1], len(group) // 2)
    rng.shuffle(y_true)
    y_true[:2 * n_groups] = 0  # make sure each group has both outcomes
    y_true[np.searchsorted(group, np.arange(n_groups))] = 1
    y_pred = (rng.random(len(group)) < 0.3 + 0.4 * y_true - 0.05 * group).astype(int)
    tpr = [y_pred[(group == g) & (y_true == 1)].mean() for g in range(n_groups)]
    fpr = [y_pred[(group == g) & (y_true == 0)].mean() for g in range(n_groups)]
    expect_close(equalized_odds_difference(y_true, y_pred, group), max(max(tpr) - min(tpr), max(fpr) - min(fpr)),
                 name=f"equalised odds difference, {len(group)} people in {n_groups} groups")
# A case where the TPR gap is the larger one: group 0 TPR 1, group 1 TPR 0, FPRs equal.
expect_close(equalized_odds_difference(np.array([1, 0, 1, 0]), np.array([1, 0, 0, 0]), np.array([0, 0, 1, 1])), 1.0,
             name="TPR gap 1, FPR gap 0")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Integrated gradients of a logistic model (3 points)
#
# For $F(x) = \sigma(w^\top x + b)$ the gradient is $\nabla F(x) = \sigma(z)(1 - \sigma(z))\,w$ with $z = w^\top x +
# b$. Integrated gradients from a baseline $x'$ are
# $$\text{IG}(x) = (x - x') \odot \int_0^1 \nabla F\big(x' + \alpha (x - x')\big)\, d\alpha.$$
# Approximate the integral by the midpoint rule with `steps` points, $\alpha_k = (k + \tfrac12)/\text{steps}$ for
# $k = 0, \dots, \text{steps} - 1$, each with weight $1/\text{steps}$. Return the (D,) attributions.

# %% nbgrader={"grade": false, "grade_id": "integrated_gradients_logistic", "locked": false, "schema_version": 3, "solution": true, "task": false}
def integrated_gradients_logistic(w, b, x, baseline, steps):
    """w: (D,), b: float, x: (D,), baseline: (D,), steps: int -> (D,) attributions."""
    ### BEGIN SOLUTION
    alphas = (np.arange(steps) + 0.5) / steps
    path = baseline[None] + alphas[:, None] * (x - baseline)[None]  # (steps, D)
    p = 1.0 / (1.0 + np.exp(-(path @ w + b)))
    mean_gradient = np.mean(p * (1 - p)) * w
    return (x - baseline) * mean_gradient
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "integrated_gradients_logistic_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# w = (1, 0), b = 0, x' = 0, x = (2, 5), one step: alpha = 1/2, the point (1, 2.5), z = 1, gradient
# sigma(1)(1 - sigma(1)) * (1, 0) = 0.19661 * (1, 0); times x - x' = (2, 5) gives (0.39322, 0): feature 2 has weight 0.
s = 1 / (1 + np.exp(-1.0))
expect_close(integrated_gradients_logistic(np.array([1.0, 0.0]), 0.0, np.array([2.0, 5.0]), np.zeros(2), 1),
             [2 * s * (1 - s), 0.0], name="one midpoint step")
# Completeness: with many steps the attributions add up to F(x) - F(x').
w, x, x0 = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.5, 0.25]), np.zeros(3)
F = lambda v: 1 / (1 + np.exp(-(v @ w - 0.2)))  # noqa: E731
expect_close(np.sum(integrated_gradients_logistic(w, -0.2, x, x0, 1000)), F(x) - F(x0), rtol=1e-5,
             name="sum of attributions vs F(x) - F(baseline)")
print("✓ integrated_gradients_logistic: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1303)
for D, steps in [(4, 7), (10, 50), (1, 3)]:
    w, b, x, x0 = rng.normal(size=D), rng.normal(), rng.normal(size=D), rng.normal(size=D)
    alphas = (np.arange(steps) + 0.5) / steps
    grads = []
    for a in alphas:
        z = w @ (x0 + a * (x - x0)) + b
        grads.append(np.exp(-z) / (1 + np.exp(-z)) ** 2 * w)
    expect_close(integrated_gradients_logistic(w, b, x, x0, steps), (x - x0) * np.mean(grads, axis=0), rtol=1e-5,
                 name=f"integrated gradients, D={D}, steps={steps}")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Grad-CAM (2 points)
#
# A convolutional layer's activations $A$ have shape (C, H, W) for one image, and `gradients` holds
# $\partial F/\partial A$ of the same shape. Grad-CAM weighs channel $c$ by $\alpha_c$, the mean of its gradients
# over the H·W positions, and returns the map $\text{ReLU}\big(\sum_c \alpha_c A_c\big)$ of shape (H, W). Return
# both: `(alpha, cam)`.

# %% nbgrader={"grade": false, "grade_id": "grad_cam", "locked": false, "schema_version": 3, "solution": true, "task": false}
def grad_cam(activations, gradients):
    """activations, gradients: (C, H, W) -> (alpha (C,), cam (H, W))."""
    ### BEGIN SOLUTION
    alpha = gradients.mean(axis=(1, 2))
    cam = np.maximum(np.tensordot(alpha, activations, axes=1), 0.0)  # sum over channels: (C,) . (C, H, W)
    return alpha, cam
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "grad_cam_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# Channel 0's gradient is 4 at one of four positions (mean 1), channel 1's is -1 everywhere (mean -1). The map is
# 1 * A_0 - 1 * A_1 = [[1, -1], [0, 2]] - [[0, 0], [1, 1]] = [[1, -1], [-1, 1]], and the ReLU keeps [[1, 0], [0, 1]].
A = np.array([[[1.0, -1.0], [0.0, 2.0]], [[0.0, 0.0], [1.0, 1.0]]])
G = np.array([[[4.0, 0.0], [0.0, 0.0]], [[-1.0, -1.0], [-1.0, -1.0]]])
alpha, cam = grad_cam(A, G)
expect_close(alpha, [1.0, -1.0], name="alpha")
expect_close(cam, [[1.0, 0.0], [0.0, 1.0]], name="cam")
print("✓ grad_cam: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1304)
for C, H, W in [(3, 4, 5), (16, 2, 2), (1, 7, 3)]:
    A, G = rng.normal(size=(C, H, W)), rng.normal(size=(C, H, W))
    alpha, cam = grad_cam(A, G)
    expected_alpha = np.array([G[c].sum() / (H * W) for c in range(C)])
    expect_close(alpha, expected_alpha, name=f"alpha for (C, H, W) = {(C, H, W)}")
    expect_close(cam, np.maximum(sum(expected_alpha[c] * A[c] for c in range(C)), 0),
                 name=f"cam for (C, H, W) = {(C, H, W)}")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. FGSM on a logistic model (2 points)
#
# A logistic model $p = \sigma(w^\top x + b)$ with the binary cross-entropy loss $L = -y\log p - (1-y)\log(1-p)$
# has input gradient $\partial L/\partial x = (p - y)\,w$ (chapter 03's gradient of the loss with respect to the
# logit, $p - y$, times $\partial z/\partial x = w$). FGSM moves each input by $\epsilon$ in the direction of the
# gradient's sign and clips to the valid range [0, 1]: $x_{\text{adv}} = \text{clip}(x + \epsilon\,
# \text{sign}(\partial L/\partial x), 0, 1)$. Do it for a batch: X is (N, D), y is (N,).

# %% nbgrader={"grade": false, "grade_id": "fgsm_logistic", "locked": false, "schema_version": 3, "solution": true, "task": false}
def fgsm_logistic(X, y, w, b, epsilon):
    """X: (N, D) in [0, 1], y: (N,) 0/1, w: (D,), b: float, epsilon: float -> (N, D) adversarial inputs."""
    ### BEGIN SOLUTION
    p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
    gradient = (p - y)[:, None] * w[None, :]  # (N, 1) * (1, D) -> (N, D)
    return np.clip(X + epsilon * np.sign(gradient), 0.0, 1.0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "fgsm_logistic_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# w = (2, -1), x = (0.5, 0.5), label 1: p < 1, so p - y < 0 and the gradient's sign is -sign(w) = (-1, +1).
# With epsilon 0.1 the input moves to (0.4, 0.6). Label 0 gives the opposite move, (0.6, 0.4).
w = np.array([2.0, -1.0])
X = np.array([[0.5, 0.5], [0.5, 0.5]])
expect_close(fgsm_logistic(X, np.array([1, 0]), w, 0.0, 0.1), [[0.4, 0.6], [0.6, 0.4]], name="FGSM, epsilon 0.1")
# Clipping: a pixel at 0.95 pushed up by 0.1 stops at 1.
expect_close(fgsm_logistic(np.array([[0.95, 0.0]]), np.array([0]), w, 0.0, 0.1), [[1.0, 0.0]], name="clipped")
print("✓ fgsm_logistic: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1305)
for N, D, eps in [(5, 3, 0.05), (20, 10, 0.2), (1, 1, 0.5)]:
    X, y = rng.random((N, D)), rng.integers(0, 2, size=N)
    w, b = rng.normal(size=D), rng.normal()
    p = 1 / (1 + np.exp(-(X @ w + b)))
    expected = np.clip(X + eps * np.sign(np.outer(p - y, w)), 0, 1)
    got = fgsm_logistic(X, y, w, b, eps)
    expect_close(got, expected, name=f"FGSM, N={N}, D={D}, epsilon={eps}")
    expect_true(np.all(np.abs(got - X) <= eps + 1e-6), "every pixel must move by at most epsilon")  # float32 rounding
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Exact Shapley values (3 points)
#
# `values` is a table of $v(S)$ for every coalition $S$ of the features $0, \dots, d-1$, indexed by a bit mask:
# `values[m]` is $v(S)$ for the set of features $i$ whose bit `(m >> i) & 1` is 1 (so `values[0]` is
# $v(\emptyset)$ and `values[2**d - 1]` is $v$ of all features); its length is $2^d$. Return the (d,) Shapley values
# $$\phi_i = \sum_{S \not\ni i} \frac{|S|!\,(d - |S| - 1)!}{d!}\big(v(S \cup \{i\}) - v(S)\big).$$

# %% nbgrader={"grade": false, "grade_id": "shapley_values", "locked": false, "schema_version": 3, "solution": true, "task": false}
def shapley_values(values):
    """values: (2**d,) coalition values indexed by bit mask -> (d,) Shapley values."""
    ### BEGIN SOLUTION
    from math import factorial

    d = int(np.log2(len(values)))
    phi = np.zeros(d)
    for i in range(d):
        for mask in range(2 ** d):
            if mask >> i & 1:
                continue
            size = bin(mask).count("1")
            weight = factorial(size) * factorial(d - size - 1) / factorial(d)
            phi[i] += weight * (values[mask | 1 << i] - values[mask])
    return phi
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "shapley_values_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# Two features: v({}) = 0, v({0}) = 1, v({1}) = 2, v({0, 1}) = 5. Feature 0 adds 1 first or 3 second: 2 on average;
# feature 1 adds 2 first or 4 second: 3. The two add up to v(all) - v({}) = 5.
expect_close(shapley_values(np.array([0.0, 1.0, 2.0, 5.0])), [2.0, 3.0], name="two features")
# An additive game v(S) = sum of c_i over S gives phi = c.
c = np.array([1.0, -2.0, 0.5])
additive = np.array([sum(c[i] for i in range(3) if m >> i & 1) for m in range(8)])
expect_close(shapley_values(additive), c, name="additive game")
print("✓ shapley_values: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
import itertools
import math

rng = np.random.default_rng(1306)
for d in (1, 3, 5):
    values = rng.normal(size=2 ** d)
    expected = np.zeros(d)
    for order in itertools.permutations(range(d)):  # the definition: average marginal value over all orders
        mask = 0
        for i in order:
            expected[i] += (values[mask | 1 << i] - values[mask]) / math.factorial(d)
            mask |= 1 << i
    got = shapley_values(values)
    expect_close(got, expected, name=f"Shapley values, d={d}")
    expect_close(np.sum(got), values[-1] - values[0], name=f"efficiency, d={d}")
### END HIDDEN TESTS

# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl+S), then run the cell below: it checks the saved notebook against the visible tests the
# same way `dlcourse check` does, in a sandbox like the grader's, and prints a score out of the visible points.

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
from dlcourse.grading import check_this_notebook

check_this_notebook()
