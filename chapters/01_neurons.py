# %% [markdown]
# # 01 · Neurons, perceptrons and the first network
#
# **The question.** What is the smallest piece a neural network is built from, what can one such piece learn on its
# own, and why do we need more than one?
#
# **The idea.** An artificial neuron takes a weighted sum of its inputs, adds a bias and passes the result through
# an activation function. One neuron draws one straight line through its input space, and Rosenblatt's perceptron
# rule (1958) finds such a line whenever one exists. XOR has no such line, so a single neuron cannot learn it; two
# layers of neurons can. That observation is the whole reason networks are *deep*.
#
# Plan: where deep learning sits inside AI, the neuron and its math, the perceptron learning rule watched step by
# step, XOR defeating it, a two-layer network solving XOR by hand and then by training, and finally the same
# network trained in NumPy (`dlcourse`) and in PyTorch from the same initial weights, giving the same losses.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

import dlcourse.nn as nn
import dlcourse.optim as optim
import dlcourse.torch
from dlcourse import metrics
from dlcourse.data import DataLoader, make_blobs, make_xor
from dlcourse.plots.boundaries import plot_dataset, plot_decision_boundary

rng = np.random.default_rng(0)
dlcourse.torch.seed_everything(0)
device = dlcourse.torch.device()

# %% [markdown]
# ## 1. AI, machine learning, deep learning
#
# The three names are nested: deep learning is one way of doing machine learning, which is one way of building AI.
#
# | | what it is | where the behaviour comes from | example |
# |---|---|---|---|
# | **Artificial intelligence** | programs that do things we call intelligent when people do them | anything: hand-written rules, search, logic, learning | a chess engine searching moves; a rule-based spam filter |
# | **Machine learning** | AI whose behaviour is *fitted to data* rather than written down | a model with parameters, tuned to minimise an error on examples | logistic regression on word counts; a decision tree |
# | **Deep learning** | machine learning with *many layers* of simple units (neurons), trained end to end by gradient descent | the layers learn their own features from raw input (pixels, characters, audio) | a convolutional network reading digits; a Transformer writing text |
#
# In this course every model is a deep-learning model, but the vocabulary of machine learning (training set,
# loss, overfitting, validation) carries over unchanged.
#
# ## 2. The artificial neuron
#
# A neuron with weights $w \in \mathbb{R}^D$, bias $b \in \mathbb{R}$ and activation $f$ maps an input
# $x \in \mathbb{R}^D$ to
#
# $$z = w^\top x + b = \sum_{j=1}^{D} w_j x_j + b, \qquad \hat y = f(z).$$
#
# $z$ is the *pre-activation*. Common choices for $f$:
#
# | activation | $f(z)$ | output | used for |
# |---|---|---|---|
# | step (Heaviside) | $1$ if $z > 0$ else $0$ | $\{0, 1\}$ | the perceptron (1958) |
# | sigmoid | $\sigma(z) = 1 / (1 + e^{-z})$ | $(0, 1)$ | a probability of class 1 |
# | tanh | $\tanh z$ | $(-1, 1)$ | hidden units of small networks |
# | ReLU | $\max(z, 0)$ | $[0, \infty)$ | hidden units of most modern networks |
#
# (Chapter 02 studies activations in depth.) For a batch $X$ of $N$ inputs stacked as rows, shape (N, D), the whole
# batch is one matrix product: $z = Xw + b$, shape (N,). In NumPy:

# %%
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def neuron(X, w, b, activation=sigmoid):
    """X: (N, D), w: (D,), b: scalar -> (N,) activations."""
    return activation(X @ w + b)


w, b = np.array([2.0, -1.0]), 0.5
X_demo = np.array([[0.0, 0.0], [1.0, 1.0], [-1.0, 2.0]])
print("z     =", X_demo @ w + b)
print("y_hat =", neuron(X_demo, w, b))

# %% [markdown]
# `dlcourse.nn.Linear(D, 1)` is the same computation, with PyTorch's layout: a weight of shape (1, D), so that
# `Linear(D, M)` holds $M$ neurons side by side as the rows of a (M, D) matrix. Followed by `nn.Sigmoid()` it is our
# neuron. We give it our $w$ and $b$ and compare.

# %%
layer = nn.Sequential(nn.Linear(2, 1, rng=rng, dtype=np.float64), nn.Sigmoid())
layer.load_state_dict({"0.weight": w[None, :], "0.bias": np.array([b])})  # (1, D) and (1,), as torch.nn.Linear
print("max |ours - dlcourse.nn| =", np.abs(neuron(X_demo, w, b) - layer(X_demo)[:, 0]).max())

