import numpy as np
import pytest
import torch

from dlcourse.data.digits import load_digits
from dlcourse.data.images import interpolation_matrix, load_digit_images, resize_images


@pytest.mark.parametrize("shape, size", [((8, 8), 16), ((8, 8), 28), ((28, 28), 12), ((7, 9), (13, 5))])
def test_resize_matches_torch_bilinear(shape, size, rng):
    x = rng.standard_normal((2, 3, *shape))
    ours = resize_images(x, size)
    theirs = torch.nn.functional.interpolate(torch.tensor(x), size=size, mode="bilinear", align_corners=False)
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12, atol=1e-12)


def test_interpolation_keeps_constants_and_dtype(rng):
    np.testing.assert_allclose(interpolation_matrix(5, 11).sum(axis=1), 1.0)
    x = np.full((4, 6, 6), 0.25, np.float32)
    out = resize_images(x, 10)
    assert out.shape == (4, 10, 10) and out.dtype == np.float32
    np.testing.assert_allclose(out, 0.25, rtol=1e-6)


def test_digit_images_at_8_are_the_originals_with_a_channel_axis():
    X, y = load_digit_images(8, dtype=np.float64)
    flat, y_flat = load_digits(as_images=True)
    assert X.shape == (1797, 1, 8, 8)
    np.testing.assert_array_equal(X[:, 0], flat)
    np.testing.assert_array_equal(y, y_flat)


def test_digit_images_upsampled():
    X, y = load_digit_images(28, n_classes=3)
    assert X.shape == (len(y), 1, 28, 28) and X.dtype == np.float32 and set(y) == {0, 1, 2}
    assert X.min() >= 0.0 and X.max() <= 1.0
    # bilinear upsampling keeps the picture: shrinking back to 8x8 is close to the original
    small, _ = load_digit_images(8, n_classes=3)
    assert np.abs(resize_images(X, 8) - small).mean() < 0.05


def test_bad_arguments_name_expected_and_got():
    with pytest.raises(ValueError, match=r"expected images of shape \(..., H, W\), got shape \(5,\)"):
        resize_images(np.zeros(5), 3)
    with pytest.raises(ValueError, match="expected size >= 1, got 0"):
        resize_images(np.zeros((2, 4, 4)), 0)
    with pytest.raises(TypeError, match="expected images of dtype float32 or float64, got uint8"):
        resize_images(np.zeros((2, 4, 4), np.uint8), 3)
    with pytest.raises(TypeError, match="expected dtype float32 or float64, got int64"):
        load_digit_images(8, dtype=np.int64)
