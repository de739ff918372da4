# %% [markdown]
# # Exercise 04: backpropagation
#
# Five parts, eleven points: a tiny network backpropagated by hand, the backward steps of a scalar autograd engine,
# and the backward of array operations with broadcasting. Write each answer with NumPy between the lines that say
# `YOUR CODE HERE`; do not call `dlcourse.autograd`, `dlcourse.nn` or `torch` (a hidden test checks).
#
# Check your work at any time: run the test cell under each answer, or, from a terminal,
# `dlcourse check 04_backprop.ipynb` for a score out of the visible tests. The grader also runs hidden tests on
# other inputs, so make your code right for every input, not just for the example.
#
# Notation as in chapter 04: $\bar v = \partial L / \partial v$ is the gradient of the loss with respect to $v$; in
# code `dv` (or `v.grad`). `dout` is the gradient arriving from above, with the shape of an operation's output.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np

from dlcourse.grading import expect_close, expect_own_code, expect_true

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
# Test cells import what they use again, so that nothing a solution cell rebinds can change a test.
import numpy as np
from dlcourse.grading import expect_close, expect_own_code, expect_true

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
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(401)  # a generator of the test's own: inputs a student cannot predict or disturb
for D, H in [(3, 4), (1, 1), (5, 2)]:
    x, W1, b1, w2 = rng.normal(size=D), rng.normal(size=(H, D)), rng.normal(size=H), rng.normal(size=H)
    y, b2 = float(rng.normal()), float(rng.normal())
    got = expect_own_code(tiny_backprop, x, y, W1, b1, w2, b2)
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
# `Scalar` is a small version of `dlcourse.autograd.Value`. Each operation creates a node holding its result, the
# nodes it was computed from (`inputs`), and a function `_push` that adds the node's gradient, times the local
# derivatives, into its inputs' gradients. `__add__` and `sigmoid` are written for you as examples. Fill in
#
# - the `push` of `__mul__` (1 point): $\partial(ab)/\partial a = b$, $\partial(ab)/\partial b = a$;
# - the `push` of `tanh` and of `exp` (1 point): write the local derivative with the output `out.data`;
# - `backward` (2 points): set this node's `grad` to 1, then call `_push` of every node it depends on (itself
#   included) exactly once, each node *after* all the nodes that use it. A depth-first search that appends a node
#   after its inputs gives a topological order; walk it in reverse.
#
# Always *add* to a gradient (`+=`): a node used twice (as in `x * x`) must receive both contributions.

# %% nbgrader={"grade": false, "grade_id": "Scalar", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Scalar:
    """A number that remembers how it was computed. data: the value; grad: dL/d(this), 0.0 until backward."""

    def __init__(self, data, inputs=()):
        self.data = float(data)
        self.grad = 0.0
        self.inputs = inputs  # the Scalars this one was computed from
        self._push = lambda: None  # a leaf has no inputs to push gradient to

    def __add__(self, other):  # given: an example to follow
        out = Scalar(self.data + other.data, (self, other))

        def push():  # d(a + b)/da = d(a + b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._push = push
        return out

    def sigmoid(self):  # given: a function of one input, its derivative written with the output
        out = Scalar(1.0 / (1.0 + np.exp(-self.data)), (self,))

        def push():  # sigma'(a) = sigma(a) (1 - sigma(a))
            self.grad += out.data * (1.0 - out.data) * out.grad

        out._push = push
        return out

    def __mul__(self, other):
        out = Scalar(self.data * other.data, (self, other))

        def push():
            ### BEGIN SOLUTION
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
            ### END SOLUTION

        out._push = push
        return out

    def tanh(self):
        out = Scalar(np.tanh(self.data), (self,))

        def push():
            ### BEGIN SOLUTION
            self.grad += (1.0 - out.data**2) * out.grad
            ### END SOLUTION

        out._push = push
        return out

    def exp(self):
        out = Scalar(np.exp(self.data), (self,))

        def push():
            ### BEGIN SOLUTION
            self.grad += out.data * out.grad
            ### END SOLUTION

        out._push = push
        return out

    def backward(self):
        """Set self.grad = 1 and fill the grad of every Scalar this one depends on (call it once per graph)."""
        ### BEGIN SOLUTION
        order, seen = [], set()
        stack = [(self, False)]
        while stack:  # iterative depth-first search: a long chain must not hit the recursion limit
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in node.inputs)
        self.grad = 1.0
        for node in reversed(order):
            node._push()
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "Scalar_mul_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_own_code

