# %% [markdown]
# # Exercise 12: transfer learning
#
# Five functions, each worth points: the tools chapter 12 used to reuse a pretrained network. Which parameters to
# freeze, a new head, an SGD step with parameter groups, batch-norm statistics re-estimated on new data, and a
# least-squares linear probe. Write each one with NumPy between the lines that say `YOUR CODE HERE`; do not import
# `torch`, `dlcourse.nn`, `dlcourse.optim` or `dlcourse.models` (the grader's sandbox does not let you).
#
# The network of chapter 12 has four blocks numbered 0-3, and its parameters have PyTorch's dotted names: the
# first number is the block (`"0.0.weight"` is block 0's convolution weight, `"1.1.bias"` block 1's batch-norm bias,
# `"3.weight"` the head's weight).
#
# Check your work at any time: run the test cell under each function, or, from a terminal,
# `dlcourse check 12_transfer.ipynb` for a score out of the visible tests. The grader also runs hidden tests on
# other inputs, so make your code right for every input, not just for the example.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false} dlcourse={"forbid": ["torch", "dlcourse.nn", "dlcourse.optim", "dlcourse.models", "sklearn"]}
import numpy as np

from dlcourse.grading import expect_close, expect_equal, expect_true

# %% [markdown]
# ## 1. Which parameters to freeze (2 points)
#
# Feature extraction freezes the first $k$ blocks. Write `freeze_mask(names, num_frozen_blocks)`: given the
# parameter names, return one bool per name, the value its `requires_grad` gets: `False` for a parameter of blocks
# $0, \dots, k-1$, `True` for the others. The block is the number before the first dot (blocks may be numbered
# beyond 9: `"12.weight"` is block 12).

# %% nbgrader={"grade": false, "grade_id": "freeze_mask", "locked": false, "schema_version": 3, "solution": true, "task": false}
def freeze_mask(names, num_frozen_blocks):
    """names: list of str, num_frozen_blocks: int >= 0 -> list of bool (True = trainable), one per name."""
    ### BEGIN SOLUTION
    return [int(name.split(".")[0]) >= num_frozen_blocks for name in names]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "freeze_mask_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Test cells import what they use again, so that nothing a solution cell rebinds can change a test.
import numpy as np
from dlcourse.grading import expect_equal, expect_true