# %% [markdown]
# **What one neuron sees.** The output depends on $x$ only through $z = w^\top x + b$, so it is constant along every
# line $w^\top x + b = c$. The line $w^\top x + b = 0$ (where $\sigma = \frac12$) is the *decision boundary*: the
# neuron says "class 1" on the side $w$ points to. It is perpendicular to $w$ and sits at signed distance
# $-b / \lVert w \rVert$ from the origin (measured along $w$), so the bias slides the line and $w$ turns it. Below: the neuron's output as a colour map, and the boundary for three
# biases.

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), constrained_layout=True)
grid = np.linspace(-3, 3, 200)
xx, yy = np.meshgrid(grid, grid)
points = np.stack([xx.ravel(), yy.ravel()], axis=1)  # (200*200, 2)
for ax, bias in zip(axes, [-2.0, 0.5, 3.0], strict=True):
    out = neuron(points, w, bias).reshape(xx.shape)
    image = ax.contourf(xx, yy, out, levels=np.linspace(0, 1, 11), cmap="RdBu_r")
    ax.contour(xx, yy, out, levels=[0.5], colors="k")
    ax.arrow(0, 0, w[0] * 0.6, w[1] * 0.6, width=0.04, color="k")  # w is perpendicular to the boundary
    ax.set_title(f"w = {w}, b = {bias}")
    ax.set_aspect("equal")
fig.colorbar(image, ax=axes, label=r"$\sigma(w^\top x + b)$")
plt.show()

# %% [markdown]
# ## 3. The perceptron learning rule
#
# The perceptron is a neuron with a step activation. Write the labels as $y \in \{-1, +1\}$ and predict
# $\operatorname{sign}(w^\top x + b)$. A sample is classified correctly exactly when its *margin*
# $y\,(w^\top x + b)$ is positive. Rosenblatt's rule visits the samples one at a time and, whenever the margin is
# $\le 0$ (a mistake, or a point on the boundary), moves the boundary towards the right answer:
#
# $$w \leftarrow w + \eta\, y\, x, \qquad b \leftarrow b + \eta\, y.$$
#
# Why this helps: after the update the same sample's margin grows by $\eta\,(\lVert x \rVert^2 + 1) > 0$. And the
# *perceptron convergence theorem* (Novikoff, 1962) says more: if some line separates the classes with margin
# $\gamma$ and every $\lVert x \rVert \le R$, the rule makes at most $(R / \gamma)^2$ mistakes in total (with $b$
# folded into $w$ by appending a constant 1 to $x$), then stops changing.
#
# The rule looks at one sample at a time, so its inner loop runs over samples; that loop *is* the algorithm. We
# record $(w, b)$ after every update to watch the boundary move.

# %%
X_sep, y_sep = make_blobs(60, centers=np.array([[-1.0, -1.0], [1.0, 1.0]]), noise=0.6, rng=rng)
y_pm = 2 * y_sep - 1  # {0, 1} -> {-1, +1}


def train_perceptron(X, y, lr=1.0, max_epochs=50):
    """X: (N, D), y: (N,) in {-1, +1}. Returns the (w, b, index of the sample that caused it) after every update,
    starting with the zero line, and the number of mistakes in every epoch."""
    w, b = np.zeros(X.shape[1]), 0.0
    snapshots, mistakes = [(w.copy(), b, None)], []
    for _ in range(max_epochs):
        count = 0
        for i in range(len(X)):
            if y[i] * (X[i] @ w + b) <= 0:
                w, b = w + lr * y[i] * X[i], b + lr * y[i]
                snapshots.append((w.copy(), b, i))
                count += 1
        mistakes.append(count)
        if count == 0:  # a whole epoch without a mistake: every margin is positive, the rule will never move again
            break
    return snapshots, mistakes


snapshots, mistakes = train_perceptron(X_sep, y_pm)
print(f"mistakes per epoch: {mistakes}")
print(f"converged after {len(mistakes)} epochs and {len(snapshots) - 1} updates")


def perceptron_predict(w, b):
    return lambda P: (P @ w + b > 0).astype(int)  # class 1 where w.x + b > 0, as plot_decision_boundary expects


w_final, b_final, _ = snapshots[-1]
print("training accuracy:", metrics.accuracy(y_sep, perceptron_predict(w_final, b_final)(X_sep)))

# %% [markdown]
# Snapshots of the boundary as it learns (the plot shades where $w^\top x + b \ge 0$). The ringed point is the
# mistake that caused the update shown.

