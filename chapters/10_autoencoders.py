# %% [markdown]
# # 10 · Autoencoders and variational autoencoders
#
# **The question.** Every network so far learned from labels. Most data has none. What can a network learn from
# the inputs alone, and can it learn enough about them to *make new ones*?
#
# **The idea.** Ask a network to copy its input to its output through a narrow middle layer, the *bottleneck*. An
# *encoder* $f$ squeezes the input $x$ into a short code $z = f(x)$; a *decoder* $g$ rebuilds $\hat x = g(z)$ from
# the code alone; both are trained together so that $\hat x \approx x$. The copy can only succeed if the code keeps
# what matters about $x$. That is an *autoencoder*, and it has three everyday uses that this chapter tries with
# numbers: **dimensionality reduction** (the code is a compressed description), **denoising** (train it to rebuild
# clean inputs from corrupted ones) and **anomaly detection** (inputs unlike the training data are rebuilt badly).
# A fourth use needs one more idea: the **variational autoencoder** (VAE) makes the code space a probability
# distribution that we can sample from, so that the decoder becomes a *generator* of new data.
#
# Plan: (1) the data; (2) an MLP autoencoder in NumPy; (3) a linear autoencoder finds PCA's subspace; (4) how wide
# the bottleneck must be; (5) denoising; (6) anomaly detection; (7) the VAE derived; (8) the VAE in NumPy;
# (9) the same VAE in PyTorch, with the same weights and noise; (10) what the latent space looks like: a map,
# interpolation, samples; (11) posterior collapse and the KL weight β; (12) the transposed convolution;
# (13) a convolutional VAE in PyTorch; (14) the final results on the test set.

# %%
import inspect
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.decomposition import PCA  # scikit-learn's PCA is the reference in section 3

import dlcourse.nn as nn
import dlcourse.optim as optim
import dlcourse.torch
from dlcourse.data import DataLoader, load_digit_images, train_val_test_split
from dlcourse.gradcheck import relative_error
from dlcourse.metrics import roc_auc_score, roc_curve
from dlcourse.nn import vae
from dlcourse.nn.functional import (
    bernoulli_nll_forward,
    conv2d_backward,
    conv2d_forward,
    conv_transpose2d_forward,
    negative_elbo_backward,
    negative_elbo_forward,
    reparameterize_backward,
    reparameterize_forward,
)
from dlcourse.plots.images import show_images
from dlcourse.widgets import latent_explorer

rng = np.random.default_rng(0)
dlcourse.torch.seed_everything(0)
device = dlcourse.torch.device()
if device.type == "cpu":
    torch.set_num_threads(1)  # small networks: one thread is fastest, and never waits for a busy second core

# %% [markdown]
# ## 1. The data
#
# The handwritten digits of scikit-learn once more, in two sizes: the 8×8 originals (64 pixels, for the
# autoencoders of sections 2-6) and the 16×16 version of chapter 07 (256 pixels, for the VAEs, whose pictures are
# easier to read). One split of 70/15/15 into training, validation and test images serves both. We use no labels
# for training in this chapter; they only colour the plots and pick out a digit for anomaly detection. The test
# images stay untouched until section 14.

# %%
images8, _ = load_digit_images(8)  # (1797, 1, 8, 8) in [0, 1]
images16, labels = load_digit_images(16)  # (1797, 1, 16, 16), the same digits resized
X8_train, X8_val, X8_test, X16_train, X16_val, X16_test, y_train, y_val, y_test = train_val_test_split(
    images8.reshape(len(images8), 64), images16, labels, val_size=0.15, test_size=0.15, stratify=labels,
    rng=np.random.default_rng(0))  # (N, 1, 8, 8) -> (N, 64) rows for the MLPs
print("train / val / test images:", len(X8_train), len(X8_val), len(X8_test))
show_images(X8_train[:12].reshape(12, 8, 8), y_train[:12], ncols=12)
plt.show()

# %% [markdown]
# ## 2. An MLP autoencoder in NumPy
#
# Encoder and decoder are small MLPs (chapter 01) from `dlcourse.nn`. The encoder maps 64 pixels to 32 hidden units
# and then to a code of $L$ numbers (the *latent* units); the decoder mirrors it and ends with a sigmoid
# (chapter 02), so that every output pixel lies in $[0, 1]$ like the input. The loss is the mean squared error
# between $\hat x$ and $x$ (chapter 03), and training is the loop of chapter 06 with Adam (chapter 05). There are
# no labels anywhere: **the input is its own target**.

# %%
def mlp_autoencoder(latent_size, rng, hidden=32, pixels=64):
    encoder = nn.Sequential(nn.Linear(pixels, hidden, rng=rng), nn.ReLU(), nn.Linear(hidden, latent_size, rng=rng))
    decoder = nn.Sequential(nn.Linear(latent_size, hidden, rng=rng), nn.ReLU(), nn.Linear(hidden, pixels, rng=rng),
                            nn.Sigmoid())
    return nn.Sequential(encoder, decoder)  # model[0] is the encoder, model[1] the decoder


def train_autoencoder(model, X, *, num_epochs, lr=3e-3, noise=0.0, seed=0):
    """Minimise MSE(model(input), X) with Adam; with noise > 0 the input is X plus Gaussian noise (section 5)."""
    rng = np.random.default_rng(seed)
    loss_fn, optimizer = nn.MSELoss(), optim.Adam(model.parameters(), lr=lr)
    for _ in range(num_epochs):
        for X_batch in DataLoader(X, batch_size=64, shuffle=True, rng=rng):
            inputs = X_batch + noise * rng.standard_normal(X_batch.shape).astype(X.dtype) if noise else X_batch
            optimizer.zero_grad()
            loss_fn(model(inputs), X_batch)  # the target is the clean input itself
            model.backward(loss_fn.backward())
            optimizer.step()
    return model


def mse_per_pixel(model, X, inputs=None):
    """Mean squared reconstruction error per pixel of model(inputs) against X (inputs default to X)."""
    return float(np.mean((model(X if inputs is None else inputs) - X) ** 2))


# %%
latent_size, ae_epochs = 8, 60
start = time.perf_counter()
autoencoder = train_autoencoder(mlp_autoencoder(latent_size, np.random.default_rng(1)), X8_train,
                                num_epochs=ae_epochs)
