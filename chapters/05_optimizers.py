# %% [markdown]
# # 05 · Optimizers
#
# **The question.** Backpropagation gives us $\nabla L(w)$, the direction in which the loss grows fastest. How
# should we turn that gradient into a step? How long a step, should it remember earlier steps, should every weight
# get the same step size, and should the step size change during training?
#
# **The idea.** Every optimizer in `torch.optim` is a few lines that map (weights, gradient, a little memory) to new
# weights. We build each one by hand on two-parameter loss surfaces, where we can *see* the path it takes, check it
# against `dlcourse.optim` (which follows PyTorch's update rules exactly), then train a real network with each.
#
# Plan: gradient descent and its learning rate; mini-batches; momentum and Nesterov; Adagrad, RMSprop, Adam and
# AdamW; learning-rate schedules; a race on four surfaces; a slider demo; digits with every optimizer, in NumPy and
# in PyTorch with identical weights.

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import HTML

import dlcourse.nn as nn
import dlcourse.optim as optim
import dlcourse.torch
import dlcourse.training
from dlcourse.data import DataLoader, Standardizer, load_digits, train_val_test_split
from dlcourse.optim import lr_scheduler
from dlcourse.plots import surfaces as surfaces_module
from dlcourse.plots.surfaces import Trajectory, animate_trajectories, make_surface, plot_trajectories, run_optimizer
from dlcourse.training import evaluate, fit
from dlcourse.widgets import learning_rate_explorer

rng = np.random.default_rng(0)
dlcourse.torch.seed_everything(0)
device = dlcourse.torch.device()

# %% [markdown]
# ## 1. Gradient descent and the learning rate
#
# Gradient descent (chapter 01) repeats one line, with a learning rate $\eta$ (`lr`):
# $$w_{t+1} = w_t - \eta\, \nabla L(w_t).$$
#
# To see what $\eta$ does, take a quadratic bowl $L(w) = \tfrac12 w^\top A w$ with a symmetric matrix $A$ (2 x 2
# here). Its gradient is $Aw$: the $k$-th partial derivative of $\tfrac12 \sum_{i,j} w_i A_{ij} w_j$ collects the
# terms with $i = k$ and with $j = k$, $\tfrac12 (\sum_j A_{kj} w_j + \sum_i w_i A_{ik}) = (Aw)_k$ because
# $A_{ik} = A_{ki}$. So one step is $w \leftarrow w - \eta A w = (I - \eta A)\, w$.
#
# An *eigenvector* of $A$ is a direction $u$ that $A$ only stretches, $Au = \lambda u$; the number $\lambda$ is its
# *eigenvalue*. A symmetric $A$ has perpendicular eigenvectors $u_1, u_2$ (take them of length 1), so we can write
# $w = c_1 u_1 + c_2 u_2$,
# and then $(I - \eta A) w = c_1 (1 - \eta\lambda_1) u_1 + c_2 (1 - \eta\lambda_2) u_2$: each step multiplies the
# distance to the minimum along $u_k$ by $1 - \eta\lambda_k$. The loss splits the same way,
# $L(w) = \tfrac12 (\lambda_1 c_1^2 + \lambda_2 c_2^2)$: along $u_k$ it is a parabola with second derivative
# $\lambda_k$, so $\lambda_k$ is the *curvature* in that direction. So the steps
#
# - converge only if $|1 - \eta\lambda| < 1$ for every $\lambda$, i.e. $\eta < 2/\lambda_{\max}$: the *steepest*
#   direction sets the largest usable learning rate;
# - are slowest along the direction whose factor $|1 - \eta\lambda|$ is closest to 1. For small $\eta$ that is the
#   *flattest* direction, shrinking by $1 - \eta\lambda_{\min}$ per step; but as $\eta$ approaches
#   $2/\lambda_{\max}$, the steep direction's factor $1 - \eta\lambda_{\max}$ approaches $-1$: it zig-zags and
#   barely shrinks, and becomes the slow one. The best compromise, $\eta = 2/(\lambda_{\min} + \lambda_{\max})$,
#   makes both factors equal in size, $(\kappa - 1)/(\kappa + 1)$,
#
# where $\kappa = \lambda_{\max}/\lambda_{\min}$ is the *condition number*. For large $\kappa$ that factor is about
# $1 - 2/\kappa$, so the number of steps needed grows in proportion to $\kappa$: an elongated bowl is slow for
# gradient descent whatever $\eta$ we choose.
#
# **The tools of this chapter.** Every experiment runs an optimizer on a two-parameter surface from
# `dlcourse.plots.surfaces`. `make_surface(name)` returns a `Surface`: its function `f`, its gradient `grad`, a start
# point and the minimum. `run_optimizer` is the training loop of chapter 01 with a single two-element parameter; it
# returns a `Trajectory` (every point visited and its loss), stopping early if the run diverges. Here are the
# bowl and the loop, so that nothing is hidden:

# %%
print(inspect.getsource(surfaces_module._bowl_matrix))
print(inspect.getsource(surfaces_module.bowl))
print(inspect.getsource(surfaces_module.bowl_grad))
print(inspect.getsource(Trajectory))
print(inspect.getsource(run_optimizer))

# %% [markdown]
# Our first surface, `bowl`, has curvatures 1 and 20 ($\kappa = 20$) along axes turned by 30°. Gradient descent by
# hand, then the same run with `dlcourse.optim.SGD` through `run_optimizer`:

# %%
bowl = make_surface("bowl")


