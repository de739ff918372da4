import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")  # no display needed: the explorer is driven by setting control values

from dlcourse.widgets import activation_explorer  # noqa: E402
from dlcourse.widgets.activations import ACTIVATIONS, make_activation  # noqa: E402


@pytest.fixture
def explorer():
    return activation_explorer(num_samples=200, width=32, seed=0)


def _heights(bars) -> np.ndarray:
    return np.array([bar.get_height() for bar in bars])


def test_leaky_slope_shows_in_function_and_derivative(explorer):
    explorer.controls["activation"].value = "leaky_relu"
    explorer.controls["negative_slope"].value = 0.2
    x, df = explorer.df_line.get_data()
    np.testing.assert_allclose(df[x < 0], 0.2)
    np.testing.assert_allclose(df[x > 0], 1.0)
    np.testing.assert_allclose(explorer.f_line.get_ydata()[x < 0], 0.2 * x[x < 0])
    explorer.controls["negative_slope"].value = 0.05
    np.testing.assert_allclose(explorer.df_line.get_ydata()[x < 0], 0.05)


def test_elu_alpha_sets_the_negative_limit(explorer):
    explorer.controls["activation"].value = "elu"
    explorer.controls["x_range"].value = 8.0
    explorer.controls["alpha"].value = 2.5
    x, f = explorer.f_line.get_data()
    assert x[0] == -8.0 and x[-1] == 8.0
    np.testing.assert_allclose(f[0], 2.5 * np.expm1(-8.0))
    np.testing.assert_allclose(explorer.df_line.get_ydata()[x < 0], 2.5 * np.exp(x[x < 0]))


def test_only_relevant_sliders_are_enabled(explorer):
    explorer.controls["activation"].value = "elu"
    assert not explorer.controls["alpha"].disabled and explorer.controls["negative_slope"].disabled
    explorer.controls["activation"].value = "tanh"
    assert explorer.controls["alpha"].disabled and explorer.controls["negative_slope"].disabled


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_derivative_line_matches_torch_autograd(explorer, name):
    explorer.controls["activation"].value = name
    x, df = explorer.df_line.get_data()
    xt = torch.tensor(x, requires_grad=True)
    torch_fn = {"relu": torch.relu, "leaky_relu": lambda t: torch.nn.functional.leaky_relu(t, 0.1),
                "elu": torch.nn.functional.elu, "gelu": torch.nn.functional.gelu,
                "silu": torch.nn.functional.silu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}[name]
    torch_fn(xt).sum().backward()
    np.testing.assert_allclose(df, xt.grad.numpy(), atol=1e-12)


def test_temperature_reshapes_the_softmax_bars(explorer):
    logits = explorer.logits
    heights = {}
    for temperature in (0.1, 1.0, 10.0):
        explorer.controls["temperature"].value = temperature
        heights[temperature] = _heights(explorer.softmax_bars)
        expected = np.exp(logits / temperature) / np.exp(logits / temperature).sum()
        np.testing.assert_allclose(heights[temperature], expected, rtol=1e-6)  # the slider rounds to its step
    assert heights[0.1].max() > 0.99  # cold: nearly one-hot on the largest logit
    assert heights[10.0].max() - heights[10.0].min() < 0.2  # hot: close to uniform
    assert heights[0.1].max() > heights[1.0].max() > heights[10.0].max()


def test_histogram_is_the_layer_output(explorer):
    explorer.controls["activation"].value = "tanh"
    explorer.controls["weight_scale"].value = 2.0
    expected = np.tanh(explorer.batch @ (2.0 * explorer.unit_weight).T)
    counts, edges = np.histogram(expected, bins=len(explorer.hist_bars))
    np.testing.assert_array_equal(_heights(explorer.hist_bars), counts)
    np.testing.assert_allclose([bar.get_x() for bar in explorer.hist_bars], edges[:-1])


def test_large_weights_saturate_tanh(explorer):
    explorer.controls["activation"].value = "tanh"
    fractions = []
    for scale in (0.2, 1.0, 4.0):
        explorer.controls["weight_scale"].value = scale
        fractions.append(explorer.blocked_fraction)
    assert fractions[0] < fractions[1] < fractions[2]
    assert fractions[0] == 0.0 and fractions[2] > 0.3


def test_relu_histogram_only_rescales_with_the_weights(explorer):
    # ReLU(c z) = c ReLU(z) for c > 0: same counts per bin, bin edges times c, and at any scale about half of the
    # (sample, unit) outputs are 0, while no unit is 0 on every sample (the bias is 0, so none is dead)
    explorer.controls["activation"].value = "relu"
    explorer.controls["weight_scale"].value = 1.0
    counts_1, edges_1 = explorer.histogram
    dead_1 = explorer.blocked_fraction
    explorer.controls["weight_scale"].value = 3.0
    counts_3, edges_3 = explorer.histogram
    np.testing.assert_allclose(edges_3, 3 * edges_1, rtol=1e-12)
    assert np.abs(counts_3 - counts_1).sum() <= 2  # only float rounding at a bin edge may move a value
    assert explorer.blocked_fraction == dead_1
    assert 0.4 < dead_1 < 0.6
    assert explorer.blocked_units == 0
    assert "(sample, unit) outputs" in explorer.ax_hist.get_title()


def test_units_blocked_on_every_sample_are_counted_as_units(explorer):
    # the sigmoid's f' <= 1/4 never drops below 0.01 at scale 1, but with a huge scale some units saturate on
    # every sample; the count of such units can never exceed the share of blocked outputs times the units
    explorer.controls["activation"].value = "sigmoid"
    explorer.controls["weight_scale"].value = 1.0
    assert explorer.blocked_units == 0
    explorer.controls["weight_scale"].value = 5.0
    assert explorer.blocked_units <= explorer.blocked_fraction * explorer.linear.weight.data.shape[0]
    assert f"for {explorer.blocked_units} of" in explorer.ax_hist.get_title()


def test_widget_box_holds_the_live_controls_above_the_figure(explorer):
    """The box a notebook displays: the explorer's own controls (so moving them redraws) above its figure."""
    controls_row, figure_output = explorer.widget.children
    assert list(controls_row.children) == list(explorer.controls.values())
    assert figure_output is explorer.output
    assert set(explorer.values) == {"activation", "x_range", "negative_slope", "alpha", "temperature",
                                    "weight_scale"}
    dropdown = dict(zip(explorer.controls, controls_row.children, strict=True))["activation"]
    dropdown.value = "tanh"  # as a learner picking from the box
    x, f = explorer.f_line.get_data()
    np.testing.assert_allclose(f, np.tanh(x))


def test_unknown_activation_is_named():
    with pytest.raises(ValueError, match=r"expected one of \['relu', .*\], got 'swish'"):
        make_activation("swish")
