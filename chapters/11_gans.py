# %% [markdown]
# # 11 · Generative adversarial networks
#
# **The question.** Every network so far learned a function from inputs to labels. Can a network learn to *make*
# data: new points of a distribution, new images of digits, that look as if they came from the training set, when
# nobody can write down the density of "handwritten digits"?
#
# **The idea.** Let two networks play a game. A *generator* $G$ turns random noise $z$ into a sample $G(z)$. A
# *discriminator* $D$ looks at a sample and says how likely it is to be real. $D$ is trained to tell real from
# generated; $G$ is trained to fool $D$. Neither needs a formula for the density: the discriminator *is* the loss of
# the generator, and it is learned (Goodfellow et al., 2014).
#
# Plan: (1) the game; (2) the best discriminator; (3) why the generator's original loss saturates and the
# non-saturating one does not; (4) a GAN in NumPy on a ring of 8 Gaussians, the alternating updates written out;
# (5) the same GAN in PyTorch, following the same trajectory; (6) numbers instead of pictures: modes covered and
# sample quality over several seeds, mode collapse and a remedy; (7) training dynamics and a slider; (8) transposed
# convolutions and a convolutional GAN on digits; (9) a conditional GAN that draws the digit you ask for; (10) the
# Fréchet distance; (11) deepfakes, and a detector for generated images.

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
    grid_centers,
    load_digit_images,
    make_ring_of_gaussians,
    ring_centers,
    sample_mixture,
    train_val_test_split,
)
from dlcourse.gan import (
    discriminator_loss_backward,
    discriminator_loss_forward,
    frechet_distance,
    gaussian_statistics,
    minimax_generator_loss_backward,
    minimax_generator_loss_forward,
    mode_coverage,
    non_saturating_generator_loss_backward,
    non_saturating_generator_loss_forward,
    optimal_discriminator,
    sigmoid,
)
from dlcourse.gradcheck import check_function
from dlcourse.nn.functional import conv2d_backward, conv2d_forward
from dlcourse.plots.images import show_images
from dlcourse.widgets import gan_training_explorer

rng = np.random.default_rng(0)
dlcourse.torch.seed_everything(0)
device = dlcourse.torch.device()
if device.type == "cpu":
    torch.set_num_threads(1)  # small networks: one thread is fastest, and never waits for a busy second core
big = device.type == "cuda"  # on a GPU the image GANs are wider and train longer

# %% [markdown]
# ## 1. The game
#
# Noise $z$ comes from a simple distribution $p_z$ (here a standard normal of dimension $d_z$). The generator
# $G$ maps it to a sample $G(z)$; the distribution of $G(z)$ is the *model distribution* $p_g$. The discriminator
# outputs a logit $s(x)$ and the probability $D(x) = \sigma(s(x))$ that $x$ is real ($\sigma$ is the sigmoid of
# chapter 02). The two play for the value
# $$V(D, G) = \mathbb{E}_{x \sim p_{\text{data}}}\big[\log D(x)\big] + \mathbb{E}_{z \sim p_z}\big[\log\big(1 - D(G(z))\big)\big],
# \qquad \min_G \max_D V(D, G).$$
# $D$ wants $D(x) \to 1$ on real data and $D(G(z)) \to 0$ on fakes; $G$ wants the opposite for its fakes. Maximising
# $V$ over $D$ is minimising the binary cross-entropy of chapter 03 with label 1 for real and 0 for generated
# samples. Written on logits, with $\log\sigma(s) = -\operatorname{softplus}(-s)$ and
# $\log(1-\sigma(s)) = -\operatorname{softplus}(s)$ where $\operatorname{softplus}(s) = \log(1+e^s)$, the
# discriminator's loss over a batch of $N_r$ real and $N_f$ generated samples is
# $$L_D = \frac{1}{N_r}\sum_i \operatorname{softplus}(-s_{r,i}) + \frac{1}{N_f}\sum_j \operatorname{softplus}(s_{f,j}),
# \qquad \frac{\partial L_D}{\partial s_{r,i}} = \frac{\sigma(s_{r,i}) - 1}{N_r}, \quad
# \frac{\partial L_D}{\partial s_{f,j}} = \frac{\sigma(s_{f,j})}{N_f},$$
# using $\operatorname{softplus}'(s) = \sigma(s)$. `dlcourse.gan.discriminator_loss_forward` and `_backward` are
# these two lines; the finite-difference check of chapter 04 agrees:

# %%
def show_code(fn):
    """Print a function of the library without its docstring."""
    head, _, rest = inspect.getsource(fn).partition('"""')
    print(head.rstrip() + "\n" + rest.partition('"""')[2].strip("\n"))


show_code(discriminator_loss_backward)
box = {}


def d_loss_for_check(s_real, s_fake):
    loss, box["cache"] = discriminator_loss_forward(s_real, s_fake)
    return np.array(loss)


errors = check_function(d_loss_for_check, lambda dout: discriminator_loss_backward(float(dout), box["cache"]),
                        [rng.standard_normal(6), rng.standard_normal(4)], rng=rng)
print("relative errors (d real logits, d fake logits):", [f"{e:.1e}" for e in errors])

# %% [markdown]
# ## 2. The best discriminator
#
# Fix the generator, so $p_g$ is fixed. Write both expectations as integrals over $x$:
# $V = \int \big[p_{\text{data}}(x) \log D(x) + p_g(x) \log(1 - D(x))\big]\,dx$. The discriminator can choose
# $D(x)$ separately at every $x$, so it maximises $a \log t + b \log(1 - t)$ over $t \in (0, 1)$ with
# $a = p_{\text{data}}(x)$, $b = p_g(x)$. The derivative $a/t - b/(1-t)$ is zero at $t = a/(a+b)$, and the function is
# concave, so that is the maximum:
# $$D^*(x) = \frac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_g(x)}.$$
# Put it back into $V$. With the average $m = (p_{\text{data}} + p_g)/2$, $D^* = p_{\text{data}}/(2m)$ and
# $1 - D^* = p_g/(2m)$, so
# $$V(D^*, G) = \int p_{\text{data}} \log\frac{p_{\text{data}}}{m} + \int p_g \log\frac{p_g}{m} - 2\log 2
# = -\log 4 + 2\,\mathrm{JSD}(p_{\text{data}} \,\|\, p_g),$$
# where $\mathrm{KL}(p\|q) = \int p \log(p/q)$ is the Kullback-Leibler divergence (zero only when $p = q$) and
# $\mathrm{JSD}(p\|q) = \tfrac12\mathrm{KL}(p\|m) + \tfrac12\mathrm{KL}(q\|m)$ the Jensen-Shannon divergence. So
# against the best discriminator the generator minimises a distance between distributions, and the game's best
# outcome is $p_g = p_{\text{data}}$, where $D^* = 1/2$ everywhere and $V = -\log 4$.
#
# We check both statements in one dimension: data $\mathcal{N}(1, 0.5^2)$, a "generator" $\mathcal{N}(-1, 1)$. First
# the identity, by integrating on a fine grid:

# %%
def normal_pdf(x, mean, sd):
    return np.exp(-0.5 * ((x - mean) / sd) ** 2) / (sd * np.sqrt(2 * np.pi))


grid = np.linspace(-8, 8, 20_001)
dx = grid[1] - grid[0]
p_data, p_g = normal_pdf(grid, 1.0, 0.5), normal_pdf(grid, -1.0, 1.0)
d_star = optimal_discriminator(p_data, p_g)
value = np.sum(p_data * np.log(d_star + 1e-300) + p_g * np.log(1 - d_star + 1e-300)) * dx
m = (p_data + p_g) / 2
jsd = 0.5 * np.sum(p_data * np.log(p_data / m + 1e-300)) * dx + 0.5 * np.sum(p_g * np.log(p_g / m + 1e-300)) * dx
print(f"V(D*, G) = {value:.6f};  -log 4 + 2 JSD = {-np.log(4) + 2 * jsd:.6f}")

# %% [markdown]
# Then a real discriminator, a small MLP from `dlcourse.nn`, trained only on samples of the two distributions with
# $L_D$: it learns a curve close to $D^*$ where there are samples, and nothing meaningful far away where there are
# none.

# %%
def make_mlp(sizes, rng):
    """Linear layers of the given sizes with ReLU between them, float64 (for the exact comparisons below)."""
    layers = []
    for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(d_in, d_out, rng=rng, dtype=np.float64))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


critic = make_mlp([1, 16, 16, 1], rng)
critic_opt = optim.Adam(critic.parameters(), lr=1e-2)
for _ in range(400):
    both = np.concatenate([1.0 + 0.5 * rng.standard_normal((128, 1)), -1.0 + rng.standard_normal((128, 1))])
    logits = critic(both)  # (256, 1): the first 128 real, the rest generated
    loss, cache = discriminator_loss_forward(logits[:128], logits[128:])
    critic_opt.zero_grad()
    critic.backward(np.concatenate(discriminator_loss_backward(1.0, cache)))
    critic_opt.step()
shown = (grid > -3.5) & (grid < 3)
learned = sigmoid(critic(grid[shown][:, None]))[:, 0]
inside = (grid[shown] > -2) & (grid[shown] < 2)  # where both distributions have most of their samples
print(f"loss {loss:.3f}; max |D - D*| on [-2, 2]: {np.abs(learned - d_star[shown])[inside].max():.3f}")
plt.figure(figsize=(7, 3.2))
plt.plot(grid[shown], p_data[shown], "C0", label="p_data")
plt.plot(grid[shown], p_g[shown], "C1", label="p_g")
plt.plot(grid[shown], d_star[shown], "k--", label="D* = p_data / (p_data + p_g)")
plt.plot(grid[shown], learned, "C2", label="trained discriminator")
plt.xlabel("x")
plt.legend(fontsize=8)
plt.title("the best discriminator and a trained one")
plt.show()

# %% [markdown]
# ## 3. Two losses for the generator
#
# The minimax game gives the generator the loss $L_G = \frac{1}{N}\sum_j \log(1 - D(G(z_j)))$, which it minimises.
# Early in training the fakes are poor and the discriminator rejects them confidently: $D(G(z)) \approx 0$. The
# gradient that reaches the generator goes through the logit $s_f$:
# $$\frac{\partial}{\partial s_f}\log(1 - \sigma(s_f)) = -\sigma(s_f) = -D(G(z)),$$
# which is close to 0 exactly when the generator is worst: the loss *saturates*. Goodfellow et al. suggested
# instead to *maximise* $\log D(G(z))$, the *non-saturating* loss $L_G = -\frac{1}{N}\sum_j \log D(G(z_j))$ with
# $$\frac{\partial}{\partial s_f}\big(-\log\sigma(s_f)\big) = \sigma(s_f) - 1 = D(G(z)) - 1,$$
# largest in size (close to $-1$) when the fakes are rejected. Both push $D(G(z))$ up, and both have the same fixed
# point; only the size of the push differs. The plot shows both losses and their gradients per sample (N = 1) from
# `dlcourse.gan`, against $D(G(z))$.

# %%
d_of_fake = np.linspace(0.001, 0.999, 400)
s_f = np.log(d_of_fake / (1 - d_of_fake))  # the logit whose sigmoid is D(G(z))
minimax = [minimax_generator_loss_forward(np.array([s])) for s in s_f]
non_sat = [non_saturating_generator_loss_forward(np.array([s])) for s in s_f]
fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(10, 3.5), layout="constrained")
ax_loss.plot(d_of_fake, [loss for loss, _ in minimax], label="minimax: log(1 - D)")
ax_loss.plot(d_of_fake, [loss for loss, _ in non_sat], label="non-saturating: -log D")
ax_grad.plot(d_of_fake, [minimax_generator_loss_backward(1.0, c)[0] for _, c in minimax], label="minimax: -D")
ax_grad.plot(d_of_fake, [non_saturating_generator_loss_backward(1.0, c)[0] for _, c in non_sat],
             label="non-saturating: D - 1")
ax_loss.set_ylabel("generator loss")
ax_grad.set_ylabel("d loss / d logit s_f")
for ax in (ax_loss, ax_grad):
    ax.set_xlabel("D(G(z)): the discriminator's belief that the fake is real")
    ax.legend(fontsize=8)
