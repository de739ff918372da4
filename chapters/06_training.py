# %% [markdown]
# # 06 · Training deep networks: initialisation, normalisation, regularisation, tuning
#
# **The question.** We can now build a network, compute its gradients and step with a good optimizer. Yet a deeper
# network often refuses to learn at all, a bigger one learns the training set by heart and fails on new data, and
# every run depends on a dozen settings. What decides whether training works, and what can we do about it?
#
# **The idea.** Most of it is about *scale*. Signals must keep a sensible size on the way forward and gradients on
# the way back (initialisation, normalisation); inputs should arrive in a sensible range (preprocessing); the
# weights should not grow to fit noise (regularisation); and the settings we cannot derive we search for, on data
# the model never trains on (tuning).
#
# Plan: (1) initialisation, measured through 50 layers, and gradient clipping; (2) preprocessing: standardisation,
# one-hot labels, padded sequences, augmented images; (3) batch and layer normalisation, built by hand and raced;
# (4) overfitting, then L2, dropout and early stopping; (5) grid versus random search; (6) the best model, in NumPy
# and in PyTorch.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

import dlcourse.nn as nn
import dlcourse.optim as optim
import dlcourse.torch
from dlcourse.data import DataLoader, Standardizer, load_digits, one_hot, train_val_test_split
from dlcourse.data.augment import add_noise, random_flip, random_shift, shift_images
from dlcourse.data.sequences import pad_sequences, padding_mask
from dlcourse.nn.functional import dropout_forward
from dlcourse.training import EarlyStopping, TrainingDiverged, evaluate, fit, predict

rng = np.random.default_rng(0)
dlcourse.torch.seed_everything(0)
device = dlcourse.torch.device()
torch.set_num_threads(1)  # tiny tensors: one CPU thread is faster, and its sums always add up in the same order

# %% [markdown]
# The data for the whole chapter: the 1,797 handwritten digits (8×8 grey levels in $[0, 1]$), split once into
# training, validation and test parts (70/15/15, every digit in the same proportion in each). The test part is
# touched only in section 6.

# %%
images, labels = load_digits(as_images=True, dtype=np.float32)  # (N, 8, 8) in [0, 1], (N,)
img_train, img_val, img_test, y_train, y_val, y_test = train_val_test_split(
    images, labels, val_size=0.15, test_size=0.15, stratify=labels, rng=rng)
raw_train, raw_val, raw_test = (a.reshape(len(a), 64) for a in (img_train, img_val, img_test))  # (N, 8, 8) -> (N, 64)
print("train / val / test images:", img_train.shape, img_val.shape, img_test.shape)

# %% [markdown]
# ## 1. Initialisation
#
# Take one linear layer $z = W x$ with $D$ inputs (the *fan-in*), weights drawn independently with mean 0 and
# variance $\operatorname{Var}(w)$, and inputs with mean 0 and variance $\operatorname{Var}(x)$. Each output is a
# sum of $D$ independent products, so
# $$\operatorname{Var}(z) = D \operatorname{Var}(w) \operatorname{Var}(x).$$
# Through $L$ layers this factor $D\operatorname{Var}(w)$ is applied $L$ times: slightly above 1 and the signal
# explodes, slightly below and it vanishes. The backward pass multiplies gradients by $W^\top$, with the factor
# $D_{\text{out}}\operatorname{Var}(w)$. Two classic answers:
#
# - **Xavier/Glorot** (for tanh, which is linear near 0): keep both directions balanced on average,
#   $\operatorname{Var}(w) = \dfrac{2}{D_{\text{in}} + D_{\text{out}}}$.
# - **He/Kaiming** (for ReLU, which zeroes half of its inputs and so halves the second moment):
#   $\operatorname{Var}(w) = \dfrac{2}{D_{\text{in}}}$.
#
# Against them, two *naive* choices: small random numbers, $\mathcal N(0, 0.01^2)$, and unit ones,
# $\mathcal N(0, 1)$. All four by hand, then compared with `dlcourse.nn.init` (same generator, so the same numbers)
# and `torch.nn.init` (its own generator, so we compare the spread).

# %%
SCHEMES = ["naive N(0, 0.01²)", "naive N(0, 1)", "Xavier", "He"]


def init_weight(scheme, fan_in, fan_out, rng):
    """A (fan_out, fan_in) weight, as in nn.Linear, drawn from N(0, std^2) with the scheme's std."""
    std = {"naive N(0, 0.01²)": 0.01, "naive N(0, 1)": 1.0,
           "Xavier": np.sqrt(2.0 / (fan_in + fan_out)), "He": np.sqrt(2.0 / fan_in)}[scheme]
    return rng.normal(0.0, std, size=(fan_out, fan_in))


shape = (256, 512)  # (fan_out, fan_in)
library = {"Xavier": lambda w, r: nn.init.xavier_normal_(w, rng=r),
           "He": lambda w, r: nn.init.kaiming_normal_(w, nonlinearity="relu", rng=r)}
for scheme, init_fn in library.items():
    ours = init_fn(np.empty(shape), np.random.default_rng(1))
    by_hand = init_weight(scheme, 512, 256, np.random.default_rng(1))  # the same generator state: the same draws
    print(f"{scheme}: max |by hand - dlcourse.nn.init|:", np.abs(by_hand - ours).max())
theirs_x = torch.nn.init.xavier_normal_(torch.empty(shape)).std().item()
theirs_h = torch.nn.init.kaiming_normal_(torch.empty(shape), nonlinearity="relu").std().item()
print(f"std Xavier: formula {np.sqrt(2 / (512 + 256)):.4f}, torch sample {theirs_x:.4f}")
print(f"std He:     formula {np.sqrt(2 / 512):.4f}, torch sample {theirs_h:.4f}")

# %% [markdown]
# Now the experiment: a stack of 50 `Linear(128, 128)` layers, each followed by tanh or ReLU, biases 0, one batch of
# 128 standard-normal inputs. One forward pass records the standard deviation of every layer's activations; one
# backward pass, from a standard-normal upstream gradient (what a loss would send), records the standard deviation
# of every layer's weight gradient. We compute in float64: some of these numbers leave float32's range
# ($10^{\pm 38}$), which is part of the lesson.

