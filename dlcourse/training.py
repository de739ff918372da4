"""The training loop for dlcourse.nn models, and the parts it shares with ``dlcourse.torch.fit``.

One epoch is the loop every chapter first writes by hand::

    for xb, yb in train_loader:
        output = model(xb)                      # forward
        loss = loss_fn(output, yb)              # a scalar
        optimizer.zero_grad()                   # grads accumulate (+=), so clear them first
        model.backward(loss_fn.backward())      # d loss / d every parameter
        optimizer.step()                        # update

Two optional hooks of ``fit`` put extra work at the two places a loop may need it: ``after_backward()`` runs between
``model.backward`` and ``optimizer.step`` (gradient clipping goes there: it changes the gradients the step uses) and
``after_step()`` runs after ``optimizer.step`` (a proximal step such as L1's soft-thresholding goes there: it changes
the weights the step produced).

``fit`` runs it for ``epochs`` epochs and adds what a real run needs: a progress bar, validation, metrics, a
``History``, ``EarlyStopping``, a learning-rate scheduler, and a guard that stops at the first NaN or infinite loss
with a ``TrainingDiverged`` saying where it happened and what usually causes it. ``dlcourse.torch.fit`` runs the
very same epochs (``run_epochs``) with a torch ``Stepper``, so both loops behave alike.

Metrics are functions ``metric(target, output) -> float`` of NumPy arrays, target first as in ``dlcourse.metrics``,
called once per epoch with the loader's targets for the whole epoch, (N,) or (N, K), and the model's raw outputs,
(N, K) or (N,): ``{"f1": lambda y, out: dlcourse.metrics.f1_score(y, out.argmax(axis=1))}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from tqdm.auto import tqdm

from dlcourse.history import EarlyStopping, History
from dlcourse.validate import check_positive_int

if TYPE_CHECKING:  # names used only in annotations
    from dlcourse.nn.module import Module
    from dlcourse.optim.optimizer import Optimizer

Metric = Callable[[np.ndarray, np.ndarray], float]

_CAUSES = ("Likely causes: (1) the learning rate is too high{lr}: try one 10 times smaller; "
           "(2) the inputs are not normalised: standardise X to mean 0 and std 1; "
           "(3) a log of zero or a division by zero: compute the loss from logits (CrossEntropyLoss, "
           "BCEWithLogitsLoss) rather than from log(probabilities), or add a small eps.")


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite. ``epoch`` and ``batch`` count from 1; ``history`` holds the epochs done.

    Args:
        message: what happened and what to try.
        epoch: the epoch of the bad loss.
        batch: the batch of the bad loss.
        loss: the bad value.
    """

    def __init__(self, message: str, *, epoch: int | None = None, batch: int | None = None,
                 loss: float | None = None):
        super().__init__(message)
        self.epoch, self.batch, self.loss = epoch, batch, loss
        self.history: History | None = None


def _diverged(where: str, phase: str, loss: float, epoch: int, epochs: int, batch: int, num_batches: int | None,
              previous: float | None, lr: float | None) -> TrainingDiverged:
    of_batches = f" of {num_batches}" if num_batches else ""
    before = f" (the batch before gave {previous:.4g})" if previous is not None else ""
    message = (f"{where}: the {phase} loss became {loss} at epoch {epoch} of {epochs}, batch {batch}{of_batches}"
               f"{before}. Training stopped, because one non-finite loss turns every weight into NaN. "
               + _CAUSES.format(lr=f" (lr = {lr:g})" if lr is not None else ""))
    return TrainingDiverged(message, epoch=epoch, batch=batch, loss=loss)


