# %% [markdown]
# # 09 · Attention and transformers: a tiny GPT
#
# **The question.** Chapter 08's recurrent networks read a text one character at a time and squeeze everything they
# have read into one hidden state of $D_h$ numbers. To use the first word of a sentence at its end, that
# information must survive every step in between. Can a network instead *look back* at any earlier position
# directly, as often as it needs?
#
# **The idea.** *Attention*: every position asks a question (a *query*), every position offers a label (a *key*)
# and a content (a *value*); each position takes a weighted average of all values, weighted by how well its query
# matches each key. A *transformer* stacks attention with small per-position networks, residual connections and
# layer norm. A *GPT* is a transformer that may only look backward, trained to predict the next character.
#
# Plan: (1) the bottleneck of a recurrent encoder; (2) queries, keys and values; (3) why divide by $\sqrt{d}$;
# (4) the backward pass; (5) masks; (6) multi-head attention; (7) positions; (8) the transformer layer: residual
# stream, layer norm, pre-norm against post-norm; (9) a one-layer transformer that reverses sequences;
# (10) the tiny GPT in NumPy and PyTorch, trained on Pride and Prejudice and compared with an LSTM; (11) sampling
# with temperature and top-k; (12) a key-value cache; (13) attention maps; (14) what attention costs; (15) BERT,
# T5 and a tiny vision transformer.

# %%
import inspect
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

import dlcourse.nn as nn
import dlcourse.optim as optim
import dlcourse.torch
from dlcourse.data import (
    DataLoader,
    Vocabulary,
    load_corpus,
    load_digit_images,
    sample_windows,
    split_ids,
    train_val_test_split,
)
from dlcourse.gradcheck import check_function, relative_error
from dlcourse.models import gpt as torch_gpt
from dlcourse.nn.functional import (
    causal_mask,
    merge_heads,
    scaled_dot_product_attention_backward,
    scaled_dot_product_attention_forward,
    sinusoidal_positional_encoding,
    softmax_backward,
    softmax_forward,
    split_heads,
)
from dlcourse.widgets import sampling_explorer

rng = np.random.default_rng(0)
dlcourse.torch.seed_everything(0)
device = dlcourse.torch.device()
if device.type == "cpu":
    torch.set_num_threads(1)  # small networks: one thread is fastest, and never waits for a busy second core
big = device.type == "cuda"  # larger models, bf16 and fused attention kernels only on a GPU

# %% [markdown]
# ## 1. The bottleneck of a recurrent encoder
#
# A recurrent network (chapter 08) computes $h_t = f(h_{t-1}, x_t)$. Two things follow. Everything it knows about
# $x_1, \dots, x_t$ must fit in $h_t$, the same $D_h$ numbers for a sentence or a book. And the effect of $x_1$ on
# $h_T$ passes through $T-1$ steps; by the chain rule (chapter 04) $\partial h_T / \partial x_1$ is a product of
# $T-1$ Jacobians, which tends to shrink (or blow up) geometrically with $T$.
#
# We measure the second point on an untrained `torch.nn.RNN` and `torch.nn.LSTM`: the size of the gradient of the
# last output with respect to the *first* input, for growing $T$. Next to them, one attention layer (section 6
# builds it), whose last output looks at $x_1$ directly.

# %%
def first_input_gradient(layer, T, width=32, seed=0):
    """||d (sum of the last output) / d x_1|| for a random sequence of length T."""
    torch.manual_seed(seed)
    x = torch.randn(1, T, width, requires_grad=True)
    out = layer(x, x, x)[0] if isinstance(layer, torch.nn.MultiheadAttention) else layer(x)[0]
    out[0, -1].sum().backward()
    return x.grad[0, 0].norm().item()


torch.manual_seed(0)
recurrent = {"RNN": torch.nn.RNN(32, 32, batch_first=True), "LSTM": torch.nn.LSTM(32, 32, batch_first=True),
             "attention": torch.nn.MultiheadAttention(32, 4, batch_first=True)}
print("T      " + "".join(f"{name:>12s}" for name in recurrent))
for T in (2, 8, 32, 128):
    print(f"{T:<7d}" + "".join(f"{first_input_gradient(layer, T):12.2e}" for layer in recurrent.values()))

# %% [markdown]
# Read the columns down: the recurrent gradients fall by orders of magnitude as the distance grows (training can
# keep the LSTM's larger, which is what its gates are for, but the path stays $T-1$ steps long). Attention's falls
# only about as $1/T$, because its output is an average over $T$ positions: every position is one step away.
#
# ## 2. Queries, keys and values
#
# Give each of $L$ query positions a vector $q_i \in \mathbb{R}^{d}$ and each of $S$ key positions a key
# $k_j \in \mathbb{R}^{d}$ and a value $v_j$. The output of query $i$ is
#
# $$\text{out}_i = \sum_j a_{ij} v_j, \qquad a_{ij} = \frac{e^{s_{ij}}}{\sum_{j'} e^{s_{ij'}}}, \qquad
# s_{ij} = \frac{q_i \cdot k_j}{\sqrt{d}},$$
#
# or, with the vectors as rows of matrices $Q$ ($L \times d$), $K$ ($S \times d$), $V$ ($S \times D_v$):
# $\text{Attention}(Q, K, V) = \text{softmax}(Q K^\top / \sqrt{d})\, V$, the softmax (chapter 02) taken along
# each row. Each row of weights $a_{i\cdot}$ is positive and sums to 1: a soft choice of which values to read.
# In a transformer, $Q$, $K$ and $V$ are three learned linear maps of the same inputs (*self-attention*).