# %%
depth, width = 50, 128
X_deep = rng.standard_normal((128, width))  # (N, D)


def deep_network(activation, scheme, rng):
    """depth x (Linear(width, width) -> activation), float64, weights drawn by `scheme`, biases 0."""
    layers = []
    for _ in range(depth):
        linear = nn.Linear(width, width, rng=rng, dtype=np.float64)
        linear.weight.data = init_weight(scheme, width, width, rng)
        linear.bias.data[:] = 0.0
        layers += [linear, activation()]
    return nn.Sequential(*layers)


def layer_statistics(net, X, rng):
    """Std of each layer's activations (forward) and of each layer's weight gradient (backward)."""
    h, act_std = X, []
    for layer in net:
        h = layer(h)
        if not isinstance(layer, nn.Linear):
            act_std.append(h.std())
    net.zero_grad()
    net.backward(rng.standard_normal(h.shape))
    grad_std = [layer.weight.grad.std() for layer in net if isinstance(layer, nn.Linear)]
    return np.array(act_std), np.array(grad_std)


stats, nets = {}, {}
for act_name, activation in [("tanh", nn.Tanh), ("ReLU", nn.ReLU)]:
    for scheme in SCHEMES:
        nets[act_name, scheme] = deep_network(activation, scheme, np.random.default_rng(2))
        stats[act_name, scheme] = layer_statistics(nets[act_name, scheme], X_deep, np.random.default_rng(3))

print(f"{'activation':>10} {'scheme':>18} | {'act std L1':>10} {'act std L50':>11} | "
      f"{'grad std L1':>11} {'grad std L50':>12}")
for (act_name, scheme), (act_std, grad_std) in stats.items():
    print(f"{act_name:>10} {scheme:>18} | {act_std[0]:10.3g} {act_std[-1]:11.3g} | "
          f"{grad_std[0]:11.3g} {grad_std[-1]:12.3g}")

# %%
fig, axes = plt.subplots(2, 2, figsize=(11, 7), layout="constrained", sharex=True)
for col, act_name in enumerate(["tanh", "ReLU"]):
    for scheme in SCHEMES:
        act_std, grad_std = stats[act_name, scheme]
        axes[0, col].semilogy(np.arange(1, depth + 1), act_std, label=scheme)
        axes[1, col].semilogy(np.arange(1, depth + 1), grad_std, label=scheme)
    axes[0, col].set(title=f"{act_name}: activation std per layer")
    axes[1, col].set(title=f"{act_name}: weight-gradient std per layer", xlabel="layer")
for ax in axes.ravel():
    ax.axhline(1.0, color="gray", lw=0.8, ls=":")
    ax.grid(alpha=0.3)
axes[0, 0].legend(fontsize=8)
plt.show()

# %% [markdown]
# Read the table and the picture (the dotted line is 1):
#
# - **Small weights** shrink the signal by about $\sqrt{D}\cdot 0.01$ per layer: after 50 layers the activations
#   and every weight gradient are dozens of orders of magnitude below 1. Nothing can learn: the gradients
#   *vanish*.
# - **Unit weights** multiply by about $\sqrt{D}$ per layer. ReLU lets that through and the activations and
#   gradients *explode*; tanh clips the forward signal to $\pm 1$ (it saturates), but the backward pass still
#   multiplies by the large weights, so the gradients of the first layers are huge compared with the last ones.
# - **Xavier** keeps tanh's weight gradients the same size at every layer; its activations shrink only slowly
#   (tanh squashes a little at each layer). With ReLU it misses the factor 2 that ReLU removes, at every layer:
#   $2^{-25} \approx 3\cdot 10^{-8}$ after 50 layers.
# - **He** keeps ReLU's activations of order 1 through all 50 layers, and its gradients of one size from the first
#   layer to the last. With tanh, He's larger weights make the gradients grow towards the input.
#
# The match matters: the right variance depends on the activation. `torch.nn.Linear`'s default
# (uniform, $\operatorname{Var}(w) = 1/(3D_{\text{in}})$) is on the small side; for deep plain stacks choose the
# init yourself.
#
# The same measurement in PyTorch, on the He/ReLU network with its weights copied, agrees with ours:

# %%
net = nets["ReLU", "He"]
twin = torch.nn.Sequential(*[torch.nn.Linear(width, width) if isinstance(m, nn.Linear) else torch.nn.ReLU()
                             for m in net]).double()
dlcourse.torch.copy_weights_to_torch(net, twin)
h = torch.tensor(X_deep)
torch_act_std = []
for layer in twin:
    h = layer(h)
    if isinstance(layer, torch.nn.ReLU):
        torch_act_std.append(h.std(correction=0).item())  # the population std, as NumPy's .std()
h.backward(torch.tensor(np.random.default_rng(3).standard_normal(tuple(h.shape))))
torch_grad_std = [m.weight.grad.std(correction=0).item() for m in twin if isinstance(m, torch.nn.Linear)]
act_std, grad_std = stats["ReLU", "He"]
print("max relative difference, activation std:", np.max(np.abs(np.array(torch_act_std) / act_std - 1)))
print("max relative difference, gradient std:  ", np.max(np.abs(np.array(torch_grad_std) / grad_std - 1)))

# %% [markdown]
# ### Gradient clipping
#
# When gradients explode anyway (deep or recurrent networks, an unlucky batch), one step can throw the weights
# far away. **Clipping by norm** treats all gradients as one long vector $g$ and rescales it when it is too long:
# $$g \leftarrow g \cdot \min\!\left(1, \frac{\text{max\_norm}}{\|g\|}\right),$$
# which keeps the direction and caps the length. `nn.clip_grad_norm_(params, max_norm)` does this in place and
# returns $\|g\|$ from *before* clipping (handy to log); `nn.clip_grad_value_(params, c)` instead clamps every element
# to $[-c, c]$, which changes the direction. We clip the exploding gradients of the unit-init ReLU network and
# compare with `torch.nn.utils.clip_grad_norm_` on the same gradients.

