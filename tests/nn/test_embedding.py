import numpy as np
import pytest
import torch

import dlcourse.nn as nn
from dlcourse.gradcheck import check_function, relative_error
from dlcourse.nn.functional import embedding_backward, embedding_forward
from tests.parity import TOL, copy_weights


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4)])
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_torch(shape, padding_idx, rng):
    ours = nn.Embedding(6, 4, padding_idx=padding_idx, rng=rng).double()
    theirs = torch.nn.Embedding(6, 4, padding_idx=padding_idx).double()
    copy_weights(theirs, ours)
    ids = rng.integers(0, 6, size=shape)
    ids.reshape(-1)[:2] = 2  # repeated ids must add their gradients; id 2 is also a padding row above
    out = ours(ids)
    out_t = theirs(torch.tensor(ids))
    dout = rng.standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))
    assert ours.backward(dout) is None
    assert relative_error(out, out_t.detach().numpy()) <= TOL
    assert relative_error(ours.weight.grad, theirs.weight.grad.numpy()) <= TOL
    if padding_idx is not None:
        assert not ours.weight.grad[padding_idx].any()


def test_padding_row_starts_at_zero_and_state_dict_matches_torch(rng):
    layer = nn.Embedding(5, 3, padding_idx=-2, rng=rng)
    assert layer.padding_idx == 3 and not layer.weight.data[3].any() and layer.weight.data[0].any()
    assert layer.weight.dtype == np.float32
    assert list(layer.state_dict()) == list(torch.nn.Embedding(5, 3).state_dict()) == ["weight"]
    assert repr(layer) == "Embedding(5, 3, padding_idx=3)"
    table = nn.Embedding(2000, 8, rng=np.random.default_rng(1)).weight.data
    assert abs(table.std() - 1) < 0.05  # N(0, 1), torch's initialisation


def test_embedding_gradcheck(rng):
    weight = rng.standard_normal((5, 3))
    ids = np.array([[0, 4, 4], [1, 0, 3]])  # a repeated id, an unused row (2) and a padding row (1)
    for padding_idx in (None, 1):
        _, cache = embedding_forward(ids, weight, padding_idx)
        (error,) = check_function(lambda w, p=padding_idx: _lookup(ids, w, p),
                                  lambda dout, c=cache: embedding_backward(dout, c), [weight], rng=rng)
        assert error <= 1e-8


def _lookup(ids, weight, padding_idx):
    """The lookup as a function of the table; the padding row acts as a constant when it gets no gradient."""
    if padding_idx is None:
        return embedding_forward(ids, weight)[0]
    return _frozen_row(ids, weight, padding_idx)


def _frozen_row(ids, weight, padding_idx):
    """The padding row acts as a constant: what the lookup computes when that row gets no gradient."""
    frozen = weight.copy()
    frozen[padding_idx] = 0.5
    return embedding_forward(ids, frozen)[0]


def test_gradients_accumulate_and_keep_dtype(rng):
    layer = nn.Embedding(4, 2, rng=rng)
    out = layer(np.array([1, 1, 3]))
    assert out.dtype == np.float32
    layer.backward(np.ones((3, 2), np.float32))
    layer(np.array([1]))
    layer.backward(np.ones((1, 2), np.float32))
    assert layer.weight.grad.dtype == np.float32
    assert layer.weight.grad[:, 0].tolist() == [0, 3, 0, 1]


def test_embedding_bad_inputs_name_expected_and_got(rng):
    layer = nn.Embedding(4, 2, rng=rng)
    with pytest.raises(IndexError, match=r"expected indices in \[0, 4\) .* got values from 0 to 4"):
        layer(np.array([0, 4]))
    with pytest.raises(IndexError, match="got values from -1 to 1"):
        layer(np.array([-1, 1]))
    with pytest.raises(TypeError, match="expected integer indices .* got dtype float64"):
        layer(np.array([0.0, 1.0]))
    layer(np.array([[0, 1]]))
    with pytest.raises(ValueError, match=r"expected grad_output of shape \(1, 2, 2\), got \(2, 2\)"):
        layer.backward(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"expected padding_idx in \[-4, 4\), got 4"):
        nn.Embedding(4, 2, padding_idx=4)
    with pytest.raises(ValueError, match="expected embedding_dim >= 1, got 0"):
        nn.Embedding(4, 0)
    with pytest.raises(RuntimeError, match="call forward first"):
        nn.Embedding(4, 2).backward(np.ones((1, 2)))
