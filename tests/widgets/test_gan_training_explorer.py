"""The GAN training explorer shows the chosen snapshot, scores it, and marks its step on the loss curves."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")  # no display needed: the explorer is driven by setting control values

from dlcourse.data import make_ring_of_gaussians, ring_centers  # noqa: E402
from dlcourse.widgets import gan_training_explorer  # noqa: E402

STD = 0.05


@pytest.fixture
def explorer():
    """Two made-up runs over steps 0, 50, 100: 'collapsed' stays on mode 0; 'spreading' starts as a blob at the
    origin, then covers 4 modes, then all 8."""
    rng = np.random.default_rng(0)
    centers = ring_centers()
    blob = 0.05 * rng.standard_normal((400, 2))
    on_modes = [centers[np.arange(400) % k] + 0.02 * rng.standard_normal((400, 2)) for k in (4, 8)]
    collapsed = np.stack([centers[[0]] + 0.02 * rng.standard_normal((400, 2))] * 3)
    snapshots = {"collapsed": collapsed, "spreading": np.stack([blob, *on_modes])}
    losses = {"spreading": (np.linspace(1.4, 1.2, 120), np.linspace(0.6, 0.8, 120))}
    real, _ = make_ring_of_gaussians(500, std=STD, rng=rng)
    return gan_training_explorer(snapshots, np.array([0, 50, 100]), real=real, centers=centers, std=STD,
                                 losses=losses)


def test_the_slider_shows_the_chosen_snapshot_and_its_score(explorer):
    explorer.controls["run"].value = "spreading"
    covered = []
    for step in (0, 50, 100):
        explorer.controls["step"].value = step
        np.testing.assert_array_equal(explorer.points.get_offsets(), explorer.snapshots["spreading"][step // 50])
        covered.append(explorer.coverage.covered)
        assert explorer.ax_samples.get_title().startswith(f"spreading, step {step}: {covered[-1]} of 8 modes")
    assert covered == [0, 4, 8]  # moving the slider forward shows more and more modes covered


def test_a_collapsed_run_covers_one_mode_at_every_step(explorer):
    explorer.controls["run"].value = "collapsed"
    for step in (0, 50, 100):
        explorer.controls["step"].value = step
        assert explorer.coverage.covered == 1 and explorer.coverage.high_quality == 1.0
        assert "1 of 8 modes, 100% high quality" in explorer.ax_samples.get_title()


def test_loss_panel_draws_both_players_and_marks_the_step(explorer):
    explorer.controls["run"].value = "spreading"
    explorer.controls["step"].value = 50
    x, loss_D = explorer.d_line.get_data()
    np.testing.assert_array_equal(x, np.arange(120))
    np.testing.assert_allclose(loss_D, np.linspace(1.4, 1.2, 120))
    np.testing.assert_allclose(explorer.g_line.get_data()[1], np.linspace(0.6, 0.8, 120))
    assert list(explorer.step_line.get_xdata()) == [50, 50]
    explorer.controls["step"].value = 100
    assert list(explorer.step_line.get_xdata()) == [100, 100]


def test_controls_fit_a_projector_and_bad_snapshots_are_refused(explorer):
    assert explorer.controls["step"].layout.width == "500px"
    assert list(explorer.controls["step"].options) == [0, 50, 100]
    with pytest.raises(ValueError, match=r"expected snapshots\['a'\] of shape \(S=2, N, 2\), got shape \(3, 5, 2\)"):
        gan_training_explorer({"a": np.zeros((3, 5, 2))}, [0, 1], real=np.zeros((1, 2)), centers=ring_centers(),
                              std=STD)
    with pytest.raises(ValueError, match="increasing steps"):
        gan_training_explorer({"a": np.zeros((2, 5, 2))}, [3, 1], real=np.zeros((1, 2)), centers=ring_centers(),
                              std=STD)
