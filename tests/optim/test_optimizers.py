"""Every optimizer against torch.optim: the same MLP, weights, mini-batches and hyperparameters must follow the same
trajectory (every parameter after every one of 100 steps) to a norm-wise relative error of 1e-9 in float64."""

import numpy as np
import pytest
import torch

import dlcourse.nn as nn
import dlcourse.optim as optim
from dlcourse.gradcheck import relative_error
from tests.parity import TOL

NUM_STEPS = 100


class _Tanh(nn.Module):
    """Written here so that these tests depend on nothing but Linear and the optimizers."""

    def forward(self, x):
        self._out = np.tanh(x)
        return self._out

    def backward(self, grad_output):
        return grad_output * (1 - self._out**2)


def make_twins(dtype=torch.float64):
    """A 5-8-3 tanh MLP in torch and its dlcourse copy with identical weights, and 4 fixed mini-batches."""
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).to(dtype)
    ours = nn.Sequential(nn.Linear(5, 8), _Tanh(), nn.Linear(8, 3)).to(np.dtype(str(dtype).removeprefix("torch.")))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(1)
    batches = [(rng.standard_normal((4, 5)), rng.standard_normal((4, 3))) for _ in range(4)]
    return ours, theirs, batches


def our_step(model, optimizer, X, y, sign=1.0):
    """One step on sign * (mean squared error); the gradient written out by hand."""
    optimizer.zero_grad()
    out = model(X.astype(model[0].weight.dtype))
    model.backward(sign * 2 * (out - y) / out.size)
    optimizer.step()


def torch_step(model, optimizer, X, y, sign=1.0):
    optimizer.zero_grad()
    out = model(torch.tensor(X, dtype=model[0].weight.dtype))
    (sign * ((out - torch.tensor(y, dtype=out.dtype)) ** 2).mean()).backward()
    optimizer.step()


def max_trajectory_error(ours, theirs, our_opt, their_opt, batches, num_steps=NUM_STEPS, scheduler_pair=None):
    """Step both twins num_steps times; the largest relative error of any parameter after any step.

    With ``maximize`` the objective is -MSE: ascending the MSE itself would blow the weights up, and rounding
    differences with them, which would test the problem's conditioning instead of the optimizer.
    """
    worst = 0.0
    their_params = dict(theirs.named_parameters())
    sign = -1.0 if our_opt.param_groups[0].get("maximize") else 1.0
    for t in range(num_steps):
        X, y = batches[t % len(batches)]
        our_step(ours, our_opt, X, y, sign)
        torch_step(theirs, their_opt, X, y, sign)
        if scheduler_pair is not None:
            for scheduler in scheduler_pair:
                scheduler.step()
        for name, param in ours.named_parameters():
            worst = max(worst, relative_error(param.data, their_params[name].detach().numpy()))
    return worst


CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("Adagrad", {"lr": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.1, "eps": 1e-6}),
    ("Adagrad", {"lr": 0.05, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.001, "alpha": 0.9, "eps": 1e-6}),
    ("RMSprop", {"lr": 0.001, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.001, "centered": True}),
    ("RMSprop", {"lr": 0.001, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.001, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99)}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("Adam", {"lr": 0.01, "maximize": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
]


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_trajectory_matches_torch(name, kwargs):
    ours, theirs, batches = make_twins()
    our_opt = getattr(optim, name)(ours.parameters(), **kwargs)
    their_opt = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    worst = max_trajectory_error(ours, theirs, our_opt, their_opt, batches)
    assert worst <= TOL, f"{name}({kwargs}): largest relative error over {NUM_STEPS} steps {worst:.2e}"


def test_trajectory_moves_away_from_the_start():
    """Guards the parity test against a vacuous pass: 100 steps really change the weights."""
    ours, _, batches = make_twins()
    start = ours.state_dict()
    opt = optim.Adam(ours.parameters(), lr=0.01)
    for t in range(NUM_STEPS):
        our_step(ours, opt, *batches[t % 4])
    assert all(relative_error(ours.state_dict()[k], start[k]) > 1e-2 for k in start)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_param_groups_with_their_own_hyperparameters(name):
    ours, theirs, batches = make_twins()
    extra = {"momentum": 0.9} if name != "Adam" else {"betas": (0.5, 0.9)}
    our_opt = getattr(optim, name)([{"params": ours[0].parameters(), "lr": 0.02, **extra},
                                    {"params": list(ours[2].parameters())}], lr=0.005)
    their_opt = getattr(torch.optim, name)([{"params": theirs[0].parameters(), "lr": 0.02, **extra},
                                            {"params": list(theirs[2].parameters())}], lr=0.005)
    assert our_opt.param_groups[1]["lr"] == 0.005  # a group without its own lr takes the default
    assert max_trajectory_error(ours, theirs, our_opt, their_opt, batches) <= TOL


@pytest.mark.parametrize("name, kwargs", [("SGD", {"lr": 0.05, "momentum": 0.9}), ("Adagrad", {"lr_decay": 0.1}),
                                          ("RMSprop", {"centered": True, "momentum": 0.5}),
                                          ("Adam", {"amsgrad": True}), ("AdamW", {})])
def test_float32_keeps_dtype_and_follows_torch(name, kwargs):
    ours, theirs, batches = make_twins(torch.float32)
    our_opt = getattr(optim, name)(ours.parameters(), **kwargs)
    their_opt = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    worst = max_trajectory_error(ours, theirs, our_opt, their_opt, batches, num_steps=20)
    assert worst <= 1e-5
    assert all(p.data.dtype == np.float32 for p in ours.parameters())
    arrays = [v for state in our_opt.state.values() for v in state.values() if isinstance(v, np.ndarray)]
    assert arrays and all(a.dtype == np.float32 for a in arrays)


def test_numpy_scalar_hyperparameters_keep_float32(rng):
    """lr = np.float64(0.1) must not promote float32 weights or state to float64 (NumPy scalars are strongly typed)."""
    param = nn.Parameter(rng.standard_normal(3).astype(np.float32))
    opt = optim.Adam([param], lr=np.float64(0.1), betas=(np.float64(0.9), 0.999))
    param.grad += np.float32(1.0)
    opt.step()
    assert param.data.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[param].values() if isinstance(v, np.ndarray))


def test_state_dict_round_trip_continues_the_same_trajectory():
    ours, theirs, batches = make_twins()
    opt = optim.Adam(ours.parameters(), lr=0.01, amsgrad=True)
    their_opt = torch.optim.Adam(theirs.parameters(), lr=0.01, amsgrad=True)
    max_trajectory_error(ours, theirs, opt, their_opt, batches, num_steps=30)
    saved_weights, saved_opt = ours.state_dict(), opt.state_dict()
    assert saved_opt["state"][0]["step"] == 30
    restored, _, _ = make_twins()
    restored.load_state_dict(saved_weights)
    restored_opt = optim.Adam(restored.parameters(), lr=0.5)  # the lr comes back from the state dict
    restored_opt.load_state_dict(saved_opt)
    assert restored_opt.param_groups[0]["lr"] == 0.01
    assert max_trajectory_error(restored, theirs, restored_opt, their_opt, batches, num_steps=30) <= TOL


@pytest.mark.parametrize("name, kwargs", [("SGD", {"lr": 0.05, "momentum": 0.9}), ("Adam", {"lr": 0.01}),
                                          ("RMSprop", {"centered": True, "momentum": 0.5}),
                                          ("Adagrad", {"lr": 0.05})])
def test_load_a_torch_optimizer_state_dict(name, kwargs):
    """Train 20 steps in torch, hand weights and optimizer state to dlcourse, then both continue identically."""
    ours, theirs, batches = make_twins()
    their_opt = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    for t in range(20):
        torch_step(theirs, their_opt, *batches[t % 4])
    ours.load_state_dict(theirs.state_dict())
    our_opt = getattr(optim, name)(ours.parameters(), **kwargs)
    our_opt.load_state_dict(their_opt.state_dict())
    assert max_trajectory_error(ours, theirs, our_opt, their_opt, batches, num_steps=30) <= TOL


