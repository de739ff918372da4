"""Pooling: summarise each window of a feature map by its maximum or its mean (torch.nn.MaxPool2d, AvgPool2d,
AdaptiveAvgPool2d).

No pixel, channel or image is looped over: a loop runs over the kH*kW kernel taps, and each step handles the
pixel at that offset in every window at once (``dlcourse.nn.im2col.tap_slices``), as col2im does for convolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlcourse.nn._validate import as_float_array, check_ndim, check_positive_int
from dlcourse.nn.im2col import col2im, output_size, pad_input, pair, tap_slices
from dlcourse.nn.module import Module


def _size(length: int, kernel: int, stride: int, pad: int, dilation: int, ceil_mode: bool) -> int:
    """Output length; with ceil_mode a last, partial window counts unless it would start in the right padding."""
    if not ceil_mode:
        return output_size(length, kernel, stride, 2 * pad, dilation)
    out = -(-(length + 2 * pad - dilation * (kernel - 1) - 1) // stride) + 1  # ceil division
    return out - 1 if (out - 1) * stride >= length + pad else out


@dataclass(frozen=True, slots=True)
class PoolGeometry:
    """The normalised window geometry of a pooling layer (what pool_geometry returns)."""

    kernel: tuple[int, int]  # (kH, kW)
    stride: tuple[int, int]  # (sH, sW)
    dilation: tuple[int, int]  # (dH, dW)
    out_hw: tuple[int, int]  # (H_out, W_out)
    pad: tuple[int, int, int, int]  # (top, bottom, left, right); bottom/right include ceil_mode's extra room
    sym_pad: tuple[int, int]  # (pH, pW), the padding asked for, the same on both sides


def pool_geometry(x_shape: tuple, kernel_size, stride, padding, dilation, ceil_mode: bool,
                  where: str) -> PoolGeometry:
    """Check a pooling configuration against an input of shape (N, C, H, W); return the normalised geometry.

    Returns:
        PoolGeometry: kernel, stride, dilation (pairs), out_hw (H_out, W_out), pad (top, bottom, left, right;
        bottom/right include the extra room ceil_mode needs) and sym_pad (the padding asked for).
    """
    kernel = pair(kernel_size, where, "kernel_size")
    stride = kernel if stride is None else pair(stride, where, "stride")
    dilation, pad = pair(dilation, where, "dilation"), pair(padding, where, "padding", minimum=0)
    if pad[0] > kernel[0] // 2 or pad[1] > kernel[1] // 2:
        raise ValueError(f"{where}: expected padding <= kernel_size // 2 = {(kernel[0] // 2, kernel[1] // 2)}, "
                         f"got padding={pad}")
    out_hw = tuple(_size(x_shape[2 + a], kernel[a], stride[a], pad[a], dilation[a], ceil_mode) for a in range(2))
    if min(out_hw) < 1:
        raise ValueError(f"{where}: expected the window {kernel} (dilation {dilation}) to fit in the padded input, "
                         f"got input {tuple(x_shape[2:])} with padding {pad} -> output {out_hw}")
    # ceil_mode's last window may hang over the right padding: give it room (it never counts for max or mean).
    extra = [max(0, (out_hw[a] - 1) * stride[a] + dilation[a] * (kernel[a] - 1) + 1 - x_shape[2 + a] - 2 * pad[a])
             for a in range(2)]
    return PoolGeometry(kernel, stride, dilation, out_hw, (pad[0], pad[0] + extra[0], pad[1], pad[1] + extra[1]), pad)


def _check_input(x, where: str) -> np.ndarray:
    x = as_float_array(x, where)
    check_ndim(x, 4, where, "(N, C, H, W)")
    return x


def max_pool2d_forward(x: np.ndarray, kernel_size, *, stride=None, padding=0, dilation=1,
                       ceil_mode: bool = False) -> tuple[np.ndarray, tuple]:
    """The maximum of every window (padding never wins: it is -inf).

    Args:
        x: (N, C, H, W). kernel_size, stride (default: kernel_size), padding, dilation: int or pair.
    Returns:
        out: (N, C, H_out, W_out). cache: what max_pool2d_backward needs.
    """
    x = _check_input(x, "max_pool2d_forward")
    geo = pool_geometry(x.shape, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d_forward")
    xp = pad_input(x, geo.pad, -np.inf)
    taps = list(tap_slices(geo.kernel, geo.stride, geo.dilation, geo.out_hw))
    out = xp[taps[0][1]].copy()  # (N, C, H_out, W_out)
    tap = np.zeros(out.shape, dtype=np.min_scalar_type(len(taps) - 1))  # which tap holds each window's maximum
    larger, moved = np.empty(out.shape, dtype=bool), np.empty_like(tap)
    # A running maximum over the kH*kW taps, each step comparing every window at once. Only a strictly larger
    # value moves the argmax, so ties keep the first maximum in row-major window order, as torch does.
    for t, (_, where) in enumerate(taps[1:], start=1):
        np.greater(xp[where], out, out=larger)
        np.maximum(tap, np.multiply(larger, tap.dtype.type(t), out=moved), out=tap)  # t only grows: max sets it
        np.maximum(out, xp[where], out=out)
    return out, (tap, xp.shape, x.shape, geo)


def max_pool2d_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of max_pool2d_forward: each window's gradient goes to its maximum only; with ties, to the first
    maximum in row-major window order, as torch does (so a window of ReLU zeros sends it to its top-left pixel).

    Args:
        dout: (N, C, H_out, W_out). cache: from max_pool2d_forward.
    Returns:
        dx: (N, C, H, W).
    """
    tap, xp_shape, x_shape, geo = cache
    position = _argmax_positions(tap, xp_shape, geo).ravel()  # where each window's maximum sits in the padded input
    dxp = np.zeros(xp_shape, dtype=dout.dtype)
    (kH, kW), (sH, sW), (dH, dW) = geo.kernel, geo.stride, geo.dilation
    if sH >= dH * (kH - 1) + 1 and sW >= dW * (kW - 1) + 1:  # windows do not overlap: every position is distinct
        dxp.reshape(-1)[position] = dout.ravel()
    else:  # overlapping windows can share a maximum, whose gradients must add up
        np.add.at(dxp.reshape(-1), position, dout.ravel())
    pad = geo.pad
    return dxp[:, :, pad[0]:pad[0] + x_shape[2], pad[2]:pad[2] + x_shape[3]]


