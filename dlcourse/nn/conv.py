"""2-D convolution (cross-correlation, as torch.nn.Conv2d): out[n, m] = b[m] + sum_c w[m, c] * x[n, c].

The fast path is im2col: every receptive field of the (padded) input becomes one column of a matrix, so the whole
layer is one matrix product per group, ``(Mg, Cg*kH*kW) @ (Cg*kH*kW, H_out*W_out)`` for each image (NumPy's
matmul runs the batch loop in C). The backward pass is two more matrix products and col2im, which adds each
column back onto the pixels it came from. ``conv2d_forward_naive`` / ``conv2d_backward_naive`` are the same maths
as plain loops, slow on purpose, for reading and for checking the fast path.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dlcourse.nn import init
from dlcourse.nn._validate import (
    as_float_array,
    check_choice,
    check_ndim,
    check_positive_int,
    check_same_dtype,
    check_size,
)
from dlcourse.nn.module import Module, Parameter


def pair(value, where: str, name: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints as ``(for H, for W)``, each checked to be >= ``minimum``."""
    values = tuple(value) if isinstance(value, tuple | list) else (value, value)
    if len(values) != 2:
        raise ValueError(f"{where}: expected {name} to be an int or a pair of ints, got {value!r}")
    return tuple(check_positive_int(v, where, name, minimum) for v in values)


