"""Normalisation layers: BatchNorm1d, BatchNorm2d and LayerNorm, as in torch.nn.

Both kinds compute x_hat = (x - mean) / sqrt(var + eps) and y = weight * x_hat + bias; they differ only in the
axes the mean and the (biased) variance are taken over:

- batch norm: per channel, over the batch and every spatial position (axes 0, 2, 3, ... of (N, C, *));
  in eval mode it uses running estimates instead, so one example's output does not depend on the others.
- layer norm: per example, over the trailing ``normalized_shape`` dimensions.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import DTypeLike

from dlcourse.nn.module import Module, Parameter
from dlcourse.validate import as_float_array, check_ndim, check_positive_int, check_same_dtype, check_size


class NormCache(NamedTuple):
    """What the backward passes need. ``mean`` and ``var`` (biased) have x's ndim with size 1 on reduced axes."""

    x_hat: np.ndarray
    inv_std: np.ndarray
    weight: np.ndarray | None
    axes: tuple
    batch_stats: bool  # False when fixed (running) statistics were used: they do not depend on x
    mean: np.ndarray
    var: np.ndarray


def _normalize(x: np.ndarray, axes: tuple, eps: float) -> tuple[np.ndarray, ...]:
    """x_hat, 1/sqrt(var + eps), mean and biased var over ``axes`` (kept as size-1 dims for broadcasting)."""
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)  # biased (divide by m): what the forward pass normalises with
    inv_std = 1.0 / np.sqrt(var + eps)
    return (x - mean) * inv_std, inv_std, mean, var


def _normalize_backward(dx_hat: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray, axes: tuple) -> np.ndarray:
    """Gradient through x_hat = (x - mean(x)) / sqrt(var(x) + eps), mean and var taken over ``axes``.

    dx = inv_std * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)): the two means are what the batch
    statistics contribute, since every x moves the mean and the variance that all the others are divided by.
    """
    mean_dx_hat = dx_hat.mean(axis=axes, keepdims=True)
    mean_dx_hat_x_hat = (dx_hat * x_hat).mean(axis=axes, keepdims=True)
    return inv_std * (dx_hat - mean_dx_hat - x_hat * mean_dx_hat_x_hat)


def _affine(x_hat: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None, shape: tuple) -> np.ndarray:
    out = x_hat if weight is None else x_hat * weight.reshape(shape)
    return out if bias is None else out + bias.reshape(shape)


def _affine_backward(dout: np.ndarray, cache: NormCache, param_axes: tuple, shape: tuple):
    """dx_hat and the (dweight, dbias) of y = weight * x_hat + bias; parameters have ``shape`` after reshape."""
    if cache.weight is None:
        return dout, None, None
    dweight = (dout * cache.x_hat).sum(axis=param_axes).reshape(cache.weight.shape)
    dbias = dout.sum(axis=param_axes).reshape(cache.weight.shape)
    return dout * cache.weight.reshape(shape), dweight, dbias


# ----- batch norm ---------------------------------------------------------------------------------------------------
def _channel_axes(x: np.ndarray) -> tuple[tuple, tuple]:
    """Axes reduced per channel for (N, C, *), and the broadcast shape (1, C, 1, ...) of a per-channel array."""
    return (0,) + tuple(range(2, x.ndim)), (1, x.shape[1]) + (1,) * (x.ndim - 2)


def batch_norm_forward(x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None, *, eps: float = 1e-5,
                       running_mean: np.ndarray | None = None,
                       running_var: np.ndarray | None = None) -> tuple[np.ndarray, NormCache]:
    """Batch normalisation of (N, C, *) per channel C.

    Without running statistics (training): x_hat = (x - mu_B) / sqrt(var_B + eps), the batch mean and biased
    variance over N and every spatial position. With them (eval): the same formula with the given mean and var.

    Args:
        x: (N, C) or (N, C, L) or (N, C, H, W).
        weight: (C,) gamma, or None (no affine).
        bias: (C,) beta, or None.
        eps: added to the variance.
        running_mean: (C,) fixed statistics to use instead of the batch's, or both None.
        running_var: (C,) fixed statistics to use instead of the batch's, or both None.
    Returns:
        out: x's shape. cache: a NormCache; ``cache.mean`` / ``cache.var`` hold the statistics used.
    """
    axes, shape = _channel_axes(x)
    if running_mean is None:
        x_hat, inv_std, mean, var = _normalize(x, axes, eps)
    else:
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = (x - mean) * inv_std
    cache = NormCache(x_hat, inv_std, weight, axes, running_mean is None, mean, var)
    return _affine(x_hat, weight, bias, shape), cache


