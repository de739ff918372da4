import numpy as np
import pytest
import torch

import dlcourse.nn as nn
from dlcourse.gradcheck import check_function, check_module, relative_error
from dlcourse.nn.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    LayerNorm,
    batch_norm_backward,
    batch_norm_forward,
    layer_norm_backward,
    layer_norm_forward,
    update_running_stats,
)
from tests.parity import TOL, assert_all_below, compare_module, copy_weights


def randomize(torch_module: torch.nn.Module, rng: np.random.Generator) -> torch.nn.Module:
    """Give a torch norm layer non-trivial weight, bias and running statistics (the defaults hide bugs)."""
    with torch.no_grad():
        for name, tensor in torch_module.state_dict().items():
            if tensor.is_floating_point():
                values = rng.uniform(0.5, 1.5, tensor.shape) if "var" in name else rng.standard_normal(tensor.shape)
                tensor.copy_(torch.tensor(values))
    return torch_module


def assert_buffers_match(ours, theirs) -> None:
    for name, value in theirs.state_dict().items():
        if name.startswith("num_batches"):
            assert int(getattr(ours, name)) == int(value)
        elif "running" in name:
            assert relative_error(getattr(ours, name), value.numpy()) <= TOL, name


# ----- BatchNorm ----------------------------------------------------------------------------------------------------
BN_CASES = [(BatchNorm1d, torch.nn.BatchNorm1d, (8, 3)), (BatchNorm1d, torch.nn.BatchNorm1d, (5, 3, 4)),
            (BatchNorm2d, torch.nn.BatchNorm2d, (4, 3, 5, 2))]


@pytest.mark.parametrize("ours_cls, theirs_cls, shape", BN_CASES)
@pytest.mark.parametrize("kwargs", [{}, {"affine": False}, {"bias": False}, {"momentum": None},
                                    {"track_running_stats": False}, {"eps": 0.1, "momentum": 0.3}])
def test_batchnorm_training_matches_torch_over_several_steps(ours_cls, theirs_cls, shape, kwargs, rng):
    ours, theirs = ours_cls(3, **kwargs), randomize(theirs_cls(3, **kwargs), rng)
    assert_all_below(compare_module(ours, theirs, rng.standard_normal(shape) * 3 + 1, rng=rng))
    for _ in range(3):  # running statistics keep following torch's, batch after batch
        theirs.zero_grad()
        assert_all_below(compare_module(ours, theirs, rng.standard_normal(shape) * 2 - 1, rng=rng, copy=False))
        assert_buffers_match(ours, theirs)


@pytest.mark.parametrize("ours_cls, theirs_cls, shape", BN_CASES)
@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm_eval_uses_running_stats_like_torch(ours_cls, theirs_cls, shape, affine, rng):
    ours, theirs = ours_cls(3, affine=affine), randomize(theirs_cls(3, affine=affine), rng)
    ours.eval(), theirs.eval()
    assert_all_below(compare_module(ours, theirs, rng.standard_normal(shape), rng=rng))
    assert_buffers_match(ours, theirs)  # eval never updates them
    single = rng.standard_normal((1,) + shape[1:])  # one example is fine in eval mode
    np.testing.assert_allclose(ours(single), theirs(torch.tensor(single)).detach().numpy(), rtol=1e-12)


def test_batchnorm_state_dict_keys_match_torch():
    for kwargs in [{}, {"affine": False}, {"track_running_stats": False}, {"bias": False}]:
        for ours, theirs in [(nn.BatchNorm1d(4, **kwargs), torch.nn.BatchNorm1d(4, **kwargs)),
                             (nn.BatchNorm2d(4, **kwargs), torch.nn.BatchNorm2d(4, **kwargs))]:
            assert list(ours.state_dict()) == list(theirs.state_dict()), kwargs
    state = nn.BatchNorm1d(4).state_dict()
    assert state["num_batches_tracked"].dtype == np.int64 and state["running_var"].tolist() == [1.0] * 4


def test_batchnorm_inside_sequential_loads_torch_state(rng):
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3)).double()
    randomize(theirs[1], rng)
    ours = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)).double()
    copy_weights(theirs, ours)
    assert ours[1].running_mean.tolist() == theirs[1].running_mean.tolist()
    ours.eval(), theirs.eval()
    assert_all_below(compare_module(ours, theirs, rng.standard_normal((6, 4)), rng=rng, copy=False))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("cls, shape", [(BatchNorm1d, (6, 3)), (BatchNorm1d, (3, 2, 4)), (BatchNorm2d, (3, 2, 3, 2))])
def test_batchnorm_gradcheck(cls, shape, training, rng):
    layer = cls(shape[1], dtype=np.float64).train(training)
    layer.weight.data[:] = rng.standard_normal(layer.weight.shape)
    layer.bias.data[:] = rng.standard_normal(layer.bias.shape)
    layer.running_mean[:], layer.running_var[:] = rng.standard_normal(shape[1]), rng.uniform(0.5, 2, shape[1])
    assert_all_below(check_module(layer, rng.standard_normal(shape), rng=rng), tol=1e-7)


def test_batch_norm_functions_gradcheck(rng):
    x, weight, bias = rng.standard_normal((5, 3, 2)), rng.standard_normal(3), rng.standard_normal(3)
    cache = {}

    def forward(x, weight, bias):
        out, cache["c"] = batch_norm_forward(x, weight, bias, eps=1e-3)
        return out

    errors = check_function(forward, lambda dout: batch_norm_backward(dout, cache["c"]), [x, weight, bias], rng=rng)
    assert max(errors) <= 1e-7, errors


