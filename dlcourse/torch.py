"""Helpers for the PyTorch half of every chapter: the device, seeding, a training loop, and NumPy <-> torch bridges.

Inside this module ``torch`` is the real PyTorch. ``fit`` runs the same epochs as ``dlcourse.training.fit`` (the same
History, EarlyStopping, metrics and NaN guard), so the NumPy network and its torch twin train alike::

    dev = dlcourse.torch.device()            # cuda when there is a GPU, else the CPU (said once)
    history = dlcourse.torch.fit(model, torch.nn.CrossEntropyLoss(), optimizer, train_loader, epochs=10)
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from numpy.typing import ArrayLike

from dlcourse.training import EarlyStopping, History, Stepper, evaluate_with, predict_with, run_epochs

if TYPE_CHECKING:  # names used only in annotations
    from dlcourse.nn.module import Module

__all__ = ["choose_device", "copy_weights_from_torch", "copy_weights_to_torch", "device", "evaluate", "fit",
           "from_numpy", "predict", "seed_everything", "to_numpy"]

ENV_VAR = "DLCOURSE_DEVICE"
_announced: set[str] = set()  # devices already named to the user in this process


def choose_device(prefer: str | torch.device | None = None) -> tuple[torch.device, str]:
    """(the device ``device(prefer)`` would use, the sentence that explains the choice); prints nothing.

    Args:
        prefer: as for ``device``.
    """
    forced = os.environ.get(ENV_VAR, "").strip()
    wanted = forced or prefer
    if wanted is None:
        if torch.cuda.is_available():
            return torch.device("cuda"), f"dlcourse: using cuda ({torch.cuda.get_device_name(0)})"
        return torch.device("cpu"), "dlcourse: no CUDA GPU found, using the CPU"
    try:
        chosen = torch.device(wanted)
    except (RuntimeError, TypeError) as error:
        source = f"{ENV_VAR}={forced!r}" if forced else f"prefer={prefer!r}"
        raise ValueError(f"device: expected 'cpu', 'cuda' or 'cuda:<index>', got {source}") from error
    because = f" ({ENV_VAR}={forced})" if forced else ""
    if chosen.type == "cuda":
        if not torch.cuda.is_available():
            message = f"dlcourse: {chosen} was asked for{because} but no CUDA GPU found, using the CPU"
            return torch.device("cpu"), message
        index = chosen.index if chosen.index is not None else 0
        return chosen, f"dlcourse: using {chosen} ({torch.cuda.get_device_name(index)}){because}"
    return chosen, f"dlcourse: using the {'CPU' if chosen.type == 'cpu' else chosen}{because}"


def device(prefer: str | torch.device | None = None) -> torch.device:
    """The device the chapters compute on: cuda when a GPU is available, else the CPU.

    The first call in a process prints one line saying which (later calls that give the same device are silent).
    The environment variable DLCOURSE_DEVICE (e.g. ``DLCOURSE_DEVICE=cpu``) overrides both ``prefer`` and the
    automatic choice, so a learner can force the CPU without editing a notebook.

    Args:
        prefer: None for the automatic choice, or "cpu", "cuda", "cuda:1", a torch.device. Asking for cuda on a
            machine without one falls back to the CPU (and says so).
    """
    chosen, message = choose_device(prefer)
    if str(chosen) not in _announced:
        _announced.add(str(chosen))
        print(message)
    return chosen


def _resolve(requested: str | torch.device | None) -> torch.device:
    """``device()`` (announced once) when nothing was asked for, else exactly what was asked for."""
    return device() if requested is None else torch.device(requested)


def seed_everything(seed: int, *, deterministic: bool = True) -> np.random.Generator:
    """Seed every random number generator a notebook may touch, so that two runs print the same numbers.

    Seeds Python's ``random``, NumPy's legacy global generator (only because torch code and third-party libraries
    still draw from it: the dlcourse library itself never uses global randomness, it takes an explicit ``rng``),
    and torch on the CPU and every GPU. With ``deterministic`` and a GPU, also asks torch for deterministic
    algorithms (``warn_only``: an op without one warns instead of failing) and turns off cuDNN's autotuner. On a
    CPU-only machine that step is skipped: torch's CPU kernels are already deterministic, and the switch would
    import torch's compiler stack, seconds of start-up for every notebook.

    Returns:
        ``np.random.default_rng(seed)``: the Generator to pass as ``rng=`` to dlcourse.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed_everything: expected a non-negative int seed, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)  # legacy global state, for code outside dlcourse
    torch.manual_seed(seed)  # seeds the CPU and every GPU
    if deterministic and torch.cuda.is_available():
        # cuBLAS needs this workspace setting to be deterministic; it only takes effect before cuBLAS starts
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    return np.random.default_rng(seed)


