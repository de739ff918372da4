"""RNN, LSTM and GRU (cells and sequence layers) against torch in float64, finite differences, and bad inputs."""

import numpy as np
import pytest
import torch

import dlcourse.nn as nn
import dlcourse.nn.functional as F
from dlcourse.gradcheck import check_function, relative_error
from tests.parity import assert_all_below, copy_weights

KINDS = {  # name -> (ours, torch's, extra constructor arguments)
    "rnn_tanh": (nn.RNN, torch.nn.RNN, {}),
    "rnn_relu": (nn.RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTM, torch.nn.LSTM, {}),
    "gru": (nn.GRU, torch.nn.GRU, {}),
}
CELLS = {
    "rnn_tanh": (nn.RNNCell, torch.nn.RNNCell, {}),
    "rnn_relu": (nn.RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTMCell, torch.nn.LSTMCell, {}),
    "gru": (nn.GRUCell, torch.nn.GRUCell, {}),
}
CONFIGS = [  # (T, N, D, Dh, options, give hx)
    (5, 3, 4, 6, {}, False),
    (1, 1, 2, 3, {}, True),
    (7, 2, 3, 5, {"num_layers": 3}, True),
    (4, 3, 4, 5, {"bidirectional": True}, True),
    (6, 2, 3, 4, {"num_layers": 2, "bidirectional": True, "batch_first": True}, True),
    (5, 4, 3, 4, {"bias": False, "batch_first": True}, False),
    (3, 2, 3, 4, {"num_layers": 2, "dropout": 0.5}, True),  # compared in eval mode, where dropout is off
]


def _torch_state(value):
    return torch.tensor(value, requires_grad=True)


def compare_sequence(ours, theirs, x, hx, rng, *, is_lstm):
    """Forward and backward through both; relative errors of outputs, final states and every gradient."""
    ours.double()
    theirs.double()
    copy_weights(theirs, ours)
    xt = torch.tensor(x, requires_grad=True)
    hx_t = None if hx is None else (tuple(map(_torch_state, hx)) if is_lstm else _torch_state(hx))
    out_t, state_t = theirs(xt, hx_t)
    out, state = ours(x, hx)
    states, states_t = (state, state_t) if is_lstm else ((state,), (state_t,))
    dout = rng.standard_normal(out.shape)
    dstates = [rng.standard_normal(s.shape) for s in states]
    loss = (out_t * torch.tensor(dout)).sum() + sum((s * torch.tensor(d)).sum()
                                                     for s, d in zip(states_t, dstates, strict=True))
    loss.backward()
    ours.zero_grad()
    kwargs = {"grad_h_n": dstates[0]} | ({"grad_c_n": dstates[1]} if is_lstm else {})
    dx = ours.backward(dout, **kwargs)
    errors = {"output": relative_error(out, out_t.detach().numpy()), "input": relative_error(dx, xt.grad.numpy())}
    for name, s, s_t in zip(("h_n", "c_n"), states, states_t, strict=False):
        errors[name] = relative_error(s, s_t.detach().numpy())
    if hx is not None:
        grads = ours.grad_hx if is_lstm else (ours.grad_hx,)
        for name, g, h_t in zip(("h0", "c0"), grads, hx_t if is_lstm else (hx_t,), strict=False):
            errors["grad_" + name] = relative_error(g, h_t.grad.numpy())
    torch_grads = dict(theirs.named_parameters())
    assert [name for name, _ in ours.named_parameters()] == list(torch_grads)
    for name, param in ours.named_parameters():
        errors[name] = relative_error(param.grad, torch_grads[name].grad.numpy())
    return errors


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"T{c[0]}N{c[1]}-{'-'.join(c[4]) or 'plain'}-hx{c[5]}")
def test_sequence_layers_match_torch(kind, config, rng):
    steps, batch, features, hidden, options, give_hx = config
    ours_cls, torch_cls, extra = KINDS[kind]
    ours = ours_cls(features, hidden, **options, **extra, rng=rng)
    theirs = torch_cls(features, hidden, **options, **extra)
    if options.get("dropout"):
        ours.eval()
        theirs.eval()
    x = rng.standard_normal((batch, steps, features) if options.get("batch_first") else (steps, batch, features))
    layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    hx = None
    if give_hx:
        hx = tuple(rng.standard_normal((layers, batch, hidden)) for _ in range(2 if kind == "lstm" else 1))
        hx = hx if kind == "lstm" else hx[0]
    assert_all_below(compare_sequence(ours, theirs, x, hx, rng, is_lstm=kind == "lstm"))


