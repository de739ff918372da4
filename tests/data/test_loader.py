"""ArrayDataset and DataLoader: batching, shuffling per epoch, drop_last, single arrays, errors."""

import numpy as np
import pytest
import torch

from dlcourse.data import ArrayDataset, DataLoader


def make_arrays(n=10):
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)  # row i starts with 3i, so rows identify themselves
    y = np.arange(n)
    return X, y


def test_array_dataset_indexes_all_arrays_together():
    X, y = make_arrays()
    ds = ArrayDataset(X, y)
    assert len(ds) == 10
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi, X[4])
    assert yi == 4
    xb, yb = ds[np.array([7, 2])]
    np.testing.assert_array_equal(xb, X[[7, 2]])
    np.testing.assert_array_equal(yb, [7, 2])
    assert ArrayDataset(torch.arange(4))[2][0] == 2  # tensors are converted


@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True), (10, 5, False), (10, 5, True),
                                                      (4, 10, False), (1, 1, False)])
def test_batches_in_order_match_torch(n, batch_size, drop_last):
    X, y = make_arrays(n)
    ours = list(DataLoader((X, y), batch_size=batch_size, drop_last=drop_last))
    theirs = list(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(y)),
                                              batch_size=batch_size, drop_last=drop_last))
    assert len(ours) == len(theirs) == len(DataLoader((X, y), batch_size=batch_size, drop_last=drop_last))
    for (xb, yb), (xt, yt) in zip(ours, theirs, strict=True):
        assert isinstance(xb, np.ndarray) and xb.dtype == np.float32 and yb.dtype == y.dtype
        np.testing.assert_array_equal(xb, xt.numpy())
        np.testing.assert_array_equal(yb, yt.numpy())


def test_shuffle_covers_every_sample_once_and_reshuffles_each_epoch():
    X, y = make_arrays(50)
    loader = DataLoader(ArrayDataset(X, y), batch_size=8, shuffle=True, rng=np.random.default_rng(0))
    epochs = [np.concatenate([yb for _, yb in loader]) for _ in range(3)]
    for order in epochs:
        np.testing.assert_array_equal(np.sort(order), np.arange(50))
        assert not np.array_equal(order, np.arange(50))
    assert not np.array_equal(epochs[0], epochs[1]) and not np.array_equal(epochs[1], epochs[2])
    for xb, yb in loader:
        np.testing.assert_array_equal(xb[:, 0], 3 * yb)  # X and y stay paired after shuffling


def test_same_seed_same_batches():
    X, y = make_arrays(30)
    a = [yb for _, yb in DataLoader((X, y), batch_size=4, shuffle=True, rng=np.random.default_rng(7))]
    b = [yb for _, yb in DataLoader((X, y), batch_size=4, shuffle=True, rng=np.random.default_rng(7))]
    for p, q in zip(a, b, strict=True):
        np.testing.assert_array_equal(p, q)


def test_drop_last_with_shuffle_keeps_only_full_batches():
    X, y = make_arrays(10)
    loader = DataLoader((X, y), batch_size=4, shuffle=True, drop_last=True, rng=np.random.default_rng(0))
    sizes = [len(yb) for _, yb in loader]
    assert sizes == [4, 4] and len(loader) == 2


def test_single_array_yields_arrays():
    X, _ = make_arrays(7)
    batches = list(DataLoader(X, batch_size=3))
    assert [b.shape for b in batches] == [(3, 3), (3, 3), (1, 3)]
    np.testing.assert_array_equal(np.concatenate(batches), X)


def test_shuffle_without_rng_uses_a_fresh_unseeded_generator():
    """rng=None means np.random.default_rng(), as everywhere in dlcourse: a new order on every run."""
    X = np.arange(100)
    orders = [np.concatenate(list(DataLoader(X, batch_size=10, shuffle=True))) for _ in range(2)]
    for order in orders:
        np.testing.assert_array_equal(np.sort(order), X)  # still every sample once
    assert not np.array_equal(orders[0], orders[1])  # equal with probability 1/100!


def test_errors_name_expected_and_got():
    X, y = make_arrays(5)
    with pytest.raises(TypeError, match=r"DataLoader\(shuffle=True\): expected rng=np.random.Generator .* got int"):
        DataLoader((X, y), batch_size=2, shuffle=True, rng=0)
    with pytest.raises(ValueError, match="expected batch_size >= 1, got 0"):
        DataLoader((X, y), batch_size=0)
    with pytest.raises(TypeError, match="expected batch_size to be an int, got float"):
        DataLoader((X, y), batch_size=2.0)
    with pytest.raises(ValueError, match=r"expected every array to have length 5 .* got shape \(4,\) for array 1"):
        DataLoader((X, y[:4]))
    with pytest.raises(TypeError, match="expected an ArrayDataset, a tuple of arrays or an array, got int"):
        DataLoader(5)
    with pytest.raises(ValueError, match="expected at least one array, got none"):
        ArrayDataset()
