"""dlcourse.torch: device choice, seeding, the torch fit loop, and the NumPy <-> torch bridges."""

import random

import numpy as np
import pytest
import torch

import dlcourse.nn as nn
import dlcourse.torch as dt
from dlcourse.data import DataLoader
from dlcourse.gradcheck import relative_error
from dlcourse.optim import SGD
from dlcourse.training import EarlyStopping, TrainingDiverged
from dlcourse.training import fit as numpy_fit


@pytest.fixture
def fresh_device(monkeypatch):
    """Forget earlier announcements and any DLCOURSE_DEVICE of the environment running the tests."""
    monkeypatch.setattr(dt, "_announced", set())
    monkeypatch.delenv(dt.ENV_VAR, raising=False)


@pytest.fixture
def restore_torch_globals():
    """seed_everything changes process-wide switches; put them back for the other tests."""
    saved = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
             torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark, torch.get_rng_state(),
             np.random.get_state(), random.getstate())
    yield
    now = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled())
    if now != saved[:2]:
        torch.use_deterministic_algorithms(saved[0], warn_only=saved[1])  # only when changed: the call is slow
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = saved[2], saved[3]
    torch.set_rng_state(saved[4])
    np.random.set_state(saved[5])
    random.setstate(saved[6])


def test_device_falls_back_to_the_cpu_and_says_so_once(fresh_device, monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert dt.device() == torch.device("cpu") and dt.device() == torch.device("cpu")
    assert capsys.readouterr().out.splitlines() == ["dlcourse: no CUDA GPU found, using the CPU"]
    assert dt.device("cuda") == torch.device("cpu")  # asked for, not there: still the CPU, nothing new to say
    assert capsys.readouterr().out == ""


def test_device_names_the_gpu(fresh_device, monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "Fake GPU")
    assert dt.device() == torch.device("cuda")
    assert capsys.readouterr().out == "dlcourse: using cuda (Fake GPU)\n"


def test_dlcourse_device_forces_the_cpu(fresh_device, monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv(dt.ENV_VAR, "cpu")
    assert dt.device() == torch.device("cpu") and dt.device("cuda") == torch.device("cpu")
    assert capsys.readouterr().out == "dlcourse: using the CPU (DLCOURSE_DEVICE=cpu)\n"
    monkeypatch.setenv(dt.ENV_VAR, "gpu0")
    with pytest.raises(ValueError, match=r"expected 'cpu', 'cuda' or 'cuda:<index>', got DLCOURSE_DEVICE='gpu0'"):
        dt.device()


def _draws():
    return (random.random(), np.random.rand(), torch.randn(3).tolist(), torch.nn.Linear(2, 2).weight.tolist())


def test_seed_everything_repeats_every_generator(restore_torch_globals):
    rng = dt.seed_everything(123)
    first = (_draws(), rng.random())
    rng = dt.seed_everything(123)
    assert (_draws(), rng.random()) == first
    dt.seed_everything(124)
    assert _draws() != first[0]
    with pytest.raises(ValueError, match="expected a non-negative int seed, got -1"):
        dt.seed_everything(-1)


def test_seed_everything_asks_for_deterministic_kernels_only_on_a_gpu(monkeypatch, restore_torch_globals):
    calls = []
    monkeypatch.setattr(torch, "use_deterministic_algorithms", lambda mode, warn_only: calls.append((mode, warn_only)))
    monkeypatch.setattr(torch.cuda, "manual_seed_all", lambda seed: None)  # no GPU to seed here
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    dt.seed_everything(5)
    assert calls == []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    dt.seed_everything(5)
    assert calls == [(True, True)] and torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark


def blobs(n, gen):
    y = torch.randint(0, 2, (n,), generator=gen)
    X = 0.6 * torch.randn(n, 2, generator=gen) + torch.where(y[:, None] == 1, 2.0, -2.0)
    return X, y


def torch_loaders(seed=0):
    gen = torch.Generator().manual_seed(seed)
    train = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*blobs(200, gen)), batch_size=20,
                                        shuffle=True, generator=gen)
    val = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*blobs(100, gen)), batch_size=50)
    return train, val


def torch_classifier(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))


def test_fit_learns_with_a_torch_loader():
    model = torch_classifier()
    train, val = torch_loaders()
    history = dt.fit(model, torch.nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.05), train,
                     epochs=6, val_loader=val, device="cpu", metrics=["accuracy"], progress=False)
    assert len(history) == 6 and history["val_accuracy"][-1] >= 0.95
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    result = dt.evaluate(model, val, torch.nn.CrossEntropyLoss(), metrics=["accuracy"])
    assert result == pytest.approx({"loss": history["val_loss"][-1], "accuracy": history["val_accuracy"][-1]})