# %%
params = list(nets["ReLU", "naive N(0, 1)"].parameters())
twins = [torch.nn.Parameter(torch.tensor(p.data)) for p in params]
for p, t in zip(params, twins):
    t.grad = torch.tensor(p.grad)
norm_before = nn.clip_grad_norm_(params, max_norm=1.0)
torch_norm = torch.nn.utils.clip_grad_norm_(twins, max_norm=1.0).item()
norm_after = np.sqrt(sum(np.sum(p.grad ** 2) for p in params))
print(f"total gradient norm before: {norm_before:.3e} (torch: {torch_norm:.3e}), after: {norm_after:.6f}")
print("max |dlcourse - torch| of the clipped gradients:",
      max(np.abs(p.grad - t.grad.numpy()).max() for p, t in zip(params, twins)))

# %% [markdown]
# ## 2. Preprocessing
#
# ### Standardisation
#
# Each input feature $j$ becomes $x'_j = (x_j - \mu_j)/\sigma_j$, with the mean $\mu_j$ and the standard
# deviation $\sigma_j$ of the **training** set (the validation and test sets are transformed with the same numbers;
# computing them on all the data would leak information about the test set into training). Why bother? A weight's
# gradient is proportional to its input ($\partial z/\partial w_j = x_j$), so the scale of the inputs is a hidden
# factor in the learning rate. The same pixels stored as $[0, 1]$, $[0, 16]$ (scikit-learn's raw digits) or
# $[0, 255]$ (a typical image file) then need three different learning rates; standardised, they are the same data.
# Six runs of the same network, same initial weights, same batches, SGD with `lr=0.03`:

# %%
def small_mlp(seed, hidden=64):
    r = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(64, hidden, rng=r), nn.ReLU(), nn.Linear(hidden, 10, rng=r))


def train_curve(X_tr, X_va, lr=0.03, epochs=10):
    """Training loss per epoch and final validation accuracy; a run that diverges stops at its last finite epoch."""
    model = small_mlp(seed=1)
    loader = DataLoader((X_tr, y_train), batch_size=32, shuffle=True, rng=np.random.default_rng(1))
    try:
        history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=lr), loader, epochs=epochs,
                      val_loader=DataLoader((X_va, y_val), batch_size=512), metrics=["accuracy"], progress=False)
    except TrainingDiverged as error:
        history = error.history
    return history


curves = {}
for label, scale in [("[0, 1]", 1.0), ("[0, 16]", 16.0), ("[0, 255]", 255.0)]:
    X_tr, X_va = raw_train * np.float32(scale), raw_val * np.float32(scale)
    curves["raw " + label] = train_curve(X_tr, X_va)
    scaler = Standardizer().fit(X_tr)
    curves["standardised " + label] = train_curve(scaler.transform(X_tr), scaler.transform(X_va))
for label, history in curves.items():
    final = f"val accuracy {history['val_accuracy'][-1]:.3f}" if len(history) == 10 else \
        f"diverged after {len(history)} epochs"
    print(f"{label:>22}: {final}")
gap = max(np.abs(np.subtract(curves["standardised [0, 1]"]["loss"], curves[f"standardised {s}"]["loss"])).max()
          for s in ["[0, 16]", "[0, 255]"])
print("max difference between the three standardised loss curves:", gap)

# %%
fig, ax = plt.subplots(figsize=(7, 4))
for label, history in curves.items():
    ax.semilogy(history.epochs, history["loss"], ls="-" if label.startswith("raw") else "--", marker="o", ms=3,
                label=label)
ax.set(xlabel="epoch", ylabel="training loss", title="the same pixels in three units, SGD lr = 0.03")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The raw runs depend on the units. With pixels in $[0, 1]$ the steps are too small and the network crawls; in
# $[0, 16]$ the same `lr` happens to suit it well (for this network it acts like a larger learning rate); in
# $[0, 255]$ the first epoch throws the weights so far that the loss jumps far above chance and the network ends
# stuck at chance, its ReLUs silent. The three standardised runs are one and the same curve (the printed difference).
# Standardising does not make every learning rate good; it makes a learning rate mean the same thing whatever the
# units of the data, so that it can be tuned once (section 5). From here on every network gets standardised inputs.

# %%
scaler = Standardizer().fit(raw_train)
X_train, X_val, X_test = scaler.transform(raw_train), scaler.transform(raw_val), scaler.transform(raw_test)
train_loader = DataLoader((X_train, y_train), batch_size=32, shuffle=True, rng=np.random.default_rng(4))
val_loader = DataLoader((X_val, y_val), batch_size=512)

# %% [markdown]
# ### One-hot labels
#
# A class label $y \in \{0, \dots, K-1\}$ is a name, not a quantity: 7 is not "more" than 3. As a target it becomes
# a *one-hot* vector with a 1 at position $y$. Cross-entropy with a one-hot target picks out one log-probability,
# $-\sum_k \text{onehot}_k \log p_k = -\log p_y$, which is why `CrossEntropyLoss` takes the class index directly.

# %%
Y = one_hot(y_train[:4], 10)
print("labels", y_train[:4], "\n", Y)
logits = rng.standard_normal((4, 10))
log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))  # log-softmax (these logits are small)
by_hand = -(Y * log_p).sum(axis=1).mean()
print("|one-hot cross-entropy - nn.CrossEntropyLoss(indices)|:",
      abs(by_hand - nn.CrossEntropyLoss()(logits, y_train[:4])))

# %% [markdown]
# ### Padding sequences
#
# Sentences, recordings and time series come in different lengths, but a batch is one rectangular array
# (N, T, ...). We **pad** every sequence to the longest one, and keep the lengths so that later computations can
# ignore the padding with a **mask**. `pad_sequences` returns both and gives the same array as PyTorch's
# `pad_sequence(batch_first=True)`.