def to_numpy(x: torch.Tensor) -> np.ndarray:
    """A tensor (any device, with or without grad) as a NumPy array; NumPy input passes through.

    Args:
        x: a tensor of any shape, or a NumPy array.
    """
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.dtype in (torch.bfloat16, torch.float16):  # NumPy has no bfloat16; widen both half types alike
            x = x.float()
        return x.cpu().numpy()
    return np.asarray(x)


def from_numpy(array: ArrayLike, *, device: str | torch.device | None = None, dtype: torch.dtype | None = None
               ) -> torch.Tensor:
    """A NumPy array as a tensor on ``device`` (the CPU by default), keeping its dtype unless ``dtype`` is given."""
    tensor = torch.as_tensor(np.asarray(array))
    return tensor.to(device=device, dtype=dtype) if device is not None or dtype is not None else tensor


def _model_device_and_dtype(model: torch.nn.Module) -> tuple[torch.device, torch.dtype]:
    for param in model.parameters():
        if param.is_floating_point():
            return param.device, param.dtype
    return torch.device("cpu"), torch.get_default_dtype()


class TorchStepper(Stepper):
    """Runs one batch of a torch model on ``device``. NumPy batches become tensors there: floating point in the
    model's dtype, integers as int64 (class indices for CrossEntropyLoss); tensors only move.

    Args:
        model: a torch.nn.Module.
        loss_fn: e.g. torch.nn.CrossEntropyLoss(), or None to predict only.
        optimizer: a torch.optim optimizer, or None to evaluate only.
        device: where to compute (default: where the model's parameters are).
    """

    def __init__(self, model: torch.nn.Module, loss_fn: Callable | None = None,
                 optimizer: torch.optim.Optimizer | None = None, *, device: torch.device | None = None):
        super().__init__(model, loss_fn, optimizer)
        model_device, self.dtype = _model_device_and_dtype(model)
        self.device = model_device if device is None else torch.device(device)
        self._loss: torch.Tensor | None = None

    def move(self, x: torch.Tensor) -> torch.Tensor:
        """A batch x (N, ...), NumPy or tensor, as a tensor on ``device`` (see the class docstring for dtypes)."""
        if isinstance(x, torch.Tensor):
            return x.to(self.device, non_blocking=True)
        array = np.asarray(x)
        dtype = self.dtype if np.issubdtype(array.dtype, np.floating) else None
        if np.issubdtype(array.dtype, np.integer):
            dtype = torch.int64
        return from_numpy(array, device=self.device, dtype=dtype)

    def forward(self, xb: torch.Tensor, yb: torch.Tensor, training: bool) -> tuple[float, torch.Tensor]:
        xb, yb = self.move(xb), self.move(yb)
        with torch.set_grad_enabled(training):
            output = self.model(xb)
            if isinstance(output, torch.Tensor) and output.is_floating_point() and not torch.isfinite(output).all():
                return float("nan"), output  # diverged; some losses would fail on NaN before the guard saw it
            loss = self.loss_fn(output, yb)
        if loss.ndim != 0:
            raise ValueError(f"fit: expected loss_fn to return a scalar (reduction='mean' or 'sum'), got shape "
                             f"{tuple(loss.shape)}")
        self._loss = loss
        return loss.item(), output

    def update(self) -> None:
        self.optimizer.zero_grad()
        self._loss.backward()
        self.optimizer.step()
        self._loss = None  # frees the graph before the next batch

    def predict_batch(self, xb: torch.Tensor) -> np.ndarray:
        """The model's output for one batch xb (N, ...), as NumPy, without gradients."""
        with torch.no_grad():
            return to_numpy(self.model(self.move(xb)))

    def to_numpy(self, x: torch.Tensor) -> np.ndarray:
        return to_numpy(x)

    def snapshot(self) -> dict:
        return {key: value.detach().clone() for key, value in self.model.state_dict().items()}

    def restore(self, state: dict) -> None:
        """Load weights saved by ``snapshot`` (state: a state_dict)."""
        self.model.load_state_dict(state)


