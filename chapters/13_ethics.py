# %% [markdown]
# # 13 · Ethics, fairness and interpretability, measured
#
# **The question.** A model can be accurate on average and still treat one group of people worse, rest its answers
# on the wrong evidence, flip its answer for an invisible change of the input, or give away who was in its training
# data. These are usually discussed in words. Can we *measure* each of them, on models we train ourselves, and see
# what fixing them costs?
#
# **The idea.** Every concern in this chapter becomes a number computed from a model's outputs or gradients:
# a gap between two groups' rates (fairness), the gradient of an output with respect to the input (explanations and
# adversarial examples, the same gradient used in two ways), and the gap between a model's loss on data it has seen
# and on data it has not (privacy).
#
# Plan: (1) a decision data set with three kinds of bias, each switched on alone; (2) fairness metrics and which one
# detects which bias; (3) the impossibility result with numbers; (4) mitigation before, during and after training,
# and what each costs; (5) explanations of a digits CNN: saliency, SmoothGrad, integrated gradients, Grad-CAM,
# occlusion, and a sanity check; (6) explanations of a tabular model: permutation importance, Shapley values,
# KernelSHAP, LIME; (7) adversarial examples and adversarial training; (8) membership inference; (9) what the
# numbers say about bias amplification, deepfakes and black boxes; (10) a model card.

# %%
import inspect
import itertools
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import scipy.stats
import torch
from IPython.display import Markdown, display
from sklearn.datasets import load_breast_cancer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression

import dlcourse.torch
from dlcourse import attribution, fairness
from dlcourse.adversarial import fgsm, pgd
from dlcourse.data import load_digit_images, make_decisions, train_val_test_split
from dlcourse.metrics import roc_auc_score
from dlcourse.widgets import threshold_explorer

rng = np.random.default_rng(0)
dlcourse.torch.seed_everything(0)
device = dlcourse.torch.device()
if device.type == "cpu":
    torch.set_num_threads(1)  # small networks: one thread is fastest, and never waits for a busy second core
big = device.type == "cuda"  # larger settings only on a GPU
chapter_start = time.perf_counter()

# %% [markdown]
# ## 1. A decision data set with a knob for each kind of bias
#
# We simulate loan decisions, so that we know the truth and can switch biases on and off. Each applicant has two
# features that decide whether they would repay (`income`, `history`), a protected attribute `group` (0 or 1), and
# a `postcode` that carries no merit but is correlated with the group (a *proxy*). The two groups weigh the two
# features differently (group 0 repays according to income + 0.3·history, group 1 according to 0.3·income +
# history), a mirror image, so that with no bias switched on the groups are alike. `make_decisions` returns the
# features `X`, the *recorded* labels `y` a model is trained on, the *true* outcomes `y_true`, and `group`. Its three
# knobs are the three ways bias enters data:
#
# - **historical bias** (`historical_bias`): the records are unfair. A fraction of group-1 applicants who would
#   have repaid are recorded as defaults (for example because a past, biased process denied them and their
#   default was assumed). Then `y` differs from `y_true`.
# - **representation bias** (`minority_fraction`): group 1 is under-sampled, so a model fits group 0's rule.
# - **measurement bias** (`measurement_noise`): group 1's features are measured with more noise (less reliable
#   records), while the truth still depends on the exact values.

# %%
print(inspect.getsource(make_decisions).split("rng = check_rng(rng, where)")[1])  # the generator's body
data = make_decisions(6, historical_bias=0.4, rng=np.random.default_rng(1))
print("X (income, history, postcode):\n", data.X.round(2))
print("group:", data.group, " y (recorded):", data.y, " y_true:", data.y_true)

# %% [markdown]
# The classifier is chapter 03's logistic regression, $\hat p = \sigma(\mathbf{w}^\top \mathbf{x} + b)$, trained by
# gradient descent on the mean cross-entropy; its gradient with respect to the logit $z_n$ of example $n$ is
# $(\hat p_n - y_n)/N$ (chapter 03). The loop below also takes per-example weights $s_n$ (used in section 4, the
# gradient becomes $s_n(\hat p_n - y_n)/N$) and an optional fairness penalty (also section 4). The group is *not*
# one of the features; the postcode is.

# %%
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def train_logistic(X, y, *, sample_weight=None, group=None, penalty=0.0, lr=1.0, num_epochs=300):
    """Full-batch gradient descent on (weighted) cross-entropy + penalty * (mean score of group 0 - of group 1)^2."""
    N, D = X.shape
    w, b = np.zeros(D), 0.0
    s = np.ones(N) if sample_weight is None else sample_weight / sample_weight.mean()
    for _ in range(num_epochs):
        p = sigmoid(X @ w + b)
        dz = s * (p - y) / N  # d(loss)/d(logit) for each example
        if penalty > 0:
            gap = p[group == 0].mean() - p[group == 1].mean()
            dgap_dp = np.where(group == 0, 1.0 / np.sum(group == 0), -1.0 / np.sum(group == 1))
            dz = dz + penalty * 2.0 * gap * dgap_dp * p * (1.0 - p)  # chain rule through the sigmoid
        w -= lr * (X.T @ dz)
        b -= lr * dz.sum()
    return w, b


# %% [markdown]
# ## 2. Fairness metrics, and which one sees which bias
#
# For decisions $\hat y \in \{0, 1\}$ and a group $g$, three rates (`dlcourse.fairness`):
# the **selection rate** $P(\hat y = 1 \mid g)$, the **true positive rate** $\text{TPR}_g = P(\hat y = 1 \mid y = 1,
# g)$ (the deserving who are accepted) and the **false positive rate** $\text{FPR}_g = P(\hat y = 1 \mid y = 0, g)$.
# The criteria compare groups:
#
# - **demographic parity difference** $= \max_g P(\hat y = 1 \mid g) - \min_g P(\hat y = 1 \mid g)$: are groups
#   accepted equally often? (The *ratio* min/max is the "four-fifths rule" of US employment law when $\ge 0.8$.)
# - **equal opportunity difference** $= \max_g \text{TPR}_g - \min_g \text{TPR}_g$;
# - **equalised odds difference** $= \max(\text{TPR gap}, \text{FPR gap})$: are the errors equal?
# - **calibration**: among people given score $p$, is the fraction who repay $p$ in every group? We report the
#   simplest version, mean score minus observed repayment rate per group.
#
# Here is the code of the two gap metrics; the tests check all of them against the `fairlearn` library.

