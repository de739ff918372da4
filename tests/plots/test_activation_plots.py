import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import dlcourse.nn as nn  # noqa: E402
from dlcourse.plots.activations import plot_activations, plot_layer_histograms  # noqa: E402


def _curves(ax):
    return [line for line in ax.lines if not line.get_label().startswith("_")]  # skip the axis lines at 0


def test_plot_activations_draws_each_function_and_its_derivative():
    axes = plot_activations({"ELU": nn.ELU(alpha=2.0), "tanh": nn.Tanh()}, x_range=3.0, num_points=61)
    (elu_f, tanh_f), (elu_df, tanh_df) = (_curves(ax) for ax in axes)
    x = elu_f.get_xdata()
    assert x[0] == -3.0 and x[-1] == 3.0 and len(x) == 61
    np.testing.assert_allclose(elu_f.get_ydata(), np.where(x > 0, x, 2.0 * np.expm1(x)))
    np.testing.assert_allclose(elu_df.get_ydata(), np.where(x > 0, 1.0, 2.0 * np.exp(x)))
    np.testing.assert_allclose(tanh_df.get_ydata(), 1 - np.tanh(x) ** 2)
    assert [t.get_text() for t in axes[0].get_legend().get_texts()] == ["ELU", "tanh"]
    assert tanh_f.get_label() == "tanh"
    plt.close("all")


def test_plot_layer_histograms_one_panel_per_layer(rng):
    outputs = {"a": [rng.standard_normal((20, 4)), np.zeros((20, 4))], "b": [np.ones((20, 4)), np.ones((20, 4))]}
    axes = plot_layer_histograms(outputs, bins=5)
    assert axes.shape == (2, 2)
    (outline,) = axes[0, 1].patches  # a filled step outline
    assert outline.get_xy()[:, 1].max() == 80  # all 20 x 4 zeros fall in one bin
    (outline,) = axes[0, 0].patches
    assert outline.get_xy()[:, 1].max() < 80  # standard normal values spread over several bins
    assert axes[1, 0].get_ylabel() == "b" and axes[0, 1].get_title() == "layer 2"
    plt.close("all")


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="expected at least one layer, got none"):
        plot_activations({})
    with pytest.raises(ValueError, match=r"expected the same number \(>= 1\) of layers per network, got \{'a': 1, "
                                         r"'b': 2\}"):
        plot_layer_histograms({"a": [np.zeros((2, 2))], "b": [np.zeros((2, 2))] * 2})
