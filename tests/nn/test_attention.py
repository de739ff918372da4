import numpy as np
import pytest
import torch

from dlcourse.gradcheck import check_function, check_module, relative_error
from dlcourse.nn import MultiheadAttention
from dlcourse.nn.attention import (
    causal_mask,
    merge_heads,
    scaled_dot_product_attention_backward,
    scaled_dot_product_attention_forward,
    split_heads,
)
from tests.parity import TOL, assert_all_below, copy_weights


def qkv(rng, lead=(2, 3), L=5, S=4, d=6, dv=3):
    return (rng.standard_normal(lead + (L, d)), rng.standard_normal(lead + (S, d)), rng.standard_normal(lead + (S, dv)))


def torch_sdpa(q, k, v, dout, **kwargs):
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    mask = kwargs.pop("attn_mask", None)
    out = torch.nn.functional.scaled_dot_product_attention(
        tq, tk, tv, attn_mask=None if mask is None else torch.tensor(mask), **kwargs)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), tq.grad.numpy(), tk.grad.numpy(), tv.grad.numpy()


def bool_mask(rng, shape):
    mask = rng.random(shape) < 0.6
    mask[..., 0] = True  # every query may see at least one key
    return mask


@pytest.mark.parametrize("kind", ["none", "bool", "bool_broadcast", "float", "causal", "scale"])
def test_sdpa_matches_torch_for_each_mask_kind(kind, rng):
    q, k, v = qkv(rng, L=5, S=5 if kind == "causal" else 4)
    kwargs = {
        "none": {},
        "bool": {"attn_mask": bool_mask(rng, (2, 3, 5, 4))},
        "bool_broadcast": {"attn_mask": bool_mask(rng, (5, 4))},
        "float": {"attn_mask": rng.standard_normal((3, 5, 4))},
        "causal": {"is_causal": True},
        "scale": {"scale": 0.7},
    }[kind]
    out, cache = scaled_dot_product_attention_forward(q, k, v, **kwargs)
    dout = rng.standard_normal(out.shape)
    grads = scaled_dot_product_attention_backward(dout, cache)
    expected = torch_sdpa(q, k, v, dout, **kwargs)
    errors = [relative_error(a, b) for a, b in zip((out, *grads), expected, strict=True)]
    assert max(errors) <= TOL, errors


@pytest.mark.parametrize("kwargs", [{}, {"is_causal": True}, {"attn_mask": np.tril(np.ones((4, 4), bool))}])
def test_sdpa_gradients_match_finite_differences(kwargs, rng):
    q, k, v = qkv(rng, lead=(2,), L=4, S=4, d=3, dv=2)
    cache = {}

    def forward(q, k, v):
        out, cache["c"] = scaled_dot_product_attention_forward(q, k, v, **kwargs)
        return out

    errors = check_function(forward, lambda d: scaled_dot_product_attention_backward(d, cache["c"]), [q, k, v],
                            rng=rng)
    assert max(errors) < 1e-7, errors


