"""2-D convolution (cross-correlation, as torch.nn.Conv2d): out[n, m] = b[m] + sum_c w[m, c] * x[n, c].

The method is im2col: every receptive field of the (padded) input becomes one column of a matrix, so the whole
layer is one matrix product per group, ``(Mg, Cg*kH*kW) @ (Cg*kH*kW, H_out*W_out)`` for each image (NumPy's
matmul runs the batch loop in C). The backward pass is two more matrix products and col2im, which adds each
column back onto the pixels it came from. ``conv2d_forward_naive`` / ``conv2d_backward_naive`` are the same maths
as plain loops, slow on purpose, for reading and for checking.

For small images (LeNet-sized) conv2d_forward hands over to ``dlcourse.nn.conv_fast``, which runs the same maths
with the columns of the whole batch in one matrix, and conv2d_backward computes a stride-1 input gradient there as
a convolution; neither changes the result, only the speed.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import DTypeLike

from dlcourse.nn import conv_fast
from dlcourse.nn.im2col import (  # noqa: F401 - col2im and im2col stay importable from here
    ConvGeometry,
    IntOrPair,
    Padding,
    col2im,
    conv_geometry,
    im2col,
    pad_input,
    padding_amounts,
    pair,
)
from dlcourse.nn.module import Module, Parameter
from dlcourse.validate import (
    as_float_array,
    check_choice,
    check_ndim,
    check_positive_int,
    check_rng,
    check_same_dtype,
    check_size,
)


class ConvCache(NamedTuple):
    """What conv2d_backward needs after the per-image im2col forward."""

    cols: np.ndarray  # (N, G, Cg*kH*kW, H_out*W_out): the columns of every image and group
    weight: np.ndarray  # (M, C/groups, kH, kW)
    has_bias: bool
    x_shape: tuple  # (N, C, H, W)
    geo: ConvGeometry


def conv2d_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, *, stride: IntOrPair = 1,
                   padding: Padding = 0, dilation: IntOrPair = 1,
                   groups: int = 1) -> tuple[np.ndarray, ConvCache | conv_fast.WholeBatchCache]:
    """Convolution by im2col and one matrix product per image and group (small images: see conv_fast).

    Args:
        x: (N, C, H, W).
        weight: (M, C/groups, kH, kW).
        bias: (M,) or None.
        stride: int or (sH, sW).
        padding: int, (pH, pW), (top, bottom, left, right), "valid" or "same".
        dilation: int or (dH, dW).
        groups: channels split into this many independent groups (groups=C is a depthwise convolution).
    Returns:
        out: (N, M, H_out, W_out) with H_out = floor((H + 2 pH - dH (kH - 1) - 1) / sH) + 1.
        cache: what conv2d_backward needs.
    """
    geo = conv_geometry(x.shape, weight.shape, stride, padding, dilation, groups, "conv2d_forward")
    if conv_fast.use_whole_batch(geo):
        return conv_fast.forward_whole_batch(x, weight, bias, geo)
    N, M, G = x.shape[0], weight.shape[0], geo.groups
    cols = im2col(x, geo.kernel, geo.stride, geo.pad, geo.dilation)  # (N, C*kH*kW, P)
    cols = cols.reshape(N, G, -1, cols.shape[-1])  # (N, G, Cg*kH*kW, P): a group's channels are adjacent rows
    w = weight.reshape(G, M // G, -1)  # (G, Mg, Cg*kH*kW)
    out = (w @ cols).reshape(N, M, *geo.out_hw)  # (N, G, Mg, P) -> (N, M, H_out, W_out)
    if bias is not None:
        out += bias.reshape(M, 1, 1)
    return out, ConvCache(cols, weight, bias is not None, x.shape, geo)


def conv2d_backward(dout: np.ndarray, cache: ConvCache | conv_fast.WholeBatchCache
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of conv2d_forward.

    Args:
        dout: (N, M, H_out, W_out).
        cache: from conv2d_forward.
    Returns:
        dx: (N, C, H, W), dweight: (M, C/groups, kH, kW), dbias: (M,) or None.
    """
    if isinstance(cache, conv_fast.WholeBatchCache):
        return conv_fast.backward_whole_batch(dout, cache)
    cols, weight, has_bias, x_shape, geo = cache
    N, G, M = x_shape[0], geo.groups, weight.shape[0]
    d = dout.reshape(N, G, M // G, -1)  # (N, G, Mg, P)
    dweight = (d @ cols.swapaxes(-1, -2)).sum(axis=0).reshape(weight.shape)  # sum over images of (Mg,P)@(P,K)
    if conv_fast.input_grad_as_convolution_pays(geo, M, x_shape[1]):
        dx = conv_fast.input_grad_by_convolution(dout, weight, x_shape, geo)
    else:
        dcols = weight.reshape(G, M // G, -1).swapaxes(-1, -2) @ d  # (G, K, Mg) @ (N, G, Mg, P) -> (N, G, K, P)
        dx = col2im(dcols, x_shape, geo.kernel, geo.stride, geo.pad, geo.dilation)
    dbias = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return dx, dweight, dbias


def conv2d_forward_naive(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, *, stride: IntOrPair = 1,
                         padding: Padding = 0, dilation: IntOrPair = 1, groups: int = 1) -> tuple[np.ndarray, tuple]:
    """The definition as loops over images, output channels and output pixels: slow, for teaching only.

    Args:
        x: (N, C, H, W), as in conv2d_forward.
        weight: (M, C/groups, kH, kW), as in conv2d_forward.
        bias: (M,) or None.
        stride: as in conv2d_forward.
        padding: as in conv2d_forward.
        dilation: as in conv2d_forward.
        groups: as in conv2d_forward.
    Returns:
        out: (N, M, H_out, W_out), as conv2d_forward.
        cache: what conv2d_backward_naive needs.
    """
    geo = conv_geometry(x.shape, weight.shape, stride, padding, dilation, groups, "conv2d_forward_naive")
    (sH, sW), (dH, dW), (H_out, W_out) = geo.stride, geo.dilation, geo.out_hw
    xp = pad_input(x, geo.pad)
    N, M, Cg, kH, kW = x.shape[0], *weight.shape
    Mg = M // geo.groups
    out = np.zeros((N, M, H_out, W_out), dtype=np.result_type(x, weight))
    for n in range(N):
        for m in range(M):
            c0 = (m // Mg) * Cg  # output channel m only sees the input channels of its group
            for i in range(H_out):
                for j in range(W_out):
                    rows = slice(i * sH, i * sH + dH * (kH - 1) + 1, dH)
                    cols = slice(j * sW, j * sW + dW * (kW - 1) + 1, dW)
                    patch = xp[n, c0:c0 + Cg, rows, cols]  # (Cg, kH, kW), the receptive field of out[n, m, i, j]
                    out[n, m, i, j] = np.sum(patch * weight[m]) + (0.0 if bias is None else bias[m])
    return out, (x, weight, bias is not None, geo)


def conv2d_backward_naive(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Loop version of conv2d_backward: each output pixel sends dout * weight back to its patch, dout * patch to
    the weight. Takes the cache of conv2d_forward_naive; slow, for teaching only."""
    x, weight, has_bias, geo = cache
    (sH, sW), (dH, dW), (H_out, W_out), pad = geo.stride, geo.dilation, geo.out_hw, geo.pad
    xp = pad_input(x, pad)
    dxp, dweight = np.zeros_like(xp), np.zeros_like(weight)
    N, M, Cg, kH, kW = x.shape[0], *weight.shape
    Mg = M // geo.groups
    for n in range(N):
        for m in range(M):
            c0 = (m // Mg) * Cg
            for i in range(H_out):
                for j in range(W_out):
                    rows = slice(i * sH, i * sH + dH * (kH - 1) + 1, dH)
                    cols = slice(j * sW, j * sW + dW * (kW - 1) + 1, dW)
                    dxp[n, c0:c0 + Cg, rows, cols] += dout[n, m, i, j] * weight[m]
                    dweight[m] += dout[n, m, i, j] * xp[n, c0:c0 + Cg, rows, cols]
    dx = dxp[:, :, pad[0]:pad[0] + x.shape[2], pad[2]:pad[2] + x.shape[3]]
    return dx, dweight, dout.sum(axis=(0, 2, 3)) if has_bias else None


class Conv2d(Module):
    """2-D convolution layer with torch.nn.Conv2d's arguments, parameter shapes and initialisation.

    Args:
        in_channels: C.
        out_channels: M.
        kernel_size: int or (kH, kW). stride, padding ("valid", "same", int or pair), dilation, groups, bias: as in
            torch.
        padding_mode: only "zeros" (the default in torch).
        rng: Generator for the initial weights: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = C/groups*kH*kW for
            weight and bias (torch's kaiming_uniform_(a=sqrt(5))).
        dtype: np.float32 (default) or np.float64.
    Shapes: input (N, C, H, W) or (C, H, W) -> output (N, M, H_out, W_out) or (M, H_out, W_out).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrPair, stride: IntOrPair = 1,
                 padding: IntOrPair | str = 0, dilation: IntOrPair = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", *, rng: np.random.Generator | None = None, dtype: DTypeLike = np.float32):
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "Conv2d", "in_channels")
        self.out_channels = check_positive_int(out_channels, "Conv2d", "out_channels")
        self.kernel_size = pair(kernel_size, "Conv2d", "kernel_size")
        self.stride, self.dilation = pair(stride, "Conv2d", "stride"), pair(dilation, "Conv2d", "dilation")
        self.groups = check_positive_int(groups, "Conv2d", "groups")
        self.padding_mode = check_choice(padding_mode, ("zeros",), "Conv2d", "padding_mode")
        self.padding = padding if isinstance(padding, str) else pair(padding, "Conv2d", "padding", minimum=0)
        w_shape = (out_channels, in_channels // self.groups, *self.kernel_size)
        if in_channels % self.groups or out_channels % self.groups:
            raise ValueError(f"Conv2d: expected in_channels and out_channels divisible by groups={groups}, "
                             f"got {in_channels} and {out_channels}")
        padding_amounts(self.padding, self.kernel_size, self.stride, self.dilation, "Conv2d")
        rng = check_rng(rng, "Conv2d")
        bound = 1.0 / math.sqrt(w_shape[1] * w_shape[2] * w_shape[3])
        self.weight = Parameter(rng.uniform(-bound, bound, w_shape).astype(dtype))
        self.bias = Parameter(rng.uniform(-bound, bound, out_channels).astype(dtype)) if bias else None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "Conv2d.forward")
        check_ndim(x, (3, 4), "Conv2d.forward", f"(N, {self.in_channels}, H, W)")
        self._unbatched = x.ndim == 3
        x = x[None] if self._unbatched else x
        check_size(x.shape[1], self.in_channels, "Conv2d.forward", "channels (in_channels)", x.shape)
        check_same_dtype(x, self.weight.data, "Conv2d.forward")
        out, self._cache = conv2d_forward(x, self.weight.data, None if self.bias is None else self.bias.data,
                                          stride=self.stride, padding=self.padding, dilation=self.dilation,
                                          groups=self.groups)
        return out[0] if self._unbatched else out

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        dout = grad_output[None] if self._unbatched else grad_output
        dx, dweight, dbias = conv2d_backward(dout, self._cache)
        self.accumulate_grad(weight=dweight, bias=dbias)
        return dx[0] if self._unbatched else dx

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding not in ((0, 0), "valid"):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")