def accuracy_from_logits(target: np.ndarray, output: np.ndarray) -> float:
    """Fraction of samples classified correctly, read from raw model outputs (target first, as dlcourse.metrics).

    Args:
        target: (N,) class indices, or (N, K) one-hot, when ``output`` is (N, K); (N,) or (N, 1) zeros and ones when
            ``output`` has one logit per sample.
        output: (N, K) with K >= 2, one score per class (the prediction is the argmax); or (N,) / (N, 1), one logit
            per sample (the prediction is class 1 when the logit is > 0, as for BCEWithLogitsLoss).
    Returns:
        A float in [0, 1].
    """
    target, output = np.asarray(target), np.asarray(output)
    if output.ndim == 2 and output.shape[1] > 1:
        predicted = output.argmax(axis=1)
        target = target.argmax(axis=1) if target.shape == output.shape else target.reshape(-1)
    elif output.ndim == 1 or (output.ndim == 2 and output.shape[1] == 1):
        predicted, target = output.reshape(-1) > 0, target.reshape(-1) > 0.5
    else:
        raise ValueError(f"accuracy_from_logits: expected output of shape (N, K) or (N,), got {output.shape}")
    if target.shape != predicted.shape:
        raise ValueError(f"accuracy_from_logits: expected {predicted.shape[0]} targets for output of shape "
                         f"{output.shape}, got target of shape {target.shape}")
    return float(np.mean(predicted == target))


KNOWN_METRICS: dict[str, Metric] = {"accuracy": accuracy_from_logits}


class Stepper:
    """How to run one batch of a NumPy dlcourse.nn model; ``dlcourse.torch`` subclasses it for torch models.

    Args:
        model: a dlcourse.nn.Module.
        loss_fn: a loss module (``loss_fn(output, target)``, then ``loss_fn.backward()``).
        optimizer: anything with ``zero_grad()`` and ``step()``; None to evaluate only.
        after_backward: None, or a function of no arguments called between backward and the optimizer step.
        after_step: None, or a function of no arguments called after the optimizer step.
    """

    def __init__(self, model: Module, loss_fn: Module | None = None, optimizer: Optimizer | None = None, *,
                 after_backward: Callable[[], object] | None = None, after_step: Callable[[], object] | None = None):
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.after_backward, self.after_step = after_backward, after_step

    def forward(self, xb: np.ndarray, yb: np.ndarray, training: bool) -> tuple[float, object]:
        """The model and the loss on one batch: returns (the loss as a float, the model's output)."""
        output = self.model(xb)
        if not np.all(np.isfinite(output)):  # diverged already: BCELoss would reject NaNs before the guard saw them
            return float("nan"), output
        return _scalar(self.loss_fn(output, yb)), output

    def update(self) -> None:
        """Backward through the loss and the model from the last ``forward``, then one optimizer step."""
        self.optimizer.zero_grad()
        self.model.backward(self.loss_fn.backward())
        if self.after_backward is not None:  # e.g. clip the gradients the step is about to use
            self.after_backward()
        self.optimizer.step()
        if self.after_step is not None:  # e.g. a proximal step on the weights the step produced
            self.after_step()

    def predict_batch(self, xb: np.ndarray) -> np.ndarray:
        """The model's output for one batch xb (N, ...), as NumPy."""
        return self.to_numpy(self.model(xb))

    def to_numpy(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x)

    def snapshot(self) -> dict:
        return self.model.state_dict()  # dlcourse's state_dict already copies

    def restore(self, state: dict) -> None:
        """Load weights saved by ``snapshot`` (state: a state_dict)."""
        self.model.load_state_dict(state)


def _scalar(loss) -> float:
    size = getattr(loss, "shape", ())
    if len(size) != 0:
        raise ValueError(f"fit: expected loss_fn to return a scalar (reduction='mean' or 'sum'), got shape "
                         f"{tuple(size)}")
    return float(loss)


def resolve_metrics(metrics: Sequence[str | Callable] | dict | None, where: str) -> dict[str, Metric]:
    """Accept None, {name: function(target, output)}, or names of known metrics ("accuracy"); return a dict.

    Args:
        metrics: None, a dict {name: function(target, output) -> float}, or a list of names and functions.
        where: the caller's name, for error messages.
    """
    if metrics is None:
        return {}
    if isinstance(metrics, str):
        metrics = [metrics]
    if not isinstance(metrics, Mapping):
        unknown = [name for name in metrics if name not in KNOWN_METRICS]
        if unknown:
            raise ValueError(f"{where}: expected metric names among {sorted(KNOWN_METRICS)} (or a dict "
                             f"{{name: function(target, output)}}), got {unknown}")
        metrics = {name: KNOWN_METRICS[name] for name in metrics}
    for name, function in metrics.items():
        if not callable(function):
            raise TypeError(f"{where}: expected metric {name!r} to be a function(target, output) -> float, "
                            f"got {type(function).__name__}")
        if name in ("loss", "lr") or name.startswith("val_"):
            raise ValueError(f"{where}: expected a metric name other than 'loss', 'lr' or 'val_...', got {name!r}")
    return dict(metrics)


