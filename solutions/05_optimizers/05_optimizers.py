# %% [markdown]
# # Exercise 05: optimizers
#
# Five functions, 10 points in all: one step of SGD with momentum, of Adam, of RMSprop and of AdamW, with exactly
# the update rules of `torch.optim.SGD`, `Adam`, `RMSprop` and `AdamW`, so that a loop of your steps follows the
# same path as PyTorch, and the learning rate of a cosine schedule.
# Write each one with NumPy between the lines that say `YOUR CODE HERE`; do not call `dlcourse` or `torch` (a hidden
# test checks). Work on whole arrays at once: the weights may have any shape.
#
# Check your work at any time: run the test cell under each function, the last cell, or, from a terminal,
# `dlcourse check 05_optimizers.ipynb` for a score out of the visible tests. The grader also runs hidden tests on
# other inputs, so make your code right for every input, not just for the example.
#
# The step functions are *pure*: they return new arrays and leave the arrays they were given unchanged (an optimizer
# that silently edits its caller's arrays is a bug that is very hard to find).

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false} dlcourse={"forbid": ["torch", "dlcourse.optim", "dlcourse.nn"]}
import numpy as np

from dlcourse.grading import expect_close, expect_true

# %% [markdown]
# ## 1. SGD with momentum (2 points)
#
# Momentum keeps a velocity $b$ (PyTorch calls it the `momentum_buffer`) and steps along it. With gradient $g_t$,
# momentum $\mu$ and learning rate $\eta$, PyTorch's rule is
# $$b_t = \begin{cases} g_t & \text{on the first step (there is no velocity yet)} \\
# \mu\, b_{t-1} + g_t & \text{afterwards,} \end{cases} \qquad w_{t+1} = w_t - \eta\, b_t.$$
# Write `sgd_momentum_step(w, grad, velocity, lr, momentum)`; `velocity` is `None` on the first step. Return the new
# weights and the new velocity, `(new_w, new_velocity)`.

# %% nbgrader={"grade": false, "grade_id": "sgd_momentum_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sgd_momentum_step(w, grad, velocity, lr, momentum):
    """One SGD step with momentum.

    w: weights, any shape. grad: d loss / d w, w's shape. velocity: w's shape, or None before the first step.
    lr, momentum: floats. Returns (new_w, new_velocity), both of w's shape.
    """
    ### BEGIN SOLUTION
    if velocity is None:
        new_velocity = np.array(grad, copy=True)  # a copy: the caller's gradient must stay its own
    else:
        new_velocity = momentum * velocity + grad
    return w - lr * new_velocity, new_velocity
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "sgd_momentum_step_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Test cells import what they use: the grader runs them in a process of its own, without your cells.
import numpy as np
from dlcourse.grading import expect_close, expect_true

# First step: no velocity yet, so the velocity is the gradient and the step is plain gradient descent.
w, g = np.array([1.0, 2.0]), np.array([0.5, -1.0])
new_w, velocity = sgd_momentum_step(w, g, None, 0.1, 0.9)
expect_close(velocity, [0.5, -1.0], name="velocity after the first step")
expect_close(new_w, [0.95, 2.1], name="w after the first step")
# Second step with the same gradient: velocity 0.9 * [0.5, -1] + [0.5, -1] = [0.95, -1.9], so w moves 1.9 times as far.
new_w2, velocity2 = sgd_momentum_step(new_w, g, velocity, 0.1, 0.9)
expect_close(velocity2, [0.95, -1.9], name="velocity after the second step")
expect_close(new_w2, [0.855, 2.29], name="w after the second step")
print("✓ sgd_momentum_step: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(501)  # a generator of the test's own: inputs a student cannot predict or disturb
for shape in [(3,), (4, 5), (2, 3, 2), (1,)]:
    w, g, b = rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=shape)
    lr, mu = rng.uniform(0.001, 0.5), rng.uniform(0.0, 0.99)
    w_before, g_before, b_before = w.copy(), g.copy(), b.copy()
    got_w, got_b = sgd_momentum_step(w, g, b, lr, mu)
    expect_close(got_b, mu * b_before + g_before, name=f"velocity for weights of shape {shape}")
    expect_close(got_w, w_before - lr * (mu * b_before + g_before), name=f"w for weights of shape {shape}")
    got_w, got_b = sgd_momentum_step(w, g, None, lr, mu)
    expect_close(got_b, g_before, name=f"first-step velocity for weights of shape {shape}")
    expect_close(got_w, w_before - lr * g_before, name=f"first-step w for weights of shape {shape}")
