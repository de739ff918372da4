"""The pieces of a variational autoencoder's loss, as pure functions with their backward passes.

An encoder gives, for every input x, a diagonal Gaussian q(z | x) = N(mu, diag(exp(logvar))) over the L latent
units; a decoder turns a latent z into the parameters of p(x | z). The loss is the negative evidence lower bound

    -ELBO(x) = E_q[-log p(x | z)] + KL(q(z | x) || N(0, I)),

estimated with one sample z = mu + sigma * eps, eps ~ N(0, I) (the reparameterisation), and with the KL in closed
form. **Reduction**: both terms are summed over pixels and latent units (they are log-densities of whole vectors),
then averaged over the batch. Averaging over pixels instead (what MSELoss's default "mean" does) shrinks the
reconstruction term by the number of pixels against the KL, which is the classic VAE bug: the KL wins and the
decoder ignores z (posterior collapse).

Each term is ``<term>_forward(...) -> (per_example (N,), cache)`` and ``<term>_backward(dout (N,), cache)``;
``negative_elbo_forward`` puts them together with the reduction above and a KL weight ``beta``.
"""

from __future__ import annotations

import math

import numpy as np

from dlcourse.nn.activations import sigmoid_forward
from dlcourse.validate import as_float_array, check_choice, check_ndim, check_rng, check_same_shape

LIKELIHOODS = ("bernoulli", "gaussian")


def _pair(mu, logvar, where: str) -> tuple[np.ndarray, np.ndarray]:
    """mu and logvar as float arrays of the same (N, L) shape."""
    mu, logvar = as_float_array(mu, where, "mu"), as_float_array(logvar, where, "logvar")
    check_ndim(mu, 2, where, "(N, L)", "mu")
    check_same_shape(mu, logvar, where, ("mu", "logvar"))
    return mu, logvar


def _per_example(dout, n: int, dtype, where: str) -> np.ndarray:
    """The upstream gradient of an (N,) loss as an (N, 1) column that broadcasts over units."""
    dout = np.asarray(dout, dtype=dtype)
    if dout.shape != (n,):
        raise ValueError(f"{where}: expected dout of shape ({n},) (one value per example), got {dout.shape}")
    return dout[:, None]


def reparameterize_forward(mu: np.ndarray, logvar: np.ndarray, *, rng: np.random.Generator | None = None,
                           eps: np.ndarray | None = None) -> tuple[np.ndarray, tuple]:
    """A sample of N(mu, diag(exp(logvar))) written as a differentiable function of mu and logvar.

    z = mu + sigma * eps with sigma = exp(logvar / 2) and eps ~ N(0, I): the randomness sits in eps, which does not
    depend on the parameters, so gradients flow through mu and sigma.

    Args:
        mu: (N, L) means. logvar: (N, L) log-variances (any real number; the variance exp(logvar) stays positive).
        rng: Generator for eps (None: a fresh unseeded one).
        eps: (N, L) noise to use instead of drawing it (to give a PyTorch twin the same noise).
    Returns:
        z: (N, L). cache: (eps, sigma) for reparameterize_backward.
    """
    mu, logvar = _pair(mu, logvar, "reparameterize_forward")
    if eps is None:
        rng = check_rng(rng, "reparameterize_forward")
        eps = rng.standard_normal(mu.shape).astype(mu.dtype)
    else:
        eps = as_float_array(eps, "reparameterize_forward", "eps")
        check_same_shape(mu, eps, "reparameterize_forward", ("mu", "eps"))
    sigma = np.exp(0.5 * logvar)
    return mu + sigma * eps, (eps, sigma)


