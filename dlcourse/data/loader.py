"""Mini-batches from arrays: ``ArrayDataset`` (torch.utils.data.TensorDataset's twin) and ``DataLoader``.

    loader = DataLoader((X_train, y_train), batch_size=32, shuffle=True, rng=rng)
    for epoch in range(num_epochs):
        for xb, yb in loader:          # xb (B, D), yb (B,); a new order every epoch
            ...

Batches are gathered with one fancy-indexing operation per array, never item by item. Shuffling draws from the
explicit ``rng``, so two runs with the same seed see the same batches.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from dlcourse.validate import check_positive_int, check_rng


class ArrayDataset:
    """Arrays that share their first dimension, indexed together: ``ds[i] == (a[i], b[i], ...)``.

    Args:
        *arrays: one or more arrays of shape (N, *) each (e.g. X (N, D) and y (N,)); torch tensors are converted.
    """

    def __init__(self, *arrays: np.ndarray):
        if not arrays:
            raise ValueError("ArrayDataset: expected at least one array, got none")
        arrays = tuple(a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a) for a in arrays)
        for index, a in enumerate(arrays):
            if a.ndim == 0 or len(a) != len(arrays[0]):
                raise ValueError(f"ArrayDataset: expected every array to have length {len(arrays[0])} (that of "
                                 f"array 0) along axis 0, got shape {a.shape} for array {index}")
        self.arrays = arrays

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index) -> tuple[np.ndarray, ...]:
        """One sample (an int index) or a batch (an index array (B,)): a tuple with one entry per array."""
        return tuple(a[index] for a in self.arrays)

    def __repr__(self) -> str:
        return f"ArrayDataset({', '.join(str(a.shape) for a in self.arrays)})"


class DataLoader:
    """Iterate over a dataset in mini-batches, as torch.utils.data.DataLoader (without worker processes).

    Args:
        dataset: an ArrayDataset, a tuple/list of arrays (wrapped in one), a single array (batches are then
            arrays, not tuples), or any object with ``__len__`` and ``__getitem__`` taking an index array.
        batch_size: B, samples per batch; the last batch may be smaller unless ``drop_last``.
        shuffle: a new random order every epoch (each ``iter``), drawn from ``rng``.
        drop_last: skip the final incomplete batch.
        rng: the np.random.Generator that shuffles (None: a fresh unseeded one); ignored without shuffle.
    Yields:
        For tuple datasets, a tuple (a_batch, b_batch, ...), each (B, *); for a single array, a (B, *) array.
    """

    def __init__(self, dataset: ArrayDataset | tuple | list | np.ndarray, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, *, rng: np.random.Generator | None = None):
        self.batch_size = check_positive_int(batch_size, "DataLoader", "batch_size")
        if shuffle:
            rng = check_rng(rng, "DataLoader(shuffle=True)")
        self._single = isinstance(dataset, np.ndarray)
        if isinstance(dataset, (tuple, list)) or self._single:
            dataset = ArrayDataset(*dataset) if not self._single else ArrayDataset(dataset)
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"DataLoader: expected an ArrayDataset, a tuple of arrays or an array, "
                            f"got {type(dataset).__name__}")
        self.dataset, self.shuffle, self.drop_last, self.rng = dataset, bool(shuffle), bool(drop_last), rng

    def __len__(self) -> int:
        """Batches per epoch: ceil(N / B), or floor(N / B) with drop_last."""
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator:
        n = len(self.dataset)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, len(self) * self.batch_size, self.batch_size):  # a loop over batches, not samples
            batch = self.dataset[order[start:start + self.batch_size]]
            yield batch[0] if self._single else batch

    def __repr__(self) -> str:
        return (f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last})")
