"""Argument checks for the whole package (layers, losses, optimizers, datasets): every message says what was
expected and what came, and names who is checking (``where``, e.g. ``"Linear.forward"``).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

FLOAT_DTYPES = (np.float32, np.float64)


def as_float_array(x: ArrayLike, where: str, name: str = "input") -> np.ndarray:
    """Return ``x`` as a float32/float64 array, or raise a TypeError that names both dtypes.

    Args:
        x: array-like, any shape.
        where: who is checking, e.g. ``"Linear.forward"``; starts the message.
        name: what the argument is called in the message.
    Returns:
        The same data as an ndarray, float32 or float64 (never copied when it already is one).
    """
    if not isinstance(x, np.ndarray):
        if hasattr(x, "detach") and hasattr(x, "numpy"):
            raise TypeError(f"{where}: expected a NumPy array for {name}, got a torch.Tensor; "
                            "use tensor.detach().cpu().numpy()")
        x = np.asarray(x)
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{where}: expected {name} of dtype float32 or float64, got {x.dtype}; "
                        "convert with x.astype(np.float32)")
    return x


def as_real_array(x: ArrayLike, where: str, name: str = "input") -> np.ndarray:
    """Return ``x`` as a float array: float32/float64 as they are (no copy), integers and bools (raw pixels,
    counts, masks) as float64; raise a TypeError naming the dtype for anything else (complex, strings, objects).

    Args:
        x: array-like, any shape.
        where: who is checking; starts the message.
        name: what the argument is called in the message.
    """
    x = np.asarray(x)
    if x.dtype in FLOAT_DTYPES:
        return x
    if x.dtype.kind in "biu":
        return x.astype(np.float64)
    raise TypeError(f"{where}: expected real numbers (float32, float64, int or bool) for {name}, got dtype {x.dtype}")


def check_ndim(x: np.ndarray, ndims: int | Sequence[int], where: str, layout: str, name: str = "input") -> None:
    """Raise a ValueError when ``x.ndim`` is not one of ``ndims``.

    Args:
        x: the array, any shape.
        ndims: the allowed number of dimensions, one or several.
        where: who is checking; starts the message.
        layout: the expected shape in words, e.g. ``"(N, D)"``.
        name: what the argument is called in the message.
    """
    allowed = (ndims,) if isinstance(ndims, int) else tuple(ndims)
    if x.ndim not in allowed:
        raise ValueError(f"{where}: expected {name} of shape {layout} ({' or '.join(map(str, allowed))}-D), "
                         f"got shape {x.shape} ({x.ndim}-D)")


def check_size(actual: int, expected: int, where: str, what: str, shape: tuple) -> None:
    """Raise a ValueError when one dimension has the wrong size.

    Args:
        actual: the size found.
        expected: the size needed.
        where: who is checking; starts the message.
        what: the dimension in words, e.g. ``"features (in_features)"``.
        shape: the whole shape, for the message.
    """
    if actual != expected:
        raise ValueError(f"{where}: expected {what} = {expected}, got {actual} (input shape {shape})")


def check_same_dtype(x: np.ndarray, reference: np.ndarray, where: str) -> None:
    """Layers compute in their parameters' dtype: mixing float32 and float64 is an error, as in PyTorch.

    Args:
        x: the input, any shape.
        reference: an array of the dtype required (a parameter's data).
        where: who is checking; starts the message.
    """
    if x.dtype != reference.dtype:
        raise TypeError(f"{where}: expected input of dtype {reference.dtype} (the layer's parameters), "
                        f"got {x.dtype}; call module.to({reference.dtype.name}) or x.astype(np.{reference.dtype.name})")


def check_positive_int(value: Any, where: str, name: str, minimum: int = 1) -> int:
    """Raise unless ``value`` is an int >= ``minimum`` (a TypeError for non-ints, bools included); return it.

    Args:
        value: the argument.
        where: who is checking; starts the message.
        name: what the argument is called in the message.
        minimum: the smallest allowed value.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: expected {name} to be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{where}: expected {name} >= {minimum}, got {value}")
    return int(value)


def check_choice(value: Any, choices: Sequence, where: str, name: str) -> Any:
    """Raise a ValueError unless ``value`` is one of ``choices``; return it.

    Args:
        value: the argument.
        choices: the allowed values.
        where: who is checking; starts the message.
        name: what the argument is called in the message.
    """
    if value not in choices:
        raise ValueError(f"{where}: expected {name} to be one of {list(choices)}, got {value!r}")
    return value


def check_same_shape(a: np.ndarray, b: np.ndarray, where: str, names: tuple[str, str] = ("input", "target")) -> None:
    """Raise a ValueError unless two arrays share a shape (losses compare elementwise).

    Args:
        a: any shape.
        b: must have a's shape.
        where: who is checking; starts the message.
        names: what a and b are called in the message.
    """
    if a.shape != b.shape:
        raise ValueError(f"{where}: expected {names[1]} with the same shape as {names[0]} {a.shape}, got {b.shape}")


def check_non_negative(value: Any, where: str, name: str) -> float:
    """Raise unless ``value`` is a real number >= 0 (a TypeError for non-numbers); return it.

    Args:
        value: the argument (lr, momentum, a noise level, a penalty strength, ...).
        where: who is checking; starts the message.
        name: what the argument is called in the message.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: expected {name} to be a number >= 0, got {type(value).__name__} {value!r}")
    if not value >= 0.0:  # written this way so that NaN fails too
        raise ValueError(f"{where}: expected {name} >= 0, got {value}")
    return value


def check_unit_interval(value: Any, where: str, name: str) -> float:
    """Raise unless 0 <= ``value`` < 1 (the range of a decay rate such as Adam's betas); return it.

    Args:
        value: the argument.
        where: who is checking; starts the message.
        name: what the argument is called in the message.
    """
    check_non_negative(value, where, name)
    if not value < 1.0:
        raise ValueError(f"{where}: expected 0 <= {name} < 1, got {value}")
    return value


def check_probability(p: Any, where: str, name: str = "p", what: str = "a probability") -> float:
    """Return ``p`` as a float, or raise unless it is a number in [0, 1].

    Args:
        p: the argument.
        where: who is checking; starts the message.
        name: what the argument is called in the message.
        what: what p is the chance of, for the message.
    """
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{where}: expected {name} to be a float in [0, 1], got {type(p).__name__} {p!r}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{where}: expected {name} ({what}) in [0, 1], got {p}")
    return float(p)


def check_rng(rng: np.random.Generator | None, where: str) -> np.random.Generator:
    """The Generator to draw from: ``rng`` itself, or for None a fresh unseeded one (as torch's default).

    Randomness in dlcourse only comes through such an argument; the library never seeds anything globally, so a
    reproducible result needs a seeded generator, e.g. ``rng=np.random.default_rng(0)``.

    Args:
        rng: an np.random.Generator or None.
        where: who is checking; starts the message.
    Raises:
        TypeError: for anything else (an int seed, the legacy np.random module or RandomState).
    """
    if rng is None:
        return np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{where}: expected rng=np.random.Generator (e.g. np.random.default_rng(0)) or None, "
                        f"got {type(rng).__name__}")
    return rng
