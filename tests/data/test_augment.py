import numpy as np
import pytest
import torch

from dlcourse.data.augment import add_noise, random_flip, random_shift, shift_images


def shift_one_by_loops(image: np.ndarray, dy: int, dx: int, fill: float) -> np.ndarray:
    """The obvious slow reference: copy pixel by pixel."""
    out = np.full_like(image, fill)
    height, width = image.shape[-2:]
    for r in range(height):
        for c in range(width):
            if 0 <= r - dy < height and 0 <= c - dx < width:
                out[..., r, c] = image[..., r - dy, c - dx]
    return out


@pytest.mark.parametrize("shape", [(5, 6, 7), (4, 3, 5, 5)])
def test_shift_images_matches_pixel_loop(shape, rng):
    images = rng.standard_normal(shape)
    dy, dx = rng.integers(-3, 4, shape[0]), rng.integers(-3, 4, shape[0])
    out = shift_images(images, dy, dx, fill=-1.0)
    for i in range(shape[0]):
        np.testing.assert_array_equal(out[i], shift_one_by_loops(images[i], dy[i], dx[i], -1.0))


def test_shift_images_matches_torch_roll_inside_the_frame(rng):
    images = rng.standard_normal((3, 8, 8))
    out = shift_images(images, np.array([2, 0, -1]), np.array([1, -3, 0]))
    rolled = torch.roll(torch.tensor(images[0]), shifts=(2, 1), dims=(0, 1)).numpy()
    np.testing.assert_array_equal(out[0, 2:, 1:], rolled[2:, 1:])
    assert not out[0, :2].any() and not out[0, :, :1].any()


def test_shift_by_the_full_size_empties_the_image(rng):
    assert not shift_images(rng.standard_normal((1, 4, 4)), [4], [0]).any()


def test_random_shift_stays_within_max_shift_and_keeps_dtype(rng):
    images = np.zeros((200, 9, 9), np.float32)
    images[:, 4, 4] = 1.0  # a single bright pixel shows where each image moved
    out = random_shift(images, 2, rng=rng)
    assert out.dtype == np.float32 and out.shape == images.shape
    rows, cols = np.nonzero(out.sum(axis=2))[1], np.nonzero(out.sum(axis=1))[1]
    offsets = np.stack([rows - 4, cols - 4])
    assert np.abs(offsets).max() == 2 and len(np.unique(offsets[0])) == 5  # every shift in [-2, 2] occurs
    np.testing.assert_array_equal(random_shift(images, 0, rng=rng), images)


def test_random_shift_is_reproducible_with_the_same_generator():
    images = np.random.default_rng(1).standard_normal((10, 8, 8))
    a = random_shift(images, 1, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a, random_shift(images, 1, rng=np.random.default_rng(5)))


@pytest.mark.parametrize("direction, axis", [("horizontal", -1), ("vertical", -2)])
def test_random_flip_flips_a_random_subset(direction, axis, rng):
    images = rng.standard_normal((400, 2, 5, 5))
    out = random_flip(images, rng=rng, p=0.3, direction=direction)
    flipped = np.all(out == np.flip(images, axis=axis), axis=(1, 2, 3))
    unchanged = np.all(out == images, axis=(1, 2, 3))
    assert np.all(flipped ^ unchanged)  # each image is either flipped or untouched
    assert abs(flipped.mean() - 0.3) < 5 * np.sqrt(0.3 * 0.7 / 400)
    assert random_flip(images, rng=rng, p=1.0, direction=direction).tolist() == np.flip(images, axis).tolist()


def test_add_noise_statistics_and_clip(rng):
    images = np.full((100, 8, 8), 0.5)
    noise = add_noise(images, 0.2, rng=rng) - images
    assert abs(noise.mean()) < 5 * 0.2 / np.sqrt(noise.size)
    assert abs(noise.std() - 0.2) < 0.01
    clipped = add_noise(images.astype(np.float32), 2.0, rng=rng, clip=(0.0, 1.0))
    assert clipped.dtype == np.float32 and clipped.min() == 0.0 and clipped.max() == 1.0


def test_augment_bad_inputs_name_expected_and_got(rng):
    with pytest.raises(ValueError, match=r"expected images of shape \(N, H, W\) or \(N, C, H, W\), got shape \(8, 8\)"):
        random_shift(np.zeros((8, 8)), 1, rng=rng)
    with pytest.raises(ValueError, match=r"expected dy and dx of shape \(2,\), got \(3,\) and \(2,\)"):
        shift_images(np.zeros((2, 4, 4)), [1, 2, 3], [0, 0])
    with pytest.raises(ValueError, match="expected max_shift to be an int >= 0, got -1"):
        random_shift(np.zeros((2, 4, 4)), -1, rng=rng)
    with pytest.raises(TypeError, match="expected rng=np.random.Generator .* got int"):
        random_flip(np.zeros((2, 4, 4)), rng=0)
    with pytest.raises(ValueError, match="expected direction 'horizontal' or 'vertical', got 'diagonal'"):
        random_flip(np.zeros((2, 4, 4)), rng=rng, direction="diagonal")
    with pytest.raises(ValueError, match="add_noise: expected std >= 0, got -1"):
        add_noise(np.zeros((2, 4, 4)), -1, rng=rng)
    with pytest.raises(TypeError, match="add_noise: expected float32 or float64 images, got uint8"):
        add_noise(np.zeros((2, 4, 4), np.uint8), 0.1, rng=rng)
