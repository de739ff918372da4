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
# (4) overfitting, then L2 and weight decay, L1, dropout and early stopping; (5) grid search, random search and
# Bayesian optimisation; (6) debugging a network that does not learn; (7) the best model, in NumPy and in PyTorch,
# and the one look at the test set.

# %%
import inspect

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
from dlcourse.training import EarlyStopping, Stepper, TrainingDiverged, evaluate, fit, predict
from dlcourse.tuning import expected_improvement, gp_posterior

rng = np.random.default_rng(0)
dlcourse.torch.seed_everything(0)
device = dlcourse.torch.device()
torch.set_num_threads(1)  # tiny tensors: one CPU thread is faster, and its sums always add up in the same order

# %% [markdown]
# The data for the whole chapter: the 1,797 handwritten digits (8×8 grey levels in $[0, 1]$), split once into
# training, validation and test parts (70/15/15, every digit in the same proportion in each). The test part is
# touched only in section 7, the final report; every decision before it uses the validation part.

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
# variance $\operatorname{Var}(w)$, independently of the inputs. Two facts about independent random variables do
# the work. For one product, $\operatorname{Var}(wx) = \mathbb E[w^2 x^2] - (\mathbb E[wx])^2
# = \mathbb E[w^2]\,\mathbb E[x^2] - (\mathbb E[w]\,\mathbb E[x])^2$, because the expectation of a product of
# independent variables is the product of their expectations; with $\mathbb E[w] = 0$ that is
# $\operatorname{Var}(wx) = \operatorname{Var}(w)\,\mathbb E[x^2]$. And the variance of a sum of independent terms is
# the sum of their variances. Each output $z_i = \sum_{j=1}^{D} W_{ij} x_j$ is a sum of $D$ such products, so
# $$\operatorname{Var}(z) = D \operatorname{Var}(w)\, \mathbb E[x^2], \qquad = D \operatorname{Var}(w)
# \operatorname{Var}(x) \text{ when the inputs have mean 0.}$$
# Through many layers this factor $D\operatorname{Var}(w)$ is applied once per layer: slightly above 1 and the
# signal explodes, slightly below and it vanishes. The backward pass multiplies gradients by $W^\top$, where the same
# argument gives the factor $D_{\text{out}}\operatorname{Var}(w)$. Two classic answers:
#
# - **Xavier/Glorot** (for tanh, which is linear near 0 and keeps the mean at 0): keep both directions balanced on
#   average, $\operatorname{Var}(w) = \dfrac{2}{D_{\text{in}} + D_{\text{out}}}$.
# - **He/Kaiming** (for ReLU). ReLU's outputs are not centred, so the formula with $\mathbb E[x^2]$ is the one to use.
#   If the previous layer's pre-activation $z'$ is symmetric around 0, ReLU keeps exactly the positive half, so
#   $\mathbb E[\mathrm{ReLU}(z')^2] = \tfrac12 \mathbb E[z'^2] = \tfrac12 \operatorname{Var}(z')$. Then
#   $\operatorname{Var}(z) = D \operatorname{Var}(w) \cdot \tfrac12 \operatorname{Var}(z')$, which stays the same from
#   layer to layer when $\operatorname{Var}(w) = \dfrac{2}{D_{\text{in}}}$.
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
#
# In a training loop, clipping goes between `backward` (which computes the gradients) and `optimizer.step()` (which
# uses them). `fit` has a hook for that place, `after_backward`, and one after the step, `after_step` (used for L1
# in section 4). This is the method `fit` runs for every batch:

# %%
print(inspect.getsource(Stepper.update))

# %%
params = list(nets["ReLU", "naive N(0, 1)"].parameters())  # their .grad holds the gradients measured above
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
# direction (a new shift every time an image is drawn), then score both on the original validation digits and on
# the validation digits shifted by one random pixel (the test set waits for section 7).

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


