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
print(make_decisions.__doc__.split("Args:")[0])
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
import inspect

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
