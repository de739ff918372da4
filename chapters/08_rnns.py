# %% [markdown]
# # 08 · Recurrent networks
#
# **The question.** "The dog bit the man" and "the man bit the dog" use the same words. A network that sees a
# sentence, a melody or a sensor trace as a bag of values cannot tell them apart, and a fully connected layer on a
# fixed window needs new weights for every position and a fixed length. How can a network read a sequence of any
# length, in order, with one set of weights?
#
# **The idea.** Keep a *hidden state* $h_t$, a vector that summarises what has been read so far, and update it with
# the SAME function at every step: $h_t = f(x_t, h_{t-1})$. This is weight sharing over time, as chapter 07 shared
# a filter over space. Training unrolls the loop into a deep network, one layer per time step, and backpropagates
# through it: *backpropagation through time*. Over many steps the gradient shrinks or grows geometrically; gated cells
# (LSTM, GRU) add a path along which it survives.
#
# Plan: (1) why order and weight sharing; (2) the recurrence; (3) backpropagation through time; (4) vanishing and
# exploding gradients, and gradient clipping; (5) the LSTM; (6) the GRU; (7) the adding problem; (8) a character-level
# language model on a novel; (9) forecasting a sine wave; (10) padding, masking and packing; (11) bidirectional
# layers; (12) explore; (13) the final results on test data.

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
    Vocabulary,
    load_corpus,
    make_adding_problem,
    make_sine_waves,
    make_variable_length,
    pad_sequences,
    padding_mask,
    sample_windows,
    split_ids,
)
from dlcourse.gradcheck import check_function, relative_error
from dlcourse.nn.functional import (
    gru_step_forward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)
from dlcourse.widgets import gradient_flow_explorer
from dlcourse.widgets.gradient_flow import gradient_by_lag

rng = np.random.default_rng(0)
dlcourse.torch.seed_everything(0)
device = dlcourse.torch.device()
if device.type == "cpu":
    torch.set_num_threads(1)  # small recurrent networks: one thread is fastest, and never waits for a busy core
big = device.type == "cuda"  # larger language model and longer training on a GPU

# %% [markdown]
# ## 1. Why order, and why share weights over time?
#
# A bag of characters (how often each one occurs) forgets the order: the two sentences have the same bag.

# %%
first, second = "the dog bit the man", "the man bit the dog"
print("same characters, same counts:", sorted(first) == sorted(second))
print("same text:", first == second)

# %% [markdown]
# A fully connected layer on a window of $T$ one-hot characters (a vector with a 1 at the character's index, as in
# chapter 03) knows the order, but it has separate weights for every position, works for one $T$ only, and must learn
# that "dog" means the same at position 3 and at position 40. A recurrent layer applies one small function at every
# step. Counting parameters for $V = 75$ characters and a hidden size $D_h = 128$:

# %%
V_example, hidden_example = 75, 128
for T in (10, 100, 1000):
    window_weights = T * V_example * hidden_example + hidden_example  # Linear(T * V, Dh)
    print(f"T = {T:4d}: Linear on the window {window_weights:>11,} parameters")
recurrent_layer = nn.RNN(V_example, hidden_example, rng=rng)
print(f"any T:    RNN layer             {sum(p.data.size for p in recurrent_layer.parameters()):>11,} parameters")

# %% [markdown]
# ## 2. The recurrence
#
# With input $x_t \in \mathbb{R}^{D}$ and hidden state $h_t \in \mathbb{R}^{D_h}$ (rows of a batch of $N$ sequences),
# the plain (Elman) recurrent network computes, for $t = 1, \dots, T$ from a start state $h_0$ (zeros by default):
# $$a_t = x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}, \qquad h_t = \tanh(a_t).$$
# $W_{ih}$ is $(D_h, D)$ and $W_{hh}$ is $(D_h, D_h)$: PyTorch's layout and names (`weight_ih_l0`, `weight_hh_l0`).
# The output at every step is $h_t$; a task puts its own layer on top (a `Linear` that predicts the next character,
# say). Since $x_t W_{ih}^\top$ does not depend on the recurrence, `dlcourse` computes it for all $T$ steps in one
# matrix product, then loops over time with one step function:

# %%
print(inspect.getsource(rnn_step_forward))
print(inspect.getsource(rnn_forward))

# %% [markdown]
# The loop by hand, `dlcourse.nn.RNN` and `torch.nn.RNN` with the same weights give the same states. Inputs are laid
# out time first, (T, N, D), as torch does by default (`batch_first=True` takes (N, T, D)).

# %%
T, N, D, Dh = 6, 2, 3, 4
X_seq = rng.standard_normal((T, N, D))
rnn_np = nn.RNN(D, Dh, rng=rng, dtype=np.float64)
w_ih, w_hh = rnn_np.weight_ih_l0.data, rnn_np.weight_hh_l0.data
b_ih, b_hh = rnn_np.bias_ih_l0.data, rnn_np.bias_hh_l0.data

