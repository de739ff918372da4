"""2-D convolution (cross-correlation, as torch.nn.Conv2d): out[n, m] = b[m] + sum_c w[m, c] * x[n, c].

The fast path is im2col: every receptive field of the (padded) input becomes one column of a matrix, so the whole
layer is one matrix product per group, ``(Mg, Cg*kH*kW) @ (Cg*kH*kW, H_out*W_out)`` for each image (NumPy's
matmul runs the batch loop in C). The backward pass is two more matrix products and col2im, which adds each
column back onto the pixels it came from. Small images (LeNet-sized) make those per-image products too small for
BLAS, so there the columns of the whole batch go side by side into one ``(Cg*kH*kW, N*H_out*W_out)`` matrix; with
stride 1 each kernel tap of it is a single shifted copy of the flattened padded planes (``plane_shifts``).
``conv2d_forward_naive`` / ``conv2d_backward_naive`` are the same maths
as plain loops, slow on purpose, for reading and for checking the fast path.
"""

from __future__ import annotations

import math

import numpy as np

from dlcourse.nn import init
from dlcourse.nn._validate import (
    as_float_array,
    check_choice,
    check_ndim,
    check_positive_int,
    check_same_dtype,
    check_size,
)
from dlcourse.nn.im2col import (  # noqa: F401 - col2im and im2col stay importable from here
    ConvGeometry,
    col2im,
    conv_geometry,
    im2col,
    pad_input,
    padding_amounts,
    pair,
    plane_shifts,
    shifted_col2im,
    shifted_cols,
    tap_major_cols,
    tap_slices,
    windows,
)
from dlcourse.nn.module import Module, Parameter

WHOLE_BATCH_BELOW = 256


