"""Assertions for exercise tests: each failure message teaches (what was expected, what came, where).

The test cells of every exercise import these. They hold their own references to the NumPy functions they use,
taken when this module is first imported (in the exercise's first, locked cell, before any student code runs),
so a solution cell that rebinds ``np.allclose`` or ``np.testing`` cannot make a wrong answer pass.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

_asarray = np.asarray
_isfinite = np.isfinite
_abs = np.abs
_argmax = np.argmax
_unravel = np.unravel_index
_ndarray = np.ndarray
_bool = bool
_float = float
_getprofile, _setprofile = sys.getprofile, sys.setprofile
_PACKAGE = Path(__file__).resolve().parents[1]
# Code a learner may call from an answer: the checks themselves, the datasets, and input validation.
_ALLOWED_DLCOURSE = (str(_PACKAGE / "grading"), str(_PACKAGE / "data"), str(_PACKAGE / "validate.py"))


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


def expect_close(got, expected, *, name: str, rtol: float = 1e-6, atol: float = 1e-8) -> None:
    """Check ``got`` against ``expected`` elementwise: |got - expected| <= atol + rtol * |expected|.

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


def _package_dir(name: str) -> str | None:
    spec = importlib.util.find_spec(name)
    return str(Path(spec.origin).parent) if spec and spec.origin else None


def _is_reference_code(filename: str, forbidden_dirs: tuple[str, ...]) -> bool:
    if filename.startswith(_ALLOWED_DLCOURSE):
        return False
    return filename.startswith(forbidden_dirs)


def _is_forbidden_builtin(function, forbid: tuple[str, ...]) -> bool:
    """A C function of a forbidden package, or a method of one of its objects (``tensor.softmax()``)."""
    owner = getattr(function, "__self__", None)
    modules = (getattr(function, "__module__", None), type(owner).__module__ if owner is not None else None)
    return any(isinstance(m, str) and m.split(".")[0] in forbid for m in modules)


def _builtin_name(function) -> str:
    owner = getattr(function, "__self__", None)
    module = getattr(function, "__module__", None)
    if not isinstance(module, str):
        module = owner.__name__ if isinstance(owner, type(sys)) else type(owner).__module__
    return f"{module}.{getattr(function, '__name__', '?')}"


def calls_reference(fn: Callable, *args, forbid: tuple[str, ...] = ("dlcourse", "torch"), **kwargs):
    """Call ``fn`` and list the functions of forbidden packages it called on the way.

    Exercises ask students to write the math in NumPy; a solution that calls ``dlcourse`` reference code, ``torch``
    (or, when an exercise says so, e.g. ``sklearn``) shows up here, however it imported them. ``dlcourse.grading``
    and ``dlcourse.data`` are allowed. Returns ``(result, names_called)``.
    """
    seen: list[str] = []
    forbidden_dirs = tuple(d for d in map(_package_dir, forbid) if d)

    def watch(frame, event, arg):
        if event == "call" and _is_reference_code(frame.f_code.co_filename, forbidden_dirs):
            seen.append(f"{frame.f_globals.get('__name__', '?')}.{frame.f_code.co_name}")
        elif event == "c_call" and _is_forbidden_builtin(arg, forbid):
            seen.append(_builtin_name(arg))

    previous = _getprofile()
    _setprofile(watch)
    try:
        result = fn(*args, **kwargs)
    finally:
        _setprofile(previous)
    return result, seen


def expect_own_code(fn: Callable, *args, forbid: tuple[str, ...] = ("dlcourse", "torch"), **kwargs):
    """Call ``fn`` and fail if it used a forbidden package (the dlcourse reference, torch, ...); return its result."""
    result, seen = calls_reference(fn, *args, forbid=forbid, **kwargs)
    if seen:
        raise ExerciseError(f"{getattr(fn, '__name__', fn)}: calls the reference implementation ({seen[0]}); "
                            "write it with NumPy yourself")
    return result