print(f"{ae_epochs} epochs in {time.perf_counter() - start:.1f} s")

# %%
mean_image_mse = float(np.mean((X8_train.mean(axis=0) - X8_val) ** 2))
print(f"validation MSE per pixel: autoencoder with {latent_size} latent units {mse_per_pixel(autoencoder, X8_val):.4f}; "
      f"always answering the mean training image {mean_image_mse:.4f}")
codes = autoencoder[0](X8_val)
print(f"64 pixels -> a code of {codes.shape[1]} numbers, e.g. {np.round(codes[0], 2)}")
fig, axes = plt.subplots(2, 10, figsize=(10, 2.3))
show_images(X8_val[:10].reshape(10, 8, 8), axes=axes[0])
show_images(autoencoder(X8_val[:10]).reshape(10, 8, 8), axes=axes[1])
axes[0, 0].set_ylabel("input")
axes[1, 0].set_ylabel("rebuilt")
plt.show()

# %% [markdown]
# ## 3. A linear autoencoder learns PCA's subspace
#
# Take away the nonlinearities: a linear encoder $z = W_e x$ ($L \times D$) and a linear decoder
# $\hat x = W_d z$ ($D \times L$), without biases, on data $x$ from which the mean image has been subtracted. Then
# $\hat x = W_d W_e x$ is a matrix of rank at most $L$, and the squared error $\sum_n \lVert x_n - W_d W_e x_n\rVert^2$
# is smallest when $W_d W_e$ is the orthogonal projection onto the span of the top $L$ *principal components*: the
# $L$ orthonormal directions along which the data varies most (eigenvectors of the covariance $X^\top X / N$ with the
# largest eigenvalues; this is principal component analysis, PCA, and the fact that its projection is the best rank-$L$
# approximation is the Eckart–Young theorem). So a linear autoencoder trained with MSE should find PCA's
# *subspace*. It has no reason to find PCA's individual *directions*: for any invertible $L\times L$ matrix $A$,
# $W_d A^{-1}$ and $A W_e$ give the same $\hat x$.
#
# We train one with Adam on full batches and measure how far apart the two $L$-dimensional subspaces are with
# *principal angles*: with orthonormal bases $Q_1, Q_2$ (columns) of the two subspaces, the singular values of
# $Q_1^\top Q_2$ are the cosines of the angles between them; all angles 0 means the same subspace.

# %%
pca_size, linear_steps = 4, 1000
pixel_mean = X8_train.mean(axis=0)
Xc_train, Xc_val = X8_train - pixel_mean, X8_val - pixel_mean  # centred, as PCA does
linear_ae = nn.Sequential(nn.Linear(64, pca_size, bias=False, rng=np.random.default_rng(2)),
                          nn.Linear(pca_size, 64, bias=False, rng=np.random.default_rng(3)))
loss_fn, optimizer = nn.MSELoss(), optim.Adam(linear_ae.parameters(), lr=1e-2)
for _ in range(linear_steps):
    optimizer.zero_grad()
    loss = loss_fn(linear_ae(Xc_train), Xc_train)
    linear_ae.backward(loss_fn.backward())
    optimizer.step()
pca = PCA(pca_size).fit(Xc_train)
print(f"training MSE per pixel after {linear_steps} steps: linear autoencoder {loss:.6f}; "
      f"PCA with {pca_size} components {np.mean((pca.inverse_transform(pca.transform(Xc_train)) - Xc_train) ** 2):.6f}")


# %%
def principal_angles_degrees(A, B):
    """Angles between the column spaces of A (D, L) and B (D, L), smallest first, in degrees."""
    Q_a, _ = np.linalg.qr(A.astype(np.float64))  # orthonormal basis of each subspace
    Q_b, _ = np.linalg.qr(B.astype(np.float64))
    cosines = np.linalg.svd(Q_a.T @ Q_b, compute_uv=False)
    return np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0)))[::-1]


decoder_columns = linear_ae[1].weight.data  # (64, L): the decoder's L directions in pixel space
angles = principal_angles_degrees(decoder_columns, pca.components_.T)
print("principal angles between the autoencoder's and PCA's subspaces (degrees):", np.round(angles, 3))
cos_to_first_pc = np.abs(pca.components_[0] @ decoder_columns) / np.linalg.norm(decoder_columns, axis=0)
print("but its directions are not the components: |cos| of each decoder column with the first PC:",
      np.round(cos_to_first_pc, 2))

# %% [markdown]
# The angles are close to zero: the same subspace, found by gradient descent instead of an eigendecomposition. The
# last line shows the "no reason to find the directions" part: each decoder column mixes several principal
# components, as any invertible $A$ allows. PCA is the linear autoencoder; the MLP autoencoder of section 2 is its
# nonlinear generalisation.
#
# ## 4. How wide must the bottleneck be?
#
# A code of $L$ numbers is a description of the image; the smaller $L$, the more must be thrown away. We train the
# MLP autoencoder for several $L$ and compare it with PCA keeping the same number of components (validation
# images).

# %%
sizes = [2, 4, 8, 16, 32]
sweep_epochs = 40
ae_errors, pca_errors = [], []
for size in sizes:
    model = train_autoencoder(mlp_autoencoder(size, np.random.default_rng(1)), X8_train, num_epochs=sweep_epochs)
    ae_errors.append(mse_per_pixel(model, X8_val))
    pca_k = PCA(size).fit(Xc_train)
    pca_errors.append(float(np.mean((pca_k.inverse_transform(pca_k.transform(Xc_val)) - Xc_val) ** 2)))
    print(f"L = {size:2d}: validation MSE per pixel, MLP autoencoder {ae_errors[-1]:.4f}, PCA {pca_errors[-1]:.4f}")

# %%
plt.figure(figsize=(5, 3.2))
plt.plot(sizes, ae_errors, "o-", label="MLP autoencoder")
plt.plot(sizes, pca_errors, "s--", label="PCA")
plt.xscale("log", base=2)
plt.xlabel("code size L (latent units or components)")
plt.ylabel("validation MSE per pixel")
plt.title("a wider bottleneck throws away less")
plt.legend()
plt.show()