def test_fit_takes_numpy_batches_and_predict_returns_numpy():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 2))  # float64 into a float32 model: converted to the model's dtype
    y = (X.sum(axis=1) > 0).astype(np.int32)  # int32 labels: converted to int64 for CrossEntropyLoss
    model = torch_classifier()
    history = dt.fit(model, torch.nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.05),
                     DataLoader((X, y), batch_size=10, shuffle=True, rng=rng), epochs=5, device="cpu",
                     metrics=["accuracy"], progress=False)
    assert history["accuracy"][-1] >= 0.9
    out = dt.predict(model, X, batch_size=16)
    with torch.no_grad():
        expected = model(torch.as_tensor(X, dtype=torch.float32)).numpy()
    assert isinstance(out, np.ndarray) and out.shape == (60, 2)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_numpy_fit_and_torch_fit_follow_the_same_trajectory():
    """The same network twice: same weights, data order and SGD give the same losses and weights (float64)."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((48, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    ours = nn.Sequential(nn.Linear(2, 8, rng=rng, dtype=np.float64), nn.Tanh(), nn.Linear(8, 2, rng=rng,
                                                                                          dtype=np.float64))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)).double()
    dt.copy_weights_to_torch(ours, theirs)
    train, val = DataLoader((X, y), batch_size=16), DataLoader((X[:20], y[:20]), batch_size=8)
    settings = {"epochs": 3, "val_loader": val, "metrics": ["accuracy"], "progress": False}
    h_np = numpy_fit(ours, nn.CrossEntropyLoss(), SGD(ours.parameters(), lr=0.5, momentum=0.9), train, **settings)
    h_t = dt.fit(theirs, torch.nn.CrossEntropyLoss(), torch.optim.SGD(theirs.parameters(), lr=0.5, momentum=0.9),
                 train, device="cpu", **settings)
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        assert relative_error(h_np[key], h_t[key]) <= 1e-9, key
    assert h_np["loss"][-1] < h_np["loss"][0]  # it did train, so the agreement is not trivial
    for key, value in theirs.state_dict().items():
        assert relative_error(ours.state_dict()[key], value.numpy()) <= 1e-9, key


def test_torch_early_stopping_restores_the_best_weights():
    def run(epochs, early_stopping=None):
        model = torch_classifier(seed=2)
        train, val = torch_loaders(seed=3)
        flipped = [(xb, 1 - yb) for xb, yb in val]  # the better the fit, the worse val_loss
        history = dt.fit(model, torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), train,
                         epochs=epochs, val_loader=flipped, device="cpu", early_stopping=early_stopping,
                         progress=False)
        return model, history

    after_one, _ = run(1)
    model, history = run(20, EarlyStopping(patience=2))
    assert (history.best_epoch, history.stopped_epoch, history.restored_epoch, len(history)) == (1, 3, 1, 3)
    for key, value in after_one.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value, rtol=0, atol=0)


def test_torch_nan_guard_names_epoch_and_batch():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    X = torch.randn(64, 3)
    data = list(zip(X.split(8), (X @ torch.tensor([[1.0], [-2.0], [0.5]])).split(8), strict=True))
    with pytest.raises(TrainingDiverged, match=r"training loss became (nan|inf) at epoch \d+ of 50, batch \d of 8"):
        dt.fit(model, torch.nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=1e3), data, epochs=50, device="cpu",
               progress=False)


def test_fit_progress_false_prints_nothing(capsys):
    model = torch_classifier()
    dt.fit(model, torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), torch_loaders()[0],
           epochs=2, device="cpu", progress=False)
    assert capsys.readouterr() == ("", "")


def test_to_numpy_and_from_numpy():
    array = np.arange(6, dtype=np.float64).reshape(2, 3)
    tensor = dt.from_numpy(array)
    assert tensor.dtype == torch.float64 and tensor.device.type == "cpu"
    assert dt.from_numpy(array, dtype=torch.float32).dtype == torch.float32
    np.testing.assert_array_equal(dt.to_numpy(tensor.requires_grad_()), array)
    assert dt.to_numpy(torch.ones(2, dtype=torch.bfloat16)).dtype == np.float32
    assert dt.to_numpy([1, 2]).tolist() == [1, 2]


def test_copy_weights_both_ways_including_batchnorm_buffers():
    rng = np.random.default_rng(4)
    ours = nn.Sequential(nn.Linear(3, 4, rng=rng), nn.BatchNorm1d(4), nn.Linear(4, 2, rng=rng)).double()
    ours[1].running_mean = rng.standard_normal(4)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2)).double()
    dt.copy_weights_to_torch(ours, theirs)
    x = rng.standard_normal((5, 3))
    ours.eval(), theirs.eval()
    assert relative_error(ours(x), theirs(torch.as_tensor(x)).detach().numpy()) <= 1e-12
    fresh = nn.Sequential(nn.Linear(3, 4, rng=rng), nn.BatchNorm1d(4), nn.Linear(4, 2, rng=rng)).double().eval()
    dt.copy_weights_from_torch(theirs, fresh)
    assert relative_error(fresh(x), ours(x)) <= 1e-12


def test_copy_weights_reports_mismatches():
    ours = nn.Sequential(nn.Linear(3, 4))
    with pytest.raises(ValueError, match=r"expected 0.weight of shape \(5, 3\), got \(4, 3\)"):
        dt.copy_weights_to_torch(ours, torch.nn.Sequential(torch.nn.Linear(3, 5)))
    with pytest.raises(KeyError, match=r"keys only in torch \['1.bias', '1.weight'\], only in NumPy \[\]"):
        dt.copy_weights_from_torch(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1)), ours)


@pytest.mark.gpu
def test_fit_on_cuda():
    model = torch_classifier()
    train, val = torch_loaders()
    history = dt.fit(model, torch.nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.05), train,
                     epochs=6, val_loader=val, device="cuda", metrics=["accuracy"], progress=False,
                     early_stopping=EarlyStopping(patience=3))
    assert next(model.parameters()).device.type == "cuda"
    assert history["val_accuracy"][-1] >= 0.95
    out = dt.predict(model, val.dataset.tensors[0])
    assert isinstance(out, np.ndarray) and out.shape == (100, 2)
