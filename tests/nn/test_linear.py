import numpy as np
import pytest
import torch

import dlcourse.nn as nn
from dlcourse.gradcheck import check_module
from tests.parity import assert_all_below, compare_module


@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (1, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias, rng):
    errors = compare_module(nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias), rng.standard_normal(shape),
                            rng=rng)
    assert_all_below(errors)


def test_linear_gradcheck(rng):
    layer = nn.Linear(6, 2, rng=rng).double()
    assert_all_below(check_module(layer, rng.standard_normal((3, 6)), rng=rng), tol=1e-7)


def test_sequential_names_and_state_dict_match_torch():
    ours = nn.Sequential(nn.Linear(4, 8), nn.Flatten(), nn.Linear(8, 2, bias=False))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Flatten(), torch.nn.Linear(8, 2, bias=False))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]


def test_gradients_accumulate(rng):
    layer = nn.Linear(3, 2, rng=rng).double()
    x = rng.standard_normal((4, 3))
    layer(x)
    layer.backward(np.ones((4, 2)))
    once = layer.weight.grad.copy()
    layer(x)
    layer.backward(np.ones((4, 2)))
    np.testing.assert_allclose(layer.weight.grad, 2 * once)
    layer.zero_grad()
    assert not layer.weight.grad.any()


def test_float32_stays_float32(rng):
    layer = nn.Linear(3, 2, rng=rng)
    out = layer(rng.standard_normal((4, 3)).astype(np.float32))
    assert out.dtype == np.float32
    assert layer.backward(np.ones_like(out)).dtype == np.float32


def test_bad_inputs_name_expected_and_got(rng):
    layer = nn.Linear(3, 2, rng=rng)
    with pytest.raises(ValueError, match=r"expected last dimension \(in_features\) = 3, got 5"):
        layer(np.zeros((4, 5), np.float32))
    with pytest.raises(TypeError, match="expected input of dtype float32 or float64, got int64"):
        layer(np.zeros((4, 3), np.int64))
    with pytest.raises(TypeError, match="expected input of dtype float32 .* got float64"):
        layer(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="expected in_features >= 1, got 0"):
        nn.Linear(0, 2)
    with pytest.raises(TypeError, match="expected in_features to be an int, got float"):
        nn.Linear(2.5, 2)


def test_load_state_dict_reports_keys_and_shapes():
    layer = nn.Linear(3, 2)
    with pytest.raises(KeyError, match="missing keys \\['bias'\\]"):
        layer.load_state_dict({"weight": np.zeros((2, 3))})
    with pytest.raises(ValueError, match=r"expected weight of shape \(2, 3\), got \(3, 2\)"):
        layer.load_state_dict({"weight": np.zeros((3, 2)), "bias": np.zeros(2)})
