# %% [markdown]
# # 01 · Neurons, perceptrons and the first network
#
# **The question.** What is the smallest piece a neural network is built from, what can one such piece learn on its
# own, and why do we need more than one?
#
# **The idea.** An artificial neuron takes a weighted sum of its inputs, adds a bias and passes the result through
# an activation function. One neuron draws one straight line through its input space, and Rosenblatt's perceptron
# rule (1958) finds such a line whenever one exists. XOR has no such line, so a single neuron cannot learn it; a
# network with one *hidden layer* of neurons between input and output can. That observation is the reason networks
# have hidden layers at all (why *many* hidden layers help is a later story).
#
# Plan: where deep learning sits inside AI, the neuron and its math, the perceptron learning rule watched step by
# step, XOR defeating it, a two-layer network solving XOR by hand, gradient descent (the method that trains every
# network in this course), and finally the XOR network trained in NumPy (`dlcourse`) and in PyTorch from the same
# initial weights, giving the same losses.

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
# | **Deep learning** | machine learning with *many layers* of simple units (neurons), trained end to end by gradient descent (section 6) | the layers learn their own features from raw input (pixels, characters, audio) | a convolutional network reading digits; a Transformer writing text |
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
#
# Every layer keeps its parameters in a *state dict*: a dictionary from a parameter's name to its array (PyTorch
# modules have the same). `nn.Sequential` numbers its layers from 0, so the first layer's weight is called
# `"0.weight"` and its bias `"0.bias"`; `load_state_dict` overwrites the parameters with the arrays we give it.

# %%
layer = nn.Sequential(nn.Linear(2, 1, rng=rng, dtype=np.float64), nn.Sigmoid())
layer.load_state_dict({"0.weight": w[None, :], "0.bias": np.array([b])})  # (1, D) and (1,), as torch.nn.Linear
print("state dict keys:", list(layer.state_dict()))
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
# *perceptron convergence theorem* (Novikoff, 1962) says more. Fold $b$ into $w$ by appending a constant 1 to every
# $x$, so that the score is just $w^\top x$. Suppose some line separates the classes *with margin* $\gamma > 0$: there
# is a $w_\star$ of unit length, $\lVert w_\star \rVert = 1$, with $y\, w_\star^\top x \ge \gamma$ for every sample.
# (For a unit-length $w_\star$, $|w_\star^\top x|$ is the distance from $x$ to the line, so $\gamma$ is the gap
# between the line and the closest sample; without $\lVert w_\star \rVert = 1$ we could inflate the margin just by
# scaling $w_\star$.) If also every $\lVert x \rVert \le R$, the rule makes at most $(R / \gamma)^2$ mistakes in
# total, then stops changing.
#
# The rule looks at one sample at a time, so its inner loop runs over samples; that loop *is* the algorithm. We
# record $(w, b)$ after every update to watch the boundary move.

# %%
# 60 points scattered (std 0.6) around two centres; label 0 around the first, 1 around the second
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
    return lambda P: (P @ w + b > 0).astype(int)  # class 1 where w.x + b > 0 (strictly), else class 0


w_final, b_final, _ = snapshots[-1]
print("training accuracy:", metrics.accuracy(y_sep, perceptron_predict(w_final, b_final)(X_sep)))

