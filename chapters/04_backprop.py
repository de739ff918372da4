# %% [markdown]
# # 04 · Backpropagation and automatic differentiation
#
# **The question.** Training needs the gradient of the loss with respect to every weight, millions of partial
# derivatives, at every step. How can a computer get all of them exactly, in about the time of one forward pass?
#
# **The idea.** Write the computation as a graph of small operations whose derivatives we know. The chain rule says
# how local derivatives combine; running it *backwards*, from the loss to the inputs, reuses every intermediate
# result once, so one backward sweep gives every partial derivative. That is **backpropagation**, and a program
# that records the graph and runs the sweep for us is **reverse-mode automatic differentiation** (autograd): what
# `loss.backward()` does in PyTorch.
#
# Plan: computational graphs; the chain rule; backprop by hand on a tiny network, every number printed; a scalar
# autograd engine built in the open and checked against `dlcourse.autograd.Value`; the array engine
# `dlcourse.autograd.Tensor` and why broadcasting sums gradients; drawing graphs; gradient checking with finite
# differences; both engines against `torch.autograd`; and vanishing gradients in deep sigmoid chains, measured.

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np
import torch

import dlcourse.nn as nn
import dlcourse.torch
from dlcourse import metrics
from dlcourse.autograd import Tensor, Value, cross_entropy, draw_graph, trace, unbroadcast
from dlcourse.data import load_digits
from dlcourse.gradcheck import check_module, numerical_gradient, relative_error

rng = np.random.default_rng(0)
dlcourse.torch.seed_everything(0)
device = dlcourse.torch.device()

# %% [markdown]
# ## 1. Computational graphs
#
# A neuron with two inputs computes $y = \tanh(w_1 x_1 + w_2 x_2 + b)$. As a program that is five small steps, each
# one operation on results of earlier ones:
#
# $$a_1 = w_1 x_1, \quad a_2 = w_2 x_2, \quad s = a_1 + a_2, \quad z = s + b, \quad y = \tanh z.$$
#
# Drawn with one node per value and an arrow from each input of an operation to its result, this is a directed
# acyclic graph: the **computational graph**. `dlcourse.autograd.Value` records it while it computes: every `Value`
# remembers the operation that made it and its inputs.

# %%
x1, x2 = Value(2.0, "x1"), Value(-1.0, "x2")
w1, w2, b = Value(-0.5, "w1"), Value(1.5, "w2"), Value(2.2, "b")
y = (w1 * x1 + w2 * x2 + b).tanh()
print(trace(y))
draw_graph(y, show_grad=False)
plt.show()

# %% [markdown]
# The columns are a **topological order**: every node comes after all of its inputs. Evaluating in that order is the
# forward pass. Backpropagation walks the same order in reverse.
#
# ## 2. The chain rule
#
# If $y = f(z)$ and $z = g(x)$, then $\frac{dy}{dx} = \frac{dy}{dz} \frac{dz}{dx}$. In a graph a variable can reach
# the output along several paths; the **multivariate chain rule** adds the contributions of all of them:
#
# $$\frac{\partial L}{\partial v} = \sum_{u \,:\, v \to u} \frac{\partial L}{\partial u}\,
# \frac{\partial u}{\partial v},$$
#
# summing over the nodes $u$ that use $v$ directly. $\frac{\partial u}{\partial v}$ is a **local derivative**: it
# depends only on the one operation that made $u$. The table every autograd engine is built from:
#
# | operation $u$ | $\partial u / \partial a$ | $\partial u / \partial b$ |
# |---|---|---|
# | $a + b$ | $1$ | $1$ |
# | $a - b$ | $1$ | $-1$ |
# | $a \cdot b$ | $b$ | $a$ |
# | $a / b$ | $1/b$ | $-a/b^2$ |
# | $a^p$ ($p$ constant) | $p\,a^{p-1}$ | |
# | $e^a$ | $e^a = u$ | |
# | $\log a$ | $1/a$ | |
# | $\tanh a$ | $1 - \tanh^2 a = 1 - u^2$ | |
# | $\sigma(a) = 1/(1+e^{-a})$ | $\sigma(a)(1 - \sigma(a)) = u(1-u)$ | |
# | $\max(a, 0)$ | $1$ if $a > 0$, else $0$ | |
#
# Write $\bar v = \partial L / \partial v$ (the **adjoint** or gradient of $v$; in code `v.grad`). Backpropagation:
#
# 1. forward pass: compute every node in topological order, keeping the values;
# 2. set $\bar L = 1$;
# 3. visit the nodes in *reverse* topological order; at node $u$, add $\bar u \cdot \partial u / \partial v$ to
#    $\bar v$ for each input $v$.
#
# When a node's turn comes, every node that uses it has already been visited, so its $\bar u$ is complete. Each
# operation is visited once, so the backward pass costs a small constant times the forward pass, however many
# weights there are. (Going forwards instead, *forward-mode* differentiation, would need one pass per input.)
#
# ## 3. Backprop by hand on a tiny network
#
# Two inputs, two sigmoid hidden units, one linear output, squared error; weights in PyTorch's (out, in) layout:
#
# $$z = W_1 x + b_1, \qquad h = \sigma(z), \qquad \hat y = w_2^\top h + b_2, \qquad L = (\hat y - y)^2.$$
#
# The forward pass, every intermediate printed:

# %%
x = np.array([1.0, -2.0])
W1, b1 = np.array([[0.5, -0.3], [0.8, 0.2]]), np.array([0.1, -0.1])  # (H, D) = (2, 2), (H,)
w2, b2 = np.array([1.5, -1.0]), 0.2  # (H,), scalar
y_true = 1.0


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


z = W1 @ x + b1
h = sigmoid(z)
y_hat = w2 @ h + b2
L = (y_hat - y_true) ** 2
print(f"z     = W1 x + b1   = {z}")
print(f"h     = sigmoid(z)  = {h}")
print(f"y_hat = w2 . h + b2 = {y_hat:.6f}")
print(f"L     = (y_hat - y)^2 = {L:.6f}")

# %% [markdown]
# Backwards, one local derivative at a time, from $\bar L = 1$:
#
# - $\overline{\hat y} = \bar L \cdot 2(\hat y - y)$
# - $\bar b_2 = \overline{\hat y}$ and $\bar w_2 = \overline{\hat y}\, h$ (because $\partial \hat y / \partial w_{2,j} = h_j$)
# - $\bar h = \overline{\hat y}\, w_2$ (because $\partial \hat y / \partial h_j = w_{2,j}$)
# - $\bar z = \bar h \odot \sigma(z)(1 - \sigma(z)) = \bar h \odot h \odot (1 - h)$ (elementwise)
# - $\bar b_1 = \bar z$ and $\bar W_1 = \bar z\, x^\top$ (because $\partial z_i / \partial W_{1,ij} = x_j$: an outer product)
# - $\bar x = W_1^\top \bar z$ (not needed for training, but the same rule)

# %%
dy_hat = 2 * (y_hat - y_true)
db2, dw2 = dy_hat, dy_hat * h
dh = dy_hat * w2
dz = dh * h * (1 - h)
db1, dW1 = dz, np.outer(dz, x)  # (H,), (H, D)
dx = W1.T @ dz
for name, value in [("dy_hat", dy_hat), ("db2", db2), ("dw2", dw2), ("dh", dh), ("dz", dz), ("db1", db1),
                    ("dW1", dW1), ("dx", dx)]:
    print(f"{name:>6} = {np.array2string(np.asarray(value), precision=6)}")

# %% [markdown]
# The same network with `Value`s: write only the forward pass, call `backward()`, read the `.grad`s.

# %%
def tiny_network(params, x, y):
    """params: dict of the 9 weights as Values; x: two input Values; y: the target Value. Returns the loss."""
    z = [params[f"W1_{i}0"] * x[0] + params[f"W1_{i}1"] * x[1] + params[f"b1_{i}"] for i in range(2)]
    h = [zi.sigmoid() for zi in z]
    y_hat = params["w2_0"] * h[0] + params["w2_1"] * h[1] + params["b2"]
    return (y_hat - y) ** 2


numbers = {"W1_00": W1[0, 0], "W1_01": W1[0, 1], "W1_10": W1[1, 0], "W1_11": W1[1, 1], "b1_0": b1[0], "b1_1": b1[1],
           "w2_0": w2[0], "w2_1": w2[1], "b2": b2}
params = {name: Value(v, name) for name, v in numbers.items()}
loss = tiny_network(params, [Value(x[0], "x_0"), Value(x[1], "x_1")], Value(y_true, "y"))
loss.backward()
by_hand = {"W1_00": dW1[0, 0], "W1_01": dW1[0, 1], "W1_10": dW1[1, 0], "W1_11": dW1[1, 1], "b1_0": db1[0],
           "b1_1": db1[1], "w2_0": dw2[0], "w2_1": dw2[1], "b2": db2}
print(f"loss: by hand {L:.12f}, Value {loss.data:.12f}")
print("max |by hand - Value| over all 9 gradients:", max(abs(by_hand[n] - params[n].grad) for n in params))

# %% [markdown]
# The whole graph, now with its gradients (blue: leaves, i.e. the weights, the inputs and the target; orange:
# computed nodes). The inputs' gradients are the $\bar x$ computed by hand above. Follow one arrow backwards and
# check one multiplication by a local derivative yourself.

# %%
draw_graph(loss)
plt.show()

# %% [markdown]
# ## 4. A scalar autograd engine, built in the open
#
# Each node needs its number (`data`), its gradient (`grad`, starting at 0), its inputs, and a small function that
# pushes its gradient to its inputs using the local derivatives. The operation that creates the node writes that
# function, because only it knows the derivative. Step 1: addition and multiplication.

# %%
class MiniValue:
    def __init__(self, data, inputs=()):
        self.data, self.grad, self.inputs = data, 0.0, inputs
        self.push_grad = lambda: None  # a leaf has nobody to pass gradient to

    def __add__(self, other):
        out = MiniValue(self.data + other.data, (self, other))

        def push_grad():  # d(a+b)/da = d(a+b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out.push_grad = push_grad
        return out

    def __mul__(self, other):
        out = MiniValue(self.data * other.data, (self, other))

        def push_grad():  # d(ab)/da = b, d(ab)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out.push_grad = push_grad
        return out