# %%
print(inspect.getsource(fairness._gap))
print(inspect.getsource(fairness.equalized_odds_difference))

# %% [markdown]
# Now train the same model on data with each bias switched on alone, and measure on fresh data drawn with the same
# settings (the *validation* sample). Each metric is computed twice where it needs labels: against the recorded
# labels `y` (all an auditor usually has) and against the truth `y_true` (which only a simulation gives us).

# %%
SCENARIOS = {"no bias": {}, "historical": {"historical_bias": 0.4},
             "representation": {"minority_fraction": 0.1}, "measurement": {"measurement_noise": 1.5}}
num_applicants = 4000


def audit(p, d):
    """Fairness metrics of the decisions p >= 0.5 on DecisionData d."""
    y_pred = (p >= 0.5).astype(int)
    accuracy = fairness.by_group(fairness.accuracy, d.y_true, y_pred, d.group)
    return {"acc g0": accuracy[0], "acc g1": accuracy[1],
            "DP diff": fairness.demographic_parity_difference(d.y, y_pred, d.group),
            "EO diff (recorded)": fairness.equalized_odds_difference(d.y, y_pred, d.group),
            "EO diff (true)": fairness.equalized_odds_difference(d.y_true, y_pred, d.group),
            "calib g1 (true)": p[d.group == 1].mean() - d.y_true[d.group == 1].mean()}


audits = {}
for name, knobs in SCENARIOS.items():
    train, val = (make_decisions(num_applicants, rng=rng, **knobs) for _ in range(2))
    w, b = train_logistic(train.X, train.y)
    audits[name] = audit(sigmoid(val.X @ w + b), val)
columns = list(audits["no bias"])
print(f"{'':15s}" + "".join(f"{c:>20s}" for c in columns))
for name, row in audits.items():
    print(f"{name:15s}" + "".join(f"{row[c]:20.3f}" for c in columns))

# %% [markdown]
# Read the table column by column:
#
# - **Demographic parity** moves only under **historical bias**: the model learned from the records to accept fewer
#   of group 1, through the postcode (leaving the group out of the features did not help). Only this scenario also
#   moves **calibration against the truth**: the model's scores for group 1 are too low, on average, by the amount in
#   the last column. That column needs `y_true`, which a real auditor rarely has.
# - **Representation bias** and **measurement bias** leave demographic parity near zero: both groups are accepted
#   about equally often. They show in the **equalised odds** difference and in group 1's lower accuracy: the model
#   fitted the majority's rule, or could not read group 1's noisy features.
# - Equalised odds moves in all three biased rows, so it tells you *that* something is wrong, not *what*.
#
# No single number catches every bias, and no single number says which one you have: an audit needs several.

# %% [markdown]
# ## 3. The impossibility result, with numbers
#
# Suppose the groups really differ in their base rates $p_g = P(y = 1 \mid g)$ (here `base_rate_gap` lowers group
# 1's features, so fewer of them would repay; the labels are true). Write $\text{PPV}_g = P(y = 1 \mid \hat y = 1, g)$
# (of those accepted, the share who repay) and $\text{FNR}_g = 1 - \text{TPR}_g$. Counting the four cells of the
# confusion matrix (chapter 03) gives, for any classifier and in every group, the identity
# $$\text{FPR} = \frac{p}{1 - p}\cdot\frac{1 - \text{PPV}}{\text{PPV}}\cdot(1 - \text{FNR}),$$
# because $\text{TP} = \text{TPR}\cdot pN$, $\text{FP} = \text{FPR}\cdot(1-p)N$ and $\text{PPV} = \text{TP}/(\text{TP} +
# \text{FP})$; solve the last for FP. So if two groups have different $p$, equal PPV (a calibration-like property:
# an acceptance means the same in both groups) and equal FNR force different FPR. Equal error rates and equal
# predictive value cannot all hold. Let us check with a model that sees the group (so that it can be calibrated
# within each group).

# %%
def rates(y_true, y_pred):
    p, ppv = y_true.mean(), y_true[y_pred == 1].mean()
    fpr, fnr = fairness.false_positive_rate(y_true, y_pred), 1 - fairness.true_positive_rate(y_true, y_pred)
    return p, ppv, fpr, fnr


gap_train, gap_val = (make_decisions(num_applicants, base_rate_gap=0.6, rng=rng) for _ in range(2))
with_group = lambda d: np.column_stack([d.X, d.group])  # noqa: E731
w_gap, b_gap = train_logistic(with_group(gap_train), gap_train.y, num_epochs=600)
score_gap = sigmoid(with_group(gap_val) @ w_gap + b_gap)
calibration = fairness.calibration_by_group(gap_val.y, score_gap, gap_val.group, n_bins=5)
for g in (0, 1):
    print(f"group {g}: mean score per bin {calibration[g][0].round(2)}, repaid {calibration[g][1].round(2)}")

# %%
def print_rates(thresholds):
    for g in (0, 1):
        rows = gap_val.group == g
        p, ppv, fpr, fnr = rates(gap_val.y[rows], (score_gap[rows] >= thresholds[g]).astype(int))
        identity = p / (1 - p) * (1 - ppv) / ppv * (1 - fnr)
        print(f"  group {g}: base rate {p:.3f}  PPV {ppv:.3f}  FNR {fnr:.3f}  FPR {fpr:.3f}  "
              f"(identity gives FPR {identity:.3f})")


print("one threshold 0.5 for both groups (a calibrated score, used alike):")
print_rates({0: 0.5, 1: 0.5})

# %% [markdown]
# With one threshold the score is calibrated in both groups (the bins above), yet the false positive and false
# negative rates differ a lot between the groups. Now choose group 1's threshold so that its false negative rate
# equals group 0's (equal opportunity) and look again: the FNRs match, and the PPVs have moved apart.

# %%
fnr_0 = rates(gap_val.y[gap_val.group == 0], (score_gap[gap_val.group == 0] >= 0.5).astype(int))[3]
positives_1 = np.sort(score_gap[(gap_val.group == 1) & (gap_val.y == 1)])
threshold_1 = positives_1[int(fnr_0 * len(positives_1))]  # reject exactly the lowest fnr_0 share of repayers
print(f"group 1's threshold for equal FNR: {threshold_1:.3f}")
print_rates({0: 0.5, 1: threshold_1})