shifted_val = scaler.transform(random_shift(img_val, 1, rng=np.random.default_rng(5)).reshape(-1, 64))
for label, max_shift in [("no augmentation", 0), ("random shifts", 1)]:
    model = small_mlp(seed=1, hidden=128)
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=3e-3),
        ShiftedBatches(max_shift, np.random.default_rng(6)), epochs=10, progress=False)
    clean = (predict(model, X_val).argmax(axis=1) == y_val).mean()
    moved = (predict(model, shifted_val).argmax(axis=1) == y_val).mean()
    print(f"{label:>16}: validation accuracy {clean:.3f} on the original digits, {moved:.3f} on shifted ones")

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
# **Backward, derived.** Write $g_i = \partial L/\partial y_i$ for the upstream gradient (one feature; every feature
# is handled alike). From $y_i = \gamma \hat x_i + \beta$: $\ \partial L/\partial\gamma = \sum_i g_i \hat x_i$,
# $\ \partial L/\partial\beta = \sum_i g_i$, and $\hat g_i := \partial L / \partial \hat x_i = \gamma g_i$.
#
# The input $x_i$ reaches the loss through *every* $\hat x_j$, because each $\hat x_j$ uses $\mu$ and $\sigma^2$,
# which use every $x_i$. So, by the multivariate chain rule (chapter 04),
# $\partial L/\partial x_i = \sum_j \hat g_j\, \partial \hat x_j / \partial x_i$. Write $s = (\sigma^2 + \epsilon)^{-1/2}$,
# so that $\hat x_j = (x_j - \mu)\, s$, and take the pieces one at a time:
#
# 1. $\partial \mu / \partial x_i = \frac1N$.
# 2. $\partial \sigma^2 / \partial x_i = \frac2N (x_i - \mu)$: differentiating $\frac1N \sum_j (x_j - \mu)^2$ gives
#    $\frac2N (x_i - \mu)$ from the term $j = i$, plus $-\frac2N \sum_j (x_j - \mu) \cdot \frac1N$ through $\mu$, which
#    is 0 because deviations from the mean sum to 0.
# 3. $\partial s / \partial x_i = -\frac12 (\sigma^2 + \epsilon)^{-3/2} \cdot \frac2N (x_i - \mu) = -\frac1N s^3 (x_i - \mu)
#    = -\frac1N s^2\, \hat x_i$.
# 4. By the product rule, with $[i = j]$ equal to 1 when $i = j$ and 0 otherwise,
#    $\frac{\partial \hat x_j}{\partial x_i} = \big([i = j] - \tfrac1N\big)\, s + (x_j - \mu)\, \frac{\partial s}{\partial x_i}
#    = s\,\Big([i = j] - \frac1N - \frac{\hat x_i \hat x_j}{N}\Big)$, using $x_j - \mu = \hat x_j / s$.
#
# Summing over $j$:
# $$\frac{\partial L}{\partial x_i} = \frac{1}{\sqrt{\sigma^2 + \epsilon}}
# \Big(\hat g_i - \frac1N\sum_j \hat g_j - \hat x_i\,\frac1N\sum_j \hat g_j \hat x_j\Big).$$
# The two means remove from $\hat g$ its components along $(1, \dots, 1)$ and along $\hat x$: the two directions in
# which changing $x$ does not change $\hat x$ (a shift of every $x_i$ by the same amount, and a scaling).

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
    """Adam, lr 1e-3, on the 150 examples; weight_decay > 0 makes it AdamW's decoupled decay (0: plain Adam)."""
    loader = DataLoader((X_small, y_small), batch_size=32, shuffle=True, rng=np.random.default_rng(9))
    optimizer = optim.AdamW(model.parameters(), lr=1e-3, weight_decay=weight_decay)
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
# **L2 regularisation, and the three things called "weight decay".** Add $\frac{\lambda}{2}\sum w^2$ to the loss.
# Its gradient $\lambda w$ pulls every weight towards 0, the more the larger it is, so the network prefers many small
# weights to a few large ones (smoother functions). Three update rules go by the name *weight decay*, and they are
# not all the same:
#
# 1. **An L2 penalty in the loss.** `nn.l2_penalty(params, wd)` returns the penalty and adds $\lambda w$ to the
#    gradients; any optimizer then steps with $g + \lambda w$.
# 2. **SGD's `weight_decay=wd`** adds $\lambda w$ to the gradient inside the step:
#    $w \leftarrow w - \eta (g + \lambda w) = (1 - \eta\lambda)\, w - \eta g$, a shrink by the factor $1 - \eta\lambda$ at every
#    step, hence the name. For SGD, 1 and 2 are the same update.
# 3. **AdamW's decoupled decay.** `Adam(weight_decay=wd)` also just adds $\lambda w$ to the gradient, so it is the L2
#    penalty (1) inside Adam; but Adam then divides by $\sqrt{\hat v}$, so weights with large gradients are barely
#    decayed (chapter 05, section 8). AdamW instead shrinks $w \leftarrow (1 - \eta\lambda)\, w$ directly and takes
#    the Adam step on the loss gradient alone. For Adam, 1 equals `Adam(weight_decay)`, and neither equals AdamW.
#
# One step of each on two copies of the same network and batch shows which pairs agree:

# %%
def copies_with_gradients(seed=11):
    """Two copies of the same small network, each holding the gradient of the same batch's loss."""
    pair = small_mlp(seed=seed), small_mlp(seed=seed)
    for model in pair:
        loss_fn = nn.CrossEntropyLoss()
        loss_fn(model(X_train[:32]), y_train[:32])
        model.zero_grad()
        model.backward(loss_fn.backward())
    return pair


def max_weight_gap(model_a, model_b):
    return max(np.abs(a.data - b.data).max() for a, b in zip(model_a.parameters(), model_b.parameters()))


model_a, model_b = copies_with_gradients()
penalty = nn.l2_penalty(model_a.parameters(), 0.01)  # returns the penalty, adds 0.01 * w to model_a's gradients
optim.SGD(model_a.parameters(), lr=0.1).step()
optim.SGD(model_b.parameters(), lr=0.1, weight_decay=0.01).step()
print(f"penalty {penalty:.4f}; max |SGD + l2_penalty - SGD(weight_decay)| after one step: "
      f"{max_weight_gap(model_a, model_b):.1e}")
for other in ["Adam(weight_decay)", "AdamW(weight_decay)"]:
    model_a, model_b = copies_with_gradients()
    nn.l2_penalty(model_a.parameters(), 0.01)
    optim.Adam(model_a.parameters(), lr=1e-3).step()
    optimizer_cls = optim.Adam if other.startswith("Adam(") else optim.AdamW
    optimizer_cls(model_b.parameters(), lr=1e-3, weight_decay=0.01).step()
    print(f"max |Adam + l2_penalty - {other}| after one step: {max_weight_gap(model_a, model_b):.1e}")
num_race_steps = 60 * len(DataLoader((X_small, y_small), batch_size=32))  # 60 epochs of the race below
for decay in [1.0, 1e-2]:
    print(f"AdamW, lr 1e-3, weight_decay {decay}: the decay alone scales every weight by "
          f"{(1 - 1e-3 * decay) ** num_race_steps:.3f} over {num_race_steps} steps")

# %% [markdown]
# In the race below, the decay is AdamW's, with `weight_decay=1.0`: each step shrinks every weight by the factor
# $1 - \eta\lambda = 1 - 10^{-3}$; the last lines above give what that adds up to over the race, and how little
# AdamW's default, $10^{-2}$, would do here.
#
# **L1 regularisation and exact zeros.** The penalty $\lambda \sum |w|$ has the (sub)gradient
# $\lambda\,\mathrm{sign}(w)$: a pull of constant size towards 0, however small the weight. The theory says that this
# makes many weights exactly 0 (a *sparse* network). Added to the gradient for SGD (`nn.l1_penalty`), it does not: a
# weight near 0 is pushed by $\eta\lambda$ to the other side, then back, and jitters around 0 without ever landing
# on it. The minimiser of the penalised loss has exact zeros, but plain (sub)gradient steps do not find them.
#
# The *proximal* step does. Take the SGD step on the data loss alone, then solve the L1 part exactly: the point
# closest to the new $w$ after paying $\eta\lambda |w|$ is the *soft threshold*
# $$w \leftarrow \operatorname{sign}(w)\,\max(|w| - \eta\lambda,\ 0),$$
# which moves every weight $\eta\lambda$ towards 0 and sets those that would cross 0 to exactly 0. It belongs after the
# optimizer's step, `fit`'s `after_step` hook; the subgradient belongs before it, `after_backward`. Both on the small
# network (SGD, `lr=0.05`, $\lambda = 10^{-2}$ on the first layer's weights, 10 epochs), counting exact zeros in
# that layer. The pixels that are blank in every training image are a clean test: the data gives their weights
# no gradient at all, so only the penalty acts on them.

# %%
l1_lr, l1_strength = 0.05, 1e-2
blank = raw_train.std(axis=0) == 0  # (64,): pixels that are 0 in every training image
l1_results = {}
for method in ["subgradient (l1_penalty)", "proximal (soft threshold)"]:
    model = small_mlp(seed=11)
    weights = [model[0].weight]  # the penalty acts on the first layer's weights only

    def add_l1_gradient(weights=weights):
        nn.l1_penalty(weights, l1_strength)  # adds strength * sign(w) to each weight's gradient

    def soft_threshold(weights=weights):
        for w in weights:
            w.data = (np.sign(w.data) * np.maximum(np.abs(w.data) - l1_lr * l1_strength, 0)).astype(w.data.dtype)

    hooks = {"after_backward": add_l1_gradient} if method.startswith("sub") else {"after_step": soft_threshold}
    loader = DataLoader((X_train, y_train), batch_size=32, shuffle=True, rng=np.random.default_rng(17))
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=l1_lr), loader, epochs=10,
                  val_loader=val_loader, metrics=["accuracy"], progress=False, **hooks)
    first = model[0].weight.data  # (64 hidden, 64 pixels)
    l1_results[method] = first
    print(f"{method:>26}: exact zeros {np.mean(first == 0):.1%}, |w| < 1e-3 {np.mean(np.abs(first) < 1e-3):.1%}, "
          f"blank pixels' weights: max |w| {np.abs(first[:, blank]).max():.1e}; "
          f"val accuracy {history['val_accuracy'][-1]:.3f}")