# %% [markdown]
# Snapshots of the boundary as it learns. The plot shades class 1 where $w^\top x + b > 0$, the same strict rule
# as `perceptron_predict` (`plot_decision_boundary` with `threshold=0.0` compares the score with `>`). At the start,
# $w = 0$ and $b = 0$, every score is exactly 0, so the whole plane is class 0 and there is no line yet: every sample
# of class 1 is a mistake, and the first one visited causes the first update. The ringed point is the mistake that
# caused the update shown.

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
# The middle layer is called *hidden* because its values $h$ are neither the input nor the output. It *changes the
# representation*: in the $(h_1, h_2)$ plane the four inputs land on three points, and there one line separates the
# classes. On noisy XOR data the network's region is the band between the OR line
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
# ## 6. Gradient descent
#
# Setting weights by hand does not scale, and the perceptron rule only trains a single neuron. Every network in this
# course is trained the same way instead: write down a *loss* $L(\theta)$, one number that measures how wrong the
# network is on the training data as a function of all its parameters $\theta$ (the weights and biases), and walk
# downhill on it. The gradient $\nabla L(\theta)$, the vector of partial derivatives $\partial L / \partial \theta_j$,
# points in the direction in which $L$ grows fastest, so a small step against it lowers $L$:
#
# $$\theta \leftarrow \theta - \eta\, \nabla L(\theta).$$
#
# This is *gradient descent*; the step size $\eta$ (`lr` in code) is the *learning rate*. Too small and it crawls,
# too large and it overshoots the bottom and can diverge. Below, on the one-parameter loss $L(\theta) = \theta^2$,
# whose gradient is $2\theta$:


# %%
def loss_1d(theta):
    return theta**2


def grad_1d(theta):
    return 2 * theta


fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), constrained_layout=True)
for ax, step_size in zip(axes, [0.1, 0.4, 1.05], strict=True):
    thetas = [2.0]  # the starting point
    for _ in range(8):
        thetas.append(thetas[-1] - step_size * grad_1d(thetas[-1]))  # the gradient-descent update
    thetas = np.array(thetas)
    reach = 1.1 * np.abs(thetas).max()  # wide enough to show every step, also when the walk diverges
    theta_grid = np.linspace(-reach, reach, 200)
    ax.plot(theta_grid, loss_1d(theta_grid), "k", lw=1)
    ax.plot(thetas, loss_1d(thetas), "o-", color="C3", ms=4)
    ax.set_xlabel(r"$\theta$")
    ax.set_title(rf"$\eta$ = {step_size}: $\theta_8$ = {thetas[-1]:.3f}")
axes[0].set_ylabel(r"$L(\theta) = \theta^2$")
plt.show()

# %% [markdown]
# Here each step multiplies $\theta$ by $1 - 2\eta$: with $\eta = 0.1$ by 0.8 (slow), with $0.4$ by 0.2 (fast), and
# with $1.05$ by $-1.1$, so every step overshoots further and the walk diverges.
#
# Two practical changes turn this into what trains networks. The loss is a mean over the $N$ training samples,
# $L = \frac1N \sum_i \ell_i$, so its gradient is the mean of the per-sample gradients; instead of averaging all $N$
# each step we average over a random *mini-batch* of, say, 32 samples, which is much cheaper and points roughly the
# same way. This is *stochastic gradient descent* (SGD, `optim.SGD`); one pass over all the mini-batches is an
# *epoch*. (Chapter 05 studies SGD properly, and improvements on it such as momentum and Adam.)
#
# ## 7. Two layers solve XOR, by training
#
# Now we let gradient descent find XOR weights. The step function has derivative 0 almost everywhere, which gives
# gradient descent nothing to follow, so we use smooth activations: a hidden layer of $H = 8$ tanh units and one
# output $s$,
#
# $$h = \tanh(X W_1^\top + b_1) \in \mathbb{R}^{N \times H}, \qquad s = h W_2^\top + b_2 \in \mathbb{R}^{N \times 1}.$$
#
# The output $s$ is a *logit*: a real number that becomes the probability of class 1 through the sigmoid,
# $p = \sigma(s)$ (equivalently $s = \log\frac{p}{1-p}$, the log-odds; $s > 0$ means $p > \frac12$). The loss is the
# *binary cross-entropy* (chapter 03 derives it),
#
# $$L = -\frac1N \sum_{i=1}^N \Big[ y_i \log \sigma(s_i) + (1 - y_i) \log\big(1 - \sigma(s_i)\big) \Big],$$
#
# which is small when $\sigma(s_i)$ is close to the label $y_i \in \{0, 1\}$ and large when it is confidently wrong.
# `BCEWithLogitsLoss` computes it from the logits (the sigmoid is inside the loss). We minimise $L$ by SGD on
# mini-batches of 32. Our network from `dlcourse.nn`, in float64, with its forward pass checked against the formula:

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
# across exactly. PyTorch creates float32 parameters; `.double()` converts them to float64, like ours. It lives on
# `device` (a GPU when there is one).

