# %% [markdown]
# # 02 · Activation functions
#
# **The question.** A layer computes $z = xW^\top + b$. Why do we pass $z$ through a nonlinearity $f$ before the
# next layer, and why do modern networks use ReLU or GELU rather than the S-shaped sigmoid of the 1980s?
#
# **The idea.** Without $f$, a stack of layers is one linear map, no matter how deep. With $f$, the network can
# bend. But $f$ also sits on the path of every gradient: where $f'(z)$ is nearly zero (a *saturated* sigmoid, a
# *dead* ReLU) learning stops. So we care about two curves per activation: $f$ and $f'$.
#
# Plan: the sigmoid family, the ReLU family, their derivatives, what a deep stack of layers does to the signal and
# its gradient, dead units, softmax and its numerical stability, a slider demo, and finally the same functions in PyTorch.

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch

import dlcourse.nn as nn
import dlcourse.nn.functional as F
import dlcourse.torch
from dlcourse.data import Standardizer, load_digits
from dlcourse.gradcheck import numerical_gradient
from dlcourse.plots.activations import plot_activations, plot_layer_histograms
from dlcourse.widgets import activation_explorer

rng = np.random.default_rng(0)
dlcourse.torch.seed_everything(0)
device = dlcourse.torch.device()

# %% [markdown]
# ## 1. Without a nonlinearity, depth buys nothing
#
# Two linear layers compose to one: $(xW_1^\top + b_1)W_2^\top + b_2 = x\,(W_2W_1)^\top + (b_1W_2^\top + b_2)$.
# Let us check it with two `Linear` layers and the single layer the formula predicts.

# %%
first, second = nn.Linear(5, 8, rng=rng, dtype=np.float64), nn.Linear(8, 3, rng=rng, dtype=np.float64)
X = rng.standard_normal((4, 5))
W = second.weight.data @ first.weight.data  # (3, 8) @ (8, 5) -> (3, 5)
b = first.bias.data @ second.weight.data.T + second.bias.data  # (3,)
print("two layers vs one:", np.abs(second(first(X)) - (X @ W.T + b)).max())

# %% [markdown]
# ## 2. The sigmoid family
#
# $$\sigma(x) = \frac{1}{1 + e^{-x}} \in (0, 1), \qquad \tanh(x) = \frac{e^x - e^{-x}}{e^x + e^{-x}} = 2\sigma(2x) - 1
# \in (-1, 1).$$
#
# The formula for $\sigma$ looks harmless, but for $x = -1000$ it asks for $e^{1000}$, which does not fit in a
# float64 (the largest is about $1.8 \times 10^{308} \approx e^{709.8}$).

# %%
def sigmoid_naive(x):
    return 1 / (1 + np.exp(-x))


x_big = np.array([-1000.0, -10.0, 0.0, 10.0, 1000.0])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print("naive:", sigmoid_naive(x_big))
print("warnings:", [str(w.message) for w in caught])

# %% [markdown]
# The answer happens to be right (1 / inf = 0), but NumPy warns, and the same overflow in a gradient or a log gives
# `nan`. The fix: never exponentiate a positive number. With $e = e^{-|x|} \in (0, 1]$,
# $$\sigma(x) = \frac{1}{1 + e} \text{ for } x \ge 0, \qquad \sigma(x) = \frac{e}{1 + e} \text{ for } x < 0$$
# (multiply numerator and denominator by $e^{x}$ for the second).