# %% [markdown]
# Could we go further and equalise the FPR as well? The identity answers without any search: with group 0's FNR
# and FPR imposed on group 1, its PPV is fixed by its base rate, solving the identity for PPV:
# $\text{PPV} = p(1-\text{FNR}) / \big(p(1-\text{FNR}) + (1-p)\,\text{FPR}\big)$.

# %%
p0, ppv0, fpr0, fnr0 = rates(gap_val.y[gap_val.group == 0], (score_gap[gap_val.group == 0] >= 0.5).astype(int))
p1 = gap_val.y[gap_val.group == 1].mean()
forced_ppv1 = p1 * (1 - fnr0) / (p1 * (1 - fnr0) + (1 - p1) * fpr0)
print(f"equal FNR {fnr0:.3f} and FPR {fpr0:.3f} in both groups force PPV {ppv0:.3f} in group 0 "
      f"but {forced_ppv1:.3f} in group 1")

# %% [markdown]
# ## 4. Mitigation before, during and after training, and what it costs
#
# Take the historical-bias data of section 2 and try three fixes, each with a strength we can turn:
#
# - **before training, reweighing**: give each (group, label) cell the weight $P(g)P(y)/P(g, y)$, the weight that
#   makes group and label independent in the weighted data; strength $\alpha$ uses the weight to the power $\alpha$.
# - **during training, a fairness penalty**: add $\lambda\,(\bar p_0 - \bar p_1)^2$, the squared gap between the
#   groups' mean scores, to the loss (`train_logistic(..., penalty=lam)` above; its gradient is one more line).
# - **after training, per-group thresholds**: keep the model, accept group 1 from score $0.5 - \delta$.
#
# For each we measure the demographic parity difference and the accuracy, both against the recorded labels (all a
# lender can measure) and against the truth.

# %%
def reweighing(y, group, alpha=1.0):
    """Weight P(g) P(y) / P(g, y) per example, to the power alpha."""
    weights = np.empty(len(y))
    for g, label in itertools.product((0, 1), (0, 1)):
        cell = (group == g) & (y == label)
        weights[cell] = np.mean(group == g) * np.mean(y == label) / np.mean(cell)
    return weights ** alpha


hist_train, hist_val = (make_decisions(num_applicants, historical_bias=0.4, rng=rng) for _ in range(2))


def measure(p, threshold_1=0.5):
    y_pred = (p >= np.where(hist_val.group == 1, threshold_1, 0.5)).astype(int)
    return (fairness.demographic_parity_difference(hist_val.y, y_pred, hist_val.group),
            fairness.accuracy(hist_val.y, y_pred), fairness.accuracy(hist_val.y_true, y_pred))


strengths = {"reweighing (alpha)": [0.0, 0.25, 0.5, 0.75, 1.0], "penalty (lambda)": [0.0, 1.0, 3.0, 10.0, 30.0],
             "threshold shift (delta)": [0.0, 0.05, 0.1, 0.15, 0.2]}
tradeoff = {method: [] for method in strengths}
w0, b0 = train_logistic(hist_train.X, hist_train.y)
for alpha in strengths["reweighing (alpha)"]:
    w, b = train_logistic(hist_train.X, hist_train.y, sample_weight=reweighing(hist_train.y, hist_train.group, alpha))
    tradeoff["reweighing (alpha)"].append(measure(sigmoid(hist_val.X @ w + b)))
for lam in strengths["penalty (lambda)"]:
    w, b = train_logistic(hist_train.X, hist_train.y, group=hist_train.group, penalty=lam)
    tradeoff["penalty (lambda)"].append(measure(sigmoid(hist_val.X @ w + b)))
for delta in strengths["threshold shift (delta)"]:
    tradeoff["threshold shift (delta)"].append(measure(sigmoid(hist_val.X @ w0 + b0), threshold_1=0.5 - delta))

