import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import dlcourse.nn as nn
from dlcourse.gradcheck import check_function, check_module, relative_error
from dlcourse.nn.conv import (
    ConvCache,
    col2im,
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_forward,
    conv2d_forward_naive,
    im2col,
)
from dlcourse.nn.conv_fast import WholeBatchCache
from tests.parity import assert_all_below, compare_module

# (in_channels, out_channels, kernel_size, keyword arguments shared by torch.nn.Conv2d and nn.Conv2d)
CONFIGS = [
    (3, 4, 3, {}),
    (3, 4, 3, {"padding": 1, "bias": False}),
    (2, 5, (3, 2), {"stride": (2, 1), "padding": (1, 0)}),
    (4, 6, 3, {"stride": 2, "padding": 2, "dilation": 2, "groups": 2}),
    (4, 4, 3, {"padding": 1, "groups": 4}),  # depthwise
    (4, 8, 3, {"padding": 1, "groups": 4, "bias": False}),  # depthwise with channel multiplier 2
    (3, 2, 4, {"padding": "same", "dilation": (1, 2)}),  # even kernel: torch pads one more on the end
    (3, 2, 2, {"padding": "valid", "stride": 3}),
    (1, 6, 5, {}),  # LeNet's first layer
]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")  # torch's own speed note
@pytest.mark.parametrize("c_in, c_out, kernel, kwargs", CONFIGS)
def test_conv2d_matches_torch(c_in, c_out, kernel, kwargs, rng):
    x = rng.standard_normal((2, c_in, 9, 8))
    errors = compare_module(nn.Conv2d(c_in, c_out, kernel, **kwargs), torch.nn.Conv2d(c_in, c_out, kernel, **kwargs),
                            x, rng=rng)
    assert_all_below(errors)