# %%
def sigmoid_stable(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


with warnings.catch_warnings():
    warnings.simplefilter("error")  # any warning would now be an exception
    print("stable:", sigmoid_stable(x_big))
    print("max |ours - dlcourse|:", np.abs(sigmoid_stable(x_big) - nn.Sigmoid()(x_big)).max())
x = np.linspace(-5, 5, 11)
print("max |tanh(x) - (2 sigma(2x) - 1)|:", np.abs(np.tanh(x) - (2 * sigmoid_stable(2 * x) - 1)).max())

# %% [markdown]
# ## 3. The ReLU family
#
# | name | $f(x)$ | used in |
# |---|---|---|
# | ReLU | $\max(x, 0)$ | most CNNs and MLPs |
# | leaky ReLU | $x$ if $x > 0$, else $\alpha x$ (slope $\alpha = 0.01$ by default) | GANs, where dead units hurt |
# | ELU | $x$ if $x > 0$, else $\alpha (e^x - 1)$ | negative outputs pull the mean toward 0; smooth only for $\alpha = 1$ (otherwise its slope jumps from $\alpha$ to 1 at 0) |
# | GELU | $x\,\Phi(x)$, $\Phi$ the standard normal CDF | Transformers (BERT, GPT) |
# | SiLU / Swish | $x\,\sigma(x)$ | EfficientNet, many recent CNNs |
#
# GELU and SiLU are smooth versions of ReLU: they multiply $x$ by a number between 0 and 1 that grows from 0 (very
# negative $x$) to 1 (very positive $x$), a soft version of ReLU's "is $x$ positive?". Each is one line
# of NumPy; the check compares with `dlcourse.nn`, which the rest of the course uses.

# %%
from scipy.special import erf  # NumPy has no vectorised erf


def relu(x):
    return np.maximum(x, 0)


def leaky_relu(x, slope=0.01):
    return np.where(x > 0, x, slope * x)


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))  # expm1(x) = e^x - 1, accurate near 0


def gelu(x):
    return x * 0.5 * (1 + erf(x / np.sqrt(2)))


def silu(x):
    return x * sigmoid_stable(x)


ours = {"sigmoid": sigmoid_stable, "tanh": np.tanh, "ReLU": relu, "leaky ReLU": leaky_relu, "ELU": elu,
        "GELU": gelu, "SiLU": silu}
layers = {"sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "ReLU": nn.ReLU(), "leaky ReLU": nn.LeakyReLU(),
          "ELU": nn.ELU(), "GELU": nn.GELU(), "SiLU": nn.SiLU()}
x = rng.standard_normal(1000) * 3
for name, f in ours.items():
    print(f"{name:>10}: max |ours - dlcourse.nn| = {np.abs(f(x) - layers[name](x)).max():.1e}")

# %% [markdown]
# ## 4. Derivatives
#
# A network is trained by gradient descent (chapter 01), and the gradient of the loss reaches an early layer only by
# passing through every activation after it. By the chain rule, if $a = f(z)$ elementwise and $g = \partial L /
# \partial a$ is the gradient arriving from above, then $\partial L / \partial z = g \odot f'(z)$, where $\odot$
# multiplies elementwise (the *Hadamard product*). So $f'$ decides how much of the gradient gets through:
#
# $$\sigma' = \sigma(1 - \sigma) \le \tfrac14, \quad \tanh' = 1 - \tanh^2 \le 1, \quad
# \mathrm{ReLU}'(x) = [x > 0], \quad \mathrm{ELU}'(x) = \alpha e^x \; (x \le 0),$$
# $$\mathrm{GELU}'(x) = \Phi(x) + x\,\varphi(x), \qquad \mathrm{SiLU}'(x) = \sigma(x)\,\big(1 + x(1 - \sigma(x))\big).$$
#
# Notation and steps: $[x > 0]$ is 1 when the condition holds and 0 otherwise (the *Iverson bracket*; ReLU has no
# derivative at exactly 0, and we use 0 there, as PyTorch does). $\sigma' = \sigma(1 - \sigma)$ follows from
# differentiating $(1 + e^{-x})^{-1}$: $\frac{e^{-x}}{(1 + e^{-x})^2} = \sigma(x) \cdot \frac{e^{-x}}{1 + e^{-x}}
# = \sigma(1 - \sigma)$; it is largest, $\frac12 \cdot \frac12 = \frac14$, where $\sigma = \frac12$, i.e. at $x = 0$.
# GELU and SiLU are products $x \cdot s(x)$, so by the product rule their derivative is $s(x) + x\,s'(x)$, with
# $\Phi' = \varphi$, the standard normal density $\varphi(x) = e^{-x^2/2} / \sqrt{2\pi}$, and $\sigma' = \sigma(1 -
# \sigma)$.
#
# Every `dlcourse.nn` layer has a `backward` method that does exactly this step: after a forward call `layer(z)`
# (which remembers $z$), `layer.backward(g)` returns $\partial L / \partial z$ for the upstream gradient $g$. For an
# elementwise layer that is $g \odot f'(z)$, so `layer.backward(ones)` returns $f'(z)$ itself. (Chapter 04 derives
# backward for every kind of layer.) We write the derivatives down, then check each against central differences
# $\frac{f(x + h) - f(x - h)}{2h}$ and against `layer.backward(ones)`.

