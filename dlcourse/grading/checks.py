"""Assertions for exercise tests: each failure message teaches (what was expected, what came, where).

The test cells of every exercise import these. When grading, test cells run in the grader's own process (see
runner.py), where no student code runs; in a learner's notebook they are a teaching aid. They keep their own
references to the NumPy functions they use, taken at import, so rebinding ``np.allclose`` later changes nothing.
"""

from __future__ import annotations

import numpy as np

_asarray = np.asarray
_isfinite = np.isfinite
_abs = np.abs
_argmax = np.argmax
_unravel = np.unravel_index
_ndarray = np.ndarray
_bool = bool
_float = float


class ExerciseError(AssertionError):
    """A test of an exercise failed; the message says why and how to look."""


def expect_array(got, *, name: str, shape: tuple | None = None) -> np.ndarray:
    """Check that ``got`` is a NumPy array (of ``shape`` when given) and return it."""
    if got is None:
        raise ExerciseError(f"{name}: returned None; did you forget `return`?")
    if not isinstance(got, _ndarray):
        raise ExerciseError(f"{name}: expected a NumPy array, got {type(got).__name__}")
    if shape is not None and tuple(got.shape) != tuple(shape):
        raise ExerciseError(f"{name}: expected shape {tuple(shape)}, got {tuple(got.shape)}")
    return got


def expect_close(got, expected, *, name: str, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Check ``got`` against ``expected`` elementwise: |got - expected| <= atol + rtol * |expected|.

    The default tolerances accept an honest computation in float32 or in another order of operations.

    Args:
        got: what the student's code returned (array or scalar).
        expected: the right answer, same shape.
        name: how the message refers to the value, e.g. ``"sigmoid(x)"``.
    """
    expected = _asarray(expected)
    if expected.ndim == 0 and not isinstance(got, _ndarray):
        try:
            got = _asarray(_float(got))
        except (TypeError, ValueError):
            raise ExerciseError(f"{name}: expected a number, got {type(got).__name__} {got!r}") from None
    got = expect_array(got, name=name, shape=expected.shape)
    if not _bool(_isfinite(got).all()):
        raise ExerciseError(f"{name}: contains NaN or inf at {_first_bad(~_isfinite(got))}")
    error = _abs(got.astype(np.float64) - expected)
    allowed = atol + rtol * _abs(expected)
    if _bool((error > allowed).any()):
        where = _unravel(_argmax(error - allowed), error.shape) if error.ndim else ()
        raise ExerciseError(f"{name}: wrong value at index {tuple(int(i) for i in where)}: "
                            f"expected {_show(expected[where])}, got {_show(got[where])} "
                            f"(largest difference {error.max():.3g})")


def expect_equal(got, expected, *, name: str) -> None:
    """Check exact equality (integers, labels, booleans), with the first differing index in the message."""
    expected = _asarray(expected)
    got = expect_array(_asarray(got) if not isinstance(got, _ndarray) and got is not None else got,
                       name=name, shape=expected.shape)
    differs = got != expected
    if _bool(_asarray(differs).any()):
        where = _first_bad(differs)
        raise ExerciseError(f"{name}: wrong value at index {where}: expected {_show(expected[where])}, "
                            f"got {_show(got[where])}")


def expect_true(condition, message: str) -> None:
    """Fail with ``message`` unless ``condition`` holds."""
    if not _bool(condition):
        raise ExerciseError(message)


def _show(value) -> str:
    return repr(value.item() if hasattr(value, "item") else value)


def _first_bad(mask) -> tuple:
    mask = _asarray(mask)
    if mask.ndim == 0:
        return ()
    return tuple(int(i) for i in _unravel(_argmax(mask), mask.shape))