def test_sdpa_dropout_uses_the_generator_and_has_exact_gradients(rng):
    q, k, v = qkv(rng, lead=(2,), L=4, S=4, d=3, dv=2)
    cache = {}

    def forward(q, k, v):  # the same seed each call: the same mask, so finite differences see a fixed function
        out, cache["c"] = scaled_dot_product_attention_forward(q, k, v, dropout_p=0.3,
                                                               rng=np.random.default_rng(5))
        return out

    errors = check_function(forward, lambda d: scaled_dot_product_attention_backward(d, cache["c"]), [q, k, v],
                            rng=rng)
    assert max(errors) < 1e-7, errors
    weights, kept = cache["c"][3], cache["c"][4]
    assert set(np.unique(kept)) <= {0.0, 1 / 0.7}
    out_again, _ = scaled_dot_product_attention_forward(q, k, v, dropout_p=0.3, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(forward(q, k, v), out_again)
    np.testing.assert_allclose(forward(q, k, v), (weights * kept) @ v)


def test_sdpa_dropout_keeps_the_expected_output():
    rng = np.random.default_rng(0)
    q, k, v = qkv(rng, lead=(1,), L=3, S=3, d=2, dv=2)
    plain, _ = scaled_dot_product_attention_forward(q, k, v)
    gen = np.random.default_rng(1)
    mean = np.mean([scaled_dot_product_attention_forward(q, k, v, dropout_p=0.5, rng=gen)[0] for _ in range(4000)],
                   axis=0)
    assert relative_error(mean, plain) < 0.03  # inverted dropout: unbiased in expectation


def test_causal_mask_hides_the_future(rng):
    q, k, v = qkv(rng, lead=(1,), L=6, S=6)
    out, _ = scaled_dot_product_attention_forward(q, k, v, is_causal=True)
    k2, v2 = k.copy(), v.copy()
    k2[:, 4:], v2[:, 4:] = 100.0, -100.0  # change the last two positions only
    out2, _ = scaled_dot_product_attention_forward(q, k2, v2, is_causal=True)
    np.testing.assert_array_equal(out[:, :4], out2[:, :4])
    assert not np.allclose(out[:, 4:], out2[:, 4:])
    assert causal_mask(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]


def test_fully_masked_row_gives_zeros_not_nan(rng):
    q, k, v = qkv(rng, lead=(1,), L=2, S=3)
    mask = np.array([[True, True, False], [False, False, False]])
    out, cache = scaled_dot_product_attention_forward(q, k, v, mask)
    assert np.all(np.isfinite(out)) and np.all(out[0, 1] == 0)
    assert all(np.all(np.isfinite(g)) for g in scaled_dot_product_attention_backward(np.ones_like(out), cache))


def test_split_and_merge_heads_are_inverse(rng):
    x = rng.standard_normal((2, 5, 12))
    heads = split_heads(x, 3)
    assert heads.shape == (2, 3, 5, 4)
    np.testing.assert_array_equal(heads[:, 1], x[:, :, 4:8])  # head 1 owns features 4..7
    np.testing.assert_array_equal(merge_heads(heads), x)


@pytest.mark.parametrize("bad, message", [
    ({"attn_mask": np.ones((5, 3), bool)}, "broadcastable"),
    ({"attn_mask": np.ones((5, 4), np.float32)}, "dtype bool or float64"),
    ({"dropout_p": 1.5}, r"\[0, 1\]"),
])
def test_sdpa_rejects_bad_masks_and_arguments(bad, message, rng):
    q, k, v = qkv(rng)
    with pytest.raises((ValueError, TypeError), match=message):
        scaled_dot_product_attention_forward(q, k, v, **bad)


def test_sdpa_rejects_mismatched_shapes_and_dtypes(rng):
    q, k, v = qkv(rng)
    with pytest.raises(ValueError, match="key's last dimension"):
        scaled_dot_product_attention_forward(q, k[..., :2], v)
    with pytest.raises(ValueError, match="same"):
        scaled_dot_product_attention_forward(q, k, v[:, :, :3])
    with pytest.raises(TypeError, match="one dtype"):
        scaled_dot_product_attention_forward(q, k.astype(np.float32), v)


# ----- MultiheadAttention -------------------------------------------------------------------------------------------
def run_mha(ours, theirs, q, k, v, rng, **kwargs):
    """Forward and backward through both; returns the relative errors of outputs, weights and every gradient."""
    copy_weights(theirs, ours)
    tensors = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    torch_kwargs = {name: torch.tensor(value) if isinstance(value, np.ndarray) else value
                    for name, value in kwargs.items()}
    out_t, w_t = theirs(*tensors, **torch_kwargs)
    out, w = ours(q, k, v, **kwargs)
    dout = rng.standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))
    ours.zero_grad()
    grads = ours.backward(dout)
    errors = {"output": relative_error(out, out_t.detach().numpy())}
    if w_t is not None:
        errors["weights"] = relative_error(w, w_t.detach().numpy())
    for name, g, t in zip(("dquery", "dkey", "dvalue"), grads, tensors, strict=True):
        errors[name] = relative_error(g, t.grad.numpy())
    torch_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        errors[name] = relative_error(param.grad, torch_params[name].grad.numpy())
    return errors


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("average", [True, False])
def test_mha_matches_torch_with_and_without_bias(bias, batch_first, average, rng):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(8, 2, bias=bias, batch_first=batch_first).double()
    ours = MultiheadAttention(8, 2, bias=bias, batch_first=batch_first, dtype=np.float64)
    if bias:
        with torch.no_grad():  # torch starts biases at zero, which would hide a bias bug
            theirs.in_proj_bias.normal_()
            theirs.out_proj.bias.normal_()
    shape_q, shape_kv = ((3, 5, 8), (3, 4, 8)) if batch_first else ((5, 3, 8), (4, 3, 8))
    q, k, v = rng.standard_normal(shape_q), rng.standard_normal(shape_kv), rng.standard_normal(shape_kv)
    assert_all_below(run_mha(ours, theirs, q, k, v, rng, average_attn_weights=average))
    assert list(ours.state_dict()) == list(theirs.state_dict())


@pytest.mark.parametrize("masks", ["attn_bool", "attn_float", "attn_per_head", "padding", "padding_float",
                                   "causal_with_mask", "both", "unbatched"])
