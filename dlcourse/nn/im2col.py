"""Unrolling receptive fields: the sliding-window geometry shared by convolution and pooling, im2col and its
adjoint col2im (the whole-batch column layouts of the fast convolution are in ``dlcourse.nn.conv_fast``).

``im2col`` copies every receptive field of the (padded) input into a column, so a convolution becomes a matrix
product; ``col2im`` adds every column entry back onto the pixel it came from, which is how gradients flow back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dlcourse.validate import check_choice, check_positive_int, check_size

IntOrPair = int | tuple[int, int]  # one value for both H and W, or (for H, for W)
Padding = int | tuple[int, int] | tuple[int, int, int, int] | str  # also (top, bottom, left, right), "valid", "same"


def pair(value: IntOrPair, where: str, name: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints as ``(for H, for W)``, each checked to be >= ``minimum``.

    Args:
        value: an int, or a pair (tuple or list) of ints.
        where: who is checking; starts the error message.
        name: the argument's name in the message.
        minimum: the smallest allowed value.
    """
    values = tuple(value) if isinstance(value, tuple | list) else (value, value)
    if len(values) != 2:
        raise ValueError(f"{where}: expected {name} to be an int or a pair of ints, got {value!r}")
    return tuple(check_positive_int(v, where, name, minimum) for v in values)


def output_size(size: int, kernel: int, stride: int, pad_total: int, dilation: int = 1) -> int:
    """Output length of a sliding window: floor((L + pad_total - dilation*(k-1) - 1) / stride) + 1.

    Args:
        size: L, the input length.
        kernel: k, the window length.
        stride: the step between windows.
        pad_total: the padding added on both ends together.
        dilation: the spacing between the window's taps.
    """
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def padding_amounts(padding: Padding, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
                    where: str) -> tuple[int, int, int, int]:
    """Normalise ``padding`` (int, pair, 4 ints, "valid" or "same") to (top, bottom, left, right).

    Args:
        padding: int, (pH, pW), (top, bottom, left, right), "valid" or "same" (stride 1 only).
        kernel: (kH, kW).
        stride: (sH, sW).
        dilation: (dH, dW).
        where: who is checking; starts the error message.
    """
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


@dataclass(frozen=True, slots=True)
class ConvGeometry:
    """The normalised sliding-window geometry of a convolution (what conv_geometry returns)."""

    kernel: tuple[int, int]  # (kH, kW)
    stride: tuple[int, int]  # (sH, sW)
    dilation: tuple[int, int]  # (dH, dW)
    pad: tuple[int, int, int, int]  # (top, bottom, left, right)
    groups: int
    out_hw: tuple[int, int]  # (H_out, W_out)


def conv_geometry(x_shape: tuple, w_shape: tuple, stride: IntOrPair, padding: Padding, dilation: IntOrPair, groups: int,
                  where: str) -> ConvGeometry:
    """Check that input, weight and hyperparameters fit together; return the normalised geometry.

    Args:
        x_shape: (N, C, H, W).
        w_shape: (M, C // groups, kH, kW).
        stride: int or (sH, sW).
        padding: int, (pH, pW), (top, bottom, left, right), "valid" or "same".
        dilation: int or (dH, dW).
        groups: the number of channel groups.
        where: who is checking; starts the error message.
    Returns:
        ConvGeometry: kernel, stride, dilation (pairs), pad (top, bottom, left, right), groups, out_hw.
    """
    if len(x_shape) != 4:
        raise ValueError(f"{where}: expected input of shape (N, C, H, W) (4-D), got shape {x_shape}")
    if len(w_shape) != 4:
        raise ValueError(f"{where}: expected weight of shape (M, C/groups, kH, kW) (4-D), got shape {w_shape}")
    groups = check_positive_int(groups, where, "groups")
    stride, dilation = pair(stride, where, "stride"), pair(dilation, where, "dilation")
    kernel = tuple(w_shape[2:])
    pad = padding_amounts(padding, kernel, stride, dilation, where)
    if x_shape[1] % groups or w_shape[0] % groups:
        raise ValueError(f"{where}: expected in and out channels divisible by groups={groups}, "
                         f"got C={x_shape[1]} and M={w_shape[0]}")
    check_size(w_shape[1] * groups, x_shape[1], where, "input channels C = weight.shape[1] * groups", x_shape)
    out_hw = tuple(output_size(x_shape[2 + a], kernel[a], stride[a], pad[2 * a] + pad[2 * a + 1], dilation[a])
                   for a in range(2))
    if min(out_hw) < 1:
        raise ValueError(f"{where}: expected the dilated kernel to fit in the padded input, got input {x_shape[2:]}, "
                         f"padding {pad}, kernel {kernel}, dilation {dilation} -> output {out_hw}")
    return ConvGeometry(kernel, stride, dilation, pad, groups, out_hw)