plt.show()
for d in (0.01, 0.5, 0.99):
    s = np.array([np.log(d / (1 - d))])
    print(f"D(G(z)) = {d:4}: minimax gradient {minimax_generator_loss_backward(1.0, (s,))[0]:+.3f}, "
          f"non-saturating {non_saturating_generator_loss_backward(1.0, (s,))[0]:+.3f}")

# %% [markdown]
# At $D(G(z)) = 0.01$ the minimax gradient is about a hundredth of the non-saturating one (printed above). From here on the
# generator uses the non-saturating loss, as nearly every GAN does.
#
# ## 4. A GAN in NumPy, on a ring of 8 Gaussians
#
# The data: 8 Gaussians of standard deviation 0.05 evenly spaced on a circle of radius 2
# (`dlcourse.data.make_ring_of_gaussians`). It is a small problem with a sharp test: we know exactly where the 8
# *modes* are, so we can count which ones the generator finds. Fresh real samples are drawn at every step.

# %%
std = 0.05
centers = ring_centers(8, radius=2.0)
X_ring, _ = make_ring_of_gaussians(2500, std=std, rng=rng)  # a fixed real sample, for pictures and scores
plt.figure(figsize=(3.5, 3.5))
plt.scatter(X_ring[:, 0], X_ring[:, 1], s=2, color="0.5")
plt.plot(centers[:, 0], centers[:, 1], "kx")
plt.gca().set_aspect("equal")
plt.title("the data: 8 modes")
plt.show()

# %% [markdown]
# Both players are MLPs from `dlcourse.nn`: the generator maps $d_z = 2$ noise numbers through two hidden layers of
# 32 ReLU units to a point; the discriminator maps a point through the same shape to one logit. Both use Adam
# (chapter 05) with $\beta_1 = 0.5$, the usual choice for GANs: less momentum, because the target (the other
# player) keeps moving. The generator's learning rate is four times the discriminator's: against a slow
# discriminator a fast generator is prone to collapse (the run below shows it), and that lets section 6 show the failure
# and a remedy in a short run. One of the "what to try" cells uses equal rates.
#
# One update has two steps, and the second is the heart of the method:
#
# 1. **Discriminator step.** Generate a batch, run $D$ on real and generated samples together, take $L_D$, backward
#    through $D$, update $D$ only. The generated samples are inputs here: no gradient goes into $G$.
# 2. **Generator step.** Run the (just updated) $D$ on the same generated samples, take the non-saturating $L_G$, and
#    backward *through $D$* to get $\partial L_G / \partial G(z)$, the direction in which each generated point
#    should move to look more real. Backward through $G$ from there, and update $G$ only. $D$'s backward also fills
#    $D$'s `.grad`, but $D$'s optimizer does not step: those gradients are thrown away by the next `zero_grad`.
#
# `pack` is used in section 6 (it is 1 here: the discriminator sees one point at a time).

# %%
latent_dim, hidden, batch_size = 2, 32, 64
lr_G, lr_D = 2e-3, 5e-4
num_steps, snapshot_every = 2000, 100
z_fixed = np.random.default_rng(1).standard_normal((1000, latent_dim))  # the same noise for every snapshot


def draw_batch(rng, n, centers=centers):
    """One step's data: n real points of the mixture and n noise vectors."""
    x_real, _ = sample_mixture(n, centers, std=std, rng=rng)
    return x_real, rng.standard_normal((n, latent_dim))


def gan_step(G, D, opt_G, opt_D, x_real, z, pack=1, generator_loss="non-saturating"):
    """One alternating update on (pack * n, 2) real points and (pack * n, d_z) noise; returns (L_D, L_G)."""
    n = len(x_real) // pack
    fake = G(z)  # (pack * n, 2)
    # 1. the discriminator: real -> 1, generated -> 0, on packs of `pack` points side by side
    logits = D(np.concatenate([x_real, fake]).reshape(2 * n, 2 * pack))  # (2 pack n, 2) -> (2n, 2 pack)
    loss_D, cache = discriminator_loss_forward(logits[:n], logits[n:])
    opt_D.zero_grad()
    D.backward(np.concatenate(discriminator_loss_backward(1.0, cache)))
    opt_D.step()
    # 2. the generator: through the updated discriminator, back to the generated points, then through G
    logits_fake = D(fake.reshape(n, 2 * pack))
    if generator_loss == "non-saturating":
        loss_G, cache = non_saturating_generator_loss_forward(logits_fake)
        dlogits = non_saturating_generator_loss_backward(1.0, cache)
    else:
        loss_G, cache = minimax_generator_loss_forward(logits_fake)
        dlogits = minimax_generator_loss_backward(1.0, cache)
    dfake = D.backward(dlogits)  # (n, 2 pack): how each generated point should move; D's .grad is not used
    opt_G.zero_grad()
    G.backward(dfake.reshape(fake.shape))
    opt_G.step()
    return loss_D, loss_G


# %%
def train_gan(seed, *, pack=1, num_steps=num_steps, lr_G=lr_G, lr_D=lr_D, centers=centers,
              generator_loss="non-saturating"):
    """Train a fresh pair from `seed`; returns the generator, snapshots (S, 1000, 2) and losses (2, num_steps)."""
    rng = np.random.default_rng(seed)
    G = make_mlp([latent_dim, hidden, hidden, 2], rng)
    D = make_mlp([2 * pack, hidden, hidden, 1], rng)
    opt_G = optim.Adam(G.parameters(), lr=lr_G, betas=(0.5, 0.999))
    opt_D = optim.Adam(D.parameters(), lr=lr_D, betas=(0.5, 0.999))
    snapshots, losses = [], []
    for step in range(num_steps):
        if step % snapshot_every == 0:
            snapshots.append(G(z_fixed))
        x_real, z = draw_batch(rng, batch_size * pack, centers)
        losses.append(gan_step(G, D, opt_G, opt_D, x_real, z, pack, generator_loss))
    snapshots.append(G(z_fixed))
    return G, np.stack(snapshots), np.array(losses).T