# %%
def normal_pdf(x):
    return np.exp(-0.5 * x**2) / np.sqrt(2 * np.pi)


derivatives = {
    "sigmoid": lambda x: sigmoid_stable(x) * (1 - sigmoid_stable(x)),
    "tanh": lambda x: 1 - np.tanh(x) ** 2,
    "ReLU": lambda x: (x > 0).astype(x.dtype),
    "leaky ReLU": lambda x: np.where(x > 0, 1.0, 0.01),
    "ELU": lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0))),
    "GELU": lambda x: 0.5 * (1 + erf(x / np.sqrt(2))) + x * normal_pdf(x),
    "SiLU": lambda x: sigmoid_stable(x) * (1 + x * (1 - sigmoid_stable(x))),
}
x = rng.standard_normal(200) * 3
x = x + np.copysign(0.01, x)  # stay away from the kink at 0, where a central difference straddles two slopes
for name, df in derivatives.items():
    numeric = numerical_gradient(lambda f=ours[name]: f(x).sum(), x)  # d/dx_i of sum_j f(x_j) is f'(x_i)
    from_layer = layers[name].backward(np.ones_like(layers[name](x)))
    print(f"{name:>10}: vs finite differences {np.abs(df(x) - numeric).max():.1e}, "
          f"vs dlcourse backward {np.abs(df(x) - from_layer).max():.1e}")

# %%
plot_activations(layers, x_range=4.0)
plt.show()

# %% [markdown]
# Read the right panel: the sigmoid's derivative never exceeds $1/4$ and tanh's is near 0 beyond $|x| \approx 3$.
# ReLU, leaky ReLU and ELU have $f' = 1$ exactly for every positive input, however large. GELU and SiLU do not:
# their derivative only approaches 1 for large positive inputs, overshoots 1 a little on the way, and dips slightly
# below 0 for negative inputs. The extremes, on a fine grid:

# %%
x_fine = np.linspace(-6, 6, 12001)
for name in ["ReLU", "ELU", "GELU", "SiLU"]:
    slope = derivatives[name](x_fine)
    print(f"{name:>5}: f' ranges over [{slope.min():.3f}, {slope.max():.3f}]; at x = 1: {derivatives[name](np.array(1.0)):.3f}"
          f", at x = 6: {slope[-1]:.3f}")

# %% [markdown]
# ## 5. What a deep stack does to the signal: it collapses
#
# Take a 10-layer network of width 64, push 1,797 standardised digit images through it, and look at each layer's
# outputs. The layers use PyTorch's default initialisation: each weight and bias drawn uniformly from
# $(-1/\sqrt{D}, 1/\sqrt{D})$, $D$ the layer's number of inputs.

# %%
X_digits, y_digits = load_digits()
X_digits = Standardizer().fit_transform(X_digits)  # (1797, 64), mean 0 and std 1 per pixel


def deep_net(activation, depth=10, width=64, kaiming=False, seed=0):
    """depth x (Linear(width) + activation), fresh weights from a fixed seed."""
    net_rng, layers_, d = np.random.default_rng(seed), [], X_digits.shape[1]
    for _ in range(depth):
        linear = nn.Linear(d, width, rng=net_rng, dtype=np.float64)
        if kaiming:  # std sqrt(2 / D), zero bias: the initialisation chapter explains why
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu", rng=net_rng)
            nn.init.zeros_(linear.bias)
        layers_ += [linear, activation()]
        d = width
    return nn.Sequential(*layers_)


def layer_outputs(net, X):
    """The output of every activation layer: a list of (N, width) arrays."""
    outputs = []
    for i, layer in enumerate(net):
        X = layer(X)
        if i % 2 == 1:
            outputs.append(X)
    return outputs


nets = {"sigmoid": deep_net(nn.Sigmoid), "tanh": deep_net(nn.Tanh), "ReLU": deep_net(nn.ReLU),
        "ReLU, Kaiming init": deep_net(nn.ReLU, kaiming=True)}
plot_layer_histograms({name: layer_outputs(nets[name], X_digits) for name in ["sigmoid", "tanh", "ReLU"]})
plt.show()

