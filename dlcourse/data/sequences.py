"""Batching sequences of different lengths: pad them to one length and remember the true lengths.

``pad_sequences(seqs)`` gives the same array as
``torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=..., padding_side=...)``, plus the lengths,
from which ``padding_mask`` rebuilds which positions are real (for masked losses, attention and pooling).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

import numpy as np


def _as_sequences(sequences: Sequence) -> list[np.ndarray]:
    if isinstance(sequences, np.ndarray) or len(sequences) == 0:
        raise ValueError("pad_sequences: expected a non-empty list of sequences (arrays of shape (L_i, *)), "
                         f"got {type(sequences).__name__} of length {len(sequences)}")
    arrays = [np.asarray(seq) for seq in sequences]
    for index, seq in enumerate(arrays):
        if seq.ndim == 0:
            raise ValueError(f"pad_sequences: expected sequence {index} to have shape (L, *), got a scalar")
        if seq.shape[1:] != arrays[0].shape[1:]:
            raise ValueError(f"pad_sequences: expected every sequence to have trailing shape {arrays[0].shape[1:]} "
                             f"(that of sequence 0), got {seq.shape[1:]} for sequence {index}")
    return arrays


def pad_sequences(sequences: Sequence, *, padding_value: float = 0, padding_side: str = "right",
                  max_length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Stack sequences of lengths L_i into one (N, T, *) array, filling the gaps with ``padding_value``.

    Args:
        sequences: N arrays (or lists) of shape (L_i, *), e.g. lists of token ids.
        padding_value: what fills the positions beyond each sequence's end.
        padding_side: "right" (pad after the sequence) or "left" (pad before; the last items line up).
        max_length: T; longer sequences keep their first T items (None: T = max L_i).
    Returns:
        padded: (N, T, *) with the sequences' common dtype. lengths: (N,) int64, the (truncated) lengths.
    """
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequences: expected padding_side 'right' or 'left', got {padding_side!r}")
    arrays = _as_sequences(sequences)
    lengths = np.array([len(seq) for seq in arrays], dtype=np.int64)
    if max_length is not None:
        if max_length < 1:
            raise ValueError(f"pad_sequences: expected max_length >= 1 or None, got {max_length}")
        arrays = [seq[:max_length] for seq in arrays]
        lengths = np.minimum(lengths, max_length)
    steps = int(lengths.max()) if max_length is None else max_length
    # an empty list reads as float64: let only non-empty sequences decide (result_type caps its argument count)
    dtype = reduce(np.promote_types, {seq.dtype for seq in arrays if len(seq)} or {arrays[0].dtype})
    padded = np.full((len(arrays), steps) + arrays[0].shape[1:], padding_value, dtype=dtype)  # (N, T, *)
    # the real positions, row by row in order, receive the concatenated items: no loop over sequences
    padded[padding_mask(lengths, steps, padding_side=padding_side)] = np.concatenate(arrays)
    return padded, lengths


def padding_mask(lengths: np.ndarray, max_length: int | None = None, *, padding_side: str = "right") -> np.ndarray:
    """Which positions hold real items.

    Args:
        lengths: (N,) ints.
        max_length: T (default max(lengths)).
        padding_side: as in pad_sequences.
    Returns:
        mask: (N, T) bool, True at real positions.
    """
    lengths = np.asarray(lengths)
    steps = int(lengths.max()) if max_length is None else max_length
    positions = np.arange(steps)[None, :]  # (1, T)
    if padding_side == "left":
        return positions >= steps - lengths[:, None]  # (N, T)
    return positions < lengths[:, None]  # (N, T)