# %% [markdown]
# Step 2: a function of one input, tanh. Its local derivative $1 - \tanh^2$ reuses the output, so nothing needs to
# be recomputed. (Attaching a method after the class is written is unusual Python, but lets us grow the class cell by
# cell.)

# %%
def mini_tanh(self):
    out = MiniValue(float(np.tanh(self.data)), (self,))

    def push_grad():
        self.grad += (1 - out.data**2) * out.grad

    out.push_grad = push_grad
    return out


MiniValue.tanh = mini_tanh

# %% [markdown]
# Step 3: `backward`. A depth-first search lists every node after its inputs (a topological order); then we seed
# $\bar L = 1$ and call each node's `push_grad` in reverse order.

# %%
def mini_backward(self):
    order, seen = [], set()

    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for child in node.inputs:
                visit(child)
            order.append(node)  # after all of its inputs

    visit(self)
    self.grad = 1.0
    for node in reversed(order):
        node.push_grad()


MiniValue.backward = mini_backward

# %% [markdown]
# Why `+=` and never `=`: a value used twice receives gradient along two paths, and the multivariate chain rule
# adds them. For $f = x \cdot x + x$, $f'(x) = 2x + 1$:

# %%
xm = MiniValue(3.0)
f = xm * xm + xm
f.backward()
print("MiniValue: df/dx at x = 3 is", xm.grad, "(2x + 1 =", 2 * 3.0 + 1, ")")

# %% [markdown]
# Our neuron from section 1 with `MiniValue`, with `dlcourse.autograd.Value`, and with PyTorch:

# %%
def neuron(w1, x1, w2, x2, b):
    return (w1 * x1 + w2 * x2 + b).tanh()


inputs = [-0.5, 2.0, 1.5, -1.0, 2.2]  # w1, x1, w2, x2, b
mini = [MiniValue(v) for v in inputs]
neuron(*mini).backward()
ours = [Value(v) for v in inputs]
neuron(*ours).backward()
theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True, device=device) for v in inputs]
neuron(*theirs).backward()
print("MiniValue grads:", np.round([v.grad for v in mini], 10))
print("Value grads:    ", np.round([v.grad for v in ours], 10))
print("torch grads:    ", np.round([t.grad.item() for t in theirs], 10))
print("max |MiniValue - Value| =", max(abs(m.grad - v.grad) for m, v in zip(mini, ours)))
print("max |Value - torch|     =", max(abs(v.grad - t.grad.item()) for v, t in zip(ours, theirs)))

# %% [markdown]
# `dlcourse.autograd.Value` is the same idea with the rest of the table (`-`, `/`, `**`, `exp`, `log`, `sigmoid`,
# `relu`), an iterative topological sort (a deep graph would exceed Python's recursion limit), and a rule of its own
# for repeated `backward` calls: leaves (values not computed from others, such as weights) accumulate over calls,
# while intermediate nodes start from 0 on every call. PyTorch also accumulates into leaves, but it keeps no
# gradient for intermediate tensors unless asked (`retain_grad()`), and by default refuses a second `backward`
# through the same graph, because it frees the graph's saved values after the first. One of `Value`'s operations:

# %%
print(inspect.getsource(Value.sigmoid))

# %% [markdown]
# It is a real, if slow, engine: a 2-4-1 tanh network learns XOR with nothing but `Value`s and full-batch gradient
# descent (chapter 01), $\theta \leftarrow \theta - \eta\, \bar\theta$ with $\eta = 0.2$.

# %%
X_xor, y_xor = [[0, 0], [0, 1], [1, 0], [1, 1]], [-1.0, 1.0, 1.0, -1.0]
weights = [Value(v) for v in rng.normal(0, 1, 4 * 2 + 4 + 4 + 1)]  # W (4, 2), b (4,), v (4,), c


def xor_net(weights, x):
    W, bias, v, c = weights[:8], weights[8:12], weights[12:16], weights[16]
    hidden = [(W[2 * j] * x[0] + W[2 * j + 1] * x[1] + bias[j]).tanh() for j in range(4)]
    return sum((v[j] * hidden[j] for j in range(4)), c).tanh()


xor_losses = []
for _ in range(200):
    xor_loss = sum(((xor_net(weights, x) - t) ** 2 for x, t in zip(X_xor, y_xor)), Value(0.0)) * 0.25
    for w in weights:
        w.grad = 0.0  # leaves accumulate: clear them before each backward
    xor_loss.backward()
    for w in weights:
        w.data -= 0.2 * w.grad
    xor_losses.append(xor_loss.data)
print(f"loss {xor_losses[0]:.4f} -> {xor_losses[-1]:.4f}")
print("outputs:", [round(xor_net(weights, x).data, 3) for x in X_xor], "targets:", y_xor)

