"""An array reverse-mode autograd engine over NumPy: ``Value``'s idea, one array per node.

Every operation returns a new ``Tensor`` holding its inputs and a closure that turns ``out.grad`` into gradients
for them. Two things are new compared with scalars:

* Broadcasting. ``x + b`` with x (N, D) and b (D,) uses each element of b N times, so b's gradient is the sum
  over that axis: ``unbroadcast`` sums a gradient back down to an input's shape.
* Reductions and shape changes (sum, mean, max, reshape, transpose, indexing) route gradients back to the
  elements they came from.

Gradients follow PyTorch: a leaf made with ``requires_grad=True`` accumulates into ``.grad`` (``+=``) on every
``backward``; an intermediate tensor's ``.grad`` holds the gradient of the latest ``backward`` only (kept, unlike
PyTorch, so a graph can be drawn with its gradients). As in PyTorch, log(0) = -inf, log(-1) = nan and 1/0 = inf,
silently. Python numbers and integer arrays take the tensor's dtype; float32 stays float32.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from dlcourse.autograd.broadcast import expand_reduced, unbroadcast
from dlcourse.autograd.grad_mode import is_grad_enabled
from dlcourse.autograd.value import topological_order
from dlcourse.validate import as_real_array

_ieee = np.errstate(all="ignore")  # inf and nan as PyTorch gives them, without NumPy's RuntimeWarnings


def _to_array(data, dtype: DTypeLike | None = None) -> np.ndarray:
    """float32 and float64 arrays as they are (no copy); ints and bools as float64 (or ``dtype``)."""
    if isinstance(data, Tensor):
        raise TypeError("Tensor: expected array-like data, got a Tensor; use t.detach() or t.data")
    array = np.asarray(data)
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"Tensor: expected dtype float32 or float64, got {dtype}")
        return array.astype(dtype, copy=False)
    return as_real_array(array, "Tensor", "data")


class Tensor:
    """An array, its gradient, and the operation that produced it.

    Args:
        data: array-like of any shape; float32 stays float32, float64/int/bool become float64.
        requires_grad: whether gradients should flow into (and accumulate in) this tensor.
        dtype: np.float32 or np.float64 to convert to, or None to keep the rule above.
        label: an optional name shown by ``draw_graph`` and ``trace``.
    Attributes:
        data: the ndarray. grad: None until a backward reaches it, then an array of data's shape and dtype.
    """

    __array_ufunc__ = None  # makes ``ndarray + Tensor`` call Tensor.__radd__ instead of looping over elements

    def __init__(self, data: ArrayLike, requires_grad: bool = False, *, dtype: DTypeLike | None = None, label: str = "",
                 _prev: tuple = (), _op: str = ""):
        self.data = _to_array(data, dtype)
        self.requires_grad = bool(requires_grad)
        self.grad: np.ndarray | None = None
        self.label = label
        self._prev = _prev
        self._op = _op
        self._backward = lambda: None

    # ----- plumbing -------------------------------------------------------------------------------------------------
    def _lift(self, other) -> Tensor:
        """Constants become tensors that need no gradient; Python numbers and int arrays take self's dtype."""
        if isinstance(other, Tensor):
            return other
        array = np.asarray(other)
        python_number = isinstance(other, int | float)  # weakly typed, as in NumPy 2 and PyTorch
        return Tensor(array, dtype=self.data.dtype if python_number or array.dtype.kind in "biu" else None)

    def _accumulate(self, grad: np.ndarray) -> None:
        """Add a gradient coming from one consumer of this tensor, summed down to this tensor's shape."""
        if not self.requires_grad:
            return
        grad = unbroadcast(np.asarray(grad), self.data.shape).astype(self.data.dtype, copy=False)
        self.grad = grad.copy() if self.grad is None else self.grad + grad

    @staticmethod
    def _result(data: np.ndarray, parents: tuple, op: str) -> Tensor:
        """A new node; it joins the graph only when some input requires grad and grad mode is on."""
        needs_grad = is_grad_enabled() and any(p.requires_grad for p in parents)
        return Tensor(data, requires_grad=needs_grad, _prev=parents if needs_grad else (), _op=op)

    # ----- elementwise arithmetic: operands broadcast as in NumPy, (*a.shape), (*b.shape) -> broadcast shape --------
    def __add__(self, other) -> Tensor:
        other = self._lift(other)
        out = self._result(self.data + other.data, (self, other), "+")

        def _backward():
            self._accumulate(out.grad)
            other._accumulate(out.grad)

        out._backward = _backward
        return out

    def __sub__(self, other) -> Tensor:
        other = self._lift(other)
        out = self._result(self.data - other.data, (self, other), "-")

        def _backward():
            self._accumulate(out.grad)
            other._accumulate(-out.grad)

        out._backward = _backward
        return out

    def __mul__(self, other) -> Tensor:
        other = self._lift(other)
        out = self._result(self.data * other.data, (self, other), "*")

        def _backward():
            self._accumulate(out.grad * other.data)
            other._accumulate(out.grad * self.data)

        out._backward = _backward
        return out

    @_ieee
    def __truediv__(self, other) -> Tensor:
        other = self._lift(other)
        out = self._result(self.data / other.data, (self, other), "/")

        def _backward():  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
            self._accumulate(out.grad / other.data)
            other._accumulate(-out.grad * self.data / (other.data * other.data))

        out._backward = _backward
        return out

    @_ieee
    def __pow__(self, exponent: float) -> Tensor:
        if isinstance(exponent, Tensor | np.ndarray) or not isinstance(exponent, int | float | np.number):
            raise TypeError(f"Tensor.__pow__: expected a constant int or float exponent, got {type(exponent).__name__}")
        out = self._result(self.data**exponent, (self,), f"**{exponent:g}")

        def _backward():  # d(a^p)/da = p a^(p-1); PyTorch's gradient is 0 for p = 0, even at a = 0
            local = np.zeros_like(self.data) if exponent == 0 else exponent * self.data ** (exponent - 1)
            self._accumulate(out.grad * local)

        out._backward = _backward
        return out

    def __neg__(self) -> Tensor:
        out = self._result(-self.data, (self,), "neg")

        def _backward():
            self._accumulate(-out.grad)

        out._backward = _backward
        return out

    def __radd__(self, other) -> Tensor:
        return self + other

    def __rmul__(self, other) -> Tensor:
        return self * other

    def __rsub__(self, other) -> Tensor:
        return self._lift(other) - self

    def __rtruediv__(self, other) -> Tensor:
        return self._lift(other) / self

    # ----- matrix product -------------------------------------------------------------------------------------------
    def __matmul__(self, other) -> Tensor:
        """As np.matmul: (*, N, D) @ (*, D, M) -> (*, N, M), batch axes broadcast, 1-D operands promoted."""
        other = self._lift(other)
        _check_matmul(self.data.shape, other.data.shape)
        out = self._result(self.data @ other.data, (self, other), "@")

        def _backward():
            a = self.data if self.data.ndim > 1 else self.data[None, :]  # (D,) -> (1, D)
            b = other.data if other.data.ndim > 1 else other.data[:, None]  # (D,) -> (D, 1)
            batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
            dout = out.grad.reshape(batch + (a.shape[-2], b.shape[-1]))  # (*, N, M) with promoted axes back
            da = dout @ np.swapaxes(b, -1, -2)  # (*, N, M) @ (*, M, D) -> (*, N, D)
            db = np.swapaxes(a, -1, -2) @ dout  # (*, D, N) @ (*, N, M) -> (*, D, M)
            self._accumulate(unbroadcast(da, a.shape).reshape(self.data.shape))
            other._accumulate(unbroadcast(db, b.shape).reshape(other.data.shape))

        out._backward = _backward
        return out

    def __rmatmul__(self, other) -> Tensor:
        return self._lift(other) @ self

    # ----- reductions -----------------------------------------------------------------------------------------------
    def sum(self, axis: int | tuple | None = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes when None), as np.sum: (*shape) -> the shape without (or with size-1) axes.

        Args:
            axis: an axis, a tuple of axes, or None for all.
            keepdims: keep the reduced axes with size 1 (as np).
        """
        out = self._result(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum")

        def _backward():  # every summed element gets the whole upstream gradient
            self._accumulate(expand_reduced(out.grad, self.data.shape, axis, keepdims))

        out._backward = _backward
        return out

    def mean(self, axis: int | tuple | None = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis``, as np.mean; each element's gradient is the upstream gradient / count.

        Args:
            axis: as in ``sum``.
            keepdims: as in ``sum``.
        """
        out = self._result(self.data.mean(axis=axis, keepdims=keepdims), (self,), "mean")
        count = self.data.size // max(out.data.size, 1)  # how many elements each mean averaged

        def _backward():
            self._accumulate(expand_reduced(out.grad, self.data.shape, axis, keepdims) / count)

        out._backward = _backward
        return out

    def max(self, axis: int | tuple | None = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis``; tied maxima share the gradient equally (as torch.amax).

        Args:
            axis: as in ``sum``.
            keepdims: as in ``sum``.
        """
        top = self.data.max(axis=axis, keepdims=True)
        out = self._result(top if keepdims else np.squeeze(top, axis=axis), (self,), "max")

        def _backward():
            winners = self.data == top  # (*self.shape) mask of the maxima
            share = winners / winners.sum(axis=axis, keepdims=True)
            self._accumulate(share * expand_reduced(out.grad, self.data.shape, axis, keepdims))

        out._backward = _backward
        return out

    # ----- shape ----------------------------------------------------------------------------------------------------
    def reshape(self, *shape: int | tuple[int, ...]) -> Tensor:
        """Same elements in a new shape, as np.reshape (ints or one tuple, -1 allowed)."""
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape
        out = self._result(self.data.reshape(shape), (self,), "reshape")

        def _backward():
            self._accumulate(out.grad.reshape(self.data.shape))

        out._backward = _backward
        return out

    def transpose(self, *axes: int | tuple[int, ...]) -> Tensor:
        """Permute axes as np.transpose (no axes: reverse them)."""
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], tuple | list) else axes
        axes = tuple(axes) if axes else tuple(reversed(range(self.data.ndim)))
        out = self._result(self.data.transpose(axes), (self,), "transpose")

        def _backward():  # the inverse permutation puts every axis back
            self._accumulate(out.grad.transpose(np.argsort(axes)))

        out._backward = _backward
        return out

    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy's and PyTorch's name
        return self.transpose()

    def __getitem__(self, key) -> Tensor:
        """NumPy indexing (slices, integer arrays, masks); ``logp[np.arange(N), y]`` picks one entry per row."""
        key = tuple(k.data if isinstance(k, Tensor) else k for k in key) if isinstance(key, tuple) else key
        out = self._result(self.data[key], (self,), "index")

        def _backward():  # add.at, not +=: an element picked twice must get both gradients
            grad = np.zeros_like(self.data)
            np.add.at(grad, key, out.grad)
            self._accumulate(grad)

        out._backward = _backward
        return out

    # ----- elementwise functions ------------------------------------------------------------------------------------
    @_ieee
    def exp(self) -> Tensor:
        out = self._result(np.exp(self.data), (self,), "exp")
        out._backward = lambda: self._accumulate(out.grad * out.data)  # (e^a)' = e^a
        return out

    @_ieee
    def log(self) -> Tensor:
        """Natural logarithm: -inf at 0 and nan below 0, as NumPy and PyTorch, without warnings."""
        out = self._result(np.log(self.data), (self,), "log")
        out._backward = lambda: self._accumulate(out.grad / self.data)  # (log a)' = 1/a
        return out

    def tanh(self) -> Tensor:
        out = self._result(np.tanh(self.data), (self,), "tanh")
        out._backward = lambda: self._accumulate(out.grad * (1 - out.data * out.data))
        return out

    @_ieee
    def sigmoid(self) -> Tensor:
        out = self._result(1 / (1 + np.exp(-self.data)), (self,), "sigmoid")
        out._backward = lambda: self._accumulate(out.grad * out.data * (1 - out.data))
        return out

    def relu(self) -> Tensor:
        out = self._result(np.maximum(self.data, 0), (self,), "relu")
        out._backward = lambda: self._accumulate(out.grad * (self.data > 0))  # slope 0 at 0, as PyTorch
        return out

    def log_softmax(self, axis: int = -1) -> Tensor:
        """log(softmax(x)) along ``axis``, computed as x - max - log(sum(exp(x - max))) so nothing overflows."""
        shifted = self.data - self.data.max(axis=axis, keepdims=True)
        out = self._result(shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True)), (self,), "log_softmax")

        def _backward():  # d/dx_j of sum_i g_i log p_i = g_j - p_j * sum_i g_i
            self._accumulate(out.grad - np.exp(out.data) * out.grad.sum(axis=axis, keepdims=True))

        out._backward = _backward
        return out

    # ----- backpropagation ------------------------------------------------------------------------------------------
    @_ieee
    def backward(self, grad: ArrayLike | None = None) -> None:
        """Add d(self)/d(leaf) into every leaf's ``.grad``; intermediate tensors get this pass's gradient.

        Args:
            grad: the gradient of some scalar with respect to self, of self's shape; may be omitted when self
                holds one element (a loss), then it is 1.
        """
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad (no input had requires_grad=True, "
                               "or it was computed under no_grad)")
        if grad is None:
            if self.data.size != 1:
                raise ValueError(f"backward: expected a scalar output (one element) when grad is not given, got "
                                 f"shape {self.data.shape}; call .sum() first or pass grad= of shape {self.data.shape}")
            grad = np.ones_like(self.data)
        grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=self.data.dtype)
        if grad.shape != self.data.shape:
            raise ValueError(f"backward: expected grad of shape {self.data.shape} (the tensor's), got {grad.shape}")
        order = topological_order(self)
        for node in order:
            if node._prev:  # intermediate results restart from zero; leaves keep accumulating
                node.grad = None
        self._accumulate(grad)
        for node in reversed(order):  # outputs before inputs: a node's grad is complete when its turn comes
            if node.grad is not None:
                node._backward()

    # ----- conveniences ---------------------------------------------------------------------------------------------
    def detach(self) -> Tensor:
        """The same data (shared, not copied) outside any graph."""
        return Tensor(self.data)

    def zero_grad(self) -> None:
        self.grad = None

    def item(self) -> float:
        return self.data.item()

    def numpy(self) -> np.ndarray:
        return self.data

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.data, precision=4, separator=', ')}{grad})"


def _check_matmul(a: tuple, b: tuple) -> None:
    """Raise a ValueError naming both shapes when ``a @ b`` is undefined."""
    if not a or not b:
        raise ValueError(f"matmul: expected operands with at least 1 dimension, got shapes {a} and {b}")
    inner_b = b[-2] if len(b) > 1 else b[0]
    if a[-1] != inner_b:
        raise ValueError(f"matmul: expected the last dimension of the left operand to equal the "
                         f"{'second-to-last' if len(b) > 1 else 'only'} dimension of the right one, got shapes "
                         f"{a} @ {b} ({a[-1]} != {inner_b})")
    try:
        np.broadcast_shapes(a[:-2], b[:-2])
    except ValueError:
        raise ValueError(f"matmul: expected batch dimensions that broadcast, got {a[:-2]} and {b[:-2]} "
                         f"(shapes {a} @ {b})") from None