h = np.zeros((N, Dh))
by_hand = []
for t in range(T):
    h = np.tanh(X_seq[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh)  # the same weights at every step
    by_hand.append(h)
out_np, h_n_np = rnn_np(X_seq)

rnn_torch = torch.nn.RNN(D, Dh).double()
dlcourse.torch.copy_weights_to_torch(rnn_np, rnn_torch)
out_torch, h_n_torch = rnn_torch(torch.tensor(X_seq))
print("output shape (T, N, Dh):", out_np.shape, " h_n shape (num_layers, N, Dh):", h_n_np.shape)
print("max |by hand - dlcourse|:", np.abs(np.stack(by_hand) - out_np).max())
print("max |dlcourse - torch|:  ", np.abs(out_np - out_torch.detach().numpy()).max())
print("h_n is the last output:  ", np.array_equal(h_n_np[0], out_np[-1]))

# %% [markdown]
# **A picture of the hidden state.** Feed a sine wave into an untrained RNN with 16 hidden units and draw every unit's
# state over time: each unit is a different filtered, squashed echo of the input's recent past.

# %%
steps = np.arange(80)
wave = np.sin(2 * np.pi * steps / 20)[:, None, None]  # (T, N=1, D=1)
echo = nn.RNN(1, 16, rng=np.random.default_rng(1), dtype=np.float64)
states, _ = echo(wave)  # (T, 1, 16)
fig, (ax_in, ax_h) = plt.subplots(2, 1, figsize=(10, 4.5), sharex=True, height_ratios=[1, 2.5])
ax_in.plot(steps, wave[:, 0, 0], color="C0")
ax_in.set_ylabel("input x_t")
image = ax_h.imshow(states[:, 0].T, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1)
ax_h.set_xlabel("time step t")
ax_h.set_ylabel("hidden unit")
fig.colorbar(image, ax=ax_h, label="h_t (tanh: between -1 and 1)")
ax_in.set_title("hidden states over time of an untrained RNN reading a sine wave")
plt.show()

# %% [markdown]
# ## 3. Backpropagation through time
#
# Unroll the loop: the sequence becomes a feed-forward graph with $T$ layers that all use the same $W_{ih}, W_{hh},
# b$. Backpropagation (chapter 04) on that graph is *backpropagation through time* (BPTT). Let $L$ be the loss and
# write $\delta h_t = \partial L/\partial h_t$, the gradient with respect to $h_t$ (a row per sequence).
#
# 1. $h_t$ is used twice: by the output at step $t$ (gradient $g_t$, what the layer above sends back) and by the next
#    step through $a_{t+1} = \dots + h_t W_{hh}^\top$. The gradients of the two uses add (chapter 04's rule for a
#    value used twice):
#    $$\delta h_t = g_t + \delta a_{t+1} W_{hh}, \qquad \delta a_{T+1} = 0.$$
# 2. Through $h_t = \tanh(a_t)$, elementwise, with $\tanh' = 1 - \tanh^2$ (chapter 02):
#    $$\delta a_t = \delta h_t \odot (1 - h_t \odot h_t).$$
# 3. A shared weight receives the sum of its gradients at every step (again a value used many times). With
#    $\partial a_t / \partial W_{hh}$ read off $a_t = \dots + h_{t-1} W_{hh}^\top$, as for a linear layer:
#    $$\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^{T} \delta a_t^\top h_{t-1}, \quad
#      \frac{\partial L}{\partial W_{ih}} = \sum_{t} \delta a_t^\top x_t, \quad
#      \frac{\partial L}{\partial b_{ih}} = \frac{\partial L}{\partial b_{hh}} = \sum_{t} \sum_{n} \delta a_{t,n},
#      \quad \frac{\partial L}{\partial x_t} = \delta a_t W_{ih}, \quad \frac{\partial L}{\partial h_0} = \delta a_1
#      W_{hh}.$$
#
# So the backward pass walks the stored steps from the last to the first, carrying $\delta a_{t+1} W_{hh}$ back, and
# then gets every weight gradient in one matrix product over all steps:

# %%
print(inspect.getsource(rnn_step_backward))
print(inspect.getsource(rnn_backward))

# %% [markdown]
# Checked against finite differences (chapter 04's gradient check, float64), then against torch's autograd with a
# gradient for every output step and for $h_T$:

# %%
arrays = [rng.standard_normal((5, 2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((4, 3)),
          0.5 * rng.standard_normal((4, 4)), rng.standard_normal(4), rng.standard_normal(4)]
_, _, cache = rnn_forward(*arrays)
errors = check_function(lambda *a: rnn_forward(*a)[0], lambda dout: rnn_backward(dout, None, cache), arrays, rng=rng)
names = ["x", "h0", "W_ih", "W_hh", "b_ih", "b_hh"]
print("relative error, BPTT vs finite differences:", {n: f"{e:.1e}" for n, e in zip(names, errors, strict=True)})

grad_out = rng.standard_normal(out_np.shape)
grad_h_n = rng.standard_normal(h_n_np.shape)
x_t = torch.tensor(X_seq, requires_grad=True)
out_t, h_n_t = rnn_torch(x_t)
((out_t * torch.tensor(grad_out)).sum() + (h_n_t * torch.tensor(grad_h_n)).sum()).backward()
rnn_np(X_seq)
rnn_np.zero_grad()
dx_np = rnn_np.backward(grad_out, grad_h_n=grad_h_n)
print("relative error vs torch: dx", f"{relative_error(dx_np, x_t.grad.numpy()):.1e}",
      " dW_hh", f"{relative_error(rnn_np.weight_hh_l0.grad, rnn_torch.weight_hh_l0.grad.numpy()):.1e}")

# %% [markdown]
# ## 4. Vanishing and exploding gradients
#
# Follow the gradient from the loss at the last step $T$ back to step $T - k$. Each step back multiplies it by the
# same kind of matrix: $\delta h_{t-1} = (\delta h_t \odot \tanh'(a_t))\, W_{hh}$, so after $k$ steps
# $$\delta h_{T-k} = \delta h_T \, J_T J_{T-1} \cdots J_{T-k+1}, \qquad J_t = \operatorname{diag}(1 - h_t^2)\,
#   W_{hh}.$$
# Without the tanh (a linear RNN) and with $W_{hh} = \rho Q$ for an orthogonal $Q$ (it keeps lengths:
# $\|vQ\| = \|v\|$), the length becomes exactly $\rho^k \|\delta h_T\|$: it *vanishes* geometrically for $\rho < 1$
# and *explodes* for $\rho > 1$. The tanh only adds factors $1 - h^2 \le 1$. $\rho$ is the *spectral radius*, the
# largest $|\lambda|$ over the eigenvalues of $W_{hh}$. Chapter 04 measured the same effect across the layers of a deep
# network; here the "layers" are time steps and share one matrix, so the factor is the same at every step.
#
# `gradient_by_lag` (in `dlcourse.widgets.gradient_flow`) runs `rnn_forward` and `rnn_backward` on random inputs
# with the loss on the last step only and returns $\|\partial L/\partial x_{T-k}\|$ divided by its value at $k = 0$:

# %%
lag_steps = 60
radii = [0.5, 0.9, 1.0, 1.2]
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, cell in zip(axes, ["RNN linear", "RNN tanh"], strict=True):
    for radius in radii:
        ratios = gradient_by_lag(cell, radius, lag_steps, rng=np.random.default_rng(0))
        ax.semilogy(np.maximum(ratios, 1e-30), label=f"radius {radius}")
        print(f"{cell:10s} radius {radius}: gradient at lag {lag_steps - 1} is {ratios[-1]:.1e} of its size at lag 0")
    ax.set_title(cell)
    ax.set_xlabel("lag k (steps back from the loss)")
axes[0].set_ylabel("||dL/dx_(T-k)|| / ||dL/dx_T||")
axes[0].legend()
plt.show()

# %% [markdown]
# The linear RNN follows $\rho^k$. With tanh every one of these curves falls, even at radius 1.2 (the printed
# numbers): the factors $1 - h^2 < 1$ shrink the gradient at every step, and a larger radius pushes the states
# towards $\pm 1$, where $\tanh' \to 0$. Either way, an input 50 steps back hardly moves the weights: the plain RNN
# cannot learn long-range dependencies by gradient descent. Section 7 shows it failing a task that needs them.
#
# **Gradient clipping.** The opposite failure, an exploding gradient, makes a single step so long that training
# jumps far off. Chapter 06 introduced the cure: rescale the whole gradient when its norm exceeds a threshold
# (`nn.clip_grad_norm_`), which keeps its direction and caps its length. Here is a NumPy RNN forecasting noisy sine
# waves one step ahead, with its recurrent weights started 3 times larger than usual (a large spectral radius) and
# SGD at `lr = 0.3`, trained twice: identical except for the clipping.

# %%
noisy_waves, _ = make_sine_waves(256, 41, noise=0.05, rng=np.random.default_rng(2))
X_wave, y_wave = noisy_waves[:, :-1, None], noisy_waves[:, 1:, None]  # input x_t, target x_(t+1): (N, T, 1)


def train_wave_rnn(max_norm, num_steps=200, lr=0.3, weight_scale=3.0):
    """SGD on the one-step-ahead MSE; returns the losses, stopping early if the loss leaves [0, 1000]."""
    init_rng, batch_rng = np.random.default_rng(0), np.random.default_rng(1)
    rnn = nn.RNN(1, 32, batch_first=True, rng=init_rng)
    head = nn.Linear(32, 1, rng=init_rng)
    rnn.weight_hh_l0.data *= weight_scale
    params = list(rnn.parameters()) + list(head.parameters())
    optimizer, loss_fn, losses = optim.SGD(params, lr=lr), nn.MSELoss(), []
    for _ in range(num_steps):
        index = batch_rng.integers(0, len(X_wave), 32)
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run may overflow: we detect it below
            out, _ = rnn(X_wave[index])
            loss = loss_fn(head(out), y_wave[index])
        if not 0 <= loss <= 1000:
            break  # diverged
        losses.append(float(loss))
        optimizer.zero_grad()
        rnn.backward(head.backward(loss_fn.backward()))
        if max_norm is not None:
            nn.clip_grad_norm_(params, max_norm)
        optimizer.step()
    return losses


unclipped, clipped = train_wave_rnn(None), train_wave_rnn(1.0)
print(f"without clipping: {len(unclipped)} steps before the loss left [0, 1000] (last losses "
      f"{', '.join(f'{v:.2f}' for v in unclipped[-3:])})")
print(f"with clip_grad_norm_(params, 1.0): all {len(clipped)} steps, mean loss over the last 20 "
      f"{np.mean(clipped[-20:]):.4f}")
print(f"predicting 0 every time scores an MSE of {np.mean(y_wave ** 2):.4f}")

# %%
plt.figure(figsize=(7, 3.5))
plt.semilogy(clipped, label="clip_grad_norm_ at 1.0")
plt.semilogy(unclipped, "o-", color="C3", label="no clipping (diverged)")
plt.xlabel("SGD step")
plt.ylabel("training MSE")
plt.title("the same run, with and without gradient clipping")
plt.legend()
plt.show()

# %% [markdown]
# Clipping fixes exploding gradients only; it cannot make a vanished gradient large again. For that the network
# itself must change.
#
# ## 5. The LSTM: an additive path through time
#
# The long short-term memory (Hochreiter and Schmidhuber, 1997) carries a second state, the *cell* $c_t$, and changes
# it by adding, under the control of *gates*: vectors in $(0, 1)$ from a sigmoid that scale what passes, elementwise.
# In PyTorch's order, the four blocks of one matrix product are the input gate $i$, forget gate $f$, candidate $g$ and
# output gate $o$:
# $$[a_i, a_f, a_g, a_o] = x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh} \qquad (W_{ih}: (4D_h, D))$$
# $$i = \sigma(a_i),\; f = \sigma(a_f),\; g = \tanh(a_g),\; o = \sigma(a_o), \qquad
#   c_t = f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t).$$
# The forget gate decides how much of the old cell to keep, the input gate how much new content $g$ to write, the
# output gate how much of the cell to show as $h_t$.
#
# **Why the gradient survives.** Along the cell path, $\partial c_t / \partial c_{t-1} = \operatorname{diag}(f_t)$:
# $$\delta c_{t-1} = \delta c_t \odot f_t \quad (+ \text{the contribution through } h_{t-1}).$$
# No weight matrix and no $\tanh'$ multiply it, only the forget gate. Where $f \approx 1$ the gradient passes
# through many steps almost unchanged, and the network *learns* $f$, so it can decide what to remember. Backward, the
# cell's gradient also collects the path through $h_t = o \odot \tanh(c_t)$:
# $\delta c_t \mathrel{+}= \delta h_t \odot o \odot (1 - \tanh^2 c_t)$. One step, forward and backward:

# %%
print(inspect.getsource(lstm_step_forward))
print(inspect.getsource(lstm_step_backward))

# %% [markdown]
# The sigmoid is computed as $\sigma(a) = \tfrac12(1 + \tanh(a/2))$, the same function, so that one `np.tanh` call
# covers all four gates. `lstm_forward` and `lstm_backward` loop over these steps exactly as `rnn_forward` and
# `rnn_backward` do. The layer `nn.LSTM` matches `torch.nn.LSTM` with two layers, outputs and every gradient:

# %%
lstm_np = nn.LSTM(3, 5, num_layers=2, rng=rng).double()
lstm_torch = torch.nn.LSTM(3, 5, num_layers=2).double()
dlcourse.torch.copy_weights_to_torch(lstm_np, lstm_torch)
X_lstm = rng.standard_normal((7, 4, 3))
x_t = torch.tensor(X_lstm, requires_grad=True)
out_t, (h_n_t, c_n_t) = lstm_torch(x_t)
grad_out, grad_c_n = rng.standard_normal(out_t.shape), rng.standard_normal(c_n_t.shape)
((out_t * torch.tensor(grad_out)).sum() + (c_n_t * torch.tensor(grad_c_n)).sum()).backward()
out_np, (h_n_np, c_n_np) = lstm_np(X_lstm)
lstm_np.zero_grad()
dx_np = lstm_np.backward(grad_out, grad_c_n=grad_c_n)
worst = max(relative_error(p.grad, dict(lstm_torch.named_parameters())[name].grad.numpy())
            for name, p in lstm_np.named_parameters())
print(f"relative errors: output {relative_error(out_np, out_t.detach().numpy()):.1e}, "
      f"c_n {relative_error(c_n_np, c_n_t.detach().numpy()):.1e}, dx {relative_error(dx_np, x_t.grad.numpy()):.1e}, "
      f"worst of the {len(list(lstm_np.parameters()))} weight gradients {worst:.1e}")

# %% [markdown]
# At initialisation the forget gate sits near $\sigma(0) = 0.5$ and the gradient still halves at every step. A common
# remedy starts the forget gate's bias at a positive value, so the cell remembers until the network learns otherwise.
# Measured as in section 4 (recurrent blocks of spectral radius 1):

# %%
lstm_ratios = {}
for forget_bias in (0.0, 1.0, 3.0):
    lstm_ratios[forget_bias] = gradient_by_lag("LSTM", 1.0, lag_steps, forget_bias=forget_bias,
                                               rng=np.random.default_rng(0))
    print(f"LSTM, forget-gate bias {forget_bias}: gradient at lag {lag_steps - 1} is "
          f"{lstm_ratios[forget_bias][-1]:.1e} of its size at lag 0")
tanh_ratios = gradient_by_lag("RNN tanh", 1.0, lag_steps, rng=np.random.default_rng(0))
plt.figure(figsize=(7, 3.5))
plt.semilogy(np.maximum(tanh_ratios, 1e-30), color="gray", label="RNN tanh, radius 1")
for forget_bias, ratios in lstm_ratios.items():
    plt.semilogy(ratios, label=f"LSTM, forget bias {forget_bias}")
plt.xlabel("lag k")
plt.ylabel("||dL/dx_(T-k)|| / ||dL/dx_T||")
plt.title("gradient norm against lag")
plt.legend()
plt.show()

# %% [markdown]
# ## 6. The GRU
#
# The gated recurrent unit (Cho et al., 2014) merges cell and hidden state and uses two gates, reset $r$ and update
# $z$. With $[x^r, x^z, x^n] = x_t W_{ih}^\top + b_{ih}$ and $[u^r, u^z, u^n] = h_{t-1} W_{hh}^\top + b_{hh}$ (three
# blocks, PyTorch's order):
# $$r = \sigma(x^r + u^r), \quad z = \sigma(x^z + u^z), \quad n = \tanh(x^n + r \odot u^n), \qquad
#   h_t = (1 - z) \odot n + z \odot h_{t-1}.$$
# Where $z \approx 1$ the state is copied forward, $\partial h_t/\partial h_{t-1} \approx \operatorname{diag}(z)$: the
# same kind of additive path as the LSTM's cell. PyTorch applies $r$ *after* the hidden product ($r \odot u^n$,
# which includes the bias $b_{hn}$); the original paper applied it before. `dlcourse` does what torch does:

# %%
print(inspect.getsource(gru_step_forward))
gru_np, gru_torch = nn.GRU(3, 5, rng=rng).double(), torch.nn.GRU(3, 5).double()
dlcourse.torch.copy_weights_to_torch(gru_np, gru_torch)
x_t = torch.tensor(X_lstm, requires_grad=True)
out_t, _ = gru_torch(x_t)
out_t.backward(torch.tensor(grad_out))
out_np, _ = gru_np(X_lstm)
dx_np = gru_np.backward(grad_out)
print(f"relative errors: output {relative_error(out_np, out_t.detach().numpy()):.1e}, "
      f"dx {relative_error(dx_np, x_t.grad.numpy()):.1e}, "
      f"dW_hh {relative_error(gru_np.weight_hh_l0.grad, gru_torch.weight_hh_l0.grad.numpy()):.1e}")

# %% [markdown]
# ## 7. The adding problem: who can remember 50 steps?
#
# Each input has two channels: numbers from $U(0, 1)$, and a marker that is 1 at two positions (one in each half of
# the sequence). The target is the sum of the two marked numbers. Predicting the mean, 1.0, scores an MSE of
# $\operatorname{Var}(u_1 + u_2) = 2/12 \approx 0.167$; doing better needs information from up to $T = 50$ steps
# back. The models are trained in PyTorch (fast enough to try three): a recurrent layer with 32 units, then a
# `Linear` on the last state. Validation data decide when to stop; the test set waits for section 13.

# %%
seq_len = 50
X_add, y_add = make_adding_problem(6000, seq_len, rng=rng)
X_add_val, y_add_val = make_adding_problem(1000, seq_len, rng=rng)
X_add_test, y_add_test = make_adding_problem(1000, seq_len, rng=rng)
marked = np.flatnonzero(X_add[0, :, 1])
print(f"one example: marked positions {marked}, numbers {X_add[0, marked, 0].round(3)}, target {y_add[0]:.3f}")
print(f"predict-the-mean baseline on validation: MSE {np.mean((y_add_val - y_add.mean()) ** 2):.4f}")


class LastStepRegressor(torch.nn.Module):
    """A recurrent layer (RNN, LSTM or GRU) reads the sequence; a Linear reads its last hidden state."""

    def __init__(self, kind, input_size, hidden_size):
        super().__init__()
        self.rnn = getattr(torch.nn, kind)(input_size, hidden_size, batch_first=True)
        self.head = torch.nn.Linear(hidden_size, 1)

    def forward(self, x):
        out, _ = self.rnn(x)  # (N, T, Dh)
        return self.head(out[:, -1]).squeeze(-1)  # (N,)

# %%
def train_adding(kind, max_steps=700, batch_size=64, lr=1e-2, solved=0.01, seed=0):
    """Adam on the MSE with gradient clipping; every 50 steps check validation, stop once below `solved`."""
    torch.manual_seed(seed)
    model = LastStepRegressor(kind, 2, 32).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    X_train, y_train = torch.tensor(X_add, device=device), torch.tensor(y_add, device=device)
    X_val, y_val = torch.tensor(X_add_val, device=device), torch.tensor(y_add_val, device=device)
    batch_rng, history = np.random.default_rng(seed + 1), []
    for step in range(1, max_steps + 1):
        index = torch.tensor(batch_rng.integers(0, len(X_add), batch_size), device=device)
        loss = torch.nn.functional.mse_loss(model(X_train[index]), y_train[index])
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % 50 == 0:
            with torch.no_grad():
                history.append((step, torch.nn.functional.mse_loss(model(X_val), y_val).item()))
            if history[-1][1] < solved:
                break
    return model, history


adding_models, adding_histories = {}, {}
for kind in ("RNN", "LSTM", "GRU"):
    adding_models[kind], adding_histories[kind] = train_adding(kind)
    step, val_mse = adding_histories[kind][-1]
    print(f"{kind:4s}: validation MSE {val_mse:.4f} after {step} steps")

# %%
plt.figure(figsize=(7, 3.5))
for kind, history in adding_histories.items():
    plt.semilogy(*zip(*history, strict=True), "o-", label=kind)
plt.axhline(2 / 12, color="gray", ls="--", label="predict the mean (2/12)")
plt.xlabel("training step")
plt.ylabel("validation MSE")
plt.title(f"the adding problem, T = {seq_len}")
plt.legend()
plt.show()

# %% [markdown]
# The plot and the printed lines tell the story: the plain RNN's validation MSE stays at the baseline (it learns to
# predict the mean), while LSTM and GRU drop far below it once they find the markers.
#
# ## 8. A character-level language model
#
# A *language model* gives a probability to every possible next character given the text so far. Trained on a
# novel, it learns spelling, words and punctuation. The corpus ships with `dlcourse`: Jane Austen's *Pride and
# Prejudice* (1813, public domain; see `dlcourse.data.text` for its source). The text is split into contiguous
# parts, 80% training, 10% validation, 10% test.

# %%
text = load_corpus()
vocab = Vocabulary(text)
ids = vocab.encode(text)
train_ids, val_ids, test_ids = split_ids(ids, val_fraction=0.1, test_fraction=0.1)
V = len(vocab)
print(f"{len(text):,} characters, {V} distinct; train {len(train_ids):,}, validation {len(val_ids):,}, "
      f"test {len(test_ids):,}")
print(repr(text[1000:1200]))
print("encode 'Darcy':", vocab.encode("Darcy"), "-> decode:", vocab.decode(vocab.encode("Darcy")))

# %% [markdown]
# **The loss, and two baselines.** The model outputs logits for the $V$ characters; the loss is the cross-entropy of
# the true next character (chapter 03), averaged over positions, in *nats* (natural logarithm). Divided by
# $\ln 2$ it is in *bits per character*: the average number of yes/no questions needed to pin down the next
# character. Two models without a network set the bar: the *unigram* model (character frequencies, ignoring context)
# and the *bigram* model (the frequency of each character after the previous one), both counted on the training text
# with one added to every count so no probability is zero.

# %%
unigram = np.bincount(train_ids, minlength=V) + 1.0
unigram /= unigram.sum()
bigram = np.ones((V, V))
np.add.at(bigram, (train_ids[:-1], train_ids[1:]), 1)  # count each (previous, next) pair
bigram /= bigram.sum(axis=1, keepdims=True)
baselines = {"unigram": -np.log(unigram[val_ids[1:]]).mean(),
             "bigram": -np.log(bigram[val_ids[:-1], val_ids[1:]]).mean()}
for name, nats in baselines.items():
    print(f"{name:8s} validation loss {nats:.3f} nats = {nats / np.log(2):.3f} bits per character")
print(f"uniform guess: ln V = {np.log(V):.3f} nats")

# %% [markdown]
# **The network**: `Embedding` (a learned vector per character: row $k$ of a $(V, E)$ table, which is what a one-hot
# vector times a weight matrix computes, without the multiplication), an LSTM, and a `Linear` to $V$ logits at every
# step. Training examples are windows of $T$ characters, and the targets are the same windows shifted by one
# (`sample_windows`). First in NumPy, with `dlcourse.nn` layers, trained for a few seconds:

# %%
class CharLSTM(nn.Module):
    """Embedding -> LSTM -> Linear: next-character logits at every position, (N, T) ids -> (N, T, V)."""

    def __init__(self, vocab_size, embedding_dim, hidden_size, rng):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, rng=rng)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True, rng=rng)
        self.head = nn.Linear(hidden_size, vocab_size, rng=rng)

    def forward(self, ids):
        out, _ = self.lstm(self.embedding(ids))  # (N, T, Dh)
        return self.head(out)  # (N, T, V)

    def backward(self, dlogits):
        self.embedding.backward(self.lstm.backward(self.head.backward(dlogits)))


np_lm = CharLSTM(V, 16, 64, rng=np.random.default_rng(3))
np_optimizer, np_loss_fn = optim.Adam(np_lm.parameters(), lr=1e-2), nn.CrossEntropyLoss()
window_rng = np.random.default_rng(4)
np_losses = []
start = time.perf_counter()
for _ in range(100):
    inputs, targets = sample_windows(train_ids, 16, 32, rng=window_rng)  # (N, T) each
    logits = np_lm(inputs)
    np_losses.append(np_loss_fn(logits.reshape(-1, V), targets.reshape(-1)))
    np_optimizer.zero_grad()
    np_lm.backward(np_loss_fn.backward().reshape(logits.shape))
    nn.clip_grad_norm_(np_lm.parameters(), 1.0)
    np_optimizer.step()
print(f"NumPy LSTM: training loss {np_losses[0]:.3f} -> {np.mean(np_losses[-10:]):.3f} nats in 100 steps "
      f"({time.perf_counter() - start:.1f} s)")

# %% [markdown]
# The training loss started at about $\ln V$ (a uniform guess) and, within 100 steps, fell below the unigram
# baseline's validation loss printed above. **The same
# network in PyTorch**, with attribute names that give the same `state_dict` keys, takes the NumPy weights and
# computes the same loss and gradients (float64 copies of both, on one batch):

# %%
class TorchCharLSTM(torch.nn.Module):
    """The twin of CharLSTM; forward also takes and returns the LSTM state (for sampling, below)."""

    def __init__(self, vocab_size, embedding_dim, hidden_size):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab_size, embedding_dim)
        self.lstm = torch.nn.LSTM(embedding_dim, hidden_size, batch_first=True)
        self.head = torch.nn.Linear(hidden_size, vocab_size)

    def forward(self, ids, state=None):
        out, state = self.lstm(self.embedding(ids), state)
        return self.head(out), state


