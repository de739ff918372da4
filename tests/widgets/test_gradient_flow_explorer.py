import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")  # no display needed: the explorer is driven by setting control values

from dlcourse.widgets import gradient_flow_explorer  # noqa: E402
from dlcourse.widgets.gradient_flow import gradient_by_lag, orthogonal  # noqa: E402


@pytest.fixture
def explorer():
    return gradient_flow_explorer(seed=0)


def test_a_larger_radius_keeps_more_gradient(explorer):
    explorer.controls["cell"].value = "RNN linear"
    far = []
    for radius in (0.5, 1.0, 1.5):
        explorer.controls["radius"].value = radius
        far.append(explorer.ratios[-1])
        lags, reference = explorer.reference.get_data()
        np.testing.assert_allclose(reference, np.maximum(radius ** np.arange(60), 1e-30))
    assert far[0] < 1e-10 < 0.3 < far[1] < 3 < 1e6 < far[2]  # vanishing, kept (orthogonal), exploding


def test_the_curve_shows_the_measured_ratios(explorer):
    lags, shown = explorer.curve.get_data()
    np.testing.assert_array_equal(lags, np.arange(60))
    np.testing.assert_allclose(shown, np.maximum(explorer.ratios, 1e-30))
    assert explorer.ratios[0] == 1.0 and f"{explorer.ratios[-1]:.2g}" in explorer.ax.get_title()
    explorer.controls["num_steps"].value = 120
    assert len(explorer.curve.get_data()[0]) == 120 and explorer.ax.get_xlim() == (0, 119)


def test_tanh_loses_gradient_that_linear_keeps(explorer):
    explorer.controls["cell"].value = "RNN linear"
    linear = explorer.ratios[-1]
    explorer.controls["cell"].value = "RNN tanh"
    assert explorer.ratios[-1] < 1e-3 * linear  # tanh' <= 1 shrinks the gradient at every step


def test_lstm_forget_bias_keeps_the_gradient_alive(explorer):
    explorer.controls["cell"].value = "LSTM"
    closed = explorer.ratios[-1]
    explorer.controls["forget_bias"].value = 3.0
    assert explorer.ratios[-1] > 1e6 * closed and "forget bias 3" in explorer.ax.get_title()


def test_gradient_by_lag_checks_and_orthogonal_is_orthogonal():
    q = orthogonal(5, np.random.default_rng(0))
    np.testing.assert_allclose(q @ q.T, np.eye(5), atol=1e-12)
    with pytest.raises(ValueError, match=r"expected cell to be one of \['RNN tanh', 'RNN linear', 'LSTM'\]"):
        gradient_by_lag("GRU", 1.0, 10, rng=np.random.default_rng(0))


def test_the_forget_bias_slider_works_only_for_the_lstm():
    explorer = gradient_flow_explorer(seed=0)
    explorer.controls["cell"].value = "RNN tanh"
    assert explorer.controls["forget_bias"].disabled
    explorer.controls["cell"].value = "LSTM"
    assert not explorer.controls["forget_bias"].disabled
