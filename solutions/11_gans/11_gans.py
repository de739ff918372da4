# %% [markdown]
# # Exercise 11: generative adversarial networks
#
# Five functions, each worth points: the discriminator's loss and its gradient, the non-saturating generator loss
# and its gradient through a given discriminator, one whole alternating update of a tiny GAN, counting the modes a
# generator covers, and the Fréchet distance. Write each one with NumPy between the lines that say
# `YOUR CODE HERE`; do not call `dlcourse.gan`, `dlcourse.nn` or `torch`.
#
# Notation as in chapter 11: the discriminator outputs a logit $s$ and $D = \sigma(s) = 1/(1 + e^{-s})$;
# $\operatorname{softplus}(s) = \log(1 + e^{s})$, so $-\log\sigma(s) = \operatorname{softplus}(-s)$ and
# $-\log(1 - \sigma(s)) = \operatorname{softplus}(s)$, and $\operatorname{softplus}'(s) = \sigma(s)$.
# `np.logaddexp(0, s)` computes softplus without overflow.
#
# Check your work at any time: run the test cell under each function, or, from a terminal,
# `dlcourse check 11_gans.ipynb` for a score out of the visible tests. The grader also runs hidden tests on
# other inputs, so make your code right for every input, not just for the example.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false} dlcourse={"forbid": ["torch", "dlcourse.nn", "dlcourse.gan"]}
import numpy as np

from dlcourse.grading import expect_close, expect_equal, expect_true

# %% [markdown]
# ## 1. The discriminator's loss and its gradient (2 points)
#
# For $N_r$ real logits $s_r$ and $N_f$ generated ones $s_f$ (each array of shape (N,)):
# $$L_D = \frac{1}{N_r}\sum_i \operatorname{softplus}(-s_{r,i}) + \frac{1}{N_f}\sum_j \operatorname{softplus}(s_{f,j}).$$
# Return the loss (a float) and its gradients with respect to both arrays (derive them: differentiate each term with
# $\operatorname{softplus}' = \sigma$).

# %% nbgrader={"grade": false, "grade_id": "discriminator_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def discriminator_loss(real_logits, fake_logits):
    """real_logits: (N_r,), fake_logits: (N_f,) -> (loss: float, dreal: (N_r,), dfake: (N_f,))."""
    ### BEGIN SOLUTION
    loss = np.logaddexp(0, -real_logits).mean() + np.logaddexp(0, fake_logits).mean()
    sigmoid = lambda s: 0.5 * (1 + np.tanh(0.5 * s))  # noqa: E731
    dreal = (sigmoid(real_logits) - 1) / real_logits.size
    dfake = sigmoid(fake_logits) / fake_logits.size
    return float(loss), dreal, dfake
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "discriminator_loss_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Test cells import what they use again, so that nothing a solution cell rebinds can change a test.
import numpy as np
from dlcourse.grading import expect_close, expect_equal, expect_true

