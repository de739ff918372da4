import numpy as np
import pytest
import torch

from dlcourse.gradcheck import numerical_gradient, relative_error
from dlcourse.models import gpt as torch_gpt
from dlcourse.nn import GPT, CrossEntropyLoss, GPTConfig
from dlcourse.nn.gpt import sample_next
from tests.parity import assert_all_below

CONFIG = GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=8)


def twins(config=CONFIG, seed=0):
    torch.manual_seed(seed)
    theirs = torch_gpt.GPT(config).double()
    with torch.no_grad():  # non-trivial norms and biases
        for name, p in theirs.named_parameters():
            if "norm" in name or "ln_f" in name or "bias" in name:
                p.add_(torch.randn_like(p) * 0.3)
    ours = GPT(config, rng=np.random.default_rng(seed), dtype=np.float64)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def test_state_dicts_have_the_same_keys_and_round_trip():
    ours, theirs = twins()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    fresh = torch_gpt.GPT(CONFIG).double()
    fresh.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    for key, value in theirs.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value), key


def test_gpt_loss_and_every_gradient_match_torch(rng):
    ours, theirs = twins()
    ids = rng.integers(0, 11, (3, 8))
    targets = rng.integers(0, 11, (3, 8))
    logits_t = theirs(torch.tensor(ids))
    loss_t = torch.nn.functional.cross_entropy(logits_t.reshape(-1, 11), torch.tensor(targets).reshape(-1))
    loss_t.backward()
    criterion = CrossEntropyLoss()
    logits = ours(ids)
    loss = criterion(logits.reshape(-1, 11), targets.reshape(-1))
    ours.zero_grad()
    ours.backward(criterion.backward().reshape(logits.shape))
    errors = {"logits": relative_error(logits, logits_t.detach().numpy()),
              "loss": relative_error(np.array(loss), loss_t.detach().numpy())}
    torch_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        errors[name] = relative_error(param.grad, torch_params[name].grad.numpy())
    assert len(errors) == 2 + len(torch_params)
    assert_all_below(errors)


def test_gpt_gradients_match_finite_differences(rng):
    config = GPTConfig(vocab_size=5, block_size=4, n_layer=1, n_head=2, n_embd=4)
    ours = GPT(config, rng=rng, dtype=np.float64)
    for p in ours.parameters():  # larger than the initial 1/sqrt(E) so every path matters
        p.data[...] = rng.standard_normal(p.shape) * 0.5
    ids = rng.integers(0, 5, (2, 4))
    dlogits = rng.standard_normal((2, 4, 5))
    ours.zero_grad()
    ours(ids)
    ours.backward(dlogits)
    for name, param in ours.named_parameters():
        numeric = numerical_gradient(lambda: np.sum(ours(ids) * dlogits), param.data)
        assert relative_error(param.grad, numeric) < 1e-6, name


def test_changing_a_future_token_leaves_earlier_logits_unchanged(rng):
    ours, _ = twins()
    ids = rng.integers(0, 11, (2, 8))
    changed = ids.copy()
    changed[:, 5] = (changed[:, 5] + 1) % 11
    np.testing.assert_array_equal(ours(ids)[:, :5], ours(changed)[:, :5])
    assert not np.allclose(ours(ids)[:, 5:], ours(changed)[:, 5:])


def test_kv_cache_gives_the_same_tokens_and_logits(rng):
    ours, _ = twins()
    prompt = rng.integers(0, 11, (2, 3))
    with_cache = ours.generate(prompt, 5, top_k=4, rng=np.random.default_rng(1), use_cache=True)
    without = ours.generate(prompt, 5, top_k=4, rng=np.random.default_rng(1), use_cache=False)
    np.testing.assert_array_equal(with_cache, without)
    assert with_cache.shape == (2, 8) and np.array_equal(with_cache[:, :3], prompt)
    cache = [None] * 2  # step by step through the cache = the last logits of a full forward pass
    ours.eval()
    ours._cached_step(with_cache[:, :4], 0, cache)
    last = ours._cached_step(with_cache[:, 4:6], 4, cache)
    assert relative_error(last, ours(with_cache[:, :6])[:, -1]) < 1e-12


