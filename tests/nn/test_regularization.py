import numpy as np
import pytest
import torch

import dlcourse.nn as nn
from dlcourse.gradcheck import numerical_gradient, relative_error
from tests.parity import TOL


def make_params(rng, shapes=((4, 3), (3,), (2, 2, 2))):
    params = [nn.Parameter(rng.standard_normal(shape)) for shape in shapes]
    params[0].data[0, 0] = 0.0  # L1's kink: sign(0) = 0, as torch's abs gradient
    return params


@pytest.mark.parametrize("strength", [0.0, 0.01, 0.7])
def test_l2_penalty_matches_torch_autograd(strength, rng):
    params = make_params(rng)
    twins = [torch.tensor(p.data, requires_grad=True) for p in params]
    penalty_t = strength / 2 * sum((t ** 2).sum() for t in twins)
    penalty_t.backward()
    value = nn.l2_penalty(params, strength)
    assert abs(value - penalty_t.item()) <= TOL * max(abs(penalty_t.item()), 1e-30)
    for p, t in zip(params, twins, strict=True):
        assert relative_error(p.grad, t.grad.numpy()) <= TOL


@pytest.mark.parametrize("strength", [0.0, 0.01, 0.7])
def test_l1_penalty_matches_torch_autograd(strength, rng):
    params = make_params(rng)
    twins = [torch.tensor(p.data, requires_grad=True) for p in params]
    penalty_t = strength * sum(t.abs().sum() for t in twins)
    penalty_t.backward()
    value = nn.l1_penalty(params, strength)
    assert abs(value - penalty_t.item()) <= TOL * max(abs(penalty_t.item()), 1e-30)
    for p, t in zip(params, twins, strict=True):
        np.testing.assert_array_equal(p.grad, t.grad.numpy())


@pytest.mark.parametrize("penalty", [nn.l1_penalty, nn.l2_penalty])
def test_penalty_gradcheck(penalty, rng):
    param = nn.Parameter(rng.standard_normal((3, 4)) + np.sign(rng.standard_normal((3, 4))))  # away from 0's kink
    penalty([param], 0.3)
    numeric = numerical_gradient(lambda: penalty([param], 0.3, add_grad=False), param.data)
    assert relative_error(param.grad, numeric) <= 1e-7


def test_penalty_accumulates_and_add_grad_false_leaves_grads(rng):
    params = make_params(rng)
    for p in params:
        p.grad[...] = 1.0
    nn.l2_penalty(params, 0.5, add_grad=False)
    assert all((p.grad == 1.0).all() for p in params)
    nn.l2_penalty(params, 0.5)
    np.testing.assert_allclose(params[1].grad, 1.0 + 0.5 * params[1].data)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_l2_penalty_is_sgd_weight_decay(momentum, rng):
    """SGD(weight_decay=wd) on loss L == plain SGD on L + l2_penalty(wd): the same trajectory."""
    w0, target = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    torch_w = torch.tensor(w0, requires_grad=True)
    opt = torch.optim.SGD([torch_w], lr=0.1, momentum=momentum, weight_decay=0.05)
    param, velocity = nn.Parameter(w0.copy()), np.zeros_like(w0)
    for _ in range(5):
        opt.zero_grad()
        ((torch_w - torch.tensor(target)) ** 2).sum().backward()
        opt.step()
        param.zero_grad()
        param.grad += 2 * (param.data - target)  # the data loss's gradient
        nn.l2_penalty([param], 0.05)
        velocity = momentum * velocity + param.grad  # plain SGD (momentum), no weight_decay of its own
        param.data -= 0.1 * velocity
    assert relative_error(param.data, torch_w.detach().numpy()) <= TOL


def test_penalty_float32_grads_stay_float32(rng):
    param = nn.Parameter(rng.standard_normal(4).astype(np.float32))
    nn.l1_penalty(param, 0.1)
    nn.l2_penalty(param, 0.1)
    assert param.grad.dtype == np.float32


def test_penalty_bad_inputs_name_expected_and_got(rng):
    params = make_params(rng)
    with pytest.raises(ValueError, match="l2_penalty: expected weight_decay >= 0, got -0.1"):
        nn.l2_penalty(params, -0.1)
    with pytest.raises(TypeError, match="l1_penalty: expected strength to be a number >= 0, got str"):
        nn.l1_penalty(params, "0.1")
    with pytest.raises(TypeError, match="l2_penalty: expected Parameters .* got ndarray at position 0"):
        nn.l2_penalty([np.ones(3)], 0.1)