# %% [markdown]
# Read the printed table: with a tight bottleneck the nonlinear autoencoder keeps more than PCA with the same
# number of numbers (it can bend its code to follow the data); with a wide one, PCA, which is the exact optimum of
# its linear family, catches up or wins, while the small MLP with a few epochs of training has not reached its own
# optimum. The curve also gives a rule of thumb: the error falls fast at first and slowly later, so a few latent
# units already describe most of a digit.
#
# ## 5. A denoising autoencoder
#
# A wide autoencoder could learn to copy its input without learning anything about digits. A *denoising*
# autoencoder gets a corrupted input $\tilde x = x + \text{noise}$ and must rebuild the clean $x$, so it must know
# what digits look like to tell stroke from noise. Only the input of the training loop changes (`noise=` in
# `train_autoencoder`). We compare it with the plain autoencoder of section 2 on the same noisy validation images.

# %%
noise_level = 0.3  # standard deviation of the Gaussian noise, in pixel units (pixels lie in [0, 1])
denoiser = train_autoencoder(mlp_autoencoder(latent_size, np.random.default_rng(1)), X8_train,
                             num_epochs=ae_epochs, noise=noise_level)
X8_val_noisy = X8_val + noise_level * np.random.default_rng(4).standard_normal(X8_val.shape).astype(np.float32)
print("MSE per pixel against the clean validation images:")
print(f"  the noisy input itself:             {np.mean((X8_val_noisy - X8_val) ** 2):.4f}")
print(f"  plain autoencoder on noisy input:   {mse_per_pixel(autoencoder, X8_val, X8_val_noisy):.4f}")
print(f"  denoising autoencoder:              {mse_per_pixel(denoiser, X8_val, X8_val_noisy):.4f}")

# %%
fig, axes = plt.subplots(3, 10, figsize=(10, 3.4))
for row, (name, batch) in enumerate([("clean", X8_val[:10]), ("noisy", X8_val_noisy[:10]),
                                     ("denoised", denoiser(X8_val_noisy[:10]))]):
    show_images(np.clip(batch, 0, 1).reshape(10, 8, 8), axes=axes[row])
    axes[row, 0].set_ylabel(name)
plt.show()

# %% [markdown]
# ## 6. Anomaly detection by reconstruction error
#
# An autoencoder rebuilds well what resembles its training data. So the reconstruction error
# $\lVert x - g(f(x))\rVert^2$ is an *anomaly score*: high for inputs unlike anything seen in training. To test the
# idea, we hide one digit completely: a new autoencoder is trained on the training images of the nine other digits.
# On validation images (which no model trained on) the held-out digit plays the anomaly. The ROC curve and its
# area (chapter 03, `dlcourse.metrics`) measure how well the score ranks anomalies above normal images: AUC 1 is
# perfect, 0.5 is chance.

# %%
anomaly_digit = 4
normal_ae = train_autoencoder(mlp_autoencoder(latent_size, np.random.default_rng(1)),
                              X8_train[y_train != anomaly_digit], num_epochs=ae_epochs)


def anomaly_scores(model, X):
    """Squared reconstruction error of each image, summed over pixels: (N, 64) -> (N,)."""
    return np.sum((model(X) - X) ** 2, axis=1)


val_scores = anomaly_scores(normal_ae, X8_val)
is_anomaly_val = (y_val == anomaly_digit).astype(int)
val_auc = roc_auc_score(is_anomaly_val, val_scores)
print(f"validation: {is_anomaly_val.sum()} images of the unseen digit {anomaly_digit} among {len(y_val)}; "
      f"ROC AUC of the reconstruction error = {val_auc:.3f}")

# %%
fpr, tpr, _ = roc_curve(is_anomaly_val, val_scores)
fig, (ax_hist, ax_roc) = plt.subplots(1, 2, figsize=(9, 3.2))
bins = np.linspace(0, val_scores.max(), 30)
ax_hist.hist(val_scores[is_anomaly_val == 0], bins, alpha=0.6, density=True, label="digits seen in training")
ax_hist.hist(val_scores[is_anomaly_val == 1], bins, alpha=0.6, density=True, label=f"unseen digit {anomaly_digit}")
ax_hist.set_xlabel("reconstruction error (sum over pixels)")
ax_hist.set_ylabel("density")
ax_hist.legend()
ax_roc.plot(fpr, tpr)
ax_roc.plot([0, 1], [0, 1], "k:")
ax_roc.set_xlabel("false positive rate")
ax_roc.set_ylabel("true positive rate")
ax_roc.set_title(f"ROC, AUC = {val_auc:.3f} (validation)")
plt.show()