# %%
torch_model = torch.nn.Sequential(torch.nn.Linear(2, H), torch.nn.Tanh(), torch.nn.Linear(H, 1)).double()
dlcourse.torch.copy_weights_to_torch(model, torch_model)
torch_model.to(device)
print([name for name, _ in model.named_parameters()] == [name for name, _ in torch_model.named_parameters()])

# %% [markdown]
# The training loop does five things per mini-batch: forward, loss, clear the old gradients, backward (compute the
# gradient of the loss with respect to every parameter), update. Gradients are cleared because backward *adds*
# (`+=`) into each parameter's `.grad` rather than overwriting it (chapter 04 shows why that is the right rule).
#
# Only the backward line differs between the libraries. In `dlcourse`, `loss_fn.backward()` returns
# $\partial L / \partial s$, an array shaped like the logits (N, 1), and `model.backward(...)` passes it back through the
# layers, last to first, adding each parameter's gradient to its `.grad`. In PyTorch, `loss.backward()` does both
# at once: PyTorch recorded every operation during the forward pass (this is *autograd*) and replays them backwards.
# How either computes the gradients is the subject of chapter 04 (backpropagation); here we use them.
# `optimizer.step()` then applies $\theta \leftarrow \theta - \eta \nabla L$ to every parameter. A `DataLoader` cuts
# `(X, y)` into mini-batches of `batch_size` rows, in a new random order every epoch; both loaders shuffle with
# generators seeded alike, so both models see the same batches in the same order.

# %%
lr, num_epochs, batch_size = 1.0, 60, 32
y_target = y_noisy[:, None].astype(np.float64)  # (N, 1), the shape of the logits


def train_numpy(model, loader_seed, X=X_noisy, y=y_target):
    loss_fn, optimizer = nn.BCEWithLogitsLoss(), optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader((X, y), batch_size, shuffle=True, rng=np.random.default_rng(loader_seed))
    losses = []
    for _ in range(num_epochs):
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            model.backward(loss_fn.backward())  # dL/ds, (N, 1), back through the layers into every .grad
            optimizer.step()
            losses.append(float(loss))
    return np.array(losses)


def train_torch(model, loader_seed):
    loss_fn = torch.nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader((X_noisy, y_target), batch_size, shuffle=True, rng=np.random.default_rng(loader_seed))
    losses = []
    for _ in range(num_epochs):
        for xb, yb in loader:
            xb, yb = torch.from_numpy(xb).to(device), torch.from_numpy(yb).to(device)
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()  # autograd: every parameter's .grad, from the recorded forward pass
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
# The two libraries agree to within the tiny differences printed above: they do the same arithmetic in a slightly
# different order, and float64 rounding is all that separates them. How well does the trained network classify?
# (`torch.no_grad()` below tells PyTorch not to record the operations for a backward pass, which only training
# needs.)

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
with torch.no_grad():
    plot_decision_boundary(lambda P: torch_model(torch.from_numpy(P).to(device))[:, 0], X_noisy, y_noisy,
                           ax=axes[2], threshold=0.0, title="trained in PyTorch")
plt.show()

# %% [markdown]
# Unlike the hand-set network, the trained one bends its boundary smoothly. A single tanh unit still has straight
# level sets (its output depends on $x$ only through $w^\top x + b$, as in section 2); the curve comes from adding
# eight such units, each bent by tanh along its own direction, in the output layer. Eight of them have more freedom
# than the two lines we drew by hand.
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
# 8. In gradient descent on $L(\theta) = \theta^2$, for which learning rates $\eta$ does $\theta$ shrink towards 0,
#    and for which does it diverge?
# 9. The NumPy and PyTorch losses differ by a tiny amount, not by 0. Where does the difference come from?
#
# ## What to try
#
# Each cell below is one experiment; change its numbers and run it again.
#
# Raise the blobs' `noise` to 1.5 so the classes overlap: no line separates them, and the perceptron keeps making
# mistakes in every epoch.

