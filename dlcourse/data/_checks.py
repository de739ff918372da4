"""Argument checks shared by the dataset generators and the loader; messages name what was expected and what came."""

from __future__ import annotations

import numpy as np


def check_rng(rng, where: str) -> np.random.Generator:
    """Randomness only through an explicit Generator: raise a TypeError naming what came instead."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{where}: expected rng=np.random.Generator (e.g. np.random.default_rng(0)), "
                        f"got {type(rng).__name__}")
    return rng


def check_nonnegative(value, where: str, name: str) -> float:
    """A real number >= 0 (noise levels, standard deviations)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: expected {name} to be a number, got {type(value).__name__} {value!r}")
    if not value >= 0:
        raise ValueError(f"{where}: expected {name} >= 0, got {value}")
    return float(value)


def split_counts(n_samples: int, n_parts: int) -> np.ndarray:
    """Sizes of ``n_parts`` groups that differ by at most one and sum to ``n_samples``: (n_parts,) ints."""
    return n_samples // n_parts + (np.arange(n_parts) < n_samples % n_parts)
