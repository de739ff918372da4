"""Embedding: a lookup table that turns integer ids (characters, words) into learned vectors, as torch.nn.Embedding.

Looking up row ``ids[n]`` of ``weight`` is the same as multiplying a one-hot vector by the table, so the gradient
of a row is the sum of the output gradients of every position that looked it up (rows never looked up get zero).
With ``padding_idx`` the padding row receives no gradient and stays what it was (zeros at initialisation).
"""

from __future__ import annotations

import numpy as np

from dlcourse.nn import init
from dlcourse.nn.module import Module, Parameter
from dlcourse.validate import check_positive_int


def _check_indices(indices, num_embeddings: int, where: str) -> np.ndarray:
    indices = np.asarray(indices)
    if not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"{where}: expected integer indices (e.g. int64), got dtype {indices.dtype}")
    if indices.size and (indices.min() < 0 or indices.max() >= num_embeddings):
        raise IndexError(f"{where}: expected indices in [0, {num_embeddings}) (num_embeddings = {num_embeddings}), "
                         f"got values from {indices.min()} to {indices.max()}")
    return indices


def embedding_forward(indices: np.ndarray, weight: np.ndarray, padding_idx: int | None = None
                      ) -> tuple[np.ndarray, tuple]:
    """Rows of the table.

    Args:
        indices: (*) integer ids in [0, V).
        weight: (V, E) the table, one row per id.
        padding_idx: an id whose row gets no gradient, or None.
    Returns:
        out: (*, E) = weight[indices].
        cache: what embedding_backward needs.
    """
    indices = _check_indices(indices, weight.shape[0], "embedding_forward")
    return weight[indices], (indices, weight.shape, padding_idx)


def embedding_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of embedding_forward with respect to the table (the ids are integers: they have none).

    Args:
        dout: (*, E) gradient of the loss with respect to the output.
        cache: from embedding_forward.
    Returns:
        dweight: (V, E), row v = the sum of dout over the positions whose id is v; zero for padding_idx.
    """
    indices, weight_shape, padding_idx = cache
    dweight = np.zeros(weight_shape, dtype=dout.dtype)
    # add.at sums repeated ids (plain fancy-index assignment would keep only one of them)
    np.add.at(dweight, indices.reshape(-1), dout.reshape(-1, weight_shape[1]))  # (N*, E) rows into (V, E)
    if padding_idx is not None:
        dweight[padding_idx] = 0
    return dweight


class Embedding(Module):
    """A table of ``num_embeddings`` learned vectors of size ``embedding_dim``, looked up by integer id.

    Args:
        num_embeddings: V, how many ids. embedding_dim: E, the size of each vector.
        padding_idx: an id (negative counts from the end, as in torch) whose row starts at zero and is never
            updated by backward; None for no padding row.
        rng: Generator for the initial table, N(0, 1) as in torch.
        dtype: np.float32 (default, as torch) or np.float64.
    Shapes: input (*) integer ids -> output (*, E).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, *,
                 rng: np.random.Generator | None = None, dtype=np.float32):
        super().__init__()
        self.num_embeddings = check_positive_int(num_embeddings, "Embedding", "num_embeddings")
        self.embedding_dim = check_positive_int(embedding_dim, "Embedding", "embedding_dim")
        if padding_idx is not None:
            if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)):
                raise TypeError(f"Embedding: expected padding_idx to be an int or None, got {padding_idx!r}")
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: expected padding_idx in [-{num_embeddings}, {num_embeddings}), "
                                 f"got {padding_idx}")
            padding_idx = int(padding_idx) % num_embeddings
        self.padding_idx = padding_idx
        rng = init.default_rng(rng)
        table = rng.standard_normal((num_embeddings, embedding_dim)).astype(dtype)  # (V, E)
        if padding_idx is not None:
            table[padding_idx] = 0
        self.weight = Parameter(table)

    def forward(self, indices: np.ndarray) -> np.ndarray:
        indices = _check_indices(indices, self.num_embeddings, "Embedding.forward")
        out, self._cache = embedding_forward(indices, self.weight.data, self.padding_idx)
        return out

    def backward(self, grad_output: np.ndarray) -> None:
        """Add the table's gradient into ``weight.grad``; return None, since integer ids have no gradient."""
        if not hasattr(self, "_cache"):
            raise RuntimeError("Embedding.backward: call forward first")
        expected = self._cache[0].shape + (self.embedding_dim,)
        if np.shape(grad_output) != expected:
            raise ValueError(f"Embedding.backward: expected grad_output of shape {expected}, "
                             f"got {np.shape(grad_output)}")
        self.accumulate_grad(weight=embedding_backward(np.asarray(grad_output, self.weight.dtype), self._cache))
        return None

    def extra_repr(self) -> str:
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{padding}"
