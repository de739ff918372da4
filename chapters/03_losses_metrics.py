# %% [markdown]
# # 03 · Losses and metrics
#
# **The question.** How good is a model? Training needs one number it can *differentiate* and push down: the
# **loss**. People need numbers they can *read*: the **metrics** (accuracy, precision, recall, $R^2$, ...). They
# are different jobs, and the best loss is rarely the metric we report.
#
# Plan: regression losses (MSE, MAE) and what they prefer; binary and categorical cross-entropy, why we compute them
# from logits, and their gradients; then a real digit classifier, trained in NumPy and in PyTorch, judged by
# accuracy, precision, recall, F1, a confusion matrix and ROC curves; and $R^2$ for regression.

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch

import dlcourse.metrics as metrics
import dlcourse.nn as nn
import dlcourse.torch
from dlcourse.data import DataLoader, Standardizer, load_digits, make_regression_curve, train_val_test_split
from dlcourse.gradcheck import numerical_gradient
from dlcourse.optim import SGD
from dlcourse.training import fit, predict

rng = np.random.default_rng(0)
dlcourse.torch.seed_everything(0)
device = dlcourse.torch.device()

# %% [markdown]
# ## 1. Regression losses: MSE and MAE
#
# For predictions $\hat y \in \mathbb{R}^N$ and targets $y$:
# $$\mathrm{MSE} = \frac1N \sum_{i=1}^N (\hat y_i - y_i)^2, \qquad \mathrm{RMSE} = \sqrt{\mathrm{MSE}}, \qquad
# \mathrm{MAE} = \frac1N \sum_{i=1}^N |\hat y_i - y_i|.$$
# Their gradients with respect to the predictions are what backpropagation starts from:
# $$\frac{\partial\, \mathrm{MSE}}{\partial \hat y_i} = \frac{2(\hat y_i - y_i)}{N}, \qquad
# \frac{\partial\, \mathrm{MAE}}{\partial \hat y_i} = \frac{\operatorname{sign}(\hat y_i - y_i)}{N}.$$
# MSE pushes hardest on the largest errors; MAE pushes every error equally hard. MSE is in squared units of $y$;
# RMSE and MAE are both in the units of $y$, so either reads naturally in a report. They answer different questions:
# MAE is the typical size of an error, RMSE is never smaller than MAE and grows when a few errors are large, so report
# the one whose weighting of large errors matches what a large error costs you (or both).

# %%
def mse(y_hat, y):
    return np.mean((y_hat - y) ** 2)


def mae(y_hat, y):
    return np.mean(np.abs(y_hat - y))


y_hat, y = rng.standard_normal(8), rng.standard_normal(8)
criterion = nn.MSELoss()
print("MSE  ours", mse(y_hat, y), " nn.MSELoss", criterion(y_hat, y), " metrics", metrics.mean_squared_error(y, y_hat))
print("grad max |ours - nn.MSELoss.backward()|:", np.abs(2 * (y_hat - y) / len(y) - criterion.backward()).max())
criterion = nn.L1Loss()
print("MAE  ours", mae(y_hat, y), " nn.L1Loss", criterion(y_hat, y), " metrics", metrics.mean_absolute_error(y, y_hat))
print("grad max |ours - nn.L1Loss.backward()|:", np.abs(np.sign(y_hat - y) / len(y) - criterion.backward()).max())
print("RMSE ours", np.sqrt(mse(y_hat, y)), " metrics", metrics.root_mean_squared_error(y, y_hat))

# %% [markdown]
# **What each loss prefers.** Predict a single constant $c$ for a sample that contains one wild outlier. Setting the
# derivative to zero, MSE is minimised by the **mean** and MAE by the **median** (where as many points lie above as
# below). One outlier drags the mean, not the median:

# %%
sample = np.array([1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 30.0])  # one outlier
c = np.linspace(0, 12, 1201)
mse_curve = ((c[:, None] - sample) ** 2).mean(axis=1)  # (C, 1) - (7,) -> (C, 7) -> (C,)
mae_curve = np.abs(c[:, None] - sample).mean(axis=1)
print(f"argmin MSE = {c[mse_curve.argmin()]:.2f} (mean {sample.mean():.2f}); "
      f"argmin MAE = {c[mae_curve.argmin()]:.2f} (median {np.median(sample):.2f})")
fig, axes = plt.subplots(1, 2, figsize=(10, 3), constrained_layout=True)
for ax, curve, name, best in [(axes[0], mse_curve, "MSE", sample.mean()), (axes[1], mae_curve, "MAE",
                                                                           np.median(sample))]:
    ax.plot(c, curve)
    ax.axvline(best, color="C3", ls="--", label="mean" if name == "MSE" else "median")
    ax.set_xlabel("constant prediction c")
    ax.set_title(f"{name} of predicting c")
    ax.legend()
plt.show()

# %% [markdown]
# MAE is *robust* to outliers. For gradient descent (chapter 01) the difference is in the size of the gradient.
# MSE's gradient $2(\hat y_i - y_i)/N$ shrinks as the error shrinks, so a fixed learning rate takes smaller and
# smaller steps as it nears the minimum and settles there; the price is that large errors (outliers) dominate the
# gradient. MAE's gradient $\pm 1/N$ has the same size however small the error, so a fixed learning rate keeps
# stepping over the minimum and rattles around it unless the learning rate is lowered. (The Huber loss is quadratic
# near 0 and linear far away: a compromise.)

# %% [markdown]
# ### $R^2$: how much of the variance is explained
#
# $$R^2 = 1 - \frac{\sum_i (y_i - \hat y_i)^2}{\sum_i (y_i - \bar y)^2}.$$
# 1 is perfect, 0 is what "always predict the mean $\bar y$" scores, and a model worse than that is negative. We fit
# polynomials of degree 1 and 5 by least squares to a noisy curve and score them on fresh points.

# %%
X_fit, y_fit = make_regression_curve(60, noise=0.25, rng=rng)
X_new, y_new = make_regression_curve(200, noise=0.25, rng=rng)


def poly_features(X, degree):
    return X ** np.arange(degree + 1)  # (N, 1) -> (N, degree + 1): 1, x, x^2, ...


grid = np.linspace(-3, 3, 200)[:, None]
plt.figure(figsize=(6, 3.5))
plt.scatter(X_new[:, 0], y_new, s=8, color="gray", label="test points")
for degree in (1, 5):
    coef, *_ = np.linalg.lstsq(poly_features(X_fit, degree), y_fit, rcond=None)
    y_pred = poly_features(X_new, degree) @ coef
    r2_ours = 1 - np.sum((y_new - y_pred) ** 2) / np.sum((y_new - y_new.mean()) ** 2)
    print(f"degree {degree}: R^2 ours {r2_ours:.4f}, metrics.r2_score {metrics.r2_score(y_new, y_pred):.4f}, "
          f"RMSE {metrics.root_mean_squared_error(y_new, y_pred):.3f}")
    plt.plot(grid[:, 0], poly_features(grid, degree) @ coef, lw=2, label=f"degree {degree}")
plt.legend()
plt.show()