print(f"{blank.sum()} blank pixels; the jitter step lr * strength = {l1_lr * l1_strength:.1e}")

# %% [markdown]
# The subgradient leaves no weight at exactly 0: the blank pixels' weights, which only the penalty moves, hover
# within one jitter step of 0. The proximal step sets them, and many others, to exactly 0, at the same validation
# accuracy. (With Adam the soft threshold above is not the exact proximal step, because Adam rescales each
# coordinate's step; sparse training with adaptive optimizers needs more care.)

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
with_decay = large_mlp(seed=10)
regularised["AdamW decay (weight_decay=1)"] = (with_decay, train_small(with_decay, weight_decay=1.0))
with_dropout = large_mlp(seed=10, p_drop=0.5)
regularised["dropout 0.5"] = (with_dropout, train_small(with_dropout))
stopped = large_mlp(seed=10)
regularised["early stopping (patience 10)"] = (stopped, train_small(stopped, early_stopping=EarlyStopping(patience=10)))
history = regularised["early stopping (patience 10)"][1]
print(f"early stopping: stopped at epoch {history.stopped_epoch}, weights of epoch {history.restored_epoch} restored")

print(f"\n{'':>30} {'last train loss':>15} {'train acc':>9} {'val acc':>8} {'val loss':>9} {'lowest val loss':>15} "
      f"{'|weights|':>9}")
for label, (model, history) in regularised.items():
    train_acc = (predict(model, X_small).argmax(axis=1) == y_small).mean()  # eval mode: no units dropped
    val = evaluate(model, val_loader, nn.CrossEntropyLoss(), metrics=["accuracy"])
    weight_norm = np.sqrt(sum(np.sum(p.data.astype(np.float64) ** 2) for p in model.parameters()))
    print(f"{label:>30} {history['loss'][-1]:15.4f} {train_acc:9.3f} {val['accuracy']:8.3f} {val['loss']:9.3f} "
          f"{min(history['val_loss']):15.3f} {weight_norm:9.1f}")

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
# The remedies change the *shape* of the validation curve more than its best value: with AdamW's decay the weights
# stay smaller (the last column) and the validation loss creeps up less, dropout keeps the training loss (measured with units dropped) well above the plain network's and
# makes both curves noisier, and early stopping keeps the weights of the best epoch. The validation accuracies stay
# within a few digits out of 270 of each other, which is within luck: all four networks classify their 150 training
# digits perfectly, and a regulariser cannot put back information that 150 examples do not hold. More data can: the
# network trained on all 1,257 training digits in section 7 beats every one of them.

# %% [markdown]
# ## 5. Hyperparameter tuning: grid search versus random search
#
# The learning rate and the width are not learned by gradient descent; we choose them by training with several
# values and comparing **validation** accuracy (never the test set: choosing on it would make the test score
# optimistic). With a budget of 9 trainings:
#
# - **grid search** tries every combination of 3 learning rates × 3 widths;
# - **random search** (Bergstra and Bengio, 2012) draws 9 pairs, the learning rate *log-uniformly* in
#   $[10^{-4}, 10^{-1}]$ and the width log-uniformly in $[16, 512]$. Log-uniform means that the *exponent* is drawn
#   uniformly: $\log_{10} \eta$ uniform in $[-4, -1]$, so each decade (0.0001 to 0.001, 0.001 to 0.01, ...) is equally
#   likely. A plain uniform draw would put 90% of the learning rates between 0.01 and 0.1, but what matters for a
#   learning rate is its order of magnitude.
#
# Each trial trains `64 → width → 10` with Adam for 6 epochs. Both searches describe a point by $u \in [0, 1]^2$,
# the two exponents rescaled to the unit square; `to_hyperparameters` turns it into a learning rate and a width.

# %%
def trial(lr, hidden, epochs=6):
    model = small_mlp(seed=12, hidden=hidden)
    loader = DataLoader((X_train, y_train), batch_size=32, shuffle=True, rng=np.random.default_rng(13))
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=lr), loader, epochs=epochs, progress=False)
    return evaluate(model, val_loader, nn.CrossEntropyLoss(), metrics=["accuracy"])["accuracy"]


