"""Switching graph recording off: inside ``with no_grad():`` operations on Tensors build no graph."""

from __future__ import annotations


class _GradMode:
    enabled = True


def is_grad_enabled() -> bool:
    """Whether operations on Tensors record a graph now (False inside ``with no_grad():``), as in torch."""
    return _GradMode.enabled


class no_grad:
    """Context manager: operations inside build no graph (for evaluation and parameter updates)."""

    def __enter__(self) -> no_grad:
        self._previous, _GradMode.enabled = _GradMode.enabled, False
        return self

    def __exit__(self, *exc) -> None:
        _GradMode.enabled = self._previous
