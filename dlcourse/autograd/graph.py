"""Pictures and printouts of a computational graph (``Value`` or ``Tensor``), with matplotlib only.

Layout: a computed node's column is the length of the longest path from a leaf to it, and a leaf sits just left
of its first consumer, so every arrow points right and the output is alone in the last column. Within a column,
nodes are sorted by the mean height of their neighbours (a few sweeps of the barycentre heuristic), which keeps
most arrows short and uncrossed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np

from dlcourse.autograd.value import topological_order

if TYPE_CHECKING:  # names used only in annotations
    from dlcourse.autograd.tensor import Tensor
    from dlcourse.autograd.value import Value

_INFIX = {"+", "-", "*", "/", "@"}


def _columns(order: list) -> dict[int, int]:
    """Column of each node (by id): computed nodes one right of their deepest computed input, leaves one left of
    their leftmost consumer."""
    column: dict[int, int] = {}
    for node in order:  # inputs come first in a topological order
        if node._prev:
            column[id(node)] = 1 + max((column.get(id(c), 0) for c in node._prev if c._prev), default=0)
    consumers: dict[int, list[int]] = {}
    for node in order:
        for child in node._prev:
            consumers.setdefault(id(child), []).append(column[id(node)])
    for node in order:
        if not node._prev:
            column[id(node)] = min(consumers.get(id(node), [1])) - 1
    return column


def _layout(order: list, column: dict[int, int]) -> dict[int, tuple[float, float]]:
    """(x, y) of each node: x is its column; y from sorting each column by its neighbours' mean height."""
    neighbours: dict[int, list[int]] = {id(n): [] for n in order}
    for node in order:
        for child in node._prev:
            neighbours[id(node)].append(id(child))
            neighbours[id(child)].append(id(node))
    columns: dict[int, list[int]] = {}
    for node in order:
        columns.setdefault(column[id(node)], []).append(id(node))
    height = {key: (len(keys) - 1) / 2 - row for keys in columns.values() for row, key in enumerate(keys)}
    for _ in range(4):  # alternate sweeps converge quickly for graphs of this size
        for keys in columns.values():
            keys.sort(key=lambda k: -np.mean([height[n] for n in neighbours[k]]) if neighbours[k] else 0.0)
            height.update({key: (len(keys) - 1) / 2 - row for row, key in enumerate(keys)})
    return {key: (float(column[key]), height[key]) for key in height}


def _names(order: list) -> dict[int, str]:
    """A short name per node: its label if it has one, else v0, v1, ... in topological order."""
    return {id(node): node.label or f"v{i}" for i, node in enumerate(order)}


def _number(x) -> str:
    """A value for a label: the number for one element, else the shape."""
    if x is None:
        return "None"
    array = np.asarray(x)
    return f"{array.item():.4g}" if array.size == 1 else f"shape {array.shape}"


def _grad(x) -> str:
    if x is None or np.asarray(x).size == 1:
        return _number(x)
    return f"norm {np.linalg.norm(x):.4g}"


def _expression(node, names: dict[int, str]) -> str:
    """How a computed node was made, e.g. ``v0 * w`` or ``tanh(v3)``."""
    inputs = [names[id(c)] for c in node._prev]
    if node._op in _INFIX and len(inputs) == 2:
        return f"{inputs[0]} {node._op} {inputs[1]}"
    if node._op.startswith("**"):
        return f"{inputs[0]}{node._op}"
    return f"{node._op}({', '.join(inputs)})"


def _heading(node, names: dict[int, str]) -> str:
    name = names[id(node)]
    return f"{name} (leaf)" if not node._prev else f"{name} = {_expression(node, names)}"


def trace(root: Value | Tensor) -> str:
    """The graph as text, one line per node in topological order: name = expression, data, grad.

    Args:
        root: a Value or Tensor (typically the loss).
    Returns:
        A multi-line string, e.g. ``v2 = x * w   data 6   grad 1``.
    """
    order = topological_order(root)
    names = _names(order)
    rows = [(_heading(n, names), _number(n.data), _grad(n.grad)) for n in order]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{left:<{width}}   data {data:<14} grad {grad}" for left, data, grad in rows)


def draw_graph(root: Value | Tensor, *, ax: plt.Axes | None = None, show_grad: bool = True) -> plt.Figure:
    """Draw the graph that produced ``root``: one box per node (name = operation, data, grad), arrows input -> output.

    Args:
        root: a Value or Tensor.
        ax: a matplotlib Axes to draw into; a new figure is made when None.
        show_grad: whether boxes show ``grad`` (run ``root.backward()`` first to see gradients).
    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt  # imported here: the engines themselves need no matplotlib

    order = topological_order(root)
    names, column = _names(order), _columns(order)
    position = _layout(order, column)
    labels = {}
    for node in order:
        lines = [_heading(node, names), f"data {_number(node.data)}"]
        labels[id(node)] = "\n".join(lines + ([f"grad {_grad(node.grad)}"] if show_grad else []))
    n_columns = max(column.values()) + 1
    tallest = max(sum(1 for c in column.values() if c == k) for k in range(n_columns))
    widest = max(len(line) for label in labels.values() for line in label.splitlines())
    if ax is None:  # about 0.07 inch per monospace character at 8 points, plus room for the arrows
        fig, ax = plt.subplots(figsize=(min(n_columns * (0.07 * widest + 0.45), 30), min(0.75 * tallest + 0.6, 16)))
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)  # the boxes need every inch
    boxes = {}
    for node in order:
        colour = "#dbe9f6" if not node._prev else "#fde9c9"  # leaves blue, computed nodes orange
        boxes[id(node)] = ax.text(*position[id(node)], labels[id(node)], ha="center", va="center", fontsize=8,
                                  family="monospace", zorder=3,
                                  bbox={"boxstyle": "round,pad=0.4", "facecolor": colour, "edgecolor": "0.4"})
    for node in order:
        for child in set(node._prev):  # x * x needs one arrow, not two on top of each other
            # coordinates relative to the two text boxes: from the input's right edge to the output's left edge
            ax.annotate("", xy=(0, 0.5), xycoords=boxes[id(node)], xytext=(1, 0.5), textcoords=boxes[id(child)],
                        arrowprops={"arrowstyle": "->", "color": "0.45", "shrinkA": 2, "shrinkB": 2}, zorder=1)
    ax.set_xlim(-0.55, n_columns - 0.45)
    ax.set_ylim(-tallest / 2, tallest / 2)
    ax.axis("off")
    return ax.figure
