import warnings

import numpy as np
import pytest
import torch

import dlcourse.nn as nn
import dlcourse.nn.functional as F
from dlcourse.gradcheck import check_function, relative_error
from tests.parity import TOL

REDUCTIONS = ["mean", "sum", "none"]
SHAPES = [(7,), (4, 5), (2, 3, 4, 5)]


def compare_loss(ours, theirs, x: np.ndarray, target: np.ndarray, rng: np.random.Generator) -> dict[str, float]:
    """Loss value and input gradient of a dlcourse loss and its torch twin, with a random upstream gradient."""
    loss = ours(x, target)
    xt = torch.tensor(x, requires_grad=True)
    loss_t = theirs(xt, torch.tensor(target))
    dout = rng.standard_normal(np.shape(loss))
    loss_t.backward(torch.tensor(dout))
    dx = ours.backward(dout)
    return {"loss": relative_error(loss, loss_t.detach().numpy()), "input": relative_error(dx, xt.grad.numpy())}


def assert_below(errors: dict[str, float], tol: float = TOL) -> None:
    assert all(v <= tol for v in errors.values()), errors


def _probabilities(rng, shape):
    return rng.uniform(0.02, 0.98, shape)


# ----- parity with torch ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses_match_torch(shape, reduction, rng):
    x, target = rng.standard_normal(shape), rng.standard_normal(shape)
    assert_below(compare_loss(nn.MSELoss(reduction=reduction), torch.nn.MSELoss(reduction=reduction), x, target, rng))
    assert_below(compare_loss(nn.L1Loss(reduction=reduction), torch.nn.L1Loss(reduction=reduction), x, target, rng))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_matches_torch(shape, reduction, weighted, rng):
    weight = rng.uniform(0.5, 2.0, shape[-1:]) if weighted else None
    ours = nn.BCELoss(weight, reduction=reduction)
    theirs = torch.nn.BCELoss(None if weight is None else torch.tensor(weight), reduction=reduction)
    # soft targets in [0, 1] as well as hard 0/1 ones
    target = np.where(rng.random(shape) < 0.5, rng.integers(0, 2, shape), rng.random(shape)).astype(np.float64)
    assert_below(compare_loss(ours, theirs, _probabilities(rng, shape), target, rng))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_with_logits_matches_torch(shape, reduction, weighted, rng):
    weight, pos_weight = (rng.uniform(0.5, 2.0, shape[-1:]) for _ in range(2)) if weighted else (None, None)
    ours = nn.BCEWithLogitsLoss(weight, reduction=reduction, pos_weight=pos_weight)
    theirs = torch.nn.BCEWithLogitsLoss(None if weight is None else torch.tensor(weight), reduction=reduction,
                                        pos_weight=None if pos_weight is None else torch.tensor(pos_weight))
    x = 4 * rng.standard_normal(shape)
    assert_below(compare_loss(ours, theirs, x, rng.random(shape), rng))


CE_SHAPES = [(6, 4), (4,), (2, 4, 3, 5)]  # (N, K), unbatched (K,), (N, K, d1, d2)
CE_OPTIONS = [{}, {"weight": True}, {"ignore_index": 2}, {"label_smoothing": 0.15},
              {"weight": True, "ignore_index": 1, "label_smoothing": 0.3}]


def _ce_target(rng, shape, num_classes=4):
    target_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    return rng.integers(0, num_classes, target_shape)


@pytest.mark.parametrize("shape", CE_SHAPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", CE_OPTIONS, ids=lambda o: "-".join(o) or "plain")
def test_cross_entropy_matches_torch(shape, reduction, options, rng):
    kwargs = dict(options, reduction=reduction)
    weight = rng.uniform(0.5, 2.0, 4) if kwargs.pop("weight", False) else None
    ours = nn.CrossEntropyLoss(weight, **kwargs)
    theirs = torch.nn.CrossEntropyLoss(None if weight is None else torch.tensor(weight), **kwargs)
    target = _ce_target(rng, shape)
    if target.ndim and "ignore_index" in kwargs:
        target.flat[0] = kwargs["ignore_index"]  # at least one ignored entry
    assert_below(compare_loss(ours, theirs, 3 * rng.standard_normal(shape), target, rng))


def test_state_dict_keys_match_torch(rng):
    weight = rng.uniform(0.5, 2.0, 3)
    pairs = [(nn.CrossEntropyLoss(weight), torch.nn.CrossEntropyLoss(torch.tensor(weight))),
             (nn.BCEWithLogitsLoss(pos_weight=weight), torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(weight))),
             (nn.BCELoss(), torch.nn.BCELoss())]
    for ours, theirs in pairs:
        assert list(ours.state_dict()) == list(theirs.state_dict())