# %% [markdown]
# ## 7. The variational autoencoder, derived
#
# Could we draw a random code and decode it into a new digit? With the autoencoders above, no: nothing says where
# in code space the digits lie, and a random code decodes to a smudge. A VAE (Kingma and Welling, 2014) builds a
# probability model instead.
#
# **The model.** A latent vector $z \in \mathbb{R}^L$ is drawn from a fixed *prior* $p(z) = \mathcal N(0, I)$, and
# the image from the decoder's distribution $p_\theta(x \mid z)$. Our images are binary (we binarise them: pixel
# $> 0.5$), so the decoder outputs one logit $\ell_d$ per pixel and each pixel is an independent coin with
# probability $\sigma(\ell_d)$ (a *Bernoulli* variable):
# $$-\log p_\theta(x\mid z) = \sum_{d=1}^{D} \big[-x_d \log \sigma(\ell_d) - (1 - x_d)\log(1-\sigma(\ell_d))\big],$$
# the binary cross-entropy of chapter 03, **summed over the pixels** (a log-probability of the whole image is a sum of
# the pixels' log-probabilities because they are independent). Training should maximise the log-likelihood of the
# data, $\log p_\theta(x) = \log \int p_\theta(x\mid z)\,p(z)\,dz$, but that integral over all codes is hopeless.
#
# **The ELBO.** Bring in an *encoder* $q_\phi(z \mid x) = \mathcal N\big(\mu_\phi(x), \operatorname{diag}\sigma^2_\phi(x)\big)$,
# a guess of which codes could have produced $x$. For any such $q$, since $p_\theta(x) = p_\theta(x, z)/p_\theta(z\mid x)$
# for every $z$, taking logs and the average over $z \sim q$ gives
# $$\log p_\theta(x) = \underbrace{\mathbb E_{q}\big[\log p_\theta(x\mid z)\big] - \mathrm{KL}\big(q_\phi(z\mid x)\,\Vert\,p(z)\big)}_{\text{ELBO}(x)}
#   \;+\; \mathrm{KL}\big(q_\phi(z\mid x)\,\Vert\,p_\theta(z\mid x)\big),$$
# where $\mathrm{KL}(q\Vert p) = \mathbb E_q[\log q - \log p] \ge 0$ is the Kullback–Leibler divergence (zero only when
# $q = p$). (Check: the three terms add up to $\mathbb E_q[\log p_\theta(x\mid z) + \log p(z) - \log p_\theta(z\mid x)]
# = \mathbb E_q[\log p_\theta(x)]$.) The last KL is unknown but non-negative, so the ELBO is a lower bound on
# $\log p_\theta(x)$, the *evidence lower bound*; maximising it over $\theta$ and $\phi$ pushes the likelihood up and
# $q$ towards the true posterior. Its two terms read: **rebuild $x$ from codes drawn from $q$**, and **keep $q$ close
# to the prior**, which is what makes random codes from $\mathcal N(0, I)$ decode into digits later. Our loss is
# the negative ELBO in nats (natural-log units), **summed over pixels and latent units, averaged over the batch**.
#
# **Why the KL has a formula.** For one latent unit with $q = \mathcal N(\mu, \sigma^2)$ and $p = \mathcal N(0, 1)$:
# $\log q(z) = -\tfrac12\log(2\pi\sigma^2) - \tfrac{(z-\mu)^2}{2\sigma^2}$, $\log p(z) = -\tfrac12\log 2\pi - \tfrac{z^2}{2}$,
# and under $q$, $\mathbb E[(z-\mu)^2] = \sigma^2$ and $\mathbb E[z^2] = \mu^2 + \sigma^2$. So
# $$\mathrm{KL} = \mathbb E_q[\log q - \log p] = -\tfrac12\log\sigma^2 - \tfrac12 + \tfrac12(\mu^2 + \sigma^2)
#   = \tfrac12\big(\mu^2 + \sigma^2 - 1 - \log\sigma^2\big),$$
# summed over the $L$ independent units. The encoder outputs $\mu$ and $\log\sigma^2$ (any real number, so no
# constraint is needed to keep $\sigma^2 > 0$). Gradients: $\partial\,\mathrm{KL}/\partial\mu = \mu$ and
# $\partial\,\mathrm{KL}/\partial\log\sigma^2 = \tfrac12(\sigma^2 - 1)$.
#
# **The reparameterisation trick.** The reconstruction term is an average over $z \sim q_\phi$, and $\phi$ sits in
# the distribution we sample from: a sample has no gradient. Write the sample as a function of $\phi$ and of noise
# that does not depend on $\phi$:
# $$z = \mu + \sigma \odot \varepsilon, \qquad \varepsilon \sim \mathcal N(0, I), \qquad \sigma = \exp(\tfrac12\log\sigma^2).$$
# Now $z$ has the right distribution and a gradient: $\partial z/\partial \mu = 1$ and
# $\partial z/\partial\log\sigma^2 = \tfrac12\sigma\varepsilon$. One sample per image gives an unbiased estimate of
# the reconstruction term, and backpropagation does the rest.
#
# `dlcourse.nn.vae` holds these pieces as pure functions with their backward passes:

# %%
for function in (vae.reparameterize_forward, vae.reparameterize_backward, vae.gaussian_kl_forward,
                 vae.gaussian_kl_backward, vae.negative_elbo_forward):
    name, body = function.__name__, inspect.getsource(function).split('"""')[-1]  # the code after the docstring
    print(f"--- {name} ---{body}")

# %% [markdown]
# ## 8. A VAE in NumPy
#
# The 16×16 digits, binarised (256 pixels). Encoder: 256 → 128 (ReLU) → $2L$ numbers, read as $\mu$ and
# $\log\sigma^2$; decoder: $L$ → 128 (ReLU) → 256 logits. $L = 2$, so that the code space can be drawn in
# section 10. The training step is written out: the loss has **two paths back to the encoder**, through the KL
# term directly and through $z$ and the decoder, and their gradients add.

# %%
def binarise(images):
    return (images.reshape(len(images), -1) > 0.5).astype(np.float32)  # (N, 1, 16, 16) -> (N, 256) of 0/1


B_train, B_val, B_test = binarise(X16_train), binarise(X16_val), binarise(X16_test)


def mlp_vae(latent_size, rng, hidden=128, pixels=256):
    encoder = nn.Sequential(nn.Linear(pixels, hidden, rng=rng), nn.ReLU(), nn.Linear(hidden, 2 * latent_size, rng=rng))
    decoder = nn.Sequential(nn.Linear(latent_size, hidden, rng=rng), nn.ReLU(), nn.Linear(hidden, pixels, rng=rng))
    return encoder, decoder


def vae_step(encoder, decoder, X, rng, beta=1.0, eps=None):
    """Forward and backward through the VAE on a batch X (N, D); parameter gradients accumulate. Returns the loss
    and its two terms (batch means)."""
    L = encoder[-1].out_features // 2
    h = encoder(X)
    mu, logvar = h[:, :L], h[:, L:]  # (N, 2L) -> two (N, L) halves
    z, rep_cache = reparameterize_forward(mu, logvar, rng=rng, eps=eps)
    logits = decoder(z)
    loss, cache = negative_elbo_forward(X, logits, mu, logvar, beta=beta)
    dlogits, dmu_kl, dlogvar_kl = negative_elbo_backward(1.0, cache)
    dmu_z, dlogvar_z = reparameterize_backward(decoder.backward(dlogits), rep_cache)  # the path through z
    encoder.backward(np.concatenate([dmu_kl + dmu_z, dlogvar_kl + dlogvar_z], axis=1))  # the two paths add
    return loss, cache[-1]


def train_vae(encoder, decoder, X, *, num_epochs, beta=1.0, lr=2e-3, seed=0):
    rng = np.random.default_rng(seed)  # shuffles the batches and draws eps
    optimizer = optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=lr)
    losses = []
    for _ in range(num_epochs):
        for X_batch in DataLoader(X, batch_size=64, shuffle=True, rng=rng):
            optimizer.zero_grad()
            loss, _ = vae_step(encoder, decoder, X_batch, rng, beta)
            optimizer.step()
            losses.append(loss)
    return losses


