# %% [markdown]
# # 12 · Transfer learning
#
# **The question.** Training a network from a random start needs many labelled examples. Often we have a network
# that was already trained on a related task with plenty of data, and only a handful of labels for the task we care
# about. What has that network learned that we can reuse, how do we reuse it, and when does reusing it *hurt*?
#
# **The idea.** The first layers of a trained CNN (chapter 07) compute features, edges, strokes and their
# combinations, that are useful far beyond the task it was trained on. Keep those layers, put a new last layer (a
# *head*) on top for the new task, and train either the head alone (*feature extraction*) or everything, the old
# layers with a smaller learning rate (*fine-tuning*). The task the network learned first is the *source*; the new
# one is the *target*.
#
# Plan: (1) a network pretrained by the course; (2) what each layer learned, measured with a linear probe;
# (3) freezing parameters and parameter groups, the two tools transfer needs, in NumPy; (4) the same in PyTorch, and
# a check that both agree; (5) learning curves: from scratch, feature extraction and fine-tuning, from 1 labelled
# example per class to all of them, on a target where transfer pays off and one where it hurts; (6) adapting to a
# new domain without any labels by re-estimating batch-norm statistics; (7) what fine-tuning makes the network
# forget; (8) the same recipe with a large pretrained ResNet; (9) what changes on a GPU; (10) the final test.

# %%
import copy
import inspect
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

import dlcourse.nn as nn
import dlcourse.optim as optim
import dlcourse.torch
from dlcourse.gradcheck import relative_error
from dlcourse.models import (
    WEIGHTS_PATH,
    build_numpy,
    build_torch,
    freeze_blocks,
    load_pretrained,
    source_task,
    target_task,
)
from dlcourse.widgets import transfer_explorer

rng = np.random.default_rng(0)
dlcourse.torch.seed_everything(0)
device = dlcourse.torch.device()
if device.type == "cpu":
    torch.set_num_threads(1)  # small networks: one thread is fastest, and never waits for a busy second core
big = device.type == "cuda"  # more runs per point of the learning curves on a GPU (section 9)

# %% [markdown]
# ## 1. A network pretrained by the course
#
# Real transfer learning starts from a network someone trained on a big dataset (ImageNet's 1.3 million photos, for
# the ResNets of section 8). This course downloads nothing, so it trains its own: a small CNN with batch norm
# (chapters 06 and 07) on the scikit-learn digits **0-4**, our *source task*. The script `tools/pretrain_cnn.py`
# trained it (seeded: rerun it to get the same file, byte for byte) and its weights ship with the package.
# `load_pretrained` returns it as a `dlcourse.nn` model, or as its PyTorch twin with the same parameter names.
#
# The network has four *blocks*, numbered like the children of a `Sequential`: two convolution blocks, a
# fully connected block, and the head `3`, whose 5 outputs are the logits of the digits 0-4.

# %%
model = load_pretrained("numpy")
print(model)
num_params = sum(p.data.size for p in model.parameters())
print(f"{num_params:,} parameters; weights file {WEIGHTS_PATH.name}: {WEIGHTS_PATH.stat().st_size / 1024:.1f} KiB")

# %% [markdown]
# The source data and the targets are fixed splits of the 1,797 digits (`dlcourse.models.source_task` and
# `target_task`): 70% of each digit for training, 30% held out. The pretrained network was trained on the source's
# training part and has never seen its held-out part, which we split in two: a *validation* set for every
# measurement in this chapter, and a *test* set used once, in the last section. `hold_out_mask` picks the same
# share of each class for the second part.

# %%
def hold_out_mask(y, fraction, rng):
    """A boolean mask that is True for `fraction` of the examples of each class (the second part)."""
    second = np.concatenate([
        rng.permutation(np.flatnonzero(y == c))[: int(round(fraction * np.sum(y == c)))] for c in np.unique(y)])
    mask = np.zeros(len(y), dtype=bool)
    mask[second] = True
    return mask


_, _, Xs_held, ys_held = source_task()
source_test_mask = hold_out_mask(ys_held, 0.5, rng)
Xs_val, ys_val = Xs_held[~source_test_mask], ys_held[~source_test_mask]
Xs_test, ys_test = Xs_held[source_test_mask], ys_held[source_test_mask]


def accuracy_numpy(model, X, y):
    return float(np.mean(model(X).argmax(axis=1) == y))


print(f"source validation accuracy of the pretrained network: {accuracy_numpy(model, Xs_val, ys_val):.3f} "
      f"on {len(ys_val)} images of the digits 0-4")

# %% [markdown]
# Three target tasks, each with 5 classes so that the same head shape fits:
#
# - **new digits**: the digits 5-9 (labelled 0-4), clean. Used to see what the layers learned (section 2) and what
#   fine-tuning forgets (section 7). Its training part is split into a *pool* that labelled examples are drawn
#   from and a validation set; its held-out part is the test set.
# - **faded**: the digits 0-4 again, but as a washed-out scan would show them, $x \mapsto 0.35 + 0.4\,x$: grey
#   strokes on a grey page. Same classes, new *domain*.
# - **inverted**: the digits 0-4 as dark strokes on a white page, $x \mapsto 1 - x$. Same classes, another domain.
#
# The faded and inverted images are the source's own digits, seen differently. The network was trained on the clean
# versions of their training part, so that part is only the pool to draw labels from; their validation and test
# images are the faded (or inverted) versions of the source's validation and test images, which the network never
# saw in any form.