# %% [markdown]
# ## 2. Binary cross-entropy, from logits
#
# A binary classifier outputs a logit $z$ (chapter 01); its probability of class 1 is $p = \sigma(z)$. The
# *likelihood* of a label is the probability the model gave to the label that actually occurred: $p$ if $y = 1$ and
# $1 - p$ if $y = 0$, written in one formula as $p^y (1-p)^{1-y}$. A good model gives high likelihood to the training
# labels; for independent samples the likelihood of all of them is the product over samples, and its log is a sum.
# Maximising the likelihood is therefore minimising the mean negative log-likelihood, and for one sample that is the
# **binary cross-entropy**
# $$\ell(z, y) = -\big[y \log p + (1 - y)\log(1 - p)\big], \qquad p = \sigma(z).$$
# Because $\sigma' = \sigma(1 - \sigma)$ (chapter 02), the chain rule collapses beautifully:
# $$\frac{\partial \ell}{\partial z} = -\Big[\frac{y}{p} - \frac{1-y}{1-p}\Big]\, p(1-p) = p - y.$$
#
# Computing $p$ first is a trap. For $z = 40$, $\sigma(z)$ rounds to exactly 1.0 in float64, so $\log(1 - p)$ is
# $-\infty$, although the true loss for $y = 0$ is about 40:

# %%
def bce_naive(z, y):
    p = 1 / (1 + np.exp(-z))
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


z, y = np.array([40.0]), np.array([0.0])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    print("naive:", bce_naive(z, y))
print("nn.BCELoss on sigmoid(z) (log clamped at -100, as torch):", nn.BCELoss()(nn.Sigmoid()(z), y))

# %% [markdown]
# The fix is algebra. With $\log \sigma(z) = -\log(1 + e^{-z})$ and $\log(1 - \sigma(z)) = \log\frac{e^{-z}}{1 + e^{-z}}
# = -z - \log(1 + e^{-z})$,
# $$\ell = y \log(1 + e^{-z}) + (1 - y)\big(z + \log(1 + e^{-z})\big) = (1 - y)\,z + \log(1 + e^{-z}).$$
# For $z \ge 0$ this is safe, since $e^{-z} \le 1$. For $z < 0$, $e^{-z}$ can overflow, so first take $e^{-z}$ out of
# the log: $\log(1 + e^{-z}) = -z + \log(1 + e^{z})$, which gives $\ell = -yz + \log(1 + e^{z})$ with $e^{z} < 1$.
# Both cases are one formula, because $\max(z, 0)$ is $z$ in the first and 0 in the second, and $e^{-|z|}$ is
# $e^{-z}$ in the first and $e^{z}$ in the second:
# $$\ell = \max(z, 0) - yz + \log\big(1 + e^{-|z|}\big).$$
# Now $e^{-|z|} \le 1$ never overflows, and `log1p` (which computes $\log(1 + u)$ accurately for tiny $u$) keeps
# precision. That is `BCEWithLogitsLoss`.

# %%
def bce_with_logits(z, y):
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))


z, y = rng.standard_normal(6) * 20, rng.integers(0, 2, 6).astype(np.float64)
criterion = nn.BCEWithLogitsLoss()
print("ours", bce_with_logits(z, y), " nn.BCEWithLogitsLoss", criterion(z, y))
p = nn.Sigmoid()(z)
print("gradient: max |(p - y) / N - backward()| =", np.abs((p - y) / len(y) - criterion.backward()).max())
print("gradient: max |(p - y) / N - finite differences| =",
      np.abs((p - y) / len(y) - numerical_gradient(lambda: bce_with_logits(z, y), z)).max())

# %% [markdown]
# ## 3. Categorical cross-entropy, from logits
#
# With $K$ classes the network outputs logits $z \in \mathbb{R}^K$, softmax turns them into probabilities, and the
# loss is the negative log-probability of the true class $y$:
# $$\ell(z, y) = -\log \mathrm{softmax}(z)_y = -\log \frac{e^{z_y}}{\sum_j e^{z_j}} = -z_y + \log \sum_{j=1}^K e^{z_j}.$$
# Differentiate with respect to one logit $z_k$: the first term gives $-1$ if $k = y$ and 0 otherwise; the second
# gives $\frac{e^{z_k}}{\sum_j e^{z_j}} = \mathrm{softmax}(z)_k$. With $\mathrm{onehot}(y)$ the vector with a 1 at
# position $y$ and 0 elsewhere,
# $$\frac{\partial \ell}{\partial z} = \mathrm{softmax}(z) - \mathrm{onehot}(y).$$
# The gradient is "predicted minus true distribution", exactly as in the binary case. Again we never form the
# probabilities: **log-softmax** $z_y - \max_j z_j - \log\sum_j e^{z_j - \max_j z_j}$ stays exact where the softmax
# underflows. In float32 (the usual training precision) $e^{-120} \approx 10^{-52}$ is below the smallest float32,
# so the probability is exactly 0 and its log is $-\infty$:

# %%
z = np.array([[0.0, -120.0]], dtype=np.float32)
probabilities = nn.Softmax(dim=1)(z)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    print("softmax:", probabilities, " log of it:", np.log(probabilities))
print("log-softmax:", nn.LogSoftmax(dim=1)(z))
print("CrossEntropyLoss for class 1:", nn.CrossEntropyLoss()(z, np.array([1])))

# %% [markdown]
# Now the whole batch version in the open: mean over the $N$ samples, gradient $(\mathrm{softmax}(Z) - Y)/N$ with
# $Y$ the one-hot targets. We check it against `nn.CrossEntropyLoss` and central differences.

# %%
def cross_entropy(Z, y):
    """Z: (N, K) logits, y: (N,) class indices -> mean loss and dZ (N, K)."""
    shifted = Z - Z.max(axis=1, keepdims=True)  # (N, K), every exponent <= 0
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    N = len(y)
    loss = -log_probs[np.arange(N), y].mean()
    dZ = np.exp(log_probs)
    dZ[np.arange(N), y] -= 1
    return loss, dZ / N


Z, labels = rng.standard_normal((5, 4)) * 3, rng.integers(0, 4, 5)
loss, dZ = cross_entropy(Z, labels)
criterion = nn.CrossEntropyLoss()
print("loss ours", loss, " nn.CrossEntropyLoss", criterion(Z, labels))
print("max |dZ - backward()|:", np.abs(dZ - criterion.backward()).max())
print("max |dZ - finite differences|:", np.abs(dZ - numerical_gradient(lambda: cross_entropy(Z, labels)[0], Z)).max())

# %% [markdown]
# ## 4. A real classifier: handwritten digits
#
# 1,797 images of 8x8 pixels, ten classes. We keep 25% as a test set that no training decision sees, and 15% for
# validation; the split is stratified (every digit in the same proportion in each part), and the pixels are
# standardised: each pixel is shifted and scaled to mean 0 and standard deviation 1, with the mean and standard
# deviation of the training part only (chapter 06 explains why both matter).

# %%
X, y = load_digits()
X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(X, y, val_size=0.15, test_size=0.25,
                                                                      stratify=y, rng=rng)
scaler = Standardizer().fit(X_train)
X_train, X_val, X_test = scaler.transform(X_train), scaler.transform(X_val), scaler.transform(X_test)
print("train", X_train.shape, " val", X_val.shape, " test", X_test.shape)

# %% [markdown]
# A small MLP (multi-layer perceptron: `Linear` layers with activations between them), $64 \to 32 \to 10$ with a
# ReLU. The network outputs logits; `CrossEntropyLoss` applies the log-softmax itself. We train it with SGD with
# *momentum* 0.9, a variant of chapter 01's SGD that steps along a running average of recent gradients instead of
# the latest one alone (chapter 05 derives it; here it only makes training faster).
#
# `fit`, from `dlcourse.training`, runs exactly the five-line loop of chapter 01 (forward, loss, `zero_grad`,
# backward, `step`) once per mini-batch for `epochs` epochs; after every epoch it also computes the loss and the
# accuracy on the validation loader, without updating anything, and records them all in a `History`.

# %%
lr, num_epochs, batch_size = 0.05, 20, 32
model = nn.Sequential(nn.Linear(64, 32, rng=rng, dtype=np.float64), nn.ReLU(),
                      nn.Linear(32, 10, rng=rng, dtype=np.float64))