def gradient_descent(grad, w0, lr, num_steps):
    """Plain gradient descent from w0; returns the (num_steps + 1, 2) path."""
    w = np.array(w0, dtype=np.float64)
    path = [w.copy()]
    for _ in range(num_steps):
        w = w - lr * grad(w)
        path.append(w.copy())
    return np.array(path)


A = np.stack([bowl.grad(e) for e in np.eye(2)])  # the gradient is linear, A w: its columns are A's
curvatures = np.linalg.eigvalsh(A)
kappa = curvatures.max() / curvatures.min()
print("curvatures:", curvatures.round(6), " largest stable lr 2 / lambda_max =", 2 / curvatures.max())
print(f"kappa = {kappa:.1f}; best lr 2 / (lambda_min + lambda_max) = {2 / curvatures.sum():.4f}, "
      f"shrinking both directions by {(kappa - 1) / (kappa + 1):.3f} per step")
by_hand = gradient_descent(bowl.grad, bowl.start, lr=0.05, num_steps=100)
with_sgd = run_optimizer(bowl, optim.SGD, num_steps=100, lr=0.05)
print("max |by hand - dlcourse.optim.SGD|:", np.abs(by_hand - with_sgd.points).max())

# %%
lrs = [0.01, 0.05, 0.095, 0.105]
paths = {f"lr = {lr}": run_optimizer(bowl, optim.SGD, num_steps=100, lr=lr) for lr in lrs}
for label, path in paths.items():
    outcome = f"diverged at step {path.diverged_at}" if path.diverged_at else f"L - L* = {path.losses[-1]:.1e}"
    print(f"{label:>10}: after 100 steps {outcome}")
fig, (ax_path, ax_loss) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
plot_trajectories(bowl, paths, ax_path)
for label, path in paths.items():
    ax_loss.semilogy(path.losses - bowl.f_min, label=label)
ax_loss.set(xlabel="step", ylabel="L(w) - L*", title="loss above the minimum")
ax_loss.legend()
plt.show()

# %% [markdown]
# Small $\eta$ crawls down the long flat direction. Just below $2/\lambda_{\max} = 0.1$ the path zig-zags across
# the steep direction, which now shrinks by only $|1 - 0.095 \cdot 20| = 0.9$ per step, but still converges; just
# above it the zig-zag grows every step until the run leaves the plot (the red cross). A learning rate is "too large" relative to the curvature, which is why no single value works
# for every problem.

# %% [markdown]
# ## 2. Stochastic gradients and mini-batches
#
# A training loss is a mean over $N$ examples, $L(w) = \frac1N\sum_i \ell_i(w)$. The gradient of a random
# *mini-batch* $B$ of size $|B|$ is $g_B = \frac1{|B|}\sum_{i\in B}\nabla\ell_i(w)$ (chapter 01). It is random
# because $B$ is; two numbers describe it:
#
# - its *expectation* $\mathbb{E}[g_B]$, the average of $g_B$ over all the batches we might draw. A single example
#   $i$ drawn uniformly has $\mathbb{E}[\nabla \ell_i] = \frac1N \sum_{i=1}^N \nabla \ell_i = \nabla L$, because
#   every example is equally likely; $g_B$ is a mean of such draws, so $\mathbb{E}[g_B] = \nabla L$ too. An estimate
#   whose expectation is the true value is called *unbiased*: on average the mini-batch points exactly downhill.
# - its *variance* $\mathbb{E}\lVert g_B - \nabla L \rVert^2$, the mean squared distance from the true gradient. If
#   $\sigma^2$ is that of one example, a mean of $|B|$ independent draws has variance $\sigma^2/|B|$ (the squared
#   errors of independent draws add up, and the mean divides by $|B|^2$). Drawn *without* replacement the draws are
#   not quite independent and the variance gains a factor $\frac{N-|B|}{N-1}$, which makes it 0 for the full batch.
#
# Stochastic gradient descent (SGD) steps with $g_B$: far cheaper steps, but noisy ones.
#
# The `least squares` surface is a real one: $L(w) = \frac1{2N}\sum_i (x_i^\top w - y_i)^2$ over $N = 64$ generated
# points with two correlated features. We measure the noise of $g_B$ at one point for several batch sizes.

# %%
lsq = make_surface("least squares")
w = lsq.start
exact = lsq.grad(w)
print(" batch   E|g_B - grad|^2   x |B| / finite-population factor")
for batch_size in [1, 2, 4, 8, 16, 32]:
    errors = [lsq.example_grad(w, rng.choice(64, batch_size, replace=False)) - exact for _ in range(2000)]
    mean_sq = np.mean(np.sum(np.square(errors), axis=1))
    print(f"{batch_size:6d}   {mean_sq:15.4f}   {mean_sq * batch_size / ((64 - batch_size) / 63):10.4f}")

# %% [markdown]
# The last column stays about constant: the squared error of a mini-batch gradient falls as $1/|B|$ (up to the
# sampling noise of this estimate). What the noise does to the path:

# %%
paths = {f"batch {b}": run_optimizer(lsq, optim.SGD, num_steps=150, lr=0.2, batch_size=b,
                                     rng=np.random.default_rng(1)) for b in [1, 8, 64]}
plot_trajectories(lsq, paths, plt.figure(figsize=(5.5, 4.5)).gca())
for label, path in paths.items():
    print(f"{label:>9}: mean L - L* over the last 50 steps = {np.mean(path.losses[-50:] - lsq.f_min):.2e}")