def output_size(size: int, kernel: int, stride: int, pad_total: int, dilation: int = 1) -> int:
    """Output length of a sliding window: floor((L + pad_total - dilation*(k-1) - 1) / stride) + 1."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def _padding(padding, kernel: tuple, stride: tuple, dilation: tuple, where: str) -> tuple[int, int, int, int]:
    """Normalise ``padding`` (int, pair, 4 ints, "valid" or "same") to (top, bottom, left, right)."""
    if isinstance(padding, tuple | list) and len(padding) == 4:
        return tuple(check_positive_int(p, where, "padding", minimum=0) for p in padding)
    if isinstance(padding, str):
        check_choice(padding, ("valid", "same"), where, "padding")
        if padding == "valid":
            return 0, 0, 0, 0
        if stride != (1, 1):
            raise ValueError(f"{where}: padding='same' needs stride=1, got stride={stride}")
        total = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        return total[0] // 2, total[0] - total[0] // 2, total[1] // 2, total[1] - total[1] // 2  # extra on the end
    ph, pw = pair(padding, where, "padding", minimum=0)
    return ph, ph, pw, pw


def conv_geometry(x_shape: tuple, w_shape: tuple, stride, padding, dilation, groups, where: str) -> dict:
    """Check that input, weight and hyperparameters fit together; return the normalised geometry.

    Args:
        x_shape: (N, C, H, W). w_shape: (M, C // groups, kH, kW).
    Returns:
        dict with kernel, stride, dilation (pairs), pad (top, bottom, left, right), groups, out_hw (H_out, W_out).
    """
    if len(x_shape) != 4:
        raise ValueError(f"{where}: expected input of shape (N, C, H, W) (4-D), got shape {x_shape}")
    if len(w_shape) != 4:
        raise ValueError(f"{where}: expected weight of shape (M, C/groups, kH, kW) (4-D), got shape {w_shape}")
    groups = check_positive_int(groups, where, "groups")
    stride, dilation = pair(stride, where, "stride"), pair(dilation, where, "dilation")
    kernel = tuple(w_shape[2:])
    pad = _padding(padding, kernel, stride, dilation, where)
    if x_shape[1] % groups or w_shape[0] % groups:
        raise ValueError(f"{where}: expected in and out channels divisible by groups={groups}, "
                         f"got C={x_shape[1]} and M={w_shape[0]}")
    check_size(w_shape[1] * groups, x_shape[1], where, "input channels C = weight.shape[1] * groups", x_shape)
    out_hw = tuple(output_size(x_shape[2 + a], kernel[a], stride[a], pad[2 * a] + pad[2 * a + 1], dilation[a])
                   for a in range(2))
    if min(out_hw) < 1:
        raise ValueError(f"{where}: expected the dilated kernel to fit in the padded input, got input {x_shape[2:]}, "
                         f"padding {pad}, kernel {kernel}, dilation {dilation} -> output {out_hw}")
    return {"kernel": kernel, "stride": stride, "dilation": dilation, "pad": pad, "groups": groups, "out_hw": out_hw}


def pad_input(x: np.ndarray, pad: tuple[int, int, int, int], value: float = 0.0) -> np.ndarray:
    """(N, C, H, W) -> (N, C, H + top + bottom, W + left + right), filled with ``value``."""
    if not any(pad):
        return x
    return np.pad(x, ((0, 0), (0, 0), pad[:2], pad[2:]), constant_values=value)


def windows(xp: np.ndarray, kernel: tuple, stride: tuple, dilation: tuple) -> np.ndarray:
    """Every receptive field of a padded input, as a strided view (no copy).

    Args:
        xp: (N, C, Hp, Wp) padded input.
    Returns:
        (N, C, H_out, W_out, kH, kW) view: ``[n, c, i, j]`` is the kH x kW patch that output pixel (i, j) sees.
    """
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))  # the dilated kernel's extent
    view = sliding_window_view(xp, span, axis=(2, 3))  # (N, C, Hp-span+1, Wp-span+1, spanH, spanW)
    return view[:, :, ::stride[0], ::stride[1], ::dilation[0], ::dilation[1]]


def im2col(x: np.ndarray, kernel: tuple, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Copy every receptive field into a column.

    Args:
        x: (N, C, H, W). kernel: (kH, kW). stride, dilation: int or pair.
        padding: int, pair, (top, bottom, left, right), "valid" or "same".
    Returns:
        cols: (N, C*kH*kW, H_out*W_out), contiguous; row c*kH*kW + a*kW + b holds x[c] at kernel offset (a, b).
    """
    geo = conv_geometry(x.shape, (1, x.shape[1], *kernel), stride, padding, dilation, 1, "im2col")
    view = windows(pad_input(x, geo["pad"]), kernel, geo["stride"], geo["dilation"])  # (N, C, H_out, W_out, kH, kW)
    N, C, H_out, W_out = view.shape[:4]
    cols = np.ascontiguousarray(view.transpose(0, 1, 4, 5, 2, 3))  # (N, C, kH, kW, H_out, W_out)
    return cols.reshape(N, C * kernel[0] * kernel[1], H_out * W_out)


def col2im(cols: np.ndarray, x_shape: tuple, kernel: tuple, stride=1, padding=0, dilation=1) -> np.ndarray:
    """The adjoint of im2col: add every column entry back onto the input pixel it was copied from.

    Args:
        cols: (N, C*kH*kW, H_out*W_out), or the same as (N, C, kH, kW, H_out, W_out). x_shape: (N, C, H, W).
        kernel, stride, padding, dilation: as for im2col.
    Returns:
        (N, C, H, W); pixels seen by several windows receive the sum of their entries.
    """
    geo = conv_geometry(x_shape, (1, x_shape[1], *kernel), stride, padding, dilation, 1, "col2im")
    N, C, H, W = x_shape
    (kH, kW), pad, (H_out, W_out) = kernel, geo["pad"], geo["out_hw"]
    cols = cols.reshape(N, C, kH, kW, H_out, W_out)
    dxp = np.zeros((N, C, H + pad[0] + pad[1], W + pad[2] + pad[3]), dtype=cols.dtype)
    # One vectorised add per kernel tap (kH*kW of them): windows overlap, so taps must not be added in one go.
    for (a, b), where in tap_slices(kernel, geo["stride"], geo["dilation"], (H_out, W_out)):
        dxp[where] += cols[:, :, a, b]
    return dxp[:, :, pad[0]:pad[0] + H, pad[2]:pad[2] + W]


def tap_slices(kernel: tuple, stride: tuple, dilation: tuple, out_hw: tuple):
    """For each kernel tap (a, b), the index of the (N, C, H_out, W_out) pixels of the padded input it meets.

    Yields:
        ((a, b), index) with ``xp[index]`` of shape (N, C, H_out, W_out): xp[n, c, i*sH + a*dH, j*sW + b*dW].
    """
    (kH, kW), (sH, sW), (dH, dW), (H_out, W_out) = kernel, stride, dilation, out_hw
    for a in range(kH):
        for b in range(kW):
            rows = slice(a * dH, a * dH + sH * (H_out - 1) + 1, sH)
            columns = slice(b * dW, b * dW + sW * (W_out - 1) + 1, sW)
            yield (a, b), (slice(None), slice(None), rows, columns)


def conv2d_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, *, stride=1, padding=0, dilation=1,
                   groups: int = 1) -> tuple[np.ndarray, tuple]:
    """Convolution by im2col and one batched matrix product per group.

    Args:
        x: (N, C, H, W). weight: (M, C/groups, kH, kW). bias: (M,) or None.
        stride, dilation: int or (sH, sW). padding: int, (pH, pW), "valid" or "same".
        groups: channels split into this many independent groups (groups=C is a depthwise convolution).
    Returns:
        out: (N, M, H_out, W_out) with H_out = floor((H + 2 pH - dH (kH - 1) - 1) / sH) + 1.
        cache: what conv2d_backward needs.
    """
    geo = conv_geometry(x.shape, weight.shape, stride, padding, dilation, groups, "conv2d_forward")
    N, M, G = x.shape[0], weight.shape[0], geo["groups"]
    cols = im2col(x, geo["kernel"], geo["stride"], geo["pad"], geo["dilation"])  # (N, C*kH*kW, P)
    cols = cols.reshape(N, G, -1, cols.shape[-1])  # (N, G, Cg*kH*kW, P): a group's channels are adjacent rows
    w = weight.reshape(G, M // G, -1)  # (G, Mg, Cg*kH*kW)
    out = (w @ cols).reshape(N, M, *geo["out_hw"])  # (N, G, Mg, P) -> (N, M, H_out, W_out)
    if bias is not None:
        out += bias.reshape(M, 1, 1)
    return out, (cols, weight, bias is not None, x.shape, geo)


def conv2d_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of conv2d_forward.

    Args:
        dout: (N, M, H_out, W_out). cache: from conv2d_forward.
    Returns:
        dx: (N, C, H, W), dweight: (M, C/groups, kH, kW), dbias: (M,) or None.
    """
    cols, weight, has_bias, x_shape, geo = cache
    N, G, M = x_shape[0], geo["groups"], weight.shape[0]
    d = dout.reshape(N, G, M // G, -1)  # (N, G, Mg, P)
    dweight = (d @ cols.swapaxes(-1, -2)).sum(axis=0).reshape(weight.shape)  # sum over images of (Mg,P)@(P,K)
    if geo["stride"] == (1, 1) and M <= x_shape[1]:  # cheaper than col2im unless dout has more channels than x
        dx = _input_grad_by_convolution(dout, weight, x_shape, geo)
    else:
        dcols = weight.reshape(G, M // G, -1).swapaxes(-1, -2) @ d  # (G, K, Mg) @ (N, G, Mg, P) -> (N, G, K, P)
        dx = col2im(dcols, x_shape, geo["kernel"], geo["stride"], geo["pad"], geo["dilation"])
    dbias = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return dx, dweight, dbias


def _input_grad_by_convolution(dout: np.ndarray, weight: np.ndarray, x_shape: tuple, geo: dict) -> np.ndarray:
    """dx of a stride-1 convolution is itself a convolution: dout, padded by the dilated kernel's reach on every
    side, correlated with the kernel flipped in space and with in/out channels swapped (faster than col2im).

    Args:
        dout: (N, M, H_out, W_out). weight: (M, C/groups, kH, kW). x_shape: (N, C, H, W).
    Returns:
        dx: (N, C, H, W).
    """
    G, (M, Cg, kH, kW), (dH, dW), pad = geo["groups"], weight.shape, geo["dilation"], geo["pad"]
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
    (sH, sW), (dH, dW), (H_out, W_out) = geo["stride"], geo["dilation"], geo["out_hw"]
    xp = pad_input(x, geo["pad"])
    N, M, Cg, kH, kW = x.shape[0], *weight.shape
    Mg = M // geo["groups"]
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
    (sH, sW), (dH, dW), (H_out, W_out), pad = geo["stride"], geo["dilation"], geo["out_hw"], geo["pad"]
    xp = pad_input(x, pad)
    dxp, dweight = np.zeros_like(xp), np.zeros_like(weight)
    N, M, Cg, kH, kW = x.shape[0], *weight.shape
    Mg = M // geo["groups"]
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
        _padding(self.padding, self.kernel_size, self.stride, self.dilation, "Conv2d")
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
        self.weight.grad += dweight
        if self.bias is not None:
            self.bias.grad += dbias
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
