import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import dlcourse.nn as nn
import dlcourse.nn.functional as F
from dlcourse.gradcheck import check_function, check_module, relative_error
from tests.parity import assert_all_below, compare_module

# (id, NumPy module, torch twin): hyperparameters away from the defaults so that a dropped argument shows
PAIRS = {
    "relu": (lambda: nn.ReLU(), lambda: torch.nn.ReLU()),
    "leaky_relu": (lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2)),
    "leaky_relu_default": (lambda: nn.LeakyReLU(), lambda: torch.nn.LeakyReLU()),
    "elu": (lambda: nn.ELU(alpha=0.7), lambda: torch.nn.ELU(alpha=0.7)),
    "gelu": (lambda: nn.GELU(), lambda: torch.nn.GELU()),
    "gelu_tanh": (lambda: nn.GELU(approximate="tanh"), lambda: torch.nn.GELU(approximate="tanh")),
    "silu": (lambda: nn.SiLU(), lambda: torch.nn.SiLU()),
    "sigmoid": (lambda: nn.Sigmoid(), lambda: torch.nn.Sigmoid()),
    "tanh": (lambda: nn.Tanh(), lambda: torch.nn.Tanh()),
    "softmax_last": (lambda: nn.Softmax(dim=-1), lambda: torch.nn.Softmax(dim=-1)),
    "softmax_first": (lambda: nn.Softmax(dim=0), lambda: torch.nn.Softmax(dim=0)),
    "log_softmax": (lambda: nn.LogSoftmax(dim=-1), lambda: torch.nn.LogSoftmax(dim=-1)),
}
SHAPES = [(7,), (4, 5), (2, 3, 4, 5)]

# (pure forward with its hyperparameters, pure backward)
FUNCTIONS = {
    "relu": (F.relu_forward, F.relu_backward),
    "leaky_relu": (lambda x: F.leaky_relu_forward(x, negative_slope=0.3), F.leaky_relu_backward),
    "elu": (lambda x: F.elu_forward(x, alpha=1.5), F.elu_backward),
    "gelu": (F.gelu_forward, F.gelu_backward),
    "gelu_tanh": (lambda x: F.gelu_forward(x, approximate="tanh"), F.gelu_backward),
    "silu": (F.silu_forward, F.silu_backward),
    "sigmoid": (F.sigmoid_forward, F.sigmoid_backward),
    "tanh": (F.tanh_forward, F.tanh_backward),
    "softmax": (lambda x: F.softmax_forward(x, dim=1), F.softmax_backward),
    "log_softmax": (lambda x: F.log_softmax_forward(x, dim=0), F.log_softmax_backward),
}