# %%
vae_latent, vae_epochs = 2, 60
encoder, decoder = mlp_vae(vae_latent, np.random.default_rng(5))
start = time.perf_counter()
vae_losses = train_vae(encoder, decoder, B_train, num_epochs=vae_epochs)
print(f"{vae_epochs} epochs in {time.perf_counter() - start:.1f} s; mean loss over the last epoch "
      f"{np.mean(vae_losses[-20:]):.1f} nats per image")
plt.figure(figsize=(5, 3))
plt.plot(vae_losses)
plt.xlabel("step")
plt.ylabel("negative ELBO (nats per image)")
plt.title("NumPy VAE, one sample of z per image")
plt.show()


# %% [markdown]
# How good is that? A number of nats means little alone. The simplest model of binary images treats every pixel as
# an independent coin with its own probability $p_d$, estimated from the training images (with one extra "on" and
# one extra "off" image so that no $p_d$ is exactly 0 or 1). Its negative log-likelihood is exact, where the VAE's
# number is an upper bound (a lower bound on the log-likelihood) estimated by sampling: we average it over 10
# draws of $\varepsilon$ to make the estimate steady.

# %%
def negative_elbo(encoder, decoder, X, *, num_samples=10, seed=0):
    """Negative ELBO in nats per image, averaged over images and num_samples draws of eps per image."""
    rng = np.random.default_rng(seed)
    L = encoder[-1].out_features // 2
    h = encoder(X)
    estimates = []
    for _ in range(num_samples):
        z, _ = reparameterize_forward(h[:, :L], h[:, L:], rng=rng)
        estimates.append(negative_elbo_forward(X, decoder(z), h[:, :L], h[:, L:])[0])
    return float(np.mean(estimates))


pixel_p = (B_train.sum(axis=0) + 1) / (len(B_train) + 2)  # (256,) probability that each pixel is on
pixel_logits = np.log(pixel_p / (1 - pixel_p))


def independent_pixel_nll(X):
    """Exact negative log-likelihood (nats per image) of the independent-pixel model."""
    return float(bernoulli_nll_forward(np.broadcast_to(pixel_logits, X.shape), X)[0].mean())


print(f"validation, nats per image: VAE (L = {vae_latent}) negative ELBO {negative_elbo(encoder, decoder, B_val):.1f}; "
      f"independent pixels {independent_pixel_nll(B_val):.1f}")

# %% [markdown]
# ## 9. The same VAE in PyTorch, with the same weights and the same noise
#
# The torch twin has the same layers (`torch.nn.Linear` and `ReLU`), so the trained NumPy weights copy over
# (`dlcourse.torch.copy_weights_to_torch`, chapter 07). With the same $\varepsilon$ passed to both, one step must
# give the same loss and the same gradient for every weight. In float64, the differences are rounding errors.

# %%
def torch_mlp_vae(latent_size, hidden=128, pixels=256):
    encoder = torch.nn.Sequential(torch.nn.Linear(pixels, hidden), torch.nn.ReLU(),
                                  torch.nn.Linear(hidden, 2 * latent_size))
    decoder = torch.nn.Sequential(torch.nn.Linear(latent_size, hidden), torch.nn.ReLU(),
                                  torch.nn.Linear(hidden, pixels))
    return encoder, decoder


def torch_negative_elbo(x, logits, mu, logvar, beta=1.0):
    """The same loss from torch's functions: sums over pixels and latent units, mean over the batch."""
    reconstruction = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
    kl = 0.5 * torch.sum(mu**2 + logvar.exp() - 1 - logvar, dim=1)
    return (reconstruction + beta * kl).mean()


torch_encoder, torch_decoder = (m.double() for m in torch_mlp_vae(vae_latent))
for module in (encoder, decoder):
    module.double()
dlcourse.torch.copy_weights_to_torch(encoder, torch_encoder)
dlcourse.torch.copy_weights_to_torch(decoder, torch_decoder)
X_check = B_val[:32].astype(np.float64)
eps = rng.standard_normal((len(X_check), vae_latent))  # the noise both get

encoder.zero_grad()
decoder.zero_grad()
numpy_loss, _ = vae_step(encoder, decoder, X_check, rng=None, eps=eps)
h = torch_encoder(torch.tensor(X_check))
mu_t, logvar_t = h[:, :vae_latent], h[:, vae_latent:]
z_t = mu_t + torch.exp(0.5 * logvar_t) * torch.tensor(eps)
torch_loss = torch_negative_elbo(torch.tensor(X_check), torch_decoder(z_t), mu_t, logvar_t)
torch_loss.backward()
print(f"loss: NumPy {numpy_loss:.10f}, torch {torch_loss.item():.10f}")
ours = dict(encoder.named_parameters()) | {f"dec.{k}": v for k, v in decoder.named_parameters()}
theirs = dict(torch_encoder.named_parameters()) | {f"dec.{k}": v for k, v in torch_decoder.named_parameters()}
worst = max(relative_error(ours[name].grad, theirs[name].grad.numpy()) for name in ours)
print(f"largest relative error over the {len(ours)} weight gradients: {worst:.1e}")
for module in (encoder, decoder):
    module.float()  # back to float32 for the rest of the chapter

# %% [markdown]
# ## 10. The latent space: a map, interpolation and samples
#
# With $L = 2$ every image's code $\mu(x)$ is a point in the plane. Left: the codes of the validation images,
# coloured by their label (which the VAE never saw). Right: the decoder's output (pixel probabilities
# $\sigma(\ell)$) at a grid of points of the same plane. The KL term has kept the codes near the origin, in the
# region where the prior puts its mass.

# %%
def decode(z):
    """(N, L) codes -> (N, 256) pixel probabilities from the NumPy decoder."""
    return 1 / (1 + np.exp(-decoder(np.asarray(z, dtype=np.float32))))


