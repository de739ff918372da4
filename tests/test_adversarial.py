"""FGSM and PGD: inside the budget and the valid range, raise the loss, and match a hand computation."""

import numpy as np
import pytest
import torch
from captum.robust import FGSM

from dlcourse.adversarial import fgsm, loss_gradient, pgd


@pytest.fixture(scope="module")
def mlp():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 12), torch.nn.Tanh(),
                                torch.nn.Linear(12, 3)).double()
    x = torch.rand(20, 1, 4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    y = model(x).argmax(1)  # the model's own answers: an attack should change them
    return model, x, y


def losses(model, x, y):
    return torch.nn.functional.cross_entropy(model(x), y, reduction="none")


def test_fgsm_matches_logistic_regression_by_hand():
    # Logistic regression p = sigmoid(w.x + b) with binary cross-entropy: dL/dx = (p - y) w, so FGSM moves each
    # input by epsilon against the sign of w when y = 1 and along it when y = 0.
    w, b = torch.tensor([[2.0, -1.0, 0.5]], dtype=torch.float64), torch.tensor([0.1], dtype=torch.float64)
    model = torch.nn.Linear(3, 1).double()
    with torch.no_grad():
        model.weight.copy_(w), model.bias.copy_(b)
    x = torch.tensor([[0.5, 0.5, 0.5], [0.2, 0.9, 0.4]], dtype=torch.float64)
    y = torch.tensor([[1.0], [0.0]], dtype=torch.float64)
    got = fgsm(model, x, y, 0.1, loss_fn=torch.nn.functional.binary_cross_entropy_with_logits, clamp=None)
    p = torch.sigmoid(x @ w.T + b)
    expected = x + 0.1 * torch.sign((p - y) * w)
    assert torch.allclose(got, expected, atol=1e-15)
    assert torch.allclose(got[0], torch.tensor([0.4, 0.6, 0.4], dtype=torch.float64))


def test_fgsm_matches_captum(mlp):
    model, x, y = mlp
    # captum's default loss is -log(output), for models that output probabilities; ours output logits.
    loss = lambda logits, target: torch.nn.functional.cross_entropy(logits, target, reduction="none")  # noqa: E731
    expected = FGSM(model, loss_func=loss, lower_bound=0.0, upper_bound=1.0).perturb(x, epsilon=0.05, target=y)
    assert torch.allclose(fgsm(model, x, y, 0.05), expected, atol=1e-12)


@pytest.mark.parametrize("epsilon", [0.01, 0.05, 0.2])
def test_fgsm_stays_in_the_ball_and_raises_the_loss(mlp, epsilon):
    model, x, y = mlp
    x_adv = fgsm(model, x, y, epsilon)
    assert (x_adv - x).abs().max() <= epsilon + 1e-12
    assert x_adv.min() >= 0 and x_adv.max() <= 1
    assert losses(model, x_adv, y).sum() > losses(model, x, y).sum()


@pytest.mark.parametrize("random_start", [True, False])
def test_pgd_stays_in_the_ball_and_beats_fgsm(mlp, random_start):
    model, x, y = mlp
    epsilon = 0.1
    x_adv = pgd(model, x, y, epsilon, step_size=0.025, num_steps=20, random_start=random_start,
                rng=np.random.default_rng(0))
    assert (x_adv - x).abs().max() <= epsilon + 1e-12
    assert x_adv.min() >= 0 and x_adv.max() <= 1
    assert losses(model, x_adv, y).sum() >= losses(model, fgsm(model, x, y, epsilon), y).sum()


def test_pgd_one_step_from_x_is_fgsm(mlp):
    model, x, y = mlp
    got = pgd(model, x, y, 0.05, step_size=0.05, num_steps=1, random_start=False)
    assert torch.allclose(got, fgsm(model, x, y, 0.05), atol=1e-15)


def test_loss_gradient_is_per_example(mlp):
    model, x, y = mlp
    alone = loss_gradient(model, x[:1], y[:1])
    assert torch.allclose(loss_gradient(model, x, y)[:1], alone, atol=1e-14)


def test_errors():
    model = torch.nn.Linear(2, 2)
    with pytest.raises(ValueError, match="epsilon"):
        fgsm(model, torch.zeros(1, 2), torch.zeros(1, dtype=torch.int64), -0.1)
    with pytest.raises(TypeError, match="Generator"):
        pgd(model, torch.zeros(1, 2), torch.zeros(1, dtype=torch.int64), 0.1, step_size=0.1, rng=0)