runs = {}  # (pack, seed) -> (G, snapshots, losses): section 6 reuses this run
runs[1, 0] = train_gan(seed=0)
snapshot_steps = np.arange(0, num_steps + 1, snapshot_every)
print(f"final losses: L_D = {runs[1, 0][2][0, -1]:.3f}, L_G = {runs[1, 0][2][1, -1]:.3f}")

# %% [markdown]
# The generated distribution every 400 steps (orange, over the real data in grey):

# %%
def snapshot_grid(snapshots, every_k, title):
    shown_steps = snapshot_steps[::every_k]
    fig, axes = plt.subplots(1, len(shown_steps), figsize=(1.6 * len(shown_steps), 2.0), layout="constrained")
    for ax, step, points in zip(axes, shown_steps, snapshots[::every_k], strict=True):
        ax.scatter(X_ring[:, 0], X_ring[:, 1], s=1, color="0.8")
        ax.scatter(points[:, 0], points[:, 1], s=1, color="C1")
        ax.set(xlim=(-3, 3), ylim=(-3, 3), xticks=[], yticks=[], title=f"step {step}")
        ax.set_aspect("equal")
    fig.suptitle(title)
    plt.show()


snapshot_grid(runs[1, 0][1], 4, "the plain GAN, seed 0")

# %% [markdown]
# This is **mode collapse**: the generator puts nearly all its samples in one small region, which moves from
# snapshot to snapshot. Each time the discriminator learns to reject the region, the fast generator finds another
# spot that the discriminator currently likes and moves everything there. Nothing in $L_G$ rewards *variety*: every
# generated point is judged on its own, and a single convincing point is as good as eight.
#
# ## 5. The same GAN in PyTorch, on the same trajectory
#
# The torch twin has the same layers; `dlcourse.torch.copy_weights_to_torch` copies the initial weights (both in
# float64), and the same seeded generator produces the same real batches and noise. The discriminator step uses
# `fake.detach()`: the generated points enter as constants, so no gradient reaches $G$. The generator step calls
# `loss_G.backward()`, which goes through $D$ (filling $D$'s `.grad`, which `opt_D.zero_grad()` later clears) into
# $G$; only `opt_G` steps. If our alternating updates are the same as torch's, the two generators stay together.

# %%
bce = torch.nn.functional.binary_cross_entropy_with_logits


def torch_mlp(sizes):
    layers = []
    for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(torch.nn.Linear(d_in, d_out, dtype=torch.float64))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def torch_gan_step(G, D, opt_G, opt_D, x_real, z, pack=1):
    n = len(x_real) // pack
    fake = G(z)
    logits = D(torch.cat([x_real, fake.detach()]).reshape(2 * n, 2 * pack))  # no gradient into G here
    loss_D = bce(logits[:n], torch.ones_like(logits[:n])) + bce(logits[n:], torch.zeros_like(logits[n:]))
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    logits_fake = D(fake.reshape(n, 2 * pack))
    loss_G = bce(logits_fake, torch.ones_like(logits_fake))  # non-saturating: label the fakes "real"
    opt_G.zero_grad()
    loss_G.backward()  # through D into G; D's .grad is filled but D does not step
    opt_G.step()
    return loss_D.item(), loss_G.item()


# %%
init_rng = np.random.default_rng(0)
G_np, D_np = make_mlp([latent_dim, hidden, hidden, 2], init_rng), make_mlp([2, hidden, hidden, 1], init_rng)
G_t, D_t = torch_mlp([latent_dim, hidden, hidden, 2]), torch_mlp([2, hidden, hidden, 1])
dlcourse.torch.copy_weights_to_torch(G_np, G_t)
dlcourse.torch.copy_weights_to_torch(D_np, D_t)
opts_np = [optim.Adam(m.parameters(), lr=lr, betas=(0.5, 0.999)) for m, lr in ((G_np, lr_G), (D_np, lr_D))]
opts_t = [torch.optim.Adam(m.parameters(), lr=lr, betas=(0.5, 0.999)) for m, lr in ((G_t, lr_G), (D_t, lr_D))]
rng_np, rng_t = np.random.default_rng(5), np.random.default_rng(5)  # the same batches for both
z_check = torch.tensor(z_fixed)
for step in range(1, 301):
    losses_np = gan_step(G_np, D_np, *opts_np, *draw_batch(rng_np, batch_size))
    losses_t = torch_gan_step(G_t, D_t, *opts_t, *map(torch.tensor, draw_batch(rng_t, batch_size)))
    if step in (1, 10, 100, 300):
        gap = np.abs(G_np(z_fixed) - G_t(z_check).detach().numpy()).max()
        print(f"step {step:3}: max |G_numpy(z) - G_torch(z)| = {gap:.1e}, "
              f"|L_D difference| = {abs(losses_np[0] - losses_t[0]):.1e}")

# %% [markdown]
# The two trajectories agree to rounding (the gaps printed above stay below $10^{-12}$). Two GANs are a
# *chaotic* system, though: a difference of one rounding error can grow over thousands of steps, so agreement over a
# few hundred steps is the meaningful check, and it is what we print.
#
# ## 6. Numbers, not pictures: modes covered and sample quality
#
# A picture of one run is an anecdote. We score the generator with `dlcourse.gan.mode_coverage` on 2,500 samples:
# a sample is *high quality* when it lies within 3 standard deviations of its nearest mode centre (a real sample
# does so with probability $1 - e^{-9/2} \approx 98.9\%$), and a mode is *covered* when at least 20 high-quality
# samples land on it.

# %%
show_code(mode_coverage)
score_z = np.random.default_rng(2).standard_normal((2500, latent_dim))  # the same noise for every run's score
real_score = mode_coverage(X_ring, centers, std=std)
print(f"real data: {real_score.covered} of 8 modes, {real_score.high_quality:.1%} high quality")