twin = TorchCharLSTM(V, 16, 64).double()
np_lm.double()
dlcourse.torch.copy_weights_to_torch(np_lm, twin)
inputs, targets = sample_windows(val_ids, 8, 32, rng=np.random.default_rng(5))
loss_np = np_loss_fn(np_lm(inputs).reshape(-1, V), targets.reshape(-1))
np_lm.zero_grad()
np_lm.backward(np_loss_fn.backward().reshape(8, 32, V))
logits_t, _ = twin(torch.tensor(inputs))
loss_t = torch.nn.functional.cross_entropy(logits_t.reshape(-1, V), torch.tensor(targets).reshape(-1))
loss_t.backward()
torch_grads = dict(twin.named_parameters())
worst = max(relative_error(p.grad, torch_grads[name].grad.numpy()) for name, p in np_lm.named_parameters())
print(f"loss: NumPy {loss_np:.10f}, torch {loss_t.item():.10f}; worst relative gradient error {worst:.1e}")

# %% [markdown]
# **Trained longer in PyTorch.** A fresh, wider twin (128 hidden units on a CPU, 512 and many more steps on a GPU),
# Adam and gradient clipping, windows of 64 characters. The validation loss is measured on 40 stretches of 500
# characters.

# %%
lm_hidden, lm_steps = (512, 3000) if big else (128, 300)
torch.manual_seed(0)
lm = TorchCharLSTM(V, 32, lm_hidden).to(device)
lm_optimizer = torch.optim.Adam(lm.parameters(), lr=5e-3)
val_inputs = torch.tensor(val_ids[:20_000].reshape(40, 500), device=device)
val_targets = torch.tensor(val_ids[1:20_001].reshape(40, 500), device=device)