# %%
sentences = [[4, 12, 7], [9], [3, 3, 8, 15, 2]]  # token ids
padded, lengths = pad_sequences(sentences, padding_value=0)
mask = padding_mask(lengths)  # (N, T): True at real tokens
print(padded, "\nlengths", lengths, "\nmask\n", mask.astype(int))
theirs = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in sentences], batch_first=True)
print("same as torch pad_sequence:", np.array_equal(padded, theirs.numpy()))

embeddings = rng.standard_normal((3, 5, 4))  # (N, T, E): one vector per position, padding included
naive_mean = embeddings.mean(axis=1)  # (N, E): the padding's vectors count too
masked_mean = (embeddings * mask[:, :, None]).sum(axis=1) / lengths[:, None]  # (N, E): real tokens only
true_mean = np.stack([embeddings[i, :n].mean(axis=0) for i, n in enumerate(lengths)])
print("max error of the naive mean:", np.abs(naive_mean - true_mean).max(),
      " of the masked mean:", np.abs(masked_mean - true_mean).max())

# %% [markdown]
# ### Image augmentation
#
# A digit moved by one pixel is the same digit. **Augmentation** makes new training examples by such
# label-preserving changes: shifts, flips, noise, crops, rotations. Shifting by hand needs care at the border:
# `np.roll` wraps the right edge around to the left, so we slice instead and fill the uncovered pixels with 0 (the
# background). `dlcourse.data.augment.shift_images` does the same for a whole batch, each image with its own shift.

# %%
digit = img_train[np.flatnonzero(y_train == 2)[0]]  # the first 2 of the training set: (8, 8)


def shift_by_hand(image, dy, dx):
    """Move one (H, W) image down by dy >= 0 and right by dx >= 0, filling with 0."""
    out = np.zeros_like(image)
    out[dy:, dx:] = image[:image.shape[0] - dy, :image.shape[1] - dx]
    return out


shifted = shift_images(digit[None], [1], [2])[0]  # a batch of one image, (1, 8, 8) -> (8, 8)
print("max |by hand - shift_images|:", np.abs(shift_by_hand(digit, 1, 2) - shifted).max())
variants = {"original": digit, "shift (+1, +2)": shifted,
            "np.roll (wraps!)": np.roll(digit, (1, 2), axis=(0, 1)),
            "random shift": random_shift(digit[None], 1, rng=rng)[0],
            "flipped left-right": random_flip(digit[None], rng=rng, p=1.0)[0],
            "noise std 0.15": add_noise(digit[None], 0.15, rng=rng, clip=(0, 1))[0]}
fig, axes = plt.subplots(1, len(variants), figsize=(12, 2.3))
for ax, (name, image) in zip(axes, variants.items()):
    ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(name, fontsize=9)
    ax.axis("off")
plt.show()

# %% [markdown]
# Not every transform preserves the label: a mirrored 2 is not a 2, so flips suit photographs of cats but not digits.
# Does augmentation help? Shifts teach the network that position does not matter. We train the same network twice,
# 10 epochs each, once on the original images and once on images shifted at random by up to one pixel in each
# direction (a new shift every time an image is drawn), then test both on the original test digits and on the
# test digits shifted by one random pixel.

# %%
class ShiftedBatches:
    """Batches of raw (B, 8, 8) images shifted at random, then flattened and standardised: ((B, 64), (B,))."""

    def __init__(self, max_shift, rng):
        self.loader = DataLoader((img_train, y_train), batch_size=32, shuffle=True, rng=rng)
        self.max_shift, self.rng = max_shift, rng

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for xb, yb in self.loader:
            shifted = random_shift(xb, self.max_shift, rng=self.rng)  # (B, 8, 8)
            yield scaler.transform(shifted.reshape(len(shifted), 64)), yb  # (B, 8, 8) -> (B, 64)


shifted_test = scaler.transform(random_shift(img_test, 1, rng=np.random.default_rng(5)).reshape(-1, 64))
for label, max_shift in [("no augmentation", 0), ("random shifts", 1)]:
    model = small_mlp(seed=1, hidden=128)
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=3e-3),
        ShiftedBatches(max_shift, np.random.default_rng(6)), epochs=10, progress=False)
    clean = (predict(model, X_test).argmax(axis=1) == y_test).mean()
    moved = (predict(model, shifted_test).argmax(axis=1) == y_test).mean()
    print(f"{label:>16}: test accuracy {clean:.3f} on the original digits, {moved:.3f} on shifted ones")

# %% [markdown]
# Without augmentation, a one-pixel move (an eighth of the image) costs a large part of the accuracy: the network
# has learned pixel positions, not shapes. With shifted training images it holds up far better on moved digits,
# at some cost on the centred ones after the same 10 epochs: the task it learns is harder. Convolutional networks
# (next chapter) build part of this invariance into the architecture.

# %% [markdown]
# ## 3. Batch normalisation and layer normalisation
#
# Initialisation sets the scale at the start; during training the weights change and each layer's input
# distribution drifts. **Batch normalisation** (Ioffe and Szegedy, 2015) re-standardises every feature over the
# mini-batch, then lets the network choose a scale $\gamma$ and a shift $\beta$ of its own. For a batch
# $x_1, \dots, x_N$ of one feature:
# $$\mu = \frac1N\sum_i x_i, \qquad \sigma^2 = \frac1N\sum_i (x_i - \mu)^2, \qquad
# \hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y_i = \gamma\,\hat x_i + \beta.$$
#
# **Backward.** With $g_i = \partial L/\partial y_i$: $\ \partial L/\partial\gamma = \sum_i g_i \hat x_i$,
# $\ \partial L/\partial\beta = \sum_i g_i$, and $\hat g_i = \gamma g_i$ flows into $\hat x$. Every $x_i$ also moves
# $\mu$ and $\sigma$, which every $\hat x_j$ depends on; collecting those paths gives
# $$\frac{\partial L}{\partial x_i} = \frac{1}{\sqrt{\sigma^2 + \epsilon}}
# \Big(\hat g_i - \frac1N\sum_j \hat g_j - \hat x_i\,\frac1N\sum_j \hat g_j \hat x_j\Big).$$
# The two means remove from $\hat g$ its components along $(1, \dots, 1)$ and along $\hat x$: the two directions in
# which changing $x$ does not change $\hat x$ (a shift, and a scaling).