print(f"{'method':26s}{'strength':>9s}{'DP diff':>9s}{'acc (recorded)':>16s}{'acc (true)':>12s}")
for method, rows in tradeoff.items():
    for strength, (dp, acc_recorded, acc_true) in zip(strengths[method], rows):
        print(f"{method:26s}{strength:9.2f}{dp:9.3f}{acc_recorded:16.3f}{acc_true:12.3f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharex=True)
for method, rows in tradeoff.items():
    dp, acc_recorded, acc_true = np.array(rows).T
    axes[0].plot(dp, acc_recorded, "o-", label=method)
    axes[1].plot(dp, acc_true, "o-", label=method)
for ax, title in zip(axes, ["accuracy against the recorded labels", "accuracy against the true outcomes"]):
    ax.set_xlabel("demographic parity difference (0 = parity)")
    ax.set_ylabel("validation accuracy")
    ax.set_title(title)
axes[0].legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# The left panel is the trade-off a lender sees: every fix that closes the parity gap costs accuracy *against the
# records*, because the records themselves are biased. The right panel is the one only a simulation shows: against
# the true outcomes, the same fixes cost much less, or even gain, because they undo part of the historical bias. The
# "cost of fairness" depends on whether you measure it with the biased labels.
#
# The explorer below does post-processing by hand: one threshold per group, with the per-group rates and the
# metrics redrawn as you move them (the lecture version of the third row of the table).

# %%
explorer = threshold_explorer(sigmoid(hist_val.X @ w0 + b0), hist_val.y_true, hist_val.group)
explorer.controls["threshold_1"].value = 0.4
print(f"thresholds 0.5 / 0.4: accuracy {explorer.accuracy:.3f}, DP diff {explorer.dp_difference:.3f}, "
      f"equalised odds diff {explorer.eo_difference:.3f} (against the true outcomes)")
explorer

# %% [markdown]
# ## 5. What did a digits CNN look at?
#
# We train chapter 07's LeNet-style network in PyTorch on the 16×16 digits, with the training loop written out
# (chapter 06's mini-batch loop), and keep the test split untouched until the model card at the end.

# %%
images, labels = load_digit_images(16)  # (N, 1, 16, 16) float32 in [0, 1], (N,)
X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(
    images, labels, val_size=0.15, test_size=0.15, stratify=labels, rng=np.random.default_rng(0))
X_train, X_val, X_test = (torch.tensor(a, device=device) for a in (X_train, X_val, X_test))
y_train, y_val, y_test = (torch.tensor(a, device=device) for a in (y_train, y_val, y_test))


def lenet():
    return torch.nn.Sequential(torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                               torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                               torch.nn.Linear(16 * 2 * 2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10)).to(device)


def train_cnn(model, *, num_epochs=15, batch_size=32, lr=5e-3, attack=None, seed=0):
    """Adam on cross-entropy; ``attack(model, x, y)`` (section 7) replaces each batch by adversarial examples."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    order_rng = np.random.default_rng(seed)
    for _ in range(num_epochs):
        for batch in np.array_split(order_rng.permutation(len(X_train)), len(X_train) // batch_size):
            x, y = X_train[batch], y_train[batch]
            if attack is not None:
                x = attack(model, x, y)
            loss = torch.nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


def accuracy_on(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


num_epochs = 30 if big else 15
cnn = train_cnn(lenet(), num_epochs=num_epochs)
print(f"validation accuracy after {num_epochs} epochs: {accuracy_on(cnn, X_val, y_val):.3f}")

# %% [markdown]
# Each method explains the **logit** $F(x)$ of the predicted class (`dlcourse.attribution`, checked against the
# `captum` library in the tests):
#
# - **saliency**: $|\partial F / \partial x|$, how fast the logit changes with each pixel (one backward pass, as in
#   chapter 04, but with respect to the input instead of the weights).
# - **SmoothGrad**: the saliency averaged over $n$ noisy copies $x + \varepsilon$, $\varepsilon \sim
#   \mathcal{N}(0, \sigma^2)$; the gradient of a ReLU network jumps from pixel to pixel, the average is smoother.
# - **integrated gradients** (IG): $\text{IG}_i(x) = (x_i - x'_i)\int_0^1 \frac{\partial F}{\partial x_i}\big(x' +
#   \alpha(x - x')\big)\,d\alpha$ from a baseline $x'$ (a black image). By the fundamental theorem of calculus
#   along the path, $\sum_i \text{IG}_i = F(x) - F(x')$: the attributions share out exactly the change of the logit
#   (*completeness*). The integral is a weighted sum over `steps` points (Gauss-Legendre quadrature).
# - **Grad-CAM**: for the last convolution's activations $A$ (16 maps of 4×4), weights $\alpha_c =$ the mean over
#   positions of $\partial F/\partial A_c$, and the map $\text{ReLU}(\sum_c \alpha_c A_c)$, upsampled to 16×16.
# - **occlusion**: slide a 4×4 black patch over the image and record how much the logit drops. No gradients at
#   all: it works for any model, so it is a check on the others.

# %%
print(inspect.getsource(attribution.integrated_gradients).split("    alphas, weights")[1])

# %%
x_explain = X_val[:6]
target = cnn(x_explain).argmax(1)


def explain(model, x, target):
    """Every method's map, (N, 16, 16) each, for the same model, inputs and target classes."""
    ig, delta = attribution.integrated_gradients(model, x, target, steps=32)
    cam = attribution.grad_cam(model, model[3], x, target)  # model[3]: the second convolution
    cam = torch.nn.functional.interpolate(cam[:, None], size=x.shape[-2:], mode="bilinear")  # (N, 4, 4) -> 16x16
    return {"saliency": attribution.saliency(model, x, target)[:, 0],
            "SmoothGrad": attribution.smoothgrad(model, x, target, n_samples=32, stdev=0.15,
                                                 rng=np.random.default_rng(1))[:, 0],
            "integrated gradients": ig[:, 0], "Grad-CAM": cam[:, 0],
            "occlusion": attribution.occlusion(model, x, target, window=(4, 4), stride=2)[:, 0]}, delta


maps, delta = explain(cnn, x_explain, target)
with torch.no_grad():
    change = cnn(x_explain)[range(6), target] - cnn(torch.zeros_like(x_explain))[range(6), target]
print("IG completeness: sum of attributions - (F(x) - F(black)) =", delta.numpy().round(4),
      f"\n  against logit changes of {change.numpy().round(1)}")
for steps in (8, 32, 128):  # the gap is the error of the finite sum: it shrinks with more points
    gap = attribution.integrated_gradients(cnn, x_explain, target, steps=steps)[1].abs().max().item()
    print(f"  {steps:3d} steps: largest |gap| {gap:.4f}")

# %%
fig, axes = plt.subplots(len(x_explain), 1 + len(maps), figsize=(10, 9.5))
for row in range(len(x_explain)):
    axes[row, 0].imshow(x_explain[row, 0].cpu(), cmap="gray")
    axes[row, 0].set_ylabel(f"predicted {target[row].item()}")
    for col, (name, m) in enumerate(maps.items(), start=1):
        limit = m[row].abs().max().item()
        axes[row, col].imshow(m[row].detach().cpu(), cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[0, col].set_title(name, fontsize=9)
for ax in axes.flat:
    ax.set_xticks([]), ax.set_yticks([])
fig.suptitle("attributions for the predicted class (red: raises the logit; saliency and SmoothGrad are |gradient|)")
plt.tight_layout()
plt.show()

# %% [markdown]
# **A sanity check.** An explanation is only useful if it depends on what the model learned. Randomise the weights
# (a fresh, untrained network of the same shape) and explain the same images again: a method whose maps barely
# change was showing the image, not the model. We measure it with the Spearman rank correlation (the correlation of
# the pixels' ranks) between the trained and the random model's maps, averaged over the six images, and, as a
# reference, between each map and the image itself.

# %%
random_cnn = lenet().eval()
random_maps, _ = explain(random_cnn, x_explain, target)


def rank_correlation(a, b):
    """Mean over images of Spearman's rho between two (N, H, W) maps, taken as magnitudes."""
    return np.mean([scipy.stats.spearmanr(a[n].abs().flatten().detach().cpu(), b[n].abs().flatten().detach().cpu())[0]
                    for n in range(len(a))])


sanity = {name: (rank_correlation(maps[name], random_maps[name]), rank_correlation(maps[name], x_explain[:, 0]))
          for name in maps}
print(f"{'method':22s}{'trained vs random weights':>27s}{'map vs image':>14s}")
for name, (vs_random, vs_image) in sanity.items():
    print(f"{name:22s}{vs_random:27.2f}{vs_image:14.2f}")

# %%
most, least = max(sanity, key=lambda k: sanity[k][0]), min(sanity, key=lambda k: sanity[k][0])
print(f"least changed by randomising the weights: {most} (rho {sanity[most][0]:.2f}); "
      f"most changed: {least} (rho {sanity[least][0]:.2f})")

# %% [markdown]
# Read the two columns together. A method whose map stays similar after the weights are randomised, and that also
# correlates strongly with the image, is largely an edge detector of the input: integrated gradients multiplies by
# $x - x'$, so on a black baseline it is zero wherever the image is black, whatever the model. Methods with a low
# first-column number (the line above names the extremes) do depend on the trained weights. "The explanation looks
# plausible" is not evidence; a measured dependence on the model is.

# %% [markdown]
# ## 6. Explaining a tabular model: permutation importance, Shapley values, LIME
#
# For tabular data we use scikit-learn's breast-cancer measurements (no download), six of its features,
# standardised (chapter 06), and a logistic regression. We fit it on a training part and explain it on a
# validation part.

# %%
cancer = load_breast_cancer()
feature_ids = [0, 1, 4, 5, 6, 8]  # mean radius, texture, smoothness, compactness, concavity, symmetry
feature_names = [cancer.feature_names[i] for i in feature_ids]
Xc = cancer.data[:, feature_ids]
Xc_train, Xc_val, _, yc_train, yc_val, _ = train_val_test_split(Xc, cancer.target, val_size=0.3, test_size=0,
                                                                rng=np.random.default_rng(3))
mean, std = Xc_train.mean(axis=0), Xc_train.std(axis=0)
Zc_train, Zc_val = (Xc_train - mean) / std, (Xc_val - mean) / std
clf = LogisticRegression().fit(Zc_train, yc_train)
predict_proba = lambda Z: clf.predict_proba(Z)[:, 1]  # noqa: E731  f(x), the probability of "benign"
print(f"validation accuracy {clf.score(Zc_val, yc_val):.3f}")
print("weights:", ", ".join(f"{name} {w:+.2f}" for name, w in zip(feature_names, clf.coef_[0])))

# %% [markdown]
# **Permutation importance**: shuffle one feature's column in the validation data (breaking its link to the label
# while keeping its distribution) and measure how much the accuracy drops; repeat with several shuffles. Written by
# hand, then compared with scikit-learn's `permutation_importance`, which does the same with its own shuffles.

# %%
def permutation_importance_by_hand(predict, X, y, *, n_repeats, rng):
    """(D, n_repeats) drops in accuracy when one column is shuffled."""
    baseline = np.mean(predict(X) == y)
    drops = np.zeros((X.shape[1], n_repeats))
    for j in range(X.shape[1]):
        for r in range(n_repeats):
            X_shuffled = X.copy()
            X_shuffled[:, j] = X[rng.permutation(len(X)), j]
            drops[j, r] = baseline - np.mean(predict(X_shuffled) == y)
    return drops


n_repeats = 30
ours = permutation_importance_by_hand(clf.predict, Zc_val, yc_val, n_repeats=n_repeats, rng=np.random.default_rng(5))
theirs = permutation_importance(clf, Zc_val, yc_val, n_repeats=n_repeats, random_state=0)
print(f"{'feature':20s}{'by hand':>18s}{'scikit-learn':>18s}")
for j, name in enumerate(feature_names):
    print(f"{name:20s}{ours[j].mean():10.3f} ± {ours[j].std():.3f}"
          f"{theirs.importances_mean[j]:10.3f} ± {theirs.importances_std[j]:.3f}")
standard_error = np.sqrt((ours.var(axis=1) + theirs.importances_std ** 2) / n_repeats)
print("largest difference in standard errors:",
      f"{np.max(np.abs(ours.mean(axis=1) - theirs.importances_mean) / np.maximum(standard_error, 1e-12)):.1f}")

# %% [markdown]
# The two agree within their shuffling noise (the last line: the largest gap between the two means, in standard
# errors of the difference). Both rank the features the same way at the top.
#
# **Shapley values** explain one prediction $f(x)$ instead of the whole model. A *coalition* $S$ is a set of features
# whose values we know; the rest are filled in from a background sample (100 training rows), which defines the
# value $v(S) = \text{mean}_b\, f(x_S, b_{\bar S})$. Feature $i$'s Shapley value is its extra value when it joins a
# coalition, averaged over all orders in which the features could join:
# $$\phi_i = \sum_{S \subseteq F\setminus\{i\}} \frac{|S|!\,(d - |S| - 1)!}{d!}\big(v(S \cup \{i\}) - v(S)\big).$$
# The weight is the fraction of the $d!$ orders in which exactly the features of $S$ come before $i$. The values add
# up to $v(F) - v(\emptyset) = f(x) - \text{mean}_b f(b)$ (efficiency). With $d = 6$ features there are only
# $2^6 = 64$ coalitions, so we can compute it exactly.

# %%
background = Zc_train[:100]
x_shap = Zc_val[0]
d = len(feature_names)


def coalition_value(coalitions):
    """v(S) for each row of coalitions (M, d) of bools: known features from x_shap, the rest from the background."""
    mixed = np.where(coalitions[:, None, :], x_shap, background[None])  # (M, 1, d) with (B, d) -> (M, B, d)
    return predict_proba(mixed.reshape(-1, d)).reshape(len(coalitions), -1).mean(axis=1)  # (M*B,) -> (M, B) -> (M,)


all_coalitions = np.array(list(itertools.product([False, True], repeat=d)))  # (64, d)
values = dict(zip(map(tuple, all_coalitions), coalition_value(all_coalitions)))
exact_shapley = np.zeros(d)
for i in range(d):
    for S in all_coalitions[~all_coalitions[:, i]]:
        with_i = S.copy()
        with_i[i] = True
        weight = math.factorial(S.sum()) * math.factorial(d - S.sum() - 1) / math.factorial(d)
        exact_shapley[i] += weight * (values[tuple(with_i)] - values[tuple(S)])
print("exact Shapley values:", ", ".join(f"{name} {phi:+.4f}" for name, phi in zip(feature_names, exact_shapley)))
print(f"sum {exact_shapley.sum():.4f} = f(x) - mean f(background) = "
      f"{predict_proba(x_shap[None])[0] - predict_proba(background).mean():.4f}")

# %% [markdown]
# **KernelSHAP** avoids the $2^d$ coalitions. The Shapley values are also the solution of a weighted least-squares
# problem: fit $v(S) \approx \phi_0 + \sum_{i \in S}\phi_i$ over coalitions, with $\phi_0 = v(\emptyset)$, the
# constraint $\sum_i \phi_i = v(F) - v(\emptyset)$, and weights $\pi(S) = \frac{d-1}{\binom{d}{|S|}|S|(d-|S|)}$
# (the *Shapley kernel*, a result of Lundberg and Lee, 2017, that we use without proof). Drawing coalitions with
# probability proportional to $\pi(S)$ and solving the unweighted problem on the sample estimates the same thing.
# The constraint is built in by writing $\phi_d = v(F) - v(\emptyset) - \sum_{i<d}\phi_i$.

# %%
def kernel_shap(n_samples, rng):
    sizes = np.arange(1, d)
    size_probability = (d - 1) / (sizes * (d - sizes))  # binom(d, k) coalitions of size k, each with weight pi
    k = rng.choice(sizes, size=n_samples, p=size_probability / size_probability.sum())
    coalitions = np.zeros((n_samples, d), dtype=bool)
    for n in range(n_samples):
        coalitions[n, rng.choice(d, size=k[n], replace=False)] = True
    v_empty, v_full = values[(False,) * d], values[(True,) * d]
    A = coalitions[:, :-1].astype(float) - coalitions[:, -1:]  # (n, d-1): phi_d substituted out
    rhs = coalition_value(coalitions) - v_empty - coalitions[:, -1] * (v_full - v_empty)
    head = np.linalg.lstsq(A, rhs, rcond=None)[0]
    return np.append(head, v_full - v_empty - head.sum())


sample_sizes = [25, 100, 400, 1600, 6400]
kernel_errors = [np.mean([np.abs(kernel_shap(n, np.random.default_rng(seed)) - exact_shapley).max()
                          for seed in range(5)]) for n in sample_sizes]
for n, error in zip(sample_sizes, kernel_errors):
    print(f"KernelSHAP with {n:5d} coalitions: largest error {error:.5f} (mean over 5 seeds)")

# %%
plt.figure(figsize=(5, 3.5))
plt.loglog(sample_sizes, kernel_errors, "o-", label="KernelSHAP")
plt.loglog(sample_sizes, kernel_errors[0] * np.sqrt(sample_sizes[0] / np.array(sample_sizes)), "--",
           label=r"$\propto 1/\sqrt{n}$")
plt.xlabel("sampled coalitions n")
plt.ylabel("max |KernelSHAP - exact|")
plt.legend()
plt.title("KernelSHAP converges to the exact Shapley values")
plt.show()

# %% [markdown]
# **LIME** explains $f$ near $x$ with a linear model: sample points $z = x + \text{width}\cdot\varepsilon$ around $x$
# ($\varepsilon$ standard normal), weigh each by $\exp(-\lVert z - x\rVert^2/\text{width}^2)$, and fit
# $f(z) \approx c + \mathbf{a}^\top(z - x)$ by weighted least squares (chapter 03's linear regression, each squared
# error multiplied by its weight). For a smooth $f$ and a small width, $\mathbf{a}$ approaches the gradient
# $\nabla f(x)$, which for logistic regression is $\hat p(1-\hat p)\,\mathbf{w}$; a wide neighbourhood averages
# the curvature of the sigmoid in, and the explanation then depends on the width you chose.

# %%
def lime(f, x, *, width, n_samples=2000, rng):
    z = x + width * rng.normal(size=(n_samples, len(x)))  # samples in the kernel's neighbourhood of x
    weight = np.exp(-np.sum((z - x) ** 2, axis=1) / width ** 2)
    design = np.column_stack([np.ones(n_samples), z - x])  # (n, 1 + d)
    root = np.sqrt(weight)  # weighted least squares = ordinary least squares on rows scaled by sqrt(weight)
    coef = np.linalg.lstsq(design * root[:, None], f(z) * root, rcond=None)[0]
    return coef[1:]


p_x = predict_proba(x_shap[None])[0]
gradient = p_x * (1 - p_x) * clf.coef_[0]
for width in [0.1, 0.3, 1.0, 3.0, 10.0]:
    a = lime(predict_proba, x_shap, width=width, rng=np.random.default_rng(6))
    print(f"width {width:4.1f}: relative distance of LIME's coefficients from the gradient "
          f"{np.linalg.norm(a - gradient) / np.linalg.norm(gradient):.3f}")

# %% [markdown]
# ## 7. Adversarial examples, and what adversarial training buys back
#
# The gradient that explained the CNN in section 5 can also attack it. The **fast gradient sign method** (FGSM)
# moves every pixel by $\epsilon$ in the direction that raises the loss: $x_{\text{adv}} = x + \epsilon\,
# \text{sign}(\nabla_x L)$, clipped to the valid range [0, 1]. To first order the loss rises by $\epsilon \sum_i
# |\partial L/\partial x_i|$, the most any change of at most $\epsilon$ per pixel can give. **PGD** (projected
# gradient descent, here ascent) takes several smaller signed steps from a random start inside the $\epsilon$-box,
# clipping back into the box after each: a stronger attack.

# %%
print(inspect.getsource(pgd).split('"""')[2])

# %%
epsilons = [0.0, 0.05, 0.1, 0.15, 0.2, 0.3]


def robustness(model):
    """Validation accuracy under FGSM and under PGD (10 steps of epsilon/4), per epsilon."""
    result = {"FGSM": [], "PGD": []}
    for eps in epsilons:
        result["FGSM"].append(accuracy_on(model, fgsm(model, X_val, y_val, eps), y_val))
        x_pgd = pgd(model, X_val, y_val, eps, step_size=eps / 4, num_steps=10, rng=np.random.default_rng(7))
        result["PGD"].append(accuracy_on(model, x_pgd, y_val))
    return result


plain_robustness = robustness(cnn)
print("epsilon       " + "".join(f"{eps:7.2f}" for eps in epsilons))
for attack_name, accuracies in plain_robustness.items():
    print(f"{attack_name:14s}" + "".join(f"{a:7.3f}" for a in accuracies))

# %% [markdown]
# **Adversarial training** trains on attacked batches: each mini-batch is replaced by PGD examples (3 steps,
# $\epsilon$ = 0.15) made against the current model, so the model learns to be right in the whole box around each
# training image. It costs four forward-backward passes per batch instead of one.

# %%
train_epsilon = 0.15
adversary_rng = np.random.default_rng(8)
start = time.perf_counter()
robust_cnn = train_cnn(lenet(), num_epochs=num_epochs, attack=lambda model, x, y: pgd(
    model, x, y, train_epsilon, step_size=train_epsilon / 2.5, num_steps=3, rng=adversary_rng))
print(f"adversarial training: {time.perf_counter() - start:.1f} s")

# %%
robust_robustness = robustness(robust_cnn)
print("epsilon                  " + "".join(f"{eps:7.2f}" for eps in epsilons))
for label, result in (("standard", plain_robustness), ("adversarially trained", robust_robustness)):
    for attack_name, accuracies in result.items():
        print(f"{label + ', ' + attack_name:25s}" + "".join(f"{a:7.3f}" for a in accuracies))

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [1.3, 1]})
for label, result, color in (("standard", plain_robustness, "C0"), ("adversarially trained", robust_robustness, "C1")):
    axes[0].plot(epsilons, result["FGSM"], "o--", color=color, label=f"{label}, FGSM")
    axes[0].plot(epsilons, result["PGD"], "o-", color=color, label=f"{label}, PGD")