@pytest.mark.parametrize("kind", KINDS)
def test_unbatched_sequence_matches_torch(kind, rng):
    ours_cls, torch_cls, extra = KINDS[kind]
    ours = ours_cls(3, 4, num_layers=2, bidirectional=True, **extra, rng=rng)
    theirs = torch_cls(3, 4, num_layers=2, bidirectional=True, **extra)
    hx = tuple(rng.standard_normal((4, 4)) for _ in range(2 if kind == "lstm" else 1))
    errors = compare_sequence(ours, theirs, rng.standard_normal((6, 3)), hx if kind == "lstm" else hx[0], rng,
                              is_lstm=kind == "lstm")
    assert_all_below(errors)


@pytest.mark.parametrize("kind", KINDS)
def test_dropout_between_layers_matches_torch_layers_with_the_same_masks(kind, rng):
    """In training, layer k+1 reads dropout(layer k's output); build that from single torch layers."""
    ours_cls, torch_cls, extra = KINDS[kind]
    p, hidden = 0.4, 5
    ours = ours_cls(3, hidden, num_layers=2, dropout=p, bidirectional=True, **extra, rng=rng).double()
    first = torch_cls(3, hidden, bidirectional=True, **extra).double()
    second = torch_cls(2 * hidden, hidden, bidirectional=True, **extra).double()
    state = {k: v.detach().numpy() for k, v in first.state_dict().items()}
    state |= {k.replace("_l0", "_l1"): v.detach().numpy() for k, v in second.state_dict().items()}
    ours.load_state_dict(state)
    x = rng.standard_normal((6, 4, 3))
    out, _ = ours(x)
    (mask,) = ours.dropout_masks
    assert mask.shape == (6, 4, 2 * hidden) and 0.25 < 1 - mask.mean() < 0.55  # about p dropped
    xt = torch.tensor(x, requires_grad=True)
    middle, _ = first(xt)
    out_t, _ = second(middle * torch.tensor(mask) / (1 - p))
    dout = rng.standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))
    dx = ours.backward(dout)
    assert relative_error(out, out_t.detach().numpy()) <= 1e-9
    assert relative_error(dx, xt.grad.numpy()) <= 1e-9
    assert relative_error(ours.weight_hh_l0_reverse.grad, first.weight_hh_l0_reverse.grad.numpy()) <= 1e-9
    assert relative_error(ours.weight_ih_l1.grad, second.weight_ih_l0.grad.numpy()) <= 1e-9
    again, _ = ours(x)
    assert not np.allclose(out, again)  # a fresh mask for every forward in training


def test_dropout_masks_come_from_the_generator():
    outs = [nn.GRU(2, 3, num_layers=2, dropout=0.5, rng=np.random.default_rng(7))(np.ones((4, 1, 2), np.float32))[0]
            for _ in range(2)]
    np.testing.assert_array_equal(*outs)


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("shape", [(4, 3), (1, 3), (3,)])
@pytest.mark.parametrize("bias", [True, False])
def test_cells_match_torch(kind, shape, bias, rng):
    ours_cls, torch_cls, extra = CELLS[kind]
    ours = ours_cls(3, 5, bias=bias, **extra, rng=rng).double()
    theirs = torch_cls(3, 5, bias=bias, **extra).double()
    copy_weights(theirs, ours)
    x = rng.standard_normal(shape)
    state_shape = shape[:-1] + (5,)
    hx = [rng.standard_normal(state_shape) for _ in range(2 if kind == "lstm" else 1)]
    hx_t = [_torch_state(h) for h in hx]
    xt = torch.tensor(x, requires_grad=True)
    got = ours(x, tuple(hx) if kind == "lstm" else hx[0])
    got_t = theirs(xt, tuple(hx_t) if kind == "lstm" else hx_t[0])
    got, got_t = (got, got_t) if kind == "lstm" else ((got,), (got_t,))
    douts = [rng.standard_normal(state_shape) for _ in got]
    sum((g * torch.tensor(d)).sum() for g, d in zip(got_t, douts, strict=True)).backward()
    dx = ours.backward(douts[0], grad_c=douts[1]) if kind == "lstm" else ours.backward(douts[0])
    errors = {"input": relative_error(dx, xt.grad.numpy())}
    pairs = enumerate(zip(got, got_t, strict=True))
    errors |= {f"out{k}": relative_error(g, t.detach().numpy()) for k, (g, t) in pairs}
    grad_hx = ours.grad_hx if kind == "lstm" else (ours.grad_hx,)
    pairs = enumerate(zip(grad_hx, hx_t, strict=True))
    errors |= {f"hx{k}": relative_error(g, t.grad.numpy()) for k, (g, t) in pairs}
    torch_grads = dict(theirs.named_parameters())
    errors |= {name: relative_error(p.grad, torch_grads[name].grad.numpy()) for name, p in ours.named_parameters()}
    assert_all_below(errors)


