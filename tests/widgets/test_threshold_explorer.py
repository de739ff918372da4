import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")  # no display needed: the explorer is driven by setting control values

from dlcourse import fairness  # noqa: E402
from dlcourse.widgets import threshold_explorer  # noqa: E402


@pytest.fixture(scope="module")
def explorer():
    return threshold_explorer()


def bar_heights(explorer, g):
    return np.array([bar.get_height() for bar in explorer.bars[g]])


def test_bars_and_title_show_the_metrics_of_the_decisions(explorer):
    explorer.controls["threshold_0"].value = 0.4
    explorer.controls["threshold_1"].value = 0.6
    y_pred = np.where(explorer.group == 1, explorer.scores >= 0.6, explorer.scores >= 0.4).astype(int)
    for g in (0, 1):
        rows = explorer.group == g
        expected = [y_pred[rows].mean(), fairness.true_positive_rate(explorer.y_true[rows], y_pred[rows]),
                    fairness.false_positive_rate(explorer.y_true[rows], y_pred[rows])]
        np.testing.assert_allclose(bar_heights(explorer, g), expected, atol=1e-12)
    accuracy = np.mean(y_pred == explorer.y_true)
    dp = fairness.demographic_parity_difference(explorer.y_true, y_pred, explorer.group)
    assert f"accuracy {accuracy:.3f}" in explorer.ax_bars.get_title()
    assert f"demographic parity diff {dp:.3f}" in explorer.ax_bars.get_title()
    assert explorer.lines[1].get_xdata()[0] == 0.6


def test_raising_one_groups_threshold_selects_fewer_of_that_group_only(explorer):
    explorer.controls["threshold_0"].value = 0.5
    explorer.controls["threshold_1"].value = 0.3
    before_0, before_1 = bar_heights(explorer, 0), bar_heights(explorer, 1)
    explorer.controls["threshold_1"].value = 0.7
    after_0, after_1 = bar_heights(explorer, 0), bar_heights(explorer, 1)
    np.testing.assert_array_equal(after_0, before_0)
    assert after_1[0] < before_1[0] and after_1[1] <= before_1[1] and after_1[2] <= before_1[2]


def test_a_lower_threshold_for_the_disadvantaged_group_closes_the_parity_gap(explorer):
    # The default model learned historical bias against group 1: equal thresholds leave a parity gap, and lowering
    # group 1's threshold narrows it.
    explorer.controls["threshold_0"].value = 0.5
    explorer.controls["threshold_1"].value = 0.5
    equal = explorer.dp_difference
    assert equal > 0.1
    explorer.controls["threshold_1"].value = 0.3
    assert explorer.dp_difference < equal


def test_a_control_moved_before_display_leaves_one_figure(monkeypatch):
    # in a notebook, moving a control redraws into the output; showing the box afterwards must not add a second copy
    import dlcourse.widgets.base as base

    monkeypatch.setattr(base, "in_notebook", lambda: True)
    explorer = threshold_explorer()
    shown = []
    monkeypatch.setattr(base, "display", lambda figure: shown.append(figure))
    explorer.controls["threshold_1"].value = 0.4
    box = explorer.widget
    assert shown == [explorer.figure] and box.children[1] is explorer.output