def fit(model: torch.nn.Module, loss_fn: Callable, optimizer: torch.optim.Optimizer, train_loader: Iterable, *,
        epochs: int, val_loader: Iterable | None = None, device: str | torch.device | None = None,
        metrics: Sequence[str | Callable] | dict | None = None, early_stopping: EarlyStopping | None = None,
        progress: bool = True, scheduler: Any | None = None) -> History:
    """Train a torch model: per batch forward, loss, ``zero_grad``, ``backward``, ``step``; validate each epoch.

    Args:
        model: a torch.nn.Module; it is moved to ``device`` in place (the optimizer keeps working, since moving keeps
            the same Parameter objects).
        loss_fn: e.g. torch.nn.CrossEntropyLoss(), returning a scalar.
        optimizer: a torch.optim optimizer over ``model.parameters()``.
        train_loader: an iterable of (xb, yb): a torch DataLoader, or dlcourse's NumPy DataLoader (NumPy batches are
            converted, see TorchStepper), xb (N, ...), yb (N,) or (N, ...).
        val_loader: the same for validation, iterated after each epoch, or None.
        epochs: the number of passes.
        device: None for ``device()`` (cuda when available).
        metrics: None, ["accuracy"], or {name: function(target, output) -> float} on NumPy arrays, so the same metric
            functions serve the NumPy loop.
        early_stopping: an EarlyStopping, or None.
        progress: show a tqdm progress bar (False prints nothing).
        scheduler: a torch.optim.lr_scheduler, stepped once per epoch (ReduceLROnPlateau gets the monitored value).
    Returns:
        A History: "loss", "val_loss", each metric and "val_" + metric, "lr", one value per epoch.
    Raises:
        TrainingDiverged: at the first NaN or infinite loss, naming the epoch and the batch.
    """
    chosen = _resolve(device)
    model.to(chosen)
    stepper = TorchStepper(model, loss_fn, optimizer, device=chosen)
    return run_epochs(stepper, train_loader, epochs=epochs, val_loader=val_loader, metrics=metrics,
                      early_stopping=early_stopping, progress=progress, scheduler=scheduler)


def evaluate(model: torch.nn.Module, loader: Iterable, loss_fn: Callable,
             metrics: Sequence[str | Callable] | dict | None = None) -> dict[str, float]:
    """Mean loss and metrics of a torch model over ``loader``, in eval mode and without gradients, on the model's
    device.

    Args:
        model: a torch.nn.Module.
        loader: an iterable of (xb, yb) batches (torch or NumPy), xb (N, ...) and yb (N,) or (N, ...).
        loss_fn: e.g. torch.nn.CrossEntropyLoss(), returning a scalar.
        metrics: None, ["accuracy"], or {name: function(target, output) -> float} on NumPy arrays.
    Returns:
        {"loss": ..., one float per metric}.
    """
    return evaluate_with(TorchStepper(model, loss_fn), loader, metrics)


def predict(model: torch.nn.Module, X: ArrayLike, batch_size: int = 256) -> np.ndarray:
    """Outputs of a torch model, batch by batch in eval mode.

    Args:
        model: a torch.nn.Module.
        X: (N, ...) inputs, NumPy or a tensor.
        batch_size: rows per forward pass.
    Returns:
        (N, ...) outputs as a NumPy array.
    """
    return predict_with(TorchStepper(model), X, batch_size)


def _torch_state_for(np_state: dict, torch_state: dict, where: str) -> dict:
    """Torch's keys, except the BatchNorm counter ``num_batches_tracked`` when the NumPy module has none."""
    keys = [k for k in torch_state if k in np_state or not k.endswith("num_batches_tracked")]
    missing, unexpected = sorted(set(keys) - set(np_state)), sorted(set(np_state) - set(keys))
    if missing or unexpected:
        raise KeyError(f"{where}: the two modules differ: keys only in torch {missing}, only in NumPy {unexpected}")
    return {key: torch_state[key] for key in keys}


def copy_weights_to_torch(np_module: Module, torch_module: torch.nn.Module) -> None:
    """Copy every parameter and buffer of a dlcourse.nn module into its torch twin (same keys and shapes), cast to
    the torch module's dtypes and device.

    Args:
        np_module: the dlcourse.nn module to read.
        torch_module: the torch module to write.
    """
    np_state = np_module.state_dict()
    targets = _torch_state_for(np_state, torch_module.state_dict(), "copy_weights_to_torch")
    with torch.no_grad():
        for key, target in targets.items():
            value = np.asarray(np_state[key])
            if tuple(value.shape) != tuple(target.shape):
                raise ValueError(f"copy_weights_to_torch: expected {key} of shape {tuple(target.shape)}, "
                                 f"got {value.shape}")
            target.copy_(torch.as_tensor(value))


def copy_weights_from_torch(torch_module: torch.nn.Module, np_module: Module) -> None:
    """Copy every parameter and buffer of a torch module into its dlcourse.nn twin (same keys and shapes), cast to
    the NumPy module's dtypes.

    Args:
        torch_module: the torch module to read.
        np_module: the dlcourse.nn module to write.
    """
    np_state = np_module.state_dict()
    sources = _torch_state_for(np_state, torch_module.state_dict(), "copy_weights_from_torch")
    np_module.load_state_dict({key: to_numpy(value) for key, value in sources.items()})
