"""dlcourse.training: the NumPy fit loop, History, EarlyStopping, the NaN guard, evaluate and predict."""

import matplotlib
import numpy as np
import pytest

import dlcourse.nn as nn
from dlcourse.data import DataLoader
from dlcourse.metrics import f1_score
from dlcourse.optim import SGD, Adam
from dlcourse.optim.lr_scheduler import StepLR
from dlcourse.training import EarlyStopping, History, TrainingDiverged, accuracy_from_logits, evaluate, fit, predict

matplotlib.use("Agg")


def blobs(rng, n=200, dtype=np.float64):
    """Two well separated Gaussian clusters in 2-D: X (n, 2), y (n,) int64."""
    y = rng.integers(0, 2, n)
    X = rng.normal(0.0, 0.6, (n, 2)) + np.where(y[:, None] == 1, 2.0, -2.0)
    return X.astype(dtype), y


def classifier(rng, dtype=np.float64):
    return nn.Sequential(nn.Linear(2, 16, rng=rng, dtype=dtype), nn.ReLU(), nn.Linear(16, 2, rng=rng, dtype=dtype))


def loaders(rng, dtype=np.float64, batch_size=20):
    X, y = blobs(rng, dtype=dtype)
    Xv, yv = blobs(rng, n=100, dtype=dtype)
    return DataLoader((X, y), batch_size=batch_size, shuffle=True, rng=rng), DataLoader((Xv, yv), batch_size=50)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fit_learns_a_separable_problem(dtype):
    rng = np.random.default_rng(0)
    model = classifier(rng, dtype)
    train, val = loaders(rng, dtype)
    history = fit(model, nn.CrossEntropyLoss(), Adam(model.parameters(), lr=0.05), train, epochs=8, val_loader=val,
                  metrics=["accuracy"], progress=False)
    assert history["val_accuracy"][-1] >= 0.95, history
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert model.training and model[0].weight.data.dtype == dtype


def test_history_has_one_row_per_epoch():
    rng = np.random.default_rng(1)
    model = classifier(rng)
    train, val = loaders(rng)
    history = fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), train, epochs=3, val_loader=val,
                  metrics={"acc": accuracy_from_logits}, progress=False)
    assert history.epochs == [1, 2, 3] and len(history) == 3
    assert sorted(history.keys()) == ["acc", "loss", "lr", "val_acc", "val_loss"]
    assert all(len(history[key]) == 3 for key in history.keys())
    assert history.best_epoch == 1 + int(np.argmin(history["val_loss"]))
    assert history.as_dict()["epoch"] == [1, 2, 3]


def test_scheduler_steps_once_per_epoch():
    rng = np.random.default_rng(2)
    model = classifier(rng)
    optimizer = SGD(model.parameters(), lr=0.2)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loaders(rng)[0], epochs=3,
                  scheduler=StepLR(optimizer, step_size=1, gamma=0.5), progress=False)
    np.testing.assert_allclose(history["lr"], [0.2, 0.1, 0.05])


def _flipped_val(rng):
    """Validation labels opposite to the training rule: the better the fit, the worse val_loss."""
    X, y = blobs(rng, n=100)
    return DataLoader((X, 1 - y), batch_size=50)


def _run(epochs, early_stopping=None):
    rng = np.random.default_rng(3)
    model = classifier(rng)
    train, _ = loaders(rng)
    val = _flipped_val(rng)
    history = fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), train, epochs=epochs,
                  val_loader=val, early_stopping=early_stopping, progress=False)
    return model, history, val


def test_early_stopping_stops_and_restores_the_best_weights():
    after_one_epoch, _, _ = _run(epochs=1)
    model, history, val = _run(epochs=20, early_stopping=EarlyStopping(patience=2))
    assert history.best_epoch == 1 and history.stopped_epoch == 3 and len(history) == 3
    assert history.restored_epoch == 1
    for key, value in after_one_epoch.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key], value, err_msg=key)
    assert evaluate(model, val, nn.CrossEntropyLoss())["loss"] == pytest.approx(history["val_loss"][0], rel=1e-12)


def test_early_stopping_without_restore_keeps_the_last_weights():
    model, history, _ = _run(epochs=20, early_stopping=EarlyStopping(patience=2, restore_best=False))
    last, _, _ = _run(epochs=3)
    assert history.restored_epoch is None
    np.testing.assert_array_equal(model[0].weight.data, last[0].weight.data)


def test_early_stopping_counts_epochs_without_improvement():
    stopper = EarlyStopping(patience=3, min_delta=0.05)
    decisions = [stopper.update(v, epoch) for epoch, v in enumerate([1.0, 0.9, 0.87, 0.88, 0.86], start=1)]
    assert decisions == [False, False, False, False, True] and stopper.best_epoch == 2
    rising = EarlyStopping(patience=1, mode="max")
    assert [rising.update(v, e) for e, v in enumerate([0.5, 0.6, 0.6], start=1)] == [False, False, True]