def _away_from_kink(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Standard normal entries pushed at least 0.1 from 0: at ReLU's kink a central difference straddles two slopes
    and measures neither."""
    x = rng.standard_normal(shape)
    return x + np.copysign(0.1, x)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", PAIRS)
def test_matches_torch(name, shape, rng):
    ours, theirs = PAIRS[name]
    x = 3 * rng.standard_normal(shape)  # wide enough to reach the saturated and negative regions
    assert_all_below(compare_module(ours(), theirs(), x, rng=rng))


@pytest.mark.parametrize("name", PAIRS)
def test_repr_matches_torch(name):
    ours, theirs = PAIRS[name]
    assert repr(ours()) == repr(theirs())


@pytest.mark.parametrize("name", FUNCTIONS)
def test_pure_functions_gradcheck(name, rng):
    forward, backward = FUNCTIONS[name]
    cache = {}

    def f(x):
        out, cache["last"] = forward(x)
        return out

    errors = check_function(f, lambda dout: backward(dout, cache["last"]), [_away_from_kink(rng, (3, 4))], rng=rng)
    assert errors[0] < 1e-7, errors


@pytest.mark.parametrize("name", PAIRS)
def test_modules_gradcheck(name, rng):
    errors = check_module(PAIRS[name][0](), _away_from_kink(rng, (2, 3, 4)), rng=rng)
    assert_all_below(errors, tol=1e-7)


def test_inside_a_network_matches_torch(rng):
    ours = nn.Sequential(nn.Linear(5, 8, rng=rng), nn.GELU(), nn.Linear(8, 4, rng=rng), nn.Softmax(dim=1))
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.GELU(), torch.nn.Linear(8, 4), torch.nn.Softmax(1))
    assert_all_below(compare_module(ours, theirs, rng.standard_normal((6, 5)), rng=rng))


@pytest.mark.parametrize("name", PAIRS)
def test_float32_stays_float32(name, rng):
    layer = PAIRS[name][0]()
    out = layer(rng.standard_normal((4, 3)).astype(np.float32))
    assert out.dtype == np.float32
    assert layer.backward(np.ones_like(out)).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", PAIRS)
def test_large_inputs_stay_finite_and_match_torch(name, dtype):
    x = np.array([[-1000.0, -80.0, -1.0, 0.5, 80.0, 1000.0]], dtype=dtype)
    ours, theirs = PAIRS[name]
    layer = ours()
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        out = layer(x)
        dx = layer.backward(np.ones_like(out))
    assert np.isfinite(out).all() and np.isfinite(dx).all()
    xt = torch.tensor(x, requires_grad=True)
    out_t = theirs()(xt)
    out_t.backward(torch.ones_like(out_t))
    tol = 1e-6 if dtype == np.float32 else 1e-12
    assert relative_error(out, out_t.detach().numpy()) < tol
    assert relative_error(dx, xt.grad.numpy()) < tol


def test_sigmoid_saturates_to_exact_limits():
    out, _ = F.sigmoid_forward(np.array([-1000.0, 1000.0]))
    np.testing.assert_array_equal(out, [0.0, 1.0])


def test_leaky_slope_and_elu_alpha_set_the_negative_side(rng):
    x = -rng.uniform(0.1, 2.0, 5)
    np.testing.assert_allclose(nn.LeakyReLU(0.25)(x), 0.25 * x)
    elu = nn.ELU(alpha=2.0)
    np.testing.assert_allclose(elu(x), 2.0 * (np.exp(x) - 1))
    np.testing.assert_allclose(elu.backward(np.ones(5)), 2.0 * np.exp(x))


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)),
              elements=st.floats(-1e4, 1e4, allow_nan=False)),
       st.floats(-1e3, 1e3, allow_nan=False))
def test_softmax_is_a_distribution_and_ignores_shifts(x, shift):
    out, _ = F.softmax_forward(x, dim=1)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-12)
    assert (out >= 0).all()
    shifted, _ = F.softmax_forward(x + shift, dim=1)
    np.testing.assert_allclose(shifted, out, atol=1e-9)
    log_out, _ = F.log_softmax_forward(x, dim=1)
    assert np.isfinite(log_out).all()  # exact where softmax underflows to 0


def test_bad_inputs_name_expected_and_got():
    with pytest.raises(TypeError, match="ReLU.forward: expected input of dtype float32 or float64, got int64"):
        nn.ReLU()(np.arange(3))
    with pytest.raises(TypeError, match="expected a NumPy array for input, got a torch.Tensor"):
        nn.Tanh()(torch.zeros(3))
    with pytest.raises(TypeError, match="Softmax: expected dim to be an int .*, got None"):
        nn.Softmax(dim=None)
    with pytest.raises(ValueError, match=r"expected an input with dimension dim=2, got shape \(3, 4\) \(2-D\)"):
        nn.Softmax(dim=2)(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"expected approximate to be one of \['none', 'tanh'\], got 'fast'"):
        nn.GELU(approximate="fast")
    with pytest.raises(ValueError, match=r"expected approximate to be one of \['none', 'tanh'\], got 'erf'"):
        F.gelu_forward(np.zeros(2), approximate="erf")
    with pytest.raises(RuntimeError, match="Sigmoid.backward: call forward first"):
        nn.Sigmoid().backward(np.ones(3))