def conv2d_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, *, stride=1, padding=0, dilation=1,
                   groups: int = 1) -> tuple[np.ndarray, tuple]:
    """Convolution by im2col and matrix products: one per image and group, or one per group for the whole batch
    when the images are small.

    Args:
        x: (N, C, H, W). weight: (M, C/groups, kH, kW). bias: (M,) or None.
        stride, dilation: int or (sH, sW). padding: int, (pH, pW), "valid" or "same".
        groups: channels split into this many independent groups (groups=C is a depthwise convolution).
    Returns:
        out: (N, M, H_out, W_out) with H_out = floor((H + 2 pH - dH (kH - 1) - 1) / sH) + 1.
        cache: what conv2d_backward needs.
    """
    geo = conv_geometry(x.shape, weight.shape, stride, padding, dilation, groups, "conv2d_forward")
    if geo.out_hw[0] * geo.out_hw[1] < WHOLE_BATCH_BELOW:
        return _forward_whole_batch(x, weight, bias, geo)
    N, M, G = x.shape[0], weight.shape[0], geo.groups
    cols = im2col(x, geo.kernel, geo.stride, geo.pad, geo.dilation)  # (N, C*kH*kW, P)
    cols = cols.reshape(N, G, -1, cols.shape[-1])  # (N, G, Cg*kH*kW, P): a group's channels are adjacent rows
    w = weight.reshape(G, M // G, -1)  # (G, Mg, Cg*kH*kW)
    out = (w @ cols).reshape(N, M, *geo.out_hw)  # (N, G, Mg, P) -> (N, M, H_out, W_out)
    if bias is not None:
        out += bias.reshape(M, 1, 1)
    return out, ("per image", cols, weight, bias is not None, x.shape, geo)


def conv2d_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of conv2d_forward.

    Args:
        dout: (N, M, H_out, W_out). cache: from conv2d_forward.
    Returns:
        dx: (N, C, H, W), dweight: (M, C/groups, kH, kW), dbias: (M,) or None.
    """
    layout, cols, weight, has_bias, x_shape, geo = cache
    if layout == "whole batch":
        return _backward_whole_batch(dout, cache)
    N, G, M = x_shape[0], geo.groups, weight.shape[0]
    d = dout.reshape(N, G, M // G, -1)  # (N, G, Mg, P)
    dweight = (d @ cols.swapaxes(-1, -2)).sum(axis=0).reshape(weight.shape)  # sum over images of (Mg,P)@(P,K)
    if geo.stride == (1, 1) and M <= x_shape[1]:  # cheaper than col2im unless dout has more channels than x
        dx = _input_grad_by_convolution(dout, weight, x_shape, geo)
    else:
        dcols = weight.reshape(G, M // G, -1).swapaxes(-1, -2) @ d  # (G, K, Mg) @ (N, G, Mg, P) -> (N, G, K, P)
        dx = col2im(dcols, x_shape, geo.kernel, geo.stride, geo.pad, geo.dilation)
    dbias = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return dx, dweight, dbias


def _forward_whole_batch(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, geo: ConvGeometry) -> tuple:
    """conv2d_forward as one matrix product per group over the whole batch; same arguments and results."""
    (N, M, G), (H_out, W_out) = (x.shape[0], weight.shape[0], geo.groups), geo.out_hw
    cols = shifted_cols(x, geo) if geo.stride == (1, 1) else tap_major_cols(x, geo)
    cols = cols.reshape(G, -1, cols[0, 0, 0].size)  # (G, Cg*kH*kW, N*H_out*width), width = Wp or W_out
    out = weight.reshape(G, M // G, -1) @ cols  # (G, Mg, Cg*kH*kW) @ (G, Cg*kH*kW, N*P) -> (G, Mg, N*P)
    out = out.reshape(M, N, H_out, -1)[..., :W_out]  # channel-major (M, N, H_out, W_out), junk columns dropped
    if bias is not None:
        out += bias.reshape(M, 1, 1, 1)
    return np.ascontiguousarray(out.transpose(1, 0, 2, 3)), ("whole batch", cols, weight, bias is not None, x.shape,
                                                             geo)


def _backward_whole_batch(dout: np.ndarray, cache: tuple) -> tuple:
    """conv2d_backward for the cache of _forward_whole_batch; same arguments and results."""
    _, cols, weight, has_bias, x_shape, geo = cache
    (N, M, H_out, W_out), G = dout.shape, geo.groups
    d = np.zeros((M, N, H_out, cols.shape[-1] // (N * H_out)), dtype=dout.dtype)  # as forward's out, junk = 0
    d[..., :W_out] = dout.transpose(1, 0, 2, 3)
    d = d.reshape(G, M // G, -1)  # (G, Mg, N*P)
    # (G, K, N*P) @ (G, N*P, Mg) sums over images and pixels; this order is quicker in BLAS than d @ cols^T
    dweight = (cols @ d.swapaxes(-1, -2)).swapaxes(-1, -2).reshape(weight.shape)
    dcols = weight.reshape(G, M // G, -1).swapaxes(-1, -2) @ d  # (G, K, Mg) @ (G, Mg, N*P) -> (G, K, N*P)
    col2im_fn = shifted_col2im if geo.stride == (1, 1) else _col2im_tap_major
    dbias = d.sum(axis=-1).reshape(M) if has_bias else None
    return col2im_fn(dcols, x_shape, geo), dweight, dbias


def _col2im_tap_major(dcols: np.ndarray, x_shape: tuple, geo: ConvGeometry) -> np.ndarray:
    """The adjoint of tap_major_cols: add each column entry back onto its input pixel, one kernel tap at a time.

    Args:
        dcols: anything that reshapes to (C, kH, kW, N, H_out, W_out). x_shape: (N, C, H, W). geo: from conv_geometry.
    Returns:
        dx: (N, C, H, W).
    """
    N, C, H, W = x_shape
    pad = geo.pad
    dcols = dcols.reshape(C, *geo.kernel, N, *geo.out_hw)
    dxp = np.zeros((C, N, H + pad[0] + pad[1], W + pad[2] + pad[3]), dtype=dcols.dtype)  # channel-major, as dcols
    for (a, b), where in tap_slices(geo.kernel, geo.stride, geo.dilation, geo.out_hw):
        dxp[where] += dcols[:, a, b]  # windows overlap, so the taps are added one after another
    return np.ascontiguousarray(dxp[:, :, pad[0]:pad[0] + H, pad[2]:pad[2] + W].transpose(1, 0, 2, 3))


def _input_grad_by_convolution(dout: np.ndarray, weight: np.ndarray, x_shape: tuple, geo: ConvGeometry) -> np.ndarray:
    """dx of a stride-1 convolution is itself a convolution: dout, padded by the dilated kernel's reach on every
    side, correlated with the kernel flipped in space and with in/out channels swapped (faster than col2im).

    Args:
        dout: (N, M, H_out, W_out). weight: (M, C/groups, kH, kW). x_shape: (N, C, H, W).
    Returns:
        dx: (N, C, H, W).
    """
    G, (M, Cg, kH, kW), (dH, dW), pad = geo.groups, weight.shape, geo.dilation, geo.pad
    flipped = weight.reshape(G, M // G, Cg, kH, kW).swapaxes(1, 2)[..., ::-1, ::-1]  # (G, Cg, Mg, kH, kW)
    flipped = flipped.reshape(G * Cg, M // G, kH, kW)  # a weight (C, M/groups, kH, kW) from M to C channels
    reach = (dH * (kH - 1), dH * (kH - 1), dW * (kW - 1), dW * (kW - 1))
    dxp, _ = conv2d_forward(dout, flipped, None, padding=reach, dilation=(dH, dW), groups=G)  # padded input's size
    return dxp[:, :, pad[0]:pad[0] + x_shape[2], pad[2]:pad[2] + x_shape[3]]


def conv2d_forward_naive(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, *, stride=1, padding=0,
                         dilation=1, groups: int = 1) -> tuple[np.ndarray, tuple]:
    """The definition as loops over images, output channels and output pixels: slow, for teaching only.

    Same arguments, shapes and result as conv2d_forward.
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
        in_channels: C. out_channels: M. kernel_size: int or (kH, kW).
        stride, padding ("valid", "same", int or pair), dilation, groups, bias: as in torch.
        padding_mode: only "zeros" (the default in torch).
        rng: Generator for the initial weights: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = C/groups*kH*kW
            for weight and bias (torch's kaiming_uniform_(a=sqrt(5))).
        dtype: np.float32 (default) or np.float64.
    Shapes: input (N, C, H, W) or (C, H, W) -> output (N, M, H_out, W_out) or (M, H_out, W_out).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", *,
                 rng: np.random.Generator | None = None, dtype=np.float32):
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
        rng = init.default_rng(rng)
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