# %% [markdown]
# **A remedy: packing.** Mode collapse happens because the discriminator judges each sample alone, and one
# convincing point passes. PacGAN (Lin et al., 2018) lets the discriminator judge $m$ samples at once: its input is
# $m$ points side by side, all real or all generated. Two real points usually come from different modes; two
# points of a collapsed generator sit next to each other, and a discriminator that sees pairs can tell. The change
# is one number, the width of the discriminator's first layer (`pack=2` in `train_gan`: input $2 \times 2 = 4$).
# We pick it over the alternatives (a gradient penalty, which needs second derivatives our NumPy layers do not
# have; spectral normalisation, which changes every layer; balancing the two learning rates, which avoids rather
# than fixes the problem) because it targets exactly the cause we just saw, and costs almost nothing. One
# difference to be fair about: with `pack=2` the generator makes 128 samples per step instead of 64.
#
# Both versions, the same 4 seeds, the same number of steps:

# %%
seeds = [0, 1, 2, 3]
for pack in (1, 2):
    for seed in seeds:
        if (pack, seed) not in runs:
            runs[pack, seed] = train_gan(seed, pack=pack)
scores = {key: mode_coverage(G(score_z), centers, std=std) for key, (G, _, _) in runs.items()}
for pack, name in ((1, "plain GAN"), (2, "packed (m=2)")):
    covered = [scores[pack, s].covered for s in seeds]
    quality = [scores[pack, s].high_quality for s in seeds]
    print(f"{name:>13}: modes covered {covered}, mean {np.mean(covered):.2f} of 8; "
          f"high quality {np.round(quality, 2).tolist()}, mean {np.mean(quality):.2f}")

# %%
fig, axes = plt.subplots(2, len(seeds), figsize=(2.2 * len(seeds), 4.6), layout="constrained")
for row, pack in enumerate((1, 2)):
    for ax, seed in zip(axes[row], seeds, strict=True):
        points = runs[pack, seed][0](score_z)
        ax.scatter(X_ring[:, 0], X_ring[:, 1], s=1, color="0.8")
        ax.scatter(points[:, 0], points[:, 1], s=1, color="C1" if pack == 1 else "C2")
        ax.set(xlim=(-3, 3), ylim=(-3, 3), xticks=[], yticks=[],
               title=f"{'plain' if pack == 1 else 'packed'}, seed {seed}: {scores[pack, seed].covered} modes")
        ax.set_aspect("equal")
plt.show()

# %% [markdown]
# Packing turns a collapsed generator into one that spreads over the ring and covers most modes, on every seed
# (the printed means). Its samples are not yet sharp: the high-quality share is far below the real data's (printed),
# because 2,000 steps at these learning rates leave the points smeared along the circle between the modes. Collapse
# is a failure of *variety*; quality is a separate axis, and a good evaluation reports both.
#
# ## 7. Training dynamics
#
# The losses of both players, per step, for seed 0 with and without packing. A GAN's losses do not go down to zero
# as a classifier's do: each player's loss is the other's gain. A discriminator that cannot tell at all would have
# $L_D = 2\log 2 \approx 1.386$ and $L_G = \log 2 \approx 0.693$ (dotted lines).

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.3), layout="constrained", sharey=True)
for ax, pack in zip(axes, (1, 2), strict=True):
    loss_D, loss_G = runs[pack, 0][2]
    ax.plot(loss_D, lw=0.5, label="discriminator L_D")
    ax.plot(loss_G, lw=0.5, label="generator L_G")
    ax.axhline(2 * np.log(2), color="C0", ls=":")
    ax.axhline(np.log(2), color="C1", ls=":")
    ax.set(xlabel="step", title=f"{'plain' if pack == 1 else 'packed'}, seed 0")
axes[0].set_ylabel("loss")
axes[0].legend(fontsize=8)
plt.show()
for pack in (1, 2):
    late = runs[pack, 0][2][:, num_steps // 2:]  # the second half of training
    print(f"{'plain' if pack == 1 else 'packed':>6}, steps {num_steps // 2}-{num_steps}: L_D {late[0].mean():.3f} "
          f"(std {late[0].std():.3f}), L_G {late[1].mean():.3f} (std {late[1].std():.3f})")

# %% [markdown]
# In the plain run the losses keep swinging (the larger standard deviations printed above): that is the chase of
# section 4, the discriminator catching up with the collapsed generator and the generator jumping away. In the packed
# run they settle close to $2\log 2$ and $\log 2$, the values of a discriminator that can no longer tell real from
# generated pairs, even though section 6 showed the samples are not yet sharp: a discriminator this small is a
# lenient judge, which is one more reason to measure the samples rather than trust the losses.

# %% [markdown]
# Slide through training (in a running notebook). The title scores each snapshot; the dropdown switches between the
# plain and the packed run of seed 0.

# %%
gan_training_explorer({"plain": runs[1, 0][1], "packed": runs[2, 0][1]}, snapshot_steps, real=X_ring,
                      centers=centers, std=std, losses={"plain": runs[1, 0][2], "packed": runs[2, 0][2]})

# %% [markdown]
# ## 8. Transposed convolutions and a convolutional GAN on digits
#
# A generator for images must go from a small noise vector to a large picture: it needs layers that *upsample*. A
# **transposed convolution** (`nn.ConvTranspose2d`) is exactly the backward pass of a convolution with respect to
# its input (chapter 07, section 6): every input pixel scatters a copy of the kernel, scaled by its value, into the
# output, at `stride` times its position, and the overlaps add. So a stride-2 transposed convolution doubles the
# height and width: $H_{\text{out}} = (H - 1)s - 2p + k$, which is $(4 - 1) \cdot 2 - 2 + 4 = 8$ for a 4×4 input,
# $k = 4$, $s = 2$, $p = 1$. The check: torch's `conv_transpose2d` against the input gradient of our NumPy
# convolution with the same weights.

# %%
x_small = rng.standard_normal((2, 3, 4, 4))
w_t = rng.standard_normal((3, 5, 4, 4))  # ConvTranspose2d weight: (C_in = 3, C_out = 5, k, k)
up = torch.nn.functional.conv_transpose2d(torch.tensor(x_small), torch.tensor(w_t), stride=2, padding=1)
_, conv_cache = conv2d_forward(np.zeros((2, 5, 8, 8)), w_t, None, stride=2, padding=1)  # Conv2d 5 -> 3 channels
dx, _, _ = conv2d_backward(x_small, conv_cache)  # its input gradient, for dout = x_small
print("output shape:", tuple(up.shape), " max |conv_transpose2d - conv2d backward|:", np.abs(up.numpy() - dx).max())

# %% [markdown]
# The data: scikit-learn's 1,797 handwritten digits at their own 8×8 resolution, scaled to $[-1, 1]$ (the generator
# ends with tanh), split 70/15/15 into training, validation and test parts. The GANs train on the training part
# only; the validation part serves the Fréchet distance of section 10 and the test part only the final cell.

# %%
images, labels = load_digit_images(8)  # (N, 1, 8, 8) in [0, 1]
images = 2 * images - 1
X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(
    images, labels, val_size=0.15, test_size=0.15, stratify=labels, rng=np.random.default_rng(0))
print("train / val / test:", X_train.shape, X_val.shape, X_test.shape)

# %% [markdown]
# The DCGAN pattern (Radford et al., 2016): the generator is a linear layer to a 2×2 map with many channels, then
# transposed convolutions that double the size and halve the channels (2×2 → 4×4 → 8×8), batch norm (chapter 06)
# and ReLU between them, tanh at the end. The discriminator mirrors it with stride-2 convolutions and leaky ReLUs
# (chapter 02), no pooling. `n_classes` is for section 9 (0 here: unconditional).

# %%
latent_img = 16
width, image_steps = (64, 3000) if big else (16, 1000)


class Generator(torch.nn.Module):
    def __init__(self, width, n_classes=0):
        super().__init__()
        self.width, self.n_classes = width, n_classes
        self.project = torch.nn.Sequential(torch.nn.Linear(latent_img + n_classes, 2 * width * 2 * 2),
                                           torch.nn.BatchNorm1d(2 * width * 2 * 2), torch.nn.ReLU())
        self.upsample = torch.nn.Sequential(
            torch.nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1),  # (2w, 2, 2) -> (w, 4, 4)
            torch.nn.BatchNorm2d(width), torch.nn.ReLU(),
            torch.nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1), torch.nn.Tanh())  # -> (1, 8, 8)

    def forward(self, z, y=None):
        if self.n_classes:
            z = torch.cat([z, torch.nn.functional.one_hot(y, self.n_classes).to(z.dtype)], dim=1)
        return self.upsample(self.project(z).view(-1, 2 * self.width, 2, 2))  # (N, 8w) -> (N, 2w, 2, 2)