# %%
targets = {}
X_train, y_train, X_test, y_test = target_task("clean", new_digits=True)
val_mask = hold_out_mask(y_train, 0.25, rng)
targets["new digits"] = {"pool": (X_train[~val_mask], y_train[~val_mask]),
                         "val": (X_train[val_mask], y_train[val_mask]), "test": (X_test, y_test)}
for domain in ("faded", "inverted"):
    X_train, y_train, X_held, y_held = target_task(domain, new_digits=False)
    assert np.array_equal(y_held, ys_held)  # the same images, in the same order, as the source's held-out part
    targets[domain] = {"pool": (X_train, y_train), "val": (X_held[~source_test_mask], y_held[~source_test_mask]),
                       "test": (X_held[source_test_mask], y_held[source_test_mask])}
for name, parts in targets.items():
    print(f"{name:10s}: {len(parts['pool'][1])} training images to draw labels from, {len(parts['val'][1])} "
          f"validation, {len(parts['test'][1])} test")

# %%
fig, axes = plt.subplots(len(targets), 5, figsize=(6, 3.9))
for row, name in zip(axes, targets, strict=True):
    X_pool, y_pool = targets[name]["pool"]
    for label, ax in enumerate(row):
        ax.imshow(X_pool[np.flatnonzero(y_pool == label)[0], 0], cmap="gray", vmin=0, vmax=1)  # 0 black, 1 white
        ax.set_xticks([])
        ax.set_yticks([])
    row[0].set_ylabel(name, fontsize=9)
fig.suptitle("one image of each label (0-4) in the three targets, on the same grey scale", fontsize=10)
plt.show()

# %% [markdown]
# ## 2. What each layer learned: a linear probe
#
# Feed images through the first $\ell$ blocks and flatten the result: each image becomes a *feature vector*. How
# useful are these features for a new task? The simplest measure is a **linear probe**: fit a linear classifier on
# the features of a few labelled examples and see how well it classifies the validation images. A linear model
# cannot invent new features, so its accuracy measures the features.
#
# We fit the probe by least squares, which has a closed form (no training loop). Stack the $N$ feature vectors,
# standardised and with a constant 1 appended for the bias, as the rows of $F$ ($N \times D$), and the one-hot
# labels as $Y$ ($N \times K$). Minimise the squared error plus a small penalty $\lambda$ on the weights (ridge,
# chapter 06's weight decay):
# $$L(W) = \lVert F W - Y \rVert^2 + \lambda \lVert W \rVert^2 .$$
# $L$ is a quadratic in $W$; its gradient is $2F^\top(FW - Y) + 2\lambda W$ (the gradient of $\lVert A W - B
# \rVert^2$ is $2A^\top(AW - B)$, as for the least-squares surface of chapter 05). Setting it to zero gives
# $$(F^\top F + \lambda I)\, W = F^\top Y ,$$
# a linear system that `np.linalg.solve` solves. The probe predicts the class with the largest score $f^\top W$.

# %%
def ridge_probe(F_train, y_train, F_val, y_val, lam=1.0, num_classes=5):
    """Validation accuracy of a least-squares linear classifier on features (N, D)."""
    mean, std = F_train.mean(axis=0), F_train.std(axis=0) + 1e-6  # standardise with training statistics only

    def with_bias(F):
        return np.hstack([(F - mean) / std, np.ones((len(F), 1))])  # (N, D) -> (N, D+1)

    A, Y = with_bias(F_train), np.eye(num_classes)[y_train]  # (N, D+1), (N, K)
    W = np.linalg.solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ Y)  # (D+1, K)
    return float(np.mean((with_bias(F_val) @ W).argmax(axis=1) == y_val))


def layer_features(model, X):
    """[pixels, output of block 0, block 1, block 2], each flattened to (N, D)."""
    features, h = [X.reshape(len(X), -1)], X
    for block in list(model)[:3]:
        h = block(h)
        features.append(h.reshape(len(h), -1))  # (N, C, H, W) -> (N, C*H*W)
    return features

# %% [markdown]
# We probe the pretrained network and, as a control, the same network with random weights (random features are
# not useless: chapter 07's convolutions already build in locality). The task is the **new digits**, with 10
# labelled examples per class (the accuracy is averaged over 10 draws of them); the network never saw a 5, 6, 7, 8
# or 9.

# %%
def draw_labelled(y, per_class, rng):
    """Indices of `per_class` random examples of each class (all of them if there are fewer)."""
    return np.concatenate([rng.permutation(np.flatnonzero(y == c))[:per_class] for c in np.unique(y)])