def test_step_functions_do_not_modify_their_inputs(rng):
    param, grad, buf = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(3)
    copies = [param.copy(), grad.copy(), buf.copy()]
    optim.sgd_step(param, grad, buf, lr=0.1, momentum=0.9, weight_decay=0.1)
    optim.adagrad_step(param, grad, buf**2, 3, lr=0.1)
    optim.rmsprop_step(param, grad, buf**2, momentum=0.9, centered=True, momentum_buffer=buf, grad_avg=buf / 10)
    optim.adam_step(param, grad, buf, buf**2, 3, amsgrad=True, max_exp_avg_sq=buf**2)
    for before, after in zip(copies, [param, grad, buf], strict=True):
        np.testing.assert_array_equal(before, after)


def test_step_updates_in_place_and_zero_grad_clears(rng):
    param = nn.Parameter(rng.standard_normal(3))
    view = param.data
    param.grad += np.array([1.0, -2.0, 0.5])
    opt = optim.SGD([param], lr=0.1)
    start = view.copy()
    assert opt.step(closure=lambda: 7.0) == 7.0
    np.testing.assert_allclose(view, start - 0.1 * np.array([1.0, -2.0, 0.5]), rtol=1e-15)
    opt.zero_grad()
    assert not param.grad.any()


@pytest.mark.parametrize("make, message", [
    (lambda p: optim.SGD(p, lr=-0.1), r"SGD: expected lr >= 0, got -0.1"),
    (lambda p: optim.SGD(p, momentum=-0.5), r"expected momentum >= 0, got -0.5"),
    (lambda p: optim.SGD(p, weight_decay=-1e-3), r"expected weight_decay >= 0, got -0.001"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), r"expected momentum > 0 and dampening = 0 .* got momentum=0"),
    (lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True), r"got momentum=0.9, dampening=0.1"),
    (lambda p: optim.Adagrad(p, lr_decay=-1), r"Adagrad: expected lr_decay >= 0, got -1"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), r"initial_accumulator_value >= 0, got -1"),
    (lambda p: optim.RMSprop(p, alpha=-0.9), r"RMSprop: expected alpha >= 0, got -0.9"),
    (lambda p: optim.RMSprop(p, eps=float("nan")), r"expected eps >= 0, got nan"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), r"Adam: expected 0 <= betas\[0\] < 1, got 1.0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), r"expected betas\[1\] >= 0, got -0.1"),
    (lambda p: optim.Adam(p, betas=0.9), r"expected betas to be a pair \(beta1, beta2\), got 0.9"),
    (lambda p: optim.AdamW(p, weight_decay=-0.01), r"AdamW: expected weight_decay >= 0, got -0.01"),
    (lambda p: optim.SGD([], lr=0.1), r"expected at least one parameter, got an empty parameter list"),
    (lambda p: optim.SGD(p + p, lr=0.1), r"expected every parameter in exactly one group"),
])
def test_bad_arguments_raise_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make([nn.Parameter(np.zeros(3))])


def test_bad_types_raise_type_error():
    param = nn.Parameter(np.zeros(3))
    with pytest.raises(TypeError, match="expected lr to be a number >= 0, got str '0.1'"):
        optim.SGD([param], lr="0.1")
    with pytest.raises(TypeError, match="expected an iterable of Parameters .* got Parameter"):
        optim.SGD(param, lr=0.1)
    with pytest.raises(TypeError, match="expected dlcourse.nn.Parameter objects, got ndarray"):
        optim.Adam([np.zeros(3)])
    with pytest.raises(TypeError, match="expected the params of a group in an ordered collection .* got a set"):
        optim.Adam([{"params": {param}}])


def test_load_state_dict_checks_group_sizes():
    opt = optim.SGD([nn.Parameter(np.zeros(3))], lr=0.1)
    other = optim.SGD([nn.Parameter(np.zeros(3)), nn.Parameter(np.zeros(2))], lr=0.1)
    with pytest.raises(ValueError, match=r"expected groups of sizes \[1\], got \[2\]"):
        opt.load_state_dict(other.state_dict())