class Discriminator(torch.nn.Module):
    def __init__(self, width, n_classes=0):
        super().__init__()
        self.n_classes = n_classes
        self.net = torch.nn.Sequential(
            torch.nn.Conv2d(1 + n_classes, width, 4, stride=2, padding=1), torch.nn.LeakyReLU(0.2),  # -> (w, 4, 4)
            torch.nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), torch.nn.LeakyReLU(0.2),  # -> (2w, 2, 2)
            torch.nn.Flatten(), torch.nn.Linear(2 * width * 2 * 2, 1))

    def forward(self, x, y=None):
        if self.n_classes:  # the label as n_classes extra image channels: all ones in the label's channel
            planes = torch.nn.functional.one_hot(y, self.n_classes).to(x.dtype)[:, :, None, None]
            x = torch.cat([x, planes.expand(-1, -1, *x.shape[2:])], dim=1)  # (N, 1 + K, 8, 8)
        return self.net(x)[:, 0]


# %% [markdown]
# The training loop is section 4's, in PyTorch, with `fake.detach()` in the discriminator step. Real batches are
# drawn at random from the training images; generated labels (for section 9) uniformly from the 10 digits.

# %%
def train_image_gan(n_classes, seed, num_steps=image_steps, batch=64, lr=2e-3):
    torch.manual_seed(seed)
    batch_rng = np.random.default_rng(seed)
    G, D = Generator(width, n_classes).to(device), Discriminator(width, n_classes).to(device)
    opt_G = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    X, y = torch.tensor(X_train, device=device), torch.tensor(y_train, device=device)
    ones, zeros = torch.ones(batch, device=device), torch.zeros(batch, device=device)
    history = []
    for _ in range(num_steps):
        index = torch.tensor(batch_rng.integers(0, len(X), batch), device=device)
        z = torch.randn(batch, latent_img, device=device)
        y_fake = torch.randint(0, 10, (batch,), device=device)
        fake = G(z, y_fake)
        loss_D = bce(D(X[index], y[index]), ones) + bce(D(fake.detach(), y_fake), zeros)
        opt_D.zero_grad()
        loss_D.backward()
        opt_D.step()
        loss_G = bce(D(fake, y_fake), ones)
        opt_G.zero_grad()
        loss_G.backward()
        opt_G.step()
        history.append((loss_D.item(), loss_G.item()))
    return G.eval(), np.array(history).T  # eval: batch norm uses its running statistics when sampling


# %%
start = time.perf_counter()
G_img, image_losses = train_image_gan(n_classes=0, seed=0)
print(f"{image_steps} steps of width {width} on {device.type} in {time.perf_counter() - start:.1f} s")


# %%
def generate(G, n, labels=None, seed=0):
    """n images (n, 1, 8, 8) in [-1, 1] from the generator, with their own seeded noise."""
    z = torch.randn(n, latent_img, generator=torch.Generator().manual_seed(seed)).to(device)
    with torch.no_grad():
        y = None if labels is None else torch.tensor(labels, device=device)
        return G(z, y).cpu().numpy()


plt.figure(figsize=(6, 2.5))
plt.plot(image_losses[0], lw=0.4, label="L_D")
plt.plot(image_losses[1], lw=0.4, label="L_G")
plt.xlabel("step")
plt.title("DCGAN losses")
plt.legend(fontsize=8)
show_images((generate(G_img, 24, seed=1) + 1) / 2, ncols=12, max_images=24, title="generated digits")
show_images((X_train[:12] + 1) / 2, y_train[:12], ncols=12, max_images=12, title="real digits")
plt.show()