X_pool, y_pool = targets["new digits"]["pool"]
X_val, y_val = targets["new digits"]["val"]
NUM_PROBE_DRAWS = 10  # each probe is a linear solve: averaging over draws of the 10 labels costs little
random_net = build_numpy(5, rng=np.random.default_rng(1)).eval()
layer_names = ["pixels", "block 0 (conv)", "block 1 (conv)", "block 2 (dense)"]
draws = [draw_labelled(y_pool, 10, rng) for _ in range(NUM_PROBE_DRAWS)]  # the same draws for both networks
probe = {}
for label, net in [("pretrained", model), ("random weights", random_net)]:
    pool_feats, val_feats = layer_features(net, X_pool), layer_features(net, X_val)  # each layer's, computed once
    scores = np.zeros((NUM_PROBE_DRAWS, len(layer_names)))
    for draw, idx in enumerate(draws):
        scores[draw] = [ridge_probe(F[idx], y_pool[idx], G, y_val) for F, G in zip(pool_feats, val_feats, strict=True)]
    probe[label] = scores.mean(axis=0)
for i, layer in enumerate(layer_names):
    print(f"{layer:16s} D = {layer_features(model, X_val[:1])[i].shape[1]:4d}: probe accuracy pretrained "
          f"{probe['pretrained'][i]:.3f}, random weights {probe['random weights'][i]:.3f}")

# %%
fig, ax = plt.subplots(figsize=(8, 3.5))
positions = np.arange(len(layer_names))
for offset, label in [(-0.2, "pretrained"), (0.2, "random weights")]:
    ax.bar(positions + offset, probe[label], width=0.4, label=label)
ax.set_xticks(positions, layer_names)
ax.set_ylim(0.5, 1.0)
ax.set_ylabel("probe accuracy (validation)")
ax.set_title("linear probe on each block's features, new digits 5-9, 10 labels per class (mean of 10 draws)")
ax.legend()
plt.show()

# %% [markdown]
# Read the printed numbers. At every block, a linear probe separates the pretrained features better than the same
# block's features with random weights, for digits the network never saw: what the blocks learned on 0-4 (strokes,
# curves, where they are) carries over. The gap grows with depth: it is small at block 0, where random 3x3 filters
# followed by batch norm and pooling already give useful local contrasts, and largest at block 2. Yet block 2, the
# last before the head, gives the lowest probe accuracy of the three pretrained blocks: it was trained to separate
# exactly the digits 0-4, and is the most *specialised*. This is the general pattern of deep networks: early layers
# are generic, late layers task-specific. It is why the head is always replaced, and why unfreezing the last blocks
# (fine-tuning) is often worth more than freezing everything.
#
# ## 3. Freezing and parameter groups, in NumPy
#
# Reusing a network needs two tools that `dlcourse.nn` and `dlcourse.optim` share with PyTorch:
#
# - **`requires_grad`**: every `Parameter` has it (True by default). `module.requires_grad_(False)` sets it to False
#   for all parameters of a module: its `backward` still passes the gradient on to the layers below, but adds
#   nothing to the frozen parameters' `.grad`, and optimizers skip them. The weights stay exactly as they were.
# - **parameter groups**: instead of `model.parameters()`, an optimizer accepts a list of dicts, each with its own
#   `"params"` and any hyperparameters that differ from the defaults given to the constructor. Fine-tuning uses one
#   group for the new head at learning rate $\eta$ and one for the pretrained blocks at a smaller $\eta / 10$, so
#   that the head learns quickly while the features, already good, move slowly.
#
# `freeze_blocks(model, k)` freezes the first $k$ blocks; here is its whole code.

# %%
print(inspect.getsource(freeze_blocks))

# %% [markdown]
# A fine-tuning run in NumPy on the **faded** digits, with 3 labelled examples per class: load the pretrained
# network, replace its head with a new `Linear(64, 5)` (the old head's weights belong to the source task), and put
# head and backbone in two parameter groups for Adam (chapter 05). The loop is chapter 06's loop.

# %%
LR = 3e-3  # the head's learning rate (Adam)
BACKBONE_LR_FACTOR = 0.1  # the pretrained blocks learn 10 times more slowly when fine-tuned


def new_head_model(dtype=np.float32, seed=0):
    """The pretrained network with a fresh head (NumPy)."""
    net = load_pretrained("numpy", dtype=dtype)
    setattr(net, "3", nn.Linear(64, 5, rng=np.random.default_rng(seed), dtype=dtype))  # replaces child "3", the head
    return net


def train_numpy(net, optimizer, X, y, batches):
    """One optimizer step per batch of indices; returns the losses."""
    loss_fn, losses = nn.CrossEntropyLoss(), []
    net.train()
    for batch in batches:
        optimizer.zero_grad()
        loss = loss_fn(net(X[batch]), y[batch])
        net.backward(loss_fn.backward())
        optimizer.step()
        losses.append(float(loss))
    return losses


X_pool, y_pool = targets["faded"]["pool"]
X_val, y_val = targets["faded"]["val"]
labelled = draw_labelled(y_pool, 3, rng)
batches = [labelled] * 60  # 15 examples: every step uses all of them

def fine_tuning_groups(net):
    """Two parameter groups: the head at the default lr, the pretrained blocks 0-2 at a smaller one."""
    backbone = [p for block in list(net)[:3] for p in block.parameters()]
    return [{"params": list(net[3].parameters())}, {"params": backbone, "lr": LR * BACKBONE_LR_FACTOR}]