def to_hyperparameters(u):
    """A point u of the unit square -> (lr, width): lr = 10^(-4 + 3 u_0) in [1e-4, 1e-1], width 2^(4 + 5 u_1)."""
    return 10 ** (-4 + 3 * u[0]), int(round(2 ** (4 + 5 * u[1])))


grid = [(lr, hidden, trial(lr, hidden)) for lr in [1e-4, 1e-3, 1e-2] for hidden in [16, 64, 256]]
search_rng = np.random.default_rng(14)
random_search = [(*to_hyperparameters(u), trial(*to_hyperparameters(u))) for u in search_rng.random((9, 2))]
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
# ### Bayesian optimisation
#
# Bayesian optimisation uses them. Its two ingredients:
#
# - a **surrogate**: a cheap model of "validation score as a function of the hyperparameters", fitted to the trials
#   so far, that predicts at any untried point both a score and how *unsure* it is. We use a *Gaussian process*
#   (GP): it assumes that the scores at two points are random but correlated, the more the closer the points, with
#   correlation $k(u, u') = \exp(-\lVert u - u' \rVert^2 / 2\ell^2)$ for a *length scale* $\ell$. Conditioning on the
#   observed scores $y$ at points $U$ gives, at a new point $u$, a Gaussian with mean
#   $m(u) = k(u, U)\,K^{-1} y$ and variance $s(u)^2 = 1 - k(u, U)\,K^{-1} k(U, u)$, where $K = k(U, U)$ (plus a small
#   noise term on its diagonal; the scores are first centred and scaled). At an observed point the mean is the
#   observed score and the variance about 0; far from all of them the mean falls back to the average score and the
#   variance back to 1.
# - an **acquisition function** that says where to try next. *Expected improvement* (EI) is the expected amount by
#   which the score at $u$ beats the best score so far, $y^\ast$, counting only improvements:
#   $\mathrm{EI}(u) = \mathbb E[\max(f(u) - y^\ast, 0)]$. For a Gaussian with mean $m$ and standard deviation $s$ this
#   is $(m - y^\ast)\,\Phi(z) + s\,\varphi(z)$ with $z = (m - y^\ast)/s$ ($\Phi$, $\varphi$: the standard normal
#   distribution function and density, as in chapter 02). It is large where the mean is high (*exploit*) or where the
#   surrogate is unsure (*explore*).
#
# Both are a few lines of NumPy in `dlcourse.tuning`:

# %%
print(inspect.getsource(gp_posterior))
print(inspect.getsource(expected_improvement))

# %% [markdown]
# The loop, in the open: start from 3 random points, then 6 times fit the GP to all trials so far, evaluate EI on a
# 41 × 41 grid of candidate points covering the unit square, and train at the candidate with the largest EI. A single
# comparison of 9 trials is at the mercy of luck, so we run both random search and Bayesian optimisation from 3
# different seeds; each Bayesian run starts from the same 3 random points as the random search with its seed, so the
# two differ only in how they choose the last 6 trials. The budget is 9 trainings for every method.

# %%
NUM_TRIALS, NUM_START = 9, 3
candidates_1d = np.linspace(0, 1, 41)
candidates = np.stack(np.meshgrid(candidates_1d, candidates_1d), axis=-1).reshape(-1, 2)  # (41*41, 2)


def bayesian_optimisation(seed):
    """Trials (lr, width, accuracy) chosen by a GP with expected improvement after NUM_START random ones."""
    points = list(np.random.default_rng(seed).random((NUM_START, 2)))  # the random search's first 3 points
    scores = [trial(*to_hyperparameters(u)) for u in points]
    while len(points) < NUM_TRIALS:
        mean, std = gp_posterior(np.array(points), np.array(scores), candidates, length_scale=0.25, noise=1e-3)
        u = candidates[np.argmax(expected_improvement(mean, std, max(scores)))]
        points.append(u)
        scores.append(trial(*to_hyperparameters(u)))
    return [(*to_hyperparameters(u), score) for u, score in zip(points, scores, strict=True)]


def random_trials(seed):
    return [(*to_hyperparameters(u), trial(*to_hyperparameters(u)))
            for u in np.random.default_rng(seed).random((NUM_TRIALS, 2))]


def best_so_far(results):
    return np.maximum.accumulate([accuracy for _, _, accuracy in results])


search_runs = {"grid": [grid], "random": [random_trials(seed) for seed in (20, 21, 22)],
               "Bayesian (GP + EI)": [bayesian_optimisation(seed) for seed in (20, 21, 22)]}
for name, runs in search_runs.items():
    finals = [best_so_far(run)[-1] for run in runs]
    after_six = [best_so_far(run)[5] for run in runs]
    print(f"{name:>18}: best validation accuracy after 9 trials {np.round(finals, 3)} (mean {np.mean(finals):.3f}); "
          f"after 6 trials, mean {np.mean(after_six):.3f}")
