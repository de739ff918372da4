"""Experiment tracking with TensorBoard's event files: write scalars during training, read them back anywhere.

``torch.utils.tensorboard.SummaryWriter(log_dir)`` appends records (tag, step, value) to an event file in
``log_dir``; TensorBoard (``tensorboard --logdir runs`` then open http://localhost:6006) draws every run under
``runs/`` side by side. :func:`read_scalars` reads the same files back, so a notebook can plot what TensorBoard would
show without starting a server.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["read_scalars"]


def read_scalars(log_dir: str | Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every scalar series logged under ``log_dir`` (one run's folder).

    Args:
        log_dir: the folder a SummaryWriter wrote to.
    Returns:
        ``{tag: (steps (S,) int64, values (S,) float64)}``, sorted by step.
    """
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    log_dir = Path(log_dir)
    if not log_dir.is_dir() or not any(log_dir.glob("events.out.tfevents.*")):
        raise FileNotFoundError(f"read_scalars: no TensorBoard event file in {log_dir}")
    accumulator = EventAccumulator(str(log_dir), size_guidance={"scalars": 0})  # 0: keep every point
    accumulator.Reload()
    series = {}
    for tag in accumulator.Tags()["scalars"]:
        events = sorted(accumulator.Scalars(tag), key=lambda e: e.step)
        series[tag] = (np.array([e.step for e in events], dtype=np.int64),
                       np.array([e.value for e in events], dtype=np.float64))
    return series