# %% [markdown]
# With a constant learning rate, SGD does not settle at the minimum: it keeps jittering in a region whose size
# grows with $\eta$ and with the gradient noise. Larger batches or a decaying learning rate (section 8) shrink it.

# %% [markdown]
# ## 3. Momentum
#
# On the bowl, gradient descent wastes its steps: across the steep direction they flip sign every step, along the
# flat one they are tiny. *Momentum* keeps a running velocity $b$ (PyTorch's `momentum_buffer`) and steps along it:
# $$b_t = \mu\, b_{t-1} + g_t, \qquad w_{t+1} = w_t - \eta\, b_t \qquad (b_1 = g_1).$$
# Gradients that keep their sign add up (in a steady direction the step approaches $\eta\, g/(1-\mu)$, ten times
# larger for $\mu = 0.9$), gradients that flip sign cancel out.

# %%
def momentum_descent(grad, w0, lr, momentum, num_steps):
    w, velocity = np.array(w0, dtype=np.float64), None
    path = [w.copy()]
    for _ in range(num_steps):
        g = grad(w)
        velocity = g.copy() if velocity is None else momentum * velocity + g
        w = w - lr * velocity
        path.append(w.copy())
    return np.array(path)


by_hand = momentum_descent(bowl.grad, bowl.start, lr=0.01, momentum=0.9, num_steps=100)
with_sgd = run_optimizer(bowl, optim.SGD, num_steps=100, lr=0.01, momentum=0.9)
print("max |by hand - dlcourse.optim.SGD(momentum=0.9)|:", np.abs(by_hand - with_sgd.points).max())


def steps_to(path, surface, threshold=1e-4):
    """The first step at which L - L* drops below threshold (or '>T' if it never does)."""
    below = np.flatnonzero(path.losses - surface.f_min < threshold)
    return str(below[0]) if below.size else f">{len(path.losses) - 1}"


for momentum in [0.0, 0.5, 0.8, 0.9, 0.95]:
    path = run_optimizer(bowl, optim.SGD, num_steps=300, lr=0.01, momentum=momentum)
    print(f"momentum {momentum}: steps to L - L* < 1e-4: {steps_to(path, bowl)}")

# %% [markdown]
# Momentum cuts the number of steps several-fold. More is not always better: with $\mu$ close to 1 the velocity
# carries the path past the minimum and it spirals in, so the best $\mu$ depends on the curvatures (compare the last
# rows above).

# %% [markdown]
# ## 4. Nesterov momentum
#
# Nesterov's variant looks ahead: it takes the velocity step first and corrects it with the gradient there. PyTorch
# writes it without a second gradient evaluation:
# $$b_t = \mu\, b_{t-1} + g_t, \qquad w_{t+1} = w_t - \eta\,(g_t + \mu\, b_t).$$
# The extra $g_t$ reacts to a change of slope one step earlier than plain momentum, which damps the overshoot.
# `dlcourse.optim.sgd_step` is the function that `SGD.step` calls for each parameter; we compare one step of it with
# the formula, then race the two on the bowl.

# %%
g, b = rng.standard_normal(2), rng.standard_normal(2)
w_new, b_new = optim.sgd_step(bowl.start, g, b, lr=0.01, momentum=0.9, nesterov=True)
b_formula = 0.9 * b + g
print("max |formula - sgd_step|:", np.abs(bowl.start - 0.01 * (g + 0.9 * b_formula) - w_new).max())

paths = {label: run_optimizer(bowl, optim.SGD, num_steps=100, lr=0.01, momentum=0.9, nesterov=nesterov)
         for label, nesterov in [("momentum 0.9", False), ("Nesterov 0.9", True)]}
paths["plain SGD"] = run_optimizer(bowl, optim.SGD, num_steps=100, lr=0.01)
plot_trajectories(bowl, paths, plt.figure(figsize=(6, 4)).gca())
for label, path in paths.items():
    print(f"{label:>13}: steps to L - L* < 1e-4: {steps_to(path, bowl)}")

# %% [markdown]
# ## 5. Adagrad: a step size per coordinate
#
# Momentum still uses one $\eta$ for every weight. Adagrad gives each coordinate its own, shrinking it where
# gradients have been large. With $s$ the running sum of squared gradients (elementwise):
# $$s_t = s_{t-1} + g_t^2, \qquad w_{t+1} = w_t - \eta\,\frac{g_t}{\sqrt{s_t} + \epsilon}.$$
# A coordinate with steep gradients gets small steps, a flat one large steps. But $s_t$ only grows, so every step
# size decays like $1/\sqrt t$ even when the gradients stay informative.

# %%
def adagrad_descent(grad, w0, lr, num_steps, eps=1e-10):
    w, state_sum = np.array(w0, dtype=np.float64), np.zeros(2)
    path, step_sizes = [w.copy()], []
    for _ in range(num_steps):
        g = grad(w)
        state_sum = state_sum + g * g
        step_sizes.append(lr / (np.sqrt(state_sum) + eps))  # the per-coordinate learning rate
        w = w - lr * g / (np.sqrt(state_sum) + eps)
        path.append(w.copy())
    return np.array(path), np.array(step_sizes)


rosenbrock = make_surface("rosenbrock")
by_hand, step_sizes = adagrad_descent(rosenbrock.grad, rosenbrock.start, lr=0.5, num_steps=200)
with_adagrad = run_optimizer(rosenbrock, optim.Adagrad, num_steps=200, lr=0.5)
print("max |by hand - dlcourse.optim.Adagrad|:", np.abs(by_hand - with_adagrad.points).max())
for t in [0, 9, 99, 199]:
    print(f"step {t + 1:3d}: effective lr per coordinate {step_sizes[t].round(5)}")

