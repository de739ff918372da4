"""A small CNN pretrained by the course on a *source* task, for the transfer-learning chapter (chapter 12).

Nothing is downloaded: ``tools/pretrain_cnn.py`` trains the network on the scikit-learn digits 0-4 (seeded, a
few seconds of CPU time) and writes its weights, float32, into ``dlcourse/data/files/digit_cnn_source.npz``, which
ships with the package. ``load_pretrained`` rebuilds the network with those weights, in NumPy (``dlcourse.nn``) or as
its PyTorch twin; both have the same parameter names, so weights copy either way.

The network, on 8x8 grey images, is four blocks, numbered as a ``Sequential`` numbers its children:

    0: Conv2d(1, 16, 3, padding=1) - BatchNorm2d(16) - ReLU - MaxPool2d(2)   (N, 1, 8, 8)  -> (N, 16, 4, 4)
    1: Conv2d(16, 32, 3, padding=1) - BatchNorm2d(32) - ReLU - MaxPool2d(2)  (N, 16, 4, 4) -> (N, 32, 2, 2)
    2: Flatten - Linear(128, 64) - ReLU                                       (N, 32, 2, 2) -> (N, 64)
    3: Linear(64, K), the head                                                (N, 64)       -> (N, K)

Blocks 0-2 are the *backbone*; block 3 the *head*. Freezing "the first k blocks" means blocks 0..k-1.

The tasks (``source_task``, ``target_task``) are fixed splits of the 1,797 digits, the same for the script, the
chapter and the tests: the source is the digits 0-4; a target is the digits 5-9 (labelled 0-4 again) or the
digits 0-4 themselves, seen through a change of domain (``DOMAINS``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from numpy.typing import DTypeLike

import dlcourse.nn as nn
from dlcourse.data.images import load_digit_images
from dlcourse.validate import FLOAT_DTYPES, check_choice, check_positive_int

WEIGHTS_PATH = Path(__file__).resolve().parent.parent / "data" / "files" / "digit_cnn_source.npz"
WEIGHTS_SHA256 = "e95077c119b1649ef2f85f23eecfcee545837eb93e9e65a78e84962dd9c6aabe"  # printed by tools/pretrain_cnn.py
NUM_BLOCKS = 4  # three backbone blocks and the head
SPLIT_SEED = 12  # fixes which digits are training and which are test examples, for everyone
TEST_FRACTION = 0.3
DOMAINS = ("clean", "faded", "inverted", "shuffled")
SHUFFLE_SEED = 5  # the fixed "wiring" of the shuffled domain


def build_numpy(num_classes: int = 5, *, rng: np.random.Generator | None = None,
                dtype: DTypeLike = np.float32) -> nn.Sequential:
    """The network in dlcourse.nn, randomly initialised (see the module docstring for its blocks).

    Args:
        num_classes: K, the outputs of the head.
        rng: the Generator for the initial weights (None: a fresh unseeded one).
        dtype: np.float32 or np.float64.
    """
    num_classes = check_positive_int(num_classes, "build_numpy", "num_classes")
    rng = np.random.default_rng() if rng is None else rng
    return nn.Sequential(
        nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, rng=rng, dtype=dtype), nn.BatchNorm2d(16, dtype=dtype),
                      nn.ReLU(), nn.MaxPool2d(2)),
        nn.Sequential(nn.Conv2d(16, 32, 3, padding=1, rng=rng, dtype=dtype), nn.BatchNorm2d(32, dtype=dtype),
                      nn.ReLU(), nn.MaxPool2d(2)),
        nn.Sequential(nn.Flatten(), nn.Linear(128, 64, rng=rng, dtype=dtype), nn.ReLU()),
        nn.Linear(64, num_classes, rng=rng, dtype=dtype),
    )


def build_torch(num_classes: int = 5):
    """The same network in torch.nn (randomly initialised by torch's generator), with the same parameter names.

    Args:
        num_classes: K, the outputs of the head.
    """
    import torch  # imported here: the NumPy half of the course does not need torch

    num_classes = check_positive_int(num_classes, "build_torch", "num_classes")
    return torch.nn.Sequential(
        torch.nn.Sequential(torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
                            torch.nn.MaxPool2d(2)),
        torch.nn.Sequential(torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.BatchNorm2d(32), torch.nn.ReLU(),
                            torch.nn.MaxPool2d(2)),
        torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(128, 64), torch.nn.ReLU()),
        torch.nn.Linear(64, num_classes),
    )


def file_sha256(path: str | Path = WEIGHTS_PATH) -> str:
    """The SHA-256 of a file's bytes, as hex (to check that the shipped weights are the ones the script made).

    Args:
        path: the file.
    """
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_weights(path: str | Path = WEIGHTS_PATH) -> dict[str, np.ndarray]:
    """The pretrained state_dict: {torch-style key: float32 array}, BatchNorm's running statistics included.

    Args:
        path: the .npz file (default: the one shipped in the package).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"load_weights: expected the pretrained weights at {path}, found nothing; "
                                "run `python tools/pretrain_cnn.py` to make them")
    with np.load(path) as archive:
        return {key: archive[key] for key in archive.files}


