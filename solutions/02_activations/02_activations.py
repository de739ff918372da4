# %% [markdown]
# # Exercise 02: activation functions
#
# Six functions, each worth points: activations and, separately, their derivatives. Write each one with NumPy
# between the lines that say `YOUR CODE HERE`; do not call `dlcourse.nn` or `torch` (they cannot be imported when graded).
# Every function takes an array of any shape and works elementwise (softmax along one axis), without Python loops.
#
# Check your work at any time: run the test cell under each function, the last cell, or, from a terminal,
# `dlcourse check 02_activations.ipynb` for a score out of the visible tests. The grader also runs hidden tests on
# other inputs, so make your code right for every input, not just for the example.
#
# **Numerical stability.** The hidden tests feed inputs as large as $\pm 1000$, and every result must be a finite,
# right number. A float64 holds numbers up to about $1.8 \times 10^{308} \approx e^{709.8}$, so `np.exp(1000)`
# overflows to `inf` (and `inf / inf` is NaN): arrange your formulas so that `np.exp` only ever sees numbers
# $\le 0$.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false} dlcourse={"forbid": ["torch", "dlcourse.nn"]}
import numpy as np

from dlcourse.grading import expect_close, expect_equal, expect_true

# %% [markdown]
# ## 1. A stable sigmoid (2 points)
#
# $$\sigma(x) = \frac{1}{1 + e^{-x}}.$$
# For $x \ll 0$ the term $e^{-x}$ overflows. Multiplying the top and bottom by $e^{x}$ gives an equal form,
# $\sigma(x) = \dfrac{e^{x}}{1 + e^{x}}$, that is safe exactly where the first is not. With $e = e^{-|x|} \in (0, 1]$:
# $$\sigma(x) = \begin{cases} \dfrac{1}{1 + e} & x \ge 0, \\[1ex] \dfrac{e}{1 + e} & x < 0. \end{cases}$$
# Write `sigmoid(x)` for an array of any shape; it returns the same shape. (`np.where` picks elementwise between
# two arrays.)

# %% nbgrader={"grade": false, "grade_id": "sigmoid", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sigmoid(x):
    """Logistic sigmoid, elementwise and without overflow. x: any shape -> same shape, values in [0, 1]."""
    ### BEGIN SOLUTION
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "sigmoid_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Test cells import what they use: the grader runs them in a process of its own, without your cells.
import numpy as np
from dlcourse.grading import expect_close, expect_true