axes[0].set_xlabel(r"$\epsilon$ (largest change per pixel, pixels in [0, 1])")
axes[0].set_ylabel("validation accuracy")
axes[0].legend(fontsize=8)
x_adv = fgsm(cnn, X_val[:1], y_val[:1], 0.15)
panels = [(X_val[0, 0], f"original: predicted {cnn(X_val[:1]).argmax().item()}"),
          (x_adv[0, 0], f"FGSM, eps 0.15: predicted {cnn(x_adv).argmax().item()}")]
axes[1].imshow(torch.cat([p for p, _ in panels], dim=1).cpu(), cmap="gray")
axes[1].set_title(" | ".join(t for _, t in panels), fontsize=9)
axes[1].axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# Read the table: PGD is at least as strong as FGSM at every $\epsilon$, and adversarial training buys back much of the
# accuracy under attack, at a clear cost in clean accuracy (the $\epsilon = 0$ column). The usual caveat applies: a
# model is only shown robust against the attacks tried.
#
# ## 8. Privacy: does a model give away who was in its training set?
#
# A **membership-inference attack** guesses whether an example was in the training set. The simplest one uses the
# loss: a model that has overfitted has a smaller loss on its training examples than on others, so "small loss means
# member" works. We train an MLP on digits (the *members*) and hold out as many others (*non-members*), once without
# regularisation and for long (500 full-batch steps), once with an L2 penalty (chapter 06's weight decay, 0.01) and
# 100 steps, each with 200 and with 800 members, and measure the attack's ROC AUC (chapter 03): 0.5 means the
# attacker learns nothing, 1 means they can tell every member.

