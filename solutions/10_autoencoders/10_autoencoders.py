# %% [markdown]
# # Exercise 10: the pieces of a variational autoencoder
#
# Six functions, each worth points: the reparameterisation and its gradient, the KL term and its gradient, the
# VAE's loss with the right reduction, and a transposed convolution. Write each one with NumPy between the lines
# that say `YOUR CODE HERE`; do not call `dlcourse.nn`, `torch` or scikit-learn (the grader's sandbox forbids them).
#
# Notation as in chapter 10: a batch of $N$ images with $D$ pixels each, and $L$ latent units. The encoder gives
# `mu` and `logvar` (both (N, L)): the mean and the log-variance $\log\sigma^2$ of $q(z \mid x)$.
#
# Check your work at any time: run the test cell under each function, or, from a terminal,
# `dlcourse check 10_autoencoders.ipynb` for a score out of the visible tests. The grader also runs hidden tests on
# other inputs, so make your code right for every input, not just for the example.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false} dlcourse={"forbid": ["torch", "dlcourse.nn", "sklearn"]}
import numpy as np

from dlcourse.grading import expect_close, expect_true

# %% [markdown]
# ## 1. The reparameterisation (2 points)
#
# A sample of $\mathcal N(\mu, \sigma^2)$, written so that gradients can flow into $\mu$ and $\log\sigma^2$:
# $$z = \mu + \sigma \odot \varepsilon, \qquad \sigma = \exp\big(\tfrac12 \log\sigma^2\big),$$
# where the noise $\varepsilon \sim \mathcal N(0, I)$ is given to you as `eps` (so that the result is
# reproducible). Write `reparameterize(mu, logvar, eps)`.

# %% nbgrader={"grade": false, "grade_id": "reparameterize", "locked": false, "schema_version": 3, "solution": true, "task": false}
def reparameterize(mu, logvar, eps):
    """mu, logvar, eps: (N, L) -> z: (N, L) = mu + exp(logvar / 2) * eps."""
    ### BEGIN SOLUTION
    return mu + np.exp(0.5 * logvar) * eps
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "reparameterize_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Test cells import what they use again, so that nothing a solution cell rebinds can change a test.
import numpy as np
from dlcourse.grading import expect_close, expect_true