# %% [markdown]
# ## 5. The array engine and broadcasting
#
# A network on a batch does the same with arrays. `dlcourse.autograd.Tensor` keeps one NumPy array per node, and
# each operation's backward works on whole arrays. The local-derivative table carries over elementwise; two rules
# are new.
#
# **Matrix product.** For $Y = AB$ with $A$ (N, D), $B$ (D, M) and upstream gradient $\bar Y$ (N, M):
#
# $$\bar A = \bar Y B^\top \;\; (N, D), \qquad \bar B = A^\top \bar Y \;\; (D, M).$$
#
# (Check the shapes: this is the only way to combine $\bar Y$ with the other factor and get the right shape.)
#
# **Broadcasting sums.** In $Y = X + b$ with $X$ (N, D) and $b$ (D,), NumPy uses each $b_j$ in all $N$ rows. By
# the multivariate chain rule its gradient is the sum over its copies:
#
# $$\bar b_j = \sum_{n=1}^{N} \bar Y_{nj}.$$
#
# In general, a gradient flowing into a broadcast input is summed over the axes that broadcasting added (leading
# axes) or stretched (axes of size 1). `unbroadcast` does exactly that:

# %%
grad = np.arange(12.0).reshape(3, 4)  # pretend upstream gradient of a (3, 4) result
print("grad:\n", grad)
print("for an input of shape (4,):  ", unbroadcast(grad, (4,)))
print("for an input of shape (3, 1):", unbroadcast(grad, (3, 1)).ravel())
print("for a scalar input:          ", unbroadcast(grad, ()))

# %% [markdown]
# An outer sum $(3, 1) + (1, 4) \to (3, 4)$: each input's gradient is the row or column sums of the upstream
# gradient, the same as PyTorch computes.

# %%
col, row = rng.standard_normal((3, 1)), rng.standard_normal((1, 4))
upstream = rng.standard_normal((3, 4))
a, c = Tensor(col, requires_grad=True), Tensor(row, requires_grad=True)
(a + c).backward(upstream)
at, ct = torch.tensor(col, requires_grad=True), torch.tensor(row, requires_grad=True)
(at + ct).backward(torch.tensor(upstream))
print("grad of the (3, 1) input:", a.grad.ravel(), "  torch:", at.grad.numpy().ravel())
print("grad of the (1, 4) input:", c.grad.ravel(), "  torch:", ct.grad.numpy().ravel())

# %% [markdown]
# ### A digit classifier three ways
#
# A two-layer network on the 8x8 digits, $\text{logits} = \mathrm{relu}(X W_1^\top + b_1) W_2^\top + b_2$, with
# the mean cross-entropy loss. We compute its gradients (1) with the `Tensor` engine, writing only the forward
# pass; (2) with `dlcourse.nn`, whose layers have hand-written `backward` methods; (3) with PyTorch's autograd on
# `device`. Same weights everywhere, float64.

# %%
X_digits, y_digits = load_digits()  # (1797, 64) in [0, 1], (1797,)
D, H, K = 64, 32, 10
model = nn.Sequential(nn.Linear(D, H, rng=rng, dtype=np.float64), nn.ReLU(), nn.Linear(H, K, rng=rng, dtype=np.float64))
torch_model = torch.nn.Sequential(torch.nn.Linear(D, H), torch.nn.ReLU(), torch.nn.Linear(H, K)).double()
dlcourse.torch.copy_weights_to_torch(model, torch_model)
torch_model.to(device)
names = [name for name, _ in model.named_parameters()]  # 0.weight, 0.bias, 2.weight, 2.bias


def tensor_logits(params, X, activation="relu"):
    """params: the four Tensors in named_parameters order; X: (N, D). Returns the (N, K) logits Tensor."""
    W1, b1, W2, b2 = params
    hidden = getattr(X @ W1.T + b1, activation)()  # (N, D) -> (N, H); activation "relu", "tanh" or "sigmoid"
    return hidden @ W2.T + b2  # (N, H) -> (N, K)


def tensor_forward(params, X, y, activation="relu"):
    """The scalar mean cross-entropy Tensor of the network on (X, y)."""
    return cross_entropy(tensor_logits(params, X, activation), y)


params = [Tensor(p.data.copy(), requires_grad=True, label=name) for name, p in model.named_parameters()]
loss_tensor = tensor_forward(params, X_digits, y_digits)
loss_tensor.backward()

loss_fn = nn.CrossEntropyLoss()
loss_nn = loss_fn(model(X_digits), y_digits)
model.zero_grad()
model.backward(loss_fn.backward())

loss_torch = torch.nn.functional.cross_entropy(torch_model(torch.from_numpy(X_digits).to(device)),
                                               torch.from_numpy(y_digits).to(device))
torch_model.zero_grad()
loss_torch.backward()
torch_grads = {name: dlcourse.torch.to_numpy(p.grad) for name, p in torch_model.named_parameters()}