def pad_input(x: np.ndarray, pad: tuple[int, int, int, int], value: float = 0.0) -> np.ndarray:
    """(N, C, H, W) -> (N, C, H + top + bottom, W + left + right), filled with ``value``.

    Args:
        x: (N, C, H, W).
        pad: (top, bottom, left, right).
        value: what the border holds (0 for convolution, -inf for max pooling).
    """
    if not any(pad):
        return x
    N, C, H, W = x.shape
    shape = (N, C, H + pad[0] + pad[1], W + pad[2] + pad[3])
    # A preallocated buffer with x written into its middle: one copy, quicker than np.pad.
    xp = np.zeros(shape, dtype=x.dtype) if value == 0 else np.full(shape, value, dtype=x.dtype)
    xp[:, :, pad[0]:pad[0] + H, pad[2]:pad[2] + W] = x
    return xp


def windows(xp: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]) -> np.ndarray:
    """Every receptive field of a padded input, as a strided view (no copy).

    Args:
        xp: (N, C, Hp, Wp) padded input.
        kernel: (kH, kW).
        stride: (sH, sW).
        dilation: (dH, dW).
    Returns:
        (N, C, H_out, W_out, kH, kW) view: ``[n, c, i, j]`` is the kH x kW patch that output pixel (i, j) sees.
    """
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))  # the dilated kernel's extent
    view = sliding_window_view(xp, span, axis=(2, 3))  # (N, C, Hp-span+1, Wp-span+1, spanH, spanW)
    return view[:, :, ::stride[0], ::stride[1], ::dilation[0], ::dilation[1]]


def im2col(x: np.ndarray, kernel: tuple[int, int], stride: IntOrPair = 1, padding: Padding = 0,
           dilation: IntOrPair = 1) -> np.ndarray:
    """Copy every receptive field into a column.

    Args:
        x: (N, C, H, W).
        kernel: (kH, kW).
        stride: int or pair.
        dilation: int or pair.
        padding: int, pair, (top, bottom, left, right), "valid" or "same".
    Returns:
        cols: (N, C*kH*kW, H_out*W_out), contiguous; row c*kH*kW + a*kW + b holds x[c] at kernel offset (a, b).
    """
    geo = conv_geometry(x.shape, (1, x.shape[1], *kernel), stride, padding, dilation, 1, "im2col")
    view = windows(pad_input(x, geo.pad), kernel, geo.stride, geo.dilation)  # (N, C, H_out, W_out, kH, kW)
    N, C, H_out, W_out = view.shape[:4]
    cols = np.ascontiguousarray(view.transpose(0, 1, 4, 5, 2, 3))  # (N, C, kH, kW, H_out, W_out)
    return cols.reshape(N, C * kernel[0] * kernel[1], H_out * W_out)


def col2im(cols: np.ndarray, x_shape: tuple, kernel: tuple[int, int], stride: IntOrPair = 1, padding: Padding = 0,
           dilation: IntOrPair = 1) -> np.ndarray:
    """The adjoint of im2col: add every column entry back onto the input pixel it was copied from.

    Args:
        cols: (N, C*kH*kW, H_out*W_out), or the same as (N, C, kH, kW, H_out, W_out).
        x_shape: (N, C, H, W).
        kernel: as for im2col.
        stride: as for im2col.
        padding: as for im2col.
        dilation: as for im2col.
    Returns:
        (N, C, H, W); pixels seen by several windows receive the sum of their entries.
    """
    geo = conv_geometry(x_shape, (1, x_shape[1], *kernel), stride, padding, dilation, 1, "col2im")
    N, C, H, W = x_shape
    (kH, kW), pad, (H_out, W_out) = kernel, geo.pad, geo.out_hw
    cols = cols.reshape(N, C, kH, kW, H_out, W_out)
    dxp = np.zeros((N, C, H + pad[0] + pad[1], W + pad[2] + pad[3]), dtype=cols.dtype)
    # One vectorised add per kernel tap (kH*kW of them): windows overlap, so taps must not be added in one go.
    for (a, b), where in tap_slices(kernel, geo.stride, geo.dilation, (H_out, W_out)):
        dxp[where] += cols[:, :, a, b]
    return dxp[:, :, pad[0]:pad[0] + H, pad[2]:pad[2] + W]


def tap_slices(kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
               out_hw: tuple[int, int]) -> Iterator[tuple[tuple[int, int], tuple[slice, ...]]]:
    """For each kernel tap (a, b), the index of the (N, C, H_out, W_out) pixels of the padded input it meets.

    Args:
        kernel: (kH, kW).
        stride: (sH, sW).
        dilation: (dH, dW).
        out_hw: (H_out, W_out).
    Yields:
        ((a, b), index) with ``xp[index]`` of shape (N, C, H_out, W_out): xp[n, c, i*sH + a*dH, j*sW + b*dW].
    """
    (kH, kW), (sH, sW), (dH, dW), (H_out, W_out) = kernel, stride, dilation, out_hw
    for a in range(kH):
        for b in range(kW):
            rows = slice(a * dH, a * dH + sH * (H_out - 1) + 1, sH)
            columns = slice(b * dW, b * dW + sW * (W_out - 1) + 1, sW)
            yield (a, b), (slice(None), slice(None), rows, columns)