# %%
shown = sorted({k for k in (0, 1, 2, 3, len(snapshots) // 2) if k < len(snapshots)} | {len(snapshots) - 1})
fig, axes = plt.subplots(2, 3, figsize=(12, 7.5), constrained_layout=True)
for ax, k in zip(axes.ravel(), shown, strict=False):
    w_k, b_k, culprit = snapshots[k]
    plot_decision_boundary(lambda P, w_k=w_k, b_k=b_k: P @ w_k + b_k, X_sep, y_sep, ax=ax, threshold=0.0,
                           title=f"after {k} updates: w = {np.round(w_k, 2)}, b = {b_k:.0f}")
    if culprit is not None:
        ax.scatter(*X_sep[culprit], s=250, facecolors="none", edgecolors="k", linewidths=2)
for ax in axes.ravel()[len(shown):]:
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 4. XOR defeats a single neuron
#
# Exclusive or: the output is 1 when exactly one input is 1.
#
# | $x_1$ | $x_2$ | $x_1 \oplus x_2$ |
# |---|---|---|
# | 0 | 0 | 0 |
# | 0 | 1 | 1 |
# | 1 | 0 | 1 |
# | 1 | 1 | 0 |
#
# **No line separates these four points.** Suppose a neuron with step activation got them all right. Then
# $b \le 0$ (row 1), $w_2 + b > 0$ (row 2), $w_1 + b > 0$ (row 3) and $w_1 + w_2 + b \le 0$ (row 4). Adding rows 2
# and 3 gives $w_1 + w_2 + 2b > 0$, so $w_1 + w_2 + b > -b \ge 0$, contradicting row 4. The same argument works for
# any increasing activation with any threshold, so no single neuron computes XOR (Minsky and Papert, 1969, made this
# famous).
#
# The perceptron rule therefore can never finish an epoch without a mistake. Watch it cycle:

# %%
X_xor = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y_xor = np.array([0, 1, 1, 0])
xor_snapshots, xor_mistakes = train_perceptron(X_xor, 2 * y_xor - 1, max_epochs=200)
print(f"mistakes in the first 10 of {len(xor_mistakes)} epochs: {xor_mistakes[:10]}")
print(f"epochs without a mistake: {sum(m == 0 for m in xor_mistakes)}")
last_epoch = xor_snapshots[-xor_mistakes[-1] - 1:]  # the state before the last epoch, then its updates
for w_k, b_k, culprit in last_epoch:
    caused_by = "" if culprit is None else f"  (mistake on x = {X_xor[culprit]})"
    print(f"w = {w_k}, b = {b_k:+.0f}{caused_by}")
visited = {(*w_k, b_k) for w_k, b_k, _ in xor_snapshots}
best = max(metrics.accuracy(y_xor, perceptron_predict(w_k, b_k)(X_xor)) for w_k, b_k, _ in xor_snapshots)
print(f"{len(visited)} different lines visited in {len(xor_snapshots) - 1} updates; the best one's accuracy: {best}")
print("accuracy of the OR line x1 + x2 - 0.5:", metrics.accuracy(y_xor, perceptron_predict(np.ones(2), -0.5)(X_xor)))

# %% [markdown]
# Every epoch makes the same updates and ends where it started: the rule cycles through the same few lines forever.
# None of them classifies all four points (none can, by the argument above); some lines, such as OR's, get three of
# four right, but the rule does not even settle on one of those.
#
# ## 5. Two layers solve XOR, by hand
#
# XOR is "OR, but not AND". Each of OR and AND *is* linearly separable, so one neuron computes each, and a third
# neuron combines them:
#
# $$h_1 = \operatorname{step}(x_1 + x_2 - 0.5) \;(\text{OR}), \qquad h_2 = \operatorname{step}(x_1 + x_2 - 1.5)
# \;(\text{AND}), \qquad \hat y = \operatorname{step}(h_1 - h_2 - 0.5).$$
#
# As matrices, with PyTorch's layout (a weight of shape (out, in)): $h = \operatorname{step}(x W_1^\top + b_1)$,
# $\hat y = \operatorname{step}(h W_2^\top + b_2)$.

# %%
def step(z):
    return (z > 0).astype(float)


W1, b1 = np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([-0.5, -1.5])  # (2, 2), (2,): OR and AND
W2, b2 = np.array([[1.0, -1.0]]), np.array([-0.5])  # (1, 2), (1,): OR and not AND


def hand_network(X):
    """X: (N, 2) -> hidden (N, 2), output (N,)."""
    hidden = step(X @ W1.T + b1)
    return hidden, step(hidden @ W2.T + b2)[:, 0]


hidden, out = hand_network(X_xor)
for x, h, o in zip(X_xor, hidden, out, strict=True):
    print(f"x = {x} -> h = {h} -> y_hat = {o:.0f}")
print("accuracy on the truth table:", metrics.accuracy(y_xor, out.astype(int)))

# %% [markdown]
# The hidden layer *changes the representation*: in the $(h_1, h_2)$ plane the four inputs land on three points,
# and there one line separates the classes. On noisy XOR data the network's region is the band between the OR line
# and the AND line.

# %%
X_noisy, y_noisy = make_xor(200, noise=0.15, rng=rng)
fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), constrained_layout=True)
plot_decision_boundary(lambda P: hand_network(P)[1].astype(int), X_noisy, y_noisy, ax=axes[0],
                       title="input space: the hand-set network's regions")
h_noisy = hand_network(X_noisy)[0] + 0.04 * rng.standard_normal((len(X_noisy), 2))  # jitter, to see the crowds
plot_dataset(h_noisy, y_noisy, ax=axes[1], title="hidden space $(h_1, h_2)$")
axes[1].plot([0.25, 1.25], [-0.25, 0.75], "k--", label="$h_1 - h_2 = 0.5$")
axes[1].set_xlabel("$h_1$ (OR)")
axes[1].set_ylabel("$h_2$ (AND)")
axes[1].legend(loc="upper left")
plt.show()
print("accuracy on noisy XOR:", metrics.accuracy(y_noisy, hand_network(X_noisy)[1].astype(int)))

# %% [markdown]
# ## 6. Two layers solve XOR, by training
#
# Setting weights by hand does not scale. Instead we pick a network shape and let gradient descent find the
# weights. The step function has derivative 0 almost everywhere, which gives gradient descent nothing to follow,
# so we use smooth activations: a hidden layer of $H = 8$ tanh units and one output logit $s$, turned into a
# probability by the sigmoid inside the loss,
#
# $$h = \tanh(X W_1^\top + b_1) \in \mathbb{R}^{N \times H}, \qquad s = h W_2^\top + b_2 \in \mathbb{R}^{N \times 1},$$
#
# $$L = -\frac1N \sum_{i=1}^N \Big[ y_i \log \sigma(s_i) + (1 - y_i) \log\big(1 - \sigma(s_i)\big) \Big]
# \quad \text{(binary cross-entropy, `BCEWithLogitsLoss`)},$$
#
# and minimise $L$ by stochastic gradient descent with momentum on mini-batches of 32. How `backward` computes
# $\partial L / \partial W_1, \dots$ is the subject of chapter 04 (backpropagation); here we use it. Our network from
# `dlcourse.nn`, in float64, with its forward pass checked against the formula:

# %%
H = 8
model = nn.Sequential(nn.Linear(2, H, rng=rng, dtype=np.float64), nn.Tanh(),
                      nn.Linear(H, 1, rng=rng, dtype=np.float64))
print(model)
W1_, b1_, W2_, b2_ = (p.data for p in model.parameters())
by_formula = np.tanh(X_noisy @ W1_.T + b1_) @ W2_.T + b2_  # (N, H) @ (H, 1) -> (N, 1)
print("max |model(X) - formula| =", np.abs(model(X_noisy) - by_formula).max())

# %% [markdown]
# Its PyTorch twin has the same layers, the same parameter names and shapes, so the initial weights can be copied
# across exactly. It lives on `device` (a GPU when there is one).

# %%
torch_model = torch.nn.Sequential(torch.nn.Linear(2, H), torch.nn.Tanh(), torch.nn.Linear(H, 1)).double()
dlcourse.torch.copy_weights_to_torch(model, torch_model)
torch_model.to(device)
print([name for name, _ in model.named_parameters()] == [name for name, _ in torch_model.named_parameters()])

# %% [markdown]
# The training loop is five lines per batch, and the same five lines in both libraries: forward, loss, clear the
# old gradients (they accumulate with `+=`), backward, update. Both loaders shuffle with generators seeded alike,
# so both models see the same batches in the same order.

# %%
lr, momentum, num_epochs, batch_size = 0.5, 0.9, 60, 32
y_target = y_noisy[:, None].astype(np.float64)  # (N, 1), the shape of the logits


def train_numpy(model, loader_seed):
    loss_fn, optimizer = nn.BCEWithLogitsLoss(), optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loader = DataLoader((X_noisy, y_target), batch_size, shuffle=True, rng=np.random.default_rng(loader_seed))
    losses = []
    for _ in range(num_epochs):
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            model.backward(loss_fn.backward())
            optimizer.step()
            losses.append(float(loss))
    return np.array(losses)


def train_torch(model, loader_seed):
    loss_fn = torch.nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loader = DataLoader((X_noisy, y_target), batch_size, shuffle=True, rng=np.random.default_rng(loader_seed))
    losses = []
    for _ in range(num_epochs):
        for xb, yb in loader:
            xb, yb = torch.from_numpy(xb).to(device), torch.from_numpy(yb).to(device)
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return np.array(losses)


losses_np = train_numpy(model, loader_seed=1)
losses_torch = train_torch(torch_model, loader_seed=1)
print(f"{len(losses_np)} steps; loss {losses_np[0]:.4f} -> {losses_np[-1]:.4f}")
print(f"max |loss NumPy - loss PyTorch| over all steps: {np.abs(losses_np - losses_torch).max():.2e}")
torch_params = dict(torch_model.named_parameters())
print("max |weight difference| after training:",
      max(np.abs(p.data - dlcourse.torch.to_numpy(torch_params[name])).max() for name, p in model.named_parameters()))

# %% [markdown]
# The two libraries agree to about $10^{-15}$: they do the same arithmetic in a slightly different order, and
# float64 rounding is all that separates them. How well does the trained network classify?

# %%
def predict_np(P):
    return (model(P)[:, 0] > 0).astype(int)  # logit > 0  <=>  sigma(logit) > 1/2


def predict_torch(P):
    with torch.no_grad():
        return (torch_model(torch.from_numpy(P).to(device))[:, 0] > 0).long().cpu().numpy()


print("NumPy network, training accuracy:  ", metrics.accuracy(y_noisy, predict_np(X_noisy)))
print("PyTorch network, training accuracy:", metrics.accuracy(y_noisy, predict_torch(X_noisy)))
print("on the truth table:", predict_np(X_xor), "expected", y_xor)

fig, axes = plt.subplots(1, 3, figsize=(14, 4), constrained_layout=True)
axes[0].semilogy(losses_np, label="NumPy (dlcourse)")
axes[0].semilogy(losses_torch, "--", label="PyTorch")
axes[0].set_xlabel("step")
axes[0].set_ylabel("mini-batch loss")
axes[0].legend()
# the logit itself, with the boundary where it crosses 0, draws a smoother line than the 0/1 labels
plot_decision_boundary(lambda P: model(P)[:, 0], X_noisy, y_noisy, ax=axes[1], threshold=0.0,
                       title="trained in NumPy")
plot_decision_boundary(lambda P: torch_model(torch.from_numpy(P).to(device))[:, 0], X_noisy, y_noisy, ax=axes[2],
                       threshold=0.0, title="trained in PyTorch")
plt.show()

# %% [markdown]
# Unlike the hand-set network, the trained one bends its boundary smoothly: tanh units give curved level sets, and
# eight of them have more freedom than the two lines we drew by hand.
#
# ## Self-check
#
# 1. A neuron has $w = (2, -1)$ and $b = 1$. Which class does it give the origin, and why does only the sign of
#    $w^\top x + b$ matter for that?
# 2. What does the bias do to the decision boundary geometrically? What happens to the boundary, and to the
#    sigmoid's output near it, when you multiply both $w$ and $b$ by 10?
# 3. In `dlcourse.nn.Linear(D, M)`, what is the shape of `weight`, and what is row $m$ of it?
# 4. After a perceptron update on sample $(x, y)$, by how much does that sample's margin $y\,(w^\top x + b)$ grow?
# 5. Give the four inequalities that a single step neuron computing XOR would have to satisfy, and show that they
#    contradict each other.
# 6. What do the hidden units $h_1$ and $h_2$ of the hand-set XOR network compute, and why is the problem linearly
#    separable in $(h_1, h_2)$?
# 7. Why do we train with tanh instead of the step function?
# 8. The NumPy and PyTorch losses differ by about $10^{-16}$, not by 0. Where does the difference come from?
#
# ## What to try
#
# - Raise `noise` in the `make_blobs` cell to 1.5 so the classes overlap: what happens to `mistakes` per epoch?
# - Run the perceptron with `lr=0.1` instead of 1. Does the final line change? (Hint: start from $w = 0$, $b = 0$.)
# - Train the XOR network with `H = 2`, then with a few other seeds of `rng`: does it always find a solution?
# - Replace `nn.Tanh()` by `nn.ReLU()` (and `torch.nn.ReLU()`) and compare the boundaries; then remove the
#   activation altogether and explain the accuracy you get.
# - Swap `make_xor` for `make_moons` or `make_circles` from `dlcourse.data`.
# - Exercise 01 (`exercises/01_neurons`) asks you to write the neuron, the perceptron step and a two-layer forward
#   pass yourself.