def lm_loss(model, inputs, targets):
    logits, _ = model(inputs)
    return torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))


window_rng, lm_history = np.random.default_rng(6), []
for step in range(1, lm_steps + 1):
    inputs, targets = sample_windows(train_ids, 32, 64, rng=window_rng)
    loss = lm_loss(lm, torch.tensor(inputs, device=device), torch.tensor(targets, device=device))
    lm_optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(lm.parameters(), 1.0)
    lm_optimizer.step()
    if step % 100 == 0:
        with torch.no_grad():
            lm_history.append((step, lm_loss(lm, val_inputs, val_targets).item()))
lm_val = lm_history[-1][1]
print(f"LSTM with {lm_hidden} units after {lm_steps} steps: validation loss {lm_val:.3f} nats = "
      f"{lm_val / np.log(2):.3f} bits per character")
for name, nats in baselines.items():
    print(f"  {name} baseline: {nats:.3f} nats = {nats / np.log(2):.3f} bits per character")

# %% [markdown]
# **Sampling.** To write text, feed a prompt, then repeatedly draw the next character from the softmax of the last
# logits and feed it back. Chapter 02's *temperature* $\tau$ divides the logits first: $\tau < 1$ sharpens the
# distribution (safer, more repetitive text), $\tau > 1$ flattens it (more surprising, more misspelt).

