import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")  # no display needed: the explorer is driven by setting control values

from dlcourse.widgets import transfer_explorer  # noqa: E402

COUNTS = np.array([1, 3, 10, 100])
FROZEN = np.array([0, 1, 2, 3])
# rows: frozen blocks; more labels always help, freezing more helps with few labels and hurts with many
ACCURACY = np.array([[0.50, 0.70, 0.90, 0.99],
                     [0.60, 0.75, 0.91, 0.98],
                     [0.70, 0.80, 0.90, 0.96],
                     [0.80, 0.82, 0.85, 0.90]])
SCRATCH = np.array([0.40, 0.60, 0.85, 0.99])


@pytest.fixture
def explorer():
    return transfer_explorer(COUNTS, FROZEN, ACCURACY, SCRATCH, title="test grid", ylabel="validation accuracy")


def test_left_panel_plots_the_row_of_the_chosen_frozen_blocks(explorer):
    for frozen in FROZEN:
        explorer.controls["frozen"].value = int(frozen)
        np.testing.assert_array_equal(explorer.curve.get_ydata(), ACCURACY[frozen])
        np.testing.assert_array_equal(explorer.curve.get_xdata(), COUNTS)
        assert f"{frozen} blocks frozen" in explorer.curve.get_label()


def test_right_panel_and_marker_follow_the_label_count(explorer):
    explorer.controls["examples"].value = 1
    at_one = explorer.bars.get_ydata().copy()
    explorer.controls["examples"].value = 100
    at_hundred = explorer.bars.get_ydata()
    np.testing.assert_array_equal(at_one, ACCURACY[:, 0])
    np.testing.assert_array_equal(at_hundred, ACCURACY[:, 3])
    assert np.argmax(at_one) == 3 and np.argmax(at_hundred) == 0  # few labels: freeze more; many: fine-tune all
    assert list(explorer.marker.get_xdata()) == [100, 100]
    assert explorer.scratch_line.get_ydata()[0] == SCRATCH[3]


def test_summary_states_the_gain_over_scratch(explorer):
    explorer.controls["examples"].value = 3
    explorer.controls["frozen"].value = 2
    assert explorer.summary == ("3 examples per class, 2 blocks frozen: accuracy 0.800, from scratch 0.600 (+0.200)")
    assert explorer.figure._suptitle.get_text() == explorer.summary
    explorer.controls["examples"].value = 100
    explorer.controls["frozen"].value = 3
    assert explorer.summary.endswith("(-0.090)")


def test_axes_say_what_was_measured(explorer):
    assert explorer.ax_curve.get_ylabel() == "validation accuracy"
    assert explorer.ax_curve.get_xscale() == "log"
    assert explorer.ax_curve.get_title().startswith("test grid")


def test_mismatched_grid_is_an_error():
    with pytest.raises(ValueError, match="accuracy of shape"):
        transfer_explorer(COUNTS, FROZEN, ACCURACY[:, :3], SCRATCH)
