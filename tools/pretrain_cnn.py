"""Pretrain the course's small CNN on the source task (digits 0-4) and write its weights into the package.

    python tools/pretrain_cnn.py            # trains (seconds on one CPU core), prints the accuracies,
                                            # writes dlcourse/data/files/digit_cnn_source.npz and its SHA-256

Seeded and single-threaded, so a rerun on a CPU writes the same bytes (the archive's timestamps are fixed too);
the test tests/models/test_digit_cnn.py checks the shipped file's SHA-256 and the accuracy the loaded model reaches.
The recipe: Adam (lr 3e-3) for NUM_EPOCHS epochs on mini-batches of 64, each image moved by up to one pixel (data
augmentation, chapter 07), a cosine learning-rate schedule (chapter 05). The test examples are not used for training.
"""

from __future__ import annotations

import argparse
import io
import zipfile
from pathlib import Path

import numpy as np
import torch

import dlcourse.torch
from dlcourse.data.augment import random_shift
from dlcourse.models.digit_cnn import WEIGHTS_PATH, build_torch, file_sha256, source_task

NUM_EPOCHS = 40
BATCH_SIZE = 64
LR = 3e-3


def train(num_epochs: int = NUM_EPOCHS, seed: int = 0) -> torch.nn.Module:
    """The network trained on the source training set (float32, CPU, one thread)."""
    rng = dlcourse.torch.seed_everything(seed)
    torch.set_num_threads(1)
    X_train, y_train, _, _ = source_task()
    model = build_torch(5)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=num_epochs)
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(num_epochs):
        model.train()
        order = rng.permutation(len(X_train))
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start:start + BATCH_SIZE]
            X = torch.from_numpy(random_shift(X_train[batch], 1, rng=rng))
            loss = loss_fn(model(X), torch.from_numpy(y_train[batch]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
    return model.eval()


def accuracy(model: torch.nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    with torch.no_grad():
        return float((model(torch.from_numpy(X)).argmax(1).numpy() == y).mean())


def save_npz(state: dict[str, np.ndarray], path: Path) -> None:
    """Like np.savez, but with a fixed timestamp on every member, so the same weights give the same bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key, value in state.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.array(value, order="C"), allow_pickle=False)  # keeps 0-d arrays 0-d
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=NUM_EPOCHS)
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    args = parser.parse_args()
    model = train(args.epochs)
    X_train, y_train, X_test, y_test = source_task()
    print(f"source (digits 0-4): train accuracy {accuracy(model, X_train, y_train):.4f}, "
          f"test accuracy {accuracy(model, X_test, y_test):.4f}")
    state = {key: value.detach().numpy() for key, value in model.state_dict().items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_npz(state, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes), sha256 {file_sha256(args.out)}")


if __name__ == "__main__":
    main()
