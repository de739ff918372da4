"""The array engine against torch.autograd in float64 (broadcasting included), finite differences, and errors."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlcourse.autograd import Tensor, cross_entropy, expand_reduced, mse_loss, no_grad, unbroadcast
from dlcourse.gradcheck import check_function, relative_error
from tests.parity import TOL


def run_both(fn, arrays, rng, *, dout=True):
    """Evaluate ``fn`` on Tensors and on torch tensors built from the same float64 arrays, backpropagate the same
    random upstream gradient, and return (output, [grads]) for each engine."""
    ours = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, out_t = fn(*ours), fn(*theirs)
    grad = rng.standard_normal(out.shape) if dout else None
    out.backward(grad)
    out_t.backward(None if grad is None else torch.tensor(grad))
    grads_t = [np.zeros_like(a) if t.grad is None else t.grad.numpy() for a, t in zip(arrays, theirs, strict=True)]
    grads = [np.zeros_like(a) if t.grad is None else t.grad for a, t in zip(arrays, ours, strict=True)]  # unused leaves
    return (out.data, grads), (out_t.detach().numpy(), grads_t)


def assert_match(ours, theirs, tol=TOL):
    (out, grads), (out_t, grads_t) = ours, theirs
    assert out.shape == out_t.shape, f"output shape {out.shape} vs torch {out_t.shape}"
    assert relative_error(out, out_t) <= tol
    for i, (g, g_t) in enumerate(zip(grads, grads_t, strict=True)):
        assert g.shape == g_t.shape, f"grad {i}: shape {g.shape} vs torch {g_t.shape}"
        assert relative_error(g, g_t) <= tol, f"grad {i}: {g} vs torch {g_t}"


def away_from_zero(rng, shape):
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


# ----- elementwise ops with broadcasting ---------------------------------------------------------------------------
BROADCAST_PAIRS = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((5, 3), (3,)), ((3,), (5, 3)), ((2, 3), ()), ((), (4,)),
                   ((2, 1, 3), (4, 1)), ((), ())]
BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b}


@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_ops_broadcast_like_torch(name, shapes, rng):
    arrays = [rng.standard_normal(shapes[0]), away_from_zero(rng, shapes[1])]
    assert_match(*run_both(BINARY[name], arrays, rng))


WITH_NUMBERS = {"radd": lambda a: 2.5 + a, "sub": lambda a: a - 1, "rsub": lambda a: 1 - a, "rmul": lambda a: 3 * a,
                "div": lambda a: a / 4, "rdiv": lambda a: 2 / a, "neg": lambda a: -a}


@pytest.mark.parametrize("name", WITH_NUMBERS)
def test_ops_with_python_numbers(name, rng):
    assert_match(*run_both(WITH_NUMBERS[name], [away_from_zero(rng, (3, 2))], rng))


def test_ops_with_constant_arrays(rng):
    array = rng.standard_normal((4, 1))

    def fn(a):
        c = array if isinstance(a, Tensor) else torch.tensor(array)  # an ndarray for ours, its twin for torch
        return c * a - c / (a * a + 1) + (a - c)

    assert_match(*run_both(fn, [rng.standard_normal((4, 3))], rng))
    ours = Tensor(rng.standard_normal(3), requires_grad=True)
    out = rng.standard_normal(3) + ours  # ndarray on the left must not loop over elements
    assert isinstance(out, Tensor) and out.requires_grad


UNARY = {"exp": lambda a: a.exp(), "log": lambda a: (a * a).log(), "tanh": lambda a: a.tanh(),
         "sigmoid": lambda a: a.sigmoid(), "relu": lambda a: a.relu(), "square": lambda a: a**2,
         "cube": lambda a: a**3, "sqrt": lambda a: (a * a) ** 0.5, "inverse": lambda a: a**-1,
         "pow0": lambda a: a**0, "pow -1.5": lambda a: (a * a) ** -1.5}


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops_match_torch(name, rng):
    assert_match(*run_both(UNARY[name], [away_from_zero(rng, (4, 5))], rng))


def test_relu_slope_at_zero_is_zero_like_torch(rng):
    assert_match(*run_both(lambda a: a.relu(), [np.array([-1.0, 0.0, 2.0])], rng))


# ----- reductions, shapes, indexing --------------------------------------------------------------------------------
AXES = [None, 0, 1, -1, (0, 2)]


@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean", "max"])
def test_reductions_match_torch(name, axis, keepdims, rng):
    def fn(a):
        if isinstance(a, Tensor):
            return getattr(a, name)(axis=axis, keepdims=keepdims)
        dim = tuple(range(a.ndim)) if axis is None else axis
        torch_name = "amax" if name == "max" else name  # amax shares the gradient between ties, as ours
        return getattr(a, torch_name)(dim=dim, keepdim=keepdims)

    assert_match(*run_both(fn, [rng.standard_normal((2, 3, 4))], rng))


def test_max_splits_the_gradient_between_ties_like_torch_amax(rng):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    assert_match(*run_both(lambda a: a.max(axis=1) if isinstance(a, Tensor) else a.amax(dim=1), [x], rng))


SHAPE_OPS = {  # ours, torch's
    "reshape": (lambda a: a.reshape(4, 6), lambda a: a.reshape(4, 6)),
    "reshape tuple": (lambda a: a.reshape((2, -1)), lambda a: a.reshape(2, -1)),
    "transpose": (lambda a: a.transpose(), lambda a: a.permute(2, 1, 0)),
    "permute": (lambda a: a.transpose(1, 0, 2), lambda a: a.permute(1, 0, 2)),
    "permute tuple": (lambda a: a.transpose((2, 0, 1)), lambda a: a.permute(2, 0, 1)),
    "T of 2-D": (lambda a: a.reshape(6, 4).T, lambda a: a.reshape(6, 4).T),
}


@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_ops_match_torch(name, rng):
    ours, theirs = SHAPE_OPS[name]
    assert_match(*run_both(lambda a: ours(a) if isinstance(a, Tensor) else theirs(a), [rng.standard_normal((2, 3, 4))],
                           rng))


@pytest.mark.parametrize("key", [(slice(1, 3),), (np.array([0, 2, 2, 1]),), (np.arange(3), np.array([1, 0, 1])),
                                 (Ellipsis, 1), (np.array([True, False, True]),)],
                         ids=["slice", "repeated rows", "pairs", "ellipsis", "mask"])
def test_indexing_matches_torch_and_adds_repeated_picks(key, rng):
    def fn(a):
        if isinstance(a, Tensor):
            return a[key if len(key) > 1 else key[0]]
        torch_key = tuple(torch.tensor(k) if isinstance(k, np.ndarray) else k for k in key)
        return a[torch_key if len(torch_key) > 1 else torch_key[0]]

    assert_match(*run_both(fn, [rng.standard_normal((3, 4))], rng))


@pytest.mark.parametrize("axis", [-1, 0])
def test_log_softmax_matches_torch(axis, rng):
    def fn(a):
        return a.log_softmax(axis=axis) if isinstance(a, Tensor) else torch.log_softmax(a, dim=axis)

    assert_match(*run_both(fn, [5 * rng.standard_normal((4, 6))], rng))


def test_log_softmax_does_not_overflow(rng):
    big = np.array([[1000.0, 0.0, -1000.0]])
    assert_match(*run_both(lambda a: a.log_softmax(-1) if isinstance(a, Tensor) else torch.log_softmax(a, -1),
                           [big], rng))


MATMUL_SHAPES = [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)),
                 ((2, 3, 4), (4,)), ((4,), (4, 5)), ((4,), (4,)), ((4,), (3, 4, 2))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_broadcasts_like_torch(shapes, rng):
    arrays = [rng.standard_normal(s) for s in shapes]
    assert_match(*run_both(lambda a, b: a @ b, arrays, rng))


def test_matmul_with_constant_on_either_side(rng):
    weight = rng.standard_normal((4, 2))
    assert_match(*run_both(lambda a: (a @ (weight if isinstance(a, Tensor) else torch.tensor(weight))).tanh(),
                           [rng.standard_normal((3, 4))], rng))
    left = rng.standard_normal((5, 3))
    ours = left @ Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert isinstance(ours, Tensor) and ours.shape == (5, 2)


# ----- random expression graphs ------------------------------------------------------------------------------------
# Leaves of shapes that broadcast to (3, 4); each step combines two earlier nodes, so broadcasting, reuse and
# reductions (keepdims, so the result still broadcasts) all meet. Guards keep log and division in their domain.
SHAPES = [(3, 4), (3, 1), (1, 4), (4,), ()]
STEPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
    "log": lambda a, b: (a * a + 1).log(),
    "exp": lambda a, b: a.tanh().exp() * b,
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid() - b,
    "relu": lambda a, b: a.relu() + b,
    "pow": lambda a, b: (a * a + 1) ** 1.5 - b**3,
    "sum": lambda a, b: a.sum(-1, keepdims=True) if isinstance(a, Tensor) else a.sum(-1, keepdim=True),
    "mean": lambda a, b: a.mean(-1, keepdims=True) if isinstance(a, Tensor) else a.mean(-1, keepdim=True),
}


def evaluate(program, inputs):
    nodes = list(inputs)
    for op, i, j in program:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if op in ("sum", "mean") and a.ndim == 0:
            op = "tanh"  # a 0-d node has no last axis to reduce
        nodes.append(STEPS[op](a, b))
    return nodes[-1] * inputs[0]  # at least (3, 4), so every leaf's broadcast matters


@settings(max_examples=120, deadline=None, derandomize=True)
@given(program=st.lists(st.tuples(st.sampled_from(sorted(STEPS)), st.integers(0, 40), st.integers(0, 40)),
                        min_size=1, max_size=10),
       shapes=st.lists(st.sampled_from(SHAPES), min_size=2, max_size=2), seed=st.integers(0, 2**16))
def test_random_expression_graphs_match_torch(program, shapes, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((3, 4))] + [rng.standard_normal(s) for s in shapes]
    (out, grads), (out_t, grads_t) = run_both(lambda *xs: evaluate(program, xs), arrays, rng)
    everything = np.concatenate([out_t.ravel()] + [g.ravel() for g in grads_t])
    assume(np.all(np.isfinite(everything)) and np.abs(everything).max() < 1e8)
    assert all(g.shape == a.shape for g, a in zip(grads, arrays, strict=True))
    # one norm-wise error over output and gradients, so gradients that are exactly 0 in both do not divide by 0
    assert relative_error(np.concatenate([out.ravel()] + [g.ravel() for g in grads]), everything) <= TOL


# ----- accumulation and graph bookkeeping ---------------------------------------------------------------------------
def test_tensor_used_twice_gets_both_contributions(rng):
    assert_match(*run_both(lambda a: a * a + a.exp() * a, [rng.standard_normal((2, 3))], rng))
    x = Tensor([3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0])


def test_second_backward_accumulates_in_leaves_only_like_torch(rng):
    data = rng.standard_normal(4)
    x, xt = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    hidden = (x * 2).tanh()
    y = (hidden * x).sum()
    yt = ((xt * 2).tanh() * xt).sum()
    y.backward()
    once = hidden.grad.copy()
    y.backward()
    yt.backward(retain_graph=True)
    yt.backward()
    assert relative_error(x.grad, xt.grad.numpy()) <= TOL
    np.testing.assert_array_equal(hidden.grad, once)  # an intermediate holds the latest pass only


def test_no_grad_and_detach(rng):
    w = Tensor(rng.standard_normal(3), requires_grad=True)
    with no_grad():
        y = w * 2
    assert not y.requires_grad and y._prev == ()
    assert (w * 2).requires_grad  # switched back on afterwards
    d = w.detach()
    assert not d.requires_grad and np.shares_memory(d.data, w.data)
    (d * w).sum().backward()
    np.testing.assert_array_equal(w.grad, w.data)  # the detached factor is a constant
    w.zero_grad()
    assert w.grad is None


# ----- a small MLP trained by both ---------------------------------------------------------------------------------
def test_small_mlp_trains_like_torch(rng):
    x, y = rng.standard_normal((16, 5)), rng.integers(0, 3, 16)
    starts = [rng.standard_normal((5, 8)) * 0.5, np.zeros(8), rng.standard_normal((8, 3)) * 0.5, np.zeros(3)]
    ours = [Tensor(s.copy(), requires_grad=True) for s in starts]
    theirs = [torch.tensor(s, requires_grad=True) for s in starts]
    lr = 0.5
    for _ in range(5):
        w1, b1, w2, b2 = ours
        loss = cross_entropy((x @ w1 + b1).relu() @ w2 + b2, y)
        t1, c1, t2, c2 = theirs
        loss_t = torch.nn.functional.cross_entropy((torch.tensor(x) @ t1 + c1).relu() @ t2 + c2, torch.tensor(y))
        loss.backward()
        loss_t.backward()
        assert relative_error(loss.data, loss_t.detach().numpy()) <= TOL
        for p, q in zip(ours, theirs, strict=True):
            assert relative_error(p.grad, q.grad.numpy()) <= TOL
            p.data = p.data - lr * p.grad
            p.zero_grad()
            with torch.no_grad():
                q -= lr * q.grad
            q.grad = None
    for p, q in zip(ours, theirs, strict=True):
        assert relative_error(p.data, q.detach().numpy()) <= TOL


def test_mse_loss_matches_torch(rng):
    target = rng.standard_normal((4, 2))
    assert_match(*run_both(lambda a: mse_loss(a, target) if isinstance(a, Tensor) else
                           torch.nn.functional.mse_loss(a, torch.tensor(target)), [rng.standard_normal((4, 2))], rng))


# ----- finite differences ------------------------------------------------------------------------------------------
GRADCHECKS = {
    "matmul broadcast": (lambda a, b: a @ b, [(2, 3, 4), (4, 5)]),
    "bias broadcast": (lambda a, b: (a + b).sigmoid() * b, [(5, 3), (3,)]),
    "outer broadcast": (lambda a, b: a / (b * b + 1), [(3, 1), (1, 4)]),
    "log_softmax": (lambda a: a.log_softmax(axis=1), [(4, 5)]),
    "max": (lambda a: a.max(axis=0), [(4, 5)]),
    "mean keepdims": (lambda a: a.mean(axis=(0, 2), keepdims=True).exp(), [(2, 3, 4)]),
    "index": (lambda a: a[np.array([0, 2, 2]), np.array([1, 1, 3])], [(3, 4)]),
    "reshape transpose": (lambda a: a.reshape(6, 2).T.tanh(), [(3, 4)]),
}


@pytest.mark.parametrize("name", GRADCHECKS)
def test_gradcheck(name, rng):
    fn, shapes = GRADCHECKS[name]
    inputs = [rng.standard_normal(s) for s in shapes]
    tensors = []

    def forward(*arrays):
        tensors[:] = [Tensor(a, requires_grad=True) for a in arrays]
        tensors.append(fn(*tensors))
        return tensors[-1].data

    def backward(dout):
        tensors[-1].backward(dout)
        return tuple(t.grad for t in tensors[:-1])

    errors = check_function(forward, backward, inputs, rng=rng)
    assert max(errors) <= 1e-7, errors


# ----- dtypes, special values, errors ------------------------------------------------------------------------------
def test_float32_stays_float32(rng):
    x = Tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 2)).astype(np.float32), requires_grad=True)
    out = ((x @ w).tanh() * 2.0 + 1 - np.arange(2)).log_softmax().sum() / 3
    assert out.dtype == np.float32
    out.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32
    assert Tensor([1, 2]).dtype == np.float64 and Tensor(np.float32(1.0)).dtype == np.float32


def test_log_of_non_positive_gives_inf_or_nan_silently_like_numpy_and_torch():
    data = np.array([0.0, -1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        x = Tensor(data, requires_grad=True)
        out = x.log()
        out.backward(np.ones(3))
    xt = torch.tensor(data, requires_grad=True)
    xt.log().backward(torch.ones(3))
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(out.data, np.log(data))
    np.testing.assert_array_equal(out.data, xt.log().detach().numpy())
    np.testing.assert_array_equal(x.grad, xt.grad.numpy())


def test_unbroadcast_and_expand_reduced():
    grad = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(unbroadcast(grad, (4,)), grad.sum(0))
    np.testing.assert_array_equal(unbroadcast(grad, (3, 1)), grad.sum(1, keepdims=True))
    np.testing.assert_array_equal(unbroadcast(grad, ()), grad.sum())
    np.testing.assert_array_equal(expand_reduced(grad.sum(1), (3, 4), 1, False), np.repeat(grad.sum(1)[:, None], 4, 1))
    with pytest.raises(ValueError, match=r"cannot reduce a gradient of shape \(3, 4\) to shape \(2, 4\)"):
        unbroadcast(grad, (2, 4))


def test_backward_errors_name_what_was_expected():
    x = Tensor(np.ones((3, 4)), requires_grad=True)
    with pytest.raises(ValueError, match=r"expected a scalar output .* got shape \(3, 4\)"):
        (x * 2).backward()
    with pytest.raises(ValueError, match=r"expected grad of shape \(3, 4\) \(the tensor's\), got \(4, 3\)"):
        (x * 2).backward(np.ones((4, 3)))
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(np.ones(3)).sum().backward()


def test_matmul_errors_name_both_shapes():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"got shapes \(2, 3\) @ \(4, 5\) \(3 != 4\)"):
        a @ b
    with pytest.raises(ValueError, match=r"batch dimensions that broadcast, got \(2,\) and \(3,\)"):
        Tensor(np.ones((2, 4, 4))) @ Tensor(np.ones((3, 4, 4)))
    with pytest.raises(ValueError, match=r"at least 1 dimension, got shapes \(\) and \(4,\)"):
        Tensor(2.0) @ Tensor(np.ones(4))


def test_bad_construction_and_operands():
    with pytest.raises(TypeError, match="expected real numbers .* got dtype complex128"):
        Tensor(np.ones(2, dtype=complex))
    with pytest.raises(TypeError, match="expected array-like data, got a Tensor"):
        Tensor(Tensor([1.0]))
    with pytest.raises(TypeError, match="expected dtype float32 or float64, got int32"):
        Tensor([1.0], dtype=np.int32)
    with pytest.raises(TypeError, match="expected a constant int or float exponent, got Tensor"):
        Tensor([1.0]) ** Tensor([2.0])


def test_loss_errors_name_expected_and_got():
    logits = Tensor(np.zeros((4, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"expected integer targets of shape \(4,\), got float64 of shape \(4,\)"):
        cross_entropy(logits, np.zeros(4))
    with pytest.raises(ValueError, match=r"expected targets in \[0, 3\), got values from 0 to 3"):
        cross_entropy(logits, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"expected logits of shape \(N, K\), got shape \(3,\)"):
        cross_entropy(Tensor(np.zeros(3)), np.array([0]))
    with pytest.raises(ValueError, match=r"expected target of shape \(4, 3\) \(the prediction's\), got \(4,\)"):
        mse_loss(logits, np.zeros(4))