def _num_batches(loader) -> int | None:
    try:
        return len(loader)
    except TypeError:  # a generator has no length: the progress bar then counts without a total
        return None


def _current_lr(optimizer) -> float | None:
    groups = getattr(optimizer, "param_groups", None)
    return float(groups[0]["lr"]) if groups else None


def run_pass(stepper: Stepper, loader: Iterable, metrics: Mapping[str, Metric], *, training: bool,
             on_batch: Callable[[float], None] | None = None, where: str = "fit", epoch: int = 1,
             epochs: int = 1) -> dict[str, float]:
    """One pass over ``loader``: train on every batch (``training``) or only evaluate.

    Args:
        stepper: runs one batch of the model.
        loader: an iterable of (xb, yb) batches, xb (N, ...) and yb (N, ...).
        metrics: {name: function(target, output) -> float}, from resolve_metrics.
        training: whether to update the weights.
        on_batch: called with each batch's loss (the progress bar), or None.
        where: the caller's name, for error messages.
        epoch: the epoch this pass belongs to, for error messages.
        epochs: the number of epochs, for error messages.
    Returns:
        {"loss": mean loss per sample, then one entry per metric}. Batch losses are weighted by batch size, which
        gives the whole-set mean for reduction='mean'; a training pass averages losses taken while the weights move.
    Raises:
        TrainingDiverged: at the first NaN or infinite loss, naming the epoch and the batch.
    """
    total, count, previous, outputs, targets = 0.0, 0, None, [], []
    for batch, (xb, yb) in enumerate(loader, start=1):
        loss, output = stepper.forward(xb, yb, training)
        if not np.isfinite(loss):
            raise _diverged(where, "training" if training else "validation", loss, epoch, epochs, batch,
                            _num_batches(loader), previous, _current_lr(stepper.optimizer))
        if training:
            stepper.update()
        n = int(yb.shape[0]) if len(getattr(yb, "shape", ())) else 1
        total, count, previous = total + loss * n, count + n, loss
        if metrics:
            outputs.append(stepper.to_numpy(output))
            targets.append(stepper.to_numpy(yb))
        if on_batch is not None:
            on_batch(total / count)
    if count == 0:
        raise ValueError(f"{where}: expected the loader to yield (inputs, targets) batches, got none")
    result = {"loss": total / count}
    if metrics:
        all_outputs, all_targets = np.concatenate(outputs), np.concatenate(targets)
        result.update({name: float(function(all_targets, all_outputs)) for name, function in metrics.items()})
    return result


def _check_monitor(early_stopping: EarlyStopping | None, metrics: Mapping, has_val: bool, where: str) -> str:
    """The History key that decides the best epoch; fails early when early stopping watches a missing key."""
    keys = ["loss", *metrics] + (["val_loss", *("val_" + m for m in metrics)] if has_val else [])
    if early_stopping is None:
        return "val_loss" if has_val else "loss"
    if early_stopping.monitor not in keys:
        hint = "; pass a val_loader or EarlyStopping(monitor='loss')" if not has_val else ""
        raise ValueError(f"{where}: expected EarlyStopping(monitor=...) to be one of {keys}, "
                         f"got {early_stopping.monitor!r}{hint}")
    return early_stopping.monitor


def _step_scheduler(scheduler, value: float) -> None:
    if scheduler is None:
        return
    if any(cls.__name__ == "ReduceLROnPlateau" for cls in type(scheduler).__mro__):
        scheduler.step(value)  # it needs the monitored value; every other scheduler just counts epochs
    else:
        scheduler.step()