# %%
def sample(model, prompt, length, temperature, rng):
    """Continue `prompt` by `length` characters drawn from softmax(logits / temperature)."""
    model.eval()
    with torch.no_grad():
        logits, state = model(torch.tensor(vocab.encode(prompt)[None], device=device))  # read the prompt
        chosen = []
        for _ in range(length):
            z = logits[0, -1].double().cpu().numpy() / temperature
            p = np.exp(z - z.max())  # softmax, shifted for stability (chapter 02)
            chosen.append(rng.choice(V, p=p / p.sum()))
            logits, state = model(torch.tensor([[chosen[-1]]], device=device), state)  # one more step
    model.train()
    return prompt + vocab.decode(np.array(chosen))


for temperature in (0.5, 1.0, 1.5):
    print(f"--- temperature {temperature} ---")
    print(sample(lm, "Elizabeth", 160, temperature, np.random.default_rng(7)))

# %% [markdown]
# **Inside the LSTM.** Running the trained weights through `dlcourse`'s `lstm_forward` lets us look at what it stores
# for the backward pass: the gates at every step. Below, the forget gate $f$ and the hidden state $h$ of 24 units
# while the model reads a sentence. Where $f$ is near 1 (yellow) the unit keeps its cell from the step before; where
# it drops, the unit forgets, and the characters on the axis show where that happens.