print("one validation digit is", f"{1 / len(y_val):.4f}", "of accuracy")

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.8), layout="constrained")
for color, (name, runs) in zip(["C0", "C1", "C2"], search_runs.items(), strict=True):
    for k, run in enumerate(runs):
        ax.plot(np.arange(1, NUM_TRIALS + 1), best_so_far(run), "o-", color=color, ms=3, alpha=0.8,
                label=name if k == 0 else None)
ax.set(xlabel="trials so far", ylabel="best validation accuracy so far", ylim=(0.85, 1.0),
       title="the same budget, three ways to spend it")
ax.legend()
plt.show()

# %% [markdown]
# In the picture, a random run and the Bayesian run of the same seed share their first 3 trials, so their curves
# coincide there; the grid's first trials use the smallest learning rate and start below the plotted range.
# Read the printed numbers with the scale of the last line: on 270 validation digits, one digit is about 0.004 of
# accuracy. Bayesian optimisation spends its last 6 trials near the best region it has seen (or where it is still
# unsure), while random search keeps scattering them; the printed means show how much that bought here. On this
# small problem all three searches end within a few validation digits of each other, because many settings are
# nearly as good: the case for Bayesian optimisation is strongest when each trial is expensive and good settings are
# rare. In practice one uses a library (Optuna's default sampler, the tree-structured Parzen estimator, is another
# surrogate of the same kind) and stops poor trials early (successive halving, Hyperband).

# %% [markdown]
# ## 6. Debugging a network that does not learn
#
# When a network will not train, four cheap checks find most bugs. Run them in this order; each rules out a class
# of mistakes before the next.
#
# **1. The loss at initialisation.** With small random weights the logits are close to each other, the softmax is
# close to uniform, $p_k \approx 1/K$, and the cross-entropy is close to $-\log(1/K) = \log K$: about 2.30 for ten
# classes. A first loss far above $\log K$ means confidently wrong logits from the start (weights too large, inputs not
# standardised, a bug in the loss); far below means the labels leak into the inputs.

# %%
loss_fn = nn.CrossEntropyLoss()
print(f"log K = log 10 = {np.log(10):.3f}")
print(f"initial loss, standardised inputs:     {float(loss_fn(small_mlp(seed=30)(X_train), y_train)):.3f}")
print(f"initial loss, raw pixels times 255:    {float(loss_fn(small_mlp(seed=30)(raw_train * 255), y_train)):.3f}")

# %% [markdown]
# **2. Overfit one batch.** A network with thousands of weights must be able to memorise 32 examples: train on a
# single batch until the loss is near 0. If it cannot, the bug is in the model, the loss or the backward pass, not
# in the amount of data or the regularisation, and there is no point in tuning anything else yet.

# %%
X_one, y_one = X_train[:32], y_train[:32]
model = small_mlp(seed=31)
optimizer = optim.Adam(model.parameters(), lr=1e-2)
one_batch_losses = []
for _ in range(150):
    loss = loss_fn(model(X_one), y_one)
    optimizer.zero_grad()
    model.backward(loss_fn.backward())
    optimizer.step()
    one_batch_losses.append(float(loss))
accuracy_on_batch = (predict(model, X_one).argmax(axis=1) == y_one).mean()
print(f"one batch of 32: loss {one_batch_losses[0]:.3f} -> {one_batch_losses[-1]:.5f} after 150 steps, "
      f"accuracy on it {accuracy_on_batch:.2f}")

# %% [markdown]
# **3. A learning-rate range test** (Smith, 2017). One pass over the training data in which the learning rate grows
# geometrically, from $10^{-5}$ to 10, by the same factor at every batch. The loss first barely moves (too small),
# then falls fastest, then blows up (too large). A good learning rate lies a little below the point where the loss
# is lowest; a common rule takes a tenth of the rate at that point. The loop is the usual one, with the rate set by
# hand before each step (`param_groups` holds the optimizer's settings).

# %%
model = small_mlp(seed=32)
optimizer = optim.SGD(model.parameters(), lr=1e-5)
range_loader = DataLoader((X_train, y_train), batch_size=16, shuffle=True, rng=np.random.default_rng(33))
range_lrs = np.geomspace(1e-5, 10, len(range_loader))  # one learning rate per batch
range_losses = []
for lr, (xb, yb) in zip(range_lrs, range_loader, strict=True):
    optimizer.param_groups[0]["lr"] = lr
    loss = float(loss_fn(model(xb), yb))
    if not np.isfinite(loss) or (range_losses and loss > 4 * range_losses[0]):  # blown up: stop the test
        break
    optimizer.zero_grad()
    model.backward(loss_fn.backward())
    optimizer.step()
    range_losses.append(loss)
