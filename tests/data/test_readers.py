import gzip
import pickle
import struct
from collections import OrderedDict

import numpy as np
import pytest

from dlcourse.data.readers import load_cifar10, load_mnist, read_cifar_batch, read_idx

TYPE_CODES = {np.uint8: 0x08, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def write_idx(path, array: np.ndarray, compress: bool = False) -> None:
    """The idx format written independently of the reader: header bytes, big-endian sizes, big-endian values."""
    header = bytes([0, 0, TYPE_CODES[array.dtype.type], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(payload) if compress else payload)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trip(dtype, compress, tmp_path, rng):
    array = (rng.standard_normal((3, 4, 5)) * 100).astype(dtype)
    write_idx(tmp_path / "a.idx", array, compress)
    back = read_idx(tmp_path / "a.idx")
    assert back.shape == array.shape and back.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(back, array)


def test_read_idx_rejects_bad_and_truncated_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01abcd")
    with pytest.raises(ValueError, match="expected an idx file starting with bytes 00 00 .* got 01 02 08 01"):
        read_idx(tmp_path / "bad")
    write_idx(tmp_path / "short", np.zeros((4, 2), np.uint8))
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-3])
    with pytest.raises(ValueError, match=r"expected 20 bytes for shape \(4, 2\) of uint8, got 17"):
        read_idx(tmp_path / "short")


def write_mnist(folder, n: int, rng, compress: bool) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    data = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        suffix = ".gz" if compress else ""
        write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images, compress)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels, compress)
        data[split] = images, labels
    return data


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("split", ["train", "test"])
def test_load_mnist_reads_both_splits(compress, split, tmp_path, rng):
    data = write_mnist(tmp_path, 5, rng, compress)
    X, y = load_mnist(tmp_path, split)
    assert X.shape == (5, 1, 28, 28) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(X[:, 0] * 255, data[split][0], atol=1e-4)
    np.testing.assert_array_equal(y, data[split][1])


def test_load_mnist_finds_torchvision_layout(tmp_path, rng):
    data = write_mnist(tmp_path / "MNIST" / "raw", 3, rng, compress=True)
    _, y = load_mnist(tmp_path, "test", dtype=np.float64)
    np.testing.assert_array_equal(y, data["test"][1])


def test_missing_mnist_says_which_files_go_where(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path, "train")
    message = str(info.value)
    assert "missing train-images-idx3-ubyte, train-labels-idx1-ubyte" in message
    assert str(tmp_path.resolve()) in message and "t10k-images-idx3-ubyte.gz" in message
    assert "https://yann.lecun.com/exdb/mnist/" in message


def write_cifar(folder, n: int, rng) -> dict:
    """Batches as the CIFAR-10 python version stores them: a pickled dict of bytes keys (python 2 strings)."""
    folder.mkdir(parents=True)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (n, 3072)).astype(np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, n)]
        content = {b"batch_label": name.encode(), b"labels": labels, b"data": data,
                   b"filenames": [f"img{i}.png".encode() for i in range(n)]}
        (folder / name).write_bytes(pickle.dumps(content, protocol=2))
        batches[name] = data, labels
    return batches


def test_load_cifar10_reads_train_and_test(tmp_path, rng):
    batches = write_cifar(tmp_path / "cifar-10-batches-py", 4, rng)
    X, y = load_cifar10(tmp_path, "train")
    assert X.shape == (20, 3, 32, 32) and X.dtype == np.float32
    np.testing.assert_array_equal(y[4:8], batches["data_batch_2"][1])
    first = batches["data_batch_1"][0][0]  # row 0: 1024 red values, then green, then blue, each row-major
    np.testing.assert_allclose(X[0, 0] * 255, first[:1024].reshape(32, 32), atol=1e-4)
    np.testing.assert_allclose(X[0, 2] * 255, first[2048:].reshape(32, 32), atol=1e-4)
    X_test, y_test = load_cifar10(tmp_path / "cifar-10-batches-py", "test", dtype=np.float64)
    assert X_test.shape == (4, 3, 32, 32) and X_test.dtype == np.float64
    np.testing.assert_array_equal(y_test, batches["test_batch"][1])


def test_missing_cifar_says_which_files_go_where(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_cifar10(tmp_path, "test")
    message = str(info.value)
    assert "missing test_batch" in message and "cifar-10-python.tar.gz" in message
    assert str((tmp_path / "cifar-10-batches-py").resolve()) in message
    assert "https://www.cs.toronto.edu/~kriz/cifar.html" in message


def test_cifar_reader_refuses_pickles_that_are_not_plain_data(tmp_path):
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps(OrderedDict(data=np.zeros((1, 3072), np.uint8), labels=[0])))
    with pytest.raises(pickle.UnpicklingError, match="refusing to load collections.OrderedDict"):
        read_cifar_batch(path)