def reparameterize_backward(dz: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of reparameterize_forward.

    Args:
        dz: (N, L). cache: from reparameterize_forward.
    Returns:
        dmu: (N, L) = dz. dlogvar: (N, L) = dz * eps * sigma / 2, since d sigma / d logvar = sigma / 2.
    """
    eps, sigma = cache
    return dz, dz * eps * sigma * 0.5


def gaussian_kl_forward(mu: np.ndarray, logvar: np.ndarray) -> tuple[np.ndarray, tuple]:
    """KL(N(mu, diag(exp(logvar))) || N(0, I)) in closed form, summed over the latent units.

    Args:
        mu: (N, L). logvar: (N, L).
    Returns:
        kl: (N,) = 1/2 sum_l (mu^2 + exp(logvar) - 1 - logvar), in nats, >= 0 (0 only for mu = 0, logvar = 0).
        cache: for gaussian_kl_backward.
    """
    mu, logvar = _pair(mu, logvar, "gaussian_kl_forward")
    variance = np.exp(logvar)
    return 0.5 * np.sum(mu**2 + variance - 1.0 - logvar, axis=1), (mu, variance)


def gaussian_kl_backward(dkl: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of gaussian_kl_forward.

    Args:
        dkl: (N,). cache: from gaussian_kl_forward.
    Returns:
        dmu: (N, L) = dkl * mu. dlogvar: (N, L) = dkl * (exp(logvar) - 1) / 2.
    """
    mu, variance = cache
    d = _per_example(dkl, mu.shape[0], mu.dtype, "gaussian_kl_backward")
    return d * mu, d * 0.5 * (variance - 1.0)


def _flat_pair(prediction, x, where: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """prediction and x of the same shape (N, ...) as (N, D) views."""
    prediction, x = as_float_array(prediction, where, name), as_float_array(x, where, "x")
    check_same_shape(prediction, x, where, (name, "x"))
    if prediction.ndim < 2:
        raise ValueError(f"{where}: expected {name} of shape (N, D) or (N, C, H, W), got shape {prediction.shape}")
    return prediction.reshape(len(prediction), -1), x.reshape(len(x), -1)  # (N, ...) -> (N, D)


def bernoulli_nll_forward(logits: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """-log p(x | z) for independent Bernoulli pixels with probabilities sigmoid(logits), summed over pixels.

    Per pixel this is binary cross-entropy from logits, max(l, 0) - l x + log(1 + exp(-|l|)), which never takes
    the log of 0; x may be any value in [0, 1] (grey levels act as soft targets).

    Args:
        logits: (N, D) or (N, C, H, W) decoder outputs. x: the same shape, values in [0, 1].
    Returns:
        nll: (N,) in nats. cache: for bernoulli_nll_backward.
    """
    logits2d, x2d = _flat_pair(logits, x, "bernoulli_nll_forward", "logits")
    per_pixel = np.maximum(logits2d, 0) - logits2d * x2d + np.log1p(np.exp(-np.abs(logits2d)))
    return per_pixel.sum(axis=1), (logits2d, x2d, logits.shape)


def bernoulli_nll_backward(dnll: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of bernoulli_nll_forward with respect to the logits (x is data: no gradient).

    Args:
        dnll: (N,). cache: from bernoulli_nll_forward.
    Returns:
        dlogits: logits' shape, = dnll * (sigmoid(logits) - x).
    """
    logits2d, x2d, shape = cache
    d = _per_example(dnll, len(logits2d), logits2d.dtype, "bernoulli_nll_backward")
    return (d * (sigmoid_forward(logits2d)[0] - x2d)).reshape(shape)


def gaussian_nll_forward(mean: np.ndarray, x: np.ndarray, *, variance: float = 1.0) -> tuple[np.ndarray, tuple]:
    """-log p(x | z) for independent Gaussian pixels N(mean, variance) with a fixed variance, summed over pixels.

    Args:
        mean: (N, D) or (N, C, H, W) decoder outputs. x: the same shape. variance: the pixels' variance, > 0.
    Returns:
        nll: (N,) = sum_d [(x_d - mean_d)^2 / (2 variance) + log(2 pi variance) / 2], in nats.
        cache: for gaussian_nll_backward.
    """
    mean2d, x2d = _flat_pair(mean, x, "gaussian_nll_forward", "mean")
    if not variance > 0:
        raise ValueError(f"gaussian_nll_forward: expected variance > 0, got {variance!r}")
    diff = mean2d - x2d
    nll = (diff**2).sum(axis=1) / (2 * variance) + 0.5 * diff.shape[1] * math.log(2 * math.pi * variance)
    return nll.astype(mean2d.dtype), (diff, variance, mean.shape)


def gaussian_nll_backward(dnll: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of gaussian_nll_forward with respect to the mean.

    Args:
        dnll: (N,). cache: from gaussian_nll_forward.
    Returns:
        dmean: mean's shape, = dnll * (mean - x) / variance.
    """
    diff, variance, shape = cache
    d = _per_example(dnll, len(diff), diff.dtype, "gaussian_nll_backward")
    return (d * diff / variance).reshape(shape)


def negative_elbo_forward(x: np.ndarray, decoded: np.ndarray, mu: np.ndarray, logvar: np.ndarray, *,
                          likelihood: str = "bernoulli", beta: float = 1.0,
                          variance: float = 1.0) -> tuple[float, tuple]:
    """The VAE loss: mean over the batch of (reconstruction NLL + beta * KL), each summed over its units.

    Args:
        x: (N, D) or (N, C, H, W) data. decoded: x's shape, the decoder's output: logits for "bernoulli", means
            for "gaussian". mu, logvar: (N, L), the encoder's q(z | x).
        likelihood: "bernoulli" or "gaussian" (with fixed ``variance``).
        beta: weight of the KL term (1 gives the ELBO; beta-VAEs use other values), >= 0.
    Returns:
        loss: a float, in nats per example. cache: for negative_elbo_backward; cache[-1] holds the batch means of
        the two terms, {"reconstruction": ..., "kl": ...}.
    """
    check_choice(likelihood, LIKELIHOODS, "negative_elbo_forward", "likelihood")
    if not beta >= 0:
        raise ValueError(f"negative_elbo_forward: expected beta >= 0, got {beta!r}")
    mu, logvar = _pair(mu, logvar, "negative_elbo_forward")
    if len(x) != len(mu):
        raise ValueError(f"negative_elbo_forward: expected mu with one row per example of x ({len(x)}), "
                         f"got {len(mu)}")
    if likelihood == "bernoulli":
        reconstruction, rec_cache = bernoulli_nll_forward(decoded, x)
    else:
        reconstruction, rec_cache = gaussian_nll_forward(decoded, x, variance=variance)
    kl, kl_cache = gaussian_kl_forward(mu, logvar)
    terms = {"reconstruction": float(reconstruction.mean()), "kl": float(kl.mean())}
    loss = float(np.mean(reconstruction + beta * kl))  # sum over units (inside each term), mean over the batch
    return loss, (likelihood, beta, rec_cache, kl_cache, terms)


def negative_elbo_backward(dloss: float, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of negative_elbo_forward with respect to the decoder's output and the encoder's mu and logvar.

    Args:
        dloss: scalar (1.0 for the loss itself). cache: from negative_elbo_forward.
    Returns:
        ddecoded: decoded's shape. dmu: (N, L). dlogvar: (N, L). The 1/N of the batch mean is in all three.
    """
    likelihood, beta, rec_cache, kl_cache, _ = cache
    mu = kl_cache[0]
    per_example = np.full(len(mu), dloss / len(mu), dtype=mu.dtype)  # d mean / d term_n = 1/N
    backward = bernoulli_nll_backward if likelihood == "bernoulli" else gaussian_nll_backward
    ddecoded = backward(per_example, rec_cache)
    dmu, dlogvar = gaussian_kl_backward(beta * per_example, kl_cache)
    return ddecoded, dmu, dlogvar
