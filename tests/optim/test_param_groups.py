"""Freezing (``requires_grad``) and parameter groups against torch.optim, in float64: the same network, weights,
mini-batches and groups must follow the same trajectory (every parameter after each of 100 steps) to a norm-wise
relative error of 1e-9. These are the tools of transfer learning (chapter 12): a frozen backbone, a new head, and a
smaller learning rate for the pretrained layers than for the new ones."""

import numpy as np
import pytest
import torch

import dlcourse.nn as nn
import dlcourse.optim as optim
from dlcourse.gradcheck import relative_error
from dlcourse.optim import lr_scheduler
from tests.optim.test_optimizers import NUM_STEPS, _Tanh, our_step, torch_step
from tests.parity import TOL


def make_deep_twins():
    """A 5-8-8-3 tanh MLP in torch and its dlcourse copy (three Linear layers: 0, 2, 4), and 4 mini-batches."""
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.Tanh(),
                                 torch.nn.Linear(8, 3)).double()
    ours = nn.Sequential(nn.Linear(5, 8), _Tanh(), nn.Linear(8, 8), _Tanh(), nn.Linear(8, 3)).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(1)
    batches = [(rng.standard_normal((4, 5)), rng.standard_normal((4, 3))) for _ in range(4)]
    return ours, theirs, batches


def trajectory_error(ours, theirs, our_opt, their_opt, batches, schedulers=()):
    """The largest relative error of any parameter after any of NUM_STEPS steps (schedulers step after each)."""
    worst = 0.0
    their_params = dict(theirs.named_parameters())
    for t in range(NUM_STEPS):
        X, y = batches[t % len(batches)]
        our_step(ours, our_opt, X, y)
        torch_step(theirs, their_opt, X, y)
        for scheduler in schedulers:
            scheduler.step()
        for name, param in ours.named_parameters():
            worst = max(worst, relative_error(param.data, their_params[name].detach().numpy()))
    return worst


OPTIMIZERS = [
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.01}),
    ("AdamW", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.001, "momentum": 0.5}),
    ("Adagrad", {"lr": 0.05}),
]
IDS = [f"{name}-{kwargs}" for name, kwargs in OPTIMIZERS]


@pytest.mark.parametrize("frozen", [0, 2, 4])
@pytest.mark.parametrize("name, kwargs", OPTIMIZERS, ids=IDS)
def test_frozen_layer_follows_torch_and_keeps_its_weights(name, kwargs, frozen):
    """Freeze the first, a middle or the last layer: the gradient still flows through it to the layers below."""
    ours, theirs, batches = make_deep_twins()
    ours[frozen].requires_grad_(False)
    theirs[frozen].requires_grad_(False)
    before = ours[frozen].state_dict()
    our_opt = getattr(optim, name)(ours.parameters(), **kwargs)
    their_opt = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    assert trajectory_error(ours, theirs, our_opt, their_opt, batches) <= TOL
    after = ours[frozen].state_dict()
    assert all(np.array_equal(before[key], after[key]) for key in before)  # weight decay did not touch it either
    assert all(not np.any(param.grad) for param in ours[frozen].parameters())  # no gradient accumulated
    moved = [key for key in ours.state_dict() if not key.startswith(f"{frozen}.")]
    start = make_deep_twins()[0].state_dict()
    assert all(relative_error(ours.state_dict()[key], start[key]) > 1e-3 for key in moved)


