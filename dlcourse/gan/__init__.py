"""Generative adversarial networks (chapter 11): the players' losses on logits, scoring a generator on a mixture with
known modes, and the Fréchet distance between feature sets. One concept per module; the modules hold the math."""

from dlcourse.gan.coverage import ModeCoverage, mode_coverage, nearest_mode
from dlcourse.gan.frechet import frechet_distance, frechet_distance_of_features, gaussian_statistics
from dlcourse.gan.losses import (
    discriminator_loss_backward,
    discriminator_loss_forward,
    minimax_generator_loss_backward,
    minimax_generator_loss_forward,
    non_saturating_generator_loss_backward,
    non_saturating_generator_loss_forward,
    optimal_discriminator,
    sigmoid,
    softplus,
)
