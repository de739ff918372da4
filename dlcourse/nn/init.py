"""Weight initialisation, as torch.nn.init, always drawing from an explicit ``np.random.Generator``.

fan_in and fan_out follow PyTorch: for a weight of shape (M, D, *kernel), fan_in = D * prod(kernel) and
fan_out = M * prod(kernel).
"""

from __future__ import annotations

import math

import numpy as np

from dlcourse.nn.module import Parameter
from dlcourse.validate import check_rng

_GAINS = {"linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0),
          "selu": 3.0 / 4}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance steady through a layer followed by ``nonlinearity``.

    Args:
        nonlinearity: "linear", "conv1d", "conv2d", "sigmoid", "tanh", "relu", "selu" or "leaky_relu".
        param: leaky_relu's negative slope (None: 0.01); ignored by the others.
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: expected one of {sorted(_GAINS) + ['leaky_relu']}, got {nonlinearity!r}")
    return _GAINS[nonlinearity]


def fan_in_and_fan_out(shape: tuple) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight.

    Args:
        shape: (M, D, *kernel), at least 2-D.
    """
    if len(shape) < 2:
        raise ValueError(f"fan_in_and_fan_out: expected a weight with at least 2 dimensions, got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fill(target, sample) -> np.ndarray:
    array = target.data if isinstance(target, Parameter) else target
    array[...] = sample(array.shape).astype(array.dtype)
    return target


def uniform_(target: Parameter | np.ndarray, a: float = 0.0, b: float = 1.0, *, rng: np.random.Generator
             ) -> Parameter | np.ndarray:
    """Fill ``target`` from U(a, b).

    Args:
        target: a Parameter or an array of any shape (a weight is (M, D, *kernel)), filled in place.
        a: the lower bound.
        b: the upper bound.
        rng: the Generator to draw from (None: a fresh unseeded one).
    Returns:
        target, filled.
    """
    rng = check_rng(rng, "uniform_")
    return _fill(target, lambda shape: rng.uniform(a, b, size=shape))


def normal_(target: Parameter | np.ndarray, mean: float = 0.0, std: float = 1.0, *, rng: np.random.Generator
            ) -> Parameter | np.ndarray:
    """Fill ``target`` from N(mean, std^2).

    Args:
        target: a Parameter or an array of any shape (a weight is (M, D, *kernel)), filled in place.
        mean: the mean.
        std: the standard deviation.
        rng: the Generator to draw from (None: a fresh unseeded one).
    Returns:
        target, filled.
    """
    rng = check_rng(rng, "normal_")
    return _fill(target, lambda shape: rng.normal(mean, std, size=shape))


def zeros_(target: Parameter | np.ndarray) -> Parameter | np.ndarray:
    """Fill ``target`` with zeros.

    Args:
        target: a Parameter or an array of any shape (a weight is (M, D, *kernel)), filled in place.
    Returns:
        target, filled.
    """
    return _fill(target, np.zeros)


def ones_(target: Parameter | np.ndarray) -> Parameter | np.ndarray:
    """Fill ``target`` with ones.

    Args:
        target: a Parameter or an array of any shape (a weight is (M, D, *kernel)), filled in place.
    Returns:
        target, filled.
    """
    return _fill(target, np.ones)


def _shape(target) -> tuple:
    return target.shape


def xavier_uniform_(target: Parameter | np.ndarray, gain: float = 1.0, *, rng: np.random.Generator
                    ) -> Parameter | np.ndarray:
    """Glorot: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)); keeps variance in both directions.

    Args:
        target: a Parameter or an array of any shape (a weight is (M, D, *kernel)), filled in place.
        gain: from calculate_gain.
        rng: the Generator to draw from (None: a fresh unseeded one).
    Returns:
        target, filled.
    """
    fan_in, fan_out = fan_in_and_fan_out(_shape(target))
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(target, -bound, bound, rng=rng)


def xavier_normal_(target: Parameter | np.ndarray, gain: float = 1.0, *, rng: np.random.Generator
                   ) -> Parameter | np.ndarray:
    """Glorot: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).

    Args:
        target: as xavier_uniform_.
        gain: as xavier_uniform_.
        rng: as xavier_uniform_.
    Returns:
        target, filled.
    """
    fan_in, fan_out = fan_in_and_fan_out(_shape(target))
    return normal_(target, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng=rng)


def _kaiming_std(target, a, mode, nonlinearity) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: expected mode 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fan_in_and_fan_out(_shape(target))
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(target: Parameter | np.ndarray, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", *, rng: np.random.Generator) -> Parameter | np.ndarray:
    """He: U(-b, b) with b = gain * sqrt(3 / fan); keeps forward variance through ReLU layers.

    Args:
        target: a Parameter or an array of any shape (a weight is (M, D, *kernel)), filled in place.
        a: leaky_relu's negative slope (0: ReLU).
        mode: "fan_in" (keeps the forward pass's variance) or "fan_out" (the backward pass's).
        nonlinearity: as calculate_gain.
        rng: the Generator to draw from (None: a fresh unseeded one).
    Returns:
        target, filled.
    """
    bound = math.sqrt(3.0) * _kaiming_std(target, a, mode, nonlinearity)
    return uniform_(target, -bound, bound, rng=rng)


def kaiming_normal_(target: Parameter | np.ndarray, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", *, rng: np.random.Generator) -> Parameter | np.ndarray:
    """He: N(0, std^2) with std = gain / sqrt(fan).

    Args:
        target: as kaiming_uniform_.
        a: as kaiming_uniform_.
        mode: as kaiming_uniform_.
        nonlinearity: as kaiming_uniform_.
        rng: as kaiming_uniform_.
    Returns:
        target, filled.
    """
    return normal_(target, 0.0, _kaiming_std(target, a, mode, nonlinearity), rng=rng)


def default_rng(rng: np.random.Generator | None) -> np.random.Generator:
    """The generator a layer draws its initial weights from: the caller's, or for None a fresh unseeded one
    (``dlcourse.validate.check_rng`` with the message naming layer initialisation)."""
    return check_rng(rng, "layer init")