# out = a * b with a = 3, b = 4 and an upstream gradient out.grad = 2:
# a.grad = 2 * b = 8 and b.grad = 2 * a = 6. We call out._push() ourselves (backward is tested separately).
a, b = Scalar(3.0), Scalar(4.0)
out = a * b
out.grad = 2.0
out._push()
expect_close(out.data, 12.0, name="(a * b).data")
expect_close(a.grad, 8.0, name="a.grad after pushing (a * b)")
expect_close(b.grad, 6.0, name="b.grad after pushing (a * b)")
# x * x uses x twice: x.grad must be 2 x = 10 (with = instead of +=, the second line overwrites the first).
x = Scalar(5.0)
square = x * x
square.grad = 1.0
square._push()
expect_close(x.grad, 10.0, name="x.grad after pushing (x * x)")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(402)


def push_mul(a_value, b_value, a_grad, b_grad, upstream):
    a, b = Scalar(a_value), Scalar(b_value)
    a.grad, b.grad = a_grad, b_grad  # gradient already collected from elsewhere: push must add to it
    out = a * b
    out.grad = upstream
    out._push()
    return out.data, a.grad, b.grad


for _ in range(10):
    a_value, b_value, a_grad, b_grad, upstream = rng.normal(size=5)
    data, got_a, got_b = expect_own_code(push_mul, a_value, b_value, a_grad, b_grad, upstream)
    expect_close(data, a_value * b_value, name="(a * b).data on random numbers")
    expect_close(got_a, a_grad + upstream * b_value, name="a.grad (added to the gradient a already had)")
    expect_close(got_b, b_grad + upstream * a_value, name="b.grad (added to the gradient b already had)")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "Scalar_tanh_exp_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_own_code

# tanh'(0) = 1 - tanh(0)^2 = 1, so with out.grad = 3 the input gets 3.
x = Scalar(0.0)
out = x.tanh()
out.grad = 3.0
out._push()
expect_close(x.grad, 3.0, name="x.grad after pushing tanh(x) at x = 0")
# exp' = exp: at x = ln 2 the output is 2, so with out.grad = 3 the input gets 2 * 3 = 6.
x = Scalar(np.log(2.0))
out = x.exp()
out.grad = 3.0
out._push()
expect_close(x.grad, 6.0, name="x.grad after pushing exp(x) at x = ln 2")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(403)


def push_unary(method, value, start, upstream):
    x = Scalar(value)
    x.grad = start
    out = getattr(x, method)()
    out.grad = upstream
    out._push()
    return x.grad


for _ in range(10):
    value, start, upstream = rng.normal(scale=2.0, size=3)
    got = expect_own_code(push_unary, "tanh", value, start, upstream)
    expect_close(got, start + upstream / np.cosh(value) ** 2, name=f"x.grad after pushing tanh(x) at x = {value:.3f}")
    got = expect_own_code(push_unary, "exp", value, start, upstream)
    expect_close(got, start + upstream * np.exp(value), name=f"x.grad after pushing exp(x) at x = {value:.3f}")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "Scalar_backward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_own_code

