"""train_val_test_split, Standardizer/standardize and one_hot."""

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import StandardScaler

from dlcourse.data import Standardizer, one_hot, standardize, train_val_test_split

# ----- splitting ----------------------------------------------------------------------------------


@given(n=st.integers(3, 200), val=st.floats(0, 0.45), test=st.floats(0, 0.45), seed=st.integers(0, 2**16))
@settings(max_examples=80, deadline=None)
def test_split_sizes_are_disjoint_and_cover_everything(n, val, test, seed):
    X = np.arange(n * 2).reshape(n, 2)  # row i is (2i, 2i + 1): rows identify their index
    y = np.arange(n)
    assume(n - np.floor(val * n + 0.5) - np.floor(test * n + 0.5) >= 1)  # at least one training sample
    X_tr, X_va, X_te, y_tr, y_va, y_te = train_val_test_split(X, y, val_size=val, test_size=test,
                                                              rng=np.random.default_rng(seed))
    assert (len(X_va), len(X_te)) == (int(np.floor(val * n + 0.5)), int(np.floor(test * n + 0.5)))
    assert len(X_tr) + len(X_va) + len(X_te) == n
    np.testing.assert_array_equal(np.sort(np.concatenate([y_tr, y_va, y_te])), np.arange(n))  # disjoint, complete
    for X_part, y_part in ((X_tr, y_tr), (X_va, y_va), (X_te, y_te)):
        np.testing.assert_array_equal(X_part[:, 0], 2 * y_part)  # arrays stay aligned


@given(counts=st.lists(st.integers(1, 60), min_size=2, max_size=6), val=st.floats(0, 0.4), test=st.floats(0, 0.4),
       seed=st.integers(0, 2**16))
@settings(max_examples=80, deadline=None)
def test_stratified_parts_keep_each_class_share(counts, val, test, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    n = len(y)
    assume(n - np.floor(val * n + 0.5) - np.floor(test * n + 0.5) >= 1)
    parts = train_val_test_split(y, val_size=val, test_size=test, stratify=y, rng=np.random.default_rng(seed))
    for part, tolerance in zip(parts, (2, 2, 1), strict=True):  # as documented: within 1 for test, 2 otherwise
        expected = np.array(counts) * len(part) / n
        assert np.all(np.abs(np.bincount(part, minlength=len(counts)) - expected) < tolerance), (part, expected)


def test_split_counts_seed_and_shuffle():
    X = np.arange(100)
    a = train_val_test_split(X, val_size=10, test_size=20, rng=np.random.default_rng(5))
    b = train_val_test_split(X, val_size=10, test_size=20, rng=np.random.default_rng(5))
    c = train_val_test_split(X, val_size=10, test_size=20, rng=np.random.default_rng(6))
    assert [len(p) for p in a] == [70, 10, 20]
    for p, q in zip(a, b, strict=True):
        np.testing.assert_array_equal(p, q)
    assert not np.array_equal(a[2], c[2])
    assert not np.array_equal(a[0], np.sort(a[0]))  # shuffled, not a sorted slice


def test_string_labels_stratify_and_zero_validation():
    y = np.array(["cat"] * 30 + ["dog"] * 10)
    tr, va, te = train_val_test_split(y, val_size=0, test_size=0.25, stratify=y, rng=np.random.default_rng(0))
    assert len(va) == 0 and len(tr) == 30 and len(te) == 10
    assert np.sum(te == "dog") in (2, 3)  # 10 * 10 / 40 = 2.5 dogs expected in the test part


def test_split_errors():
    rng = np.random.default_rng(0)
    message = r"expected every array to have length 5 \(that of array 0\), got shape \(4,\) for array 1"
    with pytest.raises(ValueError, match=message):
        train_val_test_split(np.zeros(5), np.zeros(4), rng=rng)
    with pytest.raises(ValueError, match=r"expected test_size as a fraction in \[0, 1\), got 1.5"):
        train_val_test_split(np.zeros(5), test_size=1.5, rng=rng)
    with pytest.raises(ValueError, match="expected at least one training sample, got 5 samples for 2 validation"):
        train_val_test_split(np.zeros(5), val_size=2, test_size=3, rng=rng)
    with pytest.raises(ValueError, match=r"expected stratify of shape \(5,\), got \(4,\)"):
        train_val_test_split(np.zeros(5), stratify=np.zeros(4), rng=rng)
    with pytest.raises(TypeError, match="expected rng=np.random.Generator"):
        train_val_test_split(np.zeros(5), rng=42)


# ----- standardizing ------------------------------------------------------------------------------


def test_standardizer_matches_sklearn_and_uses_training_statistics_only(rng):
    X_train = rng.normal(3.0, 2.0, (50, 4))
    X_test = rng.normal(-1.0, 5.0, (20, 4))
    ours = Standardizer().fit(X_train)
    theirs = StandardScaler().fit(X_train)
    np.testing.assert_allclose(ours.transform(X_test), theirs.transform(X_test), rtol=1e-12)
    Z = ours.transform(X_train)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1, rtol=1e-12)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(X_test)), X_test, rtol=1e-12)
    np.testing.assert_allclose(standardize(X_train), Z)


def test_standardizer_per_channel_for_images_and_dtypes(rng):
    images = rng.normal(size=(8, 3, 5, 5)).astype(np.float32) * np.array([1, 10, 100], np.float32)[:, None, None]
    z = Standardizer(axis=(0, 2, 3)).fit_transform(images)
    assert z.dtype == np.float32 and z.shape == images.shape
    np.testing.assert_allclose(z.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=(0, 2, 3)), 1, rtol=1e-5)
    assert standardize(np.arange(6).reshape(3, 2)).dtype == np.float64  # integers become float64


def test_constant_feature_is_centred_not_divided_by_zero():
    X = np.array([[1.0, 5.0], [3.0, 5.0]])
    np.testing.assert_array_equal(standardize(X), [[-1.0, 0.0], [1.0, 0.0]])


def test_standardizer_errors():
    with pytest.raises(RuntimeError, match="expected a fitted Standardizer, got an unfitted one"):
        Standardizer().transform(np.zeros((2, 3)))
    scaler = Standardizer().fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"broadcasting with \(1, 3\), got shape \(4, 2\)"):
        scaler.transform(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"expected a non-empty array of shape \(N, \*\), got shape \(0, 3\)"):
        Standardizer().fit(np.zeros((0, 3)))


# ----- one-hot ------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(7,), (2, 3)])
def test_one_hot_matches_torch(shape, rng):
    y = rng.integers(0, 5, shape)
    np.testing.assert_array_equal(one_hot(y, 6), torch.nn.functional.one_hot(torch.tensor(y), 6).numpy())
    np.testing.assert_array_equal(one_hot(y), torch.nn.functional.one_hot(torch.tensor(y)).numpy())
    assert one_hot(y).dtype == np.float64 and one_hot(y, dtype=np.float32).dtype == np.float32


def test_one_hot_errors():
    with pytest.raises(TypeError, match="expected integer class indices, got dtype float64"):
        one_hot(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="expected class indices >= 0, got -1"):
        one_hot(np.array([0, -1]))
    with pytest.raises(ValueError, match="expected class indices < num_classes = 3, got 3"):
        one_hot(np.array([0, 3]), 3)