@pytest.mark.parametrize("kwargs, error, message", [
    ({"patience": 0}, ValueError, "expected patience >= 1, got 0"),
    ({"patience": 2.5}, TypeError, "expected patience to be an int, got float"),
    ({"min_delta": -0.1}, ValueError, "expected min_delta >= 0, got -0.1"),
    ({"mode": "lowest"}, ValueError, r"expected mode to be one of \['min', 'max'\], got 'lowest'"),
])
def test_early_stopping_rejects_bad_settings(kwargs, error, message):
    with pytest.raises(error, match=message):
        EarlyStopping(**kwargs)


def test_early_stopping_needs_what_it_monitors():
    rng = np.random.default_rng(4)
    model = classifier(rng)
    with pytest.raises(ValueError, match=r"got 'val_loss'; pass a val_loader or EarlyStopping\(monitor='loss'\)"):
        fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), loaders(rng)[0], epochs=2,
            early_stopping=EarlyStopping(), progress=False)


def _regression(rng, n=64):
    X = rng.standard_normal((n, 3))
    return DataLoader((X, X @ np.array([[1.0], [-2.0], [0.5]])), batch_size=8)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # the divergence under test
def test_nan_guard_names_epoch_and_batch():
    rng = np.random.default_rng(5)
    model = nn.Linear(3, 1, rng=rng, dtype=np.float64)
    with pytest.raises(TrainingDiverged, match=r"loss became (nan|inf) at epoch \d+ of 50, batch \d of 8") as info:
        fit(model, nn.MSELoss(), SGD(model.parameters(), lr=1e3), _regression(rng), epochs=50, progress=False)
    message = str(info.value)
    assert "learning rate is too high (lr = 1000)" in message and "normalised" in message and "log of zero" in message
    assert isinstance(info.value, RuntimeError) and 1 <= info.value.batch <= 8
    assert len(info.value.history) == info.value.epoch - 1


def test_nan_guard_catches_a_nan_validation_loss():
    rng = np.random.default_rng(6)
    model = nn.Linear(3, 1, rng=rng, dtype=np.float64)
    bad_val = DataLoader((np.full((4, 3), np.nan), np.zeros((4, 1))), batch_size=4)
    with pytest.raises(TrainingDiverged, match="validation loss became nan at epoch 1 of 2, batch 1 of 1"):
        fit(model, nn.MSELoss(), SGD(model.parameters(), lr=0.01), _regression(rng), epochs=2, val_loader=bad_val,
            progress=False)


def test_progress_false_prints_nothing_and_progress_true_shows_a_bar(capsys):
    rng = np.random.default_rng(7)
    for progress in (False, True):
        model = classifier(rng)
        fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), loaders(rng)[0], epochs=2,
            progress=progress, val_loader=_flipped_val(rng), early_stopping=EarlyStopping(patience=1))
        out, err = capsys.readouterr()
        if progress:
            assert "epoch 2/2" in err and "early stopping at epoch 2" in out
        else:
            assert out == "" and err == ""


@pytest.mark.parametrize("kwargs, error, message", [
    ({"epochs": 0}, ValueError, "fit: expected epochs >= 1, got 0"),
    ({"epochs": 1, "metrics": ["precision"]}, ValueError, r"expected metric names among \['accuracy'\].*precision"),
    ({"epochs": 1, "metrics": {"acc": 0.5}}, TypeError, "expected metric 'acc' to be a function.*got float"),
    ({"epochs": 1, "metrics": {"val_acc": accuracy_from_logits}}, ValueError, "other than 'loss'.*got 'val_acc'"),
])
def test_fit_rejects_bad_arguments(kwargs, error, message):
    rng = np.random.default_rng(8)
    model = classifier(rng)
    with pytest.raises(error, match=message):
        fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), loaders(rng)[0], progress=False, **kwargs)


def test_fit_rejects_an_empty_loader_and_a_non_scalar_loss():
    rng = np.random.default_rng(9)
    model = classifier(rng)
    optimizer = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="expected the loader to yield .* got none"):
        fit(model, nn.CrossEntropyLoss(), optimizer, [], epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"expected loss_fn to return a scalar .* got shape \(20,\)"):
        fit(model, nn.CrossEntropyLoss(reduction="none"), optimizer, loaders(rng)[0], epochs=1, progress=False)


def test_evaluate_weights_batches_by_size_and_predict_matches_forward():
    rng = np.random.default_rng(10)
    model = classifier(rng)
    X, y = blobs(rng, n=53)  # 53 = 7 * 7 + 4: the last batch is smaller
    full = float(nn.CrossEntropyLoss()(model(X), y))
    result = evaluate(model, DataLoader((X, y), batch_size=7), nn.CrossEntropyLoss(), metrics="accuracy")
    assert result["loss"] == pytest.approx(full, rel=1e-12)
    assert result["accuracy"] == np.mean(model(X).argmax(axis=1) == y)
    np.testing.assert_allclose(predict(model, X, batch_size=10), model(X), rtol=1e-12)
    assert model.training
    with pytest.raises(ValueError, match="predict: expected batch_size >= 1, got 0"):
        predict(model, X, batch_size=0)