# %%
d = 4
Q = rng.standard_normal((3, d))  # L = 3 queries
K = rng.standard_normal((5, d))  # S = 5 keys
V = rng.standard_normal((5, 2))  # one value of Dv = 2 numbers per key
scores = Q @ K.T / np.sqrt(d)  # (L, S)
weights, _ = softmax_forward(scores, dim=-1)
by_hand = weights @ V  # (L, S) @ (S, Dv) -> (L, Dv)
print("attention weights (one row per query):\n", weights.round(3))
print("row sums:", weights.sum(axis=1))

# %% [markdown]
# The same computation as a pure function in `dlcourse.nn.functional` (any leading batch and head axes; it also
# takes masks and dropout, coming below), and in PyTorch:

# %%
out, cache = scaled_dot_product_attention_forward(Q, K, V)
out_torch = torch.nn.functional.scaled_dot_product_attention(torch.tensor(Q), torch.tensor(K), torch.tensor(V))
print("dlcourse vs by hand:", relative_error(out, by_hand))
print("dlcourse vs torch:  ", relative_error(out, out_torch.numpy()))

# %% [markdown]
# ## 3. Why divide by $\sqrt{d}$?
#
# If the entries of $q$ and $k$ are independent with mean 0 and variance 1, each product $q_m k_m$ has variance 1,
# and the variance of a sum of independent terms is the sum of their variances: $q \cdot k$ has variance $d$.
# Without the division, scores have a standard deviation of $\sqrt{d}$, so for large $d$ the largest score of a row
# beats the others by many units, the softmax puts almost all its weight on it (it *saturates*), and its gradient
# $a \odot (g - \sum a g)$ (chapter 02) nearly vanishes. Measured on random rows of $S = 32$ keys:

# %%
def saturation(d, scaled, rows=2000, S=32, seed=1):
    """(std of the scores, mean largest weight, mean gradient norm) of softmax rows of random q . k scores."""
    gen = np.random.default_rng(seed)
    q, k = gen.standard_normal((rows, 1, d)), gen.standard_normal((rows, S, d))
    row_scores = (q @ k.transpose(0, 2, 1))[:, 0] / (np.sqrt(d) if scaled else 1.0)  # (rows, S)
    a, softmax_cache = softmax_forward(row_scores)
    grad = softmax_backward(gen.standard_normal(a.shape), softmax_cache)
    return row_scores.std(), a.max(axis=1).mean(), np.linalg.norm(grad, axis=1).mean()


print("   d | score std  max weight  grad norm (unscaled) | score std  max weight  grad norm (scaled)")
for d_test in (4, 16, 64, 256, 1024):
    raw, fixed = saturation(d_test, False), saturation(d_test, True)
    print(f"{d_test:4d} | {raw[0]:9.2f}  {raw[1]:10.3f}  {raw[2]:9.4f}            | "
          f"{fixed[0]:9.2f}  {fixed[1]:10.3f}  {fixed[2]:9.4f}")

# %% [markdown]
# Without scaling, the score spread grows as $\sqrt d$, the largest weight approaches 1 and the gradient shrinks
# towards 0 as $d$ grows; with scaling, all three stay about the same for every $d$.
#
# ## 4. The backward pass
#
# Write $S = QK^\top c$ with $c = 1/\sqrt d$, $A = \text{softmax}(S)$ by rows, $\text{out} = AV$. Given
# $G = \partial \mathcal{L}/\partial \text{out}$, each step is a rule we already have:
#
# - a matrix product $Y = AV$ (chapter 04): $\partial \mathcal L/\partial V = A^\top G$ and
#   $\partial \mathcal L/\partial A = G V^\top$;
# - the row-wise softmax (chapter 02): $\partial \mathcal L / \partial S = A \odot (dA - \text{rowsum}(dA \odot A))$;
# - the product $S = c\,QK^\top$: $\partial \mathcal L/\partial Q = c\, dS\, K$ and
#   $\partial \mathcal L/\partial K = c\, dS^\top Q$.
#
# `scaled_dot_product_attention_backward` does exactly this; we check it against central differences
# (chapter 04) and against PyTorch's autograd, in float64.

# %%
print(inspect.getsource(scaled_dot_product_attention_backward).split('"""')[-1])
q3, k3, v3 = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 2))
saved = {}


def attention_only(q, k, v):
    result, saved["cache"] = scaled_dot_product_attention_forward(q, k, v)
    return result


errors = check_function(attention_only, lambda g: scaled_dot_product_attention_backward(g, saved["cache"]),
                        [q3, k3, v3], rng=rng)
print("relative error vs finite differences (dQ, dK, dV):", [f"{e:.1e}" for e in errors])

# %% [markdown]
# ## 5. Masks
#
# A language model predicts character $t+1$ from characters $1..t$; if position $t$ could attend to position
# $t+1$, it would simply read the answer. A *causal mask* forbids query $i$ to see key $j > i$: the score is set
# to $-\infty$, so $e^{s_{ij}} = 0$. A *padding mask* does the same for the padded positions of shorter sequences
# in a batch (chapter 08 padded sequences).
#
# Two conventions exist, both PyTorch's: `scaled_dot_product_attention` takes a boolean mask that is True where a
# query **may** attend; `nn.MultiheadAttention` takes one that is True where it may **not**. Either may instead be
# a float mask that is added to the scores ($0$ or $-\infty$, or any bias). The test below is the one that matters:
# change a future input, and no earlier output may change.