def test_mha_masks_match_torch(masks, rng):
    N, T, E, H = 3, 5, 8, 2
    theirs = torch.nn.MultiheadAttention(E, H, batch_first=True).double()
    ours = MultiheadAttention(E, H, batch_first=True, dtype=np.float64)
    x = rng.standard_normal((N, T, E))
    padding = np.zeros((N, T), bool)
    padding[0, 3:], padding[2, 4:] = True, True
    future = ~np.tril(np.ones((T, T), bool))  # MHA's convention: True = may not attend
    kwargs = {
        "attn_bool": {"attn_mask": future},
        "attn_float": {"attn_mask": rng.standard_normal((T, T))},
        "attn_per_head": {"attn_mask": rng.random((N * H, T, T)) < 0.3},
        "padding": {"key_padding_mask": padding},
        "padding_float": {"key_padding_mask": rng.standard_normal((N, T))},
        "causal_with_mask": {"attn_mask": future, "is_causal": True},
        "both": {"attn_mask": future, "key_padding_mask": padding},
        "unbatched": {"attn_mask": future},
    }[masks]
    if masks == "attn_per_head":
        kwargs["attn_mask"][..., 0] = False
    if masks == "unbatched":
        x = x[0]
    assert_all_below(run_mha(ours, theirs, x, x, x, rng, **kwargs))


def test_mha_is_causal_alone_builds_the_causal_mask(rng):
    ours = MultiheadAttention(4, 2, batch_first=True, dtype=np.float64, rng=rng)
    x = rng.standard_normal((2, 5, 4))
    out, w = ours(x, x, x, is_causal=True)
    out2, w2 = ours(x, x, x, attn_mask=~causal_mask(5))
    np.testing.assert_array_equal(out, out2)
    assert np.all(np.triu(w[0], 1) == 0)


def test_mha_need_weights_false_returns_none(rng):
    ours = MultiheadAttention(4, 2, dtype=np.float64, rng=rng)
    x = rng.standard_normal((5, 2, 4))
    out, w = ours(x, x, x, need_weights=False)
    assert out.shape == (5, 2, 4) and w is None


def test_mha_gradients_match_finite_differences(rng):
    ours = MultiheadAttention(6, 3, batch_first=True, dtype=np.float64, rng=rng)
    ours.in_proj_bias.data[:] = rng.standard_normal(18)

    class SelfAttention:  # check_module needs one input: self-attention x -> MHA(x, x, x)
        def __call__(self, x):
            return ours(x, x, x, is_causal=True)[0]

        def backward(self, dout):
            return sum(ours.backward(dout))

        def zero_grad(self):
            ours.zero_grad()

        def named_parameters(self):
            return ours.named_parameters()

    errors = check_module(SelfAttention(), rng.standard_normal((2, 4, 6)), rng=rng)
    assert max(errors.values()) < 1e-7, errors


def test_mha_dropout_only_in_training(rng):
    ours = MultiheadAttention(4, 2, dropout=0.5, batch_first=True, dtype=np.float64, rng=rng)
    x = rng.standard_normal((2, 5, 4))
    _, w_train = ours(x, x, x, average_attn_weights=False)
    assert np.any(w_train == 0)  # dropped weights
    assert not np.allclose(w_train.sum(-1), 1.0)  # survivors scaled by 1/(1-p): rows no longer sum to 1
    ours.eval()
    _, w_eval = ours(x, x, x, average_attn_weights=False)
    np.testing.assert_allclose(w_eval.sum(-1), 1.0)
    assert np.all(w_eval > 0)


def test_mha_float32_stays_float32(rng):
    ours = MultiheadAttention(4, 2, rng=rng)
    x = rng.standard_normal((3, 2, 4)).astype(np.float32)
    out, w = ours(x, x, x)
    assert out.dtype == np.float32 and w.dtype == np.float32
    assert all(g.dtype == np.float32 for g in ours.backward(np.ones_like(out)))


def test_mha_rejects_bad_arguments(rng):
    with pytest.raises(ValueError, match="divisible by num_heads, got embed_dim 10 and num_heads 3"):
        MultiheadAttention(10, 3)
    ours = MultiheadAttention(4, 2, batch_first=True, dtype=np.float64, rng=rng)
    x = rng.standard_normal((2, 5, 4))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(L, S\) = \(5, 5\)"):
        ours(x, x, x, attn_mask=np.zeros((5, 4), bool))
    with pytest.raises(ValueError, match=r"key_padding_mask of shape \(2, 5\)"):
        ours(x, x, x, key_padding_mask=np.zeros((5, 2), bool))
    with pytest.raises(TypeError, match="dtype bool or float64"):
        ours(x, x, x, attn_mask=np.zeros((5, 5), np.int64))
    with pytest.raises(ValueError, match="E = 4"):
        ours(x[..., :3], x[..., :3], x[..., :3])
    with pytest.raises(TypeError, match="float64"):
        ours(x.astype(np.float32), x.astype(np.float32), x.astype(np.float32))
    with pytest.raises(ValueError, match="key and value of one shape"):
        ours(x, x, x[:, :3])
