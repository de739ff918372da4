import warnings

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")  # no display needed: the explorer is driven by setting control values

from dlcourse.widgets import learning_rate_explorer  # noqa: E402
from dlcourse.widgets.learning_rate import OPTIMIZERS, make_optimizer  # noqa: E402


@pytest.fixture
def explorer():
    return learning_rate_explorer(seed=0)


def first_step(explorer) -> float:
    """Length of the first step of the path drawn on the contour plot (what the learner sees)."""
    x, y = explorer.path_line.get_data()
    np.testing.assert_array_equal(np.column_stack([x, y]), explorer.trajectory.points)  # the drawn path is the run
    return float(np.hypot(x[1] - x[0], y[1] - y[0]))


def test_higher_learning_rate_takes_a_bigger_first_step(explorer):
    sizes = []
    for lr in (0.001, 0.01, 0.05):
        explorer.controls["lr"].value = lr
        sizes.append(first_step(explorer))
        assert explorer.ax_path.get_title() == f"SGD, lr = {lr:.2g}"
    assert sizes[0] < sizes[1] < sizes[2]
    # plain gradient descent from the start: the first step is exactly lr * |grad f(start)|
    grad = explorer.surface.grad(explorer.surface.start)
    assert sizes[2] == pytest.approx(0.05 * np.linalg.norm(grad), rel=1e-12)


def test_huge_learning_rate_is_marked_as_divergence_without_warnings(explorer):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow RuntimeWarning would fail here
        explorer.controls["lr"].value = 3.0
    path = explorer.trajectory
    assert path.diverged_at is not None and path.diverged_at < explorer.controls["num_steps"].value
    assert np.isfinite(path.points).all() and len(path.points) == path.diverged_at + 1
    assert "DIVERGED" in explorer.ax_path.get_title()
    cross_x, cross_y = explorer.cross.get_data()
    assert len(cross_x) == 1 and explorer.ax_path.get_xlim()[0] <= cross_x[0] <= explorer.ax_path.get_xlim()[1]
    assert explorer.diverged_line.get_visible()
    explorer.controls["lr"].value = 0.03  # back to a stable rate: the marks go away
    assert explorer.trajectory.diverged_at is None and explorer.cross.get_data()[0] == []
    assert not explorer.diverged_line.get_visible() and "DIVERGED" not in explorer.ax_path.get_title()


def test_rosenbrock_needs_a_smaller_rate_than_the_bowl(explorer):
    explorer.controls["lr"].value = 0.03
    assert explorer.trajectory.diverged_at is None
    explorer.controls["surface"].value = "rosenbrock"
    assert explorer.trajectory.diverged_at is not None
    explorer.controls["lr"].value = 0.0005
    assert explorer.trajectory.diverged_at is None
    assert explorer.ax_path.get_title().startswith("SGD") and explorer.ax_path.get_xlim() == (-2.0, 2.0)


def test_momentum_gets_further_down_in_the_same_steps(explorer):
    explorer.controls["lr"].value = 0.005
    explorer.controls["num_steps"].value = 50
    without = explorer.trajectory.losses[-1]
    explorer.controls["momentum"].value = 0.9
    assert explorer.trajectory.losses[-1] < 0.1 * without


def test_small_batches_make_the_path_noisy(explorer):
    explorer.controls["lr"].value = 0.05
    exact = explorer.trajectory
    explorer.controls["batch_size"].value = 64  # unchanged value: the full batch is the exact gradient
    np.testing.assert_array_equal(explorer.trajectory.points, exact.points)
    explorer.controls["batch_size"].value = 2
    noisy = explorer.trajectory
    assert not np.allclose(noisy.points, exact.points)
    # near the minimum the exact run settles while the noisy one keeps jittering
    assert noisy.losses[-20:].mean() > 10 * exact.losses[-20:].mean()


def test_loss_panel_shows_the_gap_to_the_minimum(explorer):
    explorer.controls["surface"].value = "saddle"
    x, gap = explorer.loss_line.get_data()
    np.testing.assert_array_equal(x, np.arange(len(explorer.trajectory.losses)))
    np.testing.assert_allclose(gap, np.maximum(explorer.trajectory.losses + 0.25, 1e-12))


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_goes_downhill_on_every_surface(explorer, name):
    """A small learning rate is safe for every optimizer: the drawn path starts at the white dot, takes
    num_steps steps, and the loss panel ends below where it started."""
    explorer.controls["lr"].value = 0.001
    explorer.controls["optimizer"].value = name
    for surface in explorer.controls["surface"].options:
        explorer.controls["surface"].value = surface
        x, y = explorer.path_line.get_data()
        assert len(x) == explorer.controls["num_steps"].value + 1
        np.testing.assert_array_equal([x[0], y[0]], explorer.surface.start)
        assert (x[-1], y[-1]) != (x[0], y[0])
        _, gap = explorer.loss_line.get_data()
        assert gap[-1] < gap[0], f"{name} on {surface}: f - f_min went from {gap[0]} to {gap[-1]}"
        assert explorer.ax_path.get_title() == f"{name}, lr = 0.001"


def test_nesterov_at_zero_momentum_is_plain_sgd(explorer):
    explorer.controls["optimizer"].value = "Nesterov"
    nesterov = explorer.trajectory.points
    explorer.controls["optimizer"].value = "SGD"
    np.testing.assert_array_equal(explorer.trajectory.points, nesterov)
    with pytest.raises(ValueError, match="expected one of .* got 'Adamax'"):
        make_optimizer("Adamax", 0.1, 0.9)


def test_widget_box_holds_the_live_controls_above_the_figure(explorer):
    """The box a notebook displays: the explorer's own controls (so moving them redraws) above its figure."""
    controls_row, figure_output = explorer.widget.children
    assert list(controls_row.children) == list(explorer.controls.values())
    assert figure_output is explorer.output
    lr_slider = dict(zip(explorer.controls, controls_row.children, strict=True))["lr"]
    before = first_step(explorer)
    lr_slider.value = 0.1  # as a learner dragging the slider in the box
    assert first_step(explorer) > before and explorer.ax_path.get_title() == "SGD, lr = 0.1"
