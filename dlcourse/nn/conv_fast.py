"""The fast paths of conv2d_forward / conv2d_backward: the same maths as the teaching version in
``dlcourse.nn.conv`` (im2col, one matrix product, col2im), arranged so that BLAS gets large matrices.

- Whole batch: for small images the per-image products are too small for BLAS (see ``WHOLE_BATCH_BELOW``), so the
  columns of all images go side by side into one ``(Cg*kH*kW, N*H_out*W_out)`` matrix and the layer is one product
  per group. With stride 1 each kernel tap of that matrix is a single shifted copy of the flattened padded planes
  (``plane_shifts``); otherwise it is a strided view copied tap-major (``tap_major_cols``).
- Input gradient as a convolution: with stride 1, dx is dout convolved with the flipped kernel
  (``input_grad_by_convolution``), quicker than col2im's kH*kW scattered adds.

conv2d_forward picks the path (``use_whole_batch``); conv2d_backward follows the type of the cache it gets.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dlcourse.nn.im2col import ConvGeometry, pad_input, tap_slices, windows

# Below this many output pixels per image (H_out*W_out), the whole batch goes into one matrix product. Why: the
# per-image product (Mg, Cg*kH*kW) @ (Cg*kH*kW, H_out*W_out) then has few columns, and BLAS pays a fixed cost per
# call and works on panels of a few hundred columns, so N small calls run below its peak while one call with
# N*H_out*W_out columns runs near it. The whole-batch layout pays for that with extra copies (the batch goes to
# channel-major and back), which large images do not win back. Measured single-threaded (float32, forward +
# backward, CPU time) on bench_conv's LeNet conv2 and ResNet block shapes with only H, W varied: whole batch
# was 5-20% quicker for 64 to 400 output pixels and 7-10% slower at 32x32 (1024); 256 keeps LeNet's 10x10 output
# (conv2) on the whole-batch path and the 28x28 (conv1) and ResNet's 32x32 outputs on the per-image path.
WHOLE_BATCH_BELOW = 256


class WholeBatchCache(NamedTuple):
    """What conv2d_backward needs after the whole-batch forward (``forward_whole_batch``)."""

    cols: np.ndarray  # (G, Cg*kH*kW, N*H_out*width), width = Wp (stride 1, junk columns) or W_out
    weight: np.ndarray  # (M, C/groups, kH, kW)
    has_bias: bool
    x_shape: tuple  # (N, C, H, W)
    geo: ConvGeometry


def use_whole_batch(geo: ConvGeometry) -> bool:
    """Whether conv2d_forward should run the whole batch as one product (small output images).

    Args:
        geo: from conv_geometry.
    """
    return geo.out_hw[0] * geo.out_hw[1] < WHOLE_BATCH_BELOW


def input_grad_as_convolution_pays(geo: ConvGeometry, out_channels: int, in_channels: int) -> bool:
    """Whether dx is cheaper as a convolution than by col2im: stride 1 only (otherwise the flipped kernel would
    need a dilated dout), and unless dout has more channels than x (then that convolution is the larger one).

    Args:
        geo: from conv_geometry.
        out_channels: M, the channels of dout.
        in_channels: C, the channels of x.
    """
    return geo.stride == (1, 1) and out_channels <= in_channels


def tap_major_cols(x: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    """im2col with the image axis inside: every receptive field of the whole batch is one column of one matrix.

    Args:
        x: (N, C, H, W).
        geo: from conv_geometry.
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

    Args:
        geo: from conv_geometry, with stride (1, 1).
        x_shape: (N, C, H, W).
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
        x: (N, C, H, W).
        geo: from conv_geometry, with stride (1, 1).
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
        dcols: anything that reshapes to (C, kH, kW, N, H_out*Wp).
        x_shape: (N, C, H, W).
        geo: from conv_geometry, with stride (1, 1).
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


