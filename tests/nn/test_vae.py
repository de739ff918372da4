"""VAE loss pieces: gradient checks, parity with torch in float64 (loss and gradients), the reduction, bad inputs."""

import math

import numpy as np
import pytest
import torch

from dlcourse.gradcheck import check_function, relative_error
from dlcourse.nn.vae import (
    bernoulli_nll_backward,
    bernoulli_nll_forward,
    gaussian_kl_backward,
    gaussian_kl_forward,
    gaussian_nll_backward,
    gaussian_nll_forward,
    negative_elbo_backward,
    negative_elbo_forward,
    reparameterize_backward,
    reparameterize_forward,
)
from tests.parity import TOL


def _inputs(rng, N=5, L=3, D=7):
    return (rng.standard_normal((N, L)), rng.standard_normal((N, L)), 3 * rng.standard_normal((N, D)),
            rng.random((N, D)))


def test_reparameterize_gradcheck_and_statistics(rng):
    mu, logvar, _, _ = _inputs(rng)
    eps = rng.standard_normal(mu.shape)
    cache = {}

    def forward(m, lv):
        z, cache["c"] = reparameterize_forward(m, lv, eps=eps)
        return z

    errors = check_function(forward, lambda dz: reparameterize_backward(dz, cache["c"]), [mu, logvar], rng=rng)
    assert max(errors) < 1e-8, errors
    # many draws of one (mu, sigma): sample mean and standard deviation match
    z, _ = reparameterize_forward(np.full((200_000, 1), 2.0), np.full((200_000, 1), math.log(0.25)),
                                  rng=np.random.default_rng(1))
    assert abs(z.mean() - 2.0) < 0.01 and abs(z.std() - 0.5) < 0.01


