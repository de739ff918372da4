"""The fully connected layer: y = x W^T + b, with W of shape (M, D) as in torch.nn.Linear."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import DTypeLike

from dlcourse.nn.module import Module, Parameter
from dlcourse.validate import as_float_array, check_positive_int, check_rng, check_same_dtype, check_size


def linear_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> tuple[np.ndarray, tuple]:
    """Affine map of the last dimension.

    Args:
        x: (N, *, D) inputs.
        weight: (M, D).
        bias: (M,) or None.
    Returns:
        out: (N, *, M) = x @ weight.T + bias.
        cache: what linear_backward needs.
    """
    out = x @ weight.T
    if bias is not None:
        out = out + bias
    return out, (x, weight, bias is not None)


def linear_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of linear_forward.

    Args:
        dout: (N, *, M) gradient of the loss with respect to the output.
        cache: from linear_forward.
    Returns:
        dx: (N, *, D), dweight: (M, D), dbias: (M,) or None.
    """
    x, weight, has_bias = cache
    dx = dout @ weight
    x2d = x.reshape(-1, x.shape[-1])  # (N*, D): leading dimensions all act as batch
    dout2d = dout.reshape(-1, dout.shape[-1])  # (N*, M)
    dweight = dout2d.T @ x2d
    dbias = dout2d.sum(axis=0) if has_bias else None
    return dx, dweight, dbias


class Linear(Module):
    """y = x W^T + b.

    Args:
        in_features: D.
        out_features: M.
        bias: whether to learn b.
        rng: Generator for the initial weights (U(-1/sqrt(D), 1/sqrt(D)), PyTorch's default).
        dtype: np.float32 (default, as PyTorch) or np.float64.
    Shapes: input (N, *, D) -> output (N, *, M).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 rng: np.random.Generator | None = None, dtype: DTypeLike = np.float32):
        super().__init__()
        self.in_features = check_positive_int(in_features, "Linear", "in_features")
        self.out_features = check_positive_int(out_features, "Linear", "out_features")
        rng = check_rng(rng, "Linear")
        bound = 1.0 / math.sqrt(in_features)
        self.weight = Parameter(rng.uniform(-bound, bound, (out_features, in_features)).astype(dtype))
        self.bias = Parameter(rng.uniform(-bound, bound, out_features).astype(dtype)) if bias else None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "Linear.forward")
        if x.ndim == 0:
            raise ValueError(f"Linear.forward: expected input of shape (N, {self.in_features}), got a scalar")
        check_size(x.shape[-1], self.in_features, "Linear.forward", "last dimension (in_features)", x.shape)
        check_same_dtype(x, self.weight.data, "Linear.forward")
        out, self._cache = linear_forward(x, self.weight.data, None if self.bias is None else self.bias.data)
        return out

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        dx, dweight, dbias = linear_backward(grad_output, self._cache)
        self.accumulate_grad(weight=dweight, bias=dbias)
        return dx

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
