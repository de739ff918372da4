import numpy as np
import pytest
import torch

from dlcourse.gradcheck import check_module, relative_error
from dlcourse.nn import LearnedPositionalEncoding, SinusoidalPositionalEncoding, TransformerEncoderLayer
from dlcourse.nn.functional import sinusoidal_positional_encoding
from tests.parity import assert_all_below, compare_module


def randomize(module: torch.nn.Module) -> torch.nn.Module:
    """Non-trivial norms and biases: torch starts them at 1 and 0, which would hide bugs."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "norm" in name or "bias" in name:
                p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype) * 0.5 + (1.0 if "weight" in name else 0))
    return module


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_matches_torch(norm_first, activation, batch_first, rng):
    kwargs = dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, activation=activation,
                  batch_first=batch_first, norm_first=norm_first)
    theirs = randomize(torch.nn.TransformerEncoderLayer(**kwargs).double())
    ours = TransformerEncoderLayer(**kwargs, dtype=np.float64)
    x = rng.standard_normal((3, 5, 8) if batch_first else (5, 3, 8))
    assert_all_below(compare_module(ours, theirs, x, rng=rng))
    assert list(ours.state_dict()) == list(theirs.state_dict())


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_with_masks_matches_torch(norm_first, rng):
    kwargs = dict(d_model=8, nhead=4, dim_feedforward=12, dropout=0.1, batch_first=True, norm_first=norm_first)
    theirs = randomize(torch.nn.TransformerEncoderLayer(**kwargs).double()).eval()  # eval: dropout off in both
    ours = TransformerEncoderLayer(**kwargs, dtype=np.float64).eval()
    padding = np.zeros((2, 6), bool)
    padding[1, 4:] = True
    future = ~np.tril(np.ones((6, 6), bool))
    x = rng.standard_normal((2, 6, 8))
    assert_all_below(compare_module(ours, theirs, x, rng=rng, src_mask=future, src_key_padding_mask=padding))
    assert_all_below(compare_module(ours, theirs, x, rng=rng, src_mask=future, is_causal=True))


def test_gpt_style_block_matches_torch(rng):
    """The GPT block: pre-norm, GELU, 4x MLP, causal self-attention."""
    kwargs = dict(d_model=12, nhead=3, dim_feedforward=48, dropout=0.0, activation="gelu", batch_first=True,
                  norm_first=True)
    theirs = randomize(torch.nn.TransformerEncoderLayer(**kwargs).double())
    ours = TransformerEncoderLayer(**kwargs, dtype=np.float64)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(7, dtype=torch.float64).numpy()  # float -inf mask
    assert_all_below(compare_module(ours, theirs, rng.standard_normal((2, 7, 12)), rng=rng, src_mask=mask,
                                   is_causal=True))


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_gradients_match_finite_differences(norm_first, rng):
    layer = TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, activation="gelu", batch_first=True,
                                    norm_first=norm_first, rng=rng, dtype=np.float64)
    errors = check_module(layer, rng.standard_normal((2, 3, 4)), rng=rng)
    assert max(errors.values()) < 1e-6, errors


def test_encoder_layer_dropout_is_random_in_training_and_off_in_eval(rng):
    layer = TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.5, batch_first=True,
                                    rng=np.random.default_rng(1), dtype=np.float64)
    x = rng.standard_normal((2, 5, 8))
    assert not np.allclose(layer(x), layer(x))  # fresh masks each call
    layer.eval()
    np.testing.assert_array_equal(layer(x), layer(x))
    same = TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.5, batch_first=True,
                                   rng=np.random.default_rng(1), dtype=np.float64)
    layer.train()
    np.testing.assert_array_equal(TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.5, batch_first=True,
                                                          rng=np.random.default_rng(1), dtype=np.float64)(x),
                                  same(x))  # the same generator seed: the same weights and masks


def test_encoder_layer_dropout_gradients_are_exact(rng):
    """With the masks fixed (the same seed each call), backward matches finite differences."""
    x = rng.standard_normal((2, 3, 4))

    def make():
        return TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.3, batch_first=True,
                                       rng=np.random.default_rng(3), dtype=np.float64)

    layer = make()
    out = layer(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    numeric = np.zeros_like(x)
    for i in range(x.size):
        plus, minus = x.copy(), x.copy()
        plus.flat[i] += 1e-6
        minus.flat[i] -= 1e-6
        numeric.flat[i] = (np.sum(make()(plus) * dout) - np.sum(make()(minus) * dout)) / 2e-6
    assert relative_error(dx, numeric) < 1e-7


def test_encoder_layer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="activation to be one of"):
        TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(ValueError, match="divisible by num_heads"):
        TransformerEncoderLayer(10, 4)


def test_sinusoidal_encoding_matches_the_formula():
    pe = sinusoidal_positional_encoding(50, 8, dtype=np.float64)
    t, i = 7, 2
    assert pe[t, 2 * i] == pytest.approx(np.sin(t / 10000 ** (2 * i / 8)))
    assert pe[t, 2 * i + 1] == pytest.approx(np.cos(t / 10000 ** (2 * i / 8)))
    assert np.all(np.abs(pe) <= 1)
    assert len({tuple(np.round(row, 6)) for row in pe}) == 50  # every position distinct
    with pytest.raises(ValueError, match="even E"):
        sinusoidal_positional_encoding(5, 7)


def test_sinusoidal_module_adds_and_passes_gradient(rng):
    layer = SinusoidalPositionalEncoding(6, max_len=10, dtype=np.float64)
    x = rng.standard_normal((2, 4, 6))
    np.testing.assert_allclose(layer(x) - x, np.broadcast_to(sinusoidal_positional_encoding(4, 6), x.shape),
                               atol=1e-6)
    np.testing.assert_array_equal(layer.backward(x), x)
    with pytest.raises(ValueError, match="T <= max_len = 10"):
        layer(rng.standard_normal((1, 11, 6)))


def test_learned_positions_gradients(rng):
    layer = LearnedPositionalEncoding(10, 3, rng=rng, dtype=np.float64)
    errors = check_module(layer, rng.standard_normal((2, 4, 3)), rng=rng)
    assert max(errors.values()) < 1e-8
    assert np.all(layer.weight.grad[4:] == 0)  # positions beyond T got nothing
    with pytest.raises(ValueError, match=r"\(N, T, E\) with E = 3"):
        layer(rng.standard_normal((2, 4, 5)))