names = ["0.0.weight", "0.0.bias", "1.0.weight", "2.1.weight", "3.weight", "3.bias"]
# Two frozen blocks: blocks 0 and 1 are frozen (False), blocks 2 and 3 train (True).
expect_equal(np.array(freeze_mask(names, 2)), [False, False, False, True, True, True], name="freeze_mask(names, 2)")
# Nothing frozen: everything trains.
expect_equal(np.array(freeze_mask(names, 0)), [True] * 6, name="freeze_mask(names, 0)")
print("✓ freeze_mask: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1201)
for _ in range(5):
    blocks = rng.integers(0, 15, size=rng.integers(1, 12))
    names = [f"{b}.{rng.integers(0, 3)}.{rng.choice(['weight', 'bias', 'running_mean'])}" for b in blocks]
    k = int(rng.integers(0, 16))
    got = freeze_mask(names, k)
    expect_true(isinstance(got, (list, tuple, np.ndarray)) and len(got) == len(names),
                f"freeze_mask: expected one bool per name ({len(names)}), got {got!r}")
    expect_equal(np.array(got, dtype=bool), blocks >= k, name=f"freeze_mask({names}, {k})")
expect_equal(np.array(freeze_mask(["10.weight", "1.weight", "2.bias"], 2), dtype=bool), [True, False, True],
             name="freeze_mask with block 10 (compare numbers, not strings)")
expect_equal(np.array(freeze_mask(["3.weight", "3.bias"], 4), dtype=bool), [False, False],
             name="freeze_mask with every block frozen")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. A new head (2 points)
#
# A state dict maps each name to an array. Write `replace_head(state, head, num_classes)`: return a **new** dict
# with every entry copied (new arrays, so that changing the result does not change `state`), except the head's
# weight `f"{head}.weight"`, of shape (K_old, D), and bias `f"{head}.bias"`, (K_old,), which become zeros of shapes
# (num_classes, D) and (num_classes,), in the old weight's dtype. A zero head predicts the same for every input at
# first; its gradient is not zero, so it learns from the first step.

# %% nbgrader={"grade": false, "grade_id": "replace_head", "locked": false, "schema_version": 3, "solution": true, "task": false}
def replace_head(state, head, num_classes):
    """state: dict name -> array, head: str (e.g. "3"), num_classes: int -> new dict with a zero head."""
    ### BEGIN SOLUTION
    new = {name: np.array(value, copy=True) for name, value in state.items()}
    weight = state[f"{head}.weight"]
    new[f"{head}.weight"] = np.zeros((num_classes, weight.shape[1]), dtype=weight.dtype)
    new[f"{head}.bias"] = np.zeros(num_classes, dtype=weight.dtype)
    return new
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "replace_head_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal, expect_true

state = {"0.weight": np.ones((4, 2)), "0.bias": np.ones(4), "1.weight": np.ones((3, 4)), "1.bias": np.ones(3)}
new = replace_head(state, "1", 5)
# The head "1" had 3 outputs from 4 features: now 5 outputs from the same 4 features, all zero.
expect_close(new["1.weight"], np.zeros((5, 4)), name="new head weight")
expect_close(new["1.bias"], np.zeros(5), name="new head bias")
# Block 0 is copied unchanged.
expect_close(new["0.weight"], np.ones((4, 2)), name="copied 0.weight")
expect_true(sorted(new) == sorted(state), f"replace_head: expected the keys {sorted(state)}, got {sorted(new)}")
print("✓ replace_head: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1202)
for dtype, head, K in [(np.float32, "3", 7), (np.float64, "fc", 2), (np.float32, "12", 1)]:
    D = int(rng.integers(2, 9))
    state = {"0.weight": rng.normal(size=(D, 3)).astype(dtype), f"{head}.weight": rng.normal(size=(4, D)).astype(dtype),
             f"{head}.bias": rng.normal(size=4).astype(dtype), "0.running_var": rng.random(D).astype(dtype)}
    keep = {k: v.copy() for k, v in state.items()}
    new = replace_head(state, head, K)
    expect_true(sorted(new) == sorted(state), f"replace_head: expected the keys {sorted(state)}, got {sorted(new)}")
    expect_close(new[f"{head}.weight"], np.zeros((K, D)), name=f"{head}.weight with K={K}, D={D}")
    expect_close(new[f"{head}.bias"], np.zeros(K), name=f"{head}.bias with K={K}")
    expect_true(new[f"{head}.weight"].dtype == dtype and new[f"{head}.bias"].dtype == dtype,
                f"replace_head: expected the new head in {np.dtype(dtype)}, got {new[f'{head}.weight'].dtype}")
    for key in ("0.weight", "0.running_var"):
        expect_close(new[key], keep[key], name=f"copied {key}", rtol=0, atol=0)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. One SGD step with parameter groups (3 points)
#
# Fine-tuning gives the pretrained blocks a smaller learning rate than the head. Write
# `param_group_sgd_step(params, grads, requires_grad, groups)`, one step of plain SGD (no momentum) as
# `torch.optim.SGD` takes it with parameter groups:
#
# - `params`, `grads`: lists of arrays (parameter $i$ and its gradient have the same shape);
# - `requires_grad`: a list of bools: a frozen parameter (`False`) is never changed;
# - `groups`: a list of dicts, each `{"params": [indices into params], "lr": float}` and optionally
#   `"weight_decay": float` (0 when absent). For a trainable parameter $p$ of a group,
#   $$p \leftarrow p - \eta\,(g + \lambda\, p)$$ with that group's $\eta$ = `lr` and $\lambda$ = `weight_decay`.
#   A parameter in no group is not changed.
#
# Return the list of new arrays (do not modify the inputs).

# %% nbgrader={"grade": false, "grade_id": "param_group_sgd_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def param_group_sgd_step(params, grads, requires_grad, groups):
    """params, grads: lists of arrays; requires_grad: list of bool; groups: list of dicts -> list of new arrays."""
    ### BEGIN SOLUTION
    new = [np.array(p, copy=True) for p in params]
    for group in groups:
        lr, decay = group["lr"], group.get("weight_decay", 0.0)
        for i in group["params"]:
            if requires_grad[i]:
                new[i] = params[i] - lr * (grads[i] + decay * params[i])
    return new
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "param_group_sgd_step_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

params = [np.array([1.0, 2.0]), np.array([3.0]), np.array([4.0])]
grads = [np.array([1.0, 1.0]), np.array([10.0]), np.array([5.0])]
groups = [{"params": [0], "lr": 0.1}, {"params": [1, 2], "lr": 0.01, "weight_decay": 1.0}]
new = param_group_sgd_step(params, grads, [True, True, False], groups)
# Group 0: 1 - 0.1 * 1 = 0.9 and 2 - 0.1 * 1 = 1.9. Group 1: 3 - 0.01 * (10 + 1 * 3) = 2.87; parameter 2 is frozen.
expect_close(new[0], [0.9, 1.9], name="parameter 0 (lr 0.1)")
expect_close(new[1], [2.87], name="parameter 1 (lr 0.01, weight_decay 1)")
expect_close(new[2], [4.0], name="parameter 2 (frozen)")
expect_close(params[0], [1.0, 2.0], name="params[0] after the call (must not be modified)")
print("✓ param_group_sgd_step: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
import torch

rng = np.random.default_rng(1203)
for trial in range(4):
    shapes = [tuple(rng.integers(1, 5, size=rng.integers(1, 3))) for _ in range(int(rng.integers(3, 7)))]
    params = [rng.normal(size=s) for s in shapes]
    grads = [rng.normal(size=s) for s in shapes]
    trainable = [bool(t) for t in rng.random(len(shapes)) < 0.7]
    order = rng.permutation(len(shapes))
    cut = int(rng.integers(1, len(shapes)))
    groups = [{"params": [int(i) for i in order[:cut]], "lr": float(rng.uniform(0.01, 0.5))},
              {"params": [int(i) for i in order[cut:]], "lr": float(rng.uniform(0.001, 0.05)),
               "weight_decay": float(rng.uniform(0, 0.5))}]
    if trial == 3:
        groups[1]["params"] = groups[1]["params"][1:]  # one parameter in no group
    tensors = [torch.tensor(p, requires_grad=t) for p, t in zip(params, trainable, strict=True)]
    for t, g in zip(tensors, grads, strict=True):
        if t.requires_grad:
            t.grad = torch.tensor(g)
    torch.optim.SGD([{**g, "params": [tensors[i] for i in g["params"]]} for g in groups], lr=1.0).step()
    got = param_group_sgd_step([p.copy() for p in params], grads, trainable, groups)
    expect_true(len(got) == len(params), f"param_group_sgd_step: expected {len(params)} arrays, got {len(got)}")
    for i, (g, t) in enumerate(zip(got, tensors, strict=True)):
        expect_close(g, t.detach().numpy(), name=f"trial {trial}: parameter {i} (trainable {trainable[i]})", rtol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Re-estimating batch-norm statistics (3 points)
#
# To adapt a network to a new domain without labels, chapter 12 re-measured each batch-norm layer's statistics on
# target images. Write `reestimate_batch_norm(batches)`: given the activations entering one `BatchNorm2d` for
# several batches, each of shape (N_b, C, H, W) (batch sizes may differ), return `(running_mean, running_var)`, each
# of shape (C,), as PyTorch's `BatchNorm2d(C, momentum=None)` computes them after being reset and run in training
# mode on those batches:
#
# - for each batch, the per-channel mean $\mu_b$ over the $m = N_b H W$ values of the channel, and the *unbiased*
#   variance $s_b^2 = \frac{1}{m-1}\sum (x - \mu_b)^2$;
# - `momentum=None` makes the running statistics the plain average over batches: every **batch** counts once, whatever
#   its size: running_mean $= \frac{1}{B}\sum_b \mu_b$, running_var $= \frac{1}{B}\sum_b s_b^2$.

# %% nbgrader={"grade": false, "grade_id": "reestimate_batch_norm", "locked": false, "schema_version": 3, "solution": true, "task": false}
def reestimate_batch_norm(batches):
    """batches: list of (N_b, C, H, W) arrays -> (running_mean (C,), running_var (C,))."""
    ### BEGIN SOLUTION
    means = [b.mean(axis=(0, 2, 3)) for b in batches]
    variances = [b.var(axis=(0, 2, 3), ddof=1) for b in batches]
    return np.mean(means, axis=0), np.mean(variances, axis=0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "reestimate_batch_norm_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close

# One channel, one batch holding the values 0 and 2: mean 1, unbiased variance ((0-1)^2 + (2-1)^2) / (2-1) = 2.
mean, var = reestimate_batch_norm([np.array([0.0, 2.0]).reshape(2, 1, 1, 1)])
expect_close(mean, [1.0], name="running_mean of one batch [0, 2]")
expect_close(var, [2.0], name="running_var of one batch [0, 2]")
# A second batch of four values 5 (mean 5, variance 0): each batch counts once, so mean (1 + 5) / 2 = 3, var 1.
mean, var = reestimate_batch_norm([np.array([0.0, 2.0]).reshape(2, 1, 1, 1), np.full((4, 1, 1, 1), 5.0)])
expect_close(mean, [3.0], name="running_mean over two batches")
expect_close(var, [1.0], name="running_var over two batches")
print("✓ reestimate_batch_norm: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
import torch

rng = np.random.default_rng(1204)
for C, H, W, sizes in [(3, 4, 4, [8, 8, 3]), (1, 2, 5, [2]), (5, 1, 1, [4, 7, 2, 9])]:
    shift, scale = rng.normal(size=C) * 3, rng.uniform(0.5, 2, size=C)
    batches = [rng.normal(size=(n, C, H, W)) * scale[:, None, None] + shift[:, None, None] for n in sizes]
    bn = torch.nn.BatchNorm2d(C, momentum=None).double().train()
    with torch.no_grad():
        for b in batches:
            bn(torch.tensor(b))
    mean, var = reestimate_batch_norm([b.copy() for b in batches])
    expect_close(mean, bn.running_mean.numpy(), name=f"running_mean for C={C}, batch sizes {sizes}", rtol=1e-5)
    expect_close(var, bn.running_var.numpy(), name=f"running_var for C={C}, batch sizes {sizes}", rtol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. A least-squares linear probe (2 points)
#
# A linear probe measures how useful features are. Write `least_squares_probe(F, y, num_classes, lam)`: append a
# column of ones to the features `F` (N, D) to get $A$ (N, D+1), one-hot encode the labels `y` (N,) as $Y$ (N, K),
# and return the $W$ of shape (D+1, K) that minimises $\lVert A W - Y\rVert^2 + \lambda \lVert W \rVert^2$, the
# solution of
# $$(A^\top A + \lambda I)\,W = A^\top Y .$$
# (The bias row, the last row of $W$, is penalised too, as in the chapter.)

# %% nbgrader={"grade": false, "grade_id": "least_squares_probe", "locked": false, "schema_version": 3, "solution": true, "task": false}
def least_squares_probe(F, y, num_classes, lam):
    """F: (N, D) features, y: (N,) ints in 0..K-1, num_classes: K, lam: float >= 0 -> W (D+1, K)."""
    ### BEGIN SOLUTION
    A = np.hstack([F, np.ones((len(F), 1))])  # (N, D) -> (N, D+1)
    Y = np.eye(num_classes)[y]  # (N, K)
    return np.linalg.solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ Y)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "least_squares_probe_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close

# One feature, two classes: x = 0 is class 0 and x = 1 is class 1. Without penalty the fit is exact: the score of
# class 1 is x (weight 1, bias 0) and of class 0 is 1 - x (weight -1, bias 1).
W = least_squares_probe(np.array([[0.0], [1.0]]), np.array([0, 1]), 2, 0.0)
expect_close(W, [[-1.0, 1.0], [1.0, 0.0]], name="probe on x = 0 (class 0), x = 1 (class 1)")
print("✓ least_squares_probe: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1205)
for N, D, K, lam in [(30, 4, 3, 0.5), (12, 6, 5, 2.0), (50, 2, 2, 1e-3)]:
    F = rng.normal(size=(N, D))
    y = rng.integers(0, K, size=N)
    y[:K] = np.arange(K)
    A = np.hstack([F, np.ones((N, 1))])
    Y = np.eye(K)[y]
    expected = np.linalg.lstsq(np.vstack([A, np.sqrt(lam) * np.eye(D + 1)]), np.vstack([Y, np.zeros((D + 1, K))]),
                               rcond=None)[0]  # the same minimiser, computed as an augmented least-squares problem
    expect_close(least_squares_probe(F.copy(), y.copy(), K, lam), expected,
                 name=f"probe N={N}, D={D}, K={K}, lam={lam}", rtol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl+S), then run the cell below: it checks the saved notebook against the visible tests the
# same way `dlcourse check` does, in a sandbox like the grader's, and prints a score out of the visible points.

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
from dlcourse.grading import check_this_notebook

check_this_notebook()