print(f"loss: Tensor {loss_tensor.item():.12f}, dlcourse.nn {float(loss_nn):.12f}, torch {loss_torch.item():.12f}")
for p, (name, layer_param) in zip(params, model.named_parameters()):
    print(f"{name:>9}: rel. error Tensor vs nn {relative_error(p.grad, layer_param.grad):.1e}, "
          f"Tensor vs torch {relative_error(p.grad, torch_grads[name]):.1e}")

# %% [markdown]
# Training with the `Tensor` engine is then the usual loop of chapter 01. In PyTorch the update must be made inside
# `torch.no_grad()` (chapter 01), or autograd would record it; here we simply replace `.data`, which the graph does
# not see. Full-batch gradient descent (every step uses all 1,797 images), side by side with PyTorch from the same
# start:

# %%
lr, num_epochs = 0.5, 100
torch_opt = torch.optim.SGD(torch_model.parameters(), lr=lr)
X_torch, y_torch = torch.from_numpy(X_digits).to(device), torch.from_numpy(y_digits).to(device)
losses_tensor, losses_torch = [], []
for _ in range(num_epochs):
    loss = tensor_forward(params, X_digits, y_digits)
    for p in params:
        p.zero_grad()
    loss.backward()
    for p in params:
        p.data = p.data - lr * p.grad
    losses_tensor.append(loss.item())

    loss_t = torch.nn.functional.cross_entropy(torch_model(X_torch), y_torch)
    torch_opt.zero_grad()
    loss_t.backward()
    torch_opt.step()
    losses_torch.append(loss_t.item())

logits = tensor_logits(params, X_digits).data  # the trained network's (N, K) logits, from the same forward code
print(f"loss {losses_tensor[0]:.4f} -> {losses_tensor[-1]:.4f} after {num_epochs} steps; "
      f"training accuracy {metrics.accuracy(y_digits, logits.argmax(1)):.3f}")
print(f"max |loss Tensor - loss torch| over all steps: {np.abs(np.subtract(losses_tensor, losses_torch)).max():.1e}")
fig, ax = plt.subplots(figsize=(6, 3.2), constrained_layout=True)
ax.semilogy(losses_tensor, label="Tensor engine")
ax.semilogy(losses_torch, "--", label="PyTorch")
ax.set(xlabel="step (full batch)", ylabel="training loss", title="the digit network, trained two ways")
ax.legend()
plt.show()

# %% [markdown]
# ## 6. Drawing the graph
#
# The digit network's graph is small: the forward pass is a handful of array operations. `draw_graph` lays it out
# left to right in topological order; each box shows the operation, the shape and the gradient's norm
# (`trace` gives the same as text).

# %%
loss = tensor_forward(params, X_digits[:8], y_digits[:8])
loss.backward()
print(trace(loss))
draw_graph(loss)
plt.show()

# %% [markdown]
# ## 7. Gradient checking
#
# An autograd engine can be wrong in ways that still train (a missing factor 2, a wrong sign on a small term).
# The independent check is a finite difference: for each weight $\theta_i$,
#
# $$\frac{\partial L}{\partial \theta_i} \approx \frac{L(\theta + \epsilon e_i) - L(\theta - \epsilon e_i)}{2\epsilon}.$$
#
# The central difference has truncation error $O(\epsilon^2)$ and rounding error about $10^{-16}/\epsilon$ in
# float64, so $\epsilon \approx 10^{-6}$ balances them. We compare with the norm-wise relative error
# $\lVert g - \tilde g \rVert / (\lVert g \rVert + \lVert \tilde g \rVert)$; per-element ratios blow up where a
# gradient is near 0.
#
# What counts as a pass? With $\epsilon = 10^{-6}$ in float64, a correct backward of a smooth function agrees to
# about $10^{-8}$ or better (the numbers printed below). A relative error above $10^{-3}$ is a bug, almost surely; one
# between about $10^{-6}$ and $10^{-3}$ deserves a look: either a small bug, or a *kink* (ReLU at 0, tied maxima)
# that the two evaluation points $\theta \pm \epsilon e_i$ straddle, so that the difference quotient mixes two slopes.
# (Stanford's cs231n notes give thresholds of the same kind.) Note that with float32 the rounding error is
# $10^{-7}/\epsilon$, so gradient checks are done in float64. `dlcourse.gradcheck` does both: first the `Tensor`
# engine on a small batch:

# %%
X_small, y_small = X_digits[:20], y_digits[:20]
arrays = [p.data.copy() for p in params]
check_params = [Tensor(a, requires_grad=True) for a in arrays]  # share memory with `arrays`
tensor_forward(check_params, X_small, y_small).backward()
for name, array, p in zip(names, arrays, check_params):
    numeric = numerical_gradient(lambda: tensor_forward(check_params, X_small, y_small).item(), array)
    print(f"{name:>9}: relative error autograd vs finite differences {relative_error(p.grad, numeric):.1e}")

# %% [markdown]
# and then `check_module` on the `dlcourse.nn` model's hand-written backward (input and every parameter):

# %%
errors = check_module(model, X_small, rng=rng)
print({name: f"{err:.1e}" for name, err in errors.items()})

# %% [markdown]
# The choice of $\epsilon$, measured: the error against the gradient $\bar W_1$ that we backpropagated by hand in
# section 3 (`dW1`), for $\epsilon$ from $10^{-1}$ to $10^{-12}$.