# %% [markdown]
# The first steps, on the steep walls of the valley, fill $s$ with large squared gradients; the effective learning
# rates $\eta/\sqrt{s}$ they leave behind never grow back, even once the path reaches the valley floor where the
# gradients are small and a larger step would help.

# %% [markdown]
# ## 6. RMSprop: forget old gradients
#
# RMSprop replaces Adagrad's sum by an exponential moving average, so the step size follows the *recent* gradient
# scale instead of decaying forever ($\alpha = 0.99$ by default):
# $$v_t = \alpha\, v_{t-1} + (1 - \alpha)\, g_t^2, \qquad w_{t+1} = w_t - \eta\,\frac{g_t}{\sqrt{v_t} + \epsilon}.$$
# One catch: $v$ starts at 0, so the first step is $\eta\, g_1 / \sqrt{(1-\alpha)\, g_1^2} = 10\,\eta$ in every
# coordinate whose gradient is not zero. Watch for that jump in the race below; Adam (next) corrects for it.

# %%
def rmsprop_descent(grad, w0, lr, num_steps, alpha=0.99, eps=1e-8):
    w, square_avg = np.array(w0, dtype=np.float64), np.zeros(2)
    path = [w.copy()]
    for _ in range(num_steps):
        g = grad(w)
        square_avg = alpha * square_avg + (1 - alpha) * g * g
        w = w - lr * g / (np.sqrt(square_avg) + eps)
        path.append(w.copy())
    return np.array(path)


by_hand = rmsprop_descent(rosenbrock.grad, rosenbrock.start, lr=0.01, num_steps=200)
with_rmsprop = run_optimizer(rosenbrock, optim.RMSprop, num_steps=200, lr=0.01)
print("max |by hand - dlcourse.optim.RMSprop|:", np.abs(by_hand - with_rmsprop.points).max())

# %% [markdown]
# ## 7. Adam: momentum and per-coordinate scaling, bias-corrected
#
# Adam keeps both running averages: $m$ of the gradients (momentum) and $v$ of their squares (RMSprop):
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2,$$
# $$\hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad
# w_{t+1} = w_t - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.$$
# Both averages start at 0, so early on they underestimate: after one step $m_1 = (1-\beta_1)\,g_1 = 0.1\,g_1$ and
# $v_1 = (1-\beta_2)\,g_1^2 = 0.001\,g_1^2$. Dividing by $1 - \beta^t$ removes both biases exactly:
# $\hat m_1 = g_1$ and $\hat v_1 = g_1^2$, so the first step is $\eta\, g_1/|g_1| = \pm\eta$ in every coordinate.
# Without the corrections the two underestimates do *not* cancel: the first step would be
# $\eta\, \frac{0.1\, g_1}{\sqrt{0.001}\, |g_1|} = \pm \frac{0.1}{\sqrt{0.001}}\, \eta \approx \pm 3.16\, \eta$, more than
# three times the intended size (because $v$ sits under a square root, its bias is the smaller one). Later, as
# $\beta^t \to 0$, the corrections fade to 1. Defaults: $\eta = 10^{-3}$,
# $\beta = (0.9, 0.999)$, $\epsilon = 10^{-8}$. Note that the step $\eta\,\hat m/\sqrt{\hat v}$ has about the size
# $\eta$ whatever the scale of the gradient: Adam's $\eta$ is a distance in weight space.

# %%
def adam_descent(grad, w0, lr, num_steps, betas=(0.9, 0.999), eps=1e-8):
    w, m, v = np.array(w0, dtype=np.float64), np.zeros(2), np.zeros(2)
    path = [w.copy()]
    for t in range(1, num_steps + 1):
        g = grad(w)
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        m_hat, v_hat = m / (1 - betas[0] ** t), v / (1 - betas[1] ** t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        path.append(w.copy())
    return np.array(path)


by_hand = adam_descent(rosenbrock.grad, rosenbrock.start, lr=0.05, num_steps=200)
with_adam = run_optimizer(rosenbrock, optim.Adam, num_steps=200, lr=0.05)
print("max |by hand - dlcourse.optim.Adam|:", np.abs(by_hand - with_adam.points).max())

# the same 200 steps with torch.optim.Adam: the gradient comes from NumPy, torch only updates
w_torch = torch.tensor(rosenbrock.start, dtype=torch.float64, requires_grad=True)
adam_torch = torch.optim.Adam([w_torch], lr=0.05)
torch_path = [w_torch.detach().numpy().copy()]
for _ in range(200):
    w_torch.grad = torch.tensor(rosenbrock.grad(w_torch.detach().numpy()))
    adam_torch.step()
    torch_path.append(w_torch.detach().numpy().copy())
print("max |torch.optim.Adam - dlcourse.optim.Adam|:", np.abs(np.array(torch_path) - with_adam.points).max())

# the first step with and without the bias corrections, measured in units of lr
g1 = rosenbrock.grad(rosenbrock.start)
m1, v1 = 0.1 * g1, 0.001 * g1**2
print("first step / lr, corrected:  ", (m1 / 0.1) / np.sqrt(v1 / 0.001))
print("first step / lr, uncorrected:", m1 / np.sqrt(v1))

# %% [markdown]
# The hand-written Adam divides $m$ and $v$ by the corrections separately; PyTorch folds them into one step size,
# so the two differ in the last bits only. `dlcourse.optim` uses PyTorch's arrangement and matches it to rounding.

# %% [markdown]
# ## 8. AdamW: weight decay that stays weight decay
#
# *L2 regularisation* adds $\frac\lambda2\|w\|^2$ to the loss, i.e. $\lambda w$ to the gradient. For SGD this is the
# same as shrinking the weights by a factor $1 - \eta\lambda$ each step (*weight decay*). For Adam it is not: the
# term $\lambda w$ goes through the division by $\sqrt{\hat v}$, so weights with large gradients are barely
# decayed. AdamW (Loshchilov and Hutter) *decouples* the decay and applies it directly:
# $$w \leftarrow w\,(1 - \eta\lambda), \quad\text{then the Adam step on the loss gradient alone.}$$
# A demonstration without any loss to speak of: two weights start at 1, and their gradients flip sign every step
# ($+c, -c, +c, \dots$, so they average to zero), with $c = 100$ for the first weight and $c = 0.01$ for the
# second. Only the decay should move them.

# %%
signs = (-1.0) ** np.arange(300)
flipping = signs[:, None] * np.array([100.0, 0.01])  # (steps, 2): gradients that average to zero
for name, make in [("Adam, L2 (weight_decay=0.1)", lambda p: optim.Adam(p, lr=0.01, weight_decay=0.1)),
                   ("AdamW (weight_decay=0.1)", lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.1))]:
    weight = nn.Parameter(np.ones(2))
    opt = make([weight])
    for g in flipping:
        weight.grad = g.copy()
        opt.step()
    print(f"{name:>28}: weights after 300 steps {weight.data.round(3)}")
