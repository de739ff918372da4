"""Graph drawing and tracing: one box / line per node, one arrow per distinct edge, the numbers the nodes hold."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlcourse.autograd import Tensor, Value, draw_graph, topological_order, trace  # noqa: E402


def small_value_graph():
    x, w, b = Value(2.0, "x"), Value(-3.0, "w"), Value(1.0, "b")
    y = (x * w + b).tanh() * x  # x is used twice
    y.backward()
    return y, (x, w, b)


def test_topological_order_puts_inputs_first():
    y, (x, w, b) = small_value_graph()
    order = topological_order(y)
    assert len(order) == 7 and order[-1] is y
    position = {id(n): i for i, n in enumerate(order)}
    assert all(position[id(c)] < position[id(n)] for n in order for c in n._prev)


def test_trace_lists_every_node_with_its_expression_data_and_grad():
    y, (x, w, b) = small_value_graph()
    lines = trace(y).splitlines()
    assert len(lines) == len(topological_order(y))
    assert any(line.startswith("x (leaf)") and f"grad {x.grad:.4g}" in line for line in lines)
    assert any("= x * w" in line for line in lines)
    assert lines[-1].split("=")[1].strip().startswith("v5 * x") and f"data {y.data:.4g}" in lines[-1]


def test_trace_of_a_tensor_graph_shows_shapes_and_norms(rng):
    w = Tensor(rng.standard_normal((3, 2)), requires_grad=True, label="W")
    loss = (Tensor(rng.standard_normal((4, 3))) @ w).relu().mean()
    loss.backward()
    text = trace(loss)
    assert "W (leaf)" in text and "shape (3, 2)" in text and f"norm {np.linalg.norm(w.grad):.4g}" in text
    assert "= mean(v" in text and "= relu(v" in text


@pytest.mark.parametrize("show_grad", [True, False])
def test_draw_graph_has_a_box_per_node_and_an_arrow_per_edge(show_grad):
    y, (x, w, b) = small_value_graph()
    fig = draw_graph(y, show_grad=show_grad)
    ax = fig.axes[0]
    boxes = [t for t in ax.texts if t.get_text()]
    order = topological_order(y)
    assert len(boxes) == len(order)
    assert all(("grad" in t.get_text()) == show_grad for t in boxes)
    distinct_edges = sum(len(set(map(id, n._prev))) for n in order)
    assert sum(1 for t in ax.texts if not t.get_text()) == distinct_edges  # arrows are empty annotations
    fig.canvas.draw()  # arrows anchored to boxes must resolve when rendered
    plt.close(fig)


def test_draw_graph_into_given_axes(rng):
    fig, ax = plt.subplots()
    x = Tensor(rng.standard_normal(3), requires_grad=True)
    returned = draw_graph((x * x).sum(), ax=ax)
    assert returned is fig and len([t for t in ax.texts if t.get_text()]) == 3
    plt.close(fig)