# Thirty steps on the quadratic L(w) = 0.5 * sum(a * w^2), gradient a * w, against the rule written out here.
a = rng.uniform(0.5, 5.0, size=6)
w_ref, b_ref = rng.normal(size=6), None
w, b = w_ref.copy(), None
for _ in range(30):
    g_ref = a * w_ref
    b_ref = g_ref.copy() if b_ref is None else 0.7 * b_ref + g_ref
    w_ref = w_ref - 0.05 * b_ref
    w, b = sgd_momentum_step(w, a * w, b, 0.05, 0.7)
expect_close(w, w_ref, name="w after 30 steps with momentum 0.7 on a quadratic")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Adam (3 points)
#
# Adam keeps two running averages per weight, of the gradient ($m$) and of its square ($v$), both starting at 0.
# At step $t = 1, 2, \dots$:
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2,$$
# $$\hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad
# w_{t+1} = w_t - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon},$$
# all elementwise. The divisions by $1 - \beta^t$ undo the pull of the zero start (that is why $t$ counts from 1).
# Write `adam_step(w, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8)`; it returns `(new_w, new_m, new_v)`.

# %% nbgrader={"grade": false, "grade_id": "adam_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def adam_step(w, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step.

    w: weights, any shape. grad, m, v: w's shape (m and v are zeros before the first step). t: this step's number,
    1 for the first. lr, beta1, beta2, eps: floats. Returns (new_w, new_m, new_v), each of w's shape.
    """
    ### BEGIN SOLUTION
    new_m = beta1 * m + (1 - beta1) * grad
    new_v = beta2 * v + (1 - beta2) * grad**2
    m_hat = new_m / (1 - beta1**t)
    v_hat = new_v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), new_m, new_v
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "adam_step_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# First step from zero averages: m = 0.1 g and v = 0.001 g^2, but the bias corrections give m_hat = g and
# v_hat = g^2, so every weight with a nonzero gradient moves by about lr (against its gradient's sign),
# whatever the gradient's size.
w, g = np.array([1.0, -1.0, 0.5]), np.array([3.0, -0.2, 0.0])
new_w, m, v = adam_step(w, g, np.zeros(3), np.zeros(3), 1, 0.01)
expect_close(m, [0.3, -0.02, 0.0], name="m after the first step")
expect_close(v, [0.009, 0.00004, 0.0], name="v after the first step")
expect_close(new_w, [0.99, -0.99, 0.5], name="w after the first step")
# Second step, same gradient: m_hat is still g and v_hat still g^2, so the step is again lr.
new_w2, m2, v2 = adam_step(new_w, g, m, v, 2, 0.01)
expect_close(m2, [0.57, -0.038, 0.0], name="m after the second step")
expect_close(new_w2, [0.98, -0.98, 0.5], name="w after the second step")
print("✓ adam_step: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(502)


def reference_adam(w, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v


for shape in [(4,), (3, 5), (2, 2, 3)]:
    for t in [1, 2, 7, 50]:
        w, g, m = rng.normal(size=shape), rng.normal(size=shape) * 10.0 ** rng.integers(-3, 3), rng.normal(size=shape)
        v = rng.uniform(0.0, 2.0, size=shape)
        lr, beta1, beta2, eps = rng.uniform(1e-4, 0.1), rng.uniform(0.5, 0.95), rng.uniform(0.9, 0.9999), 1e-8
        before = [w.copy(), g.copy(), m.copy(), v.copy()]
        got = adam_step(w, g, m, v, t, lr, beta1, beta2, eps)
        expect_true(isinstance(got, tuple) and len(got) == 3, "adam_step must return (new_w, new_m, new_v)")
        want = reference_adam(*before, t, lr, beta1, beta2, eps)
        for name, got_part, want_part in zip(["w", "m", "v"], got, want, strict=True):
            expect_close(got_part, want_part, name=f"{name} at step t={t}, weights of shape {shape}")
# The default hyperparameters are PyTorch's: beta1 = 0.9, beta2 = 0.999, eps = 1e-8.
w, g, m, v = rng.normal(size=5), rng.normal(size=5), rng.normal(size=5), rng.uniform(0, 1, size=5)
got = adam_step(w, g, m, v, 3, 0.01)
expect_close(got[0], reference_adam(w, g, m, v, 3, 0.01, 0.9, 0.999, 1e-8)[0], name="w with the default betas and eps")
# Forty steps from zero averages on the quadratic L(w) = 0.5 * sum(a * w^2), counting t from 1.
a = rng.uniform(0.1, 10.0, size=(2, 3))
w_ref = rng.normal(size=(2, 3))
w, m, v = w_ref.copy(), np.zeros((2, 3)), np.zeros((2, 3))
m_ref, v_ref = m.copy(), v.copy()
for t in range(1, 41):
    w_ref, m_ref, v_ref = reference_adam(w_ref, a * w_ref, m_ref, v_ref, t, 0.05, 0.9, 0.999, 1e-8)
    w, m, v = adam_step(w, a * w, m, v, t, 0.05)
expect_close(w, w_ref, name="w after 40 Adam steps on a quadratic")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. RMSprop (2 points)
#
# RMSprop divides each coordinate's step by the root of a running average $v$ of its squared gradients, so steep
# coordinates get small steps and flat ones large steps, and, unlike Adagrad's ever-growing sum, the average forgets
# old gradients (chapter 05, section 6). With $v$ starting at 0:
# $$v_t = \alpha\, v_{t-1} + (1 - \alpha)\, g_t^2, \qquad w_{t+1} = w_t - \eta\,\frac{g_t}{\sqrt{v_t} + \epsilon},$$
# elementwise, with no bias correction (this is `torch.optim.RMSprop` without momentum). Write
# `rmsprop_step(w, grad, square_avg, lr, alpha=0.99, eps=1e-8)`; it returns `(new_w, new_square_avg)`.

# %% nbgrader={"grade": false, "grade_id": "rmsprop_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rmsprop_step(w, grad, square_avg, lr, alpha=0.99, eps=1e-8):
    """One RMSprop step.

    w: weights, any shape. grad, square_avg: w's shape (square_avg is zeros before the first step).
    lr, alpha, eps: floats. Returns (new_w, new_square_avg), both of w's shape.
    """
    ### BEGIN SOLUTION
    new_square_avg = alpha * square_avg + (1 - alpha) * grad**2
    return w - lr * grad / (np.sqrt(new_square_avg) + eps), new_square_avg
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "rmsprop_step_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close

# First step from v = 0 with alpha = 0.99: v = 0.01 g^2, so sqrt(v) = 0.1 |g| and every coordinate with a nonzero
# gradient moves by lr / 0.1 = 10 lr, whatever the gradient's size (the jump the chapter warns about).
w, g = np.array([1.0, -1.0, 0.5]), np.array([4.0, -0.5, 0.0])
new_w, v = rmsprop_step(w, g, np.zeros(3), 0.01)
expect_close(v, [0.16, 0.0025, 0.0], name="square_avg after the first step")
expect_close(new_w, [0.9, -0.9, 0.5], name="w after the first step")
# alpha = 0.5 and eps = 0 with v = 4, g = 2: v = 0.5 * 4 + 0.5 * 4 = 4, the step is lr * 2 / 2 = lr.
new_w, v = rmsprop_step(np.array([0.0]), np.array([2.0]), np.array([4.0]), 0.1, alpha=0.5, eps=0.0)
expect_close(v, [4.0], name="square_avg with alpha = 0.5")
expect_close(new_w, [-0.1], name="w with alpha = 0.5")
print("✓ rmsprop_step: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
from dlcourse.optim.rmsprop import rmsprop_step as reference_rmsprop

rng = np.random.default_rng(503)
for shape in [(4,), (3, 5), (2, 2, 3), (1,)]:
    for alpha, eps in [(0.99, 1e-8), (float(rng.uniform(0.5, 0.999)), 1e-6), (0.9, 0.1)]:
        w, g = rng.normal(size=shape), rng.normal(size=shape) * 10.0 ** rng.integers(-3, 3)
        v, lr = rng.uniform(0.0, 2.0, size=shape), float(rng.uniform(1e-4, 0.1))
        want_w, want_v, _, _ = reference_rmsprop(w, g, v, lr=lr, alpha=alpha, eps=eps)
        got_w, got_v = rmsprop_step(w, g, v, lr, alpha, eps)
        expect_close(got_v, want_v, name=f"square_avg for shape {shape}, alpha={alpha:.3f}, eps={eps}")
        expect_close(got_w, want_w, name=f"w for shape {shape}, alpha={alpha:.3f}, eps={eps}")
# The defaults are PyTorch's, alpha = 0.99 and eps = 1e-8; thirty steps from v = 0 on L(w) = 0.5 * sum(a * w^2).
a = rng.uniform(0.5, 5.0, size=(2, 3))
w_ref = rng.normal(size=(2, 3))
w, v, v_ref = w_ref.copy(), np.zeros((2, 3)), np.zeros((2, 3))
for _ in range(30):
    w_ref, v_ref, _, _ = reference_rmsprop(w_ref, a * w_ref, v_ref, lr=0.01)
    w, v = rmsprop_step(w, a * w, v, 0.01)
expect_close(w, w_ref, name="w after 30 RMSprop steps with the default alpha and eps")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. AdamW (2 points)
#
# An L2 penalty inside Adam is divided by $\sqrt{\hat v}$ like the rest of the gradient, so weights with large
# gradients are hardly decayed. AdamW *decouples* the decay (chapter 05, section 8): it first shrinks the weights,
# then takes the Adam step of part 2 on the loss gradient alone,
# $$w' = w_t\,(1 - \eta\lambda), \qquad w_{t+1} = w' - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon},$$
# with $m_t, v_t, \hat m_t, \hat v_t$ exactly as in part 2 (the decay never enters them). Write
# `adamw_step(w, grad, m, v, t, lr, weight_decay=0.01, beta1=0.9, beta2=0.999, eps=1e-8)` returning
# `(new_w, new_m, new_v)`; write the Adam part out again here (each function is graded on its own).

# %% nbgrader={"grade": false, "grade_id": "adamw_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def adamw_step(w, grad, m, v, t, lr, weight_decay=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
    """One AdamW step (Adam with decoupled weight decay).

    w: weights, any shape. grad, m, v: w's shape (m and v are zeros before the first step). t: this step's number,
    1 for the first. lr, weight_decay, beta1, beta2, eps: floats. Returns (new_w, new_m, new_v), each of w's shape.
    """
    ### BEGIN SOLUTION
    decayed = w * (1 - lr * weight_decay)
    new_m = beta1 * m + (1 - beta1) * grad
    new_v = beta2 * v + (1 - beta2) * grad**2
    m_hat = new_m / (1 - beta1**t)
    v_hat = new_v / (1 - beta2**t)
    return decayed - lr * m_hat / (np.sqrt(v_hat) + eps), new_m, new_v
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "adamw_step_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close

# A zero gradient leaves m and v at 0 and the Adam part at 0: only the decay acts, w * (1 - 0.1 * 0.5) = 0.95 w.
w = np.array([2.0, -4.0])
new_w, m, v = adamw_step(w, np.zeros(2), np.zeros(2), np.zeros(2), 1, 0.1, weight_decay=0.5)
expect_close(new_w, [1.9, -3.8], name="w after a pure decay step")
expect_close(m, [0.0, 0.0], name="m after a zero gradient")
# First step with a gradient: the Adam part moves each weight by lr against its gradient's sign (part 2), after
# the decay: 2 * (1 - 0.01 * 0.5) - 0.01 = 1.98 and -4 * 0.995 + 0.01 = -3.97.
new_w, m, v = adamw_step(w, np.array([3.0, -0.2]), np.zeros(2), np.zeros(2), 1, 0.01, weight_decay=0.5)
expect_close(new_w, [1.98, -3.97], name="w after the first step")
expect_close(m, [0.3, -0.02], name="m after the first step")
expect_close(v, [0.009, 0.00004], name="v after the first step")
print("✓ adamw_step: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
from dlcourse.optim.adam import adam_step as reference_adam

rng = np.random.default_rng(504)
for shape in [(4,), (3, 5), (2, 2, 3)]:
    for t in [1, 3, 40]:
        w, g, m = rng.normal(size=shape), rng.normal(size=shape) * 10.0 ** rng.integers(-2, 2), rng.normal(size=shape)
        v = rng.uniform(0.0, 2.0, size=shape)
        lr, wd = float(rng.uniform(1e-4, 0.1)), float(rng.choice([0.0, 0.01, 1.0]))
        beta1, beta2 = float(rng.uniform(0.5, 0.95)), float(rng.uniform(0.9, 0.9999))
        want = reference_adam(w, g, m, v, t, lr=lr, betas=(beta1, beta2), eps=1e-8, weight_decay=wd,
                              decoupled_weight_decay=True)[:3]
        got = adamw_step(w, g, m, v, t, lr, wd, beta1, beta2, 1e-8)
        for name, got_part, want_part in zip(["w", "m", "v"], got, want, strict=True):
            expect_close(got_part, want_part, name=f"{name} at t={t}, weight_decay={wd}, shape {shape}")
# The defaults are PyTorch's: weight_decay = 0.01, betas (0.9, 0.999), eps = 1e-8; fifty steps from zero moments
# with gradients that flip sign (chapter 05's demonstration), against the reference.
w_ref = rng.normal(size=5) + 2.0
w, m, v = w_ref.copy(), np.zeros(5), np.zeros(5)
m_ref, v_ref = m.copy(), v.copy()
for t in range(1, 51):
    g = (-1.0) ** t * np.array([100.0, 1.0, 0.01, 10.0, 0.1])
    w_ref, m_ref, v_ref, _ = reference_adam(w_ref, g, m_ref, v_ref, t, lr=0.01, weight_decay=0.01,
                                            decoupled_weight_decay=True)
    w, m, v = adamw_step(w, g, m, v, t, 0.01)
expect_close(w, w_ref, name="w after 50 AdamW steps with the defaults")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Cosine annealing (1 point)
#
# A schedule sets the learning rate of epoch $e$ (chapter 05, section 9). `CosineAnnealingLR` glides from $\eta_0$
# down to $\eta_{\min}$ along half a cosine over $T_{\max}$ epochs:
# $$\eta_e = \eta_{\min} + \tfrac12\,(\eta_0 - \eta_{\min})\,\big(1 + \cos(\pi e / T_{\max})\big).$$
# Write `cosine_lr(epoch, lr0, T_max, eta_min=0.0)` for $0 \le e \le T_{\max}$; it returns a float.

# %% nbgrader={"grade": false, "grade_id": "cosine_lr", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cosine_lr(epoch, lr0, T_max, eta_min=0.0):
    """The learning rate of epoch `epoch` (int, 0 <= epoch <= T_max) under cosine annealing. lr0, eta_min: floats."""
    ### BEGIN SOLUTION
    return float(eta_min + 0.5 * (lr0 - eta_min) * (1 + np.cos(np.pi * epoch / T_max)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "cosine_lr_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close

# cos(0) = 1 gives lr0 at the start, cos(pi / 2) = 0 gives the midpoint halfway, cos(pi) = -1 gives eta_min at T_max.
expect_close(cosine_lr(0, 0.1, 100), 0.1, name="lr at epoch 0")
expect_close(cosine_lr(50, 0.1, 100), 0.05, name="lr at epoch T_max / 2")
expect_close(cosine_lr(100, 0.1, 100), 0.0, name="lr at epoch T_max")
expect_close(cosine_lr(5, 0.3, 10, eta_min=0.1), 0.2, name="lr halfway from 0.3 down to eta_min = 0.1")
print("✓ cosine_lr: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
import torch

rng = np.random.default_rng(505)
for T_max, lr0, eta_min in [(10, 0.1, 0.0), (37, 0.5, 0.01), (1, 1.0, 0.2), (200, 3e-4, 1e-6)]:
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=lr0)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=T_max, eta_min=eta_min)
    for epoch in range(T_max + 1):
        want = scheduler.get_last_lr()[0]
        expect_close(cosine_lr(epoch, lr0, T_max, eta_min), want, rtol=1e-6, atol=1e-9,
                     name=f"lr at epoch {epoch} of T_max={T_max}, lr0={lr0}, eta_min={eta_min}")
        optimizer.step()
        scheduler.step()
for _ in range(10):
    T_max = int(rng.integers(1, 500))
    epoch, lr0 = int(rng.integers(0, T_max + 1)), float(rng.uniform(1e-4, 1.0))
    want = 0.5 * lr0 * (1 + np.cos(np.pi * epoch / T_max))
    expect_close(cosine_lr(epoch, lr0, T_max), want, atol=1e-12, name=f"lr at epoch {epoch} of {T_max}, eta_min 0")
### END HIDDEN TESTS

# %% [markdown]
# ## Going further (not graded)
#
# Your step functions are what `dlcourse.optim.SGD(momentum=...)`, `Adam`, `RMSprop` and `AdamW` do to each parameter,
# and chapter 05 shows that those follow `torch.optim` to float64 precision. To see it for yourself, run a few steps
# of `torch.optim.Adam` on a tensor whose `.grad` you set by hand, and compare with a loop of your `adam_step`.

# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl+S), then run the cell below: it checks the saved notebook against the visible tests the
# same way `dlcourse check` does, in a sandbox like the grader's, and prints a score out of the visible points.

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
from dlcourse.grading import check_this_notebook

check_this_notebook()