# %%
digits8, labels8 = load_digit_images(8)
order = np.random.default_rng(9).permutation(len(digits8))
X8 = torch.tensor(digits8.reshape(len(digits8), -1), device=device)  # (N, 1, 8, 8) -> (N, 64)
y8 = torch.tensor(labels8, device=device)


def train_mlp(members, *, weight_decay, num_steps, seed=10):
    torch.manual_seed(seed)
    mlp = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)).to(device)
    optimizer = torch.optim.Adam(mlp.parameters(), lr=1e-2, weight_decay=weight_decay)  # L2 penalty on the loss
    for _ in range(num_steps):  # full batch: all members at once
        loss = torch.nn.functional.cross_entropy(mlp(X8[members]), y8[members])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return mlp.eval()


def membership_auc(model, members, outsiders):
    with torch.no_grad():
        losses = torch.nn.functional.cross_entropy(model(X8), y8, reduction="none").cpu().numpy()
    is_member = np.r_[np.ones(len(members)), np.zeros(len(outsiders))]
    return roc_auc_score(is_member, -np.r_[losses[members], losses[outsiders]])  # smaller loss: more likely member


privacy = {}
for n_members in (200, 800):
    members, outsiders = order[:n_members], order[n_members:2 * n_members]
    for name, settings in {"overfit": {"weight_decay": 0.0, "num_steps": 500},
                           "regularised": {"weight_decay": 0.01, "num_steps": 100}}.items():
        mlp = train_mlp(members, **settings)
        privacy[name, n_members] = (accuracy_on(mlp, X8[members], y8[members]),
                                    accuracy_on(mlp, X8[outsiders], y8[outsiders]),
                                    membership_auc(mlp, members, outsiders))
        print(f"{n_members} members, {name:12s} train accuracy {privacy[name, n_members][0]:.3f}, held-out "
              f"accuracy {privacy[name, n_members][1]:.3f}, membership-inference AUC {privacy[name, n_members][2]:.3f}")