# %%
print("causal mask for T = 6 (1 = may attend):\n", causal_mask(6).astype(int))
x_seq = rng.standard_normal((1, 6, 4))
out_causal, _ = scaled_dot_product_attention_forward(x_seq, x_seq, x_seq, is_causal=True)
changed = x_seq.copy()
changed[0, 4] += 10.0  # change position 4 only
out_changed, _ = scaled_dot_product_attention_forward(changed, changed, changed, is_causal=True)
moved = np.abs(out_causal - out_changed).max(axis=-1)[0]
print("largest change of each position's output:", moved.round(3))
assert np.array_equal(out_causal[:, :4], out_changed[:, :4]), "positions 0..3 must not see position 4"

# %% [markdown]
# Positions 0 to 3 are bit-for-bit unchanged; 4 and 5 change, as they may.
#
# ## 6. Multi-head attention
#
# One attention layer computes one weighted average per position: it can look for one thing at a time. *Multi-head*
# attention projects the inputs to $E$ features with $W_Q, W_K, W_V$ ($E \times E$ each), splits the features into
# $n_{heads}$ groups of $d_{head} = E / n_{heads}$, attends in each group separately, puts the groups side by side
# again and mixes them with an output projection $W_O$:
#
# $$\text{MHA}(X) = \text{concat}(\text{head}_1, \dots, \text{head}_{n_{heads}})\, W_O^\top, \quad
# \text{head}_h = \text{Attention}(X W_Q^{(h)\top}, X W_K^{(h)\top}, X W_V^{(h)\top}).$$
#
# The cost is the same as one wide head; splitting is a reshape:

# %%
x_heads = rng.standard_normal((2, 5, 12))  # (N, T, E)
heads = split_heads(x_heads, 3)  # (N, T, E) -> (N, n_heads, T, d_head)
print("split:", x_heads.shape, "->", heads.shape, "; head 1 holds features 4..7:",
      np.array_equal(heads[:, 1], x_heads[:, :, 4:8]))
print("merge_heads(split_heads(x)) == x:", np.array_equal(merge_heads(heads), x_heads))

# %% [markdown]
# `dlcourse.nn.MultiheadAttention` has torch's parameters: `in_proj_weight` ($3E \times E$, the three matrices
# stacked), `in_proj_bias`, and `out_proj` (a `Linear`). We copy torch's weights into it and compare the output, the
# attention weights and every gradient in float64; `backward` returns the gradients of query, key and value.

# %%
E_demo, heads_demo = 8, 2
mha_torch = torch.nn.MultiheadAttention(E_demo, heads_demo, batch_first=True).double()
mha_numpy = nn.MultiheadAttention(E_demo, heads_demo, batch_first=True, dtype=np.float64)
mha_numpy.load_state_dict(mha_torch.state_dict())
x_mha = rng.standard_normal((3, 5, E_demo))
future = ~causal_mask(5)  # MultiheadAttention's convention: True = may NOT attend
x_t = torch.tensor(x_mha, requires_grad=True)
out_t, weights_t = mha_torch(x_t, x_t, x_t, attn_mask=torch.tensor(future))
out_n, weights_n = mha_numpy(x_mha, x_mha, x_mha, attn_mask=future)
dout_mha = rng.standard_normal(out_n.shape)
out_t.backward(torch.tensor(dout_mha))
dq, dk, dv = mha_numpy.backward(dout_mha)
print("output:", relative_error(out_n, out_t.detach().numpy()), " weights:",
      relative_error(weights_n, weights_t.detach().numpy()))
print("input gradient (dq + dk + dv, x fed all three):", relative_error(dq + dk + dv, x_t.grad.numpy()))
for name, param in mha_numpy.named_parameters():
    print(f"{name:16s}", relative_error(param.grad, dict(mha_torch.named_parameters())[name].grad.numpy()))

# %% [markdown]
# ## 7. Positions
#
# Attention sums over keys without looking at where they are. Permute the input positions, and the outputs are
# permuted the same way: self-attention is *permutation equivariant*, so "dog bites man" and "man bites dog" look
# alike. We check it on a whole transformer layer (section 8):

# %%
layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, rng=rng, dtype=np.float64)
x_perm = rng.standard_normal((1, 5, 8))
perm = rng.permutation(5)
print("permutation:", perm)
print("max |layer(x[perm]) - layer(x)[perm]|:", np.abs(layer(x_perm[:, perm]) - layer(x_perm)[:, perm]).max())

# %% [markdown]
# So position must be part of the input. Two common ways:
#
# - **Sinusoidal encoding** (the original transformer): add $PE_{t,2i} = \sin(t/10000^{2i/E})$ and
#   $PE_{t,2i+1} = \cos(t/10000^{2i/E})$. Each pair of features is a clock turning at its own speed, from fast
#   (left columns) to very slow (right), so every position gets a different pattern, and nothing is learned.
# - **Learned positions** (GPT): a table of one learned vector per position, added the same way
#   (`nn.LearnedPositionalEncoding`, or an `Embedding` of the position index as in our GPT).

# %%
pe = sinusoidal_positional_encoding(64, 64)
fig, ax = plt.subplots(figsize=(8, 3.2))
image = ax.imshow(pe, aspect="auto", cmap="RdBu_r")
ax.set_xlabel("feature (pairs: sin, cos)")
ax.set_ylabel("position t")
ax.set_title("sinusoidal positional encoding, T = 64, E = 64")
fig.colorbar(image)
plt.show()
with_positions = nn.SinusoidalPositionalEncoding(8, max_len=16, dtype=np.float64)
gap = np.abs(layer(with_positions(x_perm[:, perm])) - layer(with_positions(x_perm))[:, perm]).max()
print("with positions added, max |difference|:", gap.round(3), "(no longer just a permutation)")