# %%
def batchnorm_forward_by_hand(x, gamma, beta, eps=1e-5):
    """x: (N, D) -> (N, D), statistics per feature over the batch."""
    mu = x.mean(axis=0)
    var = x.var(axis=0)  # divides by N: the biased variance is what normalises
    x_hat = (x - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x_hat, var, gamma, eps)


def batchnorm_backward_by_hand(dout, cache):
    x_hat, var, gamma, eps = cache
    dgamma, dbeta = (dout * x_hat).sum(axis=0), dout.sum(axis=0)
    g_hat = dout * gamma
    dx = (g_hat - g_hat.mean(axis=0) - x_hat * (g_hat * x_hat).mean(axis=0)) / np.sqrt(var + eps)
    return dx, dgamma, dbeta


x = rng.normal(3.0, 2.0, size=(16, 5))
gamma, beta, dout = rng.standard_normal(5), rng.standard_normal(5), rng.standard_normal((16, 5))
out, cache = batchnorm_forward_by_hand(x, gamma, beta)
grads = batchnorm_backward_by_hand(dout, cache)

layer = nn.BatchNorm1d(5, dtype=np.float64)  # dlcourse: the class calls batch_norm_forward / _backward
layer.weight.data[:], layer.bias.data[:] = gamma, beta
print("max |by hand - nn.BatchNorm1d| output:", np.abs(out - layer(x)).max(),
      " dx:", np.abs(grads[0] - layer.backward(dout)).max())

x_t = torch.tensor(x, requires_grad=True)
bn_t = torch.nn.BatchNorm1d(5).double()
with torch.no_grad():
    bn_t.weight.copy_(torch.tensor(gamma))
    bn_t.bias.copy_(torch.tensor(beta))
bn_t(x_t).backward(torch.tensor(dout))
print("max |by hand - torch| output:", np.abs(out - bn_t(x_t).detach().numpy()).max(),
      " dx:", np.abs(grads[0] - x_t.grad.numpy()).max(),
      " dgamma:", np.abs(grads[1] - bn_t.weight.grad.numpy()).max(),
      " dbeta:", np.abs(grads[2] - bn_t.bias.grad.numpy()).max())

# %% [markdown]
# **Training and evaluation modes.** At test time there may be a single example, with no batch to take statistics
# over, and a prediction should not depend on which other examples share its batch. So during training the layer
# also keeps running averages, $r \leftarrow (1 - m)\,r + m\,\text{batch statistic}$ with momentum $m = 0.1$
# (PyTorch averages the *unbiased* variance, $\frac{N}{N-1}\sigma^2$), and `eval()` normalises with those instead.
# After one epoch the running mean is near the training data's mean, though not equal to it: an exponential average
# weights the last ten or so batches most.

# %%
bn = nn.BatchNorm1d(64)
for xb, _ in train_loader:  # one epoch of forward passes in training mode
    bn(xb)
print("batches seen:", int(bn.num_batches_tracked))
print("running mean vs the data's mean, max |diff|:", np.abs(bn.running_mean - X_train.mean(axis=0)).max())
bn.eval()
print("eval mode, one example:", bn(X_val[:1]).shape, "; same as a batch of 100:",
      np.allclose(bn(X_val[:1]), bn(X_val[:100])[:1]))
print("state_dict keys:", list(bn.state_dict()), "\ntorch's:        ", list(torch.nn.BatchNorm1d(64).state_dict()))

# %% [markdown]
# **Layer normalisation** (Ba, Kiros and Hinton, 2016) takes the same statistics over the *features of each
# example* instead of over the batch: $\mu$ and $\sigma^2$ of the row $x \in \mathbb R^D$, then $\gamma$, $\beta$ per
# feature. No dependence on the batch, no running statistics, the same computation in training and evaluation:
# the choice for recurrent networks and Transformers, where batches are small or sequences differ in length.

# %%
x = rng.normal(3.0, 2.0, size=(4, 6))
mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)  # (N, 1): one mean per example
ln_by_hand = (x - mu) / np.sqrt(var + 1e-5)
ln = nn.LayerNorm(6, dtype=np.float64)
ln_t = torch.nn.LayerNorm(6).double()
print("max |by hand - nn.LayerNorm|:", np.abs(ln_by_hand - ln(x)).max(),
      " |by hand - torch|:", np.abs(ln_by_hand - ln_t(torch.tensor(x)).detach().numpy()).max())

# %% [markdown]
# **The race.** A deep plain network, 8 hidden layers of 64 tanh units with PyTorch's default initialisation, trained
# with SGD (`lr=0.05`) for 10 epochs: without normalisation, with `BatchNorm1d` after each linear layer, and with
# `LayerNorm` there. Same initial linear weights, same batches.

# %%
def deep_mlp(norm, seed, depth=8, hidden=64):
    r, layers, d_in = np.random.default_rng(seed), [], 64
    for _ in range(depth):
        layers.append(nn.Linear(d_in, hidden, rng=r))
        if norm == "BatchNorm":
            layers.append(nn.BatchNorm1d(hidden))
        elif norm == "LayerNorm":
            layers.append(nn.LayerNorm(hidden))
        layers.append(nn.Tanh())
        d_in = hidden
    return nn.Sequential(*layers, nn.Linear(d_in, 10, rng=r))


norm_histories = {}
for norm in ["none", "BatchNorm", "LayerNorm"]:
    model = deep_mlp(norm, seed=7)
    loader = DataLoader((X_train, y_train), batch_size=32, shuffle=True, rng=np.random.default_rng(8))
    norm_histories[norm] = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.05), loader,
                               epochs=10, val_loader=val_loader, metrics=["accuracy"], progress=False)
    print(f"{norm:>10}: final training loss {norm_histories[norm]['loss'][-1]:.3f}, "
          f"validation accuracy {norm_histories[norm]['val_accuracy'][-1]:.3f}")

fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
for norm, history in norm_histories.items():
    ax_loss.plot(history.epochs, history["loss"], marker="o", ms=3, label=norm)
    ax_acc.plot(history.epochs, history["val_accuracy"], marker="o", ms=3, label=norm)
ax_loss.set(xlabel="epoch", ylabel="training loss", title="8 tanh layers, SGD lr 0.05")
ax_acc.set(xlabel="epoch", ylabel="validation accuracy")
ax_loss.legend()
plt.show()

# %% [markdown]
# Without normalisation the training loss sits at the level of guessing, $\ln 10 \approx 2.30$ for ten classes,
# for most of the run: the small default weights shrink the signal layer after layer (section 1), so the first
# layers get tiny gradients, and the network only starts to learn in the last epochs. With either normalisation the
# same network, same weights, same batches, learns from the first epoch. Batch norm also adds some noise (each
# example is normalised with its batch's statistics), which acts as a mild regulariser.

# %% [markdown]
# ## 4. Overfitting and regularisation
#
# A network with enough weights can memorise its training set, noise included. To see it, we take a deliberately
# large network (64 → 256 → 256 → 10, about 85,000 weights) and train it on only **150** training digits, checking
# it after every epoch on the 270 validation digits it never trains on.

# %%
X_small, y_small = X_train[:150], y_train[:150]


def large_mlp(seed, p_drop=0.0):
    """64 -> 256 -> 256 -> 10 with ReLU, and Dropout(p_drop) after each hidden layer when p_drop > 0."""
    r = np.random.default_rng(seed)
    drop = (lambda: [nn.Dropout(p_drop, rng=r)]) if p_drop else (lambda: [])
    return nn.Sequential(nn.Linear(64, 256, rng=r), nn.ReLU(), *drop(), nn.Linear(256, 256, rng=r), nn.ReLU(),
                         *drop(), nn.Linear(256, 10, rng=r))


def train_small(model, weight_decay=0.0, early_stopping=None, epochs=60):
    loader = DataLoader((X_small, y_small), batch_size=32, shuffle=True, rng=np.random.default_rng(9))
    optimizer = optim.Adam(model.parameters(), lr=1e-3, weight_decay=weight_decay)
    return fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=epochs, val_loader=val_loader,
               metrics=["accuracy"], early_stopping=early_stopping, progress=False)


plain = large_mlp(seed=10)
regularised = {"plain": (plain, train_small(plain))}
print(f"plain: after 60 epochs, training loss {regularised['plain'][1]['loss'][-1]:.4f}, "
      f"validation loss {regularised['plain'][1]['val_loss'][-1]:.3f} "
      f"(lowest {min(regularised['plain'][1]['val_loss']):.3f}, at epoch {regularised['plain'][1].best_epoch})")

# %% [markdown]
# The training loss goes to about zero; the validation loss reaches its lowest value part-way through and then
# creeps up again: the network becomes ever more confident on the training examples, and on its wrong validation
# answers with them. Three standard remedies.
#
# **L2 regularisation (weight decay).** Add $\frac{\lambda}{2}\sum w^2$ to the loss. Its gradient $\lambda w$ pulls
# every weight towards 0, the more the larger it is, so the network prefers many small weights to a few large ones
# (smoother functions). `nn.l2_penalty(params, wd)` returns the penalty and adds $\lambda w$ to the gradients; that
# is exactly what `weight_decay=wd` in `optim.SGD` adds, as one step shows. (**L1**, $\lambda\sum|w|$, pulls with
# constant force $\lambda\,\mathrm{sign}(w)$ and drives weights to exactly zero: `nn.l1_penalty`. For Adam, see
# chapter 05 on why AdamW's decoupled decay differs from both.)

# %%
model_a, model_b = small_mlp(seed=11), small_mlp(seed=11)  # two copies of the same network
for model in (model_a, model_b):
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(model(X_train[:32]), y_train[:32])
    model.zero_grad()
    model.backward(loss_fn.backward())
penalty = nn.l2_penalty(model_a.parameters(), 0.01)  # returns the penalty, adds 0.01 * w to model_a's gradients
optim.SGD(model_a.parameters(), lr=0.1).step()
optim.SGD(model_b.parameters(), lr=0.1, weight_decay=0.01).step()
print(f"penalty {penalty:.4f}; max |SGD + l2_penalty - SGD(weight_decay)| after one step:",
      max(np.abs(a.data - b.data).max() for a, b in zip(model_a.parameters(), model_b.parameters())))

# %% [markdown]
# **Dropout** (Srivastava et al., 2014). In training, zero each hidden unit with probability $p$, independently for
# every example and every step, so no unit can rely on a particular other one being there. *Inverted* dropout
# scales the survivors by $1/(1-p)$ so that the expected activation is unchanged, and evaluation simply uses the
# whole network:
# $$y = \frac{m \odot x}{1 - p}, \quad m_i \sim \text{Bernoulli}(1 - p), \qquad
# \frac{\partial L}{\partial x} = \frac{m}{1-p} \odot \frac{\partial L}{\partial y}\ \text{(the same mask)}.$$
# By hand, then against `nn.Dropout` (whose mask we read from `layer.mask`) and torch (whose mask we read from its
# output's zeros):

# %%
def dropout_by_hand(x, p, rng):
    keep = rng.random(x.shape) >= p  # (same shape as x): True with probability 1 - p
    return x * keep / (1 - p), keep


x = rng.uniform(0.5, 1.5, size=(1000, 50))  # no zeros, so a zero in an output means "dropped"
out, keep = dropout_by_hand(x, 0.3, rng)
print(f"kept {keep.mean():.4f} (expect 0.7); mean of x {x.mean():.4f}, mean of the output {out.mean():.4f}")
drop = nn.Dropout(0.3, rng=rng)
ours = drop(x)
print("max |by hand with nn.Dropout's mask - nn.Dropout|:", np.abs(x * drop.mask / 0.7 - ours).max())
theirs = torch.nn.functional.dropout(torch.tensor(x), p=0.3, training=True).numpy()
ours_with_their_mask, _ = dropout_forward(x, 0.3, theirs != 0)
print("max |dropout_forward with torch's mask - torch|:", np.abs(ours_with_their_mask - theirs).max())
print("eval mode is the identity:", drop.eval()(x) is x)

