"""Inverted dropout, as torch.nn.Dropout: in training, zero each element with probability p and scale the
survivors by 1 / (1 - p), so the expected output equals the input and eval mode can be the identity.

The random mask is drawn separately (``dropout_mask``) from an explicit Generator, and ``dropout_forward``
takes it as an argument: with the mask fixed, the layer is deterministic and can be compared with torch or
checked with finite differences.
"""

from __future__ import annotations

import numpy as np

from dlcourse.nn.module import Module
from dlcourse.validate import as_float_array, check_probability, check_rng


def dropout_mask(shape: tuple, p: float, rng: np.random.Generator) -> np.ndarray:
    """Draw which elements survive: each is kept independently with probability 1 - p.

    Args:
        shape: the input's shape.
        p: the drop probability.
        rng: the Generator to draw from.
    Returns:
        keep: bool array of ``shape``, True where the element is kept.
    """
    return rng.random(shape) >= p


def dropout_forward(x: np.ndarray, p: float, mask: np.ndarray) -> tuple[np.ndarray, tuple]:
    """out = x * mask / (1 - p): inverted dropout with a given keep-mask.

    Args:
        x: any shape.
        p: the drop probability.
        mask: bool (or 0/1) array of x's shape, True = keep.
    Returns:
        out: x's shape and dtype. cache: what dropout_backward needs.
    """
    # p = 1 drops everything; PyTorch returns zeros rather than 0 * inf
    scale = 0.0 if p >= 1.0 else 1.0 / (1.0 - p)
    multiplier = mask.astype(x.dtype) * x.dtype.type(scale)  # (same shape as x): 0 or 1/(1-p)
    return x * multiplier, (multiplier,)


def dropout_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of dropout_forward: the same mask and scale applied to dout.

    Args:
        dout: x's shape.
        cache: from dropout_forward.
    Returns:
        dx: x's shape.
    """
    (multiplier,) = cache
    return dout * multiplier


class Dropout(Module):
    """Inverted dropout in training mode, the identity in eval mode.

    Args:
        p: probability of zeroing each element (default 0.5, as PyTorch).
        inplace: accepted for PyTorch compatibility; NumPy arrays are never modified.
        rng: Generator the masks are drawn from (a fresh unseeded one if None).
    Attributes:
        mask: bool array of the last training-mode input's shape (True = kept), or None.
    Shapes: input (*) -> output (*), the same shape.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, *, rng: np.random.Generator | None = None):
        super().__init__()
        self.p = check_probability(p, "Dropout", what="the probability of zeroing an element")
        self.inplace = inplace
        self.rng = check_rng(rng, "Dropout")
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "Dropout.forward")
        if not self.training or self.p == 0.0:
            self._cache = None
            return x
        self.mask = dropout_mask(x.shape, self.p, self.rng)
        out, self._cache = dropout_forward(x, self.p, self.mask)
        return out

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        if self._cache is None:  # eval mode (or p = 0): the identity
            return grad_output
        if grad_output.shape != self._cache[0].shape:
            raise ValueError(f"Dropout.backward: expected grad_output of shape {self._cache[0].shape} "
                             f"(the last input's), got {grad_output.shape}")
        return dropout_backward(grad_output, self._cache)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