# %% tags=["what-to-try"]
X_overlap, y_overlap = make_blobs(60, centers=np.array([[-1.0, -1.0], [1.0, 1.0]]), noise=1.5,
                                  rng=np.random.default_rng(1))
_, overlap_mistakes = train_perceptron(X_overlap, 2 * y_overlap - 1)
print("mistakes per epoch with noise 1.5:", overlap_mistakes[:15], "...")

# %% [markdown]
# Run the perceptron with `lr=0.1` instead of 1. Starting from $w = 0$, $b = 0$, every update is $\eta$ times what
# it was, so every score is $\eta$ times what it was and the same samples are mistakes: the final line is the same.

# %% tags=["what-to-try"]
snapshots_small, mistakes_small = train_perceptron(X_sep, y_pm, lr=0.1)
w_small, b_small, _ = snapshots_small[-1]
print("mistakes per epoch:", mistakes_small, " final (w, b) / 0.1 =", w_small / 0.1, b_small / 0.1)
print("with lr = 1:                          final (w, b)       =", w_final, b_final)

# %% [markdown]
# Train the XOR network with only `H = 2` hidden units from a few different initial weights: two units are enough in
# principle (section 5), but does training always find such weights?

# %% tags=["what-to-try"]
for seed in range(4):
    small = nn.Sequential(nn.Linear(2, 2, rng=np.random.default_rng(seed), dtype=np.float64), nn.Tanh(),
                          nn.Linear(2, 1, rng=np.random.default_rng(seed + 100), dtype=np.float64))
    small_losses = train_numpy(small, loader_seed=1)
    accuracy = metrics.accuracy(y_noisy, (small(X_noisy)[:, 0] > 0).astype(int))
    print(f"H = 2, seed {seed}: final loss {small_losses[-1]:.3f}, training accuracy {accuracy:.3f}")

# %% [markdown]
# Replace `nn.Tanh()` by `nn.ReLU()`, then remove the activation altogether. Without it the network is
# $s = (X W_1^\top + b_1) W_2^\top + b_2$, a single linear function of $x$: one line again, which can get at best
# three of XOR's four clusters right.

# %% tags=["what-to-try"]
for name, activation in [("ReLU", [nn.ReLU()]), ("no activation", [])]:
    variant = nn.Sequential(nn.Linear(2, H, rng=np.random.default_rng(0), dtype=np.float64), *activation,
                            nn.Linear(H, 1, rng=np.random.default_rng(1), dtype=np.float64))
    train_numpy(variant, loader_seed=1)
    print(f"{name}: training accuracy {metrics.accuracy(y_noisy, (variant(X_noisy)[:, 0] > 0).astype(int)):.3f}")

# %% [markdown]
# Swap `make_xor` for `make_moons` (or `make_circles`) from `dlcourse.data`.

# %% tags=["what-to-try"]
from dlcourse.data import make_moons  # noqa: E402

X_moons, y_moons = make_moons(200, noise=0.1, rng=np.random.default_rng(2))
moons_model = nn.Sequential(nn.Linear(2, H, rng=np.random.default_rng(0), dtype=np.float64), nn.Tanh(),
                            nn.Linear(H, 1, rng=np.random.default_rng(1), dtype=np.float64))
train_numpy(moons_model, loader_seed=1, X=X_moons, y=y_moons[:, None].astype(np.float64))
print("moons, training accuracy:", metrics.accuracy(y_moons, (moons_model(X_moons)[:, 0] > 0).astype(int)))
plot_decision_boundary(lambda P: moons_model(P)[:, 0], X_moons, y_moons, threshold=0.0, title="moons")
plt.show()

# %% [markdown]
# Exercise 01 (`exercises/01_neurons`) asks you to write the neuron, the perceptron step, a two-layer forward
# pass, one epoch of the perceptron and gradient descent on a bowl yourself.