def load_pretrained(framework: str = "numpy", *, dtype: DTypeLike = np.float32):
    """The network with the weights pretrained on the source task (digits 0-4), in evaluation mode.

    Args:
        framework: "numpy" for a dlcourse.nn.Sequential, "torch" for its torch.nn twin.
        dtype: np.float32 (as stored) or np.float64 (the torch twin becomes .double()).
    Returns:
        The model; its head has K = 5 outputs, one per source digit.
    """
    framework = check_choice(framework, ("numpy", "torch"), "load_pretrained", "framework")
    dtype = np.dtype(dtype)
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"load_pretrained: expected dtype float32 or float64, got {dtype}")
    state = load_weights()
    if framework == "numpy":
        model = build_numpy(state["3.weight"].shape[0], rng=np.random.default_rng(0), dtype=dtype)
        model.load_state_dict(state)
        return model.eval()
    import torch

    model = build_torch(state["3.weight"].shape[0])
    model.load_state_dict({key: torch.from_numpy(value) for key, value in state.items()})
    return (model.double() if dtype == np.float64 else model).eval()


def change_domain(images: np.ndarray, domain: str) -> np.ndarray:
    """The same images seen through another "camera".

    Args:
        images: (N, 1, H, W) grey levels in [0, 1].
        domain: "clean" (unchanged); "faded" (low contrast on a grey background, 0.35 + 0.4 x: what a washed-out
            scan does); "inverted" (1 - x: white digits become dark strokes on a bright page); "shuffled" (the
            pixels of every image moved by one fixed random permutation: a sensor wired differently, whose images
            have no strokes or edges left for a convolution to find).
    Returns:
        The images in the new domain, the input's shape and dtype.
    """
    domain = check_choice(domain, DOMAINS, "change_domain", "domain")
    if domain == "faded":
        return (0.35 + 0.4 * images).astype(images.dtype)
    if domain == "shuffled":
        height, width = images.shape[-2:]
        order = np.random.default_rng(SHUFFLE_SEED).permutation(height * width)
        flat = images.reshape(*images.shape[:-2], height * width)  # (N, 1, H, W) -> (N, 1, H*W)
        return flat[..., order].reshape(images.shape)
    if domain == "inverted":
        return (1.0 - images).astype(images.dtype)
    return images.copy()


def _split(digits: tuple[int, ...], dtype: DTypeLike) -> tuple[np.ndarray, ...]:
    """A fixed, stratified train/test split of the given digits, relabelled 0..len(digits)-1."""
    images, labels = load_digit_images(8, dtype=dtype)  # (1797, 1, 8, 8), (1797,)
    rng = np.random.default_rng(SPLIT_SEED)
    train, test = [], []
    for digit in digits:
        where = rng.permutation(np.flatnonzero(labels == digit))
        cut = int(round(len(where) * (1 - TEST_FRACTION)))
        train.append(where[:cut])
        test.append(where[cut:])
    train_idx, test_idx = np.concatenate(train), np.concatenate(test)
    relabel = np.full(10, -1)
    relabel[list(digits)] = np.arange(len(digits))
    return images[train_idx], relabel[labels[train_idx]], images[test_idx], relabel[labels[test_idx]]


def source_task(*, dtype: DTypeLike = np.float32) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The digits 0-4: the task the network was pretrained on.

    Args:
        dtype: np.float32 or np.float64 for the images.
    Returns:
        X_train (N, 1, 8, 8), y_train (N,) in 0..4, X_test, y_test (70% / 30% of each digit, fixed).
    """
    return _split((0, 1, 2, 3, 4), dtype)


def target_task(domain: str = "clean", *, new_digits: bool = True, dtype: DTypeLike = np.float32
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A target task: new digits, or the source's digits, seen through ``domain`` (see change_domain).

    Args:
        domain: one of DOMAINS.
        new_digits: True for the digits 5-9, labelled 0-4 (5 -> 0, ..., 9 -> 4); False for the source's own
            digits 0-4 (the same split as source_task), so that only the domain changes.
        dtype: np.float32 or np.float64 for the images.
    Returns:
        X_train (N, 1, 8, 8), y_train (N,), X_test, y_test (70% / 30% of each digit, fixed).
    """
    X_train, y_train, X_test, y_test = _split((5, 6, 7, 8, 9) if new_digits else (0, 1, 2, 3, 4), dtype)
    return change_domain(X_train, domain), y_train, change_domain(X_test, domain), y_test


def freeze_blocks(model: nn.Module, num_frozen_blocks: int) -> list[str]:
    """Freeze the first ``num_frozen_blocks`` blocks of the network (requires_grad False), unfreeze the others.

    Args:
        model: the network (blocks are its top-level children "0", "1", ...), NumPy or torch.
        num_frozen_blocks: 0 (train everything) to NUM_BLOCKS (nothing left to train).
    Returns:
        The names of the frozen parameters.
    """
    if not 0 <= num_frozen_blocks <= NUM_BLOCKS:
        raise ValueError(f"freeze_blocks: expected num_frozen_blocks in 0..{NUM_BLOCKS}, got {num_frozen_blocks}")
    frozen = []
    for name, param in model.named_parameters():
        block = int(name.split(".")[0])
        param.requires_grad_(block >= num_frozen_blocks)
        if block < num_frozen_blocks:
            frozen.append(name)
    return frozen