def batch_norm_backward(dout: np.ndarray, cache: NormCache) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Gradients of batch_norm_forward.

    Args:
        dout: (N, C, *) gradient of the loss with respect to the output.
        cache: from batch_norm_forward.
    Returns:
        dx: (N, C, *), dweight: (C,) or None, dbias: (C,) or None.
    """
    _, shape = _channel_axes(dout)
    dx_hat, dweight, dbias = _affine_backward(dout, cache, cache.axes, shape)
    if cache.batch_stats:
        return _normalize_backward(dx_hat, cache.x_hat, cache.inv_std, cache.axes), dweight, dbias
    return dx_hat * cache.inv_std, dweight, dbias  # fixed statistics: a per-channel affine map of x


def update_running_stats(running_mean: np.ndarray, running_var: np.ndarray, batch_mean: np.ndarray,
                         batch_var: np.ndarray, count: int, momentum: float) -> tuple[np.ndarray, np.ndarray]:
    """Exponential moving averages: r <- (1 - momentum) * r + momentum * batch statistic.

    The variance averaged is the unbiased one, batch_var * m / (m - 1) with m values per channel, as in PyTorch
    (the forward pass itself normalises with the biased one).

    Args:
        running_mean: (C,).
        running_var: (C,).
        batch_mean: (C,), the batch's mean and biased variance.
        batch_var: (C,), the batch's mean and biased variance.
        count: m, the number of values per channel (N * spatial size).
        momentum: the weight of the new batch.
    Returns:
        The new (running_mean, running_var), each (C,).
    """
    unbiased = batch_var * (count / (count - 1))
    new_mean = (1 - momentum) * running_mean + momentum * batch_mean
    new_var = (1 - momentum) * running_var + momentum * unbiased
    return new_mean.astype(running_mean.dtype), new_var.astype(running_var.dtype)


class _BatchNorm(Module):
    """Shared by BatchNorm1d and BatchNorm2d; subclasses set ``_ndims`` and ``_layout``."""

    _ndims: tuple = ()
    _layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, *, bias: bool = True, dtype: DTypeLike = np.float32):
        super().__init__()
        name = type(self).__name__
        self.num_features = check_positive_int(num_features, name, "num_features")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{name}: expected momentum in [0, 1] or None, got {momentum}")
        self.eps, self.momentum, self.affine = eps, momentum, affine
        self.track_running_stats = track_running_stats
        self.weight = Parameter(np.ones(num_features, dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype)) if affine and bias else None
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))

    def forward(self, x: np.ndarray) -> np.ndarray:
        name = f"{type(self).__name__}.forward"
        x = as_float_array(x, name)
        check_ndim(x, self._ndims, name, self._layout)
        check_size(x.shape[1], self.num_features, name, "dimension 1 (num_features)", x.shape)
        if self.weight is not None:
            check_same_dtype(x, self.weight.data, name)
        use_batch = self.training or not self.track_running_stats
        count = x.size // x.shape[1]
        if use_batch and count < 2:
            raise ValueError(f"{name}: expected more than 1 value per channel when training, got input shape "
                             f"{x.shape}")
        weight = None if self.weight is None else self.weight.data
        bias = None if self.bias is None else self.bias.data
        fixed = {} if use_batch else {"running_mean": self.running_mean, "running_var": self.running_var}
        out, self._cache = batch_norm_forward(x, weight, bias, eps=self.eps, **fixed)
        if self.training and self.track_running_stats:
            self._track(self._cache, count)
        return out.astype(x.dtype, copy=False)

    def _track(self, cache: NormCache, count: int) -> None:
        self.num_batches_tracked = self.num_batches_tracked + 1
        # momentum=None: a plain cumulative average over all batches seen, as in PyTorch
        momentum = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        self.running_mean, self.running_var = update_running_stats(
            self.running_mean, self.running_var, cache.mean.reshape(-1), cache.var.reshape(-1), count, momentum)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        dx, dweight, dbias = batch_norm_backward(grad_output, self._cache)
        self.accumulate_grad(weight=dweight, bias=dbias)
        return dx

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L), per feature/channel C.

    Args:
        num_features: C.
        eps: added to the variance.
        momentum: weight of each new batch in the running statistics (None: cumulative average).
        affine: learn weight (gamma, ones) and bias (beta, zeros).
        track_running_stats: keep running_mean/running_var (used in eval mode) and num_batches_tracked.
        bias: learn beta (with affine).
        dtype: np.float32 (default) or np.float64.
    Shapes: input (N, C) or (N, C, L) -> output of the same shape.
    """

    _ndims = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W), per channel C, with statistics over N, H and W. Arguments as BatchNorm1d.

    Shapes: input (N, C, H, W) -> output of the same shape.
    """

    _ndims = (4,)
    _layout = "(N, C, H, W)"


# ----- layer norm ---------------------------------------------------------------------------------------------------
def layer_norm_forward(x: np.ndarray, normalized_shape: tuple, weight: np.ndarray | None, bias: np.ndarray | None,
                       *, eps: float = 1e-5) -> tuple[np.ndarray, NormCache]:
    """Layer normalisation: each example normalised over its trailing ``normalized_shape`` dimensions.

    Args:
        x: (*, *normalized_shape), e.g. (N, D) with normalized_shape (D,), or (N, T, E) with (E,).
        normalized_shape: the trailing dimensions, a tuple of ints.
        weight: normalized_shape gamma, or None.
        bias: normalized_shape beta, or None.
        eps: added to the variance.
    Returns:
        out: x's shape.
        cache: a NormCache.
    """
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    x_hat, inv_std, mean, var = _normalize(x, axes, eps)
    return _affine(x_hat, weight, bias, tuple(normalized_shape)), NormCache(x_hat, inv_std, weight, axes, True,
                                                                             mean, var)


def layer_norm_backward(dout: np.ndarray, cache: NormCache) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Gradients of layer_norm_forward.

    Args:
        dout: x's shape.
        cache: from layer_norm_forward.
    Returns:
        dx: x's shape, dweight: normalized_shape or None, dbias: normalized_shape or None.
    """
    lead_axes = tuple(range(dout.ndim - len(cache.axes)))  # parameters are shared across the leading dims
    shape = dout.shape[dout.ndim - len(cache.axes):]
    dx_hat, dweight, dbias = _affine_backward(dout, cache, lead_axes, shape)
    return _normalize_backward(dx_hat, cache.x_hat, cache.inv_std, cache.axes), dweight, dbias