def test_cells_without_state_start_from_zeros(rng):
    cell = nn.LSTMCell(3, 4, rng=rng).double()
    x = rng.standard_normal((2, 3))
    h, c = cell(x)
    h0, c0 = cell(x, (np.zeros((2, 4)), np.zeros((2, 4))))
    np.testing.assert_array_equal(h, h0)
    np.testing.assert_array_equal(c, c0)


def _sequence_check(forward, backward, arrays, rng):
    """check_function over the concatenated outputs of a sequence function (out and its final states)."""
    def joined(*inputs):
        return np.concatenate([a.ravel() for a in forward(*inputs)])

    def split_backward(dflat):
        shapes = [a.shape for a in forward(*arrays)]
        parts = np.split(dflat, np.cumsum([int(np.prod(s)) for s in shapes])[:-1])
        return backward(*[p.reshape(s) for p, s in zip(parts, shapes, strict=True)])

    return check_function(joined, split_backward, arrays, rng=rng)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_functions_gradcheck(nonlinearity, rng):
    steps, batch, features, hidden = 4, 2, 3, 3
    arrays = [rng.standard_normal((steps, batch, features)), rng.standard_normal((batch, hidden)),
              rng.standard_normal((hidden, features)), 0.5 * rng.standard_normal((hidden, hidden)),
              rng.standard_normal(hidden), rng.standard_normal(hidden)]

    def forward(*a):
        out, h_n, _ = F.rnn_forward(*a, nonlinearity=nonlinearity)
        return out, h_n

    def backward(dout, dh_n):
        return F.rnn_backward(dout, dh_n, F.rnn_forward(*arrays, nonlinearity=nonlinearity)[2])

    assert max(_sequence_check(forward, backward, arrays, rng)) <= 1e-7


def test_lstm_functions_gradcheck(rng):
    steps, batch, features, hidden = 4, 2, 3, 3
    arrays = [rng.standard_normal((steps, batch, features)), rng.standard_normal((batch, hidden)),
              rng.standard_normal((batch, hidden)), rng.standard_normal((4 * hidden, features)),
              rng.standard_normal((4 * hidden, hidden)), rng.standard_normal(4 * hidden),
              rng.standard_normal(4 * hidden)]

    def forward(*a):
        return F.lstm_forward(*a)[:3]

    def backward(dout, dh_n, dc_n):
        return F.lstm_backward(dout, dh_n, dc_n, F.lstm_forward(*arrays)[3])

    assert max(_sequence_check(forward, backward, arrays, rng)) <= 1e-7


def test_gru_functions_gradcheck(rng):
    steps, batch, features, hidden = 4, 2, 3, 3
    arrays = [rng.standard_normal((steps, batch, features)), rng.standard_normal((batch, hidden)),
              rng.standard_normal((3 * hidden, features)), rng.standard_normal((3 * hidden, hidden)),
              rng.standard_normal(3 * hidden), rng.standard_normal(3 * hidden)]

    def forward(*a):
        return F.gru_forward(*a)[:2]

    def backward(dout, dh_n):
        return F.gru_backward(dout, dh_n, F.gru_forward(*arrays)[2])

    assert max(_sequence_check(forward, backward, arrays, rng)) <= 1e-7


@pytest.mark.parametrize("kind", KINDS)
def test_float32_stays_float32_and_is_close_to_float64(kind, rng):
    ours_cls, _, extra = KINDS[kind]
    layer = ours_cls(3, 4, num_layers=2, **extra, rng=rng)
    x = rng.standard_normal((5, 2, 3)).astype(np.float32)
    out, _ = layer(x)
    dx = layer.backward(np.ones_like(out))
    assert out.dtype == dx.dtype == layer.weight_hh_l1.grad.dtype == np.float32
    grad32 = layer.weight_hh_l0.grad.copy()
    layer.double().zero_grad()
    out64, _ = layer(x.astype(np.float64))
    layer.backward(np.ones_like(out64))
    assert relative_error(out, out64) < 1e-5 and relative_error(grad32, layer.weight_hh_l0.grad) < 1e-4


def test_names_defaults_and_state_dict_match_torch():
    for ours, theirs in [(nn.LSTM(3, 4, 2, bidirectional=True), torch.nn.LSTM(3, 4, 2, bidirectional=True)),
                         (nn.GRU(3, 4, bias=False), torch.nn.GRU(3, 4, bias=False)),
                         (nn.RNN(3, 4, nonlinearity="relu"), torch.nn.RNN(3, 4, nonlinearity="relu")),
                         (nn.LSTMCell(3, 4), torch.nn.LSTMCell(3, 4)), (nn.GRUCell(3, 4), torch.nn.GRUCell(3, 4))]:
        ours_state, their_state = ours.state_dict(), theirs.state_dict()
        assert list(ours_state) == list(their_state)
        assert [v.shape for v in ours_state.values()] == [tuple(v.shape) for v in their_state.values()]
        assert all(v.dtype == np.float32 for v in ours_state.values())
    lstm = nn.LSTM(3, 4)
    assert (lstm.num_layers, lstm.bias, lstm.batch_first, lstm.dropout, lstm.bidirectional) == (1, True, False, 0.0,
                                                                                                  False)
    assert repr(nn.GRU(3, 4, num_layers=2, batch_first=True)) == "GRU(3, 4, num_layers=2, batch_first=True)"
    weights = nn.LSTM(3, 16, rng=np.random.default_rng(0)).weight_hh_l0.data
    assert np.abs(weights).max() <= 0.25 and np.abs(weights).max() > 0.24  # U(-1/sqrt(Dh), 1/sqrt(Dh))