@pytest.mark.parametrize("c_in, c_out, kernel, kwargs", [CONFIGS[0], CONFIGS[1], CONFIGS[3], CONFIGS[4]])
def test_conv2d_matches_torch_on_large_images(c_in, c_out, kernel, kwargs, rng):
    """Outputs of >= conv_fast.WHOLE_BATCH_BELOW pixels take the per-image path (small ones batch all images)."""
    x = rng.standard_normal((2, c_in, 40, 36))
    weight = np.zeros((c_out, c_in // kwargs.get("groups", 1), kernel, kernel))
    conv_kwargs = {k: v for k, v in kwargs.items() if k != "bias"}
    assert isinstance(conv2d_forward(x, weight, None, **conv_kwargs)[1], ConvCache)  # the path this test is for
    errors = compare_module(nn.Conv2d(c_in, c_out, kernel, **kwargs), torch.nn.Conv2d(c_in, c_out, kernel, **kwargs),
                            x, rng=rng)
    assert_all_below(errors)


@pytest.mark.parametrize("c_in, c_out, kernel, kwargs", [CONFIGS[0], CONFIGS[3], CONFIGS[5]])
def test_conv2d_gradcheck(c_in, c_out, kernel, kwargs, rng):
    layer = nn.Conv2d(c_in, c_out, kernel, rng=rng, **kwargs).double()
    assert_all_below(check_module(layer, rng.standard_normal((2, c_in, 6, 5)), rng=rng), tol=1e-7)


@pytest.mark.parametrize("c_in, c_out, kernel, kwargs", CONFIGS[:6])
def test_naive_loops_equal_vectorised(c_in, c_out, kernel, kwargs, rng):
    kwargs = dict(kwargs)
    bias = rng.standard_normal(c_out) if kwargs.pop("bias", True) else None
    kH, kW = (kernel, kernel) if isinstance(kernel, int) else kernel
    x = rng.standard_normal((2, c_in, 7, 8))
    weight = rng.standard_normal((c_out, c_in // kwargs.get("groups", 1), kH, kW))
    out, cache = conv2d_forward(x, weight, bias, **kwargs)
    assert isinstance(cache, WholeBatchCache)  # 7x8 images: the fast whole-batch path is the one checked here
    out_naive, cache_naive = conv2d_forward_naive(x, weight, bias, **kwargs)
    assert relative_error(out, out_naive) < 1e-12
    dout = rng.standard_normal(out.shape)
    for fast, slow in zip(conv2d_backward(dout, cache), conv2d_backward_naive(dout, cache_naive), strict=True):
        assert (fast is None and slow is None) or relative_error(fast, slow) < 1e-12


def test_functional_gradcheck_with_stride_and_dilation(rng):
    x, weight, bias = rng.standard_normal((2, 2, 7, 7)), rng.standard_normal((3, 2, 2, 3)), rng.standard_normal(3)
    cache = {}

    def forward(x, weight, bias):
        out, cache["c"] = conv2d_forward(x, weight, bias, stride=(2, 1), padding=1, dilation=(2, 1))
        return out

    errors = check_function(forward, lambda dout: conv2d_backward(dout, cache["c"]), [x, weight, bias], rng=rng)
    assert max(errors) < 1e-7, errors


@settings(max_examples=25, deadline=None)
@given(k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 2), d=st.integers(1, 2), h=st.integers(4, 8))
def test_col2im_is_the_adjoint_of_im2col(k, s, p, d, h):
    # <im2col(x), c> = <x, col2im(c)> for every x and c: col2im is exactly the transpose of the copying map.
    assume(h + 2 * p >= d * (k - 1) + 1)  # the dilated kernel fits
    rng = np.random.default_rng(k * 1000 + s * 100 + p * 10 + d)
    x = rng.standard_normal((2, 3, h, h + 1))
    cols = im2col(x, (k, k), s, p, d)
    c = rng.standard_normal(cols.shape)
    back = col2im(c, x.shape, (k, k), s, p, d)
    assert back.shape == x.shape
    assert np.isclose(np.sum(cols * c), np.sum(x * back), rtol=1e-12)


def test_im2col_rejects_a_kernel_larger_than_the_input(rng):
    with pytest.raises(ValueError, match=r"im2col: expected the dilated kernel to fit .* dilation \(2, 2\)"):
        im2col(rng.standard_normal((1, 1, 4, 4)), (3, 3), dilation=2)


def test_im2col_columns_are_receptive_fields(rng):
    x = rng.standard_normal((1, 2, 5, 5))
    cols = im2col(x, (3, 3), stride=2, padding=0)  # (1, 2*3*3, 2*2)
    assert cols.shape == (1, 18, 4)
    np.testing.assert_array_equal(cols[0, :, 3], x[0, :, 2:5, 2:5].reshape(-1))  # output pixel (1, 1)


def test_float32_stays_float32_and_unbatched_input_works(rng):
    layer = nn.Conv2d(2, 3, 3, padding=1, rng=rng)
    x = rng.standard_normal((2, 5, 5)).astype(np.float32)
    out = layer(x)
    assert out.shape == (3, 5, 5) and out.dtype == np.float32
    dx = layer.backward(np.ones_like(out))
    assert dx.shape == x.shape and dx.dtype == np.float32 and layer.weight.grad.dtype == np.float32
    np.testing.assert_allclose(layer(x[None])[0], out, rtol=1e-6)


def test_init_shapes_bounds_and_names_match_torch(rng):
    ours, theirs = nn.Conv2d(4, 6, (3, 2), groups=2, rng=rng), torch.nn.Conv2d(4, 6, (3, 2), groups=2)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: tuple(v.shape) for k, v in
                                                                   theirs.state_dict().items()}
    bound = 1 / np.sqrt(2 * 3 * 2)  # fan_in = in_channels / groups * kH * kW
    assert np.abs(ours.weight.data).max() <= bound and np.abs(ours.weight.data).max() > 0.8 * bound
    assert ours.weight.dtype == np.float32
    again = nn.Conv2d(4, 6, (3, 2), groups=2, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(nn.Conv2d(4, 6, (3, 2), groups=2, rng=np.random.default_rng(0)).weight.data,
                                  again.weight.data)


def test_gradients_accumulate(rng):
    layer = nn.Conv2d(2, 2, 3, rng=rng).double()
    x = rng.standard_normal((1, 2, 4, 4))
    dout = rng.standard_normal((1, 2, 2, 2))
    layer(x)
    layer.backward(dout)
    once = layer.weight.grad.copy()
    layer(x)
    layer.backward(dout)
    np.testing.assert_allclose(layer.weight.grad, 2 * once)


def test_bad_inputs_name_expected_and_got(rng):
    layer = nn.Conv2d(3, 4, 3, rng=rng)
    with pytest.raises(ValueError, match=r"expected channels \(in_channels\) = 3, got 2"):
        layer(np.zeros((1, 2, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3, H, W\) \(3 or 4-D\), got shape \(5, 5\)"):
        layer(np.zeros((5, 5), np.float32))
    with pytest.raises(TypeError, match="expected input of dtype float32 .* got float64"):
        layer(np.zeros((1, 3, 5, 5)))
    with pytest.raises(TypeError, match="expected input of dtype float32 or float64, got int64"):
        layer(np.zeros((1, 3, 5, 5), np.int64))
    with pytest.raises(ValueError, match=r"expected the dilated kernel to fit .* got input \(2, 2\)"):
        layer(np.zeros((1, 3, 2, 2), np.float32))
    with pytest.raises(ValueError, match="expected in_channels and out_channels divisible by groups=2, got 3 and 4"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding='same' needs stride=1, got stride=\\(2, 2\\)"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"expected padding_mode to be one of \['zeros'\], got 'reflect'"):
        nn.Conv2d(3, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="expected padding >= 0, got -1"):
        nn.Conv2d(3, 4, 3, padding=-1)
    with pytest.raises(ValueError, match=r"expected input channels C = weight.shape\[1\] \* groups = 4, got 3"):
        conv2d_forward(np.zeros((1, 4, 5, 5)), np.zeros((2, 3, 3, 3)), None)


def test_small_cnn_state_dict_and_output_match_torch(rng):
    ours = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3 * 4 * 4, 2))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3, padding=1), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                                 torch.nn.Linear(3 * 4 * 4, 2))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert_all_below(compare_module(ours, theirs, rng.standard_normal((3, 1, 8, 8)), rng=rng))
