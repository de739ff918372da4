import numpy as np
import pytest

from dlcourse.data.shapes import SHAPE_NAMES, make_shapes, render_shapes


def test_shapes_dtype_range_and_balance(rng):
    X, y = make_shapes(13, size=20, rng=rng)
    assert X.shape == (13, 1, 20, 20) and X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() >= 0.0 and X.max() <= 1.0
    counts = np.bincount(y, minlength=len(SHAPE_NAMES))
    assert counts.max() - counts.min() <= 1 and counts.sum() == 13


@pytest.mark.parametrize("size", [8, 33, 64])
def test_any_resolution_and_float64(size, rng):
    X, _ = make_shapes(4, size=size, rng=rng, dtype=np.float64)
    assert X.shape == (4, 1, size, size) and X.dtype == np.float64


def test_same_seed_same_images_other_seed_other_images():
    a, ya = make_shapes(10, rng=np.random.default_rng(3))
    b, yb = make_shapes(10, rng=np.random.default_rng(3))
    c, _ = make_shapes(10, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(a, c)


def _centred(name, radius=0.5, angle=0.0, size=64):
    return render_shapes([name], np.zeros(1, np.int64), np.zeros((1, 2)), np.array([radius]), np.array([angle]),
                         size)[0]


@pytest.mark.parametrize("name, area", [("circle", np.pi * 0.5**2), ("square", (2 * 0.8 * 0.5)**2)])
def test_drawn_area_matches_geometry(name, area):
    image = _centred(name)
    drawn = image.sum() * (2 / 64) ** 2  # each pixel covers (2/64)^2 of the [-1, 1]^2 square
    assert drawn == pytest.approx(area, rel=0.02)


def test_shapes_have_their_defining_features():
    ring, circle, cross = _centred("ring"), _centred("circle"), _centred("cross")
    assert ring[32, 32] == 0.0 and circle[32, 32] == 1.0  # a ring is hollow, a disc is not
    assert ring[32, 32 + int(0.75 * 0.5 * 32)] == 1.0  # the ring's band at 0.75 r
    assert cross[32, 32] == 1.0 and cross[32 - 12, 32 - 12] == 0.0  # arms, but nothing between them
    rotated = _centred("square", angle=np.pi / 4)
    assert rotated.sum() == pytest.approx(_centred("square").sum(), rel=0.02) and not np.allclose(rotated,
                                                                                                 _centred("square"))


def test_labels_follow_the_requested_shapes(rng):
    X, y = make_shapes(40, size=32, shapes=("ring", "circle"), noise=0.0, rotate=False, scale=(0.6, 0.6), rng=rng)
    assert set(y) == {0, 1}
    lit_pixels = [np.count_nonzero(X[y == k]) / np.sum(y == k) for k in (0, 1)]  # per image, label 0 vs 1
    assert lit_pixels[1] > 1.3 * lit_pixels[0]  # same radius: a disc (label 1) covers ~1.5x a ring (label 0)


def test_bad_arguments_name_expected_and_got(rng):
    with pytest.raises(ValueError, match=r"expected at least two distinct shapes from .* got \['hexagon', 'circle'\]"):
        make_shapes(4, shapes=("hexagon", "circle"), rng=rng)
    with pytest.raises(ValueError, match="expected noise >= 0, got -0.1"):
        make_shapes(4, noise=-0.1, rng=rng)
    with pytest.raises(TypeError, match="expected rng=np.random.Generator .* got int"):
        make_shapes(4, rng=0)
    with pytest.raises(ValueError, match="expected size >= 8, got 4"):
        make_shapes(4, size=4, rng=rng)
    with pytest.raises(ValueError, match=r"expected 0 < scale\[0\] <= scale\[1\] <= 0.9, got \(0.5, 0.2\)"):
        make_shapes(4, scale=(0.5, 0.2), rng=rng)
    with pytest.raises(TypeError, match="expected dtype float32 or float64, got int32"):
        make_shapes(4, rng=rng, dtype=np.int32)