def test_gradients_accumulate(rng):
    layer = nn.GRU(2, 3, rng=rng).double()
    x = rng.standard_normal((4, 1, 2))
    for _ in range(2):
        out, _ = layer(x)
        layer.backward(np.ones_like(out))
    twice = layer.weight_ih_l0.grad.copy()
    layer.zero_grad()
    out, _ = layer(x)
    layer.backward(np.ones_like(out))
    np.testing.assert_allclose(twice, 2 * layer.weight_ih_l0.grad)


def test_bad_inputs_name_expected_and_got(rng):
    lstm = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"expected last dimension \(input_size\) = 3, got 5"):
        lstm(np.zeros((6, 2, 5), np.float32))
    with pytest.raises(ValueError, match=r"expected input of shape \(T, N, 3\) or unbatched \(T, 3\) \(2 or 3-D\)"):
        lstm(np.zeros((6, 2, 1, 3), np.float32))
    with pytest.raises(TypeError, match="expected input of dtype float32 or float64, got int64"):
        lstm(np.zeros((6, 2, 3), np.int64))
    with pytest.raises(TypeError, match="expected input of dtype float32 .* got float64"):
        lstm(np.zeros((6, 2, 3)))
    with pytest.raises(ValueError, match="expected a sequence of length T >= 1, got shape"):
        lstm(np.zeros((0, 2, 3), np.float32))
    with pytest.raises(TypeError, match=r"expected hx to be a tuple \(h0, c0\), got ndarray"):
        lstm(np.zeros((6, 2, 3), np.float32), np.zeros((2, 2, 4), np.float32))
    with pytest.raises(ValueError, match=r"expected c0 of shape \(2, 2, 4\), got \(1, 2, 4\)"):
        lstm(np.zeros((6, 2, 3), np.float32), (np.zeros((2, 2, 4), np.float32), np.zeros((1, 2, 4), np.float32)))
    with pytest.raises(TypeError, match="expected h0 of dtype float32 .* got float64"):
        nn.GRU(3, 4)(np.zeros((6, 2, 3), np.float32), np.zeros((1, 2, 4)))
    out, _ = lstm(np.zeros((6, 2, 3), np.float32))
    with pytest.raises(ValueError, match=r"grad_output of shape \(6, 2, 4\) \(the output's\), got \(2, 6, 4\)"):
        lstm.backward(np.zeros((2, 6, 4), np.float32))
    with pytest.raises(ValueError, match=r"expected grad_c_n of shape \(2, 2, 4\), got \(2, 4\)"):
        lstm.backward(out, grad_c_n=np.zeros((2, 4), np.float32))
    gru = nn.GRU(3, 4)
    gru(np.zeros((6, 2, 3), np.float32))
    with pytest.raises(TypeError, match="grad_c_n is only for LSTM"):
        gru.backward(np.zeros((6, 2, 4), np.float32), grad_c_n=np.zeros((1, 2, 4), np.float32))
    with pytest.raises(RuntimeError, match="call forward first"):
        nn.RNN(3, 4).backward(np.zeros((6, 2, 4), np.float32))
    with pytest.raises(ValueError, match=r"expected nonlinearity to be one of \['tanh', 'relu'\], got 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="expected num_layers >= 1, got 0"):
        nn.GRU(3, 4, num_layers=0)
    with pytest.raises(ValueError, match=r"expected p .* in \[0, 1\], got 1.5"):
        nn.LSTM(3, 4, dropout=1.5)
    with pytest.raises(TypeError, match="expected bidirectional to be a bool, got int 2"):
        nn.LSTM(3, 4, bidirectional=2)
    cell = nn.GRUCell(3, 4)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3\) or \(3,\) \(1 or 2-D\), got shape"):
        cell(np.zeros((2, 2, 3), np.float32))
    with pytest.raises(ValueError, match=r"expected h0 of shape \(2, 4\), got \(2, 5\)"):
        cell(np.zeros((2, 3), np.float32), np.zeros((2, 5), np.float32))