# %% [markdown]
# ## 9. A conditional GAN: ask for a digit
#
# The generator above draws *some* digit; which one depends on $z$ in a way nobody chose. A **conditional GAN**
# (Mirza and Osindero, 2014) gives both players the label $y$: the generator gets $z$ and a one-hot $y$ (section
# 8's `n_classes=10`), and the discriminator sees the image together with the label, as 10 extra channels. Now a
# fake 3 labelled "7" is easy to reject, so the generator must draw the digit it is asked for.

# %%
G_cond, cond_losses = train_image_gan(n_classes=10, seed=0)
asked = np.tile(np.arange(10), 4)  # 0, 1, ..., 9, four times
show_images((generate(G_cond, 40, asked, seed=2) + 1) / 2, asked, ncols=10, max_images=40,
            title="the conditional generator, asked for 0, 1, ..., 9 (columns)")
plt.show()


# %%
def draw_digit(digit, n=10, seed=3):
    """n different drawings of the chosen digit."""
    show_images((generate(G_cond, n, np.full(n, digit), seed=seed) + 1) / 2, ncols=n, max_images=n,
                title=f"asked for a {digit}")
    plt.show()


draw_digit(7)

# %% [markdown]
# ## 10. How good are the images? The Fréchet distance
#
# Mode counting needs known modes; digits have none we can list. The **Fréchet distance** (FID, Heusel et al.,
# 2017) compares real and generated images in the feature space of a trained classifier: fit a Gaussian to each set
# of feature vectors (means $\mu_r, \mu_g$, covariances $\Sigma_r, \Sigma_g$) and take the Fréchet (2-Wasserstein)
# distance between the two Gaussians:
# $$\mathrm{FD} = \lVert \mu_r - \mu_g \rVert^2 + \operatorname{tr}\big(\Sigma_r + \Sigma_g - 2\,(\Sigma_r\Sigma_g)^{1/2}\big).$$
# The first term asks whether the generated features sit where the real ones do, the second whether they spread
# the same way; a collapsed generator has a small $\Sigma_g$ and pays in the second term. $(\Sigma_r\Sigma_g)^{1/2}$
# is a *matrix* square root $R$ with $R R = \Sigma_r \Sigma_g$. In one dimension, with variances $s_r^2, s_g^2$,
# the trace term is $s_r^2 + s_g^2 - 2\sqrt{s_r^2 s_g^2} = (s_r - s_g)^2$, so
# $\mathrm{FD} = (m_r - m_g)^2 + (s_r - s_g)^2$. In $D$ dimensions only the trace of the root is needed: the product
# $\Sigma_r\Sigma_g$ has the same eigenvalues $\lambda_i$ as the symmetric $\Sigma_r^{1/2}\Sigma_g\Sigma_r^{1/2}$
# (they are similar matrices), so the $\lambda_i$ are real and $\geq 0$ and $\operatorname{tr}(\Sigma_r\Sigma_g)^{1/2} =
# \sum_i \sqrt{\lambda_i}$. `dlcourse.gan.frechet_distance` is the formula in NumPy, with the root from
# `scipy.linalg.sqrtm`:

# %%
show_code(frechet_distance)
print("one dimension, N(1, 2^2) vs N(4, 0.5^2):",
      frechet_distance(np.array([1.0]), np.array([[4.0]]), np.array([4.0]), np.array([[0.25]])),
      "= (1 - 4)^2 + (2 - 0.5)^2 =", (1 - 4) ** 2 + (2 - 0.5) ** 2)

# %% [markdown]
# The features: the 64 units of the last hidden layer of a small digits classifier (a CNN as in chapter 07),
# trained on the training images with the validation images to check it.

# %%
classifier = torch.nn.Sequential(
    torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),  # (16, 4, 4)
    torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),  # (32, 2, 2)
    torch.nn.Flatten(), torch.nn.Linear(128, 64), torch.nn.ReLU(),  # the 64 features
    torch.nn.Linear(64, 10))
classifier_history = dlcourse.torch.fit(
    classifier, torch.nn.CrossEntropyLoss(), torch.optim.Adam(classifier.parameters(), lr=3e-3),
    DataLoader((X_train, y_train), batch_size=64, shuffle=True, rng=np.random.default_rng(4)),
    epochs=15, val_loader=DataLoader((X_val, y_val), batch_size=256), metrics=["accuracy"],
    device=device, progress=False)
print(f"digits classifier: validation accuracy {classifier_history['val_accuracy'][-1]:.3f}")
features = classifier[:-1].eval()  # every layer but the last: images -> 64 features


def feature_stats(images):
    return gaussian_statistics(dlcourse.torch.predict(features, images.astype(np.float32)).astype(np.float64))


# %% [markdown]
# A finite sample of real images compared with *another* finite sample of real images does not give 0: means and
# covariances estimated from 270 images carry noise. That value is the floor: 270 training images against the 270
# validation images. The generators' samples are compared with the same validation images, 270 each (27 of every
# digit for the conditional one).

# %%
n_fd = len(X_val)
real_stats = feature_stats(X_val)
floor_images = X_train[np.random.default_rng(5).choice(len(X_train), n_fd, replace=False)]
fd = {"real (train) vs real (val): the floor": frechet_distance(*feature_stats(floor_images), *real_stats),
      "DCGAN vs real": frechet_distance(*feature_stats(generate(G_img, n_fd, seed=6)), *real_stats),
      "conditional GAN vs real": frechet_distance(
          *feature_stats(generate(G_cond, n_fd, np.arange(n_fd) % 10, seed=6)), *real_stats),
      "one real digit repeated (total collapse)": frechet_distance(
          *feature_stats(np.repeat(X_train[:1], n_fd, axis=0) + 0.01 * rng.standard_normal((n_fd, 1, 8, 8))),
          *real_stats)}
for name, value in fd.items():
    print(f"{name:>42}: FD = {value:8.2f}")