net = new_head_model()
optimizer = optim.Adam(fine_tuning_groups(net), lr=LR)
print("(parameters, lr) per group:", [(len(g["params"]), g["lr"]) for g in optimizer.param_groups])
losses = train_numpy(net, optimizer, X_pool, y_pool, batches)
net.eval()
print(f"fine-tuned on {len(labelled)} labelled images: loss {losses[0]:.3f} -> {losses[-1]:.3f}, "
      f"validation accuracy {accuracy_numpy(net, X_val, y_val):.3f}")

# %% [markdown]
# Feature extraction instead: freeze blocks 0-2 and train only the new head. The frozen weights do not change by a
# single bit, and their gradients stay zero.

# %%
net = new_head_model()
print("frozen:", freeze_blocks(net, 3))
before = {k: v.copy() for k, v in net.state_dict().items() if not k.startswith("3.")}
optimizer = optim.Adam([p for p in net.parameters() if p.requires_grad], lr=LR)
for block in list(net)[:3]:
    block.eval()  # frozen blocks also keep their batch-norm statistics: evaluation mode inside the loop
loss_fn = nn.CrossEntropyLoss()
for batch in batches:
    optimizer.zero_grad()
    loss_fn(net(X_pool[batch]), y_pool[batch])
    net.backward(loss_fn.backward())
    optimizer.step()
net.eval()
unchanged = all(np.array_equal(before[k], v) for k, v in net.state_dict().items() if k in before)
print(f"backbone unchanged: {unchanged}; largest backbone |grad|: "
      f"{max(np.abs(p.grad).max() for block in list(net)[:3] for p in block.parameters()):.1f}; "
      f"validation accuracy {accuracy_numpy(net, X_val, y_val):.3f}")

# %% [markdown]
# ## 4. The same in PyTorch, and a check that both agree
#
# In PyTorch the code barely changes: `param.requires_grad_(False)` and `torch.optim.Adam([{"params": ...,
# "lr": ...}, ...])`. We run the fine-tuning above in both libraries in float64, from the same weights, the same new
# head and the same batches, and compare every parameter at the end.

# %%
def torch_twin(np_net):
    """A torch copy of a dlcourse network (same architecture, weights and dtype)."""
    twin = build_torch(5).double() if np_net[3].weight.dtype == np.float64 else build_torch(5)
    dlcourse.torch.copy_weights_to_torch(np_net, twin)
    return twin


ours = new_head_model(np.float64)
theirs = torch_twin(ours)
our_opt = optim.Adam(fine_tuning_groups(ours), lr=LR)
their_opt = torch.optim.Adam(fine_tuning_groups(theirs), lr=LR)  # the same function builds torch's groups
train_numpy(ours, our_opt, X_pool.astype(np.float64), y_pool, batches[:20])
theirs.train()
X_t, y_t = torch.from_numpy(X_pool.astype(np.float64)), torch.from_numpy(y_pool)
for batch in batches[:20]:
    their_opt.zero_grad()
    torch.nn.functional.cross_entropy(theirs(X_t[batch]), y_t[batch]).backward()
    their_opt.step()
their_state = theirs.state_dict()
worst = max(relative_error(value, their_state[key].numpy()) for key, value in ours.state_dict().items()
            if value.dtype == np.float64)
print(f"after 20 steps: largest relative error over all parameters and batch-norm statistics {worst:.1e}")

# %% [markdown]
# ## 5. Learning curves: scratch, feature extraction, fine-tuning
#
# Now the question of the chapter: with $n$ labelled examples per class, which is best, (a) training the network
# **from scratch**, (b) **feature extraction** (blocks 0-2 frozen, new head) or (c) **fine-tuning** (new head at
# $\eta$, pretrained blocks at $\eta/10$)? We let $n$ run from 1 to all (about 125 per class), on two targets: the
# faded digits and the inverted digits. Every run takes the same number of Adam steps, on mini-batches of at most
# 64 images.
#
# Many runs are needed, so we use PyTorch here, and one more trick that a frozen network allows: in evaluation mode
# the frozen blocks are a fixed function, so their output for every training image is computed **once**, and the
# loop trains only the remaining blocks on those cached features. (In training mode they would not be fixed: batch
# norm would normalise each batch with that batch's own statistics, so an image's features would depend on the other
# images in its batch, and the running statistics would drift.) With `num_frozen` blocks frozen,
# `model[:num_frozen]` is the frozen part and `model[num_frozen:]` the trained part.

# %%
NUM_STEPS = 100
BATCH_SIZE = 64