# %% [markdown]
# The attack works best where the gap between training and held-out accuracy is largest: the AUC follows the
# generalisation gap. Compare the rows: on this easy data set the L2 penalty changes the AUC little, while four times
# more members shrinks both the gap and the leak. Regularisation that does not close the gap does not protect;
# guarantees need methods built for privacy (differentially private training adds calibrated noise to clipped
# per-example gradients), which are beyond this chapter.

# %% [markdown]
# ## 9. Bias amplification, deepfakes, black boxes: what the numbers say
#
# **Bias amplification** is a model making a disparity in its data larger. Compare the gap in the recorded labels
# of section 4's historical-bias data with the gap in the model's decisions, for the model that sees only the
# postcode and for one that is given the group itself:

# %%
label_gap = fairness.demographic_parity_difference(hist_val.y, hist_val.y, hist_val.group)  # gap in the labels
w_g, b_g = train_logistic(with_group(hist_train), hist_train.y)
decision_gaps = {"postcode only": measure(sigmoid(hist_val.X @ w0 + b0))[0],
                 "group as a feature": fairness.demographic_parity_difference(
                     hist_val.y, (sigmoid(with_group(hist_val) @ w_g + b_g) >= 0.5).astype(int), hist_val.group)}
print(f"gap in the recorded labels' positive rates: {label_gap:.3f}")
for name, gap in decision_gaps.items():
    print(f"gap in the model's acceptance rates ({name}): {gap:.3f} ({gap / label_gap:.2f} x the label gap)")

# %% [markdown]
# Whether a model amplifies depends on what it can see and on the threshold: a threshold turns a moderate
# difference in scores into a difference in yes/no decisions. The ratio printed above is the measurement; a model
# that amplifies (ratio above 1) makes the next round of records worse if its decisions become the labels.
#
# **Deepfakes** and other synthetic media use the same tool as section 7: the gradient of a network's output with
# respect to its *input*. FGSM changed every pixel by at most $\epsilon$ and changed what the CNN saw; generative
# models (chapters 10 and 11) follow such gradients much further, until the image shows something that never
# happened. The table of section 7 is a measure of how little change it takes to fool a model that was not trained
# against it, and why detectors of synthetic images are themselves easy to attack.
#
# **Black boxes.** Section 5's sanity check showed that some explanations change little when the model's weights
# are replaced by random ones; such a picture says more about the image than about the model. Section 6's exact
# Shapley values, in contrast, provably add up to the prediction's difference from the average, and LIME's answer
# depended on its width. An explanation is a measurement with its own error bars: report how it was checked.