# %%
def tiny_loss_of_W1(W):
    h = sigmoid(W @ x + b1)
    return (w2 @ h + b2 - y_true) ** 2


W = W1.copy()
epsilons = 10.0 ** -np.arange(1, 13)
eps_errors = [relative_error(dW1, numerical_gradient(lambda: tiny_loss_of_W1(W), W, eps=eps)) for eps in epsilons]
best = epsilons[int(np.argmin(eps_errors))]
fig, ax = plt.subplots(figsize=(6, 3.5), constrained_layout=True)
ax.loglog(epsilons, eps_errors, "o-")
ax.set_xlabel(r"$\epsilon$")
ax.set_ylabel("relative error vs backprop")
ax.set_title(f"central differences in float64 (best at eps = {best:.0e})")
ax.invert_xaxis()
plt.show()

# %% [markdown]
# Left of the minimum the $\epsilon^2$ truncation error dominates (slope 2 on the log-log plot); right of it
# rounding takes over and grows like $1/\epsilon$.
#
# ## 8. Both engines against `torch.autograd`
#
# The test suite (`tests/autograd/`) compares every operation of both engines with PyTorch in float64, including
# randomly generated expression graphs. A sample of that here: a random expression in five scalars with every
# scalar operation, and a broadcasting expression with every array operation.

# %%
def scalar_expression(a, b, c, d, e):
    t = (a * b + c / (d * d + 1)).tanh() - (e.sigmoid() * a).relu() + (b * b + 1).log() * c.exp()
    return t**3 / 2 - (d - e) ** 2 + t * a


def array_expression(X, W, bias, v, picks):
    """X (N, D), W (D, M), bias (M,), v (N, 1), picks (N,) class indices. Written once for both engines, except
    for the one line where their names differ (log_softmax and max against torch.log_softmax and amax)."""
    Z = (X @ W + bias).tanh()  # (N, D) @ (D, M) + (M,) -> (N, M)
    scores = Z * v - (Z * Z).mean(axis=0, keepdims=True) + Z.exp() / (1 + bias * bias)  # (N, M)
    if isinstance(X, Tensor):
        log_p, top = scores.log_softmax(axis=1), scores.max(axis=1)
    else:
        log_p, top, picks = torch.log_softmax(scores, dim=1), scores.amax(dim=1), torch.from_numpy(picks)
    picked = log_p[np.arange(len(picks)), picks]  # (N,): log-probability of each row's class
    return -picked.mean() + top.sum() * 0.1 + scores.T.reshape(-1).sigmoid().sum() * 0.01


worst_value, worst_tensor = 0.0, 0.0
for _ in range(20):
    numbers5 = rng.uniform(-2, 2, 5)
    vs = [Value(v) for v in numbers5]
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in numbers5]
    scalar_expression(*vs).backward()
    scalar_expression(*ts).backward()
    worst_value = max(worst_value, relative_error(np.array([v.grad for v in vs]), np.array([t.grad.item() for t in ts])))

    arrays4 = [rng.standard_normal(s) for s in [(6, 4), (4, 3), (3,), (6, 1)]]
    picks = rng.integers(0, 3, 6)
    tensors = [Tensor(a, requires_grad=True) for a in arrays4]
    torch_tensors = [torch.tensor(a, requires_grad=True) for a in arrays4]
    array_expression(*tensors, picks).backward()
    array_expression(*torch_tensors, picks).backward()
    for t, tt in zip(tensors, torch_tensors):
        worst_tensor = max(worst_tensor, relative_error(t.grad, tt.grad.numpy()))
print(f"Value  vs torch.autograd, worst relative error over 20 random points: {worst_value:.1e}")
print(f"Tensor vs torch.autograd, worst relative error over 20 random points: {worst_tensor:.1e}")

# %% [markdown]
# ## 9. Vanishing gradients, measured
#
# Backprop multiplies local derivatives along a path. Through a chain of $n$ sigmoids,
# $a_\ell = \sigma(a_{\ell-1})$ for $\ell = 1, \dots, n$ (we write the depth $n$, because $L$ is the loss), the chain
# rule gives
#
# $$\frac{d a_n}{d a_0} = \prod_{\ell=1}^{n} \sigma'(a_{\ell-1}), \qquad \sigma'(z) = \sigma(z)(1-\sigma(z)) \le \tfrac14,$$
#
# so the gradient shrinks at least like $4^{-n}$. For tanh the factor $1 - \tanh^2$ is at most 1, and for ReLU it
# is exactly 1 on positive inputs. What the product actually does, measured with `Value` for chains of depth 1 to
# 30 (starting from $a_0 = 0.5$):

# %%
depths = np.arange(1, 31)
activations = {"sigmoid": Value.sigmoid, "tanh": Value.tanh, "ReLU": Value.relu}
chain_grads = {}
for name, act in activations.items():
    grads = []
    for depth in depths:
        a0 = Value(0.5)
        out = a0
        for _ in range(depth):
            out = act(out)
        out.backward()
        grads.append(a0.grad)
    chain_grads[name] = np.array(grads)
    print(f"{name:>7}: d a_n / d a_0 at n = 1, 10, 30: {grads[0]:.2e}, {grads[9]:.2e}, {grads[29]:.2e}")

