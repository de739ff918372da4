"""Loss functions, as torch.nn: MSELoss, L1Loss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss.

Each loss is a pair of pure functions, ``<name>_forward(input, target, ..., reduction) -> (loss, cache)`` and
``<name>_backward(dout, cache) -> dinput`` (targets are data, not learned, so only the input gets a gradient),
wrapped by a Module used as ``loss = criterion(input, target)`` then ``dinput = criterion.backward()``.

``reduction`` is PyTorch's: "none" keeps one loss per element (per sample for cross-entropy), "sum" adds them,
"mean" averages them (a weighted average for a cross-entropy with class weights). ``dout`` has the loss's shape:
a scalar for "mean"/"sum", the per-element shape for "none".
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from dlcourse.nn.activations import log_softmax_backward, log_softmax_forward, sigmoid_forward
from dlcourse.nn.module import Module
from dlcourse.validate import as_float_array, check_choice, check_same_shape

REDUCTIONS = ("mean", "sum", "none")
_BCE_LOG_FLOOR = -100.0  # torch clamps log(p) at -100 so that p = 0 gives a large finite loss, not inf
_BCE_EPS = float(np.float32(1e-12))  # torch's floor on p (1 - p) in the BCE gradient (a float32 constant there)


def _reduce(per_element: np.ndarray, reduction: str, divisor=None):
    """'none' -> per_element; 'sum' -> its sum; 'mean' -> sum / divisor (default: the number of elements)."""
    if reduction == "none":
        return per_element
    if reduction == "sum":
        return per_element.sum()
    return per_element.sum() / (per_element.size if divisor is None else divisor)


def _unreduce(dout, shape: tuple, dtype: DTypeLike, reduction: str, divisor=None) -> np.ndarray:
    """Gradient of _reduce: dout (scalar, or ``shape`` for 'none') -> a (*shape) gradient per element in ``dtype``
    (a Python 1.0 must not turn a float32 gradient into float64)."""
    dout = np.asarray(dout, dtype=dtype)
    if reduction == "mean":
        dout = dout / (int(np.prod(shape)) if divisor is None else divisor)
    return np.broadcast_to(dout, shape)


# ----- regression -------------------------------------------------------------------------------------------------
def mse_loss_forward(input: np.ndarray, target: np.ndarray, reduction: str = "mean") -> tuple:
    """(input - target)^2, reduced.

    Args:
        input: any shape.
        target: the input's shape.
        reduction: 'mean' (over all elements), 'sum' or 'none'.
    Returns:
        loss: a scalar, or the input's shape for 'none'.
        cache: what mse_loss_backward needs.
    """
    diff = input - target
    return _reduce(diff**2, reduction), (diff, reduction)


def mse_loss_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dinput = 2 (input - target) * dout per element (divided by the count for 'mean').

    Args:
        dout: the loss's shape: a scalar for 'mean' and 'sum', the per-element shape for 'none'.
        cache: from mse_loss_forward.
    Returns:
        dinput: the input's shape.
    """
    diff, reduction = cache
    return 2 * diff * _unreduce(dout, diff.shape, diff.dtype, reduction)


def l1_loss_forward(input: np.ndarray, target: np.ndarray, reduction: str = "mean") -> tuple:
    """|input - target|, reduced.

    Args:
        input: as mse_loss_forward.
        target: as mse_loss_forward.
        reduction: as mse_loss_forward.
    Returns:
        loss: as mse_loss_forward.
        cache: what l1_loss_backward needs.
    """
    diff = input - target
    return _reduce(np.abs(diff), reduction), (diff, reduction)


