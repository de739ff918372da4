"""The GAN losses: values against torch's binary cross-entropy, gradients against finite differences and torch
autograd (float64, norm-wise relative error), the saturation of the minimax loss, the optimal discriminator."""

import numpy as np
import pytest
import torch

from dlcourse.gan import losses
from dlcourse.gradcheck import check_function, relative_error

TOL = 1e-9
bce = torch.nn.functional.binary_cross_entropy_with_logits


def logits(shape, seed, scale=3.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("shape_r, shape_f", [((7,), (5,)), ((6, 1), (9, 1)), ((1,), (1,))])
def test_discriminator_loss_is_bce_with_real_one_fake_zero(shape_r, shape_f):
    s_r, s_f = logits(shape_r, 0), logits(shape_f, 1)
    tr, tf = torch.tensor(s_r, requires_grad=True), torch.tensor(s_f, requires_grad=True)
    expected = bce(tr, torch.ones_like(tr)) + bce(tf, torch.zeros_like(tf))
    expected.backward()
    loss, cache = losses.discriminator_loss_forward(s_r, s_f)
    assert isinstance(loss, float) and abs(loss - expected.item()) <= TOL * abs(expected.item())
    dreal, dfake = losses.discriminator_loss_backward(1.0, cache)
    assert dreal.shape == shape_r and dfake.shape == shape_f
    assert relative_error(dreal, tr.grad.numpy()) <= TOL and relative_error(dfake, tf.grad.numpy()) <= TOL


@pytest.mark.parametrize("kind", ["minimax", "non_saturating"])
def test_generator_losses_against_torch(kind):
    s_f = logits((11, 1), 2)
    t = torch.tensor(s_f, requires_grad=True)
    if kind == "minimax":  # G minimises mean log(1 - D), i.e. minus the BCE with label 0
        expected = -bce(t, torch.zeros_like(t))
        forward, backward = losses.minimax_generator_loss_forward, losses.minimax_generator_loss_backward
    else:  # BCE with label 1 on the fakes
        expected = bce(t, torch.ones_like(t))
        forward = losses.non_saturating_generator_loss_forward
        backward = losses.non_saturating_generator_loss_backward
    expected.backward()
    loss, cache = forward(s_f)
    assert abs(loss - expected.item()) <= TOL * abs(expected.item())
    assert relative_error(backward(1.0, cache), t.grad.numpy()) <= TOL


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(5)
    box = {}

    def d_forward(s_r, s_f):
        loss, box["d"] = losses.discriminator_loss_forward(s_r, s_f)
        return np.array(loss)

    errors = check_function(d_forward, lambda dout: losses.discriminator_loss_backward(float(dout), box["d"]),
                            [logits(6, 3), logits(4, 4)], rng=rng)
    assert max(errors) < 1e-7, errors
    for name in ("minimax", "non_saturating"):
        forward = getattr(losses, f"{name}_generator_loss_forward")
        backward = getattr(losses, f"{name}_generator_loss_backward")

        def g_forward(s_f, forward=forward):
            loss, box["g"] = forward(s_f)
            return np.array(loss)

        errors = check_function(g_forward, lambda dout, backward=backward: backward(float(dout), box["g"]),
                                [logits((5, 1), 6)], rng=rng)
        assert max(errors) < 1e-7, (name, errors)


def test_minimax_saturates_where_the_non_saturating_loss_does_not():
    confident_fake = np.array([-10.0])  # D(G(z)) = sigmoid(-10) ~ 4.5e-5: the discriminator rejects the fake
    d = losses.sigmoid(confident_fake)[0]
    minimax = losses.minimax_generator_loss_backward(1.0, losses.minimax_generator_loss_forward(confident_fake)[1])
    non_sat = losses.non_saturating_generator_loss_backward(
        1.0, losses.non_saturating_generator_loss_forward(confident_fake)[1])
    assert minimax[0] == pytest.approx(-d) and abs(minimax[0]) < 1e-4
    assert non_sat[0] == pytest.approx(d - 1) and abs(non_sat[0]) > 0.999
    # both push the logit up (negative gradient of the loss means: raise s_f to lower the loss)
    assert minimax[0] < 0 and non_sat[0] < 0


def test_huge_logits_stay_finite_and_dtype_is_kept():
    s = np.array([-800.0, 800.0], dtype=np.float32)
    loss, cache = losses.discriminator_loss_forward(s, s)
    assert np.isfinite(loss) and loss == pytest.approx((800 + 0) / 2 + (0 + 800) / 2)
    dreal, dfake = losses.discriminator_loss_backward(1.0, cache)
    assert dreal.dtype == np.float32 and np.all(np.isfinite(dreal)) and np.all(np.isfinite(dfake))


def test_optimal_discriminator():
    p_data, p_model = np.array([1.0, 0.0, 0.3, 0.0]), np.array([1.0, 2.0, 0.1, 0.0])
    np.testing.assert_allclose(losses.optimal_discriminator(p_data, p_model), [0.5, 0.0, 0.75, 0.5])
    with pytest.raises(ValueError, match="same shape"):
        losses.optimal_discriminator(np.ones(2), np.ones(3))


def test_errors_name_expected_and_got():
    with pytest.raises(ValueError, match=r"expected fake_logits of shape \(N,\) or \(N, 1\), got shape \(3, 2\)"):
        losses.discriminator_loss_forward(np.zeros(3), np.zeros((3, 2)))
    with pytest.raises(TypeError, match="expected real_logits of dtype float32 or float64, got int64"):
        losses.discriminator_loss_forward(np.zeros(3, dtype=np.int64), np.zeros(3))
    with pytest.raises(ValueError, match="at least one logit"):
        losses.non_saturating_generator_loss_forward(np.zeros(0))
