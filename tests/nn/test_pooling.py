import itertools

import numpy as np
import pytest
import torch

import dlcourse.nn as nn
from dlcourse.gradcheck import check_module, relative_error
from dlcourse.nn.pooling import (
    adaptive_avg_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_backward_naive,
    max_pool2d_forward,
    max_pool2d_forward_naive,
)
from tests.parity import assert_all_below, compare_module

# (args, kwargs) accepted identically by torch.nn.MaxPool2d and nn.MaxPool2d
MAX_CONFIGS = [((2,), {}), ((3,), {"stride": 1, "padding": 1}), (((3, 2),), {"stride": (2, 1), "padding": (1, 0)}),
               ((3,), {"stride": 2, "dilation": 2}), ((3,), {"stride": 2, "ceil_mode": True}),
               ((2,), {"stride": 2, "padding": 1, "ceil_mode": True})]
AVG_CONFIGS = [((2,), {}), ((3,), {"stride": 2, "padding": 1}),
               ((3,), {"stride": 2, "padding": 1, "count_include_pad": False}),
               (((3, 2),), {"stride": (1, 2), "padding": (1, 1), "ceil_mode": True}),
               ((3,), {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}),
               ((2,), {"divisor_override": 3})]


@pytest.mark.parametrize("args, kwargs", MAX_CONFIGS)
@pytest.mark.parametrize("hw", [(8, 8), (7, 9)])
def test_max_pool_matches_torch(args, kwargs, hw, rng):
    errors = compare_module(nn.MaxPool2d(*args, **kwargs), torch.nn.MaxPool2d(*args, **kwargs),
                            rng.standard_normal((2, 3, *hw)), rng=rng)
    assert_all_below(errors)


@pytest.mark.parametrize("args, kwargs", AVG_CONFIGS)
@pytest.mark.parametrize("hw", [(8, 8), (7, 9)])
def test_avg_pool_matches_torch(args, kwargs, hw, rng):
    errors = compare_module(nn.AvgPool2d(*args, **kwargs), torch.nn.AvgPool2d(*args, **kwargs),
                            rng.standard_normal((2, 3, *hw)), rng=rng)
    assert_all_below(errors)


@pytest.mark.parametrize("output_size", [1, (1, 1), 3, (2, 4), (None, 3)])
def test_adaptive_avg_pool_matches_torch(output_size, rng):
    errors = compare_module(nn.AdaptiveAvgPool2d(output_size), torch.nn.AdaptiveAvgPool2d(output_size),
                            rng.standard_normal((2, 3, 7, 9)), rng=rng)
    assert_all_below(errors)


def test_global_average_pool_is_the_mean(rng):
    x = rng.standard_normal((2, 3, 5, 6))
    out, _ = adaptive_avg_pool2d_forward(x, 1)
    np.testing.assert_allclose(out[:, :, 0, 0], x.mean(axis=(2, 3)), rtol=1e-12)


@pytest.mark.parametrize("layer", [nn.MaxPool2d(3, stride=2, padding=1), nn.MaxPool2d(2, ceil_mode=True),
                                   nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
                                   nn.AvgPool2d(2, ceil_mode=True), nn.AdaptiveAvgPool2d((2, 3))])
def test_pooling_gradcheck(layer, rng):
    # random inputs have distinct values, so each window's maximum is strict and max pooling is differentiable there
    assert_all_below(check_module(layer, rng.standard_normal((2, 2, 5, 7)), rng=rng), tol=1e-7)


@pytest.mark.parametrize("kernel, stride, padding", list(itertools.product([2, 3], [1, 2], [0, 1])))
def test_naive_max_pool_equals_vectorised(kernel, stride, padding, rng):
    x = rng.standard_normal((2, 3, 7, 6))
    out, cache = max_pool2d_forward(x, kernel, stride=stride, padding=padding)
    out_naive, cache_naive = max_pool2d_forward_naive(x, kernel, stride=stride, padding=padding)
    np.testing.assert_array_equal(out, out_naive)
    dout = rng.standard_normal(out.shape)
    assert relative_error(max_pool2d_backward(dout, cache), max_pool2d_backward_naive(dout, cache_naive)) < 1e-15


@pytest.mark.parametrize("kernel, stride", [(2, 2), (3, 1), (3, 2)])
def test_max_pool_ties_send_the_gradient_to_the_first_maximum_as_torch(kernel, stride, rng):
    x = np.maximum(rng.standard_normal((2, 3, 7, 7)), 0.0)  # ReLU output: many windows are all zeros
    x[0, 0] = 1.0  # a whole channel of ties
    out, cache = max_pool2d_forward(x, kernel, stride=stride)
    dout = rng.standard_normal(out.shape)
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(xt, kernel, stride).backward(torch.tensor(dout))
    np.testing.assert_allclose(max_pool2d_backward(dout, cache), xt.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("layer", [nn.MaxPool2d(2), nn.AvgPool2d(3, stride=1, padding=1), nn.AdaptiveAvgPool2d(1)])
def test_float32_stays_float32(layer, rng):
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    out = layer(x)
    assert out.dtype == np.float32
    assert layer.backward(np.ones_like(out)).dtype == np.float32


def test_bad_inputs_name_expected_and_got():
    with pytest.raises(ValueError, match=r"expected padding <= kernel_size // 2 = \(1, 1\), got padding=\(2, 2\)"):
        nn.MaxPool2d(3, padding=2)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C, H, W\) \(4-D\), got shape \(3, 6, 6\)"):
        nn.MaxPool2d(2)(np.zeros((3, 6, 6)))
    with pytest.raises(TypeError, match="expected input of dtype float32 or float64, got int64"):
        nn.AvgPool2d(2)(np.zeros((1, 1, 4, 4), np.int64))
    with pytest.raises(ValueError, match=r"expected the window \(5, 5\) .* got input \(3, 3\)"):
        nn.MaxPool2d(5)(np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="expected kernel_size >= 1, got 0"):
        nn.AvgPool2d(0)
    with pytest.raises(ValueError, match="expected output_size >= 1, got 0"):
        nn.AdaptiveAvgPool2d(0)(np.zeros((1, 1, 3, 3)))