def test_batch_norm_forward_normalises_each_channel(rng):
    x = rng.standard_normal((50, 4, 3)) * np.array([1.0, 5.0, 0.1, 20.0])[:, None] + 7
    out, cache = batch_norm_forward(x, None, None, eps=0.0)
    np.testing.assert_allclose(out.mean(axis=(0, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 2)), 1, rtol=1e-12)
    assert cache.mean.shape == (1, 4, 1)


def test_update_running_stats_uses_unbiased_variance():
    mean, var = update_running_stats(np.zeros(1), np.ones(1), np.array([2.0]), np.array([3.0]), count=4, momentum=0.5)
    assert mean.tolist() == [1.0] and var.tolist() == [0.5 + 0.5 * 3.0 * 4 / 3]


def test_batchnorm_float32_stays_float32(rng):
    layer = nn.BatchNorm2d(2)
    x = rng.standard_normal((3, 2, 4, 4)).astype(np.float32)
    out = layer(x)
    assert out.dtype == np.float32 and layer.running_var.dtype == np.float32
    assert layer.backward(np.ones_like(out)).dtype == np.float32
    assert layer.weight.grad.dtype == np.float32
    layer.eval()
    assert layer(x).dtype == np.float32


def test_batchnorm_bad_inputs_name_expected_and_got():
    with pytest.raises(ValueError, match=r"expected dimension 1 \(num_features\) = 3, got 4"):
        nn.BatchNorm1d(3)(np.zeros((5, 4), np.float32))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C, H, W\) \(4-D\), got shape \(5, 3\)"):
        nn.BatchNorm2d(3)(np.zeros((5, 3), np.float32))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C\) or \(N, C, L\).*got shape \(3,\)"):
        nn.BatchNorm1d(3)(np.zeros(3, np.float32))
    with pytest.raises(ValueError, match=r"expected more than 1 value per channel when training, got input shape"):
        nn.BatchNorm1d(3)(np.zeros((1, 3), np.float32))
    with pytest.raises(TypeError, match="expected input of dtype float32 or float64, got int64"):
        nn.BatchNorm1d(3)(np.zeros((4, 3), np.int64))
    with pytest.raises(ValueError, match=r"expected momentum in \[0, 1\] or None, got 1.5"):
        nn.BatchNorm1d(3, momentum=1.5)
    with pytest.raises(ValueError, match="expected num_features >= 1, got 0"):
        nn.BatchNorm2d(0)


# ----- LayerNorm ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("normalized_shape, shape", [(5, (4, 5)), ((5,), (2, 3, 5)), ((3, 4), (2, 3, 4)),
                                                      ((2, 3, 4), (2, 3, 4))])
@pytest.mark.parametrize("kwargs", [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 0.5}])
def test_layernorm_matches_torch(normalized_shape, shape, kwargs, rng):
    ours, theirs = LayerNorm(normalized_shape, **kwargs), randomize(torch.nn.LayerNorm(normalized_shape, **kwargs), rng)
    assert_all_below(compare_module(ours, theirs, rng.standard_normal(shape) * 4 + 2, rng=rng))
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_layernorm_same_in_eval_mode(rng):
    layer = LayerNorm(4, dtype=np.float64)
    x = rng.standard_normal((3, 4))
    np.testing.assert_array_equal(layer(x), layer.eval()(x))


@pytest.mark.parametrize("normalized_shape, shape", [(4, (3, 4)), ((2, 3), (2, 2, 3))])
def test_layernorm_gradcheck(normalized_shape, shape, rng):
    layer = LayerNorm(normalized_shape).double()
    layer.weight.data[:] = rng.standard_normal(layer.weight.shape)
    layer.bias.data[:] = rng.standard_normal(layer.bias.shape)
    assert_all_below(check_module(layer, rng.standard_normal(shape), rng=rng), tol=1e-7)


def test_layer_norm_functions_gradcheck(rng):
    x, weight, bias = rng.standard_normal((3, 2, 4)), rng.standard_normal(4), rng.standard_normal(4)
    cache = {}

    def forward(x, weight, bias):
        out, cache["c"] = layer_norm_forward(x, (4,), weight, bias)
        return out

    errors = check_function(forward, lambda dout: layer_norm_backward(dout, cache["c"]), [x, weight, bias], rng=rng)
    assert max(errors) <= 1e-7, errors


def test_layernorm_float32_stays_float32(rng):
    layer = LayerNorm(6)
    out = layer(rng.standard_normal((2, 6)).astype(np.float32))
    assert out.dtype == np.float32 and layer.backward(np.ones_like(out)).dtype == np.float32


def test_layernorm_bad_inputs_name_expected_and_got():
    with pytest.raises(ValueError, match=r"expected input of shape \(\*, 3, 4\) .* got \(2, 4, 3\)"):
        LayerNorm((3, 4))(np.zeros((2, 4, 3), np.float32))
    with pytest.raises(ValueError, match=r"ending in normalized_shape \(5,\), got \(5, 4\)"):
        LayerNorm(5)(np.zeros((5, 4), np.float32))
    with pytest.raises(TypeError, match="expected input of dtype float32 .* got float64"):
        LayerNorm(3)(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="expected normalized_shape entries >= 1, got 0"):
        LayerNorm((3, 0))