# %% [markdown]
# A real network also multiplies by weight matrices: $\bar h_{\ell-1} = W_\ell^\top (\bar h_\ell \odot f'(z_\ell))$.
# We build 30-layer networks of width 64 with each activation. Each weight is drawn from a normal distribution with
# standard deviation $\text{gain}/\sqrt{64}$: $1/\sqrt{64}$ would keep the size of the signal through a linear layer
# (chapter 06 derives this), and the *gain* is a factor per activation that makes up for how much the activation
# itself shrinks the signal (PyTorch's recommended values, from `nn.init.calculate_gain`: 1 for sigmoid, 5/3 for
# tanh, $\sqrt 2$ for ReLU, which zeroes half of its inputs). We push a batch of 256 random inputs through,
# backpropagate a random output gradient with the `Tensor` engine, and measure $\lVert \bar W_\ell \rVert$ for every
# layer $\ell$. Then PyTorch does the same for the same weights, as a check.

# %%
width, depth, batch = 64, 30, 256
X_deep = rng.standard_normal((batch, width))
G_deep = rng.standard_normal((batch, width))  # upstream gradient of the last layer's output
deep_weights = {name: [rng.normal(0, nn.init.calculate_gain(gain_name) / np.sqrt(width), (width, width))
                       for _ in range(depth)]
                for name, gain_name in [("sigmoid", "sigmoid"), ("tanh", "tanh"), ("ReLU", "relu")]}


def layer_grad_norms(weights, act):
    """Per-layer ||dW|| of h_l = act(h_{l-1} W_l^T), with the Tensor engine and with torch (same weights)."""
    Ws = [Tensor(W, requires_grad=True) for W in weights]
    h = Tensor(X_deep)
    for W in Ws:
        h = act(h @ W.T)  # (N, width) @ (width, width)
    (h * G_deep).sum().backward()
    Wt = [torch.tensor(W, requires_grad=True, device=device) for W in weights]
    ht = torch.from_numpy(X_deep).to(device)
    for W in Wt:
        ht = act(ht @ W.T)
    (ht * torch.from_numpy(G_deep).to(device)).sum().backward()
    return np.array([np.linalg.norm(W.grad) for W in Ws]), np.array([W.grad.norm().item() for W in Wt])