def test_generate_rejects_too_long_and_restores_mode(rng):
    ours, _ = twins()
    with pytest.raises(ValueError, match="block_size = 8, got 3 \\+ 6"):
        ours.generate(rng.integers(0, 11, (1, 3)), 6)
    ours.train()
    ours.generate(rng.integers(0, 11, (1, 3)), 2, rng=rng)
    assert ours.training
    with pytest.raises(ValueError, match="T <= block_size = 8"):
        ours(rng.integers(0, 11, (1, 9)))
    with pytest.raises(ValueError, match="integer ids"):
        ours(rng.standard_normal((1, 4)))


def test_sample_next_temperature_and_top_k():
    logits = np.log(np.array([[0.5, 0.3, 0.15, 0.05]]))
    gen = np.random.default_rng(0)
    draws = np.array([sample_next(logits, rng=gen)[0] for _ in range(4000)])
    np.testing.assert_allclose(np.bincount(draws, minlength=4) / 4000, [0.5, 0.3, 0.15, 0.05], atol=0.03)
    top2 = np.array([sample_next(logits, top_k=2, rng=gen)[0] for _ in range(2000)])
    assert set(top2) == {0, 1}
    cold = np.array([sample_next(logits, temperature=0.01, rng=gen)[0] for _ in range(200)])
    assert np.all(cold == 0)  # near zero temperature: the most likely token
    with pytest.raises(ValueError, match="temperature > 0"):
        sample_next(logits, temperature=0)


def test_flops_per_token_counts_parameters_and_attention():
    model = torch_gpt.GPT(CONFIG)
    n = torch_gpt.count_parameters(model)
    assert torch_gpt.flops_per_token(CONFIG, n) == 6 * n + 12 * 2 * 8 * 8


def test_float32_training_step_matches_torch_closely(rng):
    config = GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=8)
    torch.manual_seed(0)
    theirs = torch_gpt.GPT(config)
    ours = GPT(config, rng=rng)
    ours.load_state_dict(theirs.state_dict())
    ids = rng.integers(0, 11, (2, 8))
    np.testing.assert_allclose(ours(ids), theirs(torch.tensor(ids)).detach().numpy(), rtol=1e-4, atol=1e-5)
    assert ours(ids).dtype == np.float32


def test_both_twins_start_from_n_0_1_over_e():
    config = GPTConfig(vocab_size=50, block_size=32, n_layer=2, n_head=4, n_embd=64)
    ours = GPT(config, rng=np.random.default_rng(0))
    theirs = torch_gpt.GPT(config)
    for name, value in theirs.state_dict().items():
        ours_value = ours.state_dict()[name]
        if "norm" in name or "ln_f" in name:
            continue
        if name.endswith("bias"):
            assert np.all(ours_value == 0) and torch.all(value == 0), name
        else:
            assert abs(ours_value.std() - 1 / 8) < 0.02 and abs(value.std().item() - 1 / 8) < 0.02, name


@pytest.mark.gpu
def test_torch_gpt_on_cuda_in_bf16_matches_float32_and_the_cpu():
    """On a GPU the twin runs under bf16 autocast with SDPA's fused causal kernel: the loss stays close to the
    float32 CPU loss of the same weights, and a few AdamW steps lower it."""
    config = GPTConfig(vocab_size=11, block_size=32, n_layer=2, n_head=2, n_embd=32)
    torch.manual_seed(0)
    model = torch_gpt.GPT(config)
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 11, (4, 33), generator=gen)
    x, y = ids[:, :-1], ids[:, 1:]
    cpu_loss = torch.nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten()).item()
    cuda = torch.device("cuda")
    model, x, y = model.to(cuda), x.to(cuda), y.to(cuda)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, fused=True)
    losses = []
    for _ in range(5):
        with torch_gpt.autocast(cuda):
            loss = torch.nn.functional.cross_entropy(model(x).flatten(0, 1).float(), y.flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert abs(losses[0] - cpu_loss) < 0.02 * cpu_loss
    assert losses[-1] < losses[0]
