"""Readers for the real MNIST (idx files) and CIFAR-10 (python pickle batches) datasets from a local folder.

Nothing is downloaded: the course runs offline. Fetch the files once, by hand, put them in a folder, and pass that
folder; when a file is missing, the error says which files to put where and where to get them.

The idx format (MNIST): 2 zero bytes, a type code (0x08 = uint8, ... 0x0E = float64), the number of dimensions
d, then d big-endian uint32 sizes, then the values, big-endian, row-major. Files may be gzip-compressed (.gz).
"""

from __future__ import annotations

import gzip
import io
import pickle
from pathlib import Path

import numpy as np
from numpy.typing import DTypeLike

IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MNIST_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
               "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
MNIST_SOURCE = ("the MNIST page, https://yann.lecun.com/exdb/mnist/, or a mirror such as "
                "https://ossci-datasets.s3.amazonaws.com/mnist/ (the one torchvision uses)")
CIFAR_FOLDER = "cifar-10-batches-py"
CIFAR_FILES = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)}
CIFAR_SOURCE = "the CIFAR-10 python version (cifar-10-python.tar.gz, 163 MB) from https://www.cs.toronto.edu/~kriz/cifar.html"


def read_idx(path: str | Path) -> np.ndarray:
    """Read one idx file (MNIST's format), plain or gzip-compressed.

    Args:
        path: the file; compressed files are recognised by their content, whatever their name.
    Returns:
        An array of the stored shape, e.g. (60000, 28, 28) uint8 images or (60000,) uint8 labels, in native
        byte order.
    """
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":  # gzip's magic number
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in IDX_DTYPES:
        raise ValueError(f"read_idx: expected an idx file starting with bytes 00 00 <type code in "
                         f"{sorted(IDX_DTYPES)}> <ndim>, got {raw[:4].hex(' ')} in {path}")
    dtype, ndim = np.dtype(IDX_DTYPES[raw[2]]), raw[3]
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = 4 + 4 * ndim + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"read_idx: expected {expected} bytes for shape {shape} of {dtype}, got {len(raw)} "
                         f"in {path} (truncated download?)")
    data = np.frombuffer(raw, dtype=dtype, offset=4 + 4 * ndim).reshape(shape)
    return data.astype(dtype.newbyteorder("="))  # a writable copy in the machine's byte order


def _find(folder: Path, names: list[str], what: str, how: str) -> list[Path]:
    """The path of each name (or name.gz) in folder; a FileNotFoundError listing all missing ones otherwise."""
    found, missing = [], []
    for name in names:
        candidates = [folder / name, folder / f"{name}.gz"]
        hit = next((p for p in candidates if p.is_file()), None)
        found.append(hit)
        if hit is None:
            missing.append(name)
    if missing:
        raise FileNotFoundError(f"{what}: missing {', '.join(missing)} in {folder.resolve()}. {how}")
    return found


def load_mnist(folder: str | Path, split: str = "train", *, dtype: DTypeLike = np.float32
               ) -> tuple[np.ndarray, np.ndarray]:
    """MNIST from its four idx files in ``folder`` (or ``folder/MNIST/raw``, torchvision's layout).

    Args:
        folder: where train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz)
            and t10k-labels-idx1-ubyte(.gz) are.
        split: "train" (60,000 images) or "test" (10,000).
        dtype: of the images, np.float32 (default) or np.float64.
    Returns:
        X: (N, 1, 28, 28) in [0, 1]. y: (N,) int64 digit labels.
    """
    if split not in MNIST_FILES:
        raise ValueError(f"load_mnist: expected split 'train' or 'test', got {split!r}")
    folder = Path(folder)
    if not (folder / MNIST_FILES[split][0]).exists() and (folder / "MNIST" / "raw").is_dir():
        folder = folder / "MNIST" / "raw"
    how = (f"Download the four files {', '.join(n + '.gz' for pair in MNIST_FILES.values() for n in pair)} from "
           f"{MNIST_SOURCE} and put them, gzipped or unpacked, directly in {folder.resolve()}.")
    image_path, label_path = _find(folder, list(MNIST_FILES[split]), "load_mnist", how)
    images, labels = read_idx(image_path), read_idx(label_path)
    if images.ndim != 3 or labels.shape != images.shape[:1]:
        raise ValueError(f"load_mnist: expected images (N, H, W) and labels (N,), got {images.shape} and "
                         f"{labels.shape} from {image_path.name} and {label_path.name}")
    return (images / 255.0).astype(dtype)[:, None], labels.astype(np.int64)


class _ArraysOnly(pickle.Unpickler):
    """Unpickle dicts, lists, strings and NumPy arrays only: a pickle can run code, this refuses anything else."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.numeric", "_frombuffer"),
               ("numpy._core.numeric", "_frombuffer"), ("_codecs", "encode")}

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"load_cifar10: refusing to load {module}.{name} from a CIFAR-10 batch "
                                         "(expected only NumPy arrays, lists and strings)")
        return super().find_class(module, name)


def read_cifar_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 python batch: a pickled dict with b"data" (N, 3072) uint8 and b"labels" (N,).

    Args:
        path: the batch file, e.g. data_batch_1.
    Returns:
        images: (N, 3, 32, 32) uint8, channels red, green, blue. labels: (N,) int64.
    """
    with open(path, "rb") as file:
        batch = _ArraysOnly(io.BytesIO(file.read()), encoding="bytes").load()
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise ValueError(f"read_cifar_batch: expected a dict with keys b'data' and b'labels', got "
                         f"{sorted(batch) if isinstance(batch, dict) else type(batch).__name__} in {path}")
    data = np.asarray(batch[b"data"], dtype=np.uint8)
    return data.reshape(-1, 3, 32, 32), np.asarray(batch[b"labels"], dtype=np.int64)  # rows are R, G, B planes


def load_cifar10(folder: str | Path, split: str = "train", *, dtype: DTypeLike = np.float32
                 ) -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-10 from the python batches in ``folder/cifar-10-batches-py`` (or in ``folder`` itself).

    Args:
        folder: the folder where cifar-10-python.tar.gz was unpacked.
        split: "train" (data_batch_1..5, 50,000 images) or "test" (test_batch, 10,000).
        dtype: of the images, np.float32 (default) or np.float64.
    Returns:
        X: (N, 3, 32, 32) in [0, 1]. y: (N,) int64 labels, 0 = airplane ... 9 = truck (CIFAR10_CLASSES).
    """
    if split not in CIFAR_FILES:
        raise ValueError(f"load_cifar10: expected split 'train' or 'test', got {split!r}")
    folder = Path(folder)
    inner = folder / CIFAR_FOLDER
    folder = inner if inner.is_dir() else folder
    parent = inner.parent.resolve()
    how = (f"Download {CIFAR_SOURCE} and unpack it in {parent} (`tar xzf cifar-10-python.tar.gz`), so that "
           f"{inner.resolve()}/data_batch_1 ... data_batch_5 and test_batch exist.")
    paths = _find(folder, list(CIFAR_FILES[split]), "load_cifar10", how)
    batches = [read_cifar_batch(path) for path in paths]
    images = np.concatenate([b[0] for b in batches])
    labels = np.concatenate([b[1] for b in batches])
    return (images / 255.0).astype(dtype), labels


CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
