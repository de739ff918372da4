import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from dlcourse.plots.images import image_grid, show_feature_maps, show_filters, show_images  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_show_images_titles_labels_and_marks_wrong_predictions(rng):
    images = rng.random((5, 1, 6, 6))
    axes = show_images(images, np.array([0, 1, 2, 1, 0]), predictions=np.array([0, 2, 2, 1, 1]),
                       class_names=["a", "b", "c"], ncols=3)
    assert axes.shape == (2, 3) and not axes[1, 2].get_visible()
    titles = [ax.get_title() for ax in axes.flat[:5]]
    assert titles == ["a -> a", "b -> c", "c -> c", "b -> b", "a -> b"]
    colours = [ax.title.get_color() for ax in axes.flat[:5]]
    assert colours == ["black", "red", "black", "black", "red"]
    np.testing.assert_array_equal(axes[0, 1].images[0].get_array(), images[1, 0])


def test_show_images_accepts_colour_tensors_and_caps_the_count(rng):
    images = torch.rand(40, 3, 4, 4)
    axes = show_images(images, max_images=10, ncols=5)
    assert sum(ax.get_visible() for ax in axes.flat) == 10
    assert axes[0, 0].images[0].get_array().shape == (4, 4, 3)


def test_feature_maps_one_panel_per_channel(rng):
    maps = rng.standard_normal((1, 6, 5, 5))
    axes = show_feature_maps(maps, ncols=4)
    visible = [ax for ax in axes.flat if ax.get_visible()]
    assert len(visible) == 6 and visible[5].get_title() == "5"
    np.testing.assert_array_equal(visible[2].images[0].get_array(), maps[0, 2])


def test_filters_share_a_symmetric_colour_scale(rng):
    weight = rng.standard_normal((4, 1, 3, 3))
    axes = show_filters(weight, ncols=4)
    limit = np.abs(weight).max()
    for ax in axes.flat:
        assert ax.images[0].get_clim() == (-limit, limit)
    colour = show_filters(rng.standard_normal((2, 3, 3, 3)))
    rgb = colour[0, 0].images[0].get_array()
    assert rgb.shape == (3, 3, 3) and rgb.min() >= 0 and rgb.max() <= 1


def test_bad_shapes_name_expected_and_got(rng):
    with pytest.raises(ValueError, match=r"expected images \(N, H, W\), \(N, 1, H, W\) or \(N, 3, H, W\), got shape"):
        show_images(rng.random((2, 2, 4, 4)))
    with pytest.raises(ValueError, match=r"expected maps \(C, H, W\) or \(1, C, H, W\), got shape \(4, 4\)"):
        show_feature_maps(rng.random((4, 4)))
    with pytest.raises(ValueError, match=r"expected a weight \(M, C, kH, kW\), got shape \(3, 3\)"):
        show_filters(rng.random((3, 3)))
    with pytest.raises(ValueError, match="expected at least 5 axes, got 4"):
        image_grid(5, 2, axes=plt.subplots(2, 2)[1])
