"""The losses of a generative adversarial network, written on the discriminator's logits.

The discriminator outputs a logit s; D = sigmoid(s) is its probability that the input is real. With real inputs x
and generated ones G(z) (logits s_r, s_f; N_r and N_f of them):

- discriminator:          L_D = -mean log D(x) - mean log(1 - D(G(z)))  = mean softplus(-s_r) + mean softplus(s_f);
- minimax generator:      L_G = mean log(1 - D(G(z)))                   = -mean softplus(s_f)   (minimised by G);
- non-saturating one:     L_G = -mean log D(G(z))                       = mean softplus(-s_f).

softplus(s) = log(1 + e^s), so log sigmoid(s) = -softplus(-s) and log(1 - sigmoid(s)) = -softplus(s). Written on
logits, nothing overflows and log(0) never appears. The gradients per logit are short:

    dL_D/ds_r = (D(x) - 1) / N_r,   dL_D/ds_f = D(G(z)) / N_f,
    minimax: dL_G/ds_f = -D(G(z)) / N_f,   non-saturating: dL_G/ds_f = (D(G(z)) - 1) / N_f.

The minimax gradient vanishes when D(G(z)) is near 0 (the discriminator confidently rejects the fakes, as early in
training); the non-saturating one is then near its largest, -1/N_f. Both push D(G(z)) up.

Each loss is a pair of pure functions: ``<loss>_forward(logits...) -> (loss, cache)`` and
``<loss>_backward(dout, cache) -> gradients``, in the order of forward's arrays.
"""

from __future__ import annotations

import numpy as np

from dlcourse.validate import as_float_array, check_ndim


def softplus(s: np.ndarray) -> np.ndarray:
    """log(1 + e^s) without overflow, any shape."""
    return np.logaddexp(0.0, s)


def sigmoid(s: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-s) without overflow (through tanh), any shape."""
    return 0.5 * (1.0 + np.tanh(0.5 * s))


def _logits(s, where: str, name: str) -> np.ndarray:
    """A non-empty (N,) or (N, 1) float array of logits, flattened to (N,) for the means; the shape is kept."""
    s = as_float_array(s, where, name)
    check_ndim(s, (1, 2), where, "(N,) or (N, 1)", name)
    if s.ndim == 2 and s.shape[1] != 1:
        raise ValueError(f"{where}: expected {name} of shape (N,) or (N, 1), got shape {s.shape}")
    if s.size == 0:
        raise ValueError(f"{where}: expected at least one logit in {name}, got shape {s.shape}")
    return s


def discriminator_loss_forward(real_logits: np.ndarray, fake_logits: np.ndarray) -> tuple[float, tuple]:
    """The discriminator's binary cross-entropy: real labelled 1, generated labelled 0.

    Args:
        real_logits: (N_r,) or (N_r, 1) the discriminator's logits on real samples.
        fake_logits: (N_f,) or (N_f, 1) its logits on generated samples.
    Returns:
        loss: mean softplus(-real_logits) + mean softplus(fake_logits), a float.
        cache: what discriminator_loss_backward needs.
    """
    s_r = _logits(real_logits, "discriminator_loss_forward", "real_logits")
    s_f = _logits(fake_logits, "discriminator_loss_forward", "fake_logits")
    loss = softplus(-s_r).mean() + softplus(s_f).mean()
    return float(loss), (s_r, s_f)


def discriminator_loss_backward(dout: float, cache: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of discriminator_loss_forward.

    Args:
        dout: the gradient of the final objective with respect to the loss (1.0 when the loss is the objective).
        cache: from discriminator_loss_forward.
    Returns:
        dreal_logits: (D(x) - 1) / N_r * dout, the shape of real_logits.
        dfake_logits: D(G(z)) / N_f * dout, the shape of fake_logits.
    """
    s_r, s_f = cache
    return dout * (sigmoid(s_r) - 1) / s_r.size, dout * sigmoid(s_f) / s_f.size


def minimax_generator_loss_forward(fake_logits: np.ndarray) -> tuple[float, tuple]:
    """The generator's side of the minimax game: mean log(1 - D(G(z))), which the generator minimises.

    Args:
        fake_logits: (N,) or (N, 1) the discriminator's logits on generated samples.
    Returns:
        loss: -mean softplus(fake_logits), a float (<= 0). cache: for the backward.
    """
    s_f = _logits(fake_logits, "minimax_generator_loss_forward", "fake_logits")
    return float(-softplus(s_f).mean()), (s_f,)


def minimax_generator_loss_backward(dout: float, cache: tuple) -> np.ndarray:
    """Gradient of minimax_generator_loss_forward: -D(G(z)) / N * dout, the shape of fake_logits."""
    (s_f,) = cache
    return -dout * sigmoid(s_f) / s_f.size


def non_saturating_generator_loss_forward(fake_logits: np.ndarray) -> tuple[float, tuple]:
    """The non-saturating generator loss: -mean log D(G(z)), "make the discriminator call the fakes real".

    Args:
        fake_logits: (N,) or (N, 1) the discriminator's logits on generated samples.
    Returns:
        loss: mean softplus(-fake_logits), a float (>= 0). cache: for the backward.
    """
    s_f = _logits(fake_logits, "non_saturating_generator_loss_forward", "fake_logits")
    return float(softplus(-s_f).mean()), (s_f,)


def non_saturating_generator_loss_backward(dout: float, cache: tuple) -> np.ndarray:
    """Gradient of non_saturating_generator_loss_forward: (D(G(z)) - 1) / N * dout, the shape of fake_logits."""
    (s_f,) = cache
    return dout * (sigmoid(s_f) - 1) / s_f.size


def optimal_discriminator(p_data: np.ndarray, p_model: np.ndarray) -> np.ndarray:
    """The best discriminator against a fixed generator: D*(x) = p_data(x) / (p_data(x) + p_model(x)).

    Args:
        p_data: (...) densities of the data at some points. p_model: (...) the generator's densities there.
    Returns:
        (...) D* at those points; 1/2 where both densities are 0 (nothing to tell apart there).
    """
    p_data = as_float_array(p_data, "optimal_discriminator", "p_data")
    p_model = as_float_array(p_model, "optimal_discriminator", "p_model")
    if p_data.shape != p_model.shape:
        raise ValueError(f"optimal_discriminator: expected p_data and p_model of the same shape, got {p_data.shape} "
                         f"and {p_model.shape}")
    if np.any(p_data < 0) or np.any(p_model < 0):
        raise ValueError("optimal_discriminator: expected densities >= 0, got a negative value")
    total = p_data + p_model
    return np.where(total > 0, p_data / np.where(total > 0, total, 1.0), 0.5)
