"""Sequences: generated tasks that need memory over a known lag (the adding problem, delayed recall, copying, noisy
sine waves, sequences of random lengths), and batching sequences of different lengths: pad them to one length and
remember the true lengths.

``pad_sequences(seqs)`` gives the same array as
``torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=..., padding_side=...)``, plus the lengths,
from which ``padding_mask`` rebuilds which positions are real (for masked losses, attention and pooling).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

import numpy as np

from dlcourse.validate import check_non_negative, check_rng


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


# ----- generated sequence tasks ------------------------------------------------------------------------------------
# Each task needs memory over a known time lag, so a model's success can be read off against a simple baseline.


def _check_count(value, where: str, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{where}: expected {name} to be an int >= {minimum}, got {value!r}")
    return int(value)


def make_adding_problem(n_samples: int, seq_len: int, *, rng: np.random.Generator
                        ) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter & Schmidhuber, 1997): add the two marked numbers of a long sequence.

    Channel 0 holds numbers drawn from U(0, 1); channel 1 is 1 at two positions (one in each half of the sequence)
    and 0 elsewhere. The target is the sum of the two marked numbers. Predicting the mean (1.0) scores an MSE of
    Var(u1 + u2) = 2/12 ~ 0.167; solving it needs memory reaching back T/2 steps or more.

    Args:
        n_samples: N. seq_len: T >= 2. rng: Generator.
    Returns:
        X: (N, T, 2) float32. y: (N,) float32.
    """
    n_samples = _check_count(n_samples, "make_adding_problem", "n_samples")
    seq_len = _check_count(seq_len, "make_adding_problem", "seq_len", 2)
    rng = check_rng(rng, "make_adding_problem")
    values = rng.random((n_samples, seq_len))  # (N, T)
    half = seq_len // 2
    first = rng.integers(0, half, n_samples)  # one mark in each half
    second = rng.integers(half, seq_len, n_samples)
    marks = np.zeros((n_samples, seq_len))
    rows = np.arange(n_samples)
    marks[rows, first] = marks[rows, second] = 1
    X = np.stack([values, marks], axis=-1).astype(np.float32)  # (N, T, 2)
    y = (values[rows, first] + values[rows, second]).astype(np.float32)
    return X, y


def make_delayed_recall(n_samples: int, seq_len: int, delay: int, *, n_symbols: int = 4,
                        rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Repeat the symbol seen ``delay`` steps ago: target y_t = x_{t - delay}.

    Args:
        n_samples: N. seq_len: T. delay: the lag, 0 <= delay < T. n_symbols: K, symbols are 0..K-1. rng: Generator.
    Returns:
        X: (N, T) int64 symbols. y: (N, T) int64 targets (0 where t < delay). mask: (N, T) bool, False for
        t < delay, where there is nothing to recall yet (leave those positions out of the loss).
    """
    n_samples = _check_count(n_samples, "make_delayed_recall", "n_samples")
    seq_len = _check_count(seq_len, "make_delayed_recall", "seq_len")
    delay = _check_count(delay, "make_delayed_recall", "delay", 0)
    n_symbols = _check_count(n_symbols, "make_delayed_recall", "n_symbols", 2)
    if delay >= seq_len:
        raise ValueError(f"make_delayed_recall: expected delay < seq_len = {seq_len}, got {delay}")
    X = check_rng(rng, "make_delayed_recall").integers(0, n_symbols, (n_samples, seq_len))  # (N, T)
    y = np.zeros_like(X)
    y[:, delay:] = X[:, :seq_len - delay]
    mask = np.broadcast_to(np.arange(seq_len) >= delay, (n_samples, seq_len)).copy()  # (N, T)
    return X.astype(np.int64), y.astype(np.int64), mask


def make_copy_task(n_samples: int, length: int, *, n_symbols: int = 8, rng: np.random.Generator
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Read ``length`` symbols, see a delimiter, then write them back in order.

    Ids: 0 is blank, 1..K are the symbols, K + 1 is the delimiter. The input is the symbols, the delimiter, then
    ``length`` blanks; the target is blank for the first length + 1 steps and then the symbols.

    Args:
        n_samples: N. length: L symbols to copy. n_symbols: K. rng: Generator.
    Returns:
        X: (N, 2L + 1) int64. y: (N, 2L + 1) int64.
    """
    n_samples = _check_count(n_samples, "make_copy_task", "n_samples")
    length = _check_count(length, "make_copy_task", "length")
    n_symbols = _check_count(n_symbols, "make_copy_task", "n_symbols")
    symbols = check_rng(rng, "make_copy_task").integers(1, n_symbols + 1, (n_samples, length))  # (N, L)
    X = np.zeros((n_samples, 2 * length + 1), dtype=np.int64)
    y = np.zeros_like(X)
    X[:, :length] = symbols
    X[:, length] = n_symbols + 1
    y[:, length + 1:] = symbols
    return X, y


def make_sine_waves(n_samples: int, seq_len: int, *, noise: float = 0.1, periods: tuple[float, float] = (10, 40),
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Sine waves of random period, phase and amplitude, plus Gaussian noise: a forecasting task.

    x_t = A sin(2 pi t / P + phi) + noise * e_t with P ~ U(periods), phi ~ U(0, 2 pi), A ~ U(0.5, 1.5), e_t ~ N(0, 1).

    Args:
        n_samples: N. seq_len: T. noise: the noise's standard deviation. periods: (low, high) period in steps.
        rng: Generator.
    Returns:
        noisy: (N, T) float32, what a model sees. clean: (N, T) float32, the waves without noise.
    """
    n_samples = _check_count(n_samples, "make_sine_waves", "n_samples")
    seq_len = _check_count(seq_len, "make_sine_waves", "seq_len")
    noise = check_non_negative(noise, "make_sine_waves", "noise")
    if not 0 < periods[0] <= periods[1]:
        raise ValueError(f"make_sine_waves: expected periods (low, high) with 0 < low <= high, got {periods}")
    rng = check_rng(rng, "make_sine_waves")
    period = rng.uniform(*periods, (n_samples, 1))
    phase = rng.uniform(0, 2 * np.pi, (n_samples, 1))
    amplitude = rng.uniform(0.5, 1.5, (n_samples, 1))
    clean = amplitude * np.sin(2 * np.pi * np.arange(seq_len) / period + phase)  # (N, T)
    noisy = clean + noise * rng.standard_normal(clean.shape)
    return noisy.astype(np.float32), clean.astype(np.float32)


def make_variable_length(n_samples: int, *, min_length: int, max_length: int, n_features: int = 1,
                         rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
    """Sequences of random lengths (for padding, masking and packing), with the sum of channel 0 as a target.

    Args:
        n_samples: N. min_length, max_length: each length is drawn uniformly from [min_length, max_length].
        n_features: D. rng: Generator.
    Returns:
        sequences: N float32 arrays of shape (L_i, D). y: (N,) float32, the sum of each sequence's channel 0.
    """
    n_samples = _check_count(n_samples, "make_variable_length", "n_samples")
    min_length = _check_count(min_length, "make_variable_length", "min_length")
    max_length = _check_count(max_length, "make_variable_length", "max_length", min_length)
    n_features = _check_count(n_features, "make_variable_length", "n_features")
    rng = check_rng(rng, "make_variable_length")
    lengths = rng.integers(min_length, max_length + 1, n_samples)
    sequences = [rng.standard_normal((length, n_features)).astype(np.float32) for length in lengths]
    y = np.array([seq[:, 0].sum() for seq in sequences], dtype=np.float32)
    return sequences, y