torch_model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10)).double()
dlcourse.torch.copy_weights_to_torch(model, torch_model)  # both start from the same weights (for section 7)
initial_model_logits = predict(model, X_test)  # the untrained network, a baseline for the ROC curve below


def loaders():
    """The same batches in the same order on every call (a fresh Generator with the same seed)."""
    train = DataLoader((X_train, y_train), batch_size=batch_size, shuffle=True, rng=np.random.default_rng(1))
    return train, DataLoader((X_val, y_val), batch_size=256)


train_loader, val_loader = loaders()
history = fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=lr, momentum=0.9), train_loader,
              epochs=num_epochs, val_loader=val_loader, metrics=["accuracy"], progress=False)
print(history)
best = history.best_epoch  # the epoch with the lowest validation loss
print(f"training accuracy first reached 1.0 at epoch {history.epochs[int(np.argmax(np.array(history['accuracy']) == 1.0))]}"
      if max(history["accuracy"]) == 1.0 else "training accuracy never reached 1.0")
print(f"validation loss: lowest {history['val_loss'][best - 1]:.4f} at epoch {best}, last {history['val_loss'][-1]:.4f}; "
      f"validation accuracy then: {history['val_accuracy'][best - 1]:.4f} and {history['val_accuracy'][-1]:.4f}")
history.plot()
plt.show()

# %% [markdown]
# Read the panels together with the printed epochs. Once every training image is classified correctly the training
# accuracy cannot improve, yet the training loss keeps falling: cross-entropy also rewards *confidence*, while
# accuracy only counts the argmax. On the validation set the two need not move together either: a few confidently
# wrong answers raise the loss without changing the accuracy.

# %% [markdown]
# ## 5. Metrics for classification
#
# From the predicted classes on the test set. For one class $c$, count true positives (TP: predicted $c$, is $c$),
# false positives (FP: predicted $c$, is not) and false negatives (FN: is $c$, predicted something else):
# $$\text{precision} = \frac{TP}{TP + FP}, \quad \text{recall} = \frac{TP}{TP + FN}, \quad
# F_1 = \frac{2\,\text{precision}\cdot\text{recall}}{\text{precision} + \text{recall}} = \frac{2TP}{2TP + FP + FN}.$$
# Precision answers "when it says 8, how often is it an 8?"; recall "of all the 8s, how many did it find?". When a
# class is never predicted, TP + FP = 0 and precision is $0/0$; `metrics.precision` then reports 0 (its
# `zero_division` argument, as in scikit-learn). The *macro* average is the plain mean over the classes.

# %%
test_logits = predict(model, X_test)  # (N_test, 10)
y_pred = test_logits.argmax(axis=1)
print(f"test accuracy {metrics.accuracy(y_test, y_pred):.4f}, macro F1 {metrics.f1_score(y_test, y_pred, average='macro'):.4f}")
per_class = {name: f(y_test, y_pred, average=None) for name, f in
             [("precision", metrics.precision), ("recall", metrics.recall), ("F1", metrics.f1_score)]}
print("digit     " + " ".join(f"{d:>5}" for d in range(10)))
for name, values in per_class.items():
    print(f"{name:<9} " + " ".join(f"{v:5.2f}" for v in values))

# %% [markdown]
# The same counts for one class, by hand, as a check:

# %%
digit = int(np.argmin(per_class["F1"]))  # the class the model finds hardest
tp = np.sum((y_pred == digit) & (y_test == digit))
fp = np.sum((y_pred == digit) & (y_test != digit))
fn = np.sum((y_pred != digit) & (y_test == digit))
print(f"digit {digit}: TP={tp} FP={fp} FN={fn}; precision {tp / (tp + fp):.4f} "
      f"(metrics: {per_class['precision'][digit]:.4f}), recall {tp / (tp + fn):.4f} "
      f"(metrics: {per_class['recall'][digit]:.4f})")

