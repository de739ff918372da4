import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import dlcourse.optim as optim  # noqa: E402
from dlcourse.gradcheck import numerical_gradient, relative_error  # noqa: E402
from dlcourse.plots.surfaces import (  # noqa: E402
    SURFACE_NAMES,
    animate_trajectories,
    make_surface,
    plot_trajectories,
    run_optimizer,
)


@pytest.mark.parametrize("name", SURFACE_NAMES)
def test_gradients_match_finite_differences(name, rng):
    surface = make_surface(name)
    for point in rng.uniform(-1.5, 1.5, (5, 2)):
        point = point.copy()
        numeric = numerical_gradient(lambda p=point: surface.f(p), point)
        assert relative_error(surface.grad(point), numeric) <= 1e-7  # central differences in float64
    grid = rng.uniform(-1, 1, (3, 4, 2))  # the functions broadcast over leading dimensions, for contour grids
    assert surface.f(grid).shape == (3, 4) and surface.grad(grid).shape == (3, 4, 2)


@pytest.mark.parametrize("name", SURFACE_NAMES)
def test_minimum_is_a_stationary_point_and_the_full_batch_is_exact(name, rng):
    surface = make_surface(name)
    assert np.linalg.norm(surface.grad(surface.minimum)) <= 1e-10
    point = rng.standard_normal(2)
    everyone = np.arange(surface.num_examples)
    np.testing.assert_allclose(surface.example_grad(point, everyone), surface.grad(point), rtol=1e-12, atol=1e-12)
    assert not np.allclose(surface.example_grad(point, everyone[:2]), surface.grad(point))


def test_run_optimizer_matches_hand_written_gradient_descent():
    surface = make_surface("bowl")
    path = run_optimizer(surface, optim.SGD, num_steps=30, lr=0.05)
    p = surface.start.copy()
    for step in range(1, 31):
        p = p - 0.05 * surface.grad(p)
        np.testing.assert_allclose(path.points[step], p, rtol=1e-14)
    assert path.diverged_at is None and path.losses.shape == (31,)


def test_divergence_stops_the_run_quietly():
    surface = make_surface("rosenbrock")
    with np.errstate(all="raise"):  # any floating-point error that run_optimizer does not contain would raise
        path = run_optimizer(surface, optim.SGD, num_steps=100, lr=0.1)
    assert path.diverged_at is not None and path.diverged_at < 10
    assert np.isfinite(path.points).all() and np.isfinite(path.losses).all()


def test_unknown_surface_names_the_choices():
    with pytest.raises(ValueError, match=r"expected one of \['bowl', .*\], got 'sphere'"):
        make_surface("sphere")


def test_plots_draw_every_path_and_the_animation_has_frames():
    surface = make_surface("saddle")
    paths = {"SGD": run_optimizer(surface, optim.SGD, num_steps=40, lr=0.1),
             "Adam": run_optimizer(surface, optim.Adam, num_steps=40, lr=0.1)}
    ax = plot_trajectories(surface, paths, plt.figure().gca())
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["SGD", "Adam"]
    animation = animate_trajectories(surface, paths, num_frames=5)
    html = animation.to_jshtml()
    assert html.count("data:image/png") == 5
    assert "://" not in html and 'class="fa' not in html, "the player must not ask a CDN for its icons"
    assert "\u25b6" in html  # the play button still has a face
    plt.close("all")


def test_run_optimizer_steps_a_scheduler_after_every_step():
    surface = make_surface("saddle")
    path = run_optimizer(surface, optim.SGD, num_steps=4, lr=0.4,
                         scheduler=lambda opt: optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5))
    p = surface.start.copy()
    for step, lr in enumerate([0.4, 0.2, 0.1, 0.05], start=1):
        p = p - lr * surface.grad(p)
        np.testing.assert_allclose(path.points[step], p, rtol=1e-14)