# %% [markdown]
# The default weights are small, so the *differences between images* shrink layer by layer, and each activation
# shows it in its own way. Note what does *not* happen: the pre-activations stay small, so the sigmoid and tanh units
# sit in the middle of their curves, where they are nearly linear; nothing saturates (saturation needs large weights,
# which the explorer in section 8 shows). Sigmoid: after a few layers each unit outputs nearly the same value for
# every image (each spike is one unit): the network has forgotten its input. Tanh: the range shrinks from $(-1, 1)$
# to a small interval around 0. ReLU: a large share of all outputs is exactly 0.
#
# Now the gradients. We have no loss yet, so we stand in for its gradient with a random array $g$ at the output:
# `net.backward(g)` passes it back through every layer (each applying the rule of section 4) and stores in each
# `Linear` layer's `weight.grad` the gradient with respect to its weights. We print the norm per layer.

# %%
def weight_grad_norms(net, X, seed=1):
    """The norm of every Linear layer's weight gradient, for a random upstream gradient at the output."""
    out = net(X)
    net.zero_grad()
    net.backward(np.random.default_rng(seed).standard_normal(out.shape))
    return np.array([np.linalg.norm(layer.weight.grad) for layer in net if isinstance(layer, nn.Linear)])


for name, net in nets.items():
    norms = weight_grad_norms(net, X_digits)
    print(f"{name:>18}: |dW| layer 1 / layer 10 = {norms[0] / norms[-1]:.1e}   (per layer: "
          + " ".join(f"{v:.0e}" for v in norms) + ")")

# %% [markdown]
# With sigmoid every layer multiplies the backward signal by $\sigma' \le 1/4$ (and by the small weights): the first
# layer receives a gradient many orders of magnitude smaller than the last, so it barely learns. This is the
# *vanishing gradient* that kept deep networks untrainable until ReLU, better initialisations and normalisation.
# Compare the ratios printed for the four networks: the initialisation matters as much as the activation. "Kaiming
# init" draws weights with a larger standard deviation, $\sqrt{2/D}$, and zero biases; chapter 06 derives why that
# scale keeps the signal's size from layer to layer.

# %% [markdown]
# ## 6. Dead ReLUs
#
# A ReLU unit is **dead** when its pre-activation is negative for *every* training input: its output is always 0,
# its derivative is always 0, so no gradient reaches its weights or its bias. In the *first* layer, whose inputs are
# the fixed training data, that is permanent: gradient descent never changes the unit again. A unit in a *later*
# layer is only dead for the current outputs of the layers below it; those layers keep learning, their outputs
# change, and the unit can come back to life. We measure, layer by layer, the fraction of units whose derivative
# $f'(z)$ is 0 on all 1,797 digits (the activation layer's `backward(ones)` gives $f'(z)$ for every sample and unit).

# %%
def dead_fraction(net, X):
    """Per activation layer: the fraction of units with f'(z) = 0 for every sample of X (N, D)."""
    fractions = []
    for i, layer in enumerate(net):
        X = layer(X)
        if i % 2 == 1:
            slope = layer.backward(np.ones_like(X))  # (N, M): f'(z) for each sample and unit
            fractions.append(np.mean(np.all(slope == 0, axis=0)))
    return np.array(fractions)


for label, net in {"ReLU, default init": nets["ReLU"], "ReLU, Kaiming init": nets["ReLU, Kaiming init"],
                   "leaky ReLU, default init": deep_net(nn.LeakyReLU)}.items():
    dead = dead_fraction(net, X_digits)
    print(f"{label:>25}: dead per layer {np.round(dead, 2)}, overall {dead.mean():.0%}")

# %% [markdown]
# With the default initialisation the signal shrinks with depth until the biases dominate, and every unit with a
# negative bias dies. Kaiming's initialisation (std $\sqrt{2/D}$, bias 0) keeps the scale and most units alive.
# A leaky ReLU has no dead units by construction (its slope is never 0), which is why it is a common fix. Large
# learning rates can also kill units during training: one big step can push a bias so negative that the
# pre-activation is below 0 for every input.

# %% [markdown]
# ## 7. Softmax
#
# For a vector of $K$ scores (*logits*) $z$, softmax turns them into a probability distribution:
# $$\mathrm{softmax}(z)_i = \frac{e^{z_i}}{\sum_{j=1}^K e^{z_j}}.$$
# Adding a constant $c$ to every $z_i$ changes nothing (the factor $e^{c}$ cancels). A *temperature* $T$ divides the
# logits first: $T \to 0$ approaches a one-hot vector on the largest logit, $T \to \infty$ the uniform distribution.
#
# The naive formula overflows as soon as one logit exceeds about 709:

# %%
def softmax_naive(z):
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


logits = np.array([1000.0, 999.0, 990.0])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print("naive:", softmax_naive(logits), [str(w.message) for w in caught])

# %% [markdown]
# $\infty / \infty$ is `nan`. Using shift invariance with $c = -\max_j z_j$, every exponent is $\le 0$ and the
# largest term is exactly 1, so nothing overflows and the sum is at least 1:

# %%
def softmax_stable(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


print("stable:  ", softmax_stable(logits))
print("the same logits minus 990, naive:", softmax_naive(logits - 990))
print("max |ours - dlcourse|:", np.abs(softmax_stable(logits) - nn.Softmax(dim=-1)(logits)).max())

# %% [markdown]
# Softmax is not elementwise: every output $y_i = \mathrm{softmax}(z)_i$ depends on every input $z_j$. Its
# *Jacobian*, the $K \times K$ matrix $J_{ij} = \partial y_i / \partial z_j$, follows from the quotient rule with
# $S = \sum_k e^{z_k}$ and $\partial S / \partial z_j = e^{z_j}$:
#
# $$\frac{\partial y_i}{\partial z_j} = \frac{[i = j]\, e^{z_i} S - e^{z_i} e^{z_j}}{S^2} = y_i(\delta_{ij} - y_j),$$
#
# where $\delta_{ij}$ (the *Kronecker delta*) is 1 if $i = j$ and 0 otherwise. As a matrix:
# $J = \mathrm{diag}(y) - yy^\top$. Backward needs $\partial L / \partial z_j = \sum_i g_i\, \partial y_i / \partial z_j
# = (J^\top g)_j$ for the upstream gradient $g = \partial L / \partial y$, and never builds the matrix:
#
# $$(J^\top g)_j = \sum_i g_i\, y_i (\delta_{ij} - y_j) = y_j g_j - y_j \sum_i g_i y_i = y_j\,\big(g_j - \langle g, y
# \rangle\big),$$
#
# with $\langle g, y \rangle = \sum_i g_i y_i$ the inner product; in vector form $y \odot (g - \langle g, y \rangle)$,
# which is what `softmax_backward` computes. Check both against each other:

# %%
z, g = rng.standard_normal(5), rng.standard_normal(5)
y, cache = F.softmax_forward(z)
jacobian = np.diag(y) - np.outer(y, y)  # (K, K)
print("max |J^T g - softmax_backward(g)|:", np.abs(jacobian.T @ g - F.softmax_backward(g, cache)).max())

# %%
z = np.array([2.0, 1.0, 0.5, -0.5, -1.5])
fig, axes = plt.subplots(1, 3, figsize=(11, 2.8), sharey=True, constrained_layout=True)
for ax, temperature in zip(axes, [0.25, 1.0, 4.0]):
    ax.bar(range(len(z)), softmax_stable(z / temperature), color="C1")
    ax.set_title(f"softmax(z / {temperature})")
    ax.set_xticks(range(len(z)), [f"{v:g}" for v in z])
axes[0].set_ylabel("probability")
plt.show()

# %% [markdown]
# ## 8. Explore
#
# Choose an activation; move *x range* to zoom the curves, *leaky slope* and *ELU alpha* to see the negative side
# and its derivative change, *weight scale* to see a layer's outputs saturate (tanh, sigmoid) or just rescale
# (ReLU), and *temperature* to sharpen or flatten a softmax. The histogram's title gives two numbers. First, the
# share of all (sample, unit) outputs whose derivative is below 0.01: those pass (almost) no gradient back *for that
# sample*. For ReLU with zero bias this is about one half at any weight scale, because each unit is off for about
# half of the inputs; that is normal, not death. Second, how many units are blocked on *every* sample of the batch:
# those pass no gradient at all.

# %%
activation_explorer()

# %% [markdown]
# ## 9. The same in PyTorch
#
# `torch.nn` has the same classes under the same names. PyTorch computes derivatives with *autograd*: a tensor
# created with `requires_grad=True` has every operation on it recorded, and `out.backward(g)` then computes, for the
# upstream gradient `g` of `out`'s shape, the same $\partial L / \partial x$ as our `layer.backward(g)` and stores it
# in `x.grad` (chapter 04 builds autograd from scratch). We compare every activation and its gradient with the NumPy
# layers in float64, on `device`.

# %%
torch_layers = {"sigmoid": torch.nn.Sigmoid(), "tanh": torch.nn.Tanh(), "ReLU": torch.nn.ReLU(),
                "leaky ReLU": torch.nn.LeakyReLU(), "ELU": torch.nn.ELU(), "GELU": torch.nn.GELU(),
                "SiLU": torch.nn.SiLU(), "softmax": torch.nn.Softmax(dim=-1)}
np_layers = dict(layers, softmax=nn.Softmax(dim=-1))
x = rng.standard_normal((64, 10)) * 3
g = rng.standard_normal(x.shape)  # an upstream gradient, the same for both
for name, torch_layer in torch_layers.items():
    xt = torch.tensor(x, device=device, requires_grad=True)
    out_t = torch_layer(xt)
    out_t.backward(torch.tensor(g, device=device))
    out = np_layers[name](x)
    dx = np_layers[name].backward(g)
    print(f"{name:>10}: max |output diff| {np.abs(out - dlcourse.torch.to_numpy(out_t)).max():.1e}, "
          f"max |gradient diff| {np.abs(dx - dlcourse.torch.to_numpy(xt.grad)).max():.1e}")

# %% [markdown]
# The printed differences are at the level of float64 rounding: the NumPy layers and PyTorch compute the same
# functions and the same gradients.
#
# ## Self-check
#
# 1. Why is a network of 10 `Linear` layers without activations no more expressive than one `Linear` layer?
# 2. What is the largest value of $\sigma'(x)$, and at which $x$ is it reached? What does that imply for a gradient
#    that passes through 10 sigmoid layers?
# 3. Why does `1 / (1 + np.exp(-x))` warn for $x = -1000$, and how does the stable version avoid it?
# 4. When is a ReLU unit dead? Why can a dead unit of the first layer not come back to life by gradient descent,
#    while a dead unit of a later layer can?
# 5. Why does subtracting $\max_j z_j$ not change the softmax, and why does it prevent overflow?
# 6. What does a temperature $T < 1$ do to a softmax?
#
# ## What to try
#
# In the explorer, set *weight scale* to 3 with tanh, then with ReLU. Tanh's share of blocked outputs grows with the
# scale (saturation); ReLU's stays at about one half, since $\mathrm{ReLU}(cz) = c\,\mathrm{ReLU}(z)$ for $c > 0$.
# The same, driven from code:

# %% tags=["what-to-try"]
explorer = activation_explorer()
for activation_name in ["tanh", "relu"]:
    explorer.controls["activation"].value = activation_name
    for scale in [1.0, 3.0]:
        explorer.controls["weight_scale"].value = scale
        print(f"{activation_name:>5}, weight scale {scale}: |f'| < 0.01 for {explorer.blocked_fraction:.1%} of "
              f"outputs, for {explorer.blocked_units} units on every sample")
plt.close(explorer.figure)

# %% [markdown]
# Rerun the gradient norms with tanh and Kaiming's initialisation, and with GELU:

# %% tags=["what-to-try"]
for name, net in {"tanh, Kaiming init": deep_net(nn.Tanh, kaiming=True), "GELU": deep_net(nn.GELU)}.items():
    norms = weight_grad_norms(net, X_digits)
    print(f"{name:>18}: |dW| layer 1 / layer 10 = {norms[0] / norms[-1]:.1e}")

# %% [markdown]
# Count dead units with `depth=20`, and with ELU instead of ReLU (ELU's slope $e^x$ is never exactly 0):

# %% tags=["what-to-try"]
for label, net in {"ReLU, depth 20": deep_net(nn.ReLU, depth=20), "ELU, depth 10": deep_net(nn.ELU)}.items():
    print(f"{label:>15}: dead per layer {np.round(dead_fraction(net, X_digits), 2)}")

# %% [markdown]
# Find the smallest logit for which `softmax_naive` first returns `nan` in float32 (float32's largest number is about
# $3.4 \times 10^{38} \approx e^{88.7}$):

# %% tags=["what-to-try"]
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the overflow warnings are the point here
    for top in np.arange(85.0, 92.0, 0.5, dtype=np.float32):
        if np.isnan(softmax_naive(np.array([top, 0.0], dtype=np.float32))).any():
            print(f"float32: first nan at logit {top}")
            break