# %% [markdown]
# ## 10. A model card
#
# A *model card* (Mitchell et al., 2019) is a short, standard description of a trained model: what it is for, what it
# was trained and evaluated on, how well it does overall and where it fails. We write one for the chapter's digits
# CNN. This is the only cell that touches the test split.

# %%
test_accuracy = accuracy_on(cnn, X_test, y_test)
robust_test_accuracy = accuracy_on(robust_cnn, X_test, y_test)
per_class = [accuracy_on(cnn, X_test[y_test == k], y_test[y_test == k]) for k in range(10)]
worst = int(np.argmin(per_class))
fgsm_test = {name: accuracy_on(model, fgsm(model, X_test, y_test, 0.1), y_test)
             for name, model in (("standard", cnn), ("adversarially trained", robust_cnn))}
card = f"""
### Model card: digits LeNet (chapter 13)
- **Model**: LeNet-style CNN (2 convolutions, 2 linear layers), {sum(p.numel() for p in cnn.parameters()):,}
  parameters, PyTorch, Adam, {num_epochs} epochs. A second copy trained adversarially (PGD, epsilon {train_epsilon}).
- **Intended use**: teaching. Not for reading real handwriting (forms, cheques, addresses): it has seen only
  scikit-learn's 8x8 digits, upsampled to 16x16.
- **Data**: {len(X_train)} training, {len(X_val)} validation, {len(X_test)} test images, stratified by digit.
- **Test accuracy**: {test_accuracy:.3f} (adversarially trained copy: {robust_test_accuracy:.3f}).
- **Per-class test accuracy**: worst digit {worst} at {per_class[worst]:.3f}; best {max(per_class):.3f}.
- **Robustness**: under FGSM with epsilon 0.1, test accuracy {fgsm_test['standard']:.3f}
  (adversarially trained: {fgsm_test['adversarially trained']:.3f}). Do not use where inputs can be manipulated.
- **Explanations**: sanity check (section 5), rank correlation between the maps of this model and of a random
  one (near 1: the map ignores the weights): {", ".join(f"{name} {rho:.2f}" for name, (rho, _) in sanity.items())}.
- **Privacy**: a loss-threshold membership attack on a similar model trained on 200 images reached AUC
  {privacy['overfit', 200][2]:.2f}; do not train such a model on data whose membership is sensitive.
- **Fairness**: no people and no protected attribute in this data; see sections 2-4 for the audit that a model
  deciding about people needs.
"""
display(Markdown(card))
print(f"chapter ran in {time.perf_counter() - chapter_start:.1f} s")

# %% [markdown]
# ## Self-check
#
# 1. A model accepts 60% of group 0 and 45% of group 1. What are the demographic parity difference and ratio? Does
#    it pass the four-fifths rule?
# 2. In group 1, 80 people would repay; the model accepts 60 of them and 10 of the 120 who would not. What are
#    TPR and FPR?
# 3. Which of the three biases of section 1 leaves demographic parity unchanged but shows in equalised odds? Which
#    one can an audit that has only the recorded labels miss?
# 4. Two groups have base rates 0.5 and 0.2, and a classifier has FNR 0.2 and PPV 0.8 in both. Use the identity of
#    section 3 to compute each group's FPR. Can equalised odds hold?
# 5. Why do integrated gradients add up to $F(x) - F(x')$, and why does the sum differ slightly in the output?
# 6. What does Grad-CAM compute from the activations and the gradients of a convolutional layer?
# 7. For the value table $v(\emptyset) = 0$, $v(\{1\}) = 1$, $v(\{2\}) = 2$, $v(\{1, 2\}) = 5$, what are the two
#    Shapley values?
# 8. Logistic regression with weights $\mathbf{w} = (2, -1)$, input $(0.5, 0.5)$, label 1: which way does FGSM move
#    each pixel?
# 9. What does a membership-inference AUC of 0.5 mean? Which model in section 8 leaked most, and what reduced it?
#
# ## What to try
#
# Each cell below runs in a few seconds after the chapter's cells.

# %% tags=["what-to-try"]
# Historical bias at three strengths: how do the demographic parity difference and group 1's calibration grow?
for strength in (0.1, 0.3, 0.6):
    train, val = (make_decisions(num_applicants, historical_bias=strength, rng=np.random.default_rng(11))
                  for _ in range(2))
    w, b = train_logistic(train.X, train.y)
    row = audit(sigmoid(val.X @ w + b), val)
    print(f"historical_bias {strength}: DP diff {row['DP diff']:.3f}, calibration g1 {row['calib g1 (true)']:+.3f}")

# %% tags=["what-to-try"]
# Integrated gradients from a grey baseline instead of a black one: does the map still look like the image?
ig_grey, _ = attribution.integrated_gradients(cnn, x_explain, target, baseline=0.5, steps=32)
ig_grey_random, _ = attribution.integrated_gradients(random_cnn, x_explain, target, baseline=0.5, steps=32)
print(f"grey baseline: rank correlation trained vs random {rank_correlation(ig_grey[:, 0], ig_grey_random[:, 0]):.2f}, "
      f"map vs image {rank_correlation(ig_grey[:, 0], x_explain[:, 0]):.2f}")

# %% tags=["what-to-try"]
# A stronger PGD (40 steps) against the adversarially trained model at epsilon 0.1: does its accuracy hold?
x_strong = pgd(robust_cnn, X_val, y_val, 0.1, step_size=0.01, num_steps=40, rng=np.random.default_rng(12))
print(f"PGD-40 at epsilon 0.1: {accuracy_on(robust_cnn, x_strong, y_val):.3f}")

# %% [markdown]
# - In the threshold explorer, find the pair of thresholds where the equalised odds difference is smallest. What
#   does it cost in accuracy, and what happens to demographic parity?
# - Section 6: add a seventh feature and check that the exact Shapley computation takes twice as many coalitions.
# - The exercise for this chapter asks you to write demographic parity and equalised odds, integrated gradients for
#   a logistic model, Grad-CAM weights, FGSM on a logistic model and exact Shapley values.