smoothed = np.convolve(range_losses, np.ones(5) / 5, mode="valid")  # a 5-batch moving average
lowest_at = range_lrs[int(np.argmin(smoothed)) + 2]  # the centre of the best window
print(f"{len(range_losses)} batches before the loss blew up; smoothed loss lowest at lr = {lowest_at:.2g}; "
      f"suggested lr = {lowest_at / 10:.2g}")
fig, ax = plt.subplots(figsize=(6, 3.4), layout="constrained")
ax.semilogx(range_lrs[:len(range_losses)], range_losses, alpha=0.4, label="batch loss")
ax.semilogx(range_lrs[2:len(smoothed) + 2], smoothed, label="moving average of 5")
ax.axvline(lowest_at / 10, color="gray", ls=":", label="suggested lr")
ax.set(xlabel="learning rate (grows every batch)", ylabel="training loss", title="learning-rate range test, SGD")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **4. Statistics per layer.** Look inside: for every layer, the spread of its activations on a batch, and for every
# weight matrix the size of its gradient relative to the weights, $\lVert \bar W \rVert / \lVert W \rVert$ (times the
# learning rate, this is the fraction by which one step changes the layer). Activations that shrink layer by layer,
# or gradient ratios that differ by orders of magnitude between layers, point to the problems of sections 1 and 3.
# Here is the 8-layer tanh network of section 3 that would not learn, at initialisation, without and with batch
# normalisation:

# %%
def layer_report(model, X, y):
    """Per Linear layer: std of the tanh output that follows it, and ||dW|| / ||W|| for one batch."""
    h, activation_std = X, []
    for layer in model:
        h = layer(h)
        if isinstance(layer, nn.Tanh):
            activation_std.append(h.std())
    model.zero_grad()
    loss_fn(h, y)
    model.backward(loss_fn.backward())
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    ratios = [np.linalg.norm(m.weight.grad) / np.linalg.norm(m.weight.data) for m in linears]
    return np.array(activation_std), np.array(ratios)


for norm in ["none", "BatchNorm"]:
    activation_std, ratios = layer_report(deep_mlp(norm, seed=7), X_train[:256], y_train[:256])
    print(f"{norm:>9}: activation std per layer {np.round(activation_std, 3)}")
    print(f"{'':>9}  ||dW|| / ||W|| per layer  " + " ".join(f"{r:.0e}" for r in ratios))

# %% [markdown]
# Without normalisation the activations shrink over the first layers to a small spread that the later layers keep,
# and the gradient ratios are about two orders of magnitude smaller than with batch norm, smallest in the first
# layers: one step barely changes the network, which is the slow start of section 3. With batch norm every layer's
# output keeps the same spread and the gradient ratios are of one size from the first layer to the last.
#
# ## 7. The best model, in NumPy and in PyTorch
#
# We take the best (learning rate, width) of all the trials of section 5 and train that network properly: 30 epochs,
# with the learning rate annealed to 0 on a cosine schedule (chapter 05). Then, for the first and only time, the test
# set.

# %%
all_trials = grid + [result for runs in search_runs.values() for run in runs for result in run]
best_lr, best_hidden, _ = max(all_trials, key=lambda r: r[2])
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
# 7. In batch norm's backward pass, where do the two mean terms come from? (Derive $\partial \sigma^2 / \partial x_i$.)
# 8. What does a `BatchNorm1d` layer do differently in `eval()` mode, and why is that needed? Why does
#    `LayerNorm` have no such difference?
# 9. In inverted dropout, why divide by $1 - p$, and what happens at evaluation time?
# 10. For SGD, do an L2 penalty $\frac\lambda2 \lVert w \rVert^2$ in the loss and `SGD(weight_decay=λ)` give the same
#     update? For Adam, which of `Adam(weight_decay=λ)` and `AdamW(weight_decay=λ)` equals the L2 penalty, and what
#     does the other one do instead?
# 11. Why did random search try more learning rates than grid search with the same budget?
# 12. Why does SGD with `nn.l1_penalty` leave no weight at exactly zero, and what does the soft-threshold step do
#     differently? Where in the training loop does each go?
# 13. What does expected improvement reward, and why does Bayesian optimisation need a surrogate that knows how
#     unsure it is?
# 14. A fresh 10-class classifier starts with a loss of 9.5. What do you suspect, and what loss would you expect?
#
# ## What to try
#
# Section 1: use Xavier with the *gain* $5/3$ that `nn.init.calculate_gain("tanh")` suggests. The gain multiplies the
# standard deviation to make up for how much the activation shrinks the signal (chapter 04): tanh squashes, so its
# gain is above 1. Which curve moves?