print(f"{'(1 - lr * wd)^300':>28}: {(1 - 0.01 * 0.1) ** 300:.3f}")

# %% [markdown]
# With L2 inside Adam, the decay term $\lambda w$ is divided by $\sqrt{\hat v}$: next to gradients of size 100 it
# is a hundred times too weak and the first weight hardly shrinks, while for the second weight it *is* the gradient,
# so Adam normalises it to steps of size about $\eta$ and drives the weight to 0. AdamW shrinks both weights alike, by about
# $(1-\eta\lambda)^t$ (the small remainder is Adam's own steps on the flipping gradients, which it normalises to
# the same size for both weights). That is why AdamW, with `weight_decay=1e-2` by default, is the usual
# choice for training Transformers.

# %% [markdown]
# ## 9. Learning-rate schedules
#
# A large $\eta$ early makes fast progress; a small $\eta$ late lets SGD settle (section 2). A *scheduler* changes the
# optimizer's `lr` once per epoch (call `scheduler.step()` after the epoch's `optimizer.step()` calls):
#
# - `StepLR`: $\eta_e = \eta_0\,\gamma^{\lfloor e / s\rfloor}$, a drop by $\gamma$ every $s$ epochs;
# - `ExponentialLR`: $\eta_e = \eta_0\,\gamma^{e}$;
# - `CosineAnnealingLR`: $\eta_e = \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})(1 + \cos(\pi e / T_{\max}))$.
#
# We record 100 epochs of each, in dlcourse and in PyTorch.

# %%
schedules = {"StepLR(step_size=30, gamma=0.3)": ("StepLR", {"step_size": 30, "gamma": 0.3}),
             "ExponentialLR(gamma=0.97)": ("ExponentialLR", {"gamma": 0.97}),
             "CosineAnnealingLR(T_max=100)": ("CosineAnnealingLR", {"T_max": 100})}
fig, ax = plt.subplots(figsize=(7, 3.5))
for label, (name, kwargs) in schedules.items():
    ours = getattr(lr_scheduler, name)(optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1), **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1),
                                                     **kwargs)
    our_lrs, their_lrs = [], []
    for _ in range(100):
        our_lrs.append(ours.get_last_lr()[0])
        their_lrs.append(theirs.get_last_lr()[0])
        theirs.optimizer.step()  # torch expects optimizer.step() before scheduler.step()
        ours.step()
        theirs.step()
    print(f"{label:>32}: max |dlcourse - torch| over 100 epochs = {np.abs(np.subtract(our_lrs, their_lrs)).max()}")
    ax.plot(our_lrs, label=label)
ax.set(xlabel="epoch", ylabel="lr")
ax.legend()
plt.show()

# %% [markdown]
# A decaying learning rate removes SGD's noise floor. Back to mini-batches of 1 on the least-squares surface, stepping
# the scheduler after every step:

# %%
constant = run_optimizer(lsq, optim.SGD, num_steps=300, lr=0.2, batch_size=1, rng=np.random.default_rng(1))
cosine = run_optimizer(lsq, optim.SGD, num_steps=300, lr=0.2, batch_size=1, rng=np.random.default_rng(1),
                       scheduler=lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=300))
for label, path in [("constant lr 0.2", constant), ("cosine from 0.2 to 0", cosine)]:
    print(f"{label:>20}: mean L - L* over the last 50 steps = {np.mean(path.losses[-50:] - lsq.f_min):.2e}")

# %% [markdown]
# ## 10. The race
#
# Every optimizer on every surface, 150 steps each. A fair race gives each optimizer its own learning rate: for each
# pair we try learning rates spaced by $10^{0.25}$ and keep the one with the lowest average $\log_{10}(L - L^*)$ over
# the run (fast progress counts, getting closer than $10^{-6}$ counts as arrived, a diverged run is out). And the grid
# must not decide the race: if the best learning rate sits on the edge of the grid, a value beyond the edge might
# have done better, so we extend the grid on that side and try again, until every winner lies inside. The surfaces:
# the turned bowl, a saddle (a flat point that is not a minimum, between two minima at $(0, \pm1)$), the curved
# valley of Rosenbrock's function, and least squares.