# %%
sentence = "It is a truth universally acknowledged, that a single man in possession of a good fortune."
lstm_weights = [getattr(lm.lstm, name).detach().cpu().numpy()
                for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")]
embedded = lm.embedding.weight.detach().cpu().numpy()[vocab.encode(sentence)]  # (T, E)
start_state = np.zeros((1, lm_hidden), np.float32)
_, _, _, lstm_cache = lstm_forward(embedded[:, None], start_state, start_state, *lstm_weights)  # (T, N=1, E) input
gates = np.stack([step_cache[1][0] for step_cache in lstm_cache[-1]])  # (T, 4 * Dh): i, f, g, o per step
hidden_states = lstm_cache[2][:, 0]  # (T, Dh): the outputs h_t
units = slice(0, 24)
fig, axes = plt.subplots(2, 1, figsize=(12, 6), sharex=True)
for ax, values, title, cmap, limits in [(axes[0], gates[:, lm_hidden:2 * lm_hidden], "forget gate f", "viridis",
                                         (0, 1)), (axes[1], hidden_states, "hidden state h", "RdBu_r", (-1, 1))]:
    image = ax.imshow(values[:, units].T, aspect="auto", cmap=cmap, vmin=limits[0], vmax=limits[1])
    ax.set_ylabel("unit")
    ax.set_title(f"{title} while reading the sentence")
    fig.colorbar(image, ax=ax)
axes[1].set_xticks(range(len(sentence)), list(sentence), fontsize=7)
plt.show()

# %% [markdown]
# ## 9. Forecasting a sine wave: teacher forcing against free running
#
# A network trained to predict $x_{t+1}$ from the true $x_1, \dots, x_t$ is trained with *teacher forcing*: it always
# reads the real past. To forecast many steps ahead it must instead *run free*, reading its own predictions, so its
# errors feed back in. Noisy sine waves of random period, phase and amplitude: train an LSTM on one-step-ahead
# prediction, then compare the two modes on 200 new validation waves (against the clean wave, the best any forecast
# can do).

# %%
wave_train, _ = make_sine_waves(512, 80, noise=0.1, rng=rng)
wave_val, wave_val_clean = make_sine_waves(200, 80, noise=0.1, rng=rng)
torch.manual_seed(0)
forecaster = LastStepRegressor("LSTM", 1, 32).to(device)  # reuse its parts: rnn, then head at every step


def predict_next(model, x, state=None):
    """(N, T, 1) inputs -> (N, T) predictions of the next value at every step, and the LSTM state."""
    out, state = model.rnn(x, state)
    return model.head(out).squeeze(-1), state


wave_optimizer = torch.optim.Adam(forecaster.parameters(), lr=1e-2)
inputs_w = torch.tensor(wave_train[:, :-1, None], device=device)
targets_w = torch.tensor(wave_train[:, 1:], device=device)
batch_rng = np.random.default_rng(8)
for _ in range(250):
    index = torch.tensor(batch_rng.integers(0, len(wave_train), 32), device=device)
    loss = torch.nn.functional.mse_loss(predict_next(forecaster, inputs_w[index])[0], targets_w[index])
    wave_optimizer.zero_grad()
    loss.backward()
    wave_optimizer.step()
print(f"training MSE (one step ahead, noisy targets) after 250 steps: {loss.item():.4f}; "
      f"the noise alone has variance {0.1 ** 2:.4f}")

# %%
warmup, horizon = 40, 40
with torch.no_grad():
    x_val = torch.tensor(wave_val[:, :, None], device=device)
    teacher, _ = predict_next(forecaster, x_val[:, :-1])  # reads the true past at every step
    teacher = teacher[:, warmup - 1:warmup - 1 + horizon].cpu().numpy()  # predictions of steps warmup..+horizon
    prediction, state = predict_next(forecaster, x_val[:, :warmup])
    last, free = prediction[:, -1:], []
    for _ in range(horizon):  # free running: feed each prediction back as the next input
        free.append(last)
        prediction, state = predict_next(forecaster, last[:, :, None], state)
        last = prediction[:, -1:]
    free = torch.cat(free, dim=1).cpu().numpy()
truth = wave_val_clean[:, warmup:warmup + horizon]
teacher_error = ((teacher - truth) ** 2).mean(axis=0)
free_error = ((free - truth) ** 2).mean(axis=0)
print(f"MSE against the clean wave, averaged over {horizon} steps: teacher forcing {teacher_error.mean():.4f}, "
      f"free running {free_error.mean():.4f}")
print(f"free running: MSE {free_error[0]:.4f} one step ahead, {free_error[-1]:.4f} {horizon} steps ahead")

# %%
fig, (ax_wave, ax_err) = plt.subplots(1, 2, figsize=(12, 3.8))
ahead = np.arange(warmup, warmup + horizon)
ax_wave.plot(wave_val[0], ".", color="gray", label="noisy input")
ax_wave.plot(ahead, truth[0], color="black", label="clean wave")
ax_wave.plot(ahead, teacher[0], color="C0", label="teacher forcing (one step ahead)")
ax_wave.plot(ahead, free[0], color="C3", label="free running")
ax_wave.axvline(warmup - 0.5, color="gray", ls=":")
ax_wave.set_xlabel("t")
ax_wave.legend(fontsize=8)
ax_err.plot(np.arange(1, horizon + 1), teacher_error, label="teacher forcing")
ax_err.plot(np.arange(1, horizon + 1), free_error, color="C3", label="free running")
ax_err.set_xlabel("steps after the warm-up")
ax_err.set_ylabel("MSE vs clean wave (200 held-out waves)")
ax_err.legend()
plt.show()

# %% [markdown]
# ## 10. Padding, masking and packed sequences
#
# Real sequences have different lengths, but a batch is one array. *Padding* fills the short ones up to the longest
# (`pad_sequences`, with the true lengths); a *mask* marks the real positions (`padding_mask`). With padding on the
# right, a unidirectional RNN's outputs at the real positions are untouched by the padding (it comes later), so
# picking each sequence's output at its last real step gives what running it alone gives (to float32 rounding,
# about 1e-7: a batch sums in a different order). But $h_n$ of the
# padded run has also read the padding. PyTorch's *packed sequences* (`pack_padded_sequence`) tell the layer the
# lengths, so it stops each sequence at its end.

# %%
seqs, seq_targets = make_variable_length(5, min_length=2, max_length=8, n_features=3, rng=rng)
padded, lengths = pad_sequences(seqs)  # (N, T_max, D), (N,)
mask = padding_mask(lengths)  # (N, T_max), True at real positions
print("lengths:", lengths, " padded shape:", padded.shape)
print(mask.astype(int))
gru_pad = torch.nn.GRU(3, 4, batch_first=True)
with torch.no_grad():
    alone = torch.stack([gru_pad(torch.tensor(s)[None])[1][0, 0] for s in seqs])  # each sequence by itself
    out_pad, h_n_pad = gru_pad(torch.tensor(padded))
    last_real = out_pad[torch.arange(len(seqs)), torch.tensor(lengths) - 1]  # output at each last real step
    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(padded), torch.tensor(lengths), batch_first=True,
                                                     enforce_sorted=False)
    _, h_n_packed = gru_pad(packed)