# %% [markdown]
# The **confusion matrix** $C_{ij}$ counts test images of digit $i$ predicted as $j$: the diagonal is correct, every
# off-diagonal cell is a specific mistake.

# %%
confusion = metrics.confusion_matrix(y_test, y_pred)
off_diagonal = confusion - np.diag(np.diag(confusion))
i, j = np.unravel_index(off_diagonal.argmax(), confusion.shape)
print(f"most frequent mistake: {confusion[i, j]} images of {i} predicted as {j}")
fig, ax = plt.subplots(figsize=(5.5, 4.5))
image = ax.imshow(confusion, cmap="Blues")
for (row, col), count in np.ndenumerate(confusion):
    if count:
        ax.text(col, row, count, ha="center", va="center", color="white" if count > confusion.max() / 2 else "black")
ax.set_xticks(range(10))
ax.set_yticks(range(10))
ax.set_xlabel("predicted digit")
ax.set_ylabel("true digit")
fig.colorbar(image, ax=ax)
plt.show()

# %% [markdown]
# ## 6. ROC curve and AUC
#
# Turn the hardest digit into a yes/no question: "is it digit $c$?", with the softmax probability of $c$ as the
# score. Each threshold $t$ ("say yes when score $\ge t$") gives a true-positive rate (recall) and a false-positive
# rate (FP / all negatives); sweeping $t$ from high to low traces the **ROC curve** from (0, 0) to (1, 1). The area
# under it (**AUC**) is the probability that a random positive scores higher than a random negative: 1 is perfect,
# 0.5 is guessing. Because it only looks at the *order* of the scores, a classifier can have a high AUC and still a
# poor accuracy at a fixed threshold: scores that all lie between 0.6 and 0.7, positives above negatives, have AUC 1,
# yet the threshold 0.5 says "yes" to everything. We compare the trained network with the same network before
# training.

# %%
def probability_of(logits, c):
    return nn.Softmax(dim=1)(logits)[:, c]


is_digit = (y_test == digit).astype(np.int64)
plt.figure(figsize=(4.5, 4.5))
for label, logits in [("trained", test_logits), ("untrained", initial_model_logits)]:
    fpr, tpr, thresholds = metrics.roc_curve(is_digit, probability_of(logits, digit))
    area = metrics.auc(fpr, tpr)
    print(f"{label:>9}: AUC {area:.4f} ({len(thresholds)} thresholds kept)")
    plt.plot(fpr, tpr, lw=2, label=f"{label}, AUC {area:.3f}")
plt.plot([0, 1], [0, 1], "k--", lw=1, label="guessing")
plt.xlabel("false-positive rate")
plt.ylabel("true-positive rate")
plt.title(f"is it digit {digit}?")
plt.legend()
plt.show()

# %% [markdown]
# The untrained network is not at 0.5. Its logit for digit $c$ is a fixed but random function of the pixels; images of
# the same digit look alike, so they get similar scores, and whether they land above or below the other digits is a
# coin toss made once, when the weights were drawn. Over many random initialisations the AUC of an untrained
# network scatters around 0.5, on both sides:

# %%
untrained_aucs = []
for seed in range(8):
    fresh = nn.Sequential(nn.Linear(64, 32, rng=np.random.default_rng(seed), dtype=np.float64), nn.ReLU(),
                          nn.Linear(32, 10, rng=np.random.default_rng(seed + 100), dtype=np.float64))
    untrained_aucs.append(metrics.roc_auc_score(is_digit, probability_of(predict(fresh, X_test), digit)))
print("AUC of 8 untrained networks:", np.round(untrained_aucs, 2), f" mean {np.mean(untrained_aucs):.2f}")

# %% [markdown]
# The AUC does not depend on a threshold, and the ranking view gives a direct check: count, over all
# (positive, negative) pairs, how often the positive scores higher (ties count half).

