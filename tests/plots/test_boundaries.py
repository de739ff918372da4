"""Decision-boundary plots: the grid, how predict's output becomes classes, what gets drawn, errors."""

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import dlcourse.nn as nn  # noqa: E402
from dlcourse.plots.boundaries import grid_points, plot_dataset, plot_decision_boundary, predict_grid  # noqa: E402

X = np.array([[-1.0, -2.0], [1.0, 2.0], [0.5, -1.0]])
Y = np.array([0, 1, 1])


def test_grid_covers_data_with_padding():
    xx, yy, points = grid_points(X, resolution=11, padding=1.0)
    assert xx.shape == yy.shape == (11, 11) and points.shape == (121, 2)
    np.testing.assert_allclose([xx.min(), xx.max(), yy.min(), yy.max()], [-2, 2, -3, 3])
    np.testing.assert_array_equal(points[:, 0], xx.ravel())


@pytest.mark.parametrize("kind", ["labels", "scores", "probability", "logit", "column", "torch", "bool"])
def test_every_output_form_gives_the_same_regions(kind):
    rule = {  # all say: class 1 right of the line x1 = 0.25
        "labels": lambda P: (P[:, 0] > 0.25).astype(int),
        "bool": lambda P: P[:, 0] > 0.25,
        "scores": lambda P: np.stack([0.25 - P[:, 0], P[:, 0] - 0.25], axis=1),
        "probability": lambda P: 1 / (1 + np.exp(-(P[:, 0] - 0.25))),
        "logit": lambda P: P[:, 0] - 0.25,
        "column": lambda P: (P[:, 0:1] - 0.25) * 3.7,
        "torch": lambda P: torch.tensor(P[:, 0] - 0.25),
    }[kind]
    threshold = 0.5 if kind == "probability" else 0.0
    xx, _, labels, scores = predict_grid(rule, X, resolution=21, threshold=threshold)
    assert not np.any(np.isclose(xx, 0.25))  # no grid point on the boundary itself
    np.testing.assert_array_equal(labels, (xx > 0.25).astype(int))
    assert (scores is not None) == (kind in ("probability", "logit", "column", "torch"))


def test_a_given_threshold_makes_any_float_output_a_score_compared_strictly():
    # the perceptron's start, w = 0 and b = 0: every score is exactly 0, and "w.x + b > 0" says class 0 everywhere
    _, _, labels, scores = predict_grid(lambda P: P @ np.zeros(2) + 0.0, X, resolution=7, threshold=0.0)
    assert scores is not None and labels.max() == 0
    # integer-valued scores above the threshold are class 1, not labels "2" and "3"
    _, _, labels, _ = predict_grid(lambda P: np.full(len(P), 3.0), X, resolution=7, threshold=2.0)
    assert labels.min() == 1 and labels.max() == 1
    # no threshold: integer-valued floats are labels, as before
    _, _, labels, scores = predict_grid(lambda P: (P[:, 0] > 0).astype(float), X, resolution=7)
    assert scores is None and set(np.unique(labels)) == {0, 1}


def test_grid_dtype_follows_the_data_so_float32_models_work(rng):
    model = nn.Linear(2, 3, rng=rng)  # float32 parameters: float64 points would raise
    xx, _, labels, _ = predict_grid(model, X.astype(np.float32), resolution=5)
    assert labels.shape == (5, 5) and labels.max() < 3


def test_plot_draws_regions_boundary_and_points():
    ax = plot_decision_boundary(lambda P: (P[:, 0] > 0).astype(int), X, Y, title="half planes", resolution=30)
    assert ax.get_title() == "half planes"
    assert len(ax.collections) >= 4  # filled regions, boundary line, one scatter per class
    labels = [c.get_label() for c in ax.collections]
    assert "class 0" in labels and "class 1" in labels
    plt.close(ax.figure)


def test_plots_draw_into_given_axes():
    fig, axes = plt.subplots(1, 2)
    assert plot_dataset(X, Y, ax=axes[0]) is axes[0]
    assert plot_decision_boundary(lambda P: P[:, 1] > 0, X, ax=axes[1], num_classes=3) is axes[1]
    assert plot_dataset(X).collections  # no labels: one colour
    plt.close("all")


def test_errors_name_expected_and_got():
    with pytest.raises(ValueError, match=r"expected X of shape \(N, 2\) with N >= 1, got shape \(3, 3\)"):
        plot_dataset(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"expected y of shape \(3,\) to match X, got \(2,\)"):
        plot_dataset(X, [0, 1])
    with pytest.raises(ValueError, match=r"return shape \(25,\) or \(25, K\) for 25 points, got \(3,\)"):
        predict_grid(lambda P: np.zeros(3), X, resolution=5)
    with pytest.raises(ValueError, match="expected class labels 0..K-1 from predict, got -1"):
        predict_grid(lambda P: np.sign(P[:, 0]).astype(int), X, resolution=5)
