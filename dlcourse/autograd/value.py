"""A scalar reverse-mode autograd engine: every number remembers how it was made.

Each operation returns a new ``Value`` that keeps its inputs (``_prev``) and a closure ``_backward`` that knows
the operation's local derivatives. ``backward()`` orders the graph topologically and runs the closures from the
output back to the inputs; each adds ``local derivative * out.grad`` to its inputs' ``.grad`` (chain rule), and
``+=`` makes a value used twice receive the sum of both contributions (multivariate chain rule).

Arithmetic follows IEEE rules as NumPy and PyTorch do, without warnings: ``Value(0.0).log()`` is ``-inf``,
``Value(-1.0).log()`` is ``nan`` and ``Value(1.0) / 0`` is ``inf``; their gradients are what PyTorch returns.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

# Helpers compute with NumPy float64 scalars under this decorator, so 1/0, log(0) and exp(1000) give inf/nan
# silently (as PyTorch does) instead of raising like Python floats or warning like bare NumPy.
_ieee = np.errstate(all="ignore")


@_ieee
def _div(a: float, b: float) -> float:
    return float(np.float64(a) / np.float64(b))


@_ieee
def _pow(a: float, b: float) -> float:
    return float(np.power(np.float64(a), np.float64(b)))


@_ieee
def _apply(fn: Callable, a: float) -> float:
    return float(fn(np.float64(a)))


def topological_order(root: Value) -> list:
    """Every node that ``root`` depends on (itself included), each after all of its inputs.

    Works for any node with a ``_prev`` tuple (``Value`` and ``Tensor``). Iterative depth-first search, so a chain
    of thousands of operations does not hit Python's recursion limit.
    """
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:  # all of node's inputs are already in ``order``
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in node._prev if id(child) not in visited)
    return order


class Value:
    """A scalar, its gradient, and the operation that produced it.

    Args:
        data: the number (stored as a Python float, i.e. float64).
        label: an optional name shown by ``draw_graph`` and ``trace``.
    Attributes:
        grad: d(output of the last ``backward``)/d(this value), accumulated; 0.0 until backward runs.
    """

    def __init__(self, data: float, label: str = "", *, _prev: tuple = (), _op: str = ""):
        if isinstance(data, Value):
            raise TypeError("Value: expected a number, got a Value; use the Value itself (or value.data)")
        try:
            self.data = float(data)
        except (TypeError, ValueError):
            raise TypeError(f"Value: expected a real number, got {type(data).__name__} {data!r}") from None
        self.grad = 0.0
        self.label = label
        self._prev = _prev
        self._op = _op
        self._backward: Callable[[], None] = lambda: None  # a leaf has nobody to pass gradient to

    # ----- arithmetic -----------------------------------------------------------------------------------------------
    def __add__(self, other) -> Value:
        other = _as_value(other)
        out = Value(self.data + other.data, _prev=(self, other), _op="+")

        def _backward():  # d(a+b)/da = d(a+b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other) -> Value:
        other = _as_value(other)
        out = Value(self.data * other.data, _prev=(self, other), _op="*")

        def _backward():  # d(ab)/da = b, d(ab)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __truediv__(self, other) -> Value:
        other = _as_value(other)
        out = Value(_div(self.data, other.data), _prev=(self, other), _op="/")

        def _backward():  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
            self.grad += _div(out.grad, other.data)
            other.grad += -out.grad * _div(out.data, other.data)

        out._backward = _backward
        return out

    def __pow__(self, exponent: float) -> Value:
        if isinstance(exponent, Value) or not isinstance(exponent, int | float):
            raise TypeError(f"Value.__pow__: expected a constant int or float exponent, got {type(exponent).__name__}"
                            "; for a variable exponent write (b * a.log()).exp()")
        out = Value(_pow(self.data, exponent), _prev=(self,), _op=f"**{exponent:g}")

        def _backward():  # d(a^p)/da = p a^(p-1)
            self.grad += exponent * _pow(self.data, exponent - 1) * out.grad

        out._backward = _backward
        return out

    def __neg__(self) -> Value:
        out = Value(-self.data, _prev=(self,), _op="neg")

        def _backward():
            self.grad -= out.grad

        out._backward = _backward
        return out

    def __sub__(self, other) -> Value:
        other = _as_value(other)
        out = Value(self.data - other.data, _prev=(self, other), _op="-")

        def _backward():
            self.grad += out.grad
            other.grad -= out.grad

        out._backward = _backward
        return out

    def __radd__(self, other) -> Value:  # 2 + v
        return self + other

    def __rmul__(self, other) -> Value:  # 2 * v
        return self * other

    def __rsub__(self, other) -> Value:  # 2 - v
        return _as_value(other) - self

    def __rtruediv__(self, other) -> Value:  # 2 / v
        return _as_value(other) / self

    # ----- functions ------------------------------------------------------------------------------------------------
    def exp(self) -> Value:
        out = Value(_apply(np.exp, self.data), _prev=(self,), _op="exp")

        def _backward():  # d e^a / da = e^a, which is out.data
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self) -> Value:
        """Natural logarithm; -inf at 0 and nan below, as in NumPy/PyTorch (no error, no warning)."""
        out = Value(_apply(np.log, self.data), _prev=(self,), _op="log")

        def _backward():  # d log a / da = 1/a
            self.grad += _div(out.grad, self.data)

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        out = Value(math.tanh(self.data), _prev=(self,), _op="tanh")

        def _backward():  # d tanh a / da = 1 - tanh(a)^2
            self.grad += (1.0 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        out = Value(_div(1.0, 1.0 + _apply(np.exp, -self.data)), _prev=(self,), _op="sigmoid")

        def _backward():  # d s(a)/da = s(a) (1 - s(a))
            self.grad += out.data * (1.0 - out.data) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        out = Value(self.data if self.data > 0 else 0.0, _prev=(self,), _op="relu")

        def _backward():  # slope 1 for a > 0, else 0 (PyTorch's choice at exactly 0)
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad

        out._backward = _backward
        return out

    # ----- backpropagation ------------------------------------------------------------------------------------------
    def backward(self) -> None:
        """Add d(self)/d(leaf) into the ``.grad`` of every leaf this value depends on.

        Leaves (values not computed from others, such as weights) accumulate over calls, as in PyTorch; call
        ``zero_grad`` between steps. Intermediate values restart from 0, so they hold this call's gradient only.
        """
        order = topological_order(self)
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad += 1.0  # d self / d self
        for node in reversed(order):  # outputs before inputs: a node's grad is complete when its turn comes
            node._backward()

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0 on this value and everything it depends on (before a fresh ``backward``)."""
        for node in topological_order(self):
            node.grad = 0.0

    def __repr__(self) -> str:
        name = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{name})"


def _as_value(x) -> Value:
    """Wrap constants so ``v * 2`` works; constants get a gradient nobody reads."""
    return x if isinstance(x, Value) else Value(x)


def zero_grad(values: Iterable[Value]) -> None:
    """Set ``.grad`` to 0 on each of ``values`` (e.g. a model's parameters)."""
    for v in values:
        v.grad = 0.0
