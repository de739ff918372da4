"""Learning-rate schedules against torch.optim.lr_scheduler: the same lr, epoch after epoch, for every param group."""

import math

import numpy as np
import pytest
import torch

import dlcourse.nn as nn
import dlcourse.optim as optim
from dlcourse.optim import lr_scheduler
from tests.optim.test_optimizers import NUM_STEPS, make_twins, max_trajectory_error
from tests.parity import TOL

NUM_EPOCHS = 250
SCHEDULES = [
    ("StepLR", {"step_size": 7}),
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("ExponentialLR", {"gamma": 0.97}),
    ("CosineAnnealingLR", {"T_max": 10}),
    ("CosineAnnealingLR", {"T_max": 37, "eta_min": 1e-3}),
]


def two_group_optimizers(lrs=(0.1, 0.03)):
    """The same two-group SGD in dlcourse and torch (torch's params get no grads, so its step is a no-op)."""
    ours = optim.SGD([{"params": [nn.Parameter(np.zeros(2))], "lr": lr} for lr in lrs], momentum=0.9)
    theirs = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs], momentum=0.9)
    return ours, theirs


def lr_sequences(name, kwargs, num_epochs=NUM_EPOCHS, last_epoch=-1):
    our_opt, their_opt = two_group_optimizers()
    if last_epoch != -1:
        for group in our_opt.param_groups + their_opt.param_groups:
            group["initial_lr"] = 0.2
    ours = getattr(lr_scheduler, name)(our_opt, last_epoch=last_epoch, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(their_opt, last_epoch=last_epoch, **kwargs)
    our_lrs, their_lrs = [ours.get_last_lr()], [theirs.get_last_lr()]
    for _ in range(num_epochs):
        our_opt.step()
        their_opt.step()
        ours.step()
        theirs.step()
        our_lrs.append(ours.get_last_lr())
        their_lrs.append(theirs.get_last_lr())
        assert [g["lr"] for g in our_opt.param_groups] == our_lrs[-1]
    return np.array(our_lrs), np.array(their_lrs)


@pytest.mark.parametrize("name, kwargs", SCHEDULES, ids=[f"{n}-{k}" for n, k in SCHEDULES])
def test_lr_sequence_equals_torch(name, kwargs):
    ours, theirs = lr_sequences(name, kwargs)
    assert ours.shape == (NUM_EPOCHS + 1, 2)
    np.testing.assert_array_equal(ours, theirs)  # the same operations in the same order: bit for bit
    assert len(np.unique(ours[:, 0])) > 3  # the schedule really moves


@pytest.mark.parametrize("name, kwargs", SCHEDULES, ids=[f"{n}-{k}" for n, k in SCHEDULES])
def test_resuming_at_a_later_epoch_equals_torch(name, kwargs):
    ours, theirs = lr_sequences(name, kwargs, num_epochs=40, last_epoch=12)
    np.testing.assert_array_equal(ours, theirs)  # the same operations in the same order: bit for bit


def test_schedules_follow_their_closed_forms():
    """The recursive updates stay on the textbook formulas (what the chapter plots)."""
    epochs = np.arange(NUM_EPOCHS + 1)
    step, _ = lr_sequences("StepLR", {"step_size": 7, "gamma": 0.5})
    np.testing.assert_allclose(step[:, 0], 0.1 * 0.5 ** (epochs // 7), rtol=1e-12)
    expo, _ = lr_sequences("ExponentialLR", {"gamma": 0.97})
    np.testing.assert_allclose(expo[:, 1], 0.03 * 0.97**epochs, rtol=1e-12)
    cosine, _ = lr_sequences("CosineAnnealingLR", {"T_max": 10, "eta_min": 1e-3})
    closed = 1e-3 + (0.1 - 1e-3) * (1 + np.cos(math.pi * epochs / 10)) / 2
    np.testing.assert_allclose(cosine[:, 0], closed, rtol=1e-9, atol=1e-15)


def test_training_with_a_schedule_follows_torch():
    ours, theirs, batches = make_twins()
    our_opt = optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    their_opt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    pair = (lr_scheduler.StepLR(our_opt, step_size=10, gamma=0.5),
            torch.optim.lr_scheduler.StepLR(their_opt, step_size=10, gamma=0.5))
    assert max_trajectory_error(ours, theirs, our_opt, their_opt, batches, scheduler_pair=pair) <= TOL
    assert pair[0].get_last_lr() == pytest.approx([0.1 * 0.5 ** (NUM_STEPS // 10)], rel=1e-12)


def test_state_dict_restores_the_schedule():
    our_opt, _ = two_group_optimizers()
    scheduler = lr_scheduler.CosineAnnealingLR(our_opt, T_max=20)
    for _ in range(7):
        scheduler.step()
    saved = scheduler.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 7
    expected = [scheduler.step() or scheduler.get_last_lr() for _ in range(5)]
    fresh_opt, _ = two_group_optimizers()
    restored = lr_scheduler.CosineAnnealingLR(fresh_opt, T_max=20)
    restored.load_state_dict(saved)
    for group, lr in zip(fresh_opt.param_groups, saved["_last_lr"], strict=True):
        group["lr"] = lr
    assert [restored.step() or restored.get_last_lr() for _ in range(5)] == expected


def test_bad_arguments():
    opt, _ = two_group_optimizers()
    with pytest.raises(TypeError, match="StepLR: expected a dlcourse.optim Optimizer, got SGD"):
        lr_scheduler.StepLR(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), step_size=2)
    with pytest.raises(ValueError, match="StepLR: expected step_size >= 1, got 0"):
        lr_scheduler.StepLR(opt, step_size=0)
    with pytest.raises(TypeError, match="expected step_size to be an int, got float 2.5"):
        lr_scheduler.StepLR(opt, step_size=2.5)
    with pytest.raises(ValueError, match="CosineAnnealingLR: expected T_max >= 1, got 0"):
        lr_scheduler.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match="ExponentialLR: expected gamma >= 0, got -0.5"):
        lr_scheduler.ExponentialLR(opt, gamma=-0.5)
    with pytest.raises(KeyError, match=r"expected 'initial_lr' in param_groups\[0\] to resume at last_epoch=3"):
        lr_scheduler.ExponentialLR(opt, gamma=0.9, last_epoch=3)
