"""Transposed convolution (torch.nn.ConvTranspose2d): the convolution's input gradient, used as a layer.

A convolution with weight (C_in, C_out/groups, kH, kW) maps an image with C_out channels to one with C_in channels;
its backward pass sends a (N, C_in, H, W) gradient back to (N, C_out, H_out, W_out). The transposed convolution is
exactly that backward map applied to an input x: every input pixel x[n, c, i, j] stamps a copy of its kernel,
scaled by its value, onto the output at (i*s - p + a*d, j*s - p + b*d). So the forward pass here is what
conv2d_backward does for dx (a matrix product, then col2im adds the columns back onto pixels), and the backward
pass is what conv2d_forward does (im2col, then a matrix product). The output is larger than the input:

    H_out = (H - 1) * s - 2 p + d (kH - 1) + output_padding + 1.

``output_padding`` (less than the stride or the dilation) picks one of the several output sizes that a strided
convolution maps onto the same H; it adds rows at the bottom and columns on the right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dlcourse.nn import init
from dlcourse.nn.im2col import col2im, im2col, pair
from dlcourse.nn.module import Module, Parameter
from dlcourse.validate import (
    as_float_array,
    check_choice,
    check_ndim,
    check_positive_int,
    check_same_dtype,
    check_size,
)


@dataclass(frozen=True, slots=True)
class ConvTransposeGeometry:
    """The normalised hyperparameters of one transposed convolution, checked against its input and weight."""

    kernel: tuple[int, int]  # (kH, kW)
    stride: tuple[int, int]
    padding: tuple[int, int]
    output_padding: tuple[int, int]
    dilation: tuple[int, int]
    groups: int
    out_hw: tuple[int, int]  # (H_out, W_out)
    conv_pad: tuple[int, int, int, int]  # (top, bottom, left, right) of the convolution whose dx this is


def conv_transpose2d_geometry(x_shape: tuple, w_shape: tuple, stride, padding, output_padding, dilation,
                              groups: int, where: str) -> ConvTransposeGeometry:
    """Check that input, weight and hyperparameters fit together; return the normalised pairs and sizes.

    Args:
        x_shape: (N, C_in, H, W). w_shape: (C_in, C_out/groups, kH, kW).
    Returns:
        ConvTransposeGeometry; its conv_pad may have a negative bottom or right entry (see _covered).
    """
    if len(x_shape) != 4:
        raise ValueError(f"{where}: expected input of shape (N, C_in, H, W) (4-D), got shape {x_shape}")
    if len(w_shape) != 4:
        raise ValueError(f"{where}: expected weight of shape (C_in, C_out/groups, kH, kW) (4-D), got shape {w_shape}")
    groups = check_positive_int(groups, where, "groups")
    stride, dilation = pair(stride, where, "stride"), pair(dilation, where, "dilation")
    padding, output_padding = pair(padding, where, "padding", 0), pair(output_padding, where, "output_padding", 0)
    check_size(x_shape[1], w_shape[0], where, "input channels C_in = weight.shape[0]", x_shape)
    if w_shape[0] % groups:
        raise ValueError(f"{where}: expected C_in divisible by groups={groups}, got C_in={w_shape[0]}")
    _check_output_padding(output_padding, stride, dilation, where)
    kernel = tuple(w_shape[2:])
    out_hw = tuple((x_shape[2 + a] - 1) * stride[a] - 2 * padding[a] + dilation[a] * (kernel[a] - 1)
                   + output_padding[a] + 1 for a in range(2))
    if min(out_hw) < 1:
        raise ValueError(f"{where}: expected a positive output size, got {out_hw} from input {x_shape[2:]}, "
                         f"kernel {kernel}, stride {stride}, padding {padding}, dilation {dilation}")
    # The convolution from out_hw back to (H, W) pads p on top and p - output_padding at the bottom: the last rows
    # of output_padding are beyond every window when that is negative (they receive only the bias).
    conv_pad = (padding[0], padding[0] - output_padding[0], padding[1], padding[1] - output_padding[1])
    return ConvTransposeGeometry(kernel, stride, padding, output_padding, dilation, groups, out_hw, conv_pad)


def _check_output_padding(output_padding: tuple, stride: tuple, dilation: tuple, where: str) -> None:
    """torch's rule: output_padding < max(stride, dilation) in each direction, or the extra rows would be a
    convolution output of their own rather than a choice between sizes."""
    if any(o >= max(s, d) for o, s, d in zip(output_padding, stride, dilation, strict=True)):
        raise ValueError(f"{where}: expected output_padding smaller than stride or dilation, got "
                         f"output_padding={output_padding}, stride={stride}, dilation={dilation}")


def _covered(geo: ConvTransposeGeometry) -> tuple[tuple[int, int], tuple[int, int, int, int]]:
    """The part of the output that windows reach, (H_c, W_c) from the top left, and its non-negative padding."""
    top, bottom, left, right = geo.conv_pad
    size = (geo.out_hw[0] + min(bottom, 0), geo.out_hw[1] + min(right, 0))
    return size, (top, max(bottom, 0), left, max(right, 0))


def conv_transpose2d_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, *, stride=1, padding=0,
                             output_padding=0, groups: int = 1, dilation=1) -> tuple[np.ndarray, tuple]:
    """Transposed convolution: a matrix product per image and group, then col2im (a convolution's dx).

    Args:
        x: (N, C_in, H, W). weight: (C_in, C_out/groups, kH, kW), torch's layout. bias: (C_out,) or None.
        stride, padding, output_padding, dilation: int or pair. groups: int dividing C_in and C_out.
    Returns:
        out: (N, C_out, H_out, W_out), H_out = (H - 1) s - 2 p + d (kH - 1) + output_padding + 1.
        cache: what conv_transpose2d_backward needs.
    """
    geo = conv_transpose2d_geometry(x.shape, weight.shape, stride, padding, output_padding, dilation, groups,
                                    "conv_transpose2d_forward")
    N, C_in, H, W = x.shape
    G, C_out = geo.groups, weight.shape[1] * geo.groups
    w = weight.reshape(G, C_in // G, -1)  # (C_in, C_out/G, kH, kW) -> (G, Cin_g, Cout_g*kH*kW)
    xg = x.reshape(N, G, C_in // G, H * W)  # (N, C_in, H, W) -> (N, G, Cin_g, H*W)
    cols = w.swapaxes(-1, -2) @ xg  # (G, Cout_g*kH*kW, Cin_g) @ (N, G, Cin_g, H*W) -> (N, G, Cout_g*kH*kW, H*W)
    (Hc, Wc), pad = _covered(geo)
    out = np.zeros((N, C_out, *geo.out_hw), dtype=np.result_type(x, weight))
    out[:, :, :Hc, :Wc] = col2im(cols, (N, C_out, Hc, Wc), geo.kernel, geo.stride, pad, geo.dilation)
    if bias is not None:
        out += bias.reshape(C_out, 1, 1)
    return out, (x, weight, bias is not None, geo)


def conv_transpose2d_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of conv_transpose2d_forward: im2col of dout, then matrix products (a convolution's forward).

    Args:
        dout: (N, C_out, H_out, W_out). cache: from conv_transpose2d_forward.
    Returns:
        dx: (N, C_in, H, W), dweight: (C_in, C_out/groups, kH, kW), dbias: (C_out,) or None.
    """
    x, weight, has_bias, geo = cache
    N, C_in, H, W = x.shape
    G = geo.groups
    (Hc, Wc), pad = _covered(geo)
    dcols = im2col(np.ascontiguousarray(dout[:, :, :Hc, :Wc]), geo.kernel, geo.stride, pad, geo.dilation)
    dcols = dcols.reshape(N, G, -1, H * W)  # (N, C_out*kH*kW, H*W) -> (N, G, Cout_g*kH*kW, H*W)
    w = weight.reshape(G, C_in // G, -1)  # (G, Cin_g, Cout_g*kH*kW)
    dx = (w @ dcols).reshape(x.shape)  # (G, Cin_g, K) @ (N, G, K, H*W) -> (N, G, Cin_g, H*W) -> (N, C_in, H, W)
    xg = x.reshape(N, G, C_in // G, H * W)  # (N, G, Cin_g, H*W)
    dweight = (xg @ dcols.swapaxes(-1, -2)).sum(axis=0).reshape(weight.shape)  # sum over images of (Cin_g, K)
    dbias = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return dx, dweight, dbias


class ConvTranspose2d(Module):
    """Transposed 2-D convolution with torch.nn.ConvTranspose2d's arguments, parameter shapes and initialisation.

    Args:
        in_channels: C_in. out_channels: C_out. kernel_size: int or (kH, kW).
        stride, padding, output_padding, groups, bias, dilation: as in torch (and in torch's argument order).
        padding_mode: only "zeros" (the only one torch allows here).
        rng: Generator for the initial weights: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias with
            torch's fan_in = weight.shape[1] * kH * kW = C_out/groups * kH * kW.
        dtype: np.float32 (default) or np.float64.
    Shapes: input (N, C_in, H, W) or (C_in, H, W) -> output (N, C_out, H_out, W_out) or (C_out, H_out, W_out).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
                 output_padding: int | tuple[int, int] = 0, groups: int = 1, bias: bool = True,
                 dilation: int | tuple[int, int] = 1, padding_mode: str = "zeros", *,
                 rng: np.random.Generator | None = None, dtype=np.float32):
        super().__init__()
        where = "ConvTranspose2d"
        self.in_channels = check_positive_int(in_channels, where, "in_channels")
        self.out_channels = check_positive_int(out_channels, where, "out_channels")
        self.kernel_size = pair(kernel_size, where, "kernel_size")
        self.stride, self.dilation = pair(stride, where, "stride"), pair(dilation, where, "dilation")
        self.padding = pair(padding, where, "padding", minimum=0)
        self.output_padding = pair(output_padding, where, "output_padding", minimum=0)
        self.groups = check_positive_int(groups, where, "groups")
        self.padding_mode = check_choice(padding_mode, ("zeros",), where, "padding_mode")
        if in_channels % self.groups or out_channels % self.groups:
            raise ValueError(f"{where}: expected in_channels and out_channels divisible by groups={groups}, "
                             f"got {in_channels} and {out_channels}")
        w_shape = (in_channels, out_channels // self.groups, *self.kernel_size)
        _check_output_padding(self.output_padding, self.stride, self.dilation, where)
        rng = init.default_rng(rng)
        bound = 1.0 / math.sqrt(w_shape[1] * w_shape[2] * w_shape[3])
        self.weight = Parameter(rng.uniform(-bound, bound, w_shape).astype(dtype))
        self.bias = Parameter(rng.uniform(-bound, bound, out_channels).astype(dtype)) if bias else None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "ConvTranspose2d.forward")
        check_ndim(x, (3, 4), "ConvTranspose2d.forward", f"(N, {self.in_channels}, H, W)")
        self._unbatched = x.ndim == 3
        x = x[None] if self._unbatched else x
        check_size(x.shape[1], self.in_channels, "ConvTranspose2d.forward", "channels (in_channels)", x.shape)
        check_same_dtype(x, self.weight.data, "ConvTranspose2d.forward")
        out, self._cache = conv_transpose2d_forward(
            x, self.weight.data, None if self.bias is None else self.bias.data, stride=self.stride,
            padding=self.padding, output_padding=self.output_padding, groups=self.groups, dilation=self.dilation)
        return out[0] if self._unbatched else out

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        dout = grad_output[None] if self._unbatched else grad_output
        dx, dweight, dbias = conv_transpose2d_backward(dout, self._cache)
        self.accumulate_grad(weight=dweight, bias=dbias)
        return dx[0] if self._unbatched else dx

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        for name, default in (("padding", (0, 0)), ("output_padding", (0, 0)), ("dilation", (1, 1))):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")
