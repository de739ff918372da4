"""Unrolling receptive fields: the sliding-window geometry shared by convolution and pooling, im2col and its
adjoint col2im, and the whole-batch column layouts the fast convolution uses for small images.

``im2col`` copies every receptive field of the (padded) input into a column, so a convolution becomes a matrix
product; ``col2im`` adds every column entry back onto the pixel it came from, which is how gradients flow back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dlcourse.nn._validate import check_choice, check_positive_int, check_size


def pair(value, where: str, name: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints as ``(for H, for W)``, each checked to be >= ``minimum``."""
    values = tuple(value) if isinstance(value, tuple | list) else (value, value)
    if len(values) != 2:
        raise ValueError(f"{where}: expected {name} to be an int or a pair of ints, got {value!r}")
    return tuple(check_positive_int(v, where, name, minimum) for v in values)


def output_size(size: int, kernel: int, stride: int, pad_total: int, dilation: int = 1) -> int:
    """Output length of a sliding window: floor((L + pad_total - dilation*(k-1) - 1) / stride) + 1."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def padding_amounts(padding, kernel: tuple, stride: tuple, dilation: tuple, where: str) -> tuple[int, int, int, int]:
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


@dataclass(frozen=True, slots=True)
class ConvGeometry:
    """The normalised sliding-window geometry of a convolution (what conv_geometry returns)."""

    kernel: tuple[int, int]  # (kH, kW)
    stride: tuple[int, int]  # (sH, sW)
    dilation: tuple[int, int]  # (dH, dW)
    pad: tuple[int, int, int, int]  # (top, bottom, left, right)
    groups: int
    out_hw: tuple[int, int]  # (H_out, W_out)


def conv_geometry(x_shape: tuple, w_shape: tuple, stride, padding, dilation, groups, where: str) -> ConvGeometry:
    """Check that input, weight and hyperparameters fit together; return the normalised geometry.

    Args:
        x_shape: (N, C, H, W). w_shape: (M, C // groups, kH, kW).
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
    """(N, C, H, W) -> (N, C, H + top + bottom, W + left + right), filled with ``value``."""
    if not any(pad):
        return x
    N, C, H, W = x.shape
    shape = (N, C, H + pad[0] + pad[1], W + pad[2] + pad[3])
    # A preallocated buffer with x written into its middle: one copy, quicker than np.pad.
    xp = np.zeros(shape, dtype=x.dtype) if value == 0 else np.full(shape, value, dtype=x.dtype)
    xp[:, :, pad[0]:pad[0] + H, pad[2]:pad[2] + W] = x
    return xp


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
    view = windows(pad_input(x, geo.pad), kernel, geo.stride, geo.dilation)  # (N, C, H_out, W_out, kH, kW)
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
    (kH, kW), pad, (H_out, W_out) = kernel, geo.pad, geo.out_hw
    cols = cols.reshape(N, C, kH, kW, H_out, W_out)
    dxp = np.zeros((N, C, H + pad[0] + pad[1], W + pad[2] + pad[3]), dtype=cols.dtype)
    # One vectorised add per kernel tap (kH*kW of them): windows overlap, so taps must not be added in one go.
    for (a, b), where in tap_slices(kernel, geo.stride, geo.dilation, (H_out, W_out)):
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


def tap_major_cols(x: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    """im2col with the image axis inside: every receptive field of the whole batch is one column of one matrix.

    Args:
        x: (N, C, H, W). geo: from conv_geometry.
    Returns:
        cols: (C, kH, kW, N, H_out, W_out), contiguous; reshaped to (C*kH*kW, N*H_out*W_out) it makes the layer a
        single large matrix product, which BLAS runs much faster than N small ones.
    """
    view = windows(pad_input(x, geo.pad), geo.kernel, geo.stride, geo.dilation)  # (N, C, Ho, Wo, kH, kW)
    return np.ascontiguousarray(view.transpose(1, 4, 5, 0, 2, 3))


def plane_shifts(geo: ConvGeometry, x_shape: tuple) -> tuple[tuple[int, int], int, list]:
    """Stride 1 only: in a padded plane flattened row by row, output pixel (i, j) meets tap (a, b) at flat index
    i*Wp + j + shift(a, b), with shift = a*dH*Wp + b*dW. So if output rows keep the padded width Wp (the columns
    j >= W_out are junk, cropped later), each tap reads one contiguous slice of every plane.

    Returns:
        (Hp, Wp), the length plane_len that planes need (Hp*Wp plus room for the last tap's overhang) and a list
        of ((a, b), shift).
    """
    (kH, kW), (dH, dW), pad = geo.kernel, geo.dilation, geo.pad
    Hp, Wp = x_shape[2] + pad[0] + pad[1], x_shape[3] + pad[2] + pad[3]
    shifts = [((a, b), a * dH * Wp + b * dW) for a in range(kH) for b in range(kW)]
    return (Hp, Wp), Hp * Wp + dW * (kW - 1), shifts


def shifted_cols(x: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    """Stride-1 im2col by whole-plane shifts (see plane_shifts): one contiguous copy per kernel tap.

    Args:
        x: (N, C, H, W). geo: from conv_geometry, with stride (1, 1).
    Returns:
        cols: (C, kH, kW, N, H_out*Wp); column i*Wp + j of image n is output pixel (i, j), junk for j >= W_out.
    """
    (N, C, H, W), pad, H_out = x.shape, geo.pad, geo.out_hw[0]
    (Hp, Wp), plane_len, shifts = plane_shifts(geo, x.shape)
    planes = np.zeros((C, N, plane_len), dtype=x.dtype)  # zero padding around each (channel, image) plane
    inside = planes[:, :, :Hp * Wp].reshape(C, N, Hp, Wp)[:, :, pad[0]:pad[0] + H, pad[2]:pad[2] + W]
    inside[...] = x.transpose(1, 0, 2, 3)
    cols = np.empty((C, *geo.kernel, N, H_out * Wp), dtype=x.dtype)
    for (a, b), shift in shifts:
        cols[:, a, b] = planes[:, :, shift:shift + H_out * Wp]
    return cols


def shifted_col2im(dcols: np.ndarray, x_shape: tuple, geo: ConvGeometry) -> np.ndarray:
    """The adjoint of shifted_cols: add every tap's slice back onto the planes (junk columns must hold zeros).

    Args:
        dcols: anything that reshapes to (C, kH, kW, N, H_out*Wp). x_shape: (N, C, H, W).
    Returns:
        dx: (N, C, H, W).
    """
    (N, C, H, W), pad, H_out = x_shape, geo.pad, geo.out_hw[0]
    (Hp, Wp), plane_len, shifts = plane_shifts(geo, x_shape)
    dcols = dcols.reshape(C, *geo.kernel, N, H_out * Wp)
    planes = np.zeros((C, N, plane_len), dtype=dcols.dtype)
    for (a, b), shift in shifts:
        planes[:, :, shift:shift + H_out * Wp] += dcols[:, a, b]  # windows overlap: taps add one after another
    inside = planes[:, :, :Hp * Wp].reshape(C, N, Hp, Wp)[:, :, pad[0]:pad[0] + H, pad[2]:pad[2] + W]
    return np.ascontiguousarray(inside.transpose(1, 0, 2, 3))


# Below this many output pixels per image, the per-image matrix products are too small for BLAS to run fast, so
# the whole batch goes into one product instead (measured on LeNet- and ResNet-sized layers).