# Unit 0: sigma = exp(0) = 1, so z = 1 + 1 * 0.5 = 1.5. Unit 1: sigma = exp(log(4) / 2) = 2, so z = -2 + 2 * 1 = 0.
got = reparameterize(np.array([[1.0, -2.0]]), np.array([[0.0, np.log(4.0)]]), np.array([[0.5, 1.0]]))
expect_close(got, [[1.5, 0.0]], name="reparameterize")
print("✓ reparameterize: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1001)  # a generator of the test's own: inputs a student cannot predict or disturb
for N, L in [(5, 3), (1, 1), (7, 2)]:
    mu, logvar, eps = rng.normal(size=(N, L)), 3 * rng.normal(size=(N, L)), rng.normal(size=(N, L))
    expect_close(reparameterize(mu, logvar, eps), mu + np.sqrt(np.exp(logvar)) * eps,
                 name=f"reparameterize on ({N}, {L})", rtol=1e-5)
zero = reparameterize(np.zeros((2, 2)), np.zeros((2, 2)), np.zeros((2, 2)))
expect_close(zero, np.zeros((2, 2)), name="reparameterize with eps = 0 returns mu")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Its gradient (2 points)
#
# Given the gradient `dz` of the loss with respect to $z$, return the gradients with respect to `mu` and `logvar`.
# By the chain rule, $\partial z/\partial\mu = 1$ and $\partial z/\partial \log\sigma^2 = \tfrac12\sigma\varepsilon$
# (elementwise).

# %% nbgrader={"grade": false, "grade_id": "reparameterize_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def reparameterize_backward(dz, logvar, eps):
    """dz, logvar, eps: (N, L) -> (dmu, dlogvar), both (N, L)."""
    ### BEGIN SOLUTION
    sigma = np.exp(0.5 * logvar)
    return dz.copy(), dz * eps * sigma * 0.5
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "reparameterize_backward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# sigma = (1, 2): dlogvar = dz * eps * sigma / 2 = (1 * 0.5 * 1 / 2, 1 * 1 * 2 / 2) = (0.25, 1.0); dmu = dz.
got = reparameterize_backward(np.array([[1.0, 1.0]]), np.array([[0.0, np.log(4.0)]]), np.array([[0.5, 1.0]]))
expect_true(isinstance(got, tuple | list) and len(got) == 2, "reparameterize_backward must return (dmu, dlogvar)")
expect_close(got[0], [[1.0, 1.0]], name="dmu")
expect_close(got[1], [[0.25, 1.0]], name="dlogvar")
print("✓ reparameterize_backward: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1002)
for N, L in [(4, 3), (1, 5)]:
    dz, logvar, eps = rng.normal(size=(N, L)), rng.normal(size=(N, L)), rng.normal(size=(N, L))
    mu = rng.normal(size=(N, L))
    step = 1e-6  # central differences of sum(dz * z) give the exact gradient of a smooth function
    numeric = np.zeros((N, L))
    for index in np.ndindex(N, L):
        up, down = logvar.copy(), logvar.copy()
        up[index] += step
        down[index] -= step
        numeric[index] = np.sum(dz * (np.exp(0.5 * up) - np.exp(0.5 * down)) * eps) / (2 * step)
    dmu, dlogvar = reparameterize_backward(dz, logvar, eps)
    expect_close(dmu, dz, name=f"dmu on ({N}, {L})", rtol=1e-5)
    expect_close(dlogvar, numeric, name=f"dlogvar on ({N}, {L}) against a numerical gradient", rtol=1e-5,
                 atol=1e-7)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The KL term (2 points)
#
# The KL divergence of $q = \mathcal N(\mu, \operatorname{diag}\sigma^2)$ from the prior $\mathcal N(0, I)$,
# derived in chapter 10 section 7, **summed over the latent units**, one value per image:
# $$\mathrm{KL}_n = \tfrac12 \sum_{l=1}^{L} \big(\mu_{nl}^2 + \sigma_{nl}^2 - 1 - \log\sigma^2_{nl}\big).$$

# %% nbgrader={"grade": false, "grade_id": "gaussian_kl", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gaussian_kl(mu, logvar):
    """mu, logvar: (N, L) -> kl: (N,), in nats."""
    ### BEGIN SOLUTION
    return 0.5 * np.sum(mu**2 + np.exp(logvar) - 1.0 - logvar, axis=1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "gaussian_kl_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# Image 0 is the prior itself (mu = 0, sigma = 1): KL 0. Image 1 has mu = (1, 0): KL = (1 + 1 - 1 - 0) / 2 = 0.5.
got = gaussian_kl(np.array([[0.0, 0.0], [1.0, 0.0]]), np.zeros((2, 2)))
expect_close(got, [0.0, 0.5], name="gaussian_kl")
# mu = 0, sigma^2 = 2: KL = (0 + 2 - 1 - log 2) / 2 = 0.1534 (a wider q than the prior also costs).
expect_close(gaussian_kl(np.zeros((1, 1)), np.log([[2.0]])), [0.5 * (1 - np.log(2.0))], name="gaussian_kl, sigma^2 = 2")
print("✓ gaussian_kl: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
from dlcourse.nn.functional import gaussian_kl_forward  # trusted side: the library's version is the reference

rng = np.random.default_rng(1003)
for N, L in [(6, 4), (1, 1), (3, 10)]:
    mu, logvar = rng.normal(size=(N, L)), 2 * rng.normal(size=(N, L))
    got = gaussian_kl(mu, logvar)
    expect_true(np.shape(got) == (N,), f"gaussian_kl must return one value per image, shape ({N},); "
                                       f"got {np.shape(got)} (sum over latent units, not over the batch)")
    expect_close(got, gaussian_kl_forward(mu, logvar)[0], name=f"gaussian_kl on ({N}, {L})", rtol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. The KL term's gradient (2 points)
#
# Given `dkl` (N,), the gradient of the loss with respect to each image's KL, return the gradients with respect
# to `mu` and `logvar`: $\partial\,\mathrm{KL}_n/\partial\mu_{nl} = \mu_{nl}$ and
# $\partial\,\mathrm{KL}_n/\partial\log\sigma^2_{nl} = \tfrac12(\sigma^2_{nl} - 1)$, each multiplied by
# `dkl[n]`.

# %% nbgrader={"grade": false, "grade_id": "gaussian_kl_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gaussian_kl_backward(dkl, mu, logvar):
    """dkl: (N,), mu, logvar: (N, L) -> (dmu, dlogvar), both (N, L)."""
    ### BEGIN SOLUTION
    d = dkl[:, None]  # (N,) -> (N, 1): one factor per image, broadcast over its latent units
    return d * mu, d * 0.5 * (np.exp(logvar) - 1.0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "gaussian_kl_backward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# dkl = 2: dmu = 2 * mu = (2, -2); dlogvar = 2 * (sigma^2 - 1) / 2 = (0, 3 - 1) = (0, 2).
got = gaussian_kl_backward(np.array([2.0]), np.array([[1.0, -1.0]]), np.array([[0.0, np.log(3.0)]]))
expect_true(isinstance(got, tuple | list) and len(got) == 2, "gaussian_kl_backward must return (dmu, dlogvar)")
expect_close(got[0], [[2.0, -2.0]], name="dmu")
expect_close(got[1], [[0.0, 2.0]], name="dlogvar")
print("✓ gaussian_kl_backward: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
from dlcourse.nn.functional import gaussian_kl_backward as reference_backward
from dlcourse.nn.functional import gaussian_kl_forward

rng = np.random.default_rng(1004)
for N, L in [(5, 3), (2, 1), (1, 6)]:
    dkl, mu, logvar = rng.normal(size=N), rng.normal(size=(N, L)), rng.normal(size=(N, L))
    expected = reference_backward(dkl, gaussian_kl_forward(mu, logvar)[1])
    dmu, dlogvar = gaussian_kl_backward(dkl, mu, logvar)
    expect_close(dmu, expected[0], name=f"dmu on ({N}, {L}) with a different dkl per image", rtol=1e-5)
    expect_close(dlogvar, expected[1], name=f"dlogvar on ({N}, {L}) with a different dkl per image", rtol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. The VAE's loss, with the right reduction (2 points)
#
# The negative ELBO for binary images `x` (N, D) of 0s and 1s, the decoder's `logits` (N, D) (pixel $d$ is on with
# probability $\sigma(\ell_d)$), and the encoder's `mu`, `logvar`:
# $$\text{loss} = \frac1N \sum_{n=1}^{N}\Big(\underbrace{\sum_{d=1}^{D} \big[\max(\ell_{nd}, 0) - \ell_{nd}\, x_{nd} + \log\big(1 + e^{-|\ell_{nd}|}\big)\big]}_{-\log p(x_n \mid z_n)}
#   + \beta\,\mathrm{KL}_n\Big).$$
# The bracket is the binary cross-entropy $-x\log\sigma(\ell) - (1-x)\log(1-\sigma(\ell))$ written so that it never
# overflows or takes $\log 0$ (chapter 03). Sum over pixels and latent units, average over the batch only.
# Return a Python float. (This cell may not call your `gaussian_kl`: the grader tests each function alone.)

# %% nbgrader={"grade": false, "grade_id": "negative_elbo", "locked": false, "schema_version": 3, "solution": true, "task": false}
def negative_elbo(x, logits, mu, logvar, beta=1.0):
    """x, logits: (N, D); mu, logvar: (N, L); beta: float -> the loss, a float (nats per image)."""
    ### BEGIN SOLUTION
    reconstruction = np.sum(np.maximum(logits, 0) - logits * x + np.log1p(np.exp(-np.abs(logits))), axis=1)
    kl = 0.5 * np.sum(mu**2 + np.exp(logvar) - 1.0 - logvar, axis=1)
    return float(np.mean(reconstruction + beta * kl))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "negative_elbo_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# Logits 0 mean probability 1/2 for each of the 2 pixels: -log p(x | z) = 2 log 2 = 1.386 whatever x is; the code
# is the prior itself, so KL = 0.
x, zeros = np.array([[1.0, 0.0]]), np.zeros((1, 2))
expect_close(negative_elbo(x, zeros, zeros, zeros), 2 * np.log(2.0), name="negative_elbo, logits 0")
# The same image twice is the same loss (a mean over the batch), not twice the loss.
expect_close(negative_elbo(np.vstack([x, x]), np.zeros((2, 2)), np.zeros((2, 2)), np.zeros((2, 2))),
             2 * np.log(2.0), name="negative_elbo of a batch of two equal images")
# mu = (1, 0) adds a KL of 0.5, weighted by beta = 2.
expect_close(negative_elbo(x, zeros, np.array([[1.0, 0.0]]), zeros, beta=2.0), 2 * np.log(2.0) + 1.0,
             name="negative_elbo with KL 0.5 and beta 2")
print("✓ negative_elbo: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
from dlcourse.nn.functional import negative_elbo_forward

rng = np.random.default_rng(1005)
for N, D, L, beta in [(6, 20, 3, 1.0), (1, 5, 1, 0.5), (4, 64, 8, 4.0)]:
    x = (rng.random((N, D)) > 0.5).astype(float)
    logits, mu, logvar = 4 * rng.normal(size=(N, D)), rng.normal(size=(N, L)), rng.normal(size=(N, L))
    expected = negative_elbo_forward(x, logits, mu, logvar, beta=beta)[0]
    expect_close(negative_elbo(x, logits, mu, logvar, beta=beta), expected, rtol=1e-5,
                 name=f"negative_elbo with N={N}, D={D}, L={L}, beta={beta} (sum over units, mean over the batch)")
huge = np.array([[1000.0, -1000.0, 1000.0]])  # confident and right on two pixels, confident and wrong on one
got = negative_elbo(np.array([[1.0, 0.0, 0.0]]), huge, np.zeros((1, 1)), np.zeros((1, 1)))
expect_close(got, 1000.0, name="negative_elbo with logits of +-1000 (must not overflow or take log 0)", rtol=1e-6)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. A transposed convolution (3 points)
#
# The decoder of a convolutional VAE grows its maps with transposed convolutions: every input pixel
# `x[n, c, i, j]` adds its value times the kernel `weight[c, m]` (shape (kH, kW)) onto output channel `m` at rows
# `i*stride ... i*stride + kH - 1` and columns `j*stride ... j*stride + kW - 1`; where stamps overlap they add.
# The weight has PyTorch's layout for `ConvTranspose2d`, (C_in, C_out, kH, kW), and there is no padding, so
# $H_{\text{out}} = (H - 1)\,s + kH$ and $W_{\text{out}} = (W - 1)\,s + kW$. Loops over the input pixels (or over
# the kernel taps) are fine.

# %% nbgrader={"grade": false, "grade_id": "conv_transpose2d", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_transpose2d(x, weight, stride=1):
    """x: (N, C_in, H, W), weight: (C_in, C_out, kH, kW), stride: int -> (N, C_out, H_out, W_out)."""
    ### BEGIN SOLUTION
    N, C_in, H, W = x.shape
    _, C_out, kH, kW = weight.shape
    out = np.zeros((N, C_out, (H - 1) * stride + kH, (W - 1) * stride + kW))
    for i in range(H):
        for j in range(W):
            # (N, C_in) pixel values times (C_in, C_out, kH, kW) kernels -> (N, C_out, kH, kW) stamps
            stamp = np.einsum("nc,cmab->nmab", x[:, :, i, j], weight)
            out[:, :, i * stride:i * stride + kH, j * stride:j * stride + kW] += stamp
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv_transpose2d_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# Pixels 1 and 2 each stamp a 2x2 block of ones; with stride 1 the stamps overlap on the middle column (1 + 2 = 3).
x, ones = np.array([[[[1.0, 2.0]]]]), np.ones((1, 1, 2, 2))
expect_close(conv_transpose2d(x, ones), [[[[1.0, 3.0, 2.0], [1.0, 3.0, 2.0]]]], name="stride 1")
# With stride 2 the stamps sit side by side: (2 - 1) * 2 + 2 = 4 columns.
expect_close(conv_transpose2d(x, ones, stride=2), [[[[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]]], name="stride 2")
print("✓ conv_transpose2d: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
from dlcourse.nn.functional import conv_transpose2d_forward

rng = np.random.default_rng(1006)
for N, C_in, C_out, H, W, kH, kW, s in [(2, 3, 4, 4, 5, 3, 3, 2), (1, 1, 2, 3, 3, 2, 4, 1), (3, 2, 1, 2, 4, 3, 2, 3)]:
    x, weight = rng.normal(size=(N, C_in, H, W)), rng.normal(size=(C_in, C_out, kH, kW))
    got = conv_transpose2d(x, weight, stride=s)
    expect_true(np.shape(got) == (N, C_out, (H - 1) * s + kH, (W - 1) * s + kW),
                f"conv_transpose2d: expected shape {(N, C_out, (H - 1) * s + kH, (W - 1) * s + kW)} for input "
                f"{(N, C_in, H, W)}, weight {(C_in, C_out, kH, kW)}, stride {s}; got {np.shape(got)}")
    expect_close(got, conv_transpose2d_forward(x, weight, None, stride=s)[0], rtol=1e-5, atol=1e-8,
                 name=f"conv_transpose2d with input {(N, C_in, H, W)}, kernel {kH}x{kW}, stride {s}")
### END HIDDEN TESTS

# %% [markdown]
# That is the whole loss of a VAE and the layer its convolutional decoder is made of. Chapter 10 puts them
# together: the encoder's two outputs get gradients from two paths (from the KL term directly, and through $z$
# from the reconstruction term), and they add.

# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl+S), then run the cell below: it checks the saved notebook against the visible tests the
# same way `dlcourse check` does, in a sandbox like the grader's, and prints a score out of the visible points.

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
from dlcourse.grading import check_this_notebook

check_this_notebook()
