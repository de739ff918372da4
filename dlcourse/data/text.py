"""A text corpus shipped with the package, a character vocabulary, and batches of next-character windows.

The corpus is Jane Austen's *Pride and Prejudice* (1813), public domain: the Project Gutenberg text as packaged in
the R package janeaustenr by Julia Silge (MIT licence; Debian package ``r-cran-janeaustenr`` 1.0.0-1, bookworm).
``tools/make_corpus.py`` rebuilds ``dlcourse/data/files/austen_pride_and_prejudice.txt.gz`` from that Debian package
byte for byte (its docstring has the three commands). Nothing is downloaded at run time.

A language model reads the text as a sequence of characters and predicts each next one, so a training example is a
window of T characters (the input) and the same window shifted by one (the target)::

    text    "It is a truth"
    input   "It is a trut"     ids (T,)
    target  "t is a truth"     ids (T,): target[t] = the character after input[t]
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from importlib import resources

import numpy as np

from dlcourse.validate import check_rng

CORPORA = {"pride_and_prejudice": "austen_pride_and_prejudice.txt.gz"}


def load_corpus(name: str = "pride_and_prejudice") -> str:
    """The whole text of a shipped corpus.

    Args:
        name: which corpus; one of ``CORPORA`` ("pride_and_prejudice": 684,768 characters, 75 distinct).
    Returns:
        The text as one str, lines separated by "\\n".
    """
    if name not in CORPORA:
        raise ValueError(f"load_corpus: expected name to be one of {sorted(CORPORA)}, got {name!r}")
    data = resources.files("dlcourse.data").joinpath("files", CORPORA[name]).read_bytes()
    return gzip.decompress(data).decode("utf-8")


class Vocabulary:
    """A bijection between characters and the integer ids 0..V-1 (sorted by character, so it is reproducible).

    Args:
        symbols: the characters; duplicates are dropped (``Vocabulary(text)`` builds the vocabulary of a text).
    Attributes:
        itos: list of the V characters, the character of each id. stoi: dict from character to id.
    """

    def __init__(self, symbols: Iterable[str]):
        self.itos = sorted(set(symbols))
        if not self.itos or any(not isinstance(s, str) or len(s) != 1 for s in self.itos):
            raise ValueError("Vocabulary: expected a non-empty collection of single characters, "
                             f"got {self.itos[:5]!r}{'...' if len(self.itos) > 5 else ''}")
        self.stoi = {char: index for index, char in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, char: str) -> bool:
        return char in self.stoi

    def encode(self, text: str) -> np.ndarray:
        """Text of L characters -> (L,) int64 ids; a character outside the vocabulary raises a KeyError naming it."""
        try:
            return np.fromiter((self.stoi[char] for char in text), dtype=np.int64, count=len(text))
        except KeyError:
            unknown = sorted(set(text) - set(self.stoi))
            raise KeyError(f"Vocabulary.encode: expected characters of the vocabulary ({len(self)} symbols), "
                           f"got unknown characters {unknown!r}") from None

    def decode(self, ids) -> str:
        """(L,) integer ids -> a text of L characters."""
        ids = np.asarray(ids)
        if ids.ndim != 1 or (ids.size and not np.issubdtype(ids.dtype, np.integer)):
            raise ValueError(f"Vocabulary.decode: expected a 1-D array of integer ids, got shape {ids.shape} "
                             f"and dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"Vocabulary.decode: expected ids in [0, {len(self)}), got values from {ids.min()} "
                             f"to {ids.max()}")
        return "".join(self.itos[i] for i in ids.tolist())

    def __repr__(self) -> str:
        return f"Vocabulary(size={len(self)})"


def split_ids(ids: np.ndarray, *, val_fraction: float = 0.1, test_fraction: float = 0.1
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut a long sequence into contiguous train, validation and test parts, in that order.

    Contiguous (not shuffled) so that no window of the validation or test text also appears in training.

    Args:
        ids: (L,) the encoded text. val_fraction, test_fraction: shares of L for validation and test.
    Returns:
        train (L_train,), val (L_val,), test (L_test,), views into ``ids``.
    """
    ids = np.asarray(ids)
    if not (0 <= val_fraction and 0 <= test_fraction and val_fraction + test_fraction < 1):
        raise ValueError("split_ids: expected val_fraction, test_fraction >= 0 with a sum below 1, "
                         f"got {val_fraction} and {test_fraction}")
    n_val, n_test = int(len(ids) * val_fraction), int(len(ids) * test_fraction)
    n_train = len(ids) - n_val - n_test
    return ids[:n_train], ids[n_train:n_train + n_val], ids[n_train + n_val:]


def _check_windows(ids: np.ndarray, seq_len: int, batch_size: int, where: str) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"{where}: expected ids of shape (L,) and an integer dtype, got shape {ids.shape} "
                         f"and dtype {ids.dtype}")
    for name, value in (("seq_len", seq_len), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{where}: expected {name} to be an int >= 1, got {value!r}")
    if len(ids) < seq_len + 1:
        raise ValueError(f"{where}: expected at least seq_len + 1 = {seq_len + 1} ids, got {len(ids)}")
    return ids


def sample_windows(ids: np.ndarray, batch_size: int, seq_len: int, *, rng: np.random.Generator
                   ) -> tuple[np.ndarray, np.ndarray]:
    """A batch of windows at random positions: inputs and their next-character targets.

    Args:
        ids: (L,) the encoded text. batch_size: N. seq_len: T.
        rng: Generator for the window starts (uniform over 0..L-T-1).
    Returns:
        inputs: (N, T) int64, ``ids[s:s+T]`` for each start s. targets: (N, T) int64, ``ids[s+1:s+T+1]``.
    """
    ids = _check_windows(ids, seq_len, batch_size, "sample_windows")
    rng = check_rng(rng, "sample_windows")
    starts = rng.integers(0, len(ids) - seq_len, size=batch_size)  # (N,)
    positions = starts[:, None] + np.arange(seq_len)  # (N, T)
    return ids[positions].astype(np.int64), ids[positions + 1].astype(np.int64)


def window_batches(ids: np.ndarray, batch_size: int, seq_len: int, *, shuffle: bool = True,
                   rng: np.random.Generator | None = None, drop_last: bool = False
                   ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch: the text cut into non-overlapping windows of T characters, served in batches.

    Args:
        ids: (L,) the encoded text. batch_size: N. seq_len: T.
        shuffle: visit the windows in a random order (drawn from ``rng``; None: a fresh unseeded Generator).
        drop_last: skip a last batch smaller than N.
    Yields:
        inputs (N, T) int64 and targets (N, T) int64 (the last batch may have fewer rows).
    """
    ids = _check_windows(ids, seq_len, batch_size, "window_batches")
    n_windows = (len(ids) - 1) // seq_len
    starts = np.arange(n_windows) * seq_len  # (n_windows,)
    if shuffle:
        rng = np.random.default_rng() if rng is None else check_rng(rng, "window_batches")
        starts = rng.permutation(starts)
    stop = n_windows - n_windows % batch_size if drop_last else n_windows
    for first in range(0, stop, batch_size):
        positions = starts[first:first + batch_size, None] + np.arange(seq_len)  # (N, T)
        yield ids[positions].astype(np.int64), ids[positions + 1].astype(np.int64)
