"""Parameter.requires_grad and Module.requires_grad_: a frozen parameter gets no gradient, the input gradient still
flows through it, exactly as in torch (float64, norm-wise relative error <= 1e-9)."""

import numpy as np
import pytest
import torch

import dlcourse.nn as nn
from dlcourse.gradcheck import relative_error
from tests.parity import TOL


def test_parameters_are_trainable_by_default_and_freeze_in_place(rng):
    model = nn.Sequential(nn.Conv2d(1, 2, 3, rng=rng), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
                          nn.Linear(2 * 4 * 4, 3, rng=rng))
    assert all(p.requires_grad for p in model.parameters())
    assert model[0].requires_grad_(False) is model[0]  # returns the module, so calls chain as in torch
    frozen = [name for name, p in model.named_parameters() if not p.requires_grad]
    assert frozen == ["0.weight", "0.bias"]
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())
    assert "requires_grad=False" in repr(nn.Parameter(np.zeros(2), requires_grad=False))


def test_frozen_layers_get_no_gradient_and_pass_the_input_gradient_like_torch(rng):
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3, padding=1), torch.nn.BatchNorm2d(3), torch.nn.ReLU(),
                                 torch.nn.Flatten(), torch.nn.Linear(3 * 5 * 5, 4))
    ours = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, rng=rng), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                         nn.Linear(3 * 5 * 5, 4, rng=rng))
    for model in (ours, theirs):
        model[0].requires_grad_(False)
        model[1].requires_grad_(False)
    x = rng.standard_normal((6, 2, 5, 5))
    ours.double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.double().state_dict().items()})
    ours.zero_grad()
    frozen = ("0.weight", "0.bias", "1.weight", "1.bias")
    for name in frozen:
        dict(ours.named_parameters())[name].grad += 7.0  # what was there must stay exactly as it was
    xt = torch.tensor(x, requires_grad=True)
    out_t = theirs(xt)
    dout = rng.standard_normal(tuple(out_t.shape))
    out_t.backward(torch.tensor(dout))
    dx = ours.backward(dout) if np.allclose(ours(x), out_t.detach().numpy(), rtol=1e-12) else None
    assert dx is not None, "forward outputs differ"
    assert relative_error(dx, xt.grad.numpy()) <= TOL
    assert relative_error(ours[4].weight.grad, theirs[4].weight.grad.numpy()) <= TOL
    assert all(param.grad is None for param in list(theirs.parameters())[:4])
    for name in frozen:
        assert np.all(dict(ours.named_parameters())[name].grad == 7.0)
    assert np.any(ours[4].weight.grad)


def test_requires_grad_must_be_a_bool():
    with pytest.raises(TypeError, match="bool"):
        nn.Parameter(np.zeros(2), requires_grad="no")
    with pytest.raises(TypeError, match="bool"):
        nn.Linear(2, 2).requires_grad_(0)