def _argmax_positions(tap: np.ndarray, xp_shape: tuple, geo: PoolGeometry) -> np.ndarray:
    """Flat index into the padded input (N, C, Hp, Wp) of every window's maximum.

    Args:
        tap: (N, C, H_out, W_out) unsigned ints, the tap (a * kW + b) of each maximum. xp_shape: (N, C, Hp, Wp).
    Returns:
        (N, C, H_out, W_out) int64 positions: ((n*C + c)*Hp + i*sH + a*dH)*Wp + j*sW + b*dW.
    """
    N, C, Hp, Wp = xp_shape
    (kH, kW), (sH, sW), (dH, dW), (H_out, W_out) = geo.kernel, geo.stride, geo.dilation, geo.out_hw
    corner = np.arange(N * C).reshape(N, C, 1, 1) * (Hp * Wp)  # the start of each image-channel plane
    corner = corner + (np.arange(H_out) * (sH * Wp))[:, None] + np.arange(W_out) * sW  # each window's top-left
    offset = (np.arange(kH)[:, None] * (dH * Wp) + np.arange(kW) * dW).ravel()  # (kH*kW,): each tap's shift
    return corner + offset[tap]


def max_pool2d_forward_naive(x: np.ndarray, kernel_size, *, stride=None, padding=0) -> tuple[np.ndarray, tuple]:
    """Max pooling as loops over images, channels and output pixels: slow, for teaching only.

    Args:
        x: (N, C, H, W). kernel_size, stride (default: kernel_size), padding: int or pair.
    Returns:
        out: (N, C, H_out, W_out). cache: (x, geometry) for max_pool2d_backward_naive.
    """
    geo = pool_geometry(x.shape, kernel_size, stride, padding, 1, False, "max_pool2d_forward_naive")
    xp = pad_input(x, geo.pad, -np.inf)
    (kH, kW), (sH, sW), (H_out, W_out) = geo.kernel, geo.stride, geo.out_hw
    out = np.empty((*x.shape[:2], H_out, W_out), dtype=x.dtype)
    for n, c, i, j in np.ndindex(out.shape):
        out[n, c, i, j] = xp[n, c, i * sH:i * sH + kH, j * sW:j * sW + kW].max()
    return out, (x, geo)