def l1_loss_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dinput = sign(input - target) * dout (0 where they are equal, as torch).

    Args:
        dout: the loss's shape: a scalar for 'mean' and 'sum', the per-element shape for 'none'.
        cache: from l1_loss_forward.
    Returns:
        dinput: the input's shape.
    """
    diff, reduction = cache
    return np.sign(diff) * _unreduce(dout, diff.shape, diff.dtype, reduction)


# ----- binary classification --------------------------------------------------------------------------------------
def binary_cross_entropy_forward(input: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None,
                                 reduction: str = "mean") -> tuple:
    """-w [t log p + (1 - t) log(1 - p)] with each log clamped at -100, reduced.

    Args:
        input: probabilities p in [0, 1], any shape.
        target: t, the same shape.
        weight: None, or a rescaling broadcastable to input's shape.
        reduction: 'mean', 'sum' or 'none'.
    Returns:
        loss (scalar, or input's shape for 'none') and the cache.
    """
    with np.errstate(divide="ignore"):  # log(0) = -inf is expected here: the clamp turns it into -100
        log_p = np.maximum(np.log(input), _BCE_LOG_FLOOR)
        log_1mp = np.maximum(np.log1p(-input), _BCE_LOG_FLOOR)
    per_element = -(target * log_p + (1 - target) * log_1mp)
    if weight is not None:
        per_element = per_element * weight
    return _reduce(per_element, reduction), (input, target, weight, reduction)


def binary_cross_entropy_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dinput = w (p - t) / max(p (1 - p), 1e-12) * dout (torch's floor keeps p = 0 or 1 finite).

    Args:
        dout: the loss's shape: a scalar for 'mean' and 'sum', the per-element shape for 'none'.
        cache: from binary_cross_entropy_forward.
    Returns:
        dinput: the input's shape.
    """
    p, t, weight, reduction = cache
    grad = (p - t) / np.maximum(p * (1 - p), _BCE_EPS) * _unreduce(dout, p.shape, p.dtype, reduction)
    return grad if weight is None else grad * weight


def binary_cross_entropy_with_logits_forward(input: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None,
                                             pos_weight: np.ndarray | None = None, reduction: str = "mean") -> tuple:
    """BCE of sigmoid(input), computed from the logits without ever forming log(0).

    With l = 1 + (pos_weight - 1) t, the loss per element is (1 - t) x + l softplus(-x), and
    softplus(-x) = log(1 + exp(-|x|)) + max(-x, 0) never overflows.

    Args:
        input: logits x, any shape.
        target: t in [0, 1], the same shape.
        weight: None, or a rescaling broadcastable to the input.
        pos_weight: None, or the weight of positive targets, broadcastable to the input (typically (K,) for (N, K)
            multi-label logits).
        reduction: 'mean', 'sum' or 'none'.
    Returns:
        loss (scalar, or input's shape for 'none') and the cache.
    """
    log_weight = 1.0 if pos_weight is None else 1 + (pos_weight - 1) * target
    softplus_neg = np.log1p(np.exp(-np.abs(input))) + np.maximum(-input, 0)
    per_element = (1 - target) * input + log_weight * softplus_neg
    if weight is not None:
        per_element = per_element * weight
    return _reduce(per_element, reduction), (input, target, weight, log_weight, reduction)


def binary_cross_entropy_with_logits_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dinput = w [(1 - t) - l sigmoid(-x)] * dout, which is w (sigmoid(x) - t) * dout without pos_weight.

    Args:
        dout: the loss's shape: a scalar for 'mean' and 'sum', the per-element shape for 'none'.
        cache: from binary_cross_entropy_with_logits_forward.
    Returns:
        dinput: the input's shape.
    """
    x, t, weight, log_weight, reduction = cache
    grad = ((1 - t) - log_weight * sigmoid_forward(-x)[0]) * _unreduce(dout, x.shape, x.dtype, reduction)
    return grad if weight is None else grad * weight


# ----- multi-class classification ---------------------------------------------------------------------------------
def _classes_last(input: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(K,) / (N, K) / (N, K, d1, ...) logits -> (M, K) rows, one per target entry -> (M,)."""
    if input.ndim == 1:
        return input[None, :], target.reshape(1)  # (K,) -> (1, K): one unbatched sample
    logits = np.moveaxis(input, 1, -1)  # (N, K, d1, ...) -> (N, d1, ..., K)
    return logits.reshape(-1, input.shape[1]), target.reshape(-1)  # (M, K), (M,) with M = N * d1 * ...


def cross_entropy_forward(input: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None,
                          ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0) -> tuple:
    """-log softmax(x)[y], computed with log-softmax so that large logits neither overflow nor give log(0).

    With label smoothing eps the target distribution is (1 - eps) onehot(y) + eps / K. 'mean' divides by the
    summed weights w[y_i] of the non-ignored targets, as torch.

    Args:
        input: logits of shape (N, K), (K,) or (N, K, d1, ...).
        target: int class indices of shape (N,), () or (N, d1, ...).
        weight: None or (K,) class weights.
        ignore_index: targets with this value count nothing.
        reduction: 'mean' (over the weights of the counted targets), 'sum' or 'none'.
        label_smoothing: eps in [0, 1]: the target distribution is (1 - eps) one-hot + eps / K uniform.
    Returns:
        loss: scalar, or the target's shape for 'none'; and the cache.
    """
    logits, labels = _classes_last(input, target)  # (M, K), (M,)
    num_classes = logits.shape[1]
    log_probs, softmax_cache = log_softmax_forward(logits, dim=1)  # (M, K)
    valid = labels != ignore_index
    safe = np.where(valid, labels, 0)  # any index in range; ignored rows get weight 0 below
    class_weight = np.ones(num_classes, logits.dtype) if weight is None else weight.astype(logits.dtype)
    row_weight = class_weight[safe] * valid  # (M,) w[y_i], 0 where ignored
    rows = np.arange(len(labels))
    per_sample = -(1 - label_smoothing) * row_weight * log_probs[rows, safe]
    if label_smoothing > 0:
        per_sample = per_sample - valid * (log_probs @ class_weight) * (label_smoothing / num_classes)
    divisor = row_weight.sum()
    loss = _reduce(per_sample.reshape(target.shape), reduction, divisor)
    return loss, (input.shape, safe, valid, class_weight, row_weight, label_smoothing, softmax_cache, reduction,
                  divisor)


def cross_entropy_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dinput = softmax(x) * sum(q) - q per row, q the weighted target distribution times dout.

    Args:
        dout: the loss's shape: a scalar for 'mean' and 'sum', the per-element shape for 'none'.
        cache: from cross_entropy_forward.
    Returns:
        dinput: the input's shape.
    """
    shape, safe, valid, class_weight, row_weight, label_smoothing, softmax_cache, reduction, divisor = cache
    num_rows, num_classes = len(safe), len(class_weight)
    target_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    # (M,) per-row gradient; for 'none' dout has the target's shape (N, d1, ...)
    dper_sample = _unreduce(dout, target_shape, class_weight.dtype, reduction, divisor).reshape(-1)
    dlog_probs = np.zeros((num_rows, num_classes), class_weight.dtype)
    dlog_probs[np.arange(num_rows), safe] = -(1 - label_smoothing) * row_weight * dper_sample
    if label_smoothing > 0:
        dlog_probs -= (label_smoothing / num_classes) * (valid * dper_sample)[:, None] * class_weight
    dlogits = log_softmax_backward(dlog_probs, softmax_cache)  # (M, K)
    if len(shape) == 1:
        return dlogits[0]
    spatial_last = (shape[0],) + shape[2:] + (shape[1],)  # (N, d1, ..., K)
    return np.moveaxis(dlogits.reshape(spatial_last), -1, 1)  # -> (N, K, d1, ...)


# ----- the Module wrappers ----------------------------------------------------------------------------------------
def _check_float_target(input: np.ndarray, target, where: str) -> np.ndarray:
    """Targets of regression and binary losses: a float array of the input's shape and dtype."""
    if hasattr(target, "detach") and hasattr(target, "numpy"):
        raise TypeError(f"{where}: expected a NumPy array for target, got a torch.Tensor; "
                        "use tensor.detach().cpu().numpy()")
    target = np.asarray(target)
    if target.dtype != input.dtype:
        raise TypeError(f"{where}: expected target of dtype {input.dtype} (the input's), got {target.dtype}; "
                        f"convert with target.astype(np.{input.dtype.name})")
    check_same_shape(input, target, where)
    return target


def _as_buffer(value, where: str, name: str) -> np.ndarray | None:
    return None if value is None else as_float_array(value, where, name)


class _Loss(Module):
    """Shared by every loss: ``forward(input, target)`` stores a cache, ``backward(grad_output=1.0)`` returns the
    gradient with respect to the input (the input's shape and dtype)."""

    _backward = None  # a staticmethod: (dout, cache) -> dinput

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = check_choice(reduction, REDUCTIONS, type(self).__name__, "reduction")

    def _register(self, name: str, value) -> None:
        # torch keeps weight / pos_weight as buffers (in the state_dict, cast by .double()); None stays a plain attr
        if value is None:
            setattr(self, name, None)
        else:
            self.register_buffer(name, _as_buffer(value, type(self).__name__, name))

    def _store(self, loss, cache, input: np.ndarray):
        self._cache, self._loss_shape, self._dtype = cache, np.shape(loss), input.dtype
        return loss

    def backward(self, grad_output=1.0) -> np.ndarray:
        """grad_output: scalar for 'mean'/'sum'; for 'none' the loss's shape (a scalar is broadcast).
        Returns: dinput, the input's shape."""
        where = f"{type(self).__name__}.backward"
        if not hasattr(self, "_cache"):
            raise RuntimeError(f"{where}: call forward first")
        dout = np.asarray(grad_output, dtype=self._dtype)
        if dout.size != 1 and dout.shape != self._loss_shape:
            raise ValueError(f"{where}: expected grad_output of shape {self._loss_shape} (the loss's) or a scalar, "
                             f"got shape {dout.shape}")
        return type(self)._backward(dout.reshape(self._loss_shape) if dout.size != 1 else dout.reshape(()),
                                    self._cache)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class _RegressionLoss(_Loss):
    """A loss of a float target of the input's shape, compared element by element (MSELoss, L1Loss)."""

    _forward = None  # a staticmethod: (input, target, reduction) -> (loss, cache)

    def forward(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        where = f"{type(self).__name__}.forward"
        input = as_float_array(input, where)
        target = _check_float_target(input, target, where)
        return self._store(*type(self)._forward(input, target, self.reduction), input)


class MSELoss(_RegressionLoss):
    """Mean squared error: mean((input - target)^2). Shapes: input (*), target (*) -> scalar, or (*) for 'none'."""

    _forward, _backward = staticmethod(mse_loss_forward), staticmethod(mse_loss_backward)


class L1Loss(_RegressionLoss):
    """Mean absolute error: mean(|input - target|). Shapes: input (*), target (*) -> scalar, or (*) for 'none'."""

    _forward, _backward = staticmethod(l1_loss_forward), staticmethod(l1_loss_backward)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities (apply Sigmoid first, or better use BCEWithLogitsLoss).

    Args:
        weight: None or a rescaling broadcastable to the input.
        reduction: 'mean' | 'sum' | 'none'.
    Shapes: input (*) in [0, 1], target (*) -> scalar, or (*) for 'none'.
    """

    _backward = staticmethod(binary_cross_entropy_backward)

    def __init__(self, weight: np.ndarray | None = None, reduction: str = "mean"):
        super().__init__(reduction)
        self._register("weight", weight)

    def forward(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        input = as_float_array(input, "BCELoss.forward")
        target = _check_float_target(input, target, "BCELoss.forward")
        if input.size and not (input.min() >= 0 and input.max() <= 1):  # also catches NaN
            raise ValueError(f"BCELoss.forward: expected input probabilities in [0, 1], got values in "
                             f"[{input.min()}, {input.max()}]; apply a Sigmoid first or use BCEWithLogitsLoss")
        weight = None if self.weight is None else self.weight.astype(input.dtype)
        return self._store(*binary_cross_entropy_forward(input, target, weight, self.reduction), input)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid and binary cross-entropy in one numerically stable step.

    Args:
        weight: None or a rescaling broadcastable to the input.
        reduction: 'mean' | 'sum' | 'none'.
        pos_weight: None or the weight of positive targets, broadcastable to the input ((K,) for (N, K) logits).
    Shapes: input (*) logits, target (*) -> scalar, or (*) for 'none'.
    """

    _backward = staticmethod(binary_cross_entropy_with_logits_backward)

    def __init__(self, weight: np.ndarray | None = None, reduction: str = "mean",
                 pos_weight: np.ndarray | None = None):
        super().__init__(reduction)
        self._register("weight", weight)
        self._register("pos_weight", pos_weight)

    def forward(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        input = as_float_array(input, "BCEWithLogitsLoss.forward")
        target = _check_float_target(input, target, "BCEWithLogitsLoss.forward")
        weight, pos_weight = (None if w is None else w.astype(input.dtype) for w in (self.weight, self.pos_weight))
        loss, cache = binary_cross_entropy_with_logits_forward(input, target, weight, pos_weight, self.reduction)
        return self._store(loss, cache, input)


class CrossEntropyLoss(_Loss):
    """Softmax and negative log-likelihood of class indices in one stable step.

    Args:
        weight: None or (K,) class weights.
        ignore_index: target value that contributes nothing.
        reduction: 'mean' | 'sum' | 'none'.
        label_smoothing: eps in [0, 1].
    Shapes: input (N, K) logits, target (N,) ints in [0, K) -> scalar, or (N,) for 'none'; also (K,) with a
        scalar target, and (N, K, d1, ...) with target (N, d1, ...).
    """

    _backward = staticmethod(cross_entropy_backward)

    def __init__(self, weight: np.ndarray | None = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(reduction)
        self._register("weight", weight)
        self.ignore_index = int(ignore_index)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: expected label_smoothing in [0, 1], got {label_smoothing}")
        self.label_smoothing = float(label_smoothing)

    def forward(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        where = "CrossEntropyLoss.forward"
        input = as_float_array(input, where)
        target = self._check_target(input, target, where)
        if self.weight is not None and self.weight.shape != (input.shape[min(1, input.ndim - 1)],):
            raise ValueError(f"{where}: expected weight of shape (K,) = ({input.shape[min(1, input.ndim - 1)]},), "
                             f"got {self.weight.shape}")
        loss, cache = cross_entropy_forward(input, target, self.weight, self.ignore_index, self.reduction,
                                            self.label_smoothing)
        return self._store(loss, cache, input)

    def _check_target(self, input: np.ndarray, target, where: str) -> np.ndarray:
        if input.ndim == 0:
            raise ValueError(f"{where}: expected input logits of shape (N, K) or (K,), got a scalar")
        target = np.asarray(target)
        if not np.issubdtype(target.dtype, np.integer):
            raise TypeError(f"{where}: expected target of integer class indices, got dtype {target.dtype} "
                            "(class-probability targets are not supported); convert with target.astype(np.int64)")
        expected = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
        if target.shape != expected:
            raise ValueError(f"{where}: expected target of shape {expected} for input of shape {input.shape}, "
                             f"got {target.shape}")
        num_classes = input.shape[1] if input.ndim > 1 else input.shape[0]
        bad = (target != self.ignore_index) & ((target < 0) | (target >= num_classes))
        if bad.any():
            position = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"{where}: expected class indices in [0, {num_classes - 1}] (K = {num_classes} "
                             f"classes), got {target[position]} at position {position}")
        return target
