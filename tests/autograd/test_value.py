"""The scalar engine against torch.autograd in float64, against finite differences, and its error behaviour."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlcourse.autograd import Value, zero_grad
from dlcourse.gradcheck import numerical_gradient, relative_error
from tests.parity import TOL


def leaves(*numbers):
    """The same inputs for both engines: Values and float64 torch scalars that require grad."""
    return ([Value(x) for x in numbers],
            [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in numbers])


def run_both(fn, *numbers):
    """Evaluate ``fn`` (which uses only operations both engines share) on both; return output and grads, twice."""
    ours, theirs = leaves(*numbers)
    out, out_t = fn(*ours), fn(*theirs)
    out.backward()
    out_t.backward()
    grads_t = [0.0 if t.grad is None else t.grad.item() for t in theirs]
    return (out.data, [v.grad for v in ours]), (out_t.item(), grads_t)


def assert_match(ours, theirs, tol=TOL):
    """Norm-wise relative error of (output, gradients) between the engines."""
    (out, grads), (out_t, grads_t) = ours, theirs
    assert relative_error(np.array(out), np.array(out_t)) <= tol, f"output {out} vs torch {out_t}"
    assert relative_error(np.array(grads), np.array(grads_t)) <= tol, f"grads {grads} vs torch {grads_t}"


UNARY = {
    "neg": lambda a: -a,
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "square": lambda a: a**2,
    "cube": lambda a: a**3,
    "sqrt": lambda a: a**0.5,
    "inverse": lambda a: a**-1,
    "pow -2.5": lambda a: a**-2.5,
}

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "add const": lambda a, b: 2.5 + a + b * 3,
    "sub const": lambda a, b: 1.5 - a - (b - 4),
    "mul const": lambda a, b: -2 * a * (b * 0.5),
    "div const": lambda a, b: 3 / a + b / 7,
}


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("x", [0.7, 1.9, 0.05])
def test_unary_ops_match_torch(name, x):
    assert_match(*run_both(UNARY[name], x))


@pytest.mark.parametrize("name", ["neg", "exp", "tanh", "sigmoid", "relu", "square", "cube", "inverse"])
@pytest.mark.parametrize("x", [-0.8, -3.2])
def test_unary_ops_on_negative_inputs_match_torch(name, x):
    assert_match(*run_both(UNARY[name], x))


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("a, b", [(1.5, -0.4), (-2.0, 3.0), (0.3, 0.9)])
def test_binary_ops_match_torch(name, a, b):
    assert_match(*run_both(BINARY[name], a, b))


def test_relu_slope_at_zero_is_zero_like_torch():
    (out, grads), (out_t, grads_t) = run_both(lambda a: a.relu(), 0.0)
    assert out == out_t == 0.0 and grads == grads_t == [0.0]


# ----- random expression graphs ------------------------------------------------------------------------------------
# Each step combines two earlier nodes (chosen by index), so nodes get reused and gradients must add up.
# Guards keep the functions in their domain: log and division see x^2 + 1, the square root sees x^2 + 1.
STEPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
    "log": lambda a, b: (a * a + 1).log(),
    "exp": lambda a, b: a.exp(),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid() * b,
    "relu": lambda a, b: a.relu() + b,
    "neg": lambda a, b: -a,
    "pow": lambda a, b: (a * a + 1) ** 1.5 - b**3,
    "const": lambda a, b: 0.5 * a - 2 / (1 + b * b),
}


def evaluate(program, inputs):
    nodes = list(inputs)
    for op, i, j in program:
        nodes.append(STEPS[op](nodes[i % len(nodes)], nodes[j % len(nodes)]))
    return nodes[-1]


programs = st.lists(st.tuples(st.sampled_from(sorted(STEPS)), st.integers(0, 50), st.integers(0, 50)),
                    min_size=1, max_size=12)
numbers = st.lists(st.floats(-2, 2, allow_nan=False), min_size=3, max_size=3)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(program=programs, inputs=numbers)
def test_random_expression_graphs_match_torch(program, inputs):
    (out, grads), (out_t, grads_t) = run_both(lambda *xs: evaluate(program, xs), *inputs)
    everything = np.array([out_t, *grads_t])
    assume(np.all(np.isfinite(everything)) and np.abs(everything).max() < 1e8)  # exp of exp of ... may overflow
    # one norm-wise error over output and gradients, so a gradient that is exactly 0 in both does not divide by 0
    assert relative_error(np.array([out, *grads]), everything) <= TOL


# ----- accumulation -----------------------------------------------------------------------------------------------
def test_value_used_twice_gets_both_contributions():
    assert_match(*run_both(lambda x: x * x + x, 1.7))  # d/dx = 2x + 1
    x = Value(3.0)
    y = x * x
    y.backward()
    assert x.grad == 6.0


def test_second_backward_accumulates_in_leaves_only_like_torch():
    x, xt = Value(0.8), torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    y = (x * 3).tanh() * x
    yt = (xt * 3).tanh() * xt
    y.backward()
    y.backward()
    yt.backward(retain_graph=True)
    yt.backward()
    assert relative_error(np.array(x.grad), xt.grad.numpy()) <= TOL


def test_zero_grad_helpers():
    x, w = Value(2.0), Value(-1.0)
    y = (x * w).exp()
    y.backward()
    assert x.grad != 0 and w.grad != 0
    zero_grad([x])
    assert x.grad == 0.0 and w.grad != 0
    y.zero_grad()
    assert all(v.grad == 0.0 for v in (x, w, y))


def test_long_chain_does_not_hit_the_recursion_limit():
    x = Value(0.5)
    y = x
    for _ in range(5000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0


# ----- a tiny network trained by both ------------------------------------------------------------------------------
def mlp(params, x):
    """3 -> 4 (tanh) -> 1, written once for both engines; params is a flat list of 21 numbers."""
    hidden = [sum((params[3 * j + i] * x[i] for i in range(3)), params[12 + j]).tanh() for j in range(4)]
    return sum((params[16 + j] * hidden[j] for j in range(4)), params[20])


def test_small_mlp_trains_like_torch(rng):
    start = rng.standard_normal(21)
    xs, ys = rng.standard_normal((5, 3)), rng.standard_normal(5)
    params, params_t = leaves(*start)
    lr = 0.1
    for _ in range(4):
        loss = sum(((mlp(params, x) - y) ** 2 for x, y in zip(xs, ys, strict=True)), Value(0.0)) / len(ys)
        loss_t = sum((mlp(params_t, torch.tensor(x)) - y) ** 2 for x, y in zip(xs, ys, strict=True)) / len(ys)
        zero_grad(params)
        loss.backward()
        loss_t.backward()
        assert relative_error(np.array(loss.data), np.array(loss_t.item())) <= TOL
        for p in params:
            p.data -= lr * p.grad
        with torch.no_grad():
            for p in params_t:
                p -= lr * p.grad
                p.grad = None
    assert relative_error(np.array([p.data for p in params]), np.array([p.item() for p in params_t])) <= TOL


# ----- finite differences ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tanh", "sigmoid", "exp", "log", "sqrt", "cube"])
def test_gradcheck_unary(name):
    point = np.array([0.9])
    x = Value(point[0])
    UNARY[name](x).backward()
    numeric = numerical_gradient(lambda: UNARY[name](Value(point[0])).data, point)
    assert relative_error(np.array([x.grad]), numeric) <= 1e-7


def test_gradcheck_expression():
    point = np.array([0.4, -1.3, 2.2])

    def f(a, b, c):
        return ((a * b).tanh() + c.sigmoid() / (b * b + 1) - (c**2 + a).log() * a).relu() + a.exp()

    values = [Value(p) for p in point]
    f(*values).backward()
    numeric = numerical_gradient(lambda: f(*(Value(p) for p in point)).data, point)
    assert relative_error(np.array([v.grad for v in values]), numeric) <= 1e-7


# ----- special values and errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("x", [0.0, -1.0])
def test_log_of_non_positive_gives_inf_or_nan_silently_like_torch(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        v = Value(x)
        out = v.log()
        out.backward()
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out_t = xt.log()
    out_t.backward()
    np.testing.assert_array_equal([out.data, v.grad], [out_t.item(), xt.grad.item()])  # equal nan/inf included
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(out.data, np.log(x))  # and with NumPy


def test_division_by_zero_and_overflow_follow_ieee_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (Value(1.0) / 0).data == np.inf
        assert Value(1000.0).exp().data == np.inf
        assert Value(-1000.0).sigmoid().data == 0.0


def test_bad_inputs_are_named():
    with pytest.raises(TypeError, match="expected a real number, got str 'a'"):
        Value("a")
    with pytest.raises(TypeError, match="expected a number, got a Value"):
        Value(Value(1.0))
    with pytest.raises(TypeError, match="expected a constant int or float exponent, got Value"):
        Value(2.0) ** Value(3.0)