# %% [markdown]
# ## 8. The transformer layer: residual stream, layer norm, pre-norm and post-norm
#
# A transformer layer alternates two sub-blocks: self-attention (positions exchange information) and a small MLP
# applied to each position on its own (`linear1`, an activation, `linear2`, widening $E$ to `dim_feedforward`).
# Each is *residual* (chapter 07's skip connections): $x \leftarrow x + F(x)$, so the layers add their results to
# one *residual stream* that runs from the embeddings to the output. Layer norm (chapter 06) keeps the scale under
# control. Where it sits is a choice:
#
# - **post-norm** (`norm_first=False`, 2017): $x \leftarrow \text{LN}(x + F(x))$;
# - **pre-norm** (`norm_first=True`, GPT-2 and most models since): $x \leftarrow x + F(\text{LN}(x))$.
#
# In pre-norm the stream itself is never normalised: the gradient reaches every layer through the identity paths
# of the residuals. Post-norm divides it at every layer's norm. We measure, at initialisation, the gradient that
# reaches the first layer's weights of a 12-layer stack, relative to the last layer's:

# %%
def gradient_ratio(norm_first, depth=12, width=32, seed=0):
    torch.manual_seed(seed)
    stack = torch.nn.ModuleList([torch.nn.TransformerEncoderLayer(width, 4, 4 * width, dropout=0.0, batch_first=True,
                                                                  norm_first=norm_first) for _ in range(depth)])
    x = torch.randn(8, 16, width)
    for block in stack:
        x = block(x)
    (x**2).mean().backward()
    return stack[0].linear1.weight.grad.norm().item() / stack[-1].linear1.weight.grad.norm().item()


for norm_first in (False, True):
    print(f"norm_first={norm_first!s:5}: |grad layer 1| / |grad layer 12| = {gradient_ratio(norm_first):.3f}")

# %% [markdown]
# Compare the two ratios: in this run the post-norm stack's first layer receives a smaller share of the gradient
# than the pre-norm stack's. Pre-norm trains deep stacks more stably without learning-rate warm-up, which is why
# GPT-2 and its successors use it; post-norm needs a careful warm-up.
#
# `dlcourse.nn.TransformerEncoderLayer` has torch's submodules (`self_attn`, `linear1`, `dropout`, `linear2`,
# `norm1`, `norm2`, `dropout1`, `dropout2`) and both orders; its backward runs the two sub-blocks in reverse,
# adding the gradient of each residual's identity path. Parity with torch, float64, every gradient:

# %%
def encoder_parity(norm_first, activation):
    kwargs = dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, activation=activation, batch_first=True,
                  norm_first=norm_first)
    theirs = torch.nn.TransformerEncoderLayer(**kwargs).double()
    ours = nn.TransformerEncoderLayer(**kwargs, dtype=np.float64)
    ours.load_state_dict(theirs.state_dict())
    x = rng.standard_normal((2, 5, 8))
    xt = torch.tensor(x, requires_grad=True)
    g = rng.standard_normal(x.shape)
    theirs(xt).backward(torch.tensor(g))
    errors = [relative_error(ours(x), theirs(xt).detach().numpy()), relative_error(ours.backward(g), xt.grad.numpy())]
    grads = dict(theirs.named_parameters())
    errors += [relative_error(p.grad, grads[name].grad.numpy()) for name, p in ours.named_parameters()]
    return max(errors)


for norm_first in (False, True):
    for activation in ("relu", "gelu"):
        print(f"norm_first={norm_first!s:5} {activation}: largest relative error "
              f"{encoder_parity(norm_first, activation):.1e}")

# %% [markdown]
# ## 9. A one-layer transformer that reverses sequences
#
# A task no position can solve alone: given 8 digits, output them reversed. Output position $t$ must copy input
# position $7-t$, so its query must find the key of one particular *position*: exactly what attention with learned
# positions can do. The model is an `Embedding` of the digits (chapter 08), learned positions, **one**
# `TransformerEncoderLayer` and a `Linear` to 10 classes per position, trained in NumPy with our own backward
# passes and `optim.Adam` (chapter 05).

# %%
SEQ_LEN, N_DIGITS, WIDTH = 8, 10, 32


def reverse_task(n, gen):
    X = gen.integers(0, N_DIGITS, (n, SEQ_LEN))
    return X, X[:, ::-1].copy()


class SequenceTransformer(nn.Module):
    def __init__(self, gen):
        super().__init__()
        self.embed = nn.Embedding(N_DIGITS, WIDTH, rng=gen)
        self.pos = nn.LearnedPositionalEncoding(SEQ_LEN, WIDTH, rng=gen)
        self.layer = nn.TransformerEncoderLayer(WIDTH, 4, 64, dropout=0.0, batch_first=True, rng=gen)
        self.out = nn.Linear(WIDTH, N_DIGITS, rng=gen)

    def forward(self, ids):  # (N, T) -> (N, T, 10)
        return self.out(self.layer(self.pos(self.embed(ids))))

    def backward(self, grad_output):
        self.embed.backward(self.pos.backward(self.layer.backward(self.out.backward(grad_output))))

# %%
def train_sequence_task(task, steps=150, seed=0):
    gen = np.random.default_rng(seed)
    model, loss_fn = SequenceTransformer(gen), nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    for step in range(steps):
        X, y = task(64, gen)
        logits = model(X)
        loss = loss_fn(logits.reshape(-1, N_DIGITS), y.reshape(-1))  # every position is a classification
        optimizer.zero_grad()
        model.backward(loss_fn.backward().reshape(logits.shape))
        optimizer.step()
        if step % 50 == 0 or step == steps - 1:
            print(f"step {step:3d}: loss {float(loss):.4f}")
    return model


