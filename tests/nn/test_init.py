import math

import numpy as np
import pytest
import torch

import dlcourse.nn as nn
from dlcourse.nn import init

SHAPES = [(64, 32), (16, 8, 3, 3)]


@pytest.mark.parametrize("name", ["linear", "conv2d", "sigmoid", "tanh", "relu", "selu"])
def test_gains_match_torch(name):
    assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))


@pytest.mark.parametrize("slope", [None, 0.2])
def test_leaky_relu_gain_matches_torch(slope):
    assert init.calculate_gain("leaky_relu", slope) == pytest.approx(torch.nn.init.calculate_gain("leaky_relu", slope))


@pytest.mark.parametrize("shape", SHAPES)
def test_fans_match_torch(shape):
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init.fan_in_and_fan_out(shape) == (fan_in, fan_out)


def _torch_std(fn, shape, **kwargs):
    """The standard deviation torch's initializer aims for, measured on a large sample."""
    torch.manual_seed(0)
    return fn(torch.empty(shape, dtype=torch.float64), **kwargs).std().item()


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("ours, theirs, kwargs", [
    (init.xavier_uniform_, torch.nn.init.xavier_uniform_, {}),
    (init.xavier_normal_, torch.nn.init.xavier_normal_, {"gain": 2.0}),
    (init.kaiming_uniform_, torch.nn.init.kaiming_uniform_, {"nonlinearity": "relu"}),
    (init.kaiming_normal_, torch.nn.init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "relu"}),
    (init.kaiming_uniform_, torch.nn.init.kaiming_uniform_, {"a": math.sqrt(5)}),
])
def test_initial_spread_matches_torch(shape, ours, theirs, kwargs, rng):
    weight = np.empty(shape)
    ours(weight, rng=rng, **kwargs)
    # both are estimates from ~2000 draws: 10% covers their sampling error many times over
    assert weight.std() == pytest.approx(_torch_std(theirs, shape, **kwargs), rel=0.1)


def test_uniform_bounds_are_exact(rng):
    weight = np.empty((200, 50))
    init.xavier_uniform_(weight, rng=rng)
    bound = math.sqrt(6 / 250)
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.95 * bound


def test_same_generator_same_weights_and_parameters_work():
    a, b = nn.Linear(5, 3), nn.Linear(5, 3)
    init.kaiming_normal_(a.weight, rng=np.random.default_rng(7))
    init.kaiming_normal_(b.weight, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert a.weight.data.dtype == np.float32


def test_linear_default_init_follows_torch_bound():
    layer = nn.Linear(100, 400, rng=np.random.default_rng(0))
    assert np.abs(layer.weight.data).max() <= 0.1 and layer.weight.data.std() == pytest.approx(0.1 / math.sqrt(3),
                                                                                                rel=0.05)


def test_errors_name_the_problem():
    with pytest.raises(TypeError, match="expected rng=np.random.Generator"):
        init.xavier_uniform_(np.empty((3, 3)), rng=0)
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(3,\)"):
        init.xavier_uniform_(np.empty(3), rng=np.random.default_rng())
    with pytest.raises(ValueError, match="expected mode 'fan_in' or 'fan_out', got 'fan'"):
        init.kaiming_normal_(np.empty((3, 3)), mode="fan", rng=np.random.default_rng())
    with pytest.raises(ValueError, match="calculate_gain: expected one of"):
        init.calculate_gain("swish")