layer_norms = {}
for name, act in [("sigmoid", lambda t: t.sigmoid()), ("tanh", lambda t: t.tanh()), ("ReLU", lambda t: t.relu())]:
    ours_norms, torch_norms = layer_grad_norms(deep_weights[name], act)
    layer_norms[name] = ours_norms
    print(f"{name:>7}: ||dW|| layer 1 = {ours_norms[0]:.1e}, layer 30 = {ours_norms[-1]:.1e}, "
          f"ratio {ours_norms[0] / ours_norms[-1]:.1e}; Tensor vs torch rel. error "
          f"{relative_error(ours_norms, torch_norms):.1e}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4), constrained_layout=True)
for name in activations:
    axes[0].semilogy(depths, np.abs(chain_grads[name]), "o-", ms=3, label=name)
    axes[1].semilogy(np.arange(1, depth + 1), layer_norms[name], "o-", ms=3, label=name)
axes[0].set(xlabel="depth n of the scalar chain", ylabel=r"$|d a_n / d a_0|$", title="a chain of scalar activations")
axes[1].set(xlabel="layer (1 = next to the input)", ylabel=r"$\|\partial L / \partial W_\ell\|$",
            title=f"{depth} layers of width {width}")
for ax in axes:
    ax.legend()
plt.show()

# %% [markdown]
# Read the printed numbers and the plots. The sigmoid chain loses a factor of at least 4 per layer, so after 30
# layers the first layer's gradient is many orders of magnitude below the last layer's, and gradient descent barely
# moves the early layers. Tanh's slope approaches 1 as the activations shrink towards 0, so its scalar chain decays
# only slowly; in the wide network its gain of 5/3 keeps the layer norms within the printed ratio of each other
# (here it slightly over-compensates: the norms grow towards the input). ReLU passes gradient unchanged where it is
# active, and with the $\sqrt 2$ gain its layer norms stay within a small factor of each other. This is why deep
# networks use ReLU-like activations, careful initialisation (chapter 06) and, later, normalisation and residual
# connections.
#
# ## Self-check
#
# 1. Draw the computational graph of $L = (\sigma(wx + b) - y)^2$ and write the local derivative on every edge.
# 2. Why must gradients be *added* (`+=`) into a node's `.grad`? Give a two-node example where `=` gives a wrong
#    answer.
# 3. Why does backpropagation visit nodes in reverse topological order? What would go wrong in another order?
# 4. For $Y = AB$ with $A$ (N, D) and $B$ (D, M), what are the shapes and formulas of $\bar A$ and $\bar B$?
# 5. $b$ of shape (D,) is added to every row of $X$ (N, D). What is $\bar b$, and which function in
#    `dlcourse.autograd` computes it for any broadcast?
# 6. Why is the tanh and sigmoid backward written in terms of the output ($1-u^2$, $u(1-u)$) rather than the input?
# 7. Central differences: why is $\epsilon = 10^{-6}$ a good choice in float64, and why is a norm-wise relative
#    error used rather than the largest per-element ratio? Which relative error counts as a pass, and which as a
#    certain bug?
# 8. In a chain of 30 sigmoids, at most how large can $|d a_{30}/d a_0|$ be? What did the measurement give?
#
# ## What to try
#
# Replace `+=` by `=` in `MiniValue.__mul__` and rerun the $x \cdot x + x$ cell: which answer do you get, and why?
# (Below, a copy of the class with the broken multiplication, so that `MiniValue` itself stays correct.)

# %% tags=["what-to-try"]
class BrokenValue(MiniValue):
    def __mul__(self, other):
        out = BrokenValue(self.data * other.data, (self, other))

        def push_grad():  # "=" instead of "+=": the second path overwrites the first
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad

        out.push_grad = push_grad
        return out


xb_ = BrokenValue(3.0)
(xb_ * xb_ + xb_).backward()
print("with '=': df/dx =", xb_.grad, "instead of 7: the + added 1, then x*x overwrote it with one factor x = 3")

# %% [markdown]
# Add `exp` and `log` to `MiniValue` and check them against `Value` on $\log(1 + e^{x})$. (`MiniValue` only knows
# `MiniValue + MiniValue`, so the 1 must be a `MiniValue` too: `1 + v` would need a `__radd__` method.)

# %% tags=["what-to-try"]
def mini_exp(self):
    out = MiniValue(float(np.exp(self.data)), (self,))

    def push_grad():  # d e^a / da = e^a, the output itself
        self.grad += out.data * out.grad

    out.push_grad = push_grad
    return out


def mini_log(self):
    out = MiniValue(float(np.log(self.data)), (self,))

    def push_grad():  # d log a / da = 1 / a
        self.grad += out.grad / self.data

    out.push_grad = push_grad
    return out


MiniValue.exp, MiniValue.log = mini_exp, mini_log
x_mini, x_value = MiniValue(0.7), Value(0.7)
(MiniValue(1.0) + x_mini.exp()).log().backward()
(1 + x_value.exp()).log().backward()
print("MiniValue:", x_mini.grad, " Value:", x_value.grad, " sigmoid(0.7):", 1 / (1 + np.exp(-0.7)))

# %% [markdown]
# In the digit classifier, replace `relu` by `sigmoid` in the hidden layer and compare the loss curves (30
# full-batch steps each, from the same start):

# %% tags=["what-to-try"]
fig, ax = plt.subplots(figsize=(6, 3.2), constrained_layout=True)
for activation in ["relu", "sigmoid"]:
    trial = [Tensor(p.data.copy(), requires_grad=True) for p in model.parameters()]  # the untrained weights
    trial_losses = []
    for _ in range(30):
        loss = tensor_forward(trial, X_digits, y_digits, activation)
        for p in trial:
            p.zero_grad()
        loss.backward()
        for p in trial:
            p.data = p.data - lr * p.grad
        trial_losses.append(loss.item())
    ax.plot(trial_losses, label=activation)
    print(f"{activation}: loss {trial_losses[0]:.3f} -> {trial_losses[-1]:.3f}")
ax.set(xlabel="step", ylabel="training loss")
ax.legend()
plt.show()

# %% [markdown]
# In section 9, initialise every network with gain 1 instead: how do the tanh and ReLU ratios change? Then try
# sigmoid with gain 4 (its slope at 0 is 1/4).

# %% tags=["what-to-try"]
for name, act, gain in [("tanh", lambda t: t.tanh(), 1.0), ("ReLU", lambda t: t.relu(), 1.0),
                        ("sigmoid", lambda t: t.sigmoid(), 4.0)]:
    weights = [np.random.default_rng(layer).normal(0, gain / np.sqrt(width), (width, width)) for layer in range(depth)]
    norms, _ = layer_grad_norms(weights, act)
    print(f"{name:>7}, gain {gain}: ||dW|| layer 1 / layer 30 = {norms[0] / norms[-1]:.1e}")

# %% [markdown]
# Check `Tensor.max` with `numerical_gradient` on an input with two equal maxima: what does the central difference
# see, and what does the engine return?

# %% tags=["what-to-try"]
tied = np.array([1.0, 3.0, 3.0, 2.0])
tied_tensor = Tensor(tied.copy(), requires_grad=True)
tied_tensor.max().backward()
print("engine:            ", tied_tensor.grad, "(the tied maxima share the gradient, as torch.amax)")
print("central difference:", numerical_gradient(lambda: tied.max(), tied))

# %% [markdown]
# Exercise 04 (`exercises/04_backprop`) asks you to write the backward of `mul`, `tanh`, `exp` and `matmul` with
# broadcasting, and to backpropagate through a tiny network by hand.