def max_pool2d_backward_naive(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Loop version of max_pool2d_backward: each output pixel adds its gradient to the first maximum of its window."""
    x, geo = cache
    xp = pad_input(x, geo.pad, -np.inf)
    dxp = np.zeros_like(xp)
    (kH, kW), (sH, sW), pad = geo.kernel, geo.stride, geo.pad
    for n, c, i, j in np.ndindex(dout.shape):
        window = xp[n, c, i * sH:i * sH + kH, j * sW:j * sW + kW]
        a, b = np.unravel_index(np.argmax(window), window.shape)
        dxp[n, c, i * sH + a, j * sW + b] += dout[n, c, i, j]
    return dxp[:, :, pad[0]:pad[0] + x.shape[2], pad[2]:pad[2] + x.shape[3]]


def _avg_divisor(x_shape: tuple, geo: PoolGeometry, count_include_pad: bool, divisor_override) -> np.ndarray:
    """(H_out, W_out) divisors as torch counts them: the window clipped to the padded input (count_include_pad)
    or to the input itself."""
    if divisor_override is not None:
        return np.full(geo.out_hw, float(check_positive_int(divisor_override, "avg_pool2d", "divisor_override")))
    counts = []
    for a in range(2):  # one axis at a time; the 2-D count is the outer product
        start = np.arange(geo.out_hw[a]) * geo.stride[a] - geo.sym_pad[a]
        end = np.minimum(start + geo.kernel[a], x_shape[2 + a] + geo.sym_pad[a])
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, x_shape[2 + a])
        counts.append(end - start)
    return np.outer(counts[0], counts[1]).astype(np.float64)


def avg_pool2d_forward(x: np.ndarray, kernel_size, *, stride=None, padding=0, ceil_mode: bool = False,
                       count_include_pad: bool = True, divisor_override: int | None = None) -> tuple[np.ndarray, tuple]:
    """The mean of every window, padding counted as zeros (count_include_pad) or left out, as torch.

    Args:
        x: (N, C, H, W). kernel_size, stride (default: kernel_size), padding: int or pair.
    Returns:
        out: (N, C, H_out, W_out). cache: what avg_pool2d_backward needs.
    """
    x = _check_input(x, "avg_pool2d_forward")
    geo = pool_geometry(x.shape, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d_forward")
    divisor = _avg_divisor(x.shape, geo, count_include_pad, divisor_override).astype(x.dtype)  # (H_out, W_out)
    xp, total = pad_input(x, geo.pad), None
    for _, where in tap_slices(geo.kernel, geo.stride, geo.dilation, geo.out_hw):
        total = xp[where].copy() if total is None else np.add(total, xp[where], out=total)
    return total / divisor, (divisor, x.shape, geo)  # (N, C, H_out, W_out)


def avg_pool2d_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of avg_pool2d_forward: each window's gradient, divided by its divisor, to all its pixels.

    Args:
        dout: (N, C, H_out, W_out). cache: from avg_pool2d_forward.
    Returns:
        dx: (N, C, H, W).
    """
    divisor, x_shape, geo = cache
    share = dout / divisor  # (N, C, H_out, W_out)
    if geo.stride == geo.kernel and not any(geo.pad) and x_shape[2:] == (
            geo.out_hw[0] * geo.kernel[0], geo.out_hw[1] * geo.kernel[1]):
        return _tiled_backward(share, x_shape, geo.kernel)
    dcols = np.broadcast_to(share[:, :, None, None], (*share.shape[:2], *geo.kernel, *share.shape[2:]))
    return col2im(dcols, x_shape, geo.kernel, geo.stride, geo.pad, geo.dilation)


def _tiled_backward(share: np.ndarray, x_shape: tuple, kernel: tuple) -> np.ndarray:
    """avg_pool2d_backward when the windows tile the input exactly (stride = kernel, no padding): each pixel gets
    its window's share, so dx is ``share`` with every entry repeated kH times down and kW times across.

    Args:
        share: (N, C, H_out, W_out), the gradient of each window over its divisor. x_shape: (N, C, H, W).
    Returns:
        dx: (N, C, H, W).
    """
    (kH, kW), (W, W_out) = kernel, (x_shape[3], share.shape[3])
    across = share.reshape(-1, W_out) @ np.repeat(np.eye(W_out, dtype=share.dtype), kW, axis=1)  # (N*C*H_out, W)
    dx = np.empty(x_shape, dtype=share.dtype)
    dx.reshape(-1, kH, W)[...] = across[:, None, :]  # each row of windows covers kH rows of pixels
    return dx


def _adaptive_matrix(size: int, out: int, dtype) -> np.ndarray:
    """(out, size) averaging matrix: row i averages input[floor(i*size/out) : ceil((i+1)*size/out)], as torch."""
    i = np.arange(out)
    start, end = (i * size) // out, -((-(i + 1) * size) // out)
    inside = (np.arange(size) >= start[:, None]) & (np.arange(size) < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def adaptive_avg_pool2d_forward(x: np.ndarray, output_size=1) -> tuple[np.ndarray, tuple]:
    """Average pooling to a fixed output size whatever the input size (1 gives global average pooling).

    Args:
        x: (N, C, H, W). output_size: int or (H_out, W_out); None in the pair keeps that input size.
    Returns:
        out: (N, C, H_out, W_out) = A_h @ x @ A_w^T with averaging matrices A. cache: (A_h, A_w).
    """
    x = _check_input(x, "adaptive_avg_pool2d_forward")
    sizes = output_size if isinstance(output_size, tuple | list) else (output_size, output_size)
    sizes = tuple(x.shape[2 + a] if s is None else s for a, s in enumerate(sizes))
    h_out, w_out = pair(sizes, "adaptive_avg_pool2d_forward", "output_size")
    if (h_out, w_out) == (1, 1):  # global average pooling, the common case: one matrix-vector product is quickest
        N, C, H, W = x.shape
        weights = np.full(H * W, 1.0 / (H * W), dtype=x.dtype)  # (H*W,): the mean as a dot product
        return (x.reshape(N * C, H * W) @ weights).reshape(N, C, 1, 1), (None, None, x.shape)
    a_h, a_w = _adaptive_matrix(x.shape[2], h_out, x.dtype), _adaptive_matrix(x.shape[3], w_out, x.dtype)
    return a_h @ x @ a_w.T, (a_h, a_w, x.shape)  # (H_out, H) @ (N, C, H, W) @ (W, W_out)


def adaptive_avg_pool2d_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of adaptive_avg_pool2d_forward: dx = A_h^T @ dout @ A_w, shape (N, C, H, W)."""
    a_h, a_w, x_shape = cache
    if a_h is None:  # every pixel got 1/(H*W) of its channel's gradient
        area = x_shape[2] * x_shape[3]
        return np.repeat((dout / area).reshape(-1, 1), area, axis=1).reshape(x_shape)  # (N*C, H*W) -> (N, C, H, W)
    return a_h.T @ dout @ a_w


class MaxPool2d(Module):
    """Max pooling with torch.nn.MaxPool2d's arguments (no return_indices). Shapes: (N, C, H, W) -> (N, C, H_out,
    W_out) with H_out = floor((H + 2p - d(k - 1) - 1) / s) + 1 (ceil with ceil_mode)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, *, ceil_mode: bool = False):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, kernel_size if stride is None else stride, padding
        self.dilation, self.ceil_mode = dilation, ceil_mode
        # check the hyperparameters now (on a notional large input), not at the first forward
        pool_geometry((1, 1, 10**6, 10**6), kernel_size, stride, padding, dilation, ceil_mode, "MaxPool2d")

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = max_pool2d_forward(x, self.kernel_size, stride=self.stride, padding=self.padding,
                                              dilation=self.dilation, ceil_mode=self.ceil_mode)
        return out

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return max_pool2d_backward(grad_output, self._cache)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Average pooling with torch.nn.AvgPool2d's arguments, including count_include_pad and divisor_override."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, kernel_size if stride is None else stride, padding
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override
        pool_geometry((1, 1, 10**6, 10**6), kernel_size, stride, padding, 1, ceil_mode, "AvgPool2d")
        if divisor_override is not None:
            check_positive_int(divisor_override, "AvgPool2d", "divisor_override")

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = avg_pool2d_forward(x, self.kernel_size, stride=self.stride, padding=self.padding,
                                              ceil_mode=self.ceil_mode, count_include_pad=self.count_include_pad,
                                              divisor_override=self.divisor_override)
        return out

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return avg_pool2d_backward(grad_output, self._cache)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to ``output_size`` (int or pair) whatever the input's H, W; AdaptiveAvgPool2d(1) is the global
    average pooling at the end of a ResNet. Shapes: (N, C, H, W) -> (N, C, *output_size)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = adaptive_avg_pool2d_forward(x, self.output_size)
        return out

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return adaptive_avg_pool2d_backward(grad_output, self._cache)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