# %%
racers = {
    "SGD": lambda p, lr: optim.SGD(p, lr=lr),
    "momentum": lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9),
    "Nesterov": lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9, nesterov=True),
    "Adagrad": lambda p, lr: optim.Adagrad(p, lr=lr),
    "RMSprop": lambda p, lr: optim.RMSprop(p, lr=lr),
    "Adam": lambda p, lr: optim.Adam(p, lr=lr),
}
LOG_LR_STEP = 0.25  # grid spacing in log10(lr)
MAX_LOG_LR = 2.0  # the grid never goes beyond lr = 100 (no optimizer here needs it)


def score_run(surface, make, log_lr, num_steps=150):
    """(score, Trajectory) for lr = 10**log_lr: mean log10 gap to the minimum; a diverged run scores inf."""
    path = run_optimizer(surface, make, num_steps=num_steps, lr=10.0**log_lr)
    gap = np.maximum(path.losses - surface.f_min, 1e-6)  # closer than 1e-6 counts as arrived
    return (np.inf if path.diverged_at is not None else np.mean(np.log10(gap))), path


def best_run(surface, make, low=-3.5, high=-0.5):
    """(score, lr, Trajectory, grid) of the best lr on a grid from 10**low to 10**high, widened on the side where
    the winner sits on an edge until it sits inside (or the grid reaches 10**MAX_LOG_LR)."""
    scores = {}
    while True:
        for log_lr in np.arange(low, high + 1e-9, LOG_LR_STEP).round(2):
            if log_lr not in scores:
                scores[log_lr] = score_run(surface, make, log_lr)
        best = min(scores, key=lambda k: scores[k][0])
        if best == low:
            low -= 1.0
        elif best == high and high < MAX_LOG_LR:
            high = min(high + 1.0, MAX_LOG_LR)
        else:
            return scores[best][0], 10.0**best, scores[best][1], (low, high)


surfaces = {name: make_surface(name) for name in ["bowl", "saddle", "rosenbrock", "least squares"]}
race, race_results = {}, {}
fig, axes = plt.subplots(2, 2, figsize=(11, 9), layout="constrained")
for ax, (name, surface) in zip(axes.ravel(), surfaces.items()):
    results = {label: best_run(surface, make) for label, make in racers.items()}
    race[name] = {label: path for label, (_, _, path, _) in results.items()}
    race_results[name] = results
    plot_trajectories(surface, {f"{label} (lr {lr:.2g})": path for label, (_, lr, path, _) in results.items()}, ax)
plt.show()

print(f"{'surface':>13} {'optimizer':>9}  score   best lr   grid of lr searched   on an edge?")
for name, results in race_results.items():
    for label, (score, lr, _, (low, high)) in results.items():
        on_edge = np.isclose(np.log10(lr), [low, high]).any()
        print(f"{name:>13} {label:>9}  {score:5.2f}  {lr:8.3g}   1e{low:+.2f} .. 1e{high:+.2f}      "
              f"{'YES' if on_edge else 'no'}")
for name, results in race_results.items():
    ranking = sorted(results, key=lambda label: results[label][0])
    print(f"{name:>13}: winner {ranking[0]} ({results[ranking[0]][0]:.2f}), then {ranking[1]} "
          f"({results[ranking[1]][0]:.2f}); last {ranking[-1]} ({results[ranking[-1]][0]:.2f})")
winners = [min(results, key=lambda label: results[label][0]) for results in race_results.values()]
print("surfaces won:", {label: winners.count(label) for label in racers if label in winners})

# %% [markdown]
# The table gives each optimizer's score (mean $\log_{10}(L - L^*)$, lower is better), the learning rate that won
# it, the grid that was searched, and whether the winner sits on the grid's edge (it should not: then the grid, not
# the optimizer, decided). The last lines name each surface's winner and count the wins. The legends give the same
# learning rates.
#
# What the race found is less dramatic than the usual story. With its own tuned learning rate, RMSprop wins most
# surfaces, and where it does not, it is a hair behind the winner; the adaptive methods (Adagrad, RMSprop) lead
# because they rescale each coordinate and so partly undo the elongation of these bowls and valleys. Momentum with
# $\mu = 0.9$ comes last on several surfaces: 150 steps are few for a velocity that overshoots and curls back
# (section 3 showed that the best $\mu$ depends on the surface, and here $\mu$ was not tuned, only $\eta$). Adam,
# which is RMSprop plus that momentum, inherits some of the same overshoot. On a real network the ranking can be
# different again (section 12): a race says which optimizer suits *these* surfaces and budgets, not which is best.
#
# Read the numbers with the pictures: how momentum overshoots and curls on the bowl, how
# long each method lingers near the saddle point at the origin (the start lies almost on the ridge, where the
# gradient has almost no component toward either minimum) before it rolls down, and how every method slows down on
# the curved floor of Rosenbrock's valley. Each optimizer needed its own learning rate.
#
# The same race as an animation, on Rosenbrock's valley:

# %%
animation = animate_trajectories(surfaces["rosenbrock"], race["rosenbrock"], num_frames=20)
with plt.rc_context({"animation.frame_format": "jpeg"}):  # JPEG frames: a third the size of PNG for this picture
    html = animation.to_jshtml()
HTML(html)