# These graphs use only the given + and sigmoid. y = sigmoid(a + b) + a at a = b = 0:
# dy/da = sigmoid'(0) * 1 + 1 = 1/4 + 1 = 1.25 (two paths, added), dy/db = 1/4.
a, b = Scalar(0.0), Scalar(0.0)
y = (a + b).sigmoid() + a
y.backward()
expect_close(y.grad, 1.0, name="y.grad (the output's own gradient)")
expect_close(a.grad, 1.25, name="a.grad for y = sigmoid(a + b) + a")
expect_close(b.grad, 0.25, name="b.grad for y = sigmoid(a + b) + a")
# c = a + a, d = c + c: d = 4a, so d.grad = 4. Each node's push must run exactly once, after c.grad is complete.
a = Scalar(1.0)
c = a + a
d = c + c
d.backward()
expect_close(a.grad, 4.0, name="a.grad for d = (a + a) + (a + a)")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(404)


def build(program, values, leaf=Scalar):
    """Each step adds or applies sigmoid to earlier nodes (chosen by index), so nodes get reused."""
    nodes = [leaf(v) for v in values]
    for op, i, j in program:
        first, second = nodes[i % len(nodes)], nodes[j % len(nodes)]
        nodes.append(first + second if op == "add" else (first + second).sigmoid())
    return nodes


class Number(float):  # the same graph on plain floats, for finite differences
    def __add__(self, other):
        return Number(float(self) + float(other))

    def sigmoid(self):
        return Number(1.0 / (1.0 + np.exp(-float(self))))


def run_backward(program, values):
    nodes = build(program, values)
    nodes[-1].backward()
    return [n.grad for n in nodes[:len(values)]]


for case in range(8):
    program = [(str(rng.choice(["add", "sigmoid"])), int(rng.integers(50)), int(rng.integers(50)))
               for _ in range(int(rng.integers(3, 12)))]
    values = rng.normal(size=3)
    got = expect_own_code(run_backward, program, values)
    expected = []
    for k in range(3):  # central differences, input by input
        plus, minus = values.copy(), values.copy()
        plus[k] += 1e-6
        minus[k] -= 1e-6
        expected.append((build(program, plus, Number)[-1] - build(program, minus, Number)[-1]) / 2e-6)
    expect_close(np.array(got), np.array(expected), name=f"leaf gradients of random graph {case}", rtol=1e-5,
                 atol=1e-7)


def long_chain(depth):
    x = Scalar(0.3)
    y = x
    for _ in range(depth):
        y = y + Scalar(0.1)
    y.backward()
    return x.grad


expect_close(expect_own_code(long_chain, 200), 1.0, name="x.grad at the start of a chain of 200 additions")
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
from dlcourse.grading import expect_close, expect_own_code, expect_true

grad = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])  # the gradient of a (2, 3) result
# A (3,) input was added to both rows: its gradient is the column sums.
expect_close(unbroadcast(grad, (3,)), [3.0, 5.0, 7.0], name="unbroadcast(grad, (3,))")
# A (2, 1) input was copied along the columns: the row sums, keeping the shape (2, 1).
expect_close(unbroadcast(grad, (2, 1)), [[3.0], [12.0]], name="unbroadcast(grad, (2, 1))")
# A scalar was used in all six places: the total.
expect_close(unbroadcast(grad, ()), 15.0, name="unbroadcast(grad, ())")
# Nothing was broadcast: nothing changes.
expect_close(unbroadcast(grad, (2, 3)), grad, name="unbroadcast(grad, (2, 3))")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(405)


def summed_copies(grad, shape):
    """Each output position's gradient added into the input element it was copied from (np.bincount)."""
    source = np.broadcast_to(np.arange(int(np.prod(shape))).reshape(shape), grad.shape)
    return np.bincount(source.ravel(), weights=grad.ravel(), minlength=int(np.prod(shape))).reshape(shape)


