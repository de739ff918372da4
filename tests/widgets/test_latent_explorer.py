import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")  # no display needed: the explorer is driven by setting control values

from dlcourse.widgets import latent_explorer  # noqa: E402

# A decoder a test can predict: z0 brightens the left half of the image, z1 the right half.
LEFT = np.zeros((4, 6))
LEFT[:, :3] = 1.0


def decode(z):
    """(N, 2) -> (N, 24) probabilities: sigmoid(z0) on the left half, sigmoid(z1) on the right half."""
    p = 1 / (1 + np.exp(-z))
    return (p[:, :1] * LEFT.ravel() + p[:, 1:2] * (1 - LEFT.ravel())).reshape(len(z), -1)


@pytest.fixture
def explorer(rng):
    return latent_explorer(decode, codes=rng.standard_normal((50, 2)), labels=rng.integers(0, 10, 50),
                           image_shape=(4, 6))


def test_starts_at_the_origin_and_shows_the_decoded_image(explorer):
    np.testing.assert_array_equal(explorer.code, [0.0, 0.0])
    np.testing.assert_allclose(explorer.image_artist.get_array(), np.full((4, 6), 0.5))
    np.testing.assert_array_equal(explorer.marker.get_offsets(), [[0.0, 0.0]])


def test_dragging_z0_brightens_only_the_left_half(explorer):
    explorer.controls["z0"].value = 2.5
    shown = np.asarray(explorer.image_artist.get_array())
    np.testing.assert_allclose(shown, decode(np.array([[2.5, 0.0]])).reshape(4, 6))
    assert shown[:, :3].min() > 0.9 and np.allclose(shown[:, 3:], 0.5)
    explorer.controls["z1"].value = -2.5
    shown = np.asarray(explorer.image_artist.get_array())
    assert shown[:, 3:].max() < 0.1 and shown[:, :3].min() > 0.9  # z1 darkened the right half, left unchanged
    np.testing.assert_array_equal(explorer.marker.get_offsets(), [[2.5, -2.5]])
    assert explorer.ax_image.get_title() == "decoded: z = (2.50, -2.50)"


def test_sliders_fit_the_projector_and_cover_the_limit(explorer):
    slider = explorer.controls["z0"]
    assert (slider.min, slider.max) == (-3.0, 3.0) and slider.layout.width == "500px"
    assert set(explorer.values) == {"z0", "z1"}
    width, height = explorer.figure.get_size_inches() * explorer.figure.dpi
    assert width <= 1200 and height <= 650


def test_more_latent_units_get_more_sliders():
    explorer = latent_explorer(lambda z: np.tile(z.sum(axis=1, keepdims=True), (1, 4)), latent_size=3,
                               image_shape=(2, 2))
    assert list(explorer.controls) == ["z0", "z1", "z2"]
    explorer.controls["z2"].value = 0.5
    np.testing.assert_allclose(explorer.image, np.full((2, 2), 0.5))


def test_bad_arguments(rng):
    with pytest.raises(TypeError, match="expected decode to be a function"):
        latent_explorer(np.zeros(3))
    with pytest.raises(ValueError, match=r"expected codes with latent_size = 3 columns, got shape \(5, 2\)"):
        latent_explorer(decode, codes=rng.standard_normal((5, 2)), latent_size=3)
    with pytest.raises(ValueError, match=r"expected decode to return 16 values for image_shape \(4, 4\)"):
        latent_explorer(decode, image_shape=(4, 4))
