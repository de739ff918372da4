import math

import numpy as np
import pytest
import torch

import dlcourse.nn as nn
from dlcourse.gradcheck import relative_error
from dlcourse.nn.clip_grad import total_grad_norm
from tests.parity import TOL


def twin_parameters(rng, shapes, scale):
    """NumPy Parameters and torch Parameters holding the same data and gradients."""
    ours, theirs = [], []
    for shape in shapes:
        param = nn.Parameter(rng.standard_normal(shape))
        param.grad = rng.standard_normal(shape) * scale
        twin = torch.nn.Parameter(torch.tensor(param.data))
        twin.grad = torch.tensor(param.grad)
        ours.append(param)
        theirs.append(twin)
    return ours, theirs


SHAPES = [(3, 4), (4,), (2, 3, 2)]


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, "inf"])
@pytest.mark.parametrize("scale, max_norm", [(10.0, 1.0), (0.01, 1.0), (1.0, 0.0)])
def test_clip_grad_norm_matches_torch(norm_type, scale, max_norm, rng):
    ours, theirs = twin_parameters(rng, SHAPES, scale)
    total = nn.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, float) and abs(total - total_t.item()) <= TOL * total_t.item()
    for p, t in zip(ours, theirs, strict=True):
        assert relative_error(p.grad, t.grad.numpy()) <= TOL


def test_clip_grad_norm_caps_the_norm_and_keeps_the_direction(rng):
    ours, _ = twin_parameters(rng, SHAPES, 5.0)
    before = np.concatenate([p.grad.ravel() for p in ours])
    returned = nn.clip_grad_norm_(ours, 2.0)
    after = np.concatenate([p.grad.ravel() for p in ours])
    assert returned == pytest.approx(np.linalg.norm(before), rel=1e-12)  # the norm *before* clipping
    assert np.linalg.norm(after) == pytest.approx(2.0, rel=1e-6)
    np.testing.assert_allclose(after / np.linalg.norm(after), before / np.linalg.norm(before), rtol=1e-12)


def test_clip_grad_norm_accepts_one_parameter_and_a_generator(rng):
    layer = nn.Linear(3, 2, rng=rng).double()
    layer.weight.grad[:] = 3.0
    assert nn.clip_grad_norm_(layer.weight, 1.0) == pytest.approx(3.0 * np.sqrt(6))
    layer.bias.grad[:] = 4.0
    nn.clip_grad_norm_(layer.parameters(), 0.5)
    assert total_grad_norm(layer.parameters()) == pytest.approx(0.5, rel=1e-5)
    assert total_grad_norm([]) == 0.0


def test_clip_grad_norm_float32_stays_float32(rng):
    param = nn.Parameter(np.ones(4, np.float32))
    param.grad = np.full(4, 10.0, np.float32)
    nn.clip_grad_norm_([param], 1.0)
    assert param.grad.dtype == np.float32 and np.linalg.norm(param.grad) == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_nonfinite(rng):
    param = nn.Parameter(np.ones(3))
    param.grad = np.array([1.0, np.inf, 0.0])
    with pytest.raises(ValueError, match="expected a finite total gradient norm .* got inf"):
        nn.clip_grad_norm_([param], 1.0, error_if_nonfinite=True)
    twin = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    twin.grad = torch.tensor([1.0, np.inf, 0.0], dtype=torch.float64)
    assert nn.clip_grad_norm_([param], 1.0) == torch.nn.utils.clip_grad_norm_([twin], 1.0).item() == math.inf
    np.testing.assert_array_equal(param.grad, twin.grad.numpy())


@pytest.mark.parametrize("clip_value", [0.5, 2.0, 0.0])
def test_clip_grad_value_matches_torch(clip_value, rng):
    ours, theirs = twin_parameters(rng, SHAPES, 2.0)
    assert nn.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(p.grad, t.grad.numpy())
        assert np.abs(p.grad).max() <= clip_value


def test_clip_grad_bad_inputs_name_expected_and_got(rng):
    ours, _ = twin_parameters(rng, SHAPES, 1.0)
    with pytest.raises(TypeError, match="expected Parameters .* got ndarray at position 0"):
        nn.clip_grad_norm_([np.ones(3)], 1.0)
    with pytest.raises(ValueError, match="expected norm_type > 0, got -1.0"):
        nn.clip_grad_norm_(ours, 1.0, norm_type=-1)
    with pytest.raises(ValueError, match="expected norm_type to be a positive number or 'inf', got 'max'"):
        nn.clip_grad_norm_(ours, 1.0, norm_type="max")
    with pytest.raises(ValueError, match="expected max_norm >= 0, got -1.0"):
        nn.clip_grad_norm_(ours, -1.0)
    with pytest.raises(ValueError, match="expected clip_value >= 0, got -0.1"):
        nn.clip_grad_value_(ours, -0.1)
    with pytest.raises(TypeError, match="clip_grad_value_: expected Parameters .* got Linear at position 0"):
        nn.clip_grad_value_([nn.Linear(2, 2)], 1.0)
