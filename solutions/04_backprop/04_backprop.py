# %% [markdown]
# # Exercise 04: backpropagation
#
# Five parts, eleven points: a tiny network backpropagated by hand, the backward steps of a scalar autograd graph,
# and the backward of array operations with broadcasting. Write each answer with NumPy between the lines that say
# `YOUR CODE HERE`; do not call `dlcourse.autograd`, `dlcourse.nn` or `torch` (they cannot be imported when graded).
#
# Check your work at any time: run the test cell under each answer, or, from a terminal,
# `dlcourse check 04_backprop.ipynb` for a score out of the visible tests. The grader also runs hidden tests on
# other inputs, so make your code right for every input, not just for the example.
#
# Notation as in chapter 04: $\bar v = \partial L / \partial v$ is the gradient of the loss with respect to $v$; in
# code `dv` (or `v.grad`). `dout` is the gradient arriving from above, with the shape of an operation's output.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false} dlcourse={"forbid": ["torch", "dlcourse.autograd", "dlcourse.nn"]}
import numpy as np

from dlcourse.grading import expect_close, expect_true

# %% [markdown]
# ## 1. Backprop by hand (2 points)
#
# The network of chapter 04, section 3, for one input $x \in \mathbb{R}^D$ with $H$ sigmoid hidden units, a linear
# output and the squared error (weights in PyTorch's (out, in) layout):
#
# $$z = W_1 x + b_1, \qquad h = \sigma(z), \qquad \hat y = w_2^\top h + b_2, \qquad L = (\hat y - y)^2,$$
#
# with $W_1$ (H, D), $b_1$ (H,), $w_2$ (H,), $b_2$ and $y$ numbers. Write `tiny_backprop` to run the forward pass and
# then the backward pass with the chain rule, one local derivative at a time, and return
# `(L, dW1, db1, dw2, db2)`, each gradient with the shape of its parameter. Useful: $\sigma'(z) = h(1 - h)$, and
# $\partial z_i / \partial W_{1,ij} = x_j$, so $\bar W_1$ is an outer product (`np.outer`). No Python loops needed.

# %% nbgrader={"grade": false, "grade_id": "tiny_backprop", "locked": false, "schema_version": 3, "solution": true, "task": false}
def tiny_backprop(x, y, W1, b1, w2, b2):
    """x: (D,), y: float, W1: (H, D), b1: (H,), w2: (H,), b2: float
    -> (L: float, dW1: (H, D), db1: (H,), dw2: (H,), db2: float)."""
    ### BEGIN SOLUTION
    z = W1 @ x + b1
    h = 1.0 / (1.0 + np.exp(-z))
    y_hat = w2 @ h + b2
    loss = (y_hat - y) ** 2
    dy_hat = 2.0 * (y_hat - y)
    dw2, db2 = dy_hat * h, dy_hat
    dz = dy_hat * w2 * h * (1.0 - h)  # through y_hat = w2.h + b2, then through the sigmoid
    return loss, np.outer(dz, x), dz, dw2, db2
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "tiny_backprop_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Test cells import what they use: the grader runs them in a process of its own, without your cells.
import numpy as np
from dlcourse.grading import expect_close, expect_true