print("max |alone - output at the last real step|:", (alone - last_real).abs().max().item())
print("max |alone - packed h_n|:                  ", (alone - h_n_packed[0]).abs().max().item())
print("max |alone - padded h_n| (read the padding):", (alone - h_n_pad[0]).abs().max().item())

# %% [markdown]
# A loss over every position must also leave the padding out: average only where the mask is True. The same
# `dlcourse.nn.GRU` (weights copied from torch) on the padded batch gives the same outputs at the real positions:

# %%
gru_np = nn.GRU(3, 4, batch_first=True)
dlcourse.torch.copy_weights_from_torch(gru_pad, gru_np)
out_np, _ = gru_np(padded)
print("max |NumPy - torch| at real positions:", np.abs(out_np - out_pad.numpy())[mask].max())
per_position = (out_np ** 2).sum(axis=-1)  # some per-position loss, (N, T_max)
print(f"masked mean {per_position[mask].mean():.4f} vs naive mean over padding too {per_position.mean():.4f}")

# %% [markdown]
# ## 11. Bidirectional layers
#
# To label a character you may need what comes after it too. A *bidirectional* layer runs a second, separate
# recurrence backwards in time (parameters with the suffix `_reverse`) and concatenates the two outputs at each step:
# the output has $2 D_h$ features, the first half from the forward run (it has seen $x_1..x_t$), the second from the
# backward run (it has seen $x_t..x_T$). Stacked layers read the concatenation, so from the second layer on both
# halves have seen the whole sequence. `nn.LSTM(..., bidirectional=True)` against torch, then, for one layer, which
# inputs the output at step 0 depends on:

# %%
bi_np = nn.LSTM(3, 4, num_layers=2, bidirectional=True, rng=rng).double()
bi_torch = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
dlcourse.torch.copy_weights_to_torch(bi_np, bi_torch)
print("parameter names:", [name for name, _ in bi_np.named_parameters()][:8], "...")
out_np, (h_n_np, _) = bi_np(X_lstm)
print("output (T, N, 2 Dh):", out_np.shape, " h_n (num_layers * 2, N, Dh):", h_n_np.shape,
      f" max |NumPy - torch| {np.abs(out_np - bi_torch(torch.tensor(X_lstm))[0].detach().numpy()).max():.1e}")