reverser = train_sequence_task(reverse_task)

# %% [markdown]
# The final report, on 2,000 sequences the model has never seen (a generator of their own):

# %%
X_new, y_new = reverse_task(2000, np.random.default_rng(99))
reverse_accuracy = (reverser(X_new).argmax(-1) == y_new).all(axis=1).mean()
print(f"whole sequences reversed correctly: {reverse_accuracy:.4f}")
print("example:", X_new[0], "->", reverser(X_new[:1]).argmax(-1)[0])
assert reverse_accuracy == 1.0

# %% [markdown]
# ## 10. A tiny GPT
#
# A GPT is the causal version of that stack, reading characters: token embedding plus position embedding, a few
# *pre-norm* layers with causal self-attention and a GELU MLP four times as wide, a final layer norm, and a linear
# *head* giving $V$ logits per position. Trained with cross-entropy on the next character at every position, one
# window of $T$ characters gives $T$ training examples at once.
#
# We use chapter 08's corpus (Pride and Prejudice), vocabulary and contiguous train/validation/test split.

# %%
text = load_corpus()
vocab = Vocabulary(text)
train_ids, val_ids, test_ids = split_ids(vocab.encode(text))
print(f"{len(text):,} characters, V = {len(vocab)}; train {len(train_ids):,}, validation {len(val_ids):,}")
config = (nn.GPTConfig(len(vocab), block_size=256, n_layer=6, n_head=6, n_embd=384, dropout=0.1) if big
          else nn.GPTConfig(len(vocab), block_size=64, n_layer=2, n_head=4, n_embd=64))
print(config)

# %% [markdown]
# `dlcourse.nn.GPT` (NumPy) and `dlcourse.models.gpt.GPT` (PyTorch) are the same model: each block is a
# `TransformerEncoderLayer(norm_first=True, activation="gelu")` run with a causal mask, so the state dicts have the
# same keys and load into each other. Here is the NumPy forward and backward:

# %%
print(inspect.getsource(nn.GPT.forward).split('"""')[-1])
print(inspect.getsource(nn.GPT.backward).split('"""')[-1])

# %% [markdown]
# Copy a PyTorch GPT's weights into the NumPy one (float64), feed both the same batch: the same logits. Then train
# each for five steps with AdamW (chapter 05), `optim.AdamW` against `torch.optim.AdamW`, on the same batches: the
# same loss curve.

# %%
small = nn.GPTConfig(len(vocab), block_size=32, n_layer=2, n_head=4, n_embd=32)
torch.manual_seed(0)
twin_torch = torch_gpt.GPT(small).double()
twin_numpy = nn.GPT(small, rng=rng, dtype=np.float64)
twin_numpy.load_state_dict(twin_torch.state_dict())
X_batch, y_batch = sample_windows(train_ids, 8, small.block_size, rng=rng)
print("logits:", relative_error(twin_numpy(X_batch), twin_torch(torch.tensor(X_batch)).detach().numpy()))

numpy_opt = optim.AdamW(twin_numpy.parameters(), lr=1e-2)
torch_opt = torch.optim.AdamW(twin_torch.parameters(), lr=1e-2)
loss_fn = nn.CrossEntropyLoss()
print("step   NumPy loss           PyTorch loss")
for step in range(5):
    X_batch, y_batch = sample_windows(train_ids, 8, small.block_size, rng=rng)
    logits = twin_numpy(X_batch)
    loss = loss_fn(logits.reshape(-1, len(vocab)), y_batch.reshape(-1))
    numpy_opt.zero_grad()
    twin_numpy.backward(loss_fn.backward().reshape(logits.shape))
    numpy_opt.step()
    loss_t = torch.nn.functional.cross_entropy(twin_torch(torch.tensor(X_batch)).flatten(0, 1),
                                               torch.tensor(y_batch).flatten())
    torch_opt.zero_grad()
    loss_t.backward()
    torch_opt.step()
    print(f"{step}      {float(loss):.15f}    {loss_t.item():.15f}")

# %% [markdown]
# Now the real training, in PyTorch on the device (on a GPU: a bigger model, bf16 *autocast*, which runs the
# matrix products in 16-bit bfloat while keeping float32 weights, and torch's fused attention kernel, which it
# picks for the causal mask). The loop is the one of chapter 06, on random windows of the training text:

# %%
steps = 3000 if big else 400
batch_size = 64 if big else 16
lr = 1e-3 if big else 3e-3


