import numpy as np
import pytest
import torch

import dlcourse.nn as nn
from dlcourse.gradcheck import check_function, relative_error
from dlcourse.nn.dropout import dropout_backward, dropout_forward, dropout_mask
from tests.parity import TOL


def torch_dropout_with_its_mask(x: np.ndarray, p: float, seed: int, dout: np.ndarray):
    """Run torch's dropout, and read its keep-mask back from the output (x has no zeros)."""
    torch.manual_seed(seed)
    xt = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.dropout(xt, p=p, training=True)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), xt.grad.numpy(), out.detach().numpy() != 0


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("shape", [(7, 5), (3, 4, 5), (2, 3, 4, 4)])
def test_dropout_matches_torch_with_the_mask_fixed(p, shape, rng):
    x = rng.uniform(0.5, 2.0, shape) * rng.choice([-1, 1], shape)  # no zeros, so the mask is readable
    dout = rng.standard_normal(shape)
    out_t, dx_t, keep = torch_dropout_with_its_mask(x, p, seed=3, dout=dout)
    assert 0 < keep.sum() < keep.size  # the mask really drops and keeps something
    out, cache = dropout_forward(x, p, keep)
    assert relative_error(out, out_t) <= TOL
    assert relative_error(dropout_backward(dout, cache), dx_t) <= TOL


def test_dropout_p_one_gives_zeros_like_torch(rng):
    x = rng.standard_normal((4, 3))
    out, cache = dropout_forward(x, 1.0, dropout_mask(x.shape, 1.0, rng))
    expected = torch.nn.functional.dropout(torch.tensor(x), p=1.0, training=True).numpy()
    np.testing.assert_array_equal(out, expected)
    assert not np.isnan(dropout_backward(np.ones_like(x), cache)).any()


def test_dropout_module_backward_uses_the_forward_mask(rng):
    layer = nn.Dropout(0.4, rng=rng)
    x = rng.standard_normal((50, 20))
    out = layer(x)
    keep = layer.mask
    np.testing.assert_array_equal(out, np.where(keep, x / 0.6, 0.0))
    dout = rng.standard_normal(x.shape)
    np.testing.assert_array_equal(layer.backward(dout), np.where(keep, dout / 0.6, 0.0))
    layer(x)
    assert (layer.mask != keep).any()  # a fresh mask on every forward call


def test_dropout_gradcheck_with_fixed_mask(rng):
    x = rng.standard_normal((4, 6))
    keep = dropout_mask(x.shape, 0.3, rng)
    cache = {}

    def forward(x):
        out, cache["c"] = dropout_forward(x, 0.3, keep)
        return out

    errors = check_function(forward, lambda dout: dropout_backward(dout, cache["c"]), [x], rng=rng)
    assert errors[0] <= 1e-7, errors


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_statistics_over_many_draws(p, rng):
    layer = nn.Dropout(p, rng=rng)
    x = np.full((400, 500), 2.0)  # 200,000 independent draws
    out = layer(x)
    kept = layer.mask.mean()
    sd = np.sqrt(p * (1 - p) / x.size)  # binomial standard error of the kept fraction
    assert abs(kept - (1 - p)) < 5 * sd
    # inverted dropout keeps the expectation: E[out] = x
    assert abs(out.mean() - 2.0) < 5 * 2.0 * np.sqrt(p / (1 - p) / x.size)
    assert set(np.unique(out).tolist()) == {0.0, 2.0 / (1 - p)}


def test_dropout_same_generator_state_same_mask():
    x = np.ones((10, 10))
    a, b = nn.Dropout(0.5, rng=np.random.default_rng(7)), nn.Dropout(0.5, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a(x), b(x))


def test_dropout_eval_and_p_zero_are_identity(rng):
    x = rng.standard_normal((5, 5)).astype(np.float32)
    layer = nn.Dropout(0.5, rng=rng).eval()
    assert layer(x) is x and layer.backward(x) is x
    assert nn.Dropout(0.0, rng=rng)(x) is x


def test_dropout_float32_stays_float32(rng):
    layer = nn.Dropout(0.5, rng=rng)
    out = layer(rng.standard_normal((3, 4)).astype(np.float32))
    assert out.dtype == np.float32 and layer.backward(np.ones_like(out)).dtype == np.float32


def test_dropout_state_dict_is_empty_like_torch():
    assert nn.Dropout(0.5).state_dict() == {} and torch.nn.Dropout(0.5).state_dict() == {}
    assert repr(nn.Dropout(0.25)) == repr(torch.nn.Dropout(0.25))


def test_dropout_bad_inputs_name_expected_and_got(rng):
    with pytest.raises(ValueError, match=r"expected p \(the probability of zeroing an element\) in \[0, 1\], got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(TypeError, match="expected p to be a float in \\[0, 1\\], got str"):
        nn.Dropout("0.5")
    with pytest.raises(TypeError, match="expected rng=np.random.Generator .* got int"):
        nn.Dropout(0.5, rng=0)
    with pytest.raises(TypeError, match="expected input of dtype float32 or float64, got int64"):
        nn.Dropout(0.5, rng=rng)(np.ones((2, 2), np.int64))
    layer = nn.Dropout(0.5, rng=rng)
    layer(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"expected grad_output of shape \(2, 3\) .* got \(3, 2\)"):
        layer.backward(np.ones((3, 2)))