# With W1 = 0 and b1 = 0: z = 0, h = (1/2, 1/2), y_hat = 1/2 + 1/2 + 0 = 1, L = (1 - 0)^2 = 1.
# Backwards: dy_hat = 2 (y_hat - y) = 2, so db2 = 2 and dw2 = 2 h = (1, 1); dh = 2 w2 = (2, 2);
# dz = dh * h (1 - h) = (0.5, 0.5) = db1; dW1 = outer(dz, x) with x = (1, 2).
result = tiny_backprop(np.array([1.0, 2.0]), 0.0, np.zeros((2, 2)), np.zeros(2), np.array([1.0, 1.0]), 0.0)
expect_true(isinstance(result, tuple) and len(result) == 5, "tiny_backprop must return (L, dW1, db1, dw2, db2)")
loss, dW1, db1, dw2, db2 = result
expect_close(loss, 1.0, name="L")
expect_close(db2, 2.0, name="db2")
expect_close(dw2, [1.0, 1.0], name="dw2")
expect_close(db1, [0.5, 0.5], name="db1")
expect_close(dW1, [[0.5, 1.0], [0.5, 1.0]], name="dW1")
print("✓ tiny_backprop: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(401)  # a generator of the test's own: inputs a student cannot predict or disturb
for D, H in [(3, 4), (1, 1), (5, 2)]:
    x, W1, b1, w2 = rng.normal(size=D), rng.normal(size=(H, D)), rng.normal(size=H), rng.normal(size=H)
    y, b2 = float(rng.normal()), float(rng.normal())
    got = tiny_backprop(x, y, W1, b1, w2, b2)
    expect_true(isinstance(got, tuple) and len(got) == 5, "tiny_backprop must return (L, dW1, db1, dw2, db2)")
    h = 0.5 * (1.0 + np.tanh(0.5 * (W1 @ x + b1)))  # the sigmoid by another route
    err = 2.0 * (w2 @ h + b2 - y)
    dz = err * w2 * h * (1.0 - h)
    for name, value, expected in zip(["L", "dW1", "db1", "dw2", "db2"], got,
                                     [(err / 2.0) ** 2, dz[:, None] * x[None, :], dz, err * h, err]):
        expect_close(value, expected, name=f"{name} with D = {D}, H = {H}")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. A scalar autograd engine (4 points)
#
# A small version of the graph `dlcourse.autograd.Value` records, written as plain data. A *graph* is a list of
# nodes in the order they were created, so each node's inputs come before it: a leaf is `("leaf",)`, an operation
# is `(op, i)` or `(op, i, j)` with `op` one of `"add"`, `"mul"`, `"sigmoid"`, `"tanh"`, `"exp"` and `i`, `j` the
# indices of its inputs. `values[k]` is node k's value from the forward pass. For example `x * x + x` with
# $x = 3$ is `graph = [("leaf",), ("mul", 0, 0), ("add", 1, 0)]`, `values = [3.0, 9.0, 12.0]`.
#
# - `local_grads(op, inputs, out)` (2 points, tested in two parts): the local derivatives
#   $\partial\,\text{out} / \partial\,\text{input}$ of one node, one per input. `"add"` and `"sigmoid"` are written
#   for you as examples; fill in `"mul"` ($\partial(ab)/\partial a = b$, $\partial(ab)/\partial b = a$, 1 point)
#   and `"tanh"`, `"exp"` (written with the output `out`, 1 point).
# - `backward(graph, values)` (2 points): the gradient of the last node with respect to every node. Start with
#   gradient 1 for the last node and 0 for every other, then visit the nodes from last to first (each node *after*
#   all the nodes that use it: a topological order walked in reverse) and add each node's gradient, times the
#   local derivatives, into its inputs' gradients. The graphs it is graded on use only `"add"` and `"sigmoid"`,
#   so write their local derivatives inline here (each answer is graded on its own).
#
# Always *add* to a gradient (`+=`): a node used twice (as in `x * x`) must receive both contributions.

# %% nbgrader={"grade": false, "grade_id": "local_grads", "locked": false, "schema_version": 3, "solution": true, "task": false}
def local_grads(op, inputs, out):
    """op: "add", "mul", "sigmoid", "tanh" or "exp"; inputs: tuple of the input values (floats); out: the node's
    value (float) -> tuple of floats, d out / d input for each input."""
    if op == "add":  # given: d(a + b)/da = d(a + b)/db = 1
        return (1.0, 1.0)
    if op == "sigmoid":  # given: a function of one input, its derivative written with the output
        return (out * (1.0 - out),)
    ### BEGIN SOLUTION
    if op == "mul":
        a, b = inputs
        return (b, a)
    if op == "tanh":
        return (1.0 - out**2,)
    if op == "exp":
        return (out,)
    ### END SOLUTION
    raise ValueError(f"unknown op {op!r}")


# %% nbgrader={"grade": true, "grade_id": "local_grads_mul_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# out = a * b with a = 3, b = 4: d out/da = b = 4 and d out/db = a = 3.
got = local_grads("mul", (3.0, 4.0), 12.0)
expect_true(len(got) == 2, f"local_grads of a product must return two derivatives, got {len(got)}")
expect_close(np.array(got, dtype=float), [4.0, 3.0], name='local_grads("mul", (3, 4), 12)')
print("✓ local_grads (mul): visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(402)
for _ in range(10):
    a, b = (float(v) for v in rng.normal(size=2))
    got = local_grads("mul", (a, b), a * b)
    expect_close(np.array(got, dtype=float), [b, a], name=f'local_grads("mul", ({a:.3f}, {b:.3f}), a * b)')
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "local_grads_unary_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# tanh'(0) = 1 - tanh(0)^2 = 1; exp' = exp, so at x = ln 2 (output 2) the derivative is 2.
expect_close(np.array(local_grads("tanh", (0.0,), 0.0), dtype=float), [1.0], name='local_grads("tanh", (0,), 0)')
expect_close(np.array(local_grads("exp", (np.log(2.0),), 2.0), dtype=float), [2.0],
             name='local_grads("exp", (ln 2,), 2)')
print("✓ local_grads (tanh, exp): visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(403)
for value in rng.normal(scale=2.0, size=10):
    value = float(value)
    got = local_grads("tanh", (value,), float(np.tanh(value)))
    expect_close(np.array(got, dtype=float), [1.0 / np.cosh(value) ** 2], name=f"tanh'({value:.3f})")
    got = local_grads("exp", (value,), float(np.exp(value)))
    expect_close(np.array(got, dtype=float), [np.exp(value)], name=f"exp'({value:.3f})")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def backward(graph, values):
    """graph: list of nodes ("leaf",), ("add", i, j) or ("sigmoid", i), inputs before the node that uses them;
    values: list of floats, each node's value -> list of floats, d(last node)/d(node) for every node."""
    ### BEGIN SOLUTION
    grads = [0.0] * len(graph)
    grads[-1] = 1.0
    for k in range(len(graph) - 1, -1, -1):  # creation order reversed: every user of a node comes first
        op, *inputs = graph[k]
        if op == "add":
            local = [1.0, 1.0]
        elif op == "sigmoid":
            local = [values[k] * (1.0 - values[k])]
        else:
            continue  # a leaf
        for i, derivative in zip(inputs, local, strict=True):
            grads[i] += derivative * grads[k]
    return grads
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "backward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# y = sigmoid(a + b) + a at a = b = 0: dy/da = sigmoid'(0) * 1 + 1 = 1/4 + 1 = 1.25 (two paths, added),
# dy/db = 1/4, and dy/dy = 1.
graph = [("leaf",), ("leaf",), ("add", 0, 1), ("sigmoid", 2), ("add", 3, 0)]
got = backward(graph, [0.0, 0.0, 0.0, 0.5, 0.5])
expect_true(len(got) == 5, f"backward must return one gradient per node (5), got {len(got)}")
expect_close(np.array(got, dtype=float), [1.25, 0.25, 0.25, 1.0, 1.0], name="gradients for y = sigmoid(a + b) + a")
# c = a + a, d = c + c: d = 4a, so a's gradient is 4 (c's must be complete before it is pushed to a).
got = backward([("leaf",), ("add", 0, 0), ("add", 1, 1)], [1.0, 2.0, 4.0])
expect_close(np.array(got, dtype=float), [4.0, 2.0, 1.0], name="gradients for d = (a + a) + (a + a)")
print("✓ backward: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(404)


def forward(graph, leaves):
    values, leaf = [], iter(leaves)
    for node in graph:
        if node[0] == "leaf":
            values.append(float(next(leaf)))
        elif node[0] == "add":
            values.append(values[node[1]] + values[node[2]])
        else:
            values.append(float(1.0 / (1.0 + np.exp(-values[node[1]]))))
    return values


for case in range(8):
    graph = [("leaf",)] * 3
    for _ in range(int(rng.integers(3, 12))):
        i, j = (int(v) for v in rng.integers(len(graph), size=2))
        graph.append(("add", i, j) if rng.random() < 0.5 else ("sigmoid", i))
    leaves = rng.normal(size=3)
    got = backward(graph, forward(graph, leaves))
    expected = []
    for k in range(3):  # central differences, leaf by leaf
        plus, minus = leaves.copy(), leaves.copy()
        plus[k] += 1e-6
        minus[k] -= 1e-6
        expected.append((forward(graph, plus)[-1] - forward(graph, minus)[-1]) / 2e-6)
    expect_close(np.array(got[:3], dtype=float), np.array(expected), name=f"leaf gradients of random graph {case}",
                 rtol=1e-5, atol=1e-7)
# A chain of 200 additions x + 0.1 + 0.1 + ...: the gradient at the start is 1 (no recursion limit to hit).
chain = [("leaf",)]
for _ in range(200):
    chain += [("leaf",), ("add", len(chain) - 1, len(chain))]
got = backward(chain, forward(chain, [0.3] + [0.1] * 200))
expect_close(float(got[0]), 1.0, name="the gradient at the start of a chain of 200 additions")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Summing a gradient back to a broadcast shape (2 points)
#
# In `out = x + b` with `x` of shape (N, D) and `b` of shape (D,), NumPy uses every `b[j]` in all N rows, so
# $\bar b_j = \sum_n \overline{\text{out}}_{nj}$: the gradient is summed over the copies. In general an input of
# shape `shape` was broadcast to the output's shape by (1) prepending axes and (2) stretching axes of size 1.
# Write `unbroadcast(grad, shape)`: sum `grad` over the prepended axes, then (keeping them, `keepdims=True`) over
# the axes where `shape` has size 1 but `grad` does not. Do not change `grad` in place.

# %% nbgrader={"grade": false, "grade_id": "unbroadcast", "locked": false, "schema_version": 3, "solution": true, "task": false}
def unbroadcast(grad, shape):
    """grad: (*out_shape), the gradient of a broadcast result; shape: a shape that broadcasts to out_shape
    -> an array of `shape`, each element the sum of the gradients of all its copies."""
    ### BEGIN SOLUTION
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))  # the axes broadcasting prepended
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True) if stretched else grad
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "unbroadcast_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

grad = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])  # the gradient of a (2, 3) result
# A (3,) input was added to both rows: its gradient is the column sums.
expect_close(unbroadcast(grad, (3,)), [3.0, 5.0, 7.0], name="unbroadcast(grad, (3,))")
# A (2, 1) input was copied along the columns: the row sums, keeping the shape (2, 1).
expect_close(unbroadcast(grad, (2, 1)), [[3.0], [12.0]], name="unbroadcast(grad, (2, 1))")
# A scalar was used in all six places: the total.
expect_close(unbroadcast(grad, ()), 15.0, name="unbroadcast(grad, ())")
# Nothing was broadcast: nothing changes.
expect_close(unbroadcast(grad, (2, 3)), grad, name="unbroadcast(grad, (2, 3))")
print("✓ unbroadcast: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(405)


def summed_copies(grad, shape):
    """Each output position's gradient added into the input element it was copied from (np.bincount)."""
    source = np.broadcast_to(np.arange(int(np.prod(shape))).reshape(shape), grad.shape)
    return np.bincount(source.ravel(), weights=grad.ravel(), minlength=int(np.prod(shape))).reshape(shape)


for out_shape, shape in [((4, 3), (3,)), ((4, 3), (4, 1)), ((2, 3, 4), (3, 1)), ((2, 3, 4), ()),
                         ((2, 3, 4), (2, 1, 4)), ((5,), (5,)), ((2, 1, 4), (1, 1)), ((3, 2, 5), (1, 2, 1))]:
    grad = rng.normal(size=out_shape)
    got = unbroadcast(grad, shape)
    expect_close(got, summed_copies(grad, shape), name=f"unbroadcast of a {out_shape} gradient to {shape}")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. The backward of a broadcasting product (1 point)
#
# `out = a * b`, elementwise, where `a` and `b` may have different shapes that broadcast together. Locally
# $\partial\,\text{out}/\partial a = b$ and $\partial\,\text{out}/\partial b = a$, so first `dout * b` and
# `dout * a` (both of the output's shape), then each summed back to its input's shape as in part 3. Return
# `(da, db)` with the shapes of `a` and `b`.
#
# Each answer is graded on its own, so do not call your `unbroadcast` from part 3 here: write the summing again in
# this cell (a small helper function inside this cell is fine).

# %% nbgrader={"grade": false, "grade_id": "mul_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mul_backward(dout, a, b):
    """dout: (*out_shape) gradient of out = a * b; a, b: arrays whose shapes broadcast to out_shape
    -> (da: a.shape, db: b.shape)."""
    ### BEGIN SOLUTION
    def sum_to(grad, shape):
        grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
        stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
        return grad.sum(axis=stretched, keepdims=True) if stretched else grad

    return sum_to(dout * b, np.shape(a)), sum_to(dout * a, np.shape(b))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "mul_backward_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close

# An outer product by broadcasting: a (3, 1) times b (1, 4) gives out (3, 4) with out[i, j] = a[i] b[j].
# With dout all ones: da[i] = sum_j b[j] = 1111 for every i, and db[j] = sum_i a[i] = 6 for every j.
a, b = np.array([[1.0], [2.0], [3.0]]), np.array([[1.0, 10.0, 100.0, 1000.0]])
da, db = mul_backward(np.ones((3, 4)), a, b)
expect_close(da, [[1111.0], [1111.0], [1111.0]], name="da for a (3, 1) times a (1, 4)")
expect_close(db, [[6.0, 6.0, 6.0, 6.0]], name="db for a (3, 1) times a (1, 4)")
print("✓ mul_backward: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(406)


def summed_copies(grad, shape):
    source = np.broadcast_to(np.arange(int(np.prod(shape))).reshape(shape), grad.shape)
    return np.bincount(source.ravel(), weights=grad.ravel(), minlength=int(np.prod(shape))).reshape(shape)


for a_shape, b_shape in [((3, 4), (3, 4)), ((3, 4), (4,)), ((5, 1), (1, 6)), ((2, 3, 4), ()), ((4,), (2, 3, 4)),
                         ((2, 1, 4), (3, 1))]:
    a, b = rng.normal(size=a_shape), rng.normal(size=b_shape)
    dout = rng.normal(size=np.broadcast_shapes(a_shape, b_shape))
    got = mul_backward(dout, a, b)
    expect_close(got[0], summed_copies(dout * b, a_shape), name=f"da for shapes {a_shape} * {b_shape}")
    expect_close(got[1], summed_copies(dout * a, b_shape), name=f"db for shapes {a_shape} * {b_shape}")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. The backward of a batched matrix product (2 points)
#
# For $Y = AB$ with $A$ (N, D), $B$ (D, M) and $\bar Y$ (N, M), chapter 04 derived
#
# $$\bar A = \bar Y B^\top \;\; (N, D), \qquad \bar B = A^\top \bar Y \;\; (D, M).$$
#
# NumPy's `a @ b` also works on stacks of matrices: `a` (*, N, D) and `b` (*, D, M) give (*, N, M), where the
# leading batch axes broadcast like elementwise operations. So `x @ W` with `x` (B, N, D) and `W` (D, M) uses the
# same `W` for all B matrices, and $\bar W$ is the sum of the B products $A_i^\top \bar Y_i$. Write
# `matmul_backward(dout, a, b)` for `a` and `b` with at least 2 dimensions: swap the last two axes with
# `np.swapaxes(x, -1, -2)` (not `.T`, which reverses all axes), multiply, then sum each result back to its input's
# shape. As in part 4, write the summing in this cell.

# %% nbgrader={"grade": false, "grade_id": "matmul_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def matmul_backward(dout, a, b):
    """dout: (*, N, M) gradient of out = a @ b; a: (*, N, D); b: (*, D, M), batch axes broadcasting
    -> (da: a.shape, db: b.shape)."""
    ### BEGIN SOLUTION
    def sum_to(grad, shape):
        grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
        stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
        return grad.sum(axis=stretched, keepdims=True) if stretched else grad

    da = dout @ np.swapaxes(b, -1, -2)  # (*, N, M) @ (*, M, D) -> (*, N, D)
    db = np.swapaxes(a, -1, -2) @ dout  # (*, D, N) @ (*, N, M) -> (*, D, M)
    return sum_to(da, a.shape), sum_to(db, b.shape)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "matmul_backward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close

# (1, 2) @ (2, 1): out = 1*3 + 2*4 = 11. With dout = 1: da = dout b^T = [[3, 4]], db = a^T dout = [[1], [2]].
da, db = matmul_backward(np.array([[1.0]]), np.array([[1.0, 2.0]]), np.array([[3.0], [4.0]]))
expect_close(da, [[3.0, 4.0]], name="da for [[1, 2]] @ [[3], [4]]")
expect_close(db, [[1.0], [2.0]], name="db for [[1, 2]] @ [[3], [4]]")
# A stack of 3 matrices (2, 4) times one (4, 5), all ones: each entry of dout @ b^T sums 5 ones, and b is used by
# all 3 matrices, each contributing a^T dout with entries 2 (the N = 2 rows), so db = 3 * 2 = 6 everywhere.
da, db = matmul_backward(np.ones((3, 2, 5)), np.ones((3, 2, 4)), np.ones((4, 5)))
expect_close(da, np.full((3, 2, 4), 5.0), name="da for (3, 2, 4) @ (4, 5)")
expect_close(db, np.full((4, 5), 6.0), name="db for (3, 2, 4) @ (4, 5), summed over the 3 matrices")
print("✓ matmul_backward: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(407)


def summed_copies(grad, shape):
    source = np.broadcast_to(np.arange(int(np.prod(shape))).reshape(shape), grad.shape)
    return np.bincount(source.ravel(), weights=grad.ravel(), minlength=int(np.prod(shape))).reshape(shape)


for a_shape, b_shape in [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)),
                         ((2, 3, 4), (2, 4, 5)), ((1, 1), (1, 3))]:
    a, b = rng.normal(size=a_shape), rng.normal(size=b_shape)
    batch = np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    full_a = np.broadcast_to(a, batch + a_shape[-2:])
    full_b = np.broadcast_to(b, batch + b_shape[-2:])
    dout = rng.normal(size=batch + (a_shape[-2], b_shape[-1]))
    got = matmul_backward(dout, a, b)
    # one product per matrix of the stack, written with einsum, then added into the matrix it was copied from
    expect_close(got[0], summed_copies(np.einsum("...nm,...dm->...nd", dout, full_b), a_shape),
                 name=f"da for shapes {a_shape} @ {b_shape}")
    expect_close(got[1], summed_copies(np.einsum("...nd,...nm->...dm", full_a, dout), b_shape),
                 name=f"db for shapes {a_shape} @ {b_shape}")
### END HIDDEN TESTS

# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl+S), then run the cell below: it checks the saved notebook against the visible tests the
# same way `dlcourse check` does, in a sandbox like the grader's, and prints a score out of the visible points.

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
from dlcourse.grading import check_this_notebook

check_this_notebook()