def test_accuracy_from_logits_reads_classes_and_binary_logits():
    assert accuracy_from_logits(np.array([0, 1, 1]), np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]])) == 2 / 3
    assert accuracy_from_logits(np.array([[0, 1], [0, 1]]), np.array([[0.1, 0.9], [0.8, 0.2]])) == 0.5
    assert accuracy_from_logits(np.array([[0.0], [1.0], [0.0]]), np.array([[-1.0], [2.0], [0.5]])) == 2 / 3
    with pytest.raises(ValueError, match=r"expected 3 targets for output of shape \(3, 2\), got target of shape"):
        accuracy_from_logits(np.zeros(4), np.zeros((3, 2)))


def test_metrics_get_the_target_first_like_dlcourse_metrics():
    rng = np.random.default_rng(11)
    model = classifier(rng)
    X, y = blobs(rng, n=40)
    seen = []

    def f1_of_logits(target, output):
        seen.append((target, output))
        return f1_score(target, output.argmax(axis=1))

    result = evaluate(model, DataLoader((X, y), batch_size=16), nn.CrossEntropyLoss(), metrics={"f1": f1_of_logits})
    (target, output), = seen
    np.testing.assert_array_equal(target, y)
    np.testing.assert_allclose(output, model(X), rtol=1e-12)
    assert result["f1"] == f1_score(y, model(X).argmax(axis=1))


def test_history_lookup_and_plot():
    history = History(monitor="val_loss")
    for epoch, (loss, val) in enumerate([(1.0, 1.1), (0.5, 0.7), (0.3, 0.8)], start=1):
        history.append(epoch, {"loss": loss, "val_loss": val, "accuracy": 0.5 + epoch / 10, "lr": 0.1 / epoch})
    assert history.best_epoch == 2 and "val_loss" in history
    with pytest.raises(KeyError, match=r"expected one of \['loss', 'val_loss', 'accuracy', 'lr'\], got 'val_acc'"):
        history["val_acc"]
    axes = history.plot()
    assert [ax.get_ylabel() for ax in axes] == ["loss", "accuracy", "learning rate"]
    assert [line.get_label() for line in axes[0].get_lines()] == ["train", "validation", "best epoch (2)"]
    matplotlib.pyplot.close("all")


def test_plot_history_takes_a_dict_and_checks_it():
    from dlcourse.plots.curves import plot_history

    axes = plot_history({"loss": [3.0, 2.0, 1.5], "lr": [0.1, 0.1, 0.1]}, title="hand-written loop")
    assert len(axes) == 1 and list(axes[0].get_lines()[0].get_xdata()) == [1, 2, 3]  # a constant lr: no panel
    assert axes[0].figure.get_suptitle() == "hand-written loop"
    with pytest.raises(ValueError, match=r"expected one value per epoch in every column, got lengths"):
        plot_history({"loss": [1.0, 0.5], "val_loss": [1.0]})
    with pytest.raises(ValueError, match=r"expected a 'loss' or 'val_loss' column, got \['accuracy'\]"):
        plot_history({"accuracy": [0.5]})
    with pytest.raises(TypeError, match="expected a History or a dict of lists, got list"):
        plot_history([1.0, 0.5])
    matplotlib.pyplot.close("all")


def test_after_backward_runs_between_backward_and_step_so_clipping_caps_every_step():
    rng = np.random.default_rng(10)
    model = classifier(rng)
    norms_seen_by_step = []

    class RecordingSGD(SGD):
        def step(self):  # the gradient norm the update actually uses
            params = [p for group in self.param_groups for p in group["params"]]
            norms_seen_by_step.append(np.sqrt(sum(np.sum(p.grad**2) for p in params)))
            super().step()

    optimizer = RecordingSGD(model.parameters(), lr=0.5)
    fit(model, nn.CrossEntropyLoss(), optimizer, loaders(rng)[0], epochs=2, progress=False,
        after_backward=lambda: nn.clip_grad_norm_(model.parameters(), max_norm=0.01))
    assert len(norms_seen_by_step) == 20 and max(norms_seen_by_step) <= 0.01 + 1e-12


def test_after_step_runs_after_every_step_so_a_proximal_step_gives_exact_zeros():
    rng = np.random.default_rng(11)
    model = classifier(rng)
    lr, strength, calls = 0.1, 0.5, []

    def soft_threshold():  # the L1 proximal step: shrink every weight towards 0 by lr * strength, stop at 0
        calls.append(1)
        for p in model.parameters():
            p.data = np.sign(p.data) * np.maximum(np.abs(p.data) - lr * strength, 0.0)

    fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=lr), loaders(rng)[0], epochs=2, progress=False,
        after_step=soft_threshold)
    weights = np.concatenate([p.data.ravel() for p in model.parameters()])
    assert len(calls) == 20 and np.mean(weights == 0.0) > 0.5


def test_fit_rejects_a_hook_that_is_not_a_function():
    rng = np.random.default_rng(12)
    model = classifier(rng)
    with pytest.raises(TypeError, match="expected after_step to be a function of no arguments or None, got float"):
        fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), loaders(rng)[0], epochs=1,
            progress=False, after_step=0.5)