# %% [markdown]
# **Early stopping.** Keep the weights from the epoch with the lowest validation loss, and stop once it has not
# improved for `patience` epochs. `EarlyStopping` from `dlcourse.training` does both; `fit` restores the best
# weights at the end.
#
# All three on the same network, data and batches:

# %%
with_l2 = large_mlp(seed=10)
regularised["L2 (weight_decay=3e-3)"] = (with_l2, train_small(with_l2, weight_decay=3e-3))
with_dropout = large_mlp(seed=10, p_drop=0.5)
regularised["dropout 0.5"] = (with_dropout, train_small(with_dropout))
stopped = large_mlp(seed=10)
regularised["early stopping (patience 10)"] = (stopped, train_small(stopped, early_stopping=EarlyStopping(patience=10)))
history = regularised["early stopping (patience 10)"][1]
print(f"early stopping: stopped at epoch {history.stopped_epoch}, weights of epoch {history.restored_epoch} restored")

print(f"\n{'':>30} {'last train loss':>15} {'train acc':>9} {'val acc':>8} {'val loss':>9} {'lowest val loss':>15}")
for label, (model, history) in regularised.items():
    train_acc = (predict(model, X_small).argmax(axis=1) == y_small).mean()  # eval mode: no units dropped
    val = evaluate(model, val_loader, nn.CrossEntropyLoss(), metrics=["accuracy"])
    print(f"{label:>30} {history['loss'][-1]:15.4f} {train_acc:9.3f} {val['accuracy']:8.3f} {val['loss']:9.3f} "
          f"{min(history['val_loss']):15.3f}")

# %%
fig, axes = plt.subplots(1, 4, figsize=(14, 3.4), layout="constrained", sharey=True)
for ax, (label, (_, history)) in zip(axes, regularised.items()):
    ax.semilogy(history.epochs, history["loss"], label="train")
    ax.semilogy(history.epochs, history["val_loss"], "--", label="validation")
    ax.axvline(history.best_epoch, color="gray", ls=":", lw=1)
    ax.set(title=label, xlabel="epoch")
    ax.grid(alpha=0.3)
axes[0].set_ylabel("cross-entropy (log scale)")
axes[0].legend()
plt.show()

# %% [markdown]
# Read the table (accuracies and losses of the final weights, restored ones for early stopping) with the curves.
# The remedies change the *shape* of the validation curve more than its best value: with L2 it levels off instead
# of creeping up, dropout keeps the training loss (measured with units dropped) well above the plain network's and
# makes both curves noisier, and early stopping keeps the weights of the best epoch. The validation accuracies stay
# within a few digits out of 270 of each other, which is within luck: all four networks classify their 150 training
# digits perfectly, and a regulariser cannot put back information that 150 examples do not hold. More data can: the
# network trained on all 1,257 training digits in section 6 beats every one of them.

# %% [markdown]
# ## 5. Hyperparameter tuning: grid search versus random search
#
# The learning rate and the width are not learned by gradient descent; we choose them by training with several
# values and comparing **validation** accuracy (never the test set: choosing on it would make the test score
# optimistic). With a budget of 9 trainings:
#
# - **grid search** tries every combination of 3 learning rates × 3 widths;
# - **random search** (Bergstra and Bengio, 2012) draws 9 pairs, the learning rate log-uniformly in
#   $[10^{-4}, 10^{-1}]$ and the width log-uniformly in $[16, 512]$.
#
# Each trial trains `64 → width → 10` with Adam for 6 epochs.

# %%
def trial(lr, hidden, epochs=6):
    model = small_mlp(seed=12, hidden=hidden)
    loader = DataLoader((X_train, y_train), batch_size=32, shuffle=True, rng=np.random.default_rng(13))
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=lr), loader, epochs=epochs, progress=False)
    return evaluate(model, val_loader, nn.CrossEntropyLoss(), metrics=["accuracy"])["accuracy"]


grid = [(lr, hidden, trial(lr, hidden)) for lr in [1e-4, 1e-3, 1e-2] for hidden in [16, 64, 256]]
search_rng = np.random.default_rng(14)
random_points = [(10 ** search_rng.uniform(-4, -1), int(round(2 ** search_rng.uniform(4, 9)))) for _ in range(9)]
random_search = [(lr, hidden, trial(lr, hidden)) for lr, hidden in random_points]
for name, results in [("grid", grid), ("random", random_search)]:
    lr, hidden, acc = max(results, key=lambda r: r[2])
    print(f"{name:>6} search: best validation accuracy {acc:.3f} at lr = {lr:.2g}, width = {hidden}; "
          f"{len({r[0] for r in results})} distinct learning rates tried")

# %%
fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), layout="constrained")
for ax, (name, results) in zip(axes[:2], [("grid search", grid), ("random search", random_search)]):
    lrs, widths, accs = (np.array(column) for column in zip(*results))
    points = ax.scatter(lrs, widths, c=accs, cmap="viridis", vmin=0.5, vmax=1.0, s=80, edgecolors="k")
    ax.set(xscale="log", yscale="log", xlabel="learning rate", ylabel="width", title=name,
           xlim=(5e-5, 2e-1), ylim=(10, 800))
fig.colorbar(points, ax=axes[1], label="validation accuracy")
for name, results, marker in [("grid", grid, "s"), ("random", random_search, "o")]:
    lrs, _, accs = zip(*results)
    axes[2].scatter(lrs, accs, marker=marker, label=name)
axes[2].set(xscale="log", xlabel="learning rate", ylabel="validation accuracy", title="projected on the learning rate",
            ylim=(0.0, 1.02))
axes[2].legend()
plt.show()