def train_torch(num_frozen, X, y, *, pretrained=True, seed=0, num_steps=NUM_STEPS,
                backbone_lr_factor=BACKBONE_LR_FACTOR):
    """Train a new head (and blocks num_frozen..2) on (X, y); returns the whole network in eval mode."""
    torch.manual_seed(seed)
    net = load_pretrained("torch") if pretrained else build_torch(5)
    net[3] = torch.nn.Linear(64, 5)  # the new head
    freeze_blocks(net, num_frozen)
    rest = [p for p in net[:3].parameters() if p.requires_grad]
    groups = [{"params": net[3].parameters()}]
    if rest:
        groups.append({"params": rest, "lr": LR * backbone_lr_factor if pretrained else LR})
    optimizer = torch.optim.Adam(groups, lr=LR)
    net = net.to(device)
    frozen_part, trained_part = net[:num_frozen].eval(), net[num_frozen:].train()
    X_t, y_t = torch.from_numpy(X).to(device), torch.from_numpy(y).to(device)
    with torch.no_grad():
        features = frozen_part(X_t)  # computed once: frozen blocks never change
    batch_rng = np.random.default_rng(seed)
    for _ in range(num_steps):
        batch = torch.from_numpy(batch_rng.choice(len(X), min(BATCH_SIZE, len(X)), replace=False)).to(device)
        loss = torch.nn.functional.cross_entropy(trained_part(features[batch]), y_t[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return net.eval()


def accuracy_torch(net, X, y):
    return float(np.mean(dlcourse.torch.predict(net, X).argmax(axis=1) == y))

# %% [markdown]
# The three methods are three settings of `train_torch`. For each target and each $n$ we draw the labelled examples,
# train, and measure validation accuracy. A single draw of 1 example per class is a lottery, so each point averages
# `NUM_DRAWS` draws (more on a GPU); even so, expect a point or two of noise between neighbouring counts. Training
# from scratch keeps all blocks in training mode, so its batch norm learns the target's statistics from its own
# batches.

# %%
METHODS = {"scratch": {"num_frozen": 0, "pretrained": False},
           "feature extraction": {"num_frozen": 3, "pretrained": True},
           "fine-tuning": {"num_frozen": 0, "pretrained": True}}
COUNTS = [1, 3, 10, 30, 1000]  # labelled examples per class; 1000 means all of the pool
NUM_DRAWS = 5 if big else 2


def learning_curve(target, settings):
    """Mean validation accuracy for each count in COUNTS."""
    (X_pool, y_pool), (X_val, y_val) = targets[target]["pool"], targets[target]["val"]
    curve = []
    for count in COUNTS:
        scores = []
        for draw in range(NUM_DRAWS):
            idx = draw_labelled(y_pool, count, np.random.default_rng(100 * count + draw))
            scores.append(accuracy_torch(train_torch(X=X_pool[idx], y=y_pool[idx], seed=draw, **settings),
                                         X_val, y_val))
        curve.append(float(np.mean(scores)))
    return curve


start = time.perf_counter()
curves = {(target, method): learning_curve(target, settings)
          for target in ("faded", "inverted") for method, settings in METHODS.items()}
print(f"{len(curves) * len(COUNTS) * NUM_DRAWS} training runs in {time.perf_counter() - start:.1f} s")

# %%
all_count = len(targets["faded"]["pool"][1]) // 5
header = "".join(f"{(c if c < 1000 else f'all ({all_count})'):>10}" for c in COUNTS)
for target in ("faded", "inverted"):
    print(f"{target} digits 0-4, validation accuracy; labelled examples per class:\n{'':20s}{header}")
    for method in METHODS:
        print(f"{method:20s}" + "".join(f"{a:10.3f}" for a in curves[(target, method)]))

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, target in zip(axes, ("faded", "inverted"), strict=True):
    for method in METHODS:
        ax.plot(COUNTS[:-1] + [all_count], curves[(target, method)], "o-", label=method)
    ax.set_xscale("log")
    ax.set_xlabel("labelled examples per class")
    ax.set_title(f"target: {target} digits 0-4")
axes[0].set_ylabel("validation accuracy")
axes[0].legend()
plt.show()

# %%
def gains(target, method):
    return np.array(curves[(target, method)]) - np.array(curves[(target, "scratch")])


for target in ("faded", "inverted"):
    for method in ("feature extraction", "fine-tuning"):
        differences = " ".join(f"{g:+.3f}" for g in gains(target, method))
        print(f"{target:9s} {method:19s} minus scratch, per count: {differences}")
print(f"faded: the best transfer method beats scratch at 1 example per class by "
      f"{max(gains('faded', m)[0] for m in ('feature extraction', 'fine-tuning')):+.3f}")
best_transfer = np.maximum(gains("inverted", "feature extraction"), gains("inverted", "fine-tuning"))
print(f"inverted: even the better transfer method is worse than scratch at {np.sum(best_transfer < 0)} of "
      f"{len(COUNTS)} counts")

# %% [markdown]
# **Where transfer pays off.** On the faded digits, the differences printed above show the pretrained network well
# ahead of training from scratch when labels are few, and the gap closing as labels grow: with enough labels,
# scratch catches up, because the target alone then holds all the information it needs. What transfer buys is
# labels.
#
# **Where it hurts (negative transfer).** On the inverted digits, feature extraction is *worse* than training from
# scratch at every count: its printed differences are all negative. The task is the *same* (the digits 0-4), but the
# pretrained filters were tuned to bright strokes on a dark background, and here the background is bright: the first
# block's detectors fire on the page instead of the pen, and the frozen batch-norm statistics, measured on the source,
# no longer match. Fine-tuning can change the features, and ends up close to scratch, a little ahead at some counts
# and behind at others: the pretrained start bought little or nothing here. Transfer is a bet that source and target are
# alike *as the network sees them*, not as we describe them: "the same digits" was not enough. When the bet fails,
# only a comparison with training from scratch, as here, shows it.
#
# The explorer below shows the whole grid for the faded digits: accuracy for every number of frozen blocks (0 =
# fine-tuning everything, 3 = feature extraction) against the number of labels. It trains the missing settings
# (1 and 2 frozen blocks) first.

# %%
frozen_grid = [0, 1, 2, 3]
grid = np.array([curves[("faded", "fine-tuning")]]
                + [learning_curve("faded", {"num_frozen": k, "pretrained": True}) for k in (1, 2)]
                + [curves[("faded", "feature extraction")]])
transfer_explorer(np.array(COUNTS[:-1] + [all_count]), np.array(frozen_grid), grid,
                  np.array(curves[("faded", "scratch")]), title="faded digits 0-4", ylabel="validation accuracy")

# %% [markdown]
# ## 6. Adapting without labels: re-estimating batch norm
#
# Suppose the faded scans come with **no labels at all**. The pretrained network, with its *source* head (the
# classes are the same digits 0-4), can still be used; how well does it do?
#
# Batch norm (chapter 06) normalises each channel with the running mean $\mu$ and variance $\sigma^2$ it measured
# on the *source* images. Fading changes the input to $x' = a + b\,x$ with $a = 0.35$, $b = 0.4$. The first
# convolution is linear, so on the faded image each channel's output becomes
# $z' = b\,z + a \sum w$, away from the borders where zero padding breaks the sum: an affine change of each channel,
# exactly what batch norm's statistics describe. Re-measure $\mu$ and $\sigma^2$ on *unlabelled* target images, and
# $(z' - \mu')/\sigma' = (z - \mu)/\sigma$: the first block sees its familiar input again (up to the borders).
# Later blocks get the same treatment, one after the other.
#
# In code: reset each `BatchNorm2d`'s running statistics, set `momentum=None` (a plain average over all batches,
# as in PyTorch), run the unlabelled images through the network in training mode without any optimizer step, then
# switch back to evaluation mode.

# %%
def reestimate_batch_norm(net, X_unlabelled, batch_size=256):
    """Replace every BatchNorm's running statistics by those of X_unlabelled (no labels, no gradient step)."""
    norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in norms:
        bn.running_mean[:] = 0.0
        bn.running_var[:] = 1.0
        bn.num_batches_tracked = np.array(0)
        bn.momentum = None  # cumulative average over the batches below
    net.train()
    for start in range(0, len(X_unlabelled), batch_size):
        net(X_unlabelled[start:start + batch_size])  # forward only: updates the running statistics
    for bn in norms:
        bn.momentum = 0.1
    return net.eval()


adaptation = {}
for target in ("faded", "inverted"):
    (X_unlabelled, _), (X_val, y_val) = targets[target]["pool"], targets[target]["val"]
    before = accuracy_numpy(load_pretrained("numpy"), X_val, y_val)
    after = accuracy_numpy(reestimate_batch_norm(load_pretrained("numpy"), X_unlabelled), X_val, y_val)
    adaptation[target] = (before, after)
    print(f"{target:9s}: source network on target validation {before:.3f}; after re-estimating batch norm on "
          f"{len(X_unlabelled)} unlabelled target images {after:.3f} (gain {after - before:+.3f})")

# %% [markdown]
# The printed gains: with zero labels, re-estimating two statistics per channel gives back, on the faded digits,
# almost all that the domain change took away (compare with the source accuracy in section 1). On the inverted digits
# the first convolution's output is an affine map of the old one too, but with slope $b = -1$: normalising divides by
# $\sigma' > 0$ and cannot undo the sign, so every normalised response comes out flipped, and the ReLU after batch
# norm keeps the opposite half. The small printed gain there is what two statistics can do against a change that
# they cannot express. This recipe is often called AdaBN; it costs one pass over unlabelled data.
#
# ## 7. What fine-tuning forgets
#
# After fine-tuning on a new task, can the network still do the old one? We fine-tune on all the **new digits**
# (5-9), keeping a copy of the old head. Then we put the old head back on the fine-tuned blocks and measure the
# source accuracy. Three recipes: the backbone at the same learning rate as the head, at a tenth of it, and frozen.

# %%
X_new, y_new = targets["new digits"]["pool"]
source_head = copy.deepcopy(load_pretrained("torch")[3])
forgetting = {}
for recipe, settings in [("same lr", {"num_frozen": 0, "backbone_lr_factor": 1.0}),
                         ("lr / 10", {"num_frozen": 0, "backbone_lr_factor": 0.1}),
                         ("frozen blocks 0-2", {"num_frozen": 3})]:
    tuned = train_torch(X=X_new, y=y_new, num_steps=3 * NUM_STEPS, **settings)
    new_task = accuracy_torch(tuned, *targets["new digits"]["val"])
    tuned[3] = source_head.to(device)  # the old head on the fine-tuned blocks
    forgetting[recipe] = accuracy_torch(tuned, Xs_val, ys_val)
    print(f"{recipe:18s}: new digits {new_task:.3f}; back on the source digits 0-4: {forgetting[recipe]:.3f}")
print(f"before fine-tuning the source accuracy was {accuracy_numpy(model, Xs_val, ys_val):.3f}")

# %% [markdown]
# This is **catastrophic forgetting**: nothing in the loss of the new task asks the network to keep the old one, so
# the shared blocks drift to wherever the new task wants them, and the old head no longer fits what it is given. The
# drop printed above is largest with the full learning rate, smaller with a tenth of it, and zero with frozen
# blocks (only the head, which we swapped back, changed; batch norm's statistics stay in evaluation mode there).
# Keeping the old task alive needs its data (train on both) or a penalty that holds important weights near their
# old values; a frozen backbone trades accuracy on the new task for perfect memory of the old.
#
# ## 8. The same with a large pretrained network: torchvision's ResNet
#
# In practice the source is ImageNet and the network a ResNet (chapter 07 built a small one). torchvision provides
# the architecture; its weights come as a file of about 45 MB (`resnet18-f37072fd.pth`). This course downloads
# nothing, so the code below uses the file only **if you have it on disk** (and torchvision installed: `pip install
# torchvision`, then download the weights once, for example with `torchvision.models.resnet18(weights="DEFAULT")`,
# which stores them under `~/.cache/torch/hub/checkpoints/`). Without them, it says what is missing and skips.
#
# The recipe is the one of this chapter: replace the head (`fc`, 1000 ImageNet classes) by a new `Linear`, freeze or
# give the backbone a smaller learning rate, and feed images as the network was trained on them: 3 channels,
# normalised with ImageNet's channel means and standard deviations, at least 32 pixels on a side.

# %%
RESNET_WEIGHTS = Path.home() / ".cache" / "torch" / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def resnet_for_digits(weights_path=RESNET_WEIGHTS, num_classes=5):
    """An ImageNet ResNet-18 with a new head and a frozen backbone, or None (with the reason) when unavailable."""
    try:
        import torchvision
    except ImportError:
        print("torchvision is not installed (pip install torchvision): skipping the ResNet example")
        return None
    if not Path(weights_path).exists():
        print(f"no ImageNet weights at {weights_path}: skipping the ResNet example")
        return None
    resnet = torchvision.models.resnet18()
    resnet.load_state_dict(torch.load(weights_path, map_location="cpu", weights_only=True))
    for param in resnet.parameters():
        param.requires_grad_(False)  # feature extraction; for fine-tuning, use parameter groups instead
    resnet.fc = torch.nn.Linear(resnet.fc.in_features, num_classes)  # new head, trainable
    return resnet


def to_imagenet_input(X):
    """(N, 1, 8, 8) digits in [0, 1] -> (N, 3, 64, 64), normalised like ImageNet photos."""
    X = torch.nn.functional.interpolate(torch.from_numpy(X), size=64, mode="bilinear", align_corners=False)
    X = X.repeat(1, 3, 1, 1)  # (N, 1, 64, 64) -> (N, 3, 64, 64): grey in every colour channel
    mean, std = torch.tensor(IMAGENET_MEAN)[:, None, None], torch.tensor(IMAGENET_STD)[:, None, None]
    return (X - mean) / std


resnet = resnet_for_digits()
if resnet is not None:
    trainable = sum(p.numel() for p in resnet.parameters() if p.requires_grad)
    print(f"ResNet-18: {sum(p.numel() for p in resnet.parameters()):,} parameters, {trainable:,} trainable")
    print("logits of two faded digits:", resnet.eval()(to_imagenet_input(targets["faded"]["pool"][0][:2])).shape)

# %% [markdown]
# With the weights present, training is the loop of `train_torch`, with `resnet.fc` as the new head and
# `resnet.layer4` perhaps unfrozen in its own parameter group. Two things differ from our small network: ImageNet
# features are far more generic than what about 630 digits can teach (they were learned from a million photos), and
# the network has 11.7 million parameters against our thirteen thousand, which is where the next section comes in.
#
# ## 9. What changes on a GPU
#
# Nothing in the code: `train_torch` moves the network and data to `dlcourse.torch.device()`. What changes is what is
# affordable. On a GPU this chapter averages more draws of the labelled examples per point (`NUM_DRAWS`, printed
# below), so that the curves at 1 and 3 examples per class are less noisy; and a ResNet's dozens of large convolutions
# per step, slow on a CPU, are what a GPU runs in parallel. Two habits matter there: with a frozen backbone, compute
# its features once (as `train_torch` does) instead of at every step; and keep batch norm of frozen blocks in
# evaluation mode, or their running statistics drift even though no weight is trained.

# %%
print(f"device: {device}; draws per point: {NUM_DRAWS}; steps per run: {NUM_STEPS}")

# %% [markdown]
# ## 10. The final test
#
# The one cell that touches the test sets: the three recipes at 3 labelled examples per class on both domain
# targets, trained exactly as in section 5 (same draws, same seeds), and the pretrained network on the source.

# %%
final = {}
for target in ("faded", "inverted"):
    (X_pool, y_pool), (X_test, y_test) = targets[target]["pool"], targets[target]["test"]
    final[target] = {}
    for method, settings in METHODS.items():
        scores = []
        for draw in range(NUM_DRAWS):  # the same draws of 3 labels per class as in section 5
            idx = draw_labelled(y_pool, 3, np.random.default_rng(100 * 3 + draw))
            scores.append(accuracy_torch(train_torch(X=X_pool[idx], y=y_pool[idx], seed=draw, **settings),
                                         X_test, y_test))
        final[target][method] = float(np.mean(scores))
    print(f"{target:9s} test accuracy, 3 labels per class (mean of {NUM_DRAWS} draws): "
          + ", ".join(f"{method} {acc:.3f}" for method, acc in final[target].items())
          + f" ({len(y_test)} test images: one image is {1 / len(y_test):.3f})")
print(f"source digits 0-4, test accuracy of the pretrained network: {accuracy_numpy(model, Xs_test, ys_test):.3f}")
print("faded: both transfer recipes beat scratch on the test set:",
      all(final["faded"][m] > final["faded"]["scratch"] for m in ("feature extraction", "fine-tuning")))
print("inverted: feature extraction loses to scratch on the test set:",
      final["inverted"]["feature extraction"] < final["inverted"]["scratch"])

# %% [markdown]
# With 15 labelled images per run and 135 test images, a point of accuracy is about one image, and which 15 images
# were drawn moves a single run by several points: compare these numbers with the validation column for 3 examples
# per class in section 5, not digit by digit. The two conclusions checked in the last two lines hold on both sets:
# transfer pays off on the faded digits, and frozen source features hurt on the inverted ones. Whether fine-tuning
# beats scratch on the inverted digits is within the noise of a few draws, on validation as on test.

# %% [markdown]
# ## Self-check
#
# 1. A linear probe on a layer's features scores higher for the pretrained network than for the same network with
#    random weights. What does that say, and why is a *linear* classifier used to say it?
# 2. Write the equation the least-squares probe solves, and say where the $\lambda I$ comes from.
# 3. A parameter has `requires_grad=False`. Does the gradient still reach the layers *below* it? Does weight decay
#    change it?
# 4. Write the parameter groups for Adam that train a new head at $10^{-3}$ and the pretrained blocks at $10^{-4}$.
# 5. Why can a frozen backbone's features be computed once before training, and why must its batch norm then be in
#    evaluation mode?
# 6. On the faded digits, why does re-estimating batch-norm statistics recover accuracy without any label? Why does
#    it not undo the inversion $x \mapsto 1 - x$ as well?
# 7. Which of the three recipes of section 7 forgets least, and what does it give up for that?
# 8. In this chapter's runs, where did transfer hurt, and what explains it?
#
# ## What to try
#
# Each cell below runs in a few seconds after the cells above.

# %% tags=["what-to-try"]
# Fine-tuning with the backbone at 1/100, 1/10 and all of the head's learning rate, 3 labels per class, faded:
(X_pool, y_pool), (X_val, y_val) = targets["faded"]["pool"], targets["faded"]["val"]
idx = draw_labelled(y_pool, 3, np.random.default_rng(7))
for factor in (0.01, 0.1, 1.0):
    tuned = train_torch(0, X_pool[idx], y_pool[idx], backbone_lr_factor=factor)
    print(f"backbone lr = {factor} x head lr: validation accuracy {accuracy_torch(tuned, X_val, y_val):.3f}")

# %% tags=["what-to-try"]
# Fine-tune on the inverted digits for three times as many steps: does fine-tuning catch up with scratch?
(X_pool, y_pool), (X_val, y_val) = targets["inverted"]["pool"], targets["inverted"]["val"]
idx = draw_labelled(y_pool, 10, np.random.default_rng(8))
for steps in (NUM_STEPS, 3 * NUM_STEPS):
    tuned = accuracy_torch(train_torch(0, X_pool[idx], y_pool[idx], num_steps=steps), X_val, y_val)
    scratch = accuracy_torch(train_torch(0, X_pool[idx], y_pool[idx], pretrained=False, num_steps=steps), X_val, y_val)
    print(f"{steps} steps: fine-tuning {tuned:.3f}, scratch {scratch:.3f}")

# %% tags=["what-to-try"]
# A linear probe with more labels: does the gap between pretrained and random features shrink?
X_pool, y_pool = targets["new digits"]["pool"]
X_val, y_val = targets["new digits"]["val"]
idx = draw_labelled(y_pool, 50, np.random.default_rng(9))
for label, net in [("pretrained", model), ("random weights", random_net)]:
    F, G = layer_features(net, X_pool[idx]), layer_features(net, X_val)
    print(label, [round(ridge_probe(f, y_pool[idx], g, y_val), 3) for f, g in zip(F, G, strict=True)])

# %% [markdown]
# - Re-estimate batch norm on the faded digits, *then* train only the head on 3 labels per class: how much of the gap
#   to fine-tuning remains?
# - With torchvision and the ResNet-18 weights on disk (section 8), train the new head on the faded digits with
#   the loop of `train_torch`, and compare with our small network at 1 and 3 labels per class.
# - The exercise for this chapter asks you to write a freeze mask from parameter names, replace a head, take a
#   parameter-group SGD step, re-estimate batch-norm statistics, and fit a least-squares probe.