class LayerNorm(Module):
    """y = weight * (x - mean) / sqrt(var + eps) + bias, statistics over the trailing ``normalized_shape`` dims.

    The same in training and eval mode; no running statistics.

    Args:
        normalized_shape: int or tuple of ints, the trailing dimensions of the input.
        eps: added to the variance.
        elementwise_affine: learn weight (ones) and bias (zeros) of normalized_shape.
        bias: learn the bias (with elementwise_affine).
        dtype: np.float32 (default) or np.float64.
    Shapes: input (*, *normalized_shape) -> output of the same shape.
    """

    def __init__(self, normalized_shape: int | tuple, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, *, dtype: DTypeLike = np.float32):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
        self.normalized_shape = tuple(check_positive_int(s, "LayerNorm", "normalized_shape entries") for s in shape)
        if not self.normalized_shape:
            raise ValueError("LayerNorm: expected a non-empty normalized_shape, got ()")
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, dtype)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype)) if elementwise_affine and bias else None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "LayerNorm.forward")
        k = len(self.normalized_shape)
        if x.shape[x.ndim - k:] != self.normalized_shape or x.ndim < k:
            dims = ", ".join(map(str, self.normalized_shape))
            raise ValueError(f"LayerNorm.forward: expected input of shape (*, {dims}) ending in normalized_shape "
                             f"{self.normalized_shape}, got {x.shape}")
        if self.weight is not None:
            check_same_dtype(x, self.weight.data, "LayerNorm.forward")
        weight = None if self.weight is None else self.weight.data
        bias = None if self.bias is None else self.bias.data
        out, self._cache = layer_norm_forward(x, self.normalized_shape, weight, bias, eps=self.eps)
        return out.astype(x.dtype, copy=False)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        dx, dweight, dbias = layer_norm_backward(grad_output, self._cache)
        self.accumulate_grad(weight=dweight, bias=dbias)
        return dx

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