@pytest.mark.parametrize("name, kwargs", OPTIMIZERS, ids=IDS)
def test_groups_with_their_own_lr_and_weight_decay_follow_torch(name, kwargs):
    """Three groups: a 'backbone' at a tenth of the lr, a middle layer on the defaults, a 'head' with its own decay."""
    ours, theirs, batches = make_deep_twins()
    lr = kwargs["lr"]

    def groups(model):
        return [{"params": model[0].parameters(), "lr": lr / 10},
                {"params": list(model[2].parameters())},
                {"params": list(model[4].parameters()), "lr": lr * 2, "weight_decay": 0.05}]

    our_opt = getattr(optim, name)(groups(ours), **kwargs)
    their_opt = getattr(torch.optim, name)(groups(theirs), **kwargs)
    assert [g["lr"] for g in our_opt.param_groups] == [lr / 10, lr, lr * 2]
    assert [g["lr"] for g in our_opt.param_groups] == [g["lr"] for g in their_opt.param_groups]
    assert our_opt.param_groups[1]["weight_decay"] == kwargs.get("weight_decay", our_opt.defaults["weight_decay"])
    # every hyperparameter we keep is one torch keeps (torch adds its own switches: foreach, fused, ...)
    assert set(our_opt.param_groups[0]) <= set(their_opt.param_groups[0])
    assert trajectory_error(ours, theirs, our_opt, their_opt, batches) <= TOL


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_fine_tuning_recipe_with_a_scheduler_follows_torch(name):
    """Frozen first layer, the middle layer at a tenth of the head's lr, cosine schedule acting on every group."""
    ours, theirs, batches = make_deep_twins()
    kwargs = {"lr": 0.05, "momentum": 0.9} if name == "SGD" else {"lr": 0.01}
    opts = []
    for model, lib in ((ours, optim), (theirs, torch.optim)):
        model[0].requires_grad_(False)
        trainable = [{"params": model[2].parameters(), "lr": kwargs["lr"] / 10}, {"params": model[4].parameters()}]
        opts.append(getattr(lib, name)(trainable, **kwargs))
    schedulers = (lr_scheduler.CosineAnnealingLR(opts[0], T_max=30),
                  torch.optim.lr_scheduler.CosineAnnealingLR(opts[1], T_max=30))
    assert trajectory_error(ours, theirs, *opts, batches, schedulers) <= TOL
    assert schedulers[0].get_last_lr() == pytest.approx(schedulers[1].get_last_lr(), rel=1e-12)
    assert schedulers[0].get_last_lr()[0] == pytest.approx(schedulers[0].get_last_lr()[1] / 10, rel=1e-12)


@pytest.mark.parametrize("name, kwargs", [("SGD", {"lr": 0.05, "momentum": 0.9}), ("Adam", {"lr": 0.01})])
def test_add_param_group_midway_follows_torch(name, kwargs):
    """Train the head alone for 30 steps, then unfreeze the rest as a new group with a smaller lr (gradual
    unfreezing), exactly as torch's add_param_group does it."""
    ours, theirs, batches = make_deep_twins()
    opts = []
    for model, lib in ((ours, optim), (theirs, torch.optim)):
        model[0].requires_grad_(False)
        model[2].requires_grad_(False)
        opts.append(getattr(lib, name)(model[4].parameters(), **kwargs))
    their_params = dict(theirs.named_parameters())
    worst = 0.0
    for t in range(NUM_STEPS):
        if t == 30:
            for model, opt in zip((ours, theirs), opts, strict=True):
                model[2].requires_grad_(True)
                opt.add_param_group({"params": list(model[2].parameters()), "lr": kwargs["lr"] / 10})
        our_step(ours, opts[0], *batches[t % 4])
        torch_step(theirs, opts[1], *batches[t % 4])
        for key, param in ours.named_parameters():
            worst = max(worst, relative_error(param.data, their_params[key].detach().numpy()))
    assert worst <= TOL
    assert opts[0].param_groups[1]["lr"] == kwargs["lr"] / 10
    assert set(opts[0].param_groups[1]) <= set(opts[1].param_groups[1])


def test_state_dict_of_groups_loads_into_torch_and_back():
    ours, theirs, batches = make_deep_twins()
    our_opt = optim.SGD([{"params": ours[0].parameters(), "lr": 0.01}, {"params": ours[4].parameters()}],
                        lr=0.1, momentum=0.9)
    for t in range(5):
        our_step(ours, our_opt, *batches[t % 4])
    their_opt = torch.optim.SGD([{"params": theirs[0].parameters(), "lr": 0.5}, {"params": theirs[4].parameters()}],
                                lr=0.5, momentum=0.9)
    state = our_opt.state_dict()
    state["state"] = {k: {"momentum_buffer": torch.tensor(v["momentum_buffer"])} for k, v in state["state"].items()}
    their_opt.load_state_dict(state)
    assert [g["lr"] for g in their_opt.param_groups] == [0.01, 0.1]


def test_frozen_parameter_is_skipped_even_with_a_stale_gradient(rng):
    param = nn.Parameter(rng.standard_normal(3))
    param.grad = np.ones(3)
    param.requires_grad_(False)
    before = param.data.copy()
    optim.SGD([param], lr=0.1, weight_decay=0.5).step()
    np.testing.assert_array_equal(param.data, before)
