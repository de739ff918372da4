"""Save a training run and resume it so that it continues exactly as if it had never stopped.

Resuming exactly needs more than the weights: the optimizer's state (momentum buffers, Adam's moments, the step
count), the learning-rate scheduler's position, the random generator that shuffles the data and draws dropout masks,
and the step (or epoch) reached. Leave one out and the resumed run drifts away from the uninterrupted one.
"""

from __future__ import annotations

from pathlib import Path

import torch

__all__ = ["CHECKPOINT_KEYS", "load_checkpoint", "save_checkpoint"]

CHECKPOINT_KEYS = ("model", "optimizer", "scheduler", "generator", "step")


def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """DistributedDataParallel keeps the real model in ``.module``; checkpoints hold the real model's keys, so a
    checkpoint written by a DDP run loads into a plain model and back."""
    return getattr(model, "module", model)


def save_checkpoint(path: str | Path, *, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    scheduler: torch.optim.lr_scheduler.LRScheduler | None, generator: torch.Generator | None,
                    step: int) -> Path:
    """Write everything a run needs to continue to ``path`` (one ``torch.save`` file; parent folders created).

    Args:
        path: file to write, e.g. ``runs/ckpt_step100.pt``.
        model: the model (a DDP wrapper is unwrapped).
        optimizer: its state holds momentum/moment buffers and step counts.
        scheduler: learning-rate scheduler, or None.
        generator: the torch.Generator that drives shuffling and dropout, or None.
        step: optimizer steps taken so far.
    Returns:
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "model": _unwrap(model).state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "generator": None if generator is None else generator.get_state(),
        "step": int(step),
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(state, tmp)
    tmp.replace(path)  # a crash while writing leaves the previous checkpoint intact
    return path


def load_checkpoint(path: str | Path, *, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
                    generator: torch.Generator | None = None) -> int:
    """Restore what ``save_checkpoint`` wrote into freshly built objects; returns the step to continue from.

    Raises:
        FileNotFoundError: naming the missing file.
        KeyError: when the file lacks one of CHECKPOINT_KEYS, or holds a scheduler/generator state the caller did
            not pass an object for (or the other way round).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_checkpoint: no checkpoint at {path}")
    state = torch.load(path, map_location="cpu", weights_only=True)
    missing = [key for key in CHECKPOINT_KEYS if key not in state]
    if missing:
        raise KeyError(f"load_checkpoint: {path} lacks {missing}; expected keys {list(CHECKPOINT_KEYS)}")
    for key, target in (("scheduler", scheduler), ("generator", generator)):
        if (state[key] is None) != (target is None):
            held = "holds" if state[key] is not None else "does not hold"
            raise KeyError(f"load_checkpoint: {path} {held} a {key} state, but {key}={target!r} was passed")
    _unwrap(model).load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    if generator is not None:
        generator.set_state(state["generator"])
    return int(state["step"])