def train_language_model(model, seed=0):
    torch.manual_seed(seed)
    batch_rng = np.random.default_rng(seed)
    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    losses = []
    for _ in range(steps):
        X, y = (torch.tensor(a, device=device) for a in sample_windows(train_ids, batch_size, config.block_size,
                                                                        rng=batch_rng))
        with torch_gpt.autocast(device):  # bf16 on a GPU, nothing on the CPU
            loss = torch.nn.functional.cross_entropy(model(X).flatten(0, 1), y.flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@torch.no_grad()
def validation_loss(model, batches=8):
    """Mean cross-entropy (nats per character) over fixed windows of the validation text."""
    model.eval()
    gen = np.random.default_rng(123)  # the same windows for every model
    total = 0.0
    for _ in range(batches):
        X, y = (torch.tensor(a, device=device) for a in sample_windows(val_ids, 64, config.block_size, rng=gen))
        with torch_gpt.autocast(device):
            total += torch.nn.functional.cross_entropy(model(X).flatten(0, 1).float(), y.flatten()).item()
    model.train()
    return total / batches

# %%
torch.manual_seed(0)
gpt = torch_gpt.GPT(config)
gpt_losses = train_language_model(gpt)
gpt_val = validation_loss(gpt)
print(f"GPT: {torch_gpt.count_parameters(gpt):,} parameters, {steps} steps; training loss {gpt_losses[0]:.3f} -> "
      f"{np.mean(gpt_losses[-20:]):.3f}; validation {gpt_val:.3f} nats/char")

# %% [markdown]
# **Against chapter 08's LSTM.** A fair comparison trains an LSTM language model of about the same number of
# parameters (an `Embedding`, one `LSTM` layer, a `Linear` head) with the same loop, data, batches, steps,
# optimizer and learning rate (one value for both, tuned for neither), and evaluates it on the same validation
# windows.

# %%
class LSTMLanguageModel(torch.nn.Module):
    def __init__(self, vocab_size, embedding_dim, hidden_size):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab_size, embedding_dim)
        self.lstm = torch.nn.LSTM(embedding_dim, hidden_size, batch_first=True)
        self.head = torch.nn.Linear(hidden_size, vocab_size)

    def forward(self, ids):  # (N, T) -> (N, T, V)
        return self.head(self.lstm(self.embed(ids))[0])


torch.manual_seed(0)
lstm = LSTMLanguageModel(len(vocab), config.n_embd, 2 * config.n_embd)
lstm_losses = train_language_model(lstm)
lstm_val = validation_loss(lstm)
print(f"LSTM: {torch_gpt.count_parameters(lstm):,} parameters; validation {lstm_val:.3f} nats/char")
print(f"GPT:  {torch_gpt.count_parameters(gpt):,} parameters; validation {gpt_val:.3f} nats/char")
print("lower validation loss:", "GPT" if gpt_val < lstm_val else "LSTM",
      f"(by {abs(gpt_val - lstm_val):.3f} nats/char; {np.log(len(vocab)):.2f} would be a uniform guess)")

# %%
fig, ax = plt.subplots(figsize=(8, 3.5))
smooth = np.ones(10) / 10
for name, losses in (("GPT", gpt_losses), ("LSTM", lstm_losses)):
    ax.plot(np.convolve(losses, smooth, mode="valid"), label=name)
ax.set_xlabel("step")
ax.set_ylabel("training loss (nats/char, 10-step mean)")
ax.set_title("same data, batches, steps and optimizer")
ax.legend()
plt.show()

# %% [markdown]
# The printed line says which model won at this small budget. An LSTM's built-in sequential bias (the recent past
# is in its state at every step) helps it early on, while the GPT must first learn from its position embeddings
# where to look. Attention's direct access to the whole window pays off with more steps, more data and longer
# contexts, and it trains all positions of a window in parallel, which is what makes GPUs (and the larger
# configuration on one) fast.
#
# ## 11. Sampling with temperature and top-k
#
# The model gives a distribution over the next character; generating text means drawing from it, appending the
# draw, and repeating. Two knobs shape the distribution before drawing: the *temperature* $\tau$ divides the logits
# ($\tau < 1$ sharpens, $\tau \to 0$ is always the most likely character; $\tau > 1$ flattens), and *top-k* keeps
# only the $k$ most likely characters. We load the trained weights into the NumPy GPT (the state dict goes back
# the other way) and sample from it in float64.

# %%
numpy_gpt = nn.GPT(config, rng=rng, dtype=np.float64)
numpy_gpt.load_state_dict(gpt.state_dict())
numpy_gpt.eval()
prompt = vocab.encode("Elizabeth ")[None]  # (1, T0)
new_tokens = config.block_size - prompt.shape[1]
for temperature, top_k in ((0.5, 10), (1.0, None), (1.5, None)):
    sample = numpy_gpt.generate(prompt, new_tokens, temperature=temperature, top_k=top_k,
                                rng=np.random.default_rng(1))
    print(f"temperature {temperature}, top-k {top_k}: {vocab.decode(sample[0])!r}")

# %% [markdown]
# Move the sliders: the bars are the distribution of the character after the prompt, the text below is a sample
# drawn with those settings.

# %%
next_logits = numpy_gpt(prompt)[0, -1]


def sample_text(temperature, top_k):
    ids = numpy_gpt.generate(prompt, 40, temperature=temperature, top_k=top_k, rng=np.random.default_rng(2))
    return vocab.decode(ids[0])


sampling_explorer(next_logits, vocab.itos, context=vocab.decode(prompt[0]), sample_fn=sample_text)

# %% [markdown]
# ## 12. A key-value cache
#
# Generating without care repeats work: at each step the whole prefix runs through the model again, though the keys
# and values of earlier positions have not changed (a causal model never lets them see the new token). A *key-value
# cache* keeps each layer's keys and values; each step then computes the new token's query, key and value only,
# appends the key and value, and attends to everything kept:

# %%
print(inspect.getsource(nn.GPT._cached_step))

# %%
prompts = vocab.encode("It is a truth universally")[None].repeat(4, axis=0)  # (4, T0)
count = min(config.block_size - prompts.shape[1], 100)  # the uncached run is slow for long windows
timings, outputs = {}, {}
for use_cache in (False, True):
    start = time.perf_counter()
    outputs[use_cache] = numpy_gpt.generate(prompts, count, top_k=10, use_cache=use_cache,
                                            rng=np.random.default_rng(3))
    timings[use_cache] = time.perf_counter() - start