def run_epochs(stepper: Stepper, train_loader: Iterable, *, epochs: int, val_loader: Iterable | None = None,
               metrics: Sequence[str | Callable] | dict | None = None, early_stopping: EarlyStopping | None = None,
               progress: bool = True, scheduler: Any | None = None, where: str = "fit") -> History:
    """The epochs both fit functions run: train, validate, record, schedule, maybe stop.

    Args:
        stepper: runs one batch of the model (Stepper, or TorchStepper for torch models).
        train_loader: as in ``fit``.
        epochs: as in ``fit``.
        val_loader: as in ``fit``.
        metrics: as in ``fit``.
        early_stopping: as in ``fit``.
        progress: as in ``fit``.
        scheduler: as in ``fit``.
        where: the caller's name, for error messages.
    Returns:
        A History, as ``fit``.
    """
    epochs = check_positive_int(epochs, where, "epochs")
    metrics = resolve_metrics(metrics, where)
    monitor = _check_monitor(early_stopping, metrics, val_loader is not None, where)
    history = History(monitor, early_stopping.mode if early_stopping else "min")
    if early_stopping is not None:
        early_stopping.reset()
    per_epoch = _num_batches(train_loader)
    bar = tqdm(total=per_epoch * epochs if per_epoch else None, disable=not progress, unit="batch",
               desc=f"epoch 1/{epochs}")
    was_training = stepper.model.training
    try:
        for epoch in range(1, epochs + 1):
            bar.set_description(f"epoch {epoch}/{epochs}")
            lr = _current_lr(stepper.optimizer)
            stepper.model.train()
            row = run_pass(stepper, train_loader, metrics, training=True, where=where, epoch=epoch, epochs=epochs,
                           on_batch=lambda mean: (bar.update(), bar.set_postfix(loss=f"{mean:.4g}", refresh=False)))
            if val_loader is not None:
                stepper.model.eval()
                val = run_pass(stepper, val_loader, metrics, training=False, where=where, epoch=epoch, epochs=epochs)
                row.update({"val_" + key: value for key, value in val.items()})
            history.append(epoch, {**row, "lr": lr} if lr is not None else row)
            bar.set_postfix({key: f"{value:.4g}" for key, value in row.items()})
            _step_scheduler(scheduler, row[monitor])
            if early_stopping is not None and early_stopping.update(row[monitor], epoch, stepper.snapshot):
                history.stopped_epoch = epoch
                break
    except TrainingDiverged as error:
        error.history = history
        raise
    finally:
        bar.close()
        stepper.model.train(was_training)
    _finish_early_stopping(stepper, early_stopping, history, progress)
    return history


def _finish_early_stopping(stepper: Stepper, early_stopping: EarlyStopping | None, history: History,
                           progress: bool) -> None:
    if early_stopping is None or early_stopping.best_epoch is None:
        return
    if early_stopping.restore_best and early_stopping.best_state is not None:
        stepper.restore(early_stopping.best_state)
        history.restored_epoch = early_stopping.best_epoch
    if progress and history.stopped_epoch is not None:
        restored = " (weights restored)" if history.restored_epoch else ""
        tqdm.write(f"early stopping at epoch {history.stopped_epoch}: {early_stopping.monitor} did not improve for "
                   f"{early_stopping.patience} epochs; best {early_stopping.best:.4g} at epoch "
                   f"{early_stopping.best_epoch}{restored}")