# %%
scores = probability_of(test_logits, digit)
positive, negative = scores[is_digit == 1], scores[is_digit == 0]
pairs = positive[:, None] - negative[None, :]  # (P, Q): every positive against every negative
print("fraction of pairs ranked right:", np.mean(pairs > 0) + 0.5 * np.mean(pairs == 0),
      " metrics.roc_auc_score:", metrics.roc_auc_score(is_digit, scores))

# %% [markdown]
# ## 7. The same in PyTorch
#
# `torch.nn` has the same losses under the same names. The twin network started from the same weights; trained
# with `torch.optim.SGD` on the same batches in the same order, in float64, it should follow the same trajectory.
# A network this small runs fastest on one CPU thread (thread start-up costs more than the arithmetic).

# %%
if device.type == "cpu":
    torch.set_num_threads(1)
train_loader, val_loader = loaders()
torch_history = dlcourse.torch.fit(torch_model, torch.nn.CrossEntropyLoss(),
                                   torch.optim.SGD(torch_model.parameters(), lr=lr, momentum=0.9), train_loader,
                                   epochs=num_epochs, val_loader=val_loader, metrics=["accuracy"], progress=False,
                                   device=device)
torch_logits = dlcourse.torch.predict(torch_model, X_test)
print(torch_history)
print(f"test accuracy: NumPy {metrics.accuracy(y_test, y_pred):.4f}, "
      f"PyTorch {metrics.accuracy(y_test, torch_logits.argmax(axis=1)):.4f}")
print("max |logits NumPy - logits PyTorch|:", np.abs(test_logits - torch_logits).max())

# %% [markdown]
# And every loss of this chapter, value and gradient, on the same inputs:

# %%
Z, labels = rng.standard_normal((16, 10)) * 4, rng.integers(0, 10, 16)
soft, targets = rng.random((16, 10)), rng.standard_normal((16, 10))
cases = [("MSELoss", nn.MSELoss(), torch.nn.MSELoss(), Z, targets),
         ("L1Loss", nn.L1Loss(), torch.nn.L1Loss(), Z, targets),
         ("BCELoss", nn.BCELoss(), torch.nn.BCELoss(), soft, (targets > 0).astype(np.float64)),
         ("BCEWithLogitsLoss", nn.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss(), Z, soft),
         ("CrossEntropyLoss", nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), Z, labels)]
for name, ours, theirs, inputs, target in cases:
    inputs_t = torch.tensor(inputs, device=device, requires_grad=True)
    loss_t = theirs(inputs_t, torch.tensor(target, device=device))
    loss_t.backward()
    loss = ours(inputs, target)
    print(f"{name:>18}: |loss diff| {abs(loss - loss_t.item()):.1e}, max |grad diff| "
          f"{np.abs(ours.backward() - dlcourse.torch.to_numpy(inputs_t.grad)).max():.1e}")

# %% [markdown]
# ## Self-check
#
# 1. Which constant minimises the MSE of a sample, and which minimises the MAE? Which one moves when you add an
#    outlier?
# 2. What is $\partial \ell / \partial z$ for the binary cross-entropy of $\sigma(z)$, and for the cross-entropy of
#    $\mathrm{softmax}(z)$?
# 3. Why does `bce_naive` return `inf` for $z = 40$, $y = 0$, and what does `BCEWithLogitsLoss` compute instead?
# 4. Why should a network's last layer output logits, not probabilities, when the loss is `CrossEntropyLoss`?
# 5. A model predicts "not 8" for every image. What are its accuracy, precision and recall for class 8 on a test
#    set with 10% eights? (Its precision is $0/0$; use the convention of `metrics.precision`, which, as
#    scikit-learn, reports 0 when a class is never predicted.)
# 6. What does an AUC of 0.5 mean? Can the AUC be high while the accuracy at threshold 0.5 is poor? Give an
#    example.
# 7. Why can the validation loss rise while the validation accuracy stays the same?
#
# ## What to try
#
# Add a second outlier at $-30$ to `sample`: where do the two minimisers go?