mu_val = encoder(B_val)[:, :vae_latent]
grid = np.linspace(-2.5, 2.5, 12)
points = np.array([(z1, z2) for z2 in grid[::-1] for z1 in grid])  # row by row, top row = largest z2
tiles = np.pad(decode(points).reshape(12, 12, 16, 16), ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=0.4)
mosaic = tiles.transpose(0, 2, 1, 3).reshape(12 * 18, 12 * 18)  # (row, col, 18, 18) -> one image, grey lines between
fig, (ax_codes, ax_map) = plt.subplots(1, 2, figsize=(11, 5))
scatter = ax_codes.scatter(mu_val[:, 0], mu_val[:, 1], c=y_val, cmap="tab10", s=8)
ax_codes.legend(*scatter.legend_elements(), fontsize=7, title="digit", loc="upper right")
ax_codes.set_xlabel("$z_1$")
ax_codes.set_ylabel("$z_2$")
ax_codes.set_title("codes $\\mu(x)$ of validation images")
ax_map.imshow(mosaic, cmap="gray", extent=(-2.5 - 0.23, 2.5 + 0.23, -2.5 - 0.23, 2.5 + 0.23))
ax_map.set_xlabel("$z_1$")
ax_map.set_title("decoded grid")
plt.show()

# %% [markdown]
# **Interpolation.** Walk in a straight line from the code of one validation digit to the code of another and
# decode along the way: the images change gradually, because nearby codes decode to similar images.
# **Samples from the prior.** Draw $z \sim \mathcal N(0, I)$ and decode: new digits, some clean, some in between
# two classes (with two latent numbers there is no room for much detail).

# %%
first, second = np.flatnonzero(y_val == 0)[0], np.flatnonzero(y_val == 7)[0]
steps = np.linspace(0, 1, 10)[:, None]
path = (1 - steps) * mu_val[first] + steps * mu_val[second]  # (10, L) along the straight line
prior_z = np.random.default_rng(6).standard_normal((10, vae_latent))
fig, axes = plt.subplots(2, 10, figsize=(10, 2.4))
show_images(decode(path).reshape(10, 16, 16), axes=axes[0])
show_images(decode(prior_z).reshape(10, 16, 16), axes=axes[1])
axes[0, 0].set_ylabel("0 → 7")
axes[1, 0].set_ylabel("prior")
plt.show()

# %% [markdown]
# Drag the sliders to move a code around the plane and watch the decoded digit change (this needs a running
# Jupyter kernel; in a static copy of the notebook there is nothing to move). The red cross marks the code on the
# map of validation codes.

# %%
latent_explorer(decode, codes=mu_val, labels=y_val, image_shape=(16, 16))

# %% [markdown]
# ## 11. Posterior collapse and the KL weight β
#
# The KL term pulls every $q(z\mid x)$ towards the prior. If it wins completely, $q(z\mid x) = \mathcal N(0, I)$
# for every $x$: the code carries no information about the image and the decoder learns to output the average
# digit. This is *posterior collapse*. A weight $\beta$ on the KL term (the β-VAE, Higgins et al., 2017) makes
# the trade-off visible: loss = reconstruction + β·KL. We train VAEs with $L = 8$ latent units for several β and
# count the *active* units: those whose mean $\mu_l(x)$ still varies across images (variance over the validation
# images above 0.01); a collapsed unit has $\mu_l(x) \approx 0$ and $\sigma_l \approx 1$ for every image and
# costs no KL.
#
# The last β is 256, the number of pixels, and is there for a reason: it is what the **classic reduction bug**
# does. Averaging the reconstruction term over pixels (MSELoss or BCELoss with their default `reduction="mean"`)
# instead of summing divides it by $D = 256$, which is the same as multiplying the KL by 256.

# %%
collapse_latent, collapse_epochs = 8, 15
betas = [0.25, 1.0, 4.0, 16.0, 256.0]
beta_models = {}
print(f"{'beta':>6} | {'reconstruction':>14} {'KL':>6} | active units of {collapse_latent}")
for beta in betas:
    enc, dec = mlp_vae(collapse_latent, np.random.default_rng(7))
    train_vae(enc, dec, B_train, num_epochs=collapse_epochs, beta=beta)
    h = enc(B_val)
    mu_b, logvar_b = h[:, :collapse_latent], h[:, collapse_latent:]
    z_b, _ = reparameterize_forward(mu_b, logvar_b, rng=np.random.default_rng(8))
    reconstruction = bernoulli_nll_forward(dec(z_b), B_val)[0].mean()
    kl_per_unit = 0.5 * np.mean(mu_b**2 + np.exp(logvar_b) - 1 - logvar_b, axis=0)  # (L,) batch-mean KL per unit
    active = int(np.sum(mu_b.var(axis=0) > 0.01))
    beta_models[beta] = (enc, dec)
    print(f"{beta:6g} | {reconstruction:14.1f} {kl_per_unit.sum():6.2f} | {active}")

# %% [markdown]
# Read down the table: as β grows, the KL (how much information, in nats, the codes carry about each image)
# shrinks and the reconstruction gets worse. Here the change is not gradual: the units stay active up to a point,
# and at the largest β values the posterior has collapsed: the KL is close to zero, (almost) no unit is active,
# and the decoder draws nearly the same blurred digit whatever the input (the pictures below). The bad reduction
# (β = 256) is deep in that regime. Small β goes the other way: sharper reconstructions, but a larger KL, that is,
# codes that stray further from the prior $\mathcal N(0, I)$ that section 10 samples from. Below: one validation
# digit rebuilt (from its code $\mu(x)$) by each model.

# %%
fig, axes = plt.subplots(1, len(betas) + 1, figsize=(7, 1.8))
show_images(B_val[:1].reshape(1, 16, 16), axes=np.array([axes[0]]))
axes[0].set_title("input", fontsize=8)
for ax, beta in zip(axes[1:], betas, strict=True):
    enc, dec = beta_models[beta]
    mu_b = enc(B_val[:1])[:, :collapse_latent]
    ax.imshow((1 / (1 + np.exp(-dec(mu_b)))).reshape(16, 16), cmap="gray")
    ax.set_title(f"β = {beta:g}", fontsize=8)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 12. The transposed convolution