print(f"{count} tokens x 4 sequences: without cache {timings[False]:.3f} s, with cache {timings[True]:.3f} s, "
      f"speed-up {timings[False] / timings[True]:.1f}x")
assert np.array_equal(outputs[False], outputs[True]), "the cache must not change what is generated"

# %%
print("same tokens with and without the cache:", np.array_equal(outputs[False], outputs[True]))
print(repr(vocab.decode(outputs[True][0])))

# %% [markdown]
# Without the cache, step $t$ processes all $t$ positions, so generating $n$ tokens costs about $n^2/2$ position
# computations; with it, $n$ (attention still reads all $t$ cached keys, but that is a small part at this size).
# The price is memory: 2 × layers × $T$ × $E$ numbers per sequence.
#
# ## 13. Attention maps
#
# Each head of the first layer, on a sentence: row $i$ shows how much position $i$ attends to each earlier
# position (the upper triangle is zero: the causal mask).

# %%
sentence = "She is tolerable, but not handsome enough"[: config.block_size]
ids = vocab.encode(sentence)[None]
block = numpy_gpt.blocks[0]
h = block.norm1(numpy_gpt.tok_emb(ids) + numpy_gpt.pos_emb(np.arange(ids.shape[1])))  # what the layer attends over
_, head_weights = block.self_attn(h, h, h, is_causal=True, average_attn_weights=False)  # (1, n_heads, T, T)
fig, axes = plt.subplots(1, config.n_head, figsize=(3.2 * config.n_head, 3.4), layout="constrained")
for head, ax in enumerate(np.atleast_1d(axes)):
    ax.imshow(head_weights[0, head], cmap="viridis", vmin=0, vmax=1)
    ax.set_title(f"layer 1, head {head + 1}")
    ax.set_xticks(range(len(sentence)), list(sentence), fontsize=5)
    ax.set_yticks(range(len(sentence)), list(sentence), fontsize=5)
    ax.set_xlabel("key position")
axes[0].set_ylabel("query position")
plt.show()

# %% [markdown]
# ## 14. What attention costs
#
# The scores form an $L \times S$ matrix per head: for self-attention over $T$ positions, time and memory grow as
# $T^2$ (the MLP and projections grow as $T$). Measured with our NumPy attention (4 heads of 16 features, forward
# and backward), with the memory of the attention weights it keeps for the backward pass:

# %%
print("     T   time (s)   x previous   attention weights kept")
previous = None
for T in (128, 256, 512, 1024):
    q_cost = np.random.default_rng(T).standard_normal((1, 4, T, 16)).astype(np.float32)  # (N, n_heads, T, d_head)
    start = time.perf_counter()
    out_cost, cost_cache = scaled_dot_product_attention_forward(q_cost, q_cost, q_cost, is_causal=True)
    scaled_dot_product_attention_backward(out_cost, cost_cache)
    seconds = time.perf_counter() - start
    ratio = f"{seconds / previous:10.1f}" if previous else " " * 10
    print(f"{T:6d}   {seconds:8.4f}   {ratio}   {cost_cache[3].nbytes / 2**20:8.2f} MiB")
    previous = seconds

# %% [markdown]
# Doubling $T$ multiplies the kept weights by exactly 4. The time grows at least as fast (the "x previous" column;
# small sizes are dominated by fixed overheads, and once the matrices outgrow the processor's caches each doubling
# can cost more than 4x, since the work is then limited by memory traffic). Fused
# *flash attention* kernels (what `torch.nn.functional.scaled_dot_product_attention` uses on a GPU) compute the
# softmax in tiles and never store the $T \times T$ matrix, so the memory grows as $T$; the time still grows as
# $T^2$.
#
# ## 15. Encoder-only, encoder-decoder, and vision transformers
#
# The same layer serves three families:
#
# - **Decoder-only** (GPT): causal self-attention, trained to predict the next token; generates text.
# - **Encoder-only** (BERT): no causal mask, every position sees the whole input; trained to fill in masked-out
#   tokens; used to classify or tag text (our reverser of section 9 is a one-layer encoder).
# - **Encoder-decoder** (the original transformer, T5): an encoder reads the input without a mask; a causal decoder
#   generates the output, and each decoder layer adds *cross-attention*, whose queries come from the decoder and
#   whose keys and values come from the encoder (`MultiheadAttention(query, key, value)` with different inputs).
#
# A **vision transformer** (ViT) makes an image a sequence: cut it into patches, flatten each patch and map it
# linearly to $E$ features (a token per patch), add learned positions and one extra learned *class token*, run an
# encoder, classify from the class token's output. A tiny one on chapter 07's 8×8 digits, with 2×2 patches
# (16 tokens of 4 pixels):