# ----- gradient checks of the pure functions (float64, central differences, tolerance 1e-7) -----------------------
def _gradcheck(forward, backward, x, rng) -> float:
    cache = {}

    def f(x):
        loss, cache["last"] = forward(x)
        return loss

    return check_function(f, lambda dout: backward(dout, cache["last"]), [x], rng=rng)[0]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pure_losses_gradcheck(reduction, rng):
    shape = (3, 4)
    target, soft = rng.standard_normal(shape), rng.random(shape)
    weight, pos_weight = rng.uniform(0.5, 2, 4), rng.uniform(0.5, 2, 4)
    labels = np.array([0, 3, 1])
    cases = {
        "mse": (lambda x: F.mse_loss_forward(x, target, reduction), F.mse_loss_backward, rng.standard_normal(shape)),
        # L1's kink is where input == target: keep them at least 0.1 apart
        "l1": (lambda x: F.l1_loss_forward(x, target, reduction), F.l1_loss_backward,
               target + np.copysign(0.1 + rng.random(shape), rng.standard_normal(shape))),
        "bce": (lambda x: F.binary_cross_entropy_forward(x, soft, weight, reduction),
                F.binary_cross_entropy_backward, _probabilities(rng, shape)),
        "bce_logits": (lambda x: F.binary_cross_entropy_with_logits_forward(x, soft, weight, pos_weight, reduction),
                       F.binary_cross_entropy_with_logits_backward, 3 * rng.standard_normal(shape)),
        "cross_entropy": (lambda x: F.cross_entropy_forward(x, labels, weight, 3, reduction, 0.2),
                          F.cross_entropy_backward, rng.standard_normal(shape)),
    }
    errors = {name: _gradcheck(fwd, bwd, x, rng) for name, (fwd, bwd, x) in cases.items()}
    assert all(e < 1e-7 for e in errors.values()), errors


# ----- dtype, stability ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_float32_stays_float32(reduction, rng):
    x = rng.random((5, 3)).astype(np.float32)
    soft = rng.random((5, 3)).astype(np.float32)
    cases = [(nn.MSELoss(reduction=reduction), soft), (nn.L1Loss(reduction=reduction), soft),
             (nn.BCELoss(reduction=reduction), soft), (nn.BCEWithLogitsLoss(reduction=reduction), soft),
             (nn.CrossEntropyLoss(np.ones(3), reduction=reduction, label_smoothing=0.1), np.array([0, 2, 1, 1, 0]))]
    for criterion, target in cases:
        loss = criterion(x, target)
        assert loss.dtype == np.float32, criterion
        assert criterion.backward().dtype == np.float32, criterion  # default grad_output 1.0 is a Python float


def _run_quietly(criterion, x, target):
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        loss = criterion(x, target)
        return loss, criterion.backward(np.ones(np.shape(loss)))


def _torch_loss_and_grad(criterion, x, target):
    xt = torch.tensor(x, requires_grad=True)
    loss = criterion(xt, torch.tensor(target))
    loss.backward(torch.ones_like(loss))
    return loss.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_huge_logits_stay_finite_and_match_torch(reduction):
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    pairs = [(nn.CrossEntropyLoss(reduction=reduction), torch.nn.CrossEntropyLoss(reduction=reduction),
              np.array([1, 2])),
             (nn.BCEWithLogitsLoss(reduction=reduction), torch.nn.BCEWithLogitsLoss(reduction=reduction),
              np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]))]
    for ours, theirs, target in pairs:
        loss, dx = _run_quietly(ours, x, target)
        assert np.isfinite(loss).all() and np.isfinite(dx).all()
        loss_t, dx_t = _torch_loss_and_grad(theirs, x, target)
        assert relative_error(loss, loss_t) < 1e-12 and relative_error(dx, dx_t) < 1e-12


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_clamps_log_at_minus_100_like_torch(reduction):
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    target = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    loss, dx = _run_quietly(nn.BCELoss(reduction=reduction), p, target)
    loss_t, dx_t = _torch_loss_and_grad(torch.nn.BCELoss(reduction=reduction), p, target)
    np.testing.assert_allclose(loss, loss_t, rtol=1e-12)
    np.testing.assert_allclose(dx, dx_t, rtol=1e-12)
    if reduction == "none":
        np.testing.assert_array_equal(loss[:2], [100.0, 100.0])  # a confident wrong answer costs 100, not inf