#
# A convolutional encoder shrinks an image with strided convolutions (chapter 07). The decoder must go the other
# way, from a small map to a large one. The layer for that is the **transposed convolution**: every input pixel
# stamps a copy of the kernel, scaled by its value, onto the output, at stride $s$ apart; overlapping stamps add.
# Its name says what it is. A convolution is linear in its input, so it is a matrix $C$ with one row per output
# pixel and one column per input pixel; chapter 07's backward pass computes $\partial L/\partial x = C^\top
# \,\partial L/\partial y$. The transposed convolution is that map $C^\top$ used as a forward pass, with the same
# weight tensor (in PyTorch's layout (C_in, C_out, kH, kW) for `ConvTranspose2d`, the convolution's (M, C, kH, kW)
# read the other way round). Output size:
# $$H_{\text{out}} = (H - 1)\,s - 2p + d\,(k - 1) + \text{output\_padding} + 1,$$
# the convolution's size formula solved for the input size; `output_padding` chooses between the input sizes that
# a strided convolution maps onto the same output size. `dlcourse.nn.ConvTranspose2d` is built from exactly the
# pieces of chapter 07's backward pass (a matrix product, then `col2im`), and its backward pass is a convolution's
# forward pass (`im2col`, then a matrix product). Three checks: the matrix of the transposed convolution is $C^\top$;
# its output equals `conv2d_backward`'s input gradient; and it equals torch's.

# %%
weight = rng.standard_normal((2, 3, 3, 3))  # a Conv2d weight (M=2, C=3, 3, 3): 3 channels -> 2 channels
x_shape, stride, padding = (1, 3, 5, 5), 2, 1
columns = []
for k in range(np.prod(x_shape)):  # the convolution's matrix C, one column per unit input pixel
    unit = np.zeros(np.prod(x_shape))
    unit[k] = 1.0
    columns.append(conv2d_forward(unit.reshape(x_shape), weight, None, stride=stride, padding=padding)[0].ravel())
C = np.stack(columns, axis=1)  # (outputs, inputs) = (2*3*3, 3*5*5)
y_shape = (1, 2, 3, 3)
rows = []
for k in range(np.prod(y_shape)):  # the transposed convolution's matrix, one column per unit input pixel
    unit = np.zeros(np.prod(y_shape))
    unit[k] = 1.0
    rows.append(conv_transpose2d_forward(unit.reshape(y_shape), weight, None, stride=stride, padding=padding)[0].ravel())
T = np.stack(rows, axis=1)  # (3*5*5, 2*3*3)
print(f"C is {C.shape}, the transposed convolution's matrix is {T.shape}; max |T - C^T| = {np.abs(T - C.T).max():.1e}")

# %%
x = rng.standard_normal(x_shape)
y, cache = conv2d_forward(x, weight, None, stride=stride, padding=padding)
g = rng.standard_normal(y.shape)  # some upstream gradient dL/dy
dx, _, _ = conv2d_backward(g, cache)
up, _ = conv_transpose2d_forward(g, weight, None, stride=stride, padding=padding)
theirs = torch.nn.functional.conv_transpose2d(torch.tensor(g), torch.tensor(weight), stride=stride, padding=padding)
print(f"{g.shape} -> {up.shape}: max |transposed conv - conv2d_backward's dx| = {np.abs(up - dx).max():.1e}, "
      f"max |dlcourse - torch| = {np.abs(up - theirs.numpy()).max():.1e}")

# %% [markdown]
# A single lit pixel shows the stamping; with stride 2 and a 3×3 kernel of ones, neighbouring stamps overlap on
# one row and column, which is where the checkerboard patterns of transposed convolutions come from:

# %%
single = np.zeros((1, 1, 3, 3))
single[0, 0, 1, 1] = 1.0
both = single.copy()
both[0, 0, 1, 2] = 1.0
fig, axes = plt.subplots(1, 2, figsize=(5, 2.4))
for ax, inp, title in zip(axes, (single, both), ("one pixel", "two neighbours"), strict=True):
    out, _ = conv_transpose2d_forward(inp, np.ones((1, 1, 3, 3)), None, stride=2)
    ax.imshow(out[0, 0], cmap="viridis", vmin=0, vmax=2)
    ax.set_title(f"{title}: 3x3 -> {out.shape[2]}x{out.shape[3]}", fontsize=8)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 13. A convolutional VAE in PyTorch
#
# The encoder: two stride-2 convolutions (16×16 → 8×8 → 4×4) and a linear layer to $\mu$ and $\log\sigma^2$. The
# decoder mirrors it with two stride-2 transposed convolutions (4×4 → 8×8 → 16×16; `output_padding=1` picks 8 and
# 16 rather than 7 and 15). Same loss, same reduction, trained on the device; on a GPU, for longer.

# %%
big = device.type == "cuda"
conv_latent, conv_epochs = 8, (60 if big else 15)


class ConvVAE(torch.nn.Module):
    def __init__(self, latent_size):
        super().__init__()
        self.latent_size = latent_size
        self.encoder = torch.nn.Sequential(
            torch.nn.Conv2d(1, 16, 3, stride=2, padding=1), torch.nn.ReLU(),  # (N, 16, 8, 8)
            torch.nn.Conv2d(16, 32, 3, stride=2, padding=1), torch.nn.ReLU(),  # (N, 32, 4, 4)
            torch.nn.Flatten(), torch.nn.Linear(32 * 4 * 4, 2 * latent_size))
        self.decoder = torch.nn.Sequential(
            torch.nn.Linear(latent_size, 32 * 4 * 4), torch.nn.ReLU(), torch.nn.Unflatten(1, (32, 4, 4)),
            torch.nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), torch.nn.ReLU(),  # 8x8
            torch.nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1))  # (N, 1, 16, 16) logits

    def forward(self, x):
        h = self.encoder(x)
        mu, logvar = h[:, :self.latent_size], h[:, self.latent_size:]
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)  # the reparameterisation
        return self.decoder(z).flatten(1), mu, logvar


def conv_negative_elbo(model, X, num_samples=10):
    """Negative ELBO in nats per image on (N, 256) binary images, averaged over num_samples draws of eps."""
    model.eval()
    with torch.no_grad():
        x = torch.tensor(X, device=device)
        estimates = [torch_negative_elbo(x, *model(x.view(-1, 1, 16, 16))).item() for _ in range(num_samples)]
    return float(np.mean(estimates))


# %%
torch.manual_seed(0)
conv_vae = ConvVAE(conv_latent).to(device)
optimizer = torch.optim.Adam(conv_vae.parameters(), lr=2e-3)
start = time.perf_counter()
for epoch in range(conv_epochs):
    conv_vae.train()
    for X_batch in DataLoader(B_train, batch_size=64, shuffle=True, rng=np.random.default_rng(epoch)):
        x = torch.tensor(X_batch, device=device)
        optimizer.zero_grad()
        loss = torch_negative_elbo(x, *conv_vae(x.view(-1, 1, 16, 16)))
        loss.backward()
        optimizer.step()
