"""ConvTranspose2d: parity with torch in float64 for every option, gradient checks, the link to Conv2d, errors."""

import numpy as np
import pytest
import torch

import dlcourse.nn as nn
from dlcourse.gradcheck import check_function, check_module, relative_error
from dlcourse.nn.functional import conv2d_backward, conv2d_forward, conv_transpose2d_backward, conv_transpose2d_forward
from tests.parity import TOL, assert_all_below, compare_module

# (C_in, C_out, kernel, stride, padding, output_padding, groups, bias, dilation, (H, W))
CASES = [
    (3, 4, 3, 1, 0, 0, 1, True, 1, (5, 6)),
    (3, 2, 3, 2, 1, 1, 1, True, 1, (4, 4)),
    (2, 3, (2, 3), (2, 3), (0, 1), (1, 2), 1, False, 1, (3, 5)),
    (4, 6, 3, 2, 1, 0, 2, True, 1, (5, 4)),
    (4, 4, 3, 1, 1, 0, 4, False, 1, (6, 6)),  # depthwise
    (2, 3, 3, 1, 2, 1, 1, True, 2, (5, 5)),  # output_padding < dilation, stride 1
    (2, 2, 3, 3, 0, 2, 1, True, (2, 1), (3, 4)),
    (3, 3, 4, 2, 3, 1, 3, True, (1, 2), (6, 5)),
    (1, 2, 1, 2, 0, 1, 1, True, 1, (4, 4)),  # a 1x1 kernel leaves every other output pixel to the bias
    (2, 4, 5, 4, 2, 3, 2, True, 1, (2, 3)),  # output_padding beyond the reach of every window
]


def _layers(case, rng):
    C_in, C_out, k, s, p, op, g, bias, d, _ = case
    ours = nn.ConvTranspose2d(C_in, C_out, k, stride=s, padding=p, output_padding=op, groups=g, bias=bias,
                              dilation=d, rng=rng, dtype=np.float64)
    theirs = torch.nn.ConvTranspose2d(C_in, C_out, k, stride=s, padding=p, output_padding=op, groups=g, bias=bias,
                                      dilation=d)
    return ours, theirs


@pytest.mark.parametrize("case", CASES, ids=[str(c) for c in CASES])
def test_parity_with_torch(case, rng):
    ours, theirs = _layers(case, rng)
    x = rng.standard_normal((3, case[0], *case[-1]))
    errors = compare_module(ours, theirs, x, rng=rng)
    assert ours(x).shape == theirs.double()(torch.tensor(x)).shape
    assert_all_below(errors)


@pytest.mark.parametrize("case", CASES[:4] + CASES[-3:], ids=[str(c) for c in CASES[:4] + CASES[-3:]])
def test_gradcheck(case, rng):
    ours, _ = _layers(case, rng)
    errors = check_module(ours, rng.standard_normal((2, case[0], *case[-1])), rng=rng)
    assert max(errors.values()) < 1e-7, errors


def test_pure_functions_gradcheck(rng):
    x, w, b = rng.standard_normal((2, 4, 3, 4)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(6)
    cache = {}

    def forward(x, w, b):
        out, cache["c"] = conv_transpose2d_forward(x, w, b, stride=2, padding=1, output_padding=1, groups=2)
        return out

    errors = check_function(forward, lambda d: conv_transpose2d_backward(d, cache["c"]), [x, w, b], rng=rng)
    assert max(errors) < 1e-7, errors


@pytest.mark.parametrize("stride, padding, dilation, groups", [(1, 0, 1, 1), (2, 1, 1, 1), (3, 2, 2, 2)])
def test_it_is_the_input_gradient_of_the_convolution(rng, stride, padding, dilation, groups):
    """conv_transpose2d_forward(g, W) equals conv2d_backward's dx for upstream gradient g, with the same W."""
    x = rng.standard_normal((2, 4, 11, 10))
    weight = rng.standard_normal((6, 4 // groups, 3, 3))  # Conv2d: (M, C/groups, kH, kW) from 4 to 6 channels
    y, cache = conv2d_forward(x, weight, None, stride=stride, padding=padding, dilation=dilation, groups=groups)
    g = rng.standard_normal(y.shape)
    dx, _, _ = conv2d_backward(g, cache)
    # the output_padding that gives back x's size exactly
    op = [x.shape[2 + a] - ((y.shape[2 + a] - 1) * stride - 2 * padding + dilation * 2 + 1) for a in range(2)]
    transposed, _ = conv_transpose2d_forward(g, weight, None, stride=stride, padding=padding, output_padding=op,
                                             groups=groups, dilation=dilation)
    assert relative_error(transposed, dx) < 1e-13


def test_unbatched_float32_state_dict_and_init(rng):
    layer = nn.ConvTranspose2d(3, 4, (2, 3), stride=2, groups=1, rng=rng)
    assert layer.weight.data.shape == (3, 4, 2, 3) and layer.weight.data.dtype == np.float32
    assert list(layer.state_dict()) == list(torch.nn.ConvTranspose2d(3, 4, (2, 3), stride=2).state_dict())
    bound = 1 / np.sqrt(4 * 2 * 3)  # torch's fan_in for transposed convolutions: weight.shape[1] * kH * kW
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.weight.data).max() > 0.8 * bound
    x = rng.standard_normal((3, 5, 5)).astype(np.float32)
    batched = layer(x[None])[0]
    out = layer(x)
    assert out.shape == (4, 10, 11) and out.dtype == np.float32
    np.testing.assert_allclose(out, batched)
    assert layer.backward(np.ones_like(out)).shape == x.shape
    assert "output_padding" not in repr(layer)
    assert "output_padding=(1, 1)" in repr(nn.ConvTranspose2d(1, 1, 3, stride=2, output_padding=1))


def test_bad_inputs(rng):
    with pytest.raises(ValueError, match=r"expected output_padding smaller than stride or dilation, got "
                                         r"output_padding=\(1, 1\), stride=\(1, 1\), dilation=\(1, 1\)"):
        nn.ConvTranspose2d(2, 2, 3, output_padding=1)
    with pytest.raises(ValueError, match="divisible by groups=2, got 3 and 4"):
        nn.ConvTranspose2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode to be one of"):
        nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")
    layer = nn.ConvTranspose2d(3, 4, 3, rng=rng, dtype=np.float64)
    with pytest.raises(ValueError, match=r"expected channels \(in_channels\) = 3, got 2"):
        layer(np.zeros((1, 2, 4, 4)))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3, H, W\) \(3 or 4-D\), got shape \(4, 4\)"):
        layer(np.zeros((4, 4)))
    with pytest.raises(TypeError, match="expected input of dtype float64"):
        layer(np.zeros((1, 3, 4, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="expected a positive output size"):
        conv_transpose2d_forward(np.zeros((1, 1, 1, 1)), np.zeros((1, 1, 1, 1)), None, padding=1)
    with pytest.raises(ValueError, match=r"expected input channels C_in = weight.shape\[0\] = 2, got 3"):
        conv_transpose2d_forward(np.zeros((1, 3, 4, 4)), np.zeros((2, 1, 3, 3)), None)


def test_tolerance_is_the_shared_one():
    assert TOL == 1e-9