bi_one = nn.LSTM(3, 4, bidirectional=True, rng=rng).double()  # one layer: each half is one direction's run
out_one, _ = bi_one(X_lstm)
for half, columns in [("forward half", slice(0, 4)), ("backward half", slice(4, 8))]:
    grad_out = np.zeros_like(out_one)
    grad_out[0, :, columns] = 1.0  # the loss reads the output at step 0 only
    reach = np.abs(bi_one.backward(grad_out)).sum(axis=(1, 2))  # |dL/dx_t| per step t
    print(f"one bidirectional layer, output at step 0, {half}: depends on inputs at steps {np.flatnonzero(reach > 0)}")

# %% [markdown]
# In a padded batch the backward run would start in the padding; packing (section 10) tells it where each sequence
# really ends.
#
# ## 12. Explore
#
# The explorer redoes section 4 live: drag the spectral radius of $W_{hh}$, switch between a linear RNN, a tanh RNN
# and an LSTM, and move the LSTM's forget-gate bias. The dashed line is $\rho^k$.

# %%
explorer = gradient_flow_explorer(seed=0)
explorer

# %% [markdown]
# ## 13. The final results, on test data
#
# The test sets were not used until now: the adding problem's 1,000 test sequences, and the last 10% of the novel.

# %%
with torch.no_grad():
    X_test_t = torch.tensor(X_add_test, device=device)
    for kind, model in adding_models.items():
        test_mse = torch.nn.functional.mse_loss(model(X_test_t), torch.tensor(y_add_test, device=device)).item()
        print(f"adding problem, T = {seq_len}, {kind:4s}: test MSE {test_mse:.4f}")
    print(f"adding problem, predict the mean:  test MSE {np.mean((y_add_test - y_add.mean()) ** 2):.4f}")
    usable = (len(test_ids) - 1) // 500 * 500
    test_inputs = torch.tensor(test_ids[:usable].reshape(-1, 500), device=device)
    test_targets = torch.tensor(test_ids[1:usable + 1].reshape(-1, 500), device=device)
    test_nats = lm_loss(lm, test_inputs, test_targets).item()
test_baselines = {"unigram": -np.log(unigram[test_ids[1:]]).mean(),
                  "bigram": -np.log(bigram[test_ids[:-1], test_ids[1:]]).mean()}
print(f"language model on the test text: {test_nats:.3f} nats = {test_nats / np.log(2):.3f} bits per character")
for name, nats in test_baselines.items():
    print(f"  {name} baseline:               {nats:.3f} nats = {nats / np.log(2):.3f} bits per character")

# %% [markdown]
# ## Self-check
#
# 1. How many parameters has `nn.RNN(10, 20)`? Does the number change with the sequence length?
# 2. In backpropagation through time, why is $\delta h_t$ a *sum* of two terms? Why is $\partial L / \partial W_{hh}$
#    a sum over time steps?
# 3. For a linear RNN with $W_{hh} = 0.9\,Q$ ($Q$ orthogonal), by what factor does the gradient shrink over 20 steps?
# 4. What does gradient clipping by norm change about the gradient, and what does it keep? Can it fix vanishing
#    gradients?
# 5. Along the LSTM's cell path, what multiplies $\delta c_t$ to give $\delta c_{t-1}$? Why does a forget-gate bias of
#    3 keep gradients alive longer than a bias of 0?
# 6. In PyTorch's GRU, where is the reset gate applied: before or after multiplying $h_{t-1}$ by $W_{hn}$?
# 7. What MSE does predicting the mean score on the adding problem, and why?
# 8. A model's loss is 1.5 nats per character. How many bits per character is that? What does the bigram baseline
#    know that the unigram one does not?
# 9. What does a sampling temperature below 1 do to the generated text?
# 10. Why is $h_n$ of a padded batch wrong for the short sequences, while the output at each last real step is right
#     (for a forward-only RNN with right padding)? Why is padding worse for a bidirectional layer?
#
# ## What to try
#
# Each cell below runs in a few seconds after the chapter.
#
# Compare a ReLU recurrence in section 4's measurement: `nn.RNN(..., nonlinearity="relu")` keeps the slope 1 where
# it is active. Here, the same run as the clipping demo with a relu RNN and clipping:

# %% tags=["what-to-try"]
def train_relu_wave(max_norm, num_steps=100):
    init_rng, batch_rng = np.random.default_rng(0), np.random.default_rng(1)
    rnn, head = nn.RNN(1, 32, nonlinearity="relu", batch_first=True, rng=init_rng), nn.Linear(32, 1, rng=init_rng)
    params = list(rnn.parameters()) + list(head.parameters())
    optimizer, loss_fn = optim.SGD(params, lr=0.1), nn.MSELoss()
    for _ in range(num_steps):
        index = batch_rng.integers(0, len(X_wave), 32)
        out, _ = rnn(X_wave[index])
        loss = loss_fn(head(out), y_wave[index])
        optimizer.zero_grad()
        rnn.backward(head.backward(loss_fn.backward()))
        nn.clip_grad_norm_(params, max_norm)
        optimizer.step()
    return float(loss)


print(f"relu RNN, clipped at 1.0, after 100 steps: training MSE {train_relu_wave(1.0):.4f}")

# %% [markdown]
# The adding problem at a shorter length: at $T = 10$ even the plain RNN has a chance. Train it for 300 steps:

# %% tags=["what-to-try"]
X_add, y_add = make_adding_problem(3000, 10, rng=np.random.default_rng(11))
X_add_val, y_add_val = make_adding_problem(500, 10, rng=np.random.default_rng(12))
_, short_history = train_adding("RNN", max_steps=300)
print(f"RNN on T = 10: validation MSE {short_history[-1][1]:.4f} after {short_history[-1][0]} steps "
      f"(baseline {np.mean((y_add_val - y_add.mean()) ** 2):.4f})")

# %% [markdown]
# Sample with a different prompt and a very low temperature: the text becomes the model's most likely phrases,
# often in a loop.

# %% tags=["what-to-try"]
print(sample(lm, "Mr. Darcy", 120, 0.2, np.random.default_rng(0)))

# %% [markdown]
# In the explorer, find the radius at which a tanh RNN keeps the most gradient after 60 steps, and the forget-gate
# bias at which an LSTM keeps it all; then make $T = 150$.
#
# Not code: in section 8, carry the LSTM state from one window to the next (consecutive windows instead of random
# ones, and `state` detached between steps: *truncated* BPTT); the model then sees context beyond 64 characters.
#
# The exercise for this chapter asks you to write an RNN step forward, backpropagation through time over a sequence,
# an LSTM step forward and backward, gradient clipping by norm, and sampling with a temperature.