print(f"{conv_epochs} epochs on {device.type} in {time.perf_counter() - start:.1f} s")

# %%
print(f"validation negative ELBO, nats per image: convolutional VAE (L = {conv_latent}) "
      f"{conv_negative_elbo(conv_vae, B_val):.1f}; independent pixels {independent_pixel_nll(B_val):.1f}")
layer = conv_vae.decoder[3]  # the first trained ConvTranspose2d: does dlcourse's layer compute the same?
numpy_layer = nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1, dtype=np.float64)
dlcourse.torch.copy_weights_from_torch(layer, numpy_layer)
maps = rng.standard_normal((4, 32, 4, 4))
with torch.no_grad():
    reference = layer.double()(torch.tensor(maps, device=device)).cpu().numpy()
layer.float()
print(f"trained ConvTranspose2d, float64: max |dlcourse - torch| = {np.abs(numpy_layer(maps) - reference).max():.1e}")
with torch.no_grad():
    samples = torch.sigmoid(conv_vae.decoder(torch.randn(10, conv_latent, device=device))).cpu().numpy()
show_images(samples.reshape(10, 16, 16), ncols=10, title="convolutional VAE: samples from the prior")
plt.show()

# %% [markdown]
# ## 14. Final results on the test set
#
# The one cell that touches the test images: the reconstruction error of section 2's autoencoder, the anomaly
# detector of section 6 (unseen digit against the other test digits: images no model trained on), and the negative
# ELBO of the three VAEs beside the independent-pixel model, in nats per image (lower is better; the VAE numbers
# are upper bounds on their true negative log-likelihood).

# %%
test_auc = roc_auc_score((y_test == anomaly_digit).astype(int), anomaly_scores(normal_ae, X8_test))
print(f"MLP autoencoder, L = {latent_size}: test MSE per pixel {mse_per_pixel(autoencoder, X8_test):.4f}")
print(f"anomaly detection (digit {anomaly_digit} never seen in training): test ROC AUC {test_auc:.3f}")
print("test negative log-likelihood bounds, nats per image:")
print(f"  independent pixels (exact)            {independent_pixel_nll(B_test):6.1f}")
print(f"  MLP VAE, L = {vae_latent}, NumPy                {negative_elbo(encoder, decoder, B_test):6.1f}")
print(f"  MLP VAE, L = {collapse_latent}, beta = 1, NumPy       {negative_elbo(*beta_models[1.0], B_test):6.1f}")
print(f"  convolutional VAE, L = {conv_latent}, PyTorch     {conv_negative_elbo(conv_vae, B_test):6.1f}")

# %% [markdown]
# ## Self-check
#
# 1. An autoencoder has a 64-pixel input and a code of 8 numbers. Why can it not simply learn the identity map?
# 2. A linear autoencoder trained with MSE reaches PCA's reconstruction error. Why do its decoder's columns still
#    differ from the principal components, and what does agree exactly?
# 3. Why must a denoising autoencoder learn something about digits that a plain one need not?
# 4. For anomaly detection, why must the anomalous digit be absent from the training images, and why are the
#    scores evaluated on images the model never trained on?
# 5. Write the KL divergence between $\mathcal N(\mu, \sigma^2)$ and $\mathcal N(0, 1)$. What is it at $\mu = 0$,
#    $\sigma = 1$, and what are its derivatives with respect to $\mu$ and $\log\sigma^2$?
# 6. Why can we not backpropagate through "draw $z$ from $\mathcal N(\mu, \sigma^2)$", and what does
#    $z = \mu + \sigma\varepsilon$ change? What is $\partial z/\partial\log\sigma^2$?
# 7. The VAE loss sums the reconstruction term over 256 pixels and averages over the batch. If you averaged over
#    pixels instead, which β would you effectively be using, and what would happen to the codes?
# 8. A stride-2 convolution maps 16×16 to 8×8 (3×3 kernel, padding 1). What output size does the transposed
#    convolution with the same settings give for an 8×8 input, and what `output_padding` gives 16×16?
#
# ## What to try
#
# - Section 6: hold out another digit. Is every digit equally easy to detect? (Runs in about a second.)

# %% tags=["what-to-try"]
other_digit = 1
other_ae = train_autoencoder(mlp_autoencoder(latent_size, np.random.default_rng(1)),
                             X8_train[y_train != other_digit], num_epochs=ae_epochs)
print(f"validation ROC AUC with digit {other_digit} unseen: "
      f"{roc_auc_score((y_val == other_digit).astype(int), anomaly_scores(other_ae, X8_val)):.3f}")

# %% [markdown]
# - Section 10: decode a code far from the prior's mass, where no training code lies. What comes out?

# %% tags=["what-to-try"]
far = np.array([[6.0, -6.0], [0.0, 8.0]])
show_images(decode(far).reshape(2, 16, 16), ncols=2, title="codes far outside the training codes")
plt.show()

# %% [markdown]
# - Section 11: train the $L = 2$ VAE with β = 4 for a few epochs and redraw the map of codes: do the classes
#   overlap more?

# %% tags=["what-to-try"]
enc4, dec4 = mlp_vae(2, np.random.default_rng(5))
train_vae(enc4, dec4, B_train, num_epochs=10, beta=4.0)
mu4 = enc4(B_val)[:, :2]
plt.scatter(mu4[:, 0], mu4[:, 1], c=y_val, cmap="tab10", s=8)
plt.title("codes with beta = 4")
plt.show()

# %% [markdown]
# - Section 5: corrupt by *masking* instead (set a random 30% of the pixels to 0:
#   `X * (rng.random(X.shape) > 0.3)`) and train the denoiser on that; change `train_autoencoder` accordingly.
# - Section 13: give the convolutional VAE $L = 2$ and draw its map like section 10; or replace the transposed
#   convolutions by `torch.nn.Upsample(scale_factor=2)` followed by a 3×3 convolution, which avoids the
#   checkerboard overlap of section 12.
# - The exercise for this chapter asks you to write the reparameterisation and its gradient, the KL term and its
#   gradient, the negative ELBO with the right reduction, and a transposed convolution.