for out_shape, shape in [((4, 3), (3,)), ((4, 3), (4, 1)), ((2, 3, 4), (3, 1)), ((2, 3, 4), ()),
                         ((2, 3, 4), (2, 1, 4)), ((5,), (5,)), ((2, 1, 4), (1, 1)), ((3, 2, 5), (1, 2, 1))]:
    grad = rng.normal(size=out_shape)
    kept = grad.copy()
    got = expect_own_code(unbroadcast, grad, shape)
    expect_close(got, summed_copies(kept, shape), name=f"unbroadcast of a {out_shape} gradient to {shape}")
    expect_true(np.array_equal(grad, kept), "unbroadcast must not change the grad it is given")
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
from dlcourse.grading import expect_close, expect_own_code

# An outer product by broadcasting: a (3, 1) times b (1, 4) gives out (3, 4) with out[i, j] = a[i] b[j].
# With dout all ones: da[i] = sum_j b[j] = 1111 for every i, and db[j] = sum_i a[i] = 6 for every j.
a, b = np.array([[1.0], [2.0], [3.0]]), np.array([[1.0, 10.0, 100.0, 1000.0]])
da, db = mul_backward(np.ones((3, 4)), a, b)
expect_close(da, [[1111.0], [1111.0], [1111.0]], name="da for a (3, 1) times a (1, 4)")
expect_close(db, [[6.0, 6.0, 6.0, 6.0]], name="db for a (3, 1) times a (1, 4)")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(406)


def summed_copies(grad, shape):
    source = np.broadcast_to(np.arange(int(np.prod(shape))).reshape(shape), grad.shape)
    return np.bincount(source.ravel(), weights=grad.ravel(), minlength=int(np.prod(shape))).reshape(shape)


for a_shape, b_shape in [((3, 4), (3, 4)), ((3, 4), (4,)), ((5, 1), (1, 6)), ((2, 3, 4), ()), ((4,), (2, 3, 4)),
                         ((2, 1, 4), (3, 1))]:
    a, b = rng.normal(size=a_shape), rng.normal(size=b_shape)
    dout = rng.normal(size=np.broadcast_shapes(a_shape, b_shape))
    got = expect_own_code(mul_backward, dout, a, b)
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
from dlcourse.grading import expect_close, expect_own_code

# (1, 2) @ (2, 1): out = 1*3 + 2*4 = 11. With dout = 1: da = dout b^T = [[3, 4]], db = a^T dout = [[1], [2]].
da, db = matmul_backward(np.array([[1.0]]), np.array([[1.0, 2.0]]), np.array([[3.0], [4.0]]))
expect_close(da, [[3.0, 4.0]], name="da for [[1, 2]] @ [[3], [4]]")
expect_close(db, [[1.0], [2.0]], name="db for [[1, 2]] @ [[3], [4]]")
# A stack of 3 matrices (2, 4) times one (4, 5), all ones: each entry of dout @ b^T sums 5 ones, and b is used by
# all 3 matrices, each contributing a^T dout with entries 2 (the N = 2 rows), so db = 3 * 2 = 6 everywhere.
da, db = matmul_backward(np.ones((3, 2, 5)), np.ones((3, 2, 4)), np.ones((4, 5)))
expect_close(da, np.full((3, 2, 4), 5.0), name="da for (3, 2, 4) @ (4, 5)")
expect_close(db, np.full((4, 5), 6.0), name="db for (3, 2, 4) @ (4, 5), summed over the 3 matrices")
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
    got = expect_own_code(matmul_backward, dout, a, b)
    # one product per matrix of the stack, written with einsum, then added into the matrix it was copied from
    expect_close(got[0], summed_copies(np.einsum("...nm,...dm->...nd", dout, full_b), a_shape),
                 name=f"da for shapes {a_shape} @ {b_shape}")
    expect_close(got[1], summed_copies(np.einsum("...nd,...nm->...dm", full_a, dout), b_shape),
                 name=f"db for shapes {a_shape} @ {b_shape}")
### END HIDDEN TESTS