def test_none_reduction_backward_takes_per_element_gradients(rng):
    x, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    criterion = nn.MSELoss(reduction="none")
    criterion(x, target)
    dout = rng.standard_normal((4, 3))
    np.testing.assert_allclose(criterion.backward(dout), 2 * (x - target) * dout)
    np.testing.assert_allclose(criterion.backward(), 2 * (x - target))  # the default: all ones


# ----- errors -------------------------------------------------------------------------------------------------------
def test_target_mismatches_name_expected_and_got():
    x = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"MSELoss.forward: expected target with the same shape as input \(4, 3\), "
                                         r"got \(4,\)"):
        nn.MSELoss()(x, np.zeros(4))
    with pytest.raises(TypeError, match="L1Loss.forward: expected target of dtype float64 .*, got int64"):
        nn.L1Loss()(x, np.zeros((4, 3), np.int64))
    with pytest.raises(TypeError, match="BCEWithLogitsLoss.forward: expected target of dtype float32 .*, got float64"):
        nn.BCEWithLogitsLoss()(x.astype(np.float32), x)
    with pytest.raises(TypeError, match="expected input of dtype float32 or float64, got int64"):
        nn.MSELoss()(np.zeros(3, np.int64), np.zeros(3))


def test_cross_entropy_target_errors():
    logits = np.zeros((3, 10))
    with pytest.raises(ValueError, match=r"expected class indices in \[0, 9\] \(K = 10 classes\), got 12 at "
                                         r"position \(1,\)"):
        nn.CrossEntropyLoss()(logits, np.array([0, 12, 3]))
    with pytest.raises(ValueError, match=r"expected class indices in \[0, 9\] .* got -1 at position \(2,\)"):
        nn.CrossEntropyLoss()(logits, np.array([0, 1, -1]))
    with pytest.raises(TypeError, match="expected target of integer class indices, got dtype float64"):
        nn.CrossEntropyLoss()(logits, np.zeros(3))
    with pytest.raises(ValueError, match=r"expected target of shape \(3,\) for input of shape \(3, 10\), "
                                         r"got \(3, 10\)"):
        nn.CrossEntropyLoss()(logits, np.zeros((3, 10), np.int64))
    with pytest.raises(ValueError, match=r"expected weight of shape \(K,\) = \(10,\), got \(3,\)"):
        nn.CrossEntropyLoss(np.ones(3))(logits, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="expected label_smoothing in \\[0, 1\\], got 1.5"):
        nn.CrossEntropyLoss(label_smoothing=1.5)


def test_bce_rejects_values_outside_0_1():
    with pytest.raises(ValueError, match=r"BCELoss.forward: expected input probabilities in \[0, 1\], got values "
                                         r"in \[-0.5, 1.0\]; apply a Sigmoid first"):
        nn.BCELoss()(np.array([-0.5, 0.2, 1.0]), np.array([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="expected input probabilities in"):
        nn.BCELoss()(np.array([np.nan, 0.2]), np.array([0.0, 1.0]))


def test_reduction_and_backward_errors(rng):
    with pytest.raises(ValueError, match=r"MSELoss: expected reduction to be one of \['mean', 'sum', 'none'\], "
                                         r"got 'avg'"):
        nn.MSELoss(reduction="avg")
    criterion = nn.MSELoss(reduction="none")
    with pytest.raises(RuntimeError, match="MSELoss.backward: call forward first"):
        criterion.backward()
    criterion(rng.standard_normal((4, 3)), rng.standard_normal((4, 3)))
    with pytest.raises(ValueError, match=r"expected grad_output of shape \(4, 3\) \(the loss's\) or a scalar, "
                                         r"got shape \(3, 4\)"):
        criterion.backward(np.ones((3, 4)))