# %%
class TinyViT(torch.nn.Module):
    def __init__(self, patch=2, image_size=8, width=32, depth=2, heads=4, num_classes=10):
        super().__init__()
        self.patch = patch
        self.embed = torch.nn.Linear(patch * patch, width)  # one token per flattened patch
        self.cls_token = torch.nn.Parameter(torch.zeros(1, 1, width))
        self.pos = torch.nn.Parameter(0.02 * torch.randn(1, (image_size // patch) ** 2 + 1, width))
        self.encoder = torch.nn.Sequential(*[torch.nn.TransformerEncoderLayer(
            width, heads, 2 * width, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
            for _ in range(depth)])
        self.norm, self.head = torch.nn.LayerNorm(width), torch.nn.Linear(width, num_classes)

    def forward(self, images):  # (N, 1, H, W)
        p = self.patch
        patches = images.unfold(2, p, p).unfold(3, p, p)  # (N, 1, H/p, W/p, p, p)
        patches = patches.reshape(len(images), -1, p * p)  # (N, n_patches, p*p), row by row
        cls = self.cls_token.expand(len(images), -1, -1)  # (N, 1, width)
        x = torch.cat([cls, self.embed(patches)], dim=1) + self.pos  # (N, 1 + n_patches, width)
        return self.head(self.norm(self.encoder(x)[:, 0]))  # classify from the class token

# %%
X_digits, y_digits = load_digit_images(8)
X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(X_digits, y_digits, val_size=0.15,
                                                                      test_size=0.15, stratify=y_digits, rng=rng)
torch.manual_seed(0)
vit = TinyViT()
vit_history = dlcourse.torch.fit(
    vit, torch.nn.CrossEntropyLoss(), torch.optim.AdamW(vit.parameters(), lr=3e-3),
    DataLoader((X_train, y_train), batch_size=64, shuffle=True, rng=np.random.default_rng(5)), epochs=25,
    val_loader=DataLoader((X_val, y_val), batch_size=256), metrics=["accuracy"], device=device, progress=False)
print(f"{torch_gpt.count_parameters(vit):,} parameters; validation accuracy after each 5 epochs:",
      np.round(vit_history["val_accuracy"][4::5], 3))

# %% [markdown]
# The final report, the only cell that touches the test images:

# %%
vit_test_accuracy = (dlcourse.torch.predict(vit, X_test).argmax(1) == y_test).mean()
print(f"tiny ViT test accuracy on {len(y_test)} digits: {vit_test_accuracy:.3f}")

# %% [markdown]
# Chapter 07's ResNet reaches at least 98% on these digits (it checks so): a convolution builds in locality and
# translation equivariance, while a ViT must learn them from data through its position embeddings. ViTs catch up
# with CNNs, and pass them, only with much more data.
#
# ## Self-check
#
# 1. For queries (3, 8), keys (5, 8) and values (5, 2), what are the shapes of the scores, the weights and the
#    output? What does each row of the weights sum to?
# 2. If $q$ and $k$ have independent entries of mean 0 and variance 1, what is the variance of $q \cdot k$ for
#    $d = 64$? What does dividing by $\sqrt{64}$ make it, and why does that matter for the softmax's gradient?
# 3. In `scaled_dot_product_attention_forward`, does a boolean mask entry True mean "may attend" or "may not"?
#    And in `MultiheadAttention`?
# 4. Why must a language model's attention be causal? Which outputs change when you change input position 4 of
#    a causal layer with 6 positions?
# 5. With $E = 64$ and 4 heads, what is $d_{head}$? How many parameters has `in_proj_weight`?
# 6. Self-attention without positions: what happens to the outputs when the inputs are permuted? How do
#    sinusoidal and learned positional encodings fix it?
# 7. Write the pre-norm and the post-norm layer as formulas. In which one is the residual stream never normalised?
# 8. What does a temperature of 0.5 do to the next-character distribution? What does top-k = 1 give?
# 9. What does a key-value cache store, and why may it not change the generated tokens?
# 10. How does the memory of the attention weights grow when $T$ doubles? And with a flash-attention kernel?
# 11. In a vision transformer with 2×2 patches of an 8×8 image, how many tokens does the encoder see?
#
# ## What to try
#
# The cells below each run in a few seconds after the chapter's cells.

# %% tags=["what-to-try"]
# Sort instead of reverse (section 9): does one layer still solve it? Attention must now find "the k-th smallest".
sorter = train_sequence_task(lambda n, gen: (lambda X: (X, np.sort(X, axis=1)))(gen.integers(0, N_DIGITS,
                                                                                            (n, SEQ_LEN))))
X_sort = np.random.default_rng(7).integers(0, N_DIGITS, (1000, SEQ_LEN))
print("sorted correctly:", (sorter(X_sort).argmax(-1) == np.sort(X_sort, axis=1)).all(axis=1).mean())

# %% tags=["what-to-try"]
# Greedy decoding (top-k = 1) and a very hot temperature, from the same prompt (section 11).
for temperature, top_k in ((1.0, 1), (3.0, None)):
    sample = numpy_gpt.generate(prompt, new_tokens, temperature=temperature, top_k=top_k,
                                rng=np.random.default_rng(4))
    print(f"temperature {temperature}, top-k {top_k}: {vocab.decode(sample[0])!r}")

# %% tags=["what-to-try"]
# Remove the 1/sqrt(d) (section 3): pass scale=1.0 and watch the weights of d = 256 random vectors saturate.
q_big, k_big = np.random.default_rng(8).standard_normal((2, 1, 6, 256))  # (N, L, d) each, S = L = 6
for scale in (None, 1.0):
    _, big_cache = scaled_dot_product_attention_forward(q_big, k_big, k_big, scale=scale)
    print(f"scale={scale}: largest weight per row", big_cache[3][0].max(axis=1).round(3))

# %% [markdown]
# - Section 10: set `lr = 1e-2` (or `1e-3`) and rerun the GPT and LSTM training cells: which model gains? Is the
#   shared learning rate fair to both?
# - Section 10: change `config` to 4 layers, or `block_size=128`, or more steps; which helps the validation loss
#   most for the time it costs? On a GPU the larger configuration runs by itself.
# - Section 13: draw the attention maps of the second layer (`numpy_gpt.blocks[1]`, fed the first block's output).
# - Section 15: try 4×4 patches (4 tokens) or drop the positions (`self.pos` at zero, `requires_grad_(False)`).
# - The exercise for this chapter asks you to write attention's forward and backward passes, the causal mask,
#   splitting and merging heads, and the sinusoidal positional encoding.