# %% tags=["what-to-try"]
def xavier_with_gain(gain, rng):
    layers = []
    for _ in range(depth):
        linear = nn.Linear(width, width, rng=rng, dtype=np.float64)
        linear.weight.data = rng.normal(0.0, gain * np.sqrt(2.0 / (2 * width)), size=(width, width))
        linear.bias.data[:] = 0.0
        layers += [linear, nn.Tanh()]
    return nn.Sequential(*layers)


for gain in [1.0, 5 / 3]:
    act_std, grad_std = layer_statistics(xavier_with_gain(gain, np.random.default_rng(2)), X_deep,
                                         np.random.default_rng(3))
    print(f"tanh, Xavier x gain {gain:.2f}: activation std layer 1 {act_std[0]:.3f}, layer 50 {act_std[-1]:.3f}; "
          f"grad std layer 1 / layer 50 {grad_std[0] / grad_std[-1]:.2f}")

# %% [markdown]
# Section 1: clip with `nn.clip_grad_value_(params, 1e-3)` instead, and measure how far the direction turns (the
# cosine between the clipped and the original gradient; clipping by norm keeps it at 1).

# %% tags=["what-to-try"]
value_net = deep_network(nn.ReLU, "He", np.random.default_rng(2))
layer_statistics(value_net, X_deep, np.random.default_rng(3))  # fills the gradients
value_params = list(value_net.parameters())
original = np.concatenate([p.grad.ravel() for p in value_params])
nn.clip_grad_value_(value_params, 1e-3)
clipped = np.concatenate([p.grad.ravel() for p in value_params])
cosine = original @ clipped / (np.linalg.norm(original) * np.linalg.norm(clipped))
print(f"cosine between the gradient and its value-clipped version: {cosine:.3f}")

# %% [markdown]
# Section 3: raise the learning rate to 0.5 for the three networks (3 epochs here, to stay quick).

# %% tags=["what-to-try"]
for norm in ["none", "BatchNorm", "LayerNorm"]:
    model = deep_mlp(norm, seed=7)
    loader = DataLoader((X_train, y_train), batch_size=32, shuffle=True, rng=np.random.default_rng(8))
    try:
        history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.5), loader, epochs=3,
                      val_loader=val_loader, metrics=["accuracy"], progress=False)
        print(f"{norm:>10}, lr 0.5: training loss per epoch {np.round(history['loss'], 3)}, "
              f"validation accuracy {history['val_accuracy'][-1]:.3f}")
    except TrainingDiverged as error:
        print(f"{norm:>10}, lr 0.5: diverged at epoch {error.epoch}")

# %% [markdown]
# Section 4: train the plain network on 50 instead of 150 examples (20 epochs here): how far apart are the training
# and validation accuracies?

# %% tags=["what-to-try"]
model = large_mlp(seed=10)
loader = DataLoader((X_train[:50], y_train[:50]), batch_size=25, shuffle=True, rng=np.random.default_rng(9))
fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3), loader, epochs=20, progress=False)
print(f"50 examples: training accuracy {(predict(model, X_train[:50]).argmax(axis=1) == y_train[:50]).mean():.3f}, "
      f"validation accuracy {(predict(model, X_val).argmax(axis=1) == y_val).mean():.3f}")

# %% [markdown]
# Section 4: a stronger L1 penalty with the proximal step: how many first-layer weights become exactly 0, and what
# does it cost in validation accuracy?

# %% tags=["what-to-try"]
model = small_mlp(seed=11)
strong = 3e-2
loader = DataLoader((X_train, y_train), batch_size=32, shuffle=True, rng=np.random.default_rng(17))


def strong_soft_threshold():
    w = model[0].weight
    w.data = (np.sign(w.data) * np.maximum(np.abs(w.data) - l1_lr * strong, 0)).astype(w.data.dtype)


history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=l1_lr), loader, epochs=5,
              val_loader=val_loader, metrics=["accuracy"], progress=False, after_step=strong_soft_threshold)
print(f"strength {strong}: exact zeros in layer 1 {np.mean(model[0].weight.data == 0):.1%}, "
      f"validation accuracy {history['val_accuracy'][-1]:.3f}")

# %% [markdown]
# Section 5: give random search and Bayesian optimisation a budget of 18 trials, or add the batch size as a third
# hyperparameter (a third coordinate of $u$). The exercise for this chapter asks you to write batch norm's forward and
# backward passes, inverted dropout, clipping by norm and the soft-threshold step.
