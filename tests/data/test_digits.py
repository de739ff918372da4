"""load_digits: the scikit-learn digits scaled to [0, 1], as rows or images, without a download."""

import numpy as np
import pytest
from sklearn.datasets import load_digits as sklearn_load_digits

from dlcourse.data import load_digits


def test_rows_match_sklearn_scaled_to_unit_interval():
    X, y = load_digits()
    reference = sklearn_load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_allclose(X * 16, reference.data)
    np.testing.assert_array_equal(y, reference.target)
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10))


def test_images_are_the_rows_reshaped():
    images, y = load_digits(as_images=True, dtype=np.float32)
    X, _ = load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.float32
    np.testing.assert_allclose(images.reshape(-1, 64), X, rtol=1e-7)
    np.testing.assert_allclose(images[0] * 16, sklearn_load_digits().images[0])


def test_fewer_classes_and_callers_get_copies():
    X, y = load_digits(n_classes=2)
    assert set(np.unique(y)) == {0, 1} and len(X) == np.sum(sklearn_load_digits().target < 2)
    X[:] = -1  # must not leak into the next call (the raw pixels are cached)
    assert load_digits(n_classes=2)[0].min() == 0.0


def test_errors():
    with pytest.raises(ValueError, match="expected n_classes <= 10, got 11"):
        load_digits(n_classes=11)
    with pytest.raises(ValueError, match="expected n_classes >= 2, got 1"):
        load_digits(n_classes=1)
    with pytest.raises(TypeError, match="expected dtype float32 or float64, got int64"):
        load_digits(dtype=np.int64)
