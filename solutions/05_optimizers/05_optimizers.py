# %% [markdown]
# # Exercise 05: optimizers
#
# Two functions, each worth points: one step of SGD with momentum and one step of Adam, with exactly the update
# rules of `torch.optim.SGD` and `torch.optim.Adam`, so that a loop of your steps follows the same path as PyTorch.
# Write each one with NumPy between the lines that say `YOUR CODE HERE`; do not call `dlcourse` or `torch` (a hidden
# test checks). Work on whole arrays at once: the weights may have any shape.
#
# Check your work at any time: run the test cell under each function, the last cell, or, from a terminal,
# `dlcourse check 05_optimizers.ipynb` for a score out of the visible tests. The grader also runs hidden tests on
# other inputs, so make your code right for every input, not just for the example.
#
# Both functions are *pure*: they return new arrays and leave the arrays they were given unchanged (an optimizer
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
# ## Going further (not graded)
#
# Your two functions are what `dlcourse.optim.SGD(momentum=...)` and `dlcourse.optim.Adam` do to each parameter,
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