# %% tags=["what-to-try"]
sample2 = np.append(sample, -30.0)
c2 = np.linspace(-12, 12, 2401)
mse2 = ((c2[:, None] - sample2) ** 2).mean(axis=1)  # (C, 8) -> (C,)
mae2 = np.abs(c2[:, None] - sample2).mean(axis=1)
print(f"argmin MSE = {c2[mse2.argmin()]:.2f} (mean {sample2.mean():.2f}); argmin MAE = {c2[mae2.argmin()]:.2f} "
      f"(with an even count, every c between the two middle values {np.sort(sample2)[3:5]} is a minimiser)")

# %% [markdown]
# Train with `lr = 0.5`, then with `lr = 0.005` (5 epochs each, to stay quick): how do the losses change?

# %% tags=["what-to-try"]
for trial_lr in [0.5, 0.005]:
    trial = nn.Sequential(nn.Linear(64, 32, rng=np.random.default_rng(0), dtype=np.float64), nn.ReLU(),
                          nn.Linear(32, 10, rng=np.random.default_rng(1), dtype=np.float64))
    trial_train, trial_val = loaders()
    trial_history = fit(trial, nn.CrossEntropyLoss(), SGD(trial.parameters(), lr=trial_lr, momentum=0.9),
                        trial_train, epochs=5, val_loader=trial_val, metrics=["accuracy"], progress=False)
    losses = " ".join(f"{v:.3g}" for v in trial_history["loss"])
    print(f"lr {trial_lr}: training loss per epoch {losses}, "
          f"last validation accuracy {trial_history['val_accuracy'][-1]:.3f}")

# %% [markdown]
# Replace the hidden layer by nothing (softmax regression, `nn.Linear(64, 10)`): which digits get harder? (On the
# validation set, so the test set keeps its role.)

# %% tags=["what-to-try"]
linear_model = nn.Linear(64, 10, rng=np.random.default_rng(0), dtype=np.float64)
linear_train, linear_val = loaders()
fit(linear_model, nn.CrossEntropyLoss(), SGD(linear_model.parameters(), lr=lr, momentum=0.9), linear_train,
    epochs=num_epochs, progress=False)
f1_linear = metrics.f1_score(y_val, predict(linear_model, X_val).argmax(axis=1), average=None)
f1_mlp = metrics.f1_score(y_val, predict(model, X_val).argmax(axis=1), average=None)
print("digit      " + " ".join(f"{d:>5}" for d in range(10)))
print("F1 MLP     " + " ".join(f"{v:5.2f}" for v in f1_mlp))
print("F1 linear  " + " ".join(f"{v:5.2f}" for v in f1_linear))

# %% [markdown]
# Use `metrics.confusion_matrix(y_test, y_pred, normalize="true")`: what do the rows now sum to?

# %% tags=["what-to-try"]
print("row sums:", metrics.confusion_matrix(y_test, y_pred, normalize="true").sum(axis=1).round(6))

# %% [markdown]
# Plot the ROC curve of every digit on one figure; which has the lowest AUC?

# %% tags=["what-to-try"]
plt.figure(figsize=(4.5, 4.5))
digit_aucs = []
for c in range(10):
    fpr, tpr, _ = metrics.roc_curve((y_test == c).astype(np.int64), probability_of(test_logits, c))
    digit_aucs.append(metrics.auc(fpr, tpr))
    plt.plot(fpr, tpr, lw=1, label=f"{c}: {digit_aucs[-1]:.3f}")
plt.xlabel("false-positive rate")
plt.ylabel("true-positive rate")
plt.legend(fontsize=7)
plt.show()
print("lowest AUC: digit", int(np.argmin(digit_aucs)))