# Logits 0 mean D = 1/2 everywhere: each term is softplus(0) = log 2, so the loss is 2 log 2. The gradient of the
# real term is (sigma(0) - 1) / N_r = -1/4 per real logit (N_r = 2), of the fake term sigma(0) / N_f = 1/2 (N_f = 1).
loss, dreal, dfake = discriminator_loss(np.array([0.0, 0.0]), np.array([0.0]))
expect_close(loss, 2 * np.log(2), name="loss at logits 0")
expect_close(dreal, [-0.25, -0.25], name="dreal at logits 0")
expect_close(dfake, [0.5], name="dfake at logits 0")
print("✓ discriminator_loss: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
import dlcourse.gan as gan

rng = np.random.default_rng(1101)
for N_r, N_f, scale in [(5, 7, 1.0), (1, 3, 4.0), (64, 32, 10.0)]:
    s_r, s_f = scale * rng.normal(size=N_r), scale * rng.normal(size=N_f)
    expected_loss, cache = gan.discriminator_loss_forward(s_r, s_f)
    expected_dreal, expected_dfake = gan.discriminator_loss_backward(1.0, cache)
    loss, dreal, dfake = discriminator_loss(s_r.copy(), s_f.copy())
    expect_close(loss, expected_loss, name=f"loss for N_r={N_r}, N_f={N_f}", rtol=1e-5)
    expect_close(dreal, expected_dreal, name=f"dreal for N_r={N_r}", rtol=1e-5)
    expect_close(dfake, expected_dfake, name=f"dfake for N_f={N_f}", rtol=1e-5)
# huge logits must not overflow: a confident, right discriminator has a loss near 0
loss, dreal, dfake = discriminator_loss(np.array([800.0]), np.array([-800.0]))
expect_true(np.isfinite(loss) and abs(loss) < 1e-6, f"loss for logits +800 (real) and -800 (fake): expected about 0, "
            f"got {loss}; compute softplus with np.logaddexp(0, s)")
expect_close(dreal, [0.0], name="dreal at a real logit of +800", atol=1e-12)
### END HIDDEN TESTS

# %% [markdown]
# ## 2. The generator's loss through a given discriminator (3 points)
#
# The discriminator is a one-hidden-layer MLP given as arrays: for generated points `fake` of shape (N, D),
# $$h = \operatorname{ReLU}(\text{fake}\; W_1^\top + b_1), \qquad s = h\, w_2 + b_2,$$
# with $W_1$ (Dh, D), $b_1$ (Dh,), $w_2$ (Dh,), $b_2$ a number, so $s$ has shape (N,). The generator's
# non-saturating loss is $L_G = \frac1N \sum_j \operatorname{softplus}(-s_j)$. Return $L_G$ and
# $\partial L_G / \partial\,\text{fake}$, shape (N, D): the direction in which each generated point should move. This is
# the step where the generator's gradient flows back *through* the discriminator: chain $\partial L_G/\partial s$
# through $w_2$, the ReLU and $W_1$ (the discriminator's weights are only read, never changed).

# %% nbgrader={"grade": false, "grade_id": "generator_loss_through_discriminator", "locked": false, "schema_version": 3, "solution": true, "task": false}
def generator_loss_through_discriminator(fake, W1, b1, w2, b2):
    """fake: (N, D), W1: (Dh, D), b1: (Dh,), w2: (Dh,), b2: number -> (loss: float, dfake: (N, D))."""
    ### BEGIN SOLUTION
    a = fake @ W1.T + b1  # (N, Dh)
    h = np.maximum(a, 0)
    s = h @ w2 + b2  # (N,)
    loss = np.logaddexp(0, -s).mean()
    ds = (0.5 * (1 + np.tanh(0.5 * s)) - 1) / len(s)  # (sigma(s) - 1) / N
    da = ds[:, None] * w2[None, :] * (a > 0)  # (N, Dh)
    return float(loss), da @ W1
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "generator_loss_through_discriminator_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal, expect_true

# W1 = identity, b1 = 0, w2 = (1, -1), b2 = 1. The point (1, 2) gives h = (1, 2), s = 1 - 2 + 1 = 0, so D = 1/2 and
# the loss is log 2. dL/ds = sigma(0) - 1 = -1/2; back through w2: (-1/2, 1/2); both ReLUs are on; W1 = I.
W1, b1, w2, b2 = np.eye(2), np.zeros(2), np.array([1.0, -1.0]), 1.0
loss, dfake = generator_loss_through_discriminator(np.array([[1.0, 2.0]]), W1, b1, w2, b2)
expect_close(loss, np.log(2), name="loss at s = 0")
expect_close(dfake, [[-0.5, 0.5]], name="dfake for the point (1, 2)")
# The point (-1, 2): the first ReLU is off (h = (0, 2)), so no gradient reaches the first coordinate.
loss, dfake = generator_loss_through_discriminator(np.array([[-1.0, 2.0]]), W1, b1, w2, b2)
expect_close(dfake[0, 0], 0.0, name="dfake[0, 0] behind a ReLU that is off")
print("✓ generator_loss_through_discriminator: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1102)


def reference_loss(fake, W1, b1, w2, b2):  # the definition, to differentiate numerically
    return np.logaddexp(0, -(np.maximum(fake @ W1.T + b1, 0) @ w2 + b2)).mean()


for N, D, Dh in [(4, 2, 5), (1, 3, 8), (16, 2, 32)]:
    fake, W1, b1 = rng.normal(size=(N, D)), rng.normal(size=(Dh, D)), rng.normal(size=Dh)
    w2, b2 = rng.normal(size=Dh), float(rng.normal())
    loss, dfake = generator_loss_through_discriminator(fake.copy(), W1.copy(), b1.copy(), w2.copy(), b2)
    expect_close(loss, reference_loss(fake, W1, b1, w2, b2), name=f"loss for N={N}, D={D}, Dh={Dh}", rtol=1e-5)
    numeric = np.zeros_like(fake)
    for index in np.ndindex(fake.shape):  # central differences, one coordinate at a time
        step = np.zeros_like(fake)
        step[index] = 1e-6
        numeric[index] = (reference_loss(fake + step, W1, b1, w2, b2)
                          - reference_loss(fake - step, W1, b1, w2, b2)) / 2e-6
    expect_close(dfake, numeric, name=f"dfake for N={N}, D={D}, Dh={Dh}", rtol=1e-4, atol=1e-7)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. One alternating update (3 points)
#
# A tiny GAN: the generator is affine, $G(z) = z A^\top + c$ with $A$ (2, d_z) and $c$ (2,); the discriminator is
# logistic, $s(x) = x\,w + b$ with $w$ (2,) and a number $b$. Given real points `x_real` (N_r, 2), noise `z`
# (N_f, d_z) and a learning rate, do one update with plain gradient descent, in this order:
#
# 1. `fake = G(z)` with the current $A, c$;
# 2. **discriminator step**: $L_D$ of section 1 on $s(x_{\text{real}})$ and $s(\text{fake})$ (fake is a constant
#    here); $w \leftarrow w - \text{lr}\,\partial L_D/\partial w$, $b \leftarrow b - \text{lr}\,\partial L_D/\partial b$;
# 3. **generator step**: the non-saturating $L_G$ on the *same* `fake`, scored by the *updated* discriminator;
#    $\partial L_G/\partial\,\text{fake}$ flows back to $A$ and $c$; $A \leftarrow A - \text{lr}\,\partial L_G/\partial A$,
#    $c \leftarrow c - \text{lr}\,\partial L_G/\partial c$. The discriminator does not change in this step.
#
# Return the new `(A, c, w, b)`.

# %% nbgrader={"grade": false, "grade_id": "alternating_update", "locked": false, "schema_version": 3, "solution": true, "task": false}
def alternating_update(x_real, z, A, c, w, b, lr):
    """x_real: (N_r, 2), z: (N_f, d_z), A: (2, d_z), c: (2,), w: (2,), b, lr: numbers -> (A, c, w, b) updated."""
    ### BEGIN SOLUTION
    sigmoid = lambda s: 0.5 * (1 + np.tanh(0.5 * s))  # noqa: E731
    fake = z @ A.T + c  # (N_f, 2)
    ds_real = (sigmoid(x_real @ w + b) - 1) / len(x_real)
    ds_fake = sigmoid(fake @ w + b) / len(fake)
    w_new = w - lr * (x_real.T @ ds_real + fake.T @ ds_fake)
    b_new = b - lr * (ds_real.sum() + ds_fake.sum())
    ds = (sigmoid(fake @ w_new + b_new) - 1) / len(fake)  # the non-saturating loss, through the updated D
    dfake = ds[:, None] * w_new[None, :]  # (N_f, 2)
    return A - lr * dfake.T @ z, c - lr * dfake.sum(axis=0), w_new, float(b_new)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "alternating_update_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal, expect_true

# Everything starts at 0, one real point (1, 0), one noise value z = 1, lr = 1. The fake is (0, 0); both logits are 0.
# D step: dL/dw = (sigma(0) - 1) * (1, 0) + sigma(0) * (0, 0) = (-1/2, 0), dL/db = -1/2 + 1/2 = 0, so w = (1/2, 0).
# G step: the fake's logit is still 0, dL/dfake = (sigma(0) - 1) * w = (-1/4, 0); dA = dfake^T z, dc = dfake.
# So the fake moves to (1/4, 0): towards the real point.
A, c, w, b = alternating_update(np.array([[1.0, 0.0]]), np.array([[1.0]]), np.zeros((2, 1)), np.zeros(2),
                                np.zeros(2), 0.0, 1.0)
expect_close(w, [0.5, 0.0], name="w after the discriminator step")
expect_close(b, 0.0, name="b after the discriminator step")
expect_close(A, [[0.25], [0.0]], name="A after the generator step")
expect_close(c, [0.25, 0.0], name="c after the generator step")
print("✓ alternating_update: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
import torch

rng = np.random.default_rng(1103)
for N_r, N_f, d_z, lr in [(8, 6, 3, 0.1), (1, 1, 1, 0.5), (32, 32, 2, 0.05)]:
    x_real, z = rng.normal(loc=2.0, size=(N_r, 2)), rng.normal(size=(N_f, d_z))
    A, c, w, b = rng.normal(size=(2, d_z)), rng.normal(size=2), rng.normal(size=2), float(rng.normal())
    got = alternating_update(x_real.copy(), z.copy(), A.copy(), c.copy(), w.copy(), b, lr)
    # the same update in torch: autograd and torch.optim.SGD, with fake.detach() in the discriminator step
    tA, tc, tw, tb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (A, c, w, b))
    opt_D, opt_G = torch.optim.SGD([tw, tb], lr=lr), torch.optim.SGD([tA, tc], lr=lr)
    fake = torch.tensor(z) @ tA.T + tc
    softplus = torch.nn.functional.softplus
    loss_D = softplus(-(torch.tensor(x_real) @ tw + tb)).mean() + softplus(fake.detach() @ tw + tb).mean()
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    loss_G = softplus(-(fake @ tw + tb)).mean()
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    for name, value, expected in zip("Acwb", got, (tA, tc, tw, tb), strict=True):
        expect_close(value, expected.detach().numpy(), name=f"{name} for N_r={N_r}, N_f={N_f}, d_z={d_z}, lr={lr}",
                     rtol=1e-5, atol=1e-9)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Counting modes (2 points)
#
# On a mixture of round Gaussians with known centres (K, 2) and standard deviation `std`, assign every sample to
# its nearest centre. A sample is *high quality* when its distance to that centre is at most `3 * std`. A mode is
# *covered* when at least `min_count` high-quality samples are assigned to it. Return the number of modes covered
# (an int) and the share of high-quality samples (a float in [0, 1]). No Python loop over samples: compute all
# (N, K) distances at once with broadcasting.

# %% nbgrader={"grade": false, "grade_id": "count_modes", "locked": false, "schema_version": 3, "solution": true, "task": false}
def count_modes(samples, centers, std, min_count):
    """samples: (N, 2), centers: (K, 2), std: number, min_count: int -> (covered: int, high_quality: float)."""
    ### BEGIN SOLUTION
    distances = np.sqrt(((samples[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2))  # (N, K)
    nearest = distances.argmin(axis=1)
    good = distances.min(axis=1) <= 3 * std
    counts = np.bincount(nearest[good], minlength=len(centers))
    return int((counts >= min_count).sum()), float(good.mean())
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "count_modes_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal, expect_true

# Two modes at (0, 0) and (10, 0) with std 0.1, so "near" means within 0.3. Three samples near the first mode, one
# near the second, one far from both: 4 of 5 are high quality; with min_count 2 only the first mode is covered.
centers = np.array([[0.0, 0.0], [10.0, 0.0]])
samples = np.array([[0.1, 0.0], [0.0, -0.2], [0.0, 0.0], [10.0, 0.25], [5.0, 5.0]])
covered, quality = count_modes(samples, centers, 0.1, 2)
expect_equal(covered, 1, name="modes covered with min_count 2")
expect_close(quality, 0.8, name="high-quality share")
expect_equal(count_modes(samples, centers, 0.1, 1)[0], 2, name="modes covered with min_count 1")
print("✓ count_modes: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
import dlcourse.gan as gan
from dlcourse.data import grid_centers, make_ring_of_gaussians, ring_centers

rng = np.random.default_rng(1104)
ring = ring_centers()
cases = [(make_ring_of_gaussians(2500, std=0.05, rng=rng)[0], ring, 0.05, 20),  # real data: all 8 modes
         (ring[rng.integers(0, 3, 500)] + 0.01 * rng.normal(size=(500, 2)), ring, 0.05, 20),  # collapsed to 3
         (rng.uniform(-3, 3, (400, 2)), ring, 0.1, 5),  # scattered
         (grid_centers()[rng.integers(0, 25, 300)] + 0.2 * rng.normal(size=(300, 2)), grid_centers(), 0.1, 8)]
for index, (samples, centers, std, min_count) in enumerate(cases):
    expected = gan.mode_coverage(samples, centers, std=std, min_count=min_count)
    covered, quality = count_modes(samples.copy(), centers.copy(), std, min_count)
    expect_equal(covered, expected.covered, name=f"modes covered, case {index}")
    expect_close(quality, expected.high_quality, name=f"high-quality share, case {index}")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. The Fréchet distance (2 points)
#
# Between two Gaussians $\mathcal N(\mu_1, \Sigma_1)$ and $\mathcal N(\mu_2, \Sigma_2)$ in $D$ dimensions:
# $$\mathrm{FD} = \lVert\mu_1 - \mu_2\rVert^2 + \operatorname{tr}\big(\Sigma_1 + \Sigma_2 - 2(\Sigma_1\Sigma_2)^{1/2}\big).$$
# The matrix square root may come from `scipy.linalg.sqrtm` (import it inside your function), keeping the real
# part; or, without SciPy: $\operatorname{tr}(\Sigma_1\Sigma_2)^{1/2}$ is the sum of the square roots of the
# eigenvalues of $\Sigma_1\Sigma_2$, which are real and $\geq 0$ for covariance matrices (clip tiny negative
# rounding to 0). Return a float.

# %% nbgrader={"grade": false, "grade_id": "frechet_distance", "locked": false, "schema_version": 3, "solution": true, "task": false}
def frechet_distance(mu1, sigma1, mu2, sigma2):
    """mu1, mu2: (D,), sigma1, sigma2: (D, D) covariances -> the Fréchet distance, a float."""
    ### BEGIN SOLUTION
    eigenvalues = np.linalg.eigvals(sigma1 @ sigma2).real
    trace_root = np.sqrt(np.clip(eigenvalues, 0, None)).sum()
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_root)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "frechet_distance_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_equal, expect_true

# One dimension, N(1, 3^2) against N(4, 1^2): (1 - 4)^2 + (3 - 1)^2 = 9 + 4 (standard deviations, not variances:
# the trace term is 9 + 1 - 2 sqrt(9 * 1)).
expect_close(frechet_distance(np.array([1.0]), np.array([[9.0]]), np.array([4.0]), np.array([[1.0]])), 13.0,
             name="FD in one dimension")
# The same Gaussian twice is at distance 0.
expect_close(frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(2)), 0.0, name="FD of identical Gaussians",
             atol=1e-9)
print("✓ frechet_distance: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
import dlcourse.gan as gan

rng = np.random.default_rng(1105)
for D in (2, 5, 12):
    M1, M2 = rng.normal(size=(D, D)), rng.normal(size=(D, D))
    sigma1, sigma2 = M1 @ M1.T + 0.1 * np.eye(D), M2 @ M2.T + 0.1 * np.eye(D)
    mu1, mu2 = rng.normal(size=D), rng.normal(size=D)
    expected = gan.frechet_distance(mu1, sigma1, mu2, sigma2)
    got = frechet_distance(mu1.copy(), sigma1.copy(), mu2.copy(), sigma2.copy())
    expect_close(got, expected, name=f"FD in {D} dimensions", rtol=1e-5, atol=1e-8)
# diagonal covariances: the squared differences of the standard deviations
var1, var2 = rng.uniform(0.1, 2, 4), rng.uniform(0.1, 2, 4)
expect_close(frechet_distance(np.zeros(4), np.diag(var1), np.ones(4), np.diag(var2)),
             4.0 + np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2), name="FD of diagonal Gaussians", rtol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl+S), then run the cell below: it checks the saved notebook against the visible tests the
# same way `dlcourse check` does, in a sandbox like the grader's, and prints a score out of the visible points.

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
from dlcourse.grading import check_this_notebook

check_this_notebook()