# %% [markdown]
# The generators land between the floor and the collapsed extreme. The numbers are only comparable within one
# feature extractor and one sample size: an FD of our 64 digit features is not an FID of Inception features, and
# fewer samples raise the floor.
#
# ## 11. Deepfakes, and telling real from generated
#
# The same machinery that draws a digit draws faces that never existed, puts words in a real person's mouth, and
# clones voices. Generated images have been used for fake identities, fraud, harassment (non-consensual intimate
# images) and disinformation; and the mere possibility lets a real recording be dismissed as fake (the "liar's
# dividend"). Defences come in three kinds: **provenance** (signing media when it is captured or generated, and
# watermarking what a generator outputs), **policy** (consent, disclosure, platform rules, law), and
# **detection**: a classifier trained to tell real from generated images.
#
# Notice what a detector is: a discriminator, trained after the fact. A generator can be trained against a known
# detector exactly as it was trained against $D$, so detection is an arms race, and a detector trained on one
# generator may miss another. We train one for our DCGAN: the classifier's architecture with 1 output, real
# training images (label 1) against as many generated ones (label 0).

# %%
detector = torch.nn.Sequential(
    torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Flatten(), torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))
X_detect = np.concatenate([X_train, generate(G_img, len(X_train), seed=7)]).astype(np.float32)
y_detect = np.concatenate([np.ones(len(X_train)), np.zeros(len(X_train))]).astype(np.float32)[:, None]
detector_history = dlcourse.torch.fit(
    detector, torch.nn.BCEWithLogitsLoss(), torch.optim.Adam(detector.parameters(), lr=3e-3),
    DataLoader((X_detect, y_detect), batch_size=64, shuffle=True, rng=np.random.default_rng(8)),
    epochs=10, device=device, progress=False)
print(f"detector training loss after 10 epochs: {detector_history['loss'][-1]:.3f}")

# %% [markdown]
# **The final report.** The one cell that touches the test images: the digits classifier's test accuracy (for the
# record of the feature extractor), and the detector's accuracy on the 270 test images against 270 newly generated
# ones that it has never seen.

# %%
test_accuracy = (dlcourse.torch.predict(classifier, X_test).argmax(1) == y_test).mean()
fresh_fakes = generate(G_img, len(X_test), seed=9)
detector_scores = dlcourse.torch.predict(detector, np.concatenate([X_test, fresh_fakes]).astype(np.float32))[:, 0]
truth = np.concatenate([np.ones(len(X_test)), np.zeros(len(fresh_fakes))])
detector_accuracy = ((detector_scores > 0) == truth).mean()
print(f"digits classifier, test accuracy: {test_accuracy:.3f}")
print(f"real-vs-generated detector, accuracy on {len(truth)} unseen images: {detector_accuracy:.3f}")

# %% [markdown]
# The detector catches the generated digits far more often than chance (the printed accuracy against 50% for a
# coin). Our small DCGAN leaves traces a classifier can find; better generators leave fewer, which is why
# provenance matters as much as detection.
#
# ## Self-check
#
# 1. Derive $D^*(x)$ for a fixed generator. What is $D^*$ everywhere when $p_g = p_{\text{data}}$, and what is then
#    $V(D^*, G)$?
# 2. In the discriminator step, why do we use `fake.detach()` (or, in NumPy, not call `G.backward`)? In the
#    generator step, which parameters get gradients, and which are updated?
# 3. At $D(G(z)) = 0.01$, what is the gradient of the minimax and of the non-saturating generator loss with respect
#    to the logit? Which one helps a poor generator?
# 4. A generator puts all its samples exactly on one mode centre of the ring. How many modes does it cover, and what
#    is its high-quality share? Why do we need both numbers?
# 5. Why does a discriminator that sees pairs of samples (packing) notice mode collapse when one that sees single
#    samples does not?
# 6. What output size does `ConvTranspose2d(k=4, stride=2, padding=1)` give for a 2×2 input? Which backward pass is
#    it?
# 7. Why is the Fréchet distance of real images against other real images not 0, and why is it the right baseline?
# 8. Why is a real-vs-generated detector "a discriminator trained after the fact", and what does that mean for how
#    long a detector keeps working?
#
# ## What to try
#
# Each cell below is small and runs after the chapter.
#
# Equal learning rates for both players (no fast generator): does the plain GAN still collapse on seed 0? (1,000
# steps; the printed pair is (modes covered, high-quality share).)

# %% tags=["what-to-try"]
G_equal, _, _ = train_gan(seed=0, num_steps=1000, lr_G=1e-3, lr_D=1e-3)
print("equal rates, 1,000 steps:", mode_coverage(G_equal(score_z), centers, std=std)[:2])

# %% [markdown]
# The minimax (saturating) generator loss in the same setting as section 4: how far does the generator get?

# %% tags=["what-to-try"]
G_minimax, _, minimax_losses = train_gan(seed=0, num_steps=1000, generator_loss="minimax")
print("minimax loss, 1,000 steps:", mode_coverage(G_minimax(score_z), centers, std=std)[:2],
      f"last L_D = {minimax_losses[0, -1]:.3f}")

# %% [markdown]
# A harder target: a 5×5 grid of 25 Gaussians (`grid_centers`), with packing. How many steps does it need?

# %% tags=["what-to-try"]
grid_modes = grid_centers(5, spacing=1.0)
G_grid, _, _ = train_gan(seed=0, pack=2, num_steps=1000, centers=grid_modes)
print("grid of 25, packed, 1,000 steps:", mode_coverage(G_grid(score_z), grid_modes, std=std)[:2])

# %% [markdown]
# Walk through the latent space of the conditional generator: the same digit, noise moving in a straight line from
# one $z$ to another. Does the drawing change smoothly?

# %% tags=["what-to-try"]
z_pair = torch.randn(2, latent_img, generator=torch.Generator().manual_seed(10))
z_line = torch.stack([(1 - t) * z_pair[0] + t * z_pair[1] for t in np.linspace(0, 1, 10)]).to(device)
with torch.no_grad():
    walk = G_cond(z_line, torch.full((10,), 4, device=device)).cpu().numpy()
show_images((walk + 1) / 2, ncols=10, max_images=10, title="a 4, from one z to another")
plt.show()

# %% [markdown]
# Not code: train the detector on the DCGAN's images and test it on the *conditional* GAN's. Does it still work?
# Change `pack` to 3, or the ring's `std` to 0.02 (sharper modes): how do the two scores move? The exercise for
# this chapter asks you to write the discriminator loss and its gradient, the non-saturating generator loss through
# a given discriminator, one alternating update, mode counting and the Fréchet distance.