def fit(model: Module, loss_fn: Module, optimizer: Optimizer, train_loader: Iterable, *, epochs: int,
        val_loader: Iterable | None = None, metrics: Sequence[str | Callable] | dict | None = None,
        early_stopping: EarlyStopping | None = None, progress: bool = True, scheduler: Any | None = None,
        after_backward: Callable[[], object] | None = None, after_step: Callable[[], object] | None = None) -> History:
    """Train a dlcourse.nn model with the loop in the module docstring.

    Args:
        model: a dlcourse.nn.Module, (N, ...) -> (N, ...) outputs.
        loss_fn: a dlcourse.nn loss returning a scalar.
        optimizer: a dlcourse.optim optimizer over ``model.parameters()``.
        train_loader: an iterable of (xb, yb) NumPy batches, xb (N, ...) and yb (N, ...), iterated once per epoch
            (shuffle it).
        val_loader: the same for validation, iterated after each epoch, or None.
        epochs: the number of passes.
        metrics: None, ["accuracy"], or {name: function(target, output) -> float}.
        early_stopping: an EarlyStopping, or None to run every epoch.
        progress: show a tqdm progress bar (False prints nothing).
        scheduler: stepped once per epoch.
        after_backward: None, or a function of no arguments run after every backward, before the step
            (``lambda: nn.clip_grad_norm_(model.parameters(), 1.0)``).
        after_step: None, or a function of no arguments run after every optimizer step (a proximal step).
    Returns:
        A History with "loss", "val_loss", each metric and "val_" + metric, and "lr", one value per epoch.
    Raises:
        TrainingDiverged: at the first NaN or infinite loss (its ``history`` holds the finished epochs).
    """
    for name, hook in (("after_backward", after_backward), ("after_step", after_step)):
        if hook is not None and not callable(hook):
            raise TypeError(f"fit: expected {name} to be a function of no arguments or None, got {type(hook).__name__}")
    stepper = Stepper(model, loss_fn, optimizer, after_backward=after_backward, after_step=after_step)
    return run_epochs(stepper, train_loader, epochs=epochs, val_loader=val_loader,
                      metrics=metrics, early_stopping=early_stopping, progress=progress, scheduler=scheduler)


def evaluate_with(stepper: Stepper, loader: Iterable, metrics: Sequence[str | Callable] | dict | None = None,
                  where: str = "evaluate") -> dict[str, float]:
    """The mean loss and the metrics over ``loader`` with the model in eval mode (its mode is restored after).

    Args:
        stepper: runs one batch of the model.
        loader: an iterable of (xb, yb) batches.
        metrics: as in ``fit``.
        where: the caller's name, for error messages.
    """
    metrics = resolve_metrics(metrics, where)
    was_training = stepper.model.training
    stepper.model.eval()
    try:
        return run_pass(stepper, loader, metrics, training=False, where=where)
    finally:
        stepper.model.train(was_training)


def predict_with(stepper: Stepper, X: ArrayLike, batch_size: int, where: str = "predict") -> np.ndarray:
    """The model's outputs for every row of ``X``, batch by batch, in eval mode, as one NumPy array.

    Args:
        stepper: runs one batch of the model.
        X: (N, ...) inputs.
        batch_size: rows per forward pass.
        where: the caller's name, for error messages.
    Returns:
        (N, ...) outputs.
    """
    batch_size = check_positive_int(batch_size, where, "batch_size")
    was_training = stepper.model.training
    stepper.model.eval()
    try:
        parts = [stepper.predict_batch(X[start:start + batch_size]) for start in range(0, len(X), batch_size)]
    finally:
        stepper.model.train(was_training)
    if not parts:
        raise ValueError(f"{where}: expected at least one sample in X, got shape {tuple(X.shape)}")
    return np.concatenate(parts)


def evaluate(model: Module, loader: Iterable, loss_fn: Module, metrics: Sequence[str | Callable] | dict | None = None
             ) -> dict[str, float]:
    """Loss and metrics of a dlcourse.nn model over a loader of (xb, yb) batches, without training.

    Args:
        model: a dlcourse.nn.Module.
        loader: an iterable of (xb, yb) batches, xb (N, ...) and yb (N, ...).
        loss_fn: a dlcourse.nn loss returning a scalar.
        metrics: None, ["accuracy"], or {name: function(target, output) -> float}.
    Returns:
        {"loss": mean loss per sample, then one float per metric}.
    """
    return evaluate_with(Stepper(model, loss_fn), loader, metrics)


def predict(model: Module, X: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Outputs of a dlcourse.nn model, in batches and in eval mode.

    Args:
        model: a dlcourse.nn.Module.
        X: (N, ...) inputs.
        batch_size: rows per forward pass.
    Returns:
        (N, ...) outputs.
    """
    return predict_with(Stepper(model), X, batch_size)