# sigma(0) = 1/2; sigma(ln 3) = 1 / (1 + 1/3) = 3/4; and sigma(-x) = 1 - sigma(x), so sigma(-ln 3) = 1/4.
expect_close(sigmoid(np.array([0.0, np.log(3.0), -np.log(3.0)])), [0.5, 0.75, 0.25], name="sigmoid([0, ln 3, -ln 3])")
# Elementwise: a (2, 2) input gives a (2, 2) output.
expect_close(sigmoid(np.zeros((2, 2))), np.full((2, 2), 0.5), name="sigmoid of a (2, 2) array of zeros")
print("✓ sigmoid: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(201)  # a generator of the test's own: inputs a student cannot predict or disturb
for shape in [(5,), (3, 4), (2, 3, 4)]:
    x = rng.normal(scale=4.0, size=shape)
    got = sigmoid(x)
    # 1/(1+e^-x) = (1 + tanh(x/2)) / 2: a different, overflow-free route to the same numbers
    expect_close(got, 0.5 * (1.0 + np.tanh(x / 2.0)), name=f"sigmoid on a random array of shape {shape}")
x = np.concatenate([[-1000.0, -710.0, -50.0, 0.0, 50.0, 710.0, 1000.0], rng.normal(scale=1000.0, size=20)])
got = sigmoid(x)
expect_true(np.isfinite(got).all(), "sigmoid overflows for large |x|: let np.exp see only -|x|")
expect_close(got, 0.5 * (1.0 + np.tanh(x / 2.0)), name="sigmoid for |x| up to 1000")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. The sigmoid's derivative (1 point)
#
# Differentiating $\sigma(x) = (1 + e^{-x})^{-1}$ gives
# $$\sigma'(x) = \frac{e^{-x}}{(1 + e^{-x})^2} = \sigma(x)\,\bigl(1 - \sigma(x)\bigr).$$
# It peaks at $\sigma'(0) = 1/4$ and is symmetric, $\sigma'(-x) = \sigma'(x)$, which gives a form that never
# overflows: $\sigma'(x) = e^{-|x|} / (1 + e^{-|x|})^2$. Write `sigmoid_grad(x)` on its own (do not call your
# `sigmoid`: each function is graded separately).

# %% nbgrader={"grade": false, "grade_id": "sigmoid_grad", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sigmoid_grad(x):
    """Derivative of the sigmoid, elementwise, without overflow. x: any shape -> same shape, values in [0, 1/4]."""
    ### BEGIN SOLUTION
    e = np.exp(-np.abs(x))  # sigma' is even, so use the side where exp cannot overflow
    return e / (1.0 + e) ** 2
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "sigmoid_grad_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# sigma(0) = 1/2, so sigma'(0) = 1/2 * 1/2 = 1/4; sigma(ln 3) = 3/4, so sigma'(+-ln 3) = 3/4 * 1/4 = 3/16.
x = np.array([0.0, np.log(3.0), -np.log(3.0)])
expect_close(sigmoid_grad(x), [0.25, 3 / 16, 3 / 16], name="sigmoid_grad([0, ln 3, -ln 3])")
print("✓ sigmoid_grad: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(202)
for shape in [(6,), (4, 3), (2, 2, 5)]:
    x = rng.normal(scale=4.0, size=shape)
    got = sigmoid_grad(x)
    s = 0.5 * (1.0 + np.tanh(x / 2.0))
    expect_close(got, s * (1.0 - s), name=f"sigmoid_grad on a random array of shape {shape}")
x = np.concatenate([[-1000.0, -710.0, 0.0, 710.0, 1000.0], rng.normal(scale=1000.0, size=20)])
got = sigmoid_grad(x)
expect_true(np.isfinite(got).all(), "sigmoid_grad overflows for large |x|: let np.exp see only -|x|")
s = 0.5 * (1.0 + np.tanh(x / 2.0))
expect_close(got, s * (1.0 - s), name="sigmoid_grad for |x| up to 1000")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The ReLU's derivative (1 point)
#
# $\mathrm{ReLU}(x) = \max(0, x)$ has slope 1 for $x > 0$ and 0 for $x < 0$. At $x = 0$ it has no derivative;
# frameworks must pick a value, and PyTorch picks 0:
# $$\mathrm{ReLU}'(x) = \begin{cases} 1 & x > 0, \\ 0 & x \le 0. \end{cases}$$
# Write `relu_grad(x)` returning floats (0.0 and 1.0) of the same shape and dtype as `x`, not booleans:
# a backward pass multiplies it with the incoming gradient.

# %% nbgrader={"grade": false, "grade_id": "relu_grad", "locked": false, "schema_version": 3, "solution": true, "task": false}
def relu_grad(x):
    """Derivative of ReLU, 0 at x = 0. x: any shape, float -> same shape and dtype, values 0.0 or 1.0."""
    ### BEGIN SOLUTION
    return (x > 0).astype(x.dtype)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "relu_grad_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_equal, expect_true

# Slope 0 left of zero, 1 right of it, and (by PyTorch's convention) 0 at zero itself.
got = relu_grad(np.array([-2.0, 0.0, 3.0]))
expect_equal(got, [0.0, 0.0, 1.0], name="relu_grad([-2, 0, 3])")
expect_true(got.dtype == np.float64, f"relu_grad must return floats of x's dtype (float64 here), got {got.dtype}")
print("✓ relu_grad: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(203)
for shape in [(7,), (3, 5), (2, 3, 4)]:
    x = rng.normal(size=shape)
    x[rng.random(shape) < 0.3] = 0.0  # exact zeros: the convention matters
    got = relu_grad(x)
    expect_equal(got, np.where(x > 0, 1.0, 0.0), name=f"relu_grad on a random array of shape {shape}")
    expect_true(got.dtype == np.float64, f"relu_grad must return floats of x's dtype, got {got.dtype}")
x = rng.normal(size=(4, 4)).astype(np.float32)
got = relu_grad(x)
expect_equal(got, np.where(x > 0, 1.0, 0.0), name="relu_grad on a float32 array")
expect_true(got.dtype == np.float32, f"relu_grad on float32 input must return float32, got {got.dtype}")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Leaky ReLU (1 point)
#
# A ReLU whose input stays negative passes no gradient and may never recover (a *dead* unit). Leaky ReLU keeps a
# small slope $a$ (`negative_slope`, 0.01 by default, as in `torch.nn.LeakyReLU`) on the left:
# $$\mathrm{LeakyReLU}(x) = \begin{cases} x & x > 0, \\ a\,x & x \le 0. \end{cases}$$
# Write `leaky_relu(x, negative_slope=0.01)`; return a new array and leave `x` unchanged.

# %% nbgrader={"grade": false, "grade_id": "leaky_relu", "locked": false, "schema_version": 3, "solution": true, "task": false}
def leaky_relu(x, negative_slope=0.01):
    """Leaky ReLU, elementwise. x: any shape, negative_slope: float -> same shape; x itself is not changed."""
    ### BEGIN SOLUTION
    return np.where(x > 0, x, negative_slope * x)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "leaky_relu_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close

# With slope 0.1: -2 -> -0.2, 0 -> 0, 3 -> 3 (positive inputs pass unchanged).
expect_close(leaky_relu(np.array([-2.0, 0.0, 3.0]), 0.1), [-0.2, 0.0, 3.0], name="leaky_relu([-2, 0, 3], 0.1)")
# The default slope is 0.01: -100 -> -1.
expect_close(leaky_relu(np.array([-100.0, 5.0])), [-1.0, 5.0], name="leaky_relu([-100, 5]) with the default slope")
print("✓ leaky_relu: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(204)
for shape, slope in [((8,), 0.2), ((3, 4), 0.01), ((2, 3, 2), 0.5), ((5,), 0.0)]:
    x = rng.normal(scale=3.0, size=shape)
    expected = np.maximum(x, 0) + slope * np.minimum(x, 0)
    got = leaky_relu(x, slope)
    expect_close(got, expected, name=f"leaky_relu, shape {shape}, slope {slope}")
x = rng.normal(size=(6, 2))
expect_close(leaky_relu(x), np.maximum(x, 0) + 0.01 * np.minimum(x, 0),
             name="leaky_relu with the default slope")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Leaky ReLU's derivative (1 point)
#
# $$\mathrm{LeakyReLU}'(x) = \begin{cases} 1 & x > 0, \\ a & x \le 0, \end{cases}$$
# taking, like PyTorch, the left slope at $x = 0$ (so with $a = 0$ this is `relu_grad`).
# Write `leaky_relu_grad(x, negative_slope=0.01)`, same shape as `x`.

# %% nbgrader={"grade": false, "grade_id": "leaky_relu_grad", "locked": false, "schema_version": 3, "solution": true, "task": false}
def leaky_relu_grad(x, negative_slope=0.01):
    """Derivative of leaky ReLU, negative_slope at x = 0. x: any shape, negative_slope: float -> same shape."""
    ### BEGIN SOLUTION
    return np.where(x > 0, 1.0, negative_slope).astype(x.dtype)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "leaky_relu_grad_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close

# Slope a = 0.1 at -2 and (left slope) at 0, slope 1 at 3.
expect_close(leaky_relu_grad(np.array([-2.0, 0.0, 3.0]), 0.1), [0.1, 0.1, 1.0],
             name="leaky_relu_grad([-2, 0, 3], 0.1)")
expect_close(leaky_relu_grad(np.array([-1.0, 1.0])), [0.01, 1.0],
             name="leaky_relu_grad([-1, 1]) with the default slope")
print("✓ leaky_relu_grad: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(205)
for shape, slope in [((9,), 0.2), ((4, 3), 0.01), ((2, 2, 3), 0.3), ((6,), 0.0)]:
    x = rng.normal(size=shape)
    x[rng.random(shape) < 0.3] = 0.0
    got = leaky_relu_grad(x, slope)
    expect_close(got, np.where(x > 0, 1.0, slope), name=f"leaky_relu_grad, shape {shape}, slope {slope}")
x = rng.normal(size=(3, 3))
expect_close(leaky_relu_grad(x), np.where(x > 0, 1.0, 0.01),
             name="leaky_relu_grad with the default slope")
### END HIDDEN TESTS

# %% [markdown]
# ## 6. A stable softmax along any axis (3 points)
#
# Softmax turns a vector of $K$ scores (logits) $z$ into probabilities:
# $$\mathrm{softmax}(z)_i = \frac{e^{z_i}}{\sum_{j=1}^{K} e^{z_j}}.$$
# Adding the same constant $c$ to every $z_j$ multiplies top and bottom by $e^{c}$, so it changes nothing. With
# $c = -\max_j z_j$ every exponent is $\le 0$ (no overflow) and the largest term is $e^0 = 1$ (no division by 0).
#
# Write `softmax(z, axis=-1)` for an array of any shape, normalising along `axis` (for logits of shape (N, K),
# `axis=-1` gives one distribution per row). `keepdims=True` in `max` and `sum` keeps shapes broadcastable.
# Do not change `z` in place.

# %% nbgrader={"grade": false, "grade_id": "softmax", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax(z, axis=-1):
    """Softmax along ``axis``, stable for large logits. z: any shape -> same shape, sums to 1 along ``axis``."""
    ### BEGIN SOLUTION
    shifted = z - z.max(axis=axis, keepdims=True)  # every exponent <= 0, the largest exactly 0
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "softmax_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# e^0 : e^(ln 3) = 1 : 3, so the probabilities are 1/4 and 3/4; equal logits share the mass equally.
expect_close(softmax(np.array([0.0, np.log(3.0)])), [0.25, 0.75], name="softmax([0, ln 3])")
expect_close(softmax(np.array([[2.0, 2.0, 2.0], [0.0, np.log(3.0), 0.0]])), [[1 / 3, 1 / 3, 1 / 3], [0.2, 0.6, 0.2]],
             name="softmax of a (2, 3) batch, one distribution per row")
# Along axis 0 each column is a distribution: column [0, ln 3] -> [1/4, 3/4].
expect_close(softmax(np.array([[0.0, 5.0], [np.log(3.0), 5.0]]), axis=0), [[0.25, 0.5], [0.75, 0.5]],
             name="softmax(..., axis=0)")
print("✓ softmax: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(206)


def reference(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


for shape, axis in [((5,), -1), ((4, 3), -1), ((4, 3), 0), ((2, 3, 4), 1), ((2, 3, 4), 0), ((3, 1, 5), -1)]:
    for scale, offset in [(2.0, 0.0), (30.0, 1000.0), (1000.0, 0.0)]:  # ordinary, all near 1000, spread over +-1000
        z = offset + scale * rng.normal(size=shape)
        expected = reference(z, axis)
        where = f"shape {shape}, axis {axis}, logits ~ {offset:g} +- {scale:g}"
        got = softmax(z, axis)
        expect_true(np.isfinite(got).all(), f"softmax gives NaN or inf on large logits ({where}); subtract each "
                                            "slice's own max along `axis` (keepdims=True) before np.exp")
        # rtol 1e-4: near 1000, a float32 computation keeps only about 5 significant digits of each logit.
        expect_close(got, expected, name=f"softmax, {where}", rtol=1e-4)
        sums = got.sum(axis=axis)
        expect_close(sums, np.ones(sums.shape), name=f"softmax's sums along the axis, {where}")
### END HIDDEN TESTS

# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl+S), then run the cell below: it checks the saved notebook against the visible tests the
# same way `dlcourse check` does, in a sandbox like the grader's, and prints a score out of the visible points.

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
from dlcourse.grading import check_this_notebook

check_this_notebook()