def forward_whole_batch(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None,
                        geo: ConvGeometry) -> tuple[np.ndarray, WholeBatchCache]:
    """conv2d_forward as one matrix product per group over the whole batch.

    Args:
        x: (N, C, H, W).
        weight: (M, C/groups, kH, kW).
        bias: (M,) or None.
        geo: from conv_geometry.
    Returns:
        out: (N, M, H_out, W_out).
        cache: WholeBatchCache for backward_whole_batch.
    """
    (N, M, G), (H_out, W_out) = (x.shape[0], weight.shape[0], geo.groups), geo.out_hw
    cols = shifted_cols(x, geo) if geo.stride == (1, 1) else tap_major_cols(x, geo)
    cols = cols.reshape(G, -1, cols[0, 0, 0].size)  # (G, Cg*kH*kW, N*H_out*width), width = Wp or W_out
    out = weight.reshape(G, M // G, -1) @ cols  # (G, Mg, Cg*kH*kW) @ (G, Cg*kH*kW, N*P) -> (G, Mg, N*P)
    out = out.reshape(M, N, H_out, -1)[..., :W_out]  # channel-major (M, N, H_out, W_out), junk columns dropped
    if bias is not None:
        out += bias.reshape(M, 1, 1, 1)
    cache = WholeBatchCache(cols, weight, bias is not None, x.shape, geo)
    return np.ascontiguousarray(out.transpose(1, 0, 2, 3)), cache  # (M, N, H_out, W_out) -> (N, M, H_out, W_out)


def backward_whole_batch(dout: np.ndarray,
                         cache: WholeBatchCache) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of forward_whole_batch.

    Args:
        dout: (N, M, H_out, W_out).
        cache: from forward_whole_batch.
    Returns:
        dx: (N, C, H, W), dweight: (M, C/groups, kH, kW), dbias: (M,) or None.
    """
    cols, weight, has_bias, x_shape, geo = cache
    (N, M, H_out, W_out), G = dout.shape, geo.groups
    d = np.zeros((M, N, H_out, cols.shape[-1] // (N * H_out)), dtype=dout.dtype)  # as forward's out, junk = 0
    d[..., :W_out] = dout.transpose(1, 0, 2, 3)
    d = d.reshape(G, M // G, -1)  # (G, Mg, N*P)
    # (G, K, N*P) @ (G, N*P, Mg) sums over images and pixels; this order is quicker in BLAS than d @ cols^T
    dweight = (cols @ d.swapaxes(-1, -2)).swapaxes(-1, -2).reshape(weight.shape)
    dcols = weight.reshape(G, M // G, -1).swapaxes(-1, -2) @ d  # (G, K, Mg) @ (G, Mg, N*P) -> (G, K, N*P)
    col2im_fn = shifted_col2im if geo.stride == (1, 1) else col2im_tap_major
    dbias = d.sum(axis=-1).reshape(M) if has_bias else None
    return col2im_fn(dcols, x_shape, geo), dweight, dbias


def col2im_tap_major(dcols: np.ndarray, x_shape: tuple, geo: ConvGeometry) -> np.ndarray:
    """The adjoint of tap_major_cols: add each column entry back onto its input pixel, one kernel tap at a time.

    Args:
        dcols: anything that reshapes to (C, kH, kW, N, H_out, W_out).
        x_shape: (N, C, H, W).
        geo: from conv_geometry.
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


def input_grad_by_convolution(dout: np.ndarray, weight: np.ndarray, x_shape: tuple, geo: ConvGeometry) -> np.ndarray:
    """dx of a stride-1 convolution is itself a convolution: dout, padded by the dilated kernel's reach on every
    side, correlated with the kernel flipped in space and with in/out channels swapped (faster than col2im).

    Args:
        dout: (N, M, H_out, W_out).
        weight: (M, C/groups, kH, kW).
        x_shape: (N, C, H, W).
        geo: from conv_geometry, with stride (1, 1).
    Returns:
        dx: (N, C, H, W).
    """
    from dlcourse.nn.conv import conv2d_forward  # conv imports this module, so not at the top

    G, (M, Cg, kH, kW), (dH, dW), pad = geo.groups, weight.shape, geo.dilation, geo.pad
    flipped = weight.reshape(G, M // G, Cg, kH, kW).swapaxes(1, 2)[..., ::-1, ::-1]  # (G, Cg, Mg, kH, kW)
    flipped = flipped.reshape(G * Cg, M // G, kH, kW)  # a weight (C, M/groups, kH, kW) from M to C channels
    reach = (dH * (kH - 1), dH * (kH - 1), dW * (kW - 1), dW * (kW - 1))
    dxp, _ = conv2d_forward(dout, flipped, None, padding=reach, dilation=(dH, dW), groups=G)  # padded input's size
    return dxp[:, :, pad[0]:pad[0] + x_shape[2], pad[2]:pad[2] + x_shape[3]]