# %% [markdown]
# When one hyperparameter matters more than another (here the learning rate: see how closely the accuracy follows
# it in the right panel), the grid spends its budget re-testing the same 3 learning rates with different widths, while 9 random points try
# 9 different learning rates. That is the argument for random search, and it grows with the number of
# hyperparameters. Both are *uninformed*: trial 9 ignores what trials 1–8 found.
#
# **Bayesian optimisation** uses them. It fits a cheap *surrogate* model of "validation score as a function of the
# hyperparameters" to the trials so far (a Gaussian process, or the tree-structured Parzen estimator of Optuna and
# Hyperopt), with an uncertainty, and picks the next trial where an *acquisition function* such as expected
# improvement is highest: near the best points found, or where the surrogate is unsure. It needs fewer trials when
# each is expensive. Related budget savers stop poor trials early (successive halving, Hyperband).

# %% [markdown]
# ## 6. The best model, in NumPy and in PyTorch
#
# We take the best (learning rate, width) of all 18 trials and train that network properly: 30 epochs, with the
# learning rate annealed to 0 on a cosine schedule (chapter 05). Then, for the first and only time, the test set.

# %%
best_lr, best_hidden, _ = max(grid + random_search, key=lambda r: r[2])
num_epochs = 30
final = small_mlp(seed=15, hidden=best_hidden)
initial_state = final.state_dict()


def final_batches():
    """The same shuffled batches for both frameworks: a fresh generator with the same seed."""
    return DataLoader((X_train, y_train), batch_size=32, shuffle=True, rng=np.random.default_rng(16))


optimizer = optim.Adam(final.parameters(), lr=best_lr)
scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=num_epochs)
final_history = fit(final, nn.CrossEntropyLoss(), optimizer, final_batches(), epochs=num_epochs,
                    val_loader=val_loader, metrics=["accuracy"], progress=False, scheduler=scheduler)
np_logits = predict(final, X_test)
test_accuracy = (np_logits.argmax(axis=1) == y_test).mean()
print(f"lr = {best_lr:.3g}, width = {best_hidden}: validation accuracy {final_history['val_accuracy'][-1]:.3f}, "
      f"TEST accuracy {test_accuracy:.4f} ({(np_logits.argmax(axis=1) != y_test).sum()} of {len(y_test)} wrong)")
assert test_accuracy >= 0.97, "the chapter's digits MLP should reach at least 97% test accuracy"
final_history.plot(title="the final NumPy network")
plt.show()

# %% [markdown]
# The torch twin starts from the same weights (copied before training), uses `torch.optim.Adam` and
# `torch.optim.lr_scheduler.CosineAnnealingLR` with the same settings and sees the same batches, on `device`.

# %%
twin = torch.nn.Sequential(torch.nn.Linear(64, best_hidden), torch.nn.ReLU(), torch.nn.Linear(best_hidden, 10))
start = small_mlp(seed=15, hidden=best_hidden)
start.load_state_dict(initial_state)
dlcourse.torch.copy_weights_to_torch(start, twin)
twin_optimizer = torch.optim.Adam(twin.parameters(), lr=best_lr)
twin_scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(twin_optimizer, T_max=num_epochs)
twin_history = dlcourse.torch.fit(twin, torch.nn.CrossEntropyLoss(), twin_optimizer, final_batches(),
                                  epochs=num_epochs, device=device, progress=False, scheduler=twin_scheduler)
torch_logits = dlcourse.torch.predict(twin, X_test)
torch_accuracy = (torch_logits.argmax(axis=1) == y_test).mean()
print(f"test accuracy: NumPy {test_accuracy:.4f}, PyTorch on {device.type} {torch_accuracy:.4f}")
print("max |loss difference| over the epochs:", np.abs(np.subtract(twin_history["loss"], final_history["loss"])).max())
print("max |logit difference| on the test set:", np.abs(np_logits - torch_logits).max())
print("same predictions:", np.array_equal(np_logits.argmax(axis=1), torch_logits.argmax(axis=1)))

# %% [markdown]
# Both run in float32, so after about 1,200 Adam steps their rounding differs in the last digits and the
# trajectories drift apart a little, as two runs of PyTorch on different hardware do; the printed differences show
# how little. What the network predicts is the same.
#
# ## Self-check
#
# 1. Through one linear layer with fan-in $D$, how does the variance of the output depend on $D$ and on the weights'
#    variance? What does that predict for 50 layers with weights $\mathcal N(0, 0.01^2)$ and $D = 128$?
# 2. Why does He initialisation have a 2 in the numerator where a linear layer would need a 1?
# 3. What does `clip_grad_norm_` return, and how does clipping by norm differ from clipping by value?
# 4. Why must the standardisation statistics come from the training set only?
# 5. Why does a batch of padded sequences need a mask, and what goes wrong in a mean over time without it?
# 6. Which augmentations keep a digit's label and which do not?
# 7. In batch norm's backward pass, where do the two mean terms come from?
# 8. What does a `BatchNorm1d` layer do differently in `eval()` mode, and why is that needed? Why does
#    `LayerNorm` have no such difference?
# 9. In inverted dropout, why divide by $1 - p$, and what happens at evaluation time?
# 10. Which optimizer setting is the same as adding an L2 penalty to the loss, and for which optimizer is it not?
# 11. Why did random search try more learning rates than grid search with the same budget?
#
# ## What to try
#
# - Section 1: use Xavier with the gain $5/3$ that `nn.init.calculate_gain("tanh")` suggests, or change the width to
#   512: which curves move, and by how much does the theory predict?
# - Section 1: clip with `nn.clip_grad_value_(params, 1.0)` instead and compare the direction of the clipped gradient
#   with the original one (the cosine between them).
# - Section 3: raise the learning rate to 0.5 for all three networks, or use 20 layers. Put the normalisation after the
#   activation instead of before it.
# - Section 4: train on 50 or on 500 examples; combine dropout with early stopping; try `weight_decay` 1e-2 and 1e-4.
# - Section 5: give random search 18 trials and grid search a 3 × 6 grid; add the batch size as a third
#   hyperparameter.
# - The exercise for this chapter asks you to write batch norm's forward and backward passes and inverted dropout.