# %% [markdown]
# ## 11. Explore
#
# Pick a surface and an optimizer, then move the learning rate (a log scale), the momentum (Adam's $\beta_1$), the
# batch size (64 is the exact gradient) and the number of steps. Find the largest learning rate that still converges
# on the bowl (section 1 predicts it for SGD without momentum), then see what momentum does to it; switch to
# Rosenbrock and watch the same rate diverge; lower the batch size and watch the end of the path start to jitter.

# %%
learning_rate_explorer()

# %% [markdown]
# ## 12. Training a network with each optimizer
#
# Now a real task: the 1,797 handwritten digits (8×8 pixels), standardised, split 70/15/15 (the test part is used
# once, in the last cell of the chapter), and a network
# `Linear(64, 64) → ReLU → Linear(64, 10)` trained with cross-entropy for 15 epochs in mini-batches of 64. Every
# optimizer starts from the **same initial weights** and sees the **same batches in the same order**, so the
# optimizer is the only difference. Learning rates are common choices for each (SGD needs a much larger one than
# the adaptive methods, whose steps are about $\eta$ in size), not tuned as in the race: this compares typical
# settings, not each optimizer at its best.

# %%
X, y = load_digits()
X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(X, y, val_size=0.15, test_size=0.15,
                                                                      stratify=y, rng=rng)
scaler = Standardizer().fit(X_train)
X_train, X_val, X_test = scaler.transform(X_train), scaler.transform(X_val), scaler.transform(X_test)
print("train / val / test:", X_train.shape, X_val.shape, X_test.shape)

initial = nn.Sequential(nn.Linear(64, 64, rng=rng, dtype=np.float64), nn.ReLU(),
                        nn.Linear(64, 10, rng=rng, dtype=np.float64))
settings = {
    "SGD": ("SGD", {"lr": 0.1}),
    "SGD + momentum": ("SGD", {"lr": 0.05, "momentum": 0.9}),
    "Nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    "Adagrad": ("Adagrad", {"lr": 0.05}),
    "RMSprop": ("RMSprop", {"lr": 1e-3}),
    "Adam": ("Adam", {"lr": 1e-3}),
    "AdamW": ("AdamW", {"lr": 1e-3, "weight_decay": 1e-2}),
}
num_epochs, batch_size = 15, 64


def train_loader():
    """The same shuffled batches for every run: a fresh generator with the same seed."""
    return DataLoader((X_train, y_train), batch_size=batch_size, shuffle=True, rng=np.random.default_rng(1))


val_loader = DataLoader((X_val, y_val), batch_size=256)
test_loader = DataLoader((X_test, y_test), batch_size=256)

# %%
np_histories, np_models = {}, {}
for label, (name, kwargs) in settings.items():
    model = nn.Sequential(nn.Linear(64, 64, dtype=np.float64), nn.ReLU(), nn.Linear(64, 10, dtype=np.float64))
    model.load_state_dict(initial.state_dict())
    optimizer = getattr(optim, name)(model.parameters(), **kwargs)
    np_histories[label] = fit(model, nn.CrossEntropyLoss(), optimizer, train_loader(), epochs=num_epochs,
                              val_loader=val_loader, metrics=["accuracy"], progress=False)
    np_models[label] = model
    print(f"{label:>15}: final train loss {np_histories[label]['loss'][-1]:.4f}, "
          f"val accuracy {np_histories[label]['val_accuracy'][-1]:.3f}")

# %%
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
epochs = np.arange(1, num_epochs + 1)
for label, history in np_histories.items():
    ax_loss.semilogy(epochs, history["loss"], label=label)
    ax_acc.plot(epochs, history["val_accuracy"], label=label)
ax_loss.set(xlabel="epoch", ylabel="training loss", title="training loss (log scale)")
ax_acc.set(xlabel="epoch", ylabel="validation accuracy", title="validation accuracy")
ax_loss.legend(fontsize=8)
plt.show()

# %% [markdown]
# The curves differ mostly in speed, and speed depends on the learning rate as much as on the algorithm: Adam's
# steps are about $\eta$ in size whatever the gradient, so with $\eta = 10^{-3}$ no weight moves by more than about
# $10^{-3}$ per batch (try $10^{-2}$, below). Compare the validation accuracies printed above: on a problem this small,
# the optimizers differ more in how fast they get there than in where they end up. (AdamW's curve lies on Adam's:
# a decay of $\eta\lambda = 10^{-5}$ per step is invisible over a few hundred steps.)

# %% [markdown]
# ## 13. The same in PyTorch, with identical weights
#
# The torch twin gets the NumPy network's initial weights, the same optimizer class and hyperparameters from
# `torch.optim`, and the same batches; `dlcourse.torch.fit` trains it on `device`. A network this small runs fastest
# on one CPU thread (starting threads costs more than the arithmetic). In float64 the two runs should
# follow the same trajectory: we compare every epoch's training loss and the final weights.

# %%
if device.type == "cpu":
    torch.set_num_threads(1)  # a network this small runs fastest on one thread (start-up costs more than the work)
for label, (name, kwargs) in settings.items():
    twin = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10)).double()
    dlcourse.torch.copy_weights_to_torch(initial, twin)
    optimizer = getattr(torch.optim, name)(twin.parameters(), **kwargs)
    history = dlcourse.torch.fit(twin, torch.nn.CrossEntropyLoss(), optimizer, train_loader(), epochs=num_epochs,
                                 device=device, progress=False)
    loss_diff = np.abs(np.subtract(history["loss"], np_histories[label]["loss"])).max()
    ours = np_models[label].state_dict()
    weight_diff = max(np.abs(dlcourse.torch.to_numpy(v) - ours[k]).max() for k, v in twin.state_dict().items())
    print(f"{label:>15}: max |loss diff| {loss_diff:.1e}, max |weight diff| {weight_diff:.1e}")