def test_reparameterize_uses_the_generator_and_keeps_dtype():
    mu = np.zeros((4, 2), dtype=np.float32)
    a, _ = reparameterize_forward(mu, mu, rng=np.random.default_rng(3))
    b, _ = reparameterize_forward(mu, mu, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32
    np.testing.assert_allclose(a, np.random.default_rng(3).standard_normal((4, 2)), rtol=1e-6)


@pytest.mark.parametrize("term", ["kl", "bernoulli", "gaussian"])
def test_terms_gradcheck(rng, term):
    mu, logvar, logits, x = _inputs(rng)
    cache = {}
    if term == "kl":
        def forward(m, lv):
            out, cache["c"] = gaussian_kl_forward(m, lv)
            return out
        backward, inputs = (lambda d: gaussian_kl_backward(d, cache["c"])), [mu, logvar]
    elif term == "bernoulli":
        def forward(logit):
            out, cache["c"] = bernoulli_nll_forward(logit, x)
            return out
        backward, inputs = (lambda d: bernoulli_nll_backward(d, cache["c"])), [logits]
    else:
        def forward(mean):
            out, cache["c"] = gaussian_nll_forward(mean, x, variance=0.3)
            return out
        backward, inputs = (lambda d: gaussian_nll_backward(d, cache["c"])), [logits]
    assert max(check_function(forward, backward, inputs, rng=rng)) < 1e-7


def test_kl_is_zero_at_the_prior_and_matches_torch_distributions(rng):
    kl, _ = gaussian_kl_forward(np.zeros((2, 4)), np.zeros((2, 4)))
    np.testing.assert_array_equal(kl, 0.0)
    mu, logvar, _, _ = _inputs(rng)
    q = torch.distributions.Normal(torch.tensor(mu), torch.tensor(np.exp(0.5 * logvar)))
    p = torch.distributions.Normal(torch.zeros(mu.shape, dtype=torch.float64), 1.0)
    expected = torch.distributions.kl_divergence(q, p).sum(1).numpy()
    assert relative_error(gaussian_kl_forward(mu, logvar)[0], expected) < TOL


def test_reconstruction_terms_are_log_densities(rng):
    _, _, logits, x = _inputs(rng)
    binary = (x > 0.5).astype(np.float64)
    bern = torch.distributions.Bernoulli(logits=torch.tensor(logits)).log_prob(torch.tensor(binary)).sum(1)
    assert relative_error(bernoulli_nll_forward(logits, binary)[0], -bern.numpy()) < TOL
    gauss = torch.distributions.Normal(torch.tensor(logits), math.sqrt(0.3)).log_prob(torch.tensor(x)).sum(1)
    assert relative_error(gaussian_nll_forward(logits, x, variance=0.3)[0], -gauss.numpy()) < TOL


def _torch_negative_elbo(x, decoded, mu, logvar, likelihood, beta, variance):
    """The same loss written with torch's own functions: sum over units, mean over the batch."""
    if likelihood == "bernoulli":
        rec = torch.nn.functional.binary_cross_entropy_with_logits(decoded, x, reduction="none").flatten(1).sum(1)
    else:
        rec = torch.nn.functional.gaussian_nll_loss(decoded, x, torch.full_like(x, variance), full=True,
                                                    reduction="none").flatten(1).sum(1)
    kl = -0.5 * torch.sum(1 + logvar - mu**2 - logvar.exp(), dim=1)
    return (rec + beta * kl).mean()


@pytest.mark.parametrize("likelihood, beta, image", [("bernoulli", 1.0, False), ("bernoulli", 0.25, True),
                                                      ("gaussian", 1.0, False), ("gaussian", 4.0, True)])
def test_negative_elbo_parity_with_torch(rng, likelihood, beta, image):
    N, L = 6, 3
    mu, logvar = rng.standard_normal((N, L)), rng.standard_normal((N, L))
    shape = (N, 2, 3, 4) if image else (N, 10)
    decoded, x = rng.standard_normal(shape), rng.random(shape)
    loss, cache = negative_elbo_forward(x, decoded, mu, logvar, likelihood=likelihood, beta=beta, variance=0.5)
    grads = negative_elbo_backward(1.0, cache)
    tensors = [torch.tensor(a, requires_grad=True) for a in (decoded, mu, logvar)]
    expected = _torch_negative_elbo(torch.tensor(x), *tensors, likelihood, beta, 0.5)
    expected.backward()
    assert relative_error(np.array(loss), expected.detach().numpy()) < TOL
    for ours, theirs in zip(grads, tensors, strict=True):
        assert ours.shape == theirs.shape
        assert relative_error(ours, theirs.grad.numpy()) < TOL
    terms = cache[-1]
    assert math.isclose(loss, terms["reconstruction"] + beta * terms["kl"], rel_tol=1e-12)


def test_whole_vae_step_parity_with_torch(rng):
    """Encoder -> reparameterise (same eps) -> decoder -> loss: the loss and every weight gradient agree."""
    from dlcourse.nn.functional import linear_backward, linear_forward

    N, D, L = 8, 12, 2
    x = (rng.random((N, D)) > 0.5).astype(np.float64)
    W_enc, b_enc = rng.standard_normal((2 * L, D)) * 0.3, rng.standard_normal(2 * L)
    W_dec, b_dec = rng.standard_normal((D, L)), rng.standard_normal(D)
    eps = rng.standard_normal((N, L))
    h, enc_cache = linear_forward(x, W_enc, b_enc)
    mu, logvar = h[:, :L], h[:, L:]
    z, rep_cache = reparameterize_forward(mu, logvar, eps=eps)
    logits, dec_cache = linear_forward(z, W_dec, b_dec)
    loss, cache = negative_elbo_forward(x, logits, mu, logvar)
    dlogits, dmu_kl, dlogvar_kl = negative_elbo_backward(1.0, cache)
    dz, dW_dec, db_dec = linear_backward(dlogits, dec_cache)
    dmu_z, dlogvar_z = reparameterize_backward(dz, rep_cache)
    _, dW_enc, db_enc = linear_backward(np.concatenate([dmu_kl + dmu_z, dlogvar_kl + dlogvar_z], 1), enc_cache)

    params = [torch.tensor(a, requires_grad=True) for a in (W_enc, b_enc, W_dec, b_dec)]
    ht = torch.tensor(x) @ params[0].T + params[1]
    mut, logvart = ht[:, :L], ht[:, L:]
    zt = mut + torch.exp(0.5 * logvart) * torch.tensor(eps)
    losst = _torch_negative_elbo(torch.tensor(x), zt @ params[2].T + params[3], mut, logvart, "bernoulli", 1.0, 1.0)
    losst.backward()
    assert relative_error(np.array(loss), losst.detach().numpy()) < TOL
    for ours, theirs in zip((dW_enc, db_enc, dW_dec, db_dec), params, strict=True):
        assert relative_error(ours, theirs.grad.numpy()) < TOL


def test_reduction_is_sum_over_units_mean_over_batch(rng):
    """Doubling the batch with a copy leaves the loss unchanged; doubling the pixels with a copy doubles the
    reconstruction term (it is summed, not averaged, over pixels)."""
    mu, logvar, logits, x = _inputs(rng)
    loss, cache = negative_elbo_forward(x, logits, mu, logvar)
    twice, _ = negative_elbo_forward(np.concatenate([x, x]), np.concatenate([logits, logits]),
                                     np.concatenate([mu, mu]), np.concatenate([logvar, logvar]))
    assert math.isclose(loss, twice, rel_tol=1e-12)
    _, wide = negative_elbo_forward(np.concatenate([x, x], 1), np.concatenate([logits, logits], 1), mu, logvar)
    assert math.isclose(wide[-1]["reconstruction"], 2 * cache[-1]["reconstruction"], rel_tol=1e-12)


def test_float32_stays_float32(rng):
    mu, logvar, logits, x = (a.astype(np.float32) for a in _inputs(rng))
    _, cache = negative_elbo_forward(x, logits, mu, logvar)
    assert all(g.dtype == np.float32 for g in negative_elbo_backward(1.0, cache))
    _, cache = gaussian_nll_forward(logits, x)
    assert gaussian_nll_backward(np.ones(len(x), np.float32), cache).dtype == np.float32


def test_bad_inputs(rng):
    mu, logvar, logits, x = _inputs(rng)
    with pytest.raises(ValueError, match=r"expected logvar with the same shape as mu \(5, 3\), got \(5, 2\)"):
        gaussian_kl_forward(mu, logvar[:, :2])
    with pytest.raises(ValueError, match=r"expected mu of shape \(N, L\) \(2-D\), got shape \(3,\)"):
        reparameterize_forward(mu[0], logvar[0])
    with pytest.raises(ValueError, match=r"expected eps with the same shape as mu"):
        reparameterize_forward(mu, logvar, eps=np.zeros((2, 2)))
    with pytest.raises(TypeError, match="expected mu of dtype float32 or float64, got int64"):
        gaussian_kl_forward(np.zeros((2, 2), dtype=np.int64), logvar[:2, :2])
    with pytest.raises(ValueError, match=r"expected x with the same shape as logits"):
        bernoulli_nll_forward(logits, x[:, :3])
    with pytest.raises(ValueError, match="expected likelihood to be one of"):
        negative_elbo_forward(x, logits, mu, logvar, likelihood="poisson")
    with pytest.raises(ValueError, match="expected beta >= 0"):
        negative_elbo_forward(x, logits, mu, logvar, beta=-1.0)
    with pytest.raises(ValueError, match="expected variance > 0"):
        gaussian_nll_forward(logits, x, variance=0.0)
    with pytest.raises(ValueError, match=r"expected mu with one row per example of x \(5\), got 4"):
        negative_elbo_forward(x, logits, mu[:4], logvar[:4])
    _, cache = gaussian_kl_forward(mu, logvar)
    with pytest.raises(ValueError, match=r"expected dout of shape \(5,\) \(one value per example\), got \(\)"):
        gaussian_kl_backward(1.0, cache)
    with pytest.raises(TypeError, match=r"reparameterize_forward: expected rng=np.random.Generator .* got RandomState"):
        reparameterize_forward(mu, logvar, rng=np.random.RandomState(0))
