"""A synthetic loan-decision data set in which each kind of bias has its own knob, so each can be switched on alone.

Every applicant belongs to group 0 or group 1 (the protected attribute ``group``). Two features (``income`` and
``history``, standard normal) decide whether the applicant would repay (``y_true``), but the two groups weigh them
differently: group 0 repays according to ``income + 0.3 history``, group 1 according to ``0.3 income + history``
(the same rule, mirrored). A third feature, ``postcode``, carries no merit at all; it is ``group`` plus noise, a
proxy through which a model can see the group even when the group itself is left out of the features.

The knobs, all off by default (then both groups are alike in size, features and labels up to the mirror):

- ``minority_fraction`` (representation bias): the share of group 1 among applicants. Below 0.5 a model fits
  group 0's rule and makes more mistakes on group 1.
- ``historical_bias`` (biased labels): the probability that a group-1 applicant who would repay is recorded as a
  default anyway (``y`` differs from ``y_true``), as when past decisions were unfair. A model trained on ``y``
  learns the unfairness.
- ``measurement_noise`` (measurement bias): the standard deviation of extra noise on group 1's *observed*
  features (the true ones still decide ``y_true``), as when one group's records are less reliable.
- ``base_rate_gap``: shifts group 1's true features down by this much, so fewer of group 1 would repay. This is
  not a bias of the data (the labels are right) but a real difference in base rates, which the impossibility
  result of chapter 13 needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlcourse.validate import check_non_negative, check_positive_int, check_probability, check_rng

FEATURE_NAMES = ("income", "history", "postcode")
GROUP_WEIGHTS = np.array([[1.0, 0.3], [0.3, 1.0]])  # (group, feature): how much income and history decide repayment
LABEL_NOISE = 0.3  # std of the luck that also decides repayment: even a perfect model is not always right
PROXY_NOISE = 0.5  # std of postcode around the group: a strong, imperfect proxy


@dataclass
class DecisionData:
    """One sample of applicants.

    Attributes:
        X: (N, 3) observed features, in the order of FEATURE_NAMES.
        y: (N,) int64 recorded labels (1 = repaid), the ones a model is trained on.
        y_true: (N,) int64 what really happened; equal to y unless historical_bias > 0.
        group: (N,) int64 protected attribute, 0 or 1.
    """

    X: np.ndarray
    y: np.ndarray
    y_true: np.ndarray
    group: np.ndarray


def make_decisions(n_samples: int = 2000, *, minority_fraction: float = 0.5, historical_bias: float = 0.0,
                   measurement_noise: float = 0.0, base_rate_gap: float = 0.0,
                   rng: np.random.Generator | None = None) -> DecisionData:
    """Draw ``n_samples`` applicants; see the module docstring for what each knob does.

    Args:
        n_samples: N, the number of applicants.
        minority_fraction: share of group 1, in (0, 1); 0.5 means no representation bias.
        historical_bias: probability in [0, 1] that a group-1 repayer is recorded as a default.
        measurement_noise: std (>= 0) of the extra noise on group 1's observed features.
        base_rate_gap: how far (>= 0) group 1's true features are shifted down (a real base-rate difference).
        rng: the np.random.Generator to draw from (None: a fresh unseeded one).
    Returns:
        A DecisionData with X (N, 3), y (N,), y_true (N,) and group (N,).
    """
    where = "make_decisions"
    n_samples = check_positive_int(n_samples, where, "n_samples", minimum=2)
    minority_fraction = check_probability(minority_fraction, where, "minority_fraction", "the share of group 1")
    if not 0.0 < minority_fraction < 1.0:
        raise ValueError(f"{where}: expected 0 < minority_fraction < 1, got {minority_fraction}")
    historical_bias = check_probability(historical_bias, where, "historical_bias", "a label flip")
    measurement_noise = check_non_negative(measurement_noise, where, "measurement_noise")
    base_rate_gap = check_non_negative(base_rate_gap, where, "base_rate_gap")
    rng = check_rng(rng, where)

    group = (rng.random(n_samples) < minority_fraction).astype(np.int64)
    merit_features = rng.normal(size=(n_samples, 2)) - base_rate_gap * group[:, None]  # (N, 2): income, history
    merit = np.sum(GROUP_WEIGHTS[group] * merit_features, axis=1)  # each row weighted by its group's rule
    y_true = (merit + LABEL_NOISE * rng.normal(size=n_samples) > 0).astype(np.int64)

    # Measurement bias: group 1's records are noisier; the truth (merit_features) is unchanged.
    observed = merit_features + measurement_noise * group[:, None] * rng.normal(size=(n_samples, 2))
    postcode = group + PROXY_NOISE * rng.normal(size=n_samples)
    X = np.column_stack([observed, postcode])  # (N, 2) + (N,) -> (N, 3)

    # Historical bias: some group-1 repayers were recorded as defaults by an unfair past process.
    flipped = (group == 1) & (y_true == 1) & (rng.random(n_samples) < historical_bias)
    y = np.where(flipped, 0, y_true)
    return DecisionData(X=X, y=y, y_true=y_true, group=group)