# %% [markdown]
# The differences are at the level of float64 rounding, after 15 epochs of updates: `dlcourse.optim` and
# `torch.optim` are the same algorithms, step for step. (In float32, or on a GPU, rounding differs a little more,
# and over many steps the two runs drift apart slowly, as two runs of PyTorch on different hardware do.)
#
# ## 14. The final report: test accuracy
#
# Nothing above looked at the test set. Once, at the end, each trained NumPy network is scored on it:

# %%
for label, model in np_models.items():
    test = evaluate(model, test_loader, nn.CrossEntropyLoss(), metrics=["accuracy"])
    print(f"{label:>15}: test accuracy {test['accuracy']:.3f}")

# %% [markdown]
# ## Self-check
#
# 1. On a quadratic with curvatures $\lambda_{\min}$ and $\lambda_{\max}$, what is the largest learning rate for which
#    gradient descent converges, and which curvature then makes it slow?
# 2. What does it mean that a mini-batch gradient is an *unbiased* estimate of the full gradient, why is it, and how
#    does its noise depend on the batch size?
# 3. With momentum $\mu = 0.9$, about how much larger is the step in a direction where the gradient stays the same?
# 4. Why do Adagrad's step sizes keep shrinking, and how does RMSprop avoid it?
# 5. What are Adam's bias corrections for, and how large (in units of $\eta$) would the first step be without them?
# 6. Why is L2 regularisation inside Adam not the same as weight decay, and what does AdamW do instead?
# 7. Why does SGD with a constant learning rate not settle at the minimum, and what does a schedule change?
#
# ## What to try
#
# In section 1, set the bowl's learning rate to exactly $2/\lambda_{\max}$: the steep direction's factor is then
# $1 - 2 = -1$, so that component flips sign forever without shrinking or growing.

# %% tags=["what-to-try"]
edge_path = run_optimizer(bowl, optim.SGD, num_steps=200, lr=2 / curvatures.max())
print("diverged:", edge_path.diverged_at, " L - L* at steps 50, 100, 200:",
      (edge_path.losses[[50, 100, 200]] - bowl.f_min).round(4))

# %% [markdown]
# Add `optim.AdamW` and `optim.RMSprop(..., momentum=0.9)` to the race (here on Rosenbrock's valley only):

# %% tags=["what-to-try"]
extra_racers = {"AdamW": lambda p, lr: optim.AdamW(p, lr=lr),
                "RMSprop+mom": lambda p, lr: optim.RMSprop(p, lr=lr, momentum=0.9)}
for label, make in extra_racers.items():
    score, lr, _, grid = best_run(surfaces["rosenbrock"], make)
    print(f"{label:>12}: score {score:.2f} at lr {lr:.3g} (grid 1e{grid[0]:+.2f} .. 1e{grid[1]:+.2f}); "
          f"Adam scored {race_results['rosenbrock']['Adam'][0]:.2f}")

# %% [markdown]
# Train the digits network with Adam at `lr=1e-2` and `lr=1e-4`, and SGD at `lr=1.0` (5 epochs each): does any of
# them diverge, and which one crawls?

# %% tags=["what-to-try"]
for label, make in [("Adam 1e-2", lambda p: optim.Adam(p, lr=1e-2)), ("Adam 1e-4", lambda p: optim.Adam(p, lr=1e-4)),
                    ("SGD 1.0", lambda p: optim.SGD(p, lr=1.0))]:
    trial = nn.Sequential(nn.Linear(64, 64, dtype=np.float64), nn.ReLU(), nn.Linear(64, 10, dtype=np.float64))
    trial.load_state_dict(initial.state_dict())
    try:
        trial_history = fit(trial, nn.CrossEntropyLoss(), make(trial.parameters()), train_loader(), epochs=5,
                            val_loader=val_loader, metrics=["accuracy"], progress=False)
        print(f"{label:>10}: train loss per epoch {np.round(trial_history['loss'], 3)}, "
              f"val accuracy {trial_history['val_accuracy'][-1]:.3f}")
    except dlcourse.training.TrainingDiverged as error:
        print(f"{label:>10}: diverged at epoch {error.epoch}, batch {error.batch}")

# %% [markdown]
# Add `scheduler=lr_scheduler.CosineAnnealingLR(optimizer, T_max=num_epochs)` to the SGD run of section 12:

# %% tags=["what-to-try"]
trial = nn.Sequential(nn.Linear(64, 64, dtype=np.float64), nn.ReLU(), nn.Linear(64, 10, dtype=np.float64))
trial.load_state_dict(initial.state_dict())
optimizer = optim.SGD(trial.parameters(), lr=0.1)
cosine_history = fit(trial, nn.CrossEntropyLoss(), optimizer, train_loader(), epochs=num_epochs,
                     val_loader=val_loader, metrics=["accuracy"], progress=False,
                     scheduler=lr_scheduler.CosineAnnealingLR(optimizer, T_max=num_epochs))
print(f"SGD, cosine schedule: final train loss {cosine_history['loss'][-1]:.4f} "
      f"(constant lr: {np_histories['SGD']['loss'][-1]:.4f}), val accuracy {cosine_history['val_accuracy'][-1]:.3f}")

# %% [markdown]
# The exercise for this chapter asks you to write the SGD-with-momentum, Adam, RMSprop and AdamW steps and the
# cosine schedule yourself.
