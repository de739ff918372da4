# %% [markdown]
# # 07 · Convolutional networks
#
# **The question.** A digit moved two pixels to the right is the same digit, and an edge is an edge wherever it is
# in the picture. A fully connected layer knows none of this: it has a separate weight for every pixel and must
# learn each fact again at every position. How can a network *build in* that images are made of local patterns
# that may appear anywhere?
#
# **The idea.** Slide one small filter over the whole image and take a dot product at every position: a
# *convolution*. Each output looks at a small neighbourhood (locality), and every position uses the same few
# weights (weight sharing). Stack convolutions with *pooling* (summarise each neighbourhood), and later layers see
# larger and larger parts of the image.
#
# Plan: (1) why convolutions; (2) the convolution as a sliding dot product; (3) padding, stride and dilation;
# (4) feature maps; (5) im2col, the trick that makes it fast; (6) the backward pass; (7) pooling; (8) receptive
# fields; (9) a LeNet-style network trained in NumPy; (10) the same network in PyTorch, with identical weights;
# (11) a small ResNet with skip connections and batch norm, and what data augmentation does for it; (12) the test
# set, once.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

import dlcourse.nn as nn
import dlcourse.optim as optim
import dlcourse.torch
from dlcourse.data import DataLoader, load_digit_images, make_shapes, train_val_test_split
from dlcourse.data.augment import random_shift, shift_images
from dlcourse.gradcheck import check_function
from dlcourse.nn.functional import (
    conv2d_backward,
    conv2d_forward,
    conv2d_forward_naive,
    im2col,
    max_pool2d_backward,
    max_pool2d_forward,
)
from dlcourse.plots.images import show_feature_maps, show_filters, show_images
from dlcourse.training import fit, predict
from dlcourse.widgets import convolution_explorer

rng = np.random.default_rng(0)
dlcourse.torch.seed_everything(0)
device = dlcourse.torch.device()
if device.type == "cpu":
    torch.set_num_threads(1)  # small networks: one thread is fastest, and never waits for a busy second core

# %% [markdown]
# ## 1. Why convolutions?
#
# Take a 28×28 grey image, 784 pixels. A fully connected layer with 100 hidden units has a weight for every
# (pixel, unit) pair. A convolutional layer with 6 filters of size 5×5 has 6 × 25 weights and 6 biases, whatever the
# image size, because each filter is reused at every position.

# %%
mlp_layer = nn.Linear(28 * 28, 100)
conv_layer = nn.Conv2d(1, 6, kernel_size=5)
count = lambda layer: sum(p.data.size for p in layer.parameters())  # noqa: E731
print(f"Linear(784, 100): {count(mlp_layer):,} parameters")
print(f"Conv2d(1, 6, 5):  {count(conv_layer):,} parameters, giving 6 maps of 24x24 = {6 * 24 * 24:,} outputs")

# %% [markdown]
# Sharing the weights buys a property: *translation equivariance*. Move the input, and the output moves by the same
# amount (away from the borders). A fully connected layer has no such property. We check it on a generated image
# of a shape (`dlcourse.data.make_shapes`, used throughout the chapter).

# %%
shape_images, shape_labels = make_shapes(8, size=32, noise=0.0, rng=rng, dtype=np.float64)
x = shape_images[:1]  # (1, 1, 32, 32)
conv = nn.Conv2d(1, 4, 3, rng=rng, dtype=np.float64)
moved_then_conv = conv(shift_images(x, np.array([3]), np.array([2])))
conv_then_moved = shift_images(conv(x), np.array([3]), np.array([2]))
inner = (slice(None), slice(None), slice(4, -1), slice(3, -1))  # away from where the shift brought in zeros
print("max |conv(shift(x)) - shift(conv(x))| inside:", np.abs(moved_then_conv - conv_then_moved)[inner].max())

# %% [markdown]
# ## 2. The convolution as a sliding dot product
#
# For one image channel $x$ and a $k \times k$ kernel $w$, output pixel $(i, j)$ is the dot product of the kernel
# with the patch under it:
# $$y_{i,j} = \sum_{a=0}^{k-1} \sum_{b=0}^{k-1} w_{a,b}\, x_{i+a,\, j+b}.$$
# (Mathematicians call this a cross-correlation; a true convolution flips the kernel first. Deep learning
# libraries compute the cross-correlation and call it convolution; since the kernel is learned, nothing is lost.)
# With $C$ input channels, $M$ filters and a bias per filter, for every image $n$ in the batch:
# $$y_{n,m,i,j} = b_m + \sum_{c=0}^{C-1} \sum_{a,b} w_{m,c,a,b}\, x_{n,c,i+a,\,j+b}.$$
# The weight has PyTorch's layout (M, C, kH, kW). First the single-channel version, by hand:

# %%
def conv2d_single(image, kernel):
    """Valid cross-correlation of one (H, W) image with one (k, k) kernel -> (H - k + 1, W - k + 1)."""
    k = kernel.shape[0]
    out = np.zeros((image.shape[0] - k + 1, image.shape[1] - k + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + k, j:j + k] * kernel)  # the patch under the kernel, dot the kernel
    return out


kernel = rng.standard_normal((3, 3))
by_hand = conv2d_single(x[0, 0], kernel)
ours, _ = conv2d_forward(x, kernel[None, None], None)  # (1, 1, 32, 32) * (1, 1, 3, 3) -> (1, 1, 30, 30)
theirs = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(kernel)[None, None])
print("max |by hand - dlcourse|:", np.abs(by_hand - ours[0, 0]).max())
print("max |by hand - torch|:   ", np.abs(by_hand - theirs[0, 0].numpy()).max())

# %% [markdown]
# `dlcourse.nn.functional.conv2d_forward_naive` writes the multi-channel formula as four loops (images, filters,
# output rows, output columns), slow on purpose so it can be read; it agrees with the layer:

# %%
X_small = rng.standard_normal((2, 3, 9, 9))
weight, bias = rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
naive, _ = conv2d_forward_naive(X_small, weight, bias)
layer = nn.Conv2d(3, 4, 3, dtype=np.float64)
layer.weight.data, layer.bias.data = weight, bias
print("output shape:", naive.shape, " max |naive - nn.Conv2d|:", np.abs(naive - layer(X_small)).max())

# %% [markdown]
# ## 3. Padding, stride and dilation
#
# Three settings change which pixels a filter visits:
#
# - **padding** $p$: add $p$ rows and columns of zeros around the image, so the border pixels get their turn (and
#   the output can keep the input's size);
# - **stride** $s$: move the filter $s$ pixels at a time, which shrinks the output about $s$ times per side;
# - **dilation** $d$: spread the kernel's taps $d$ pixels apart, so a 3×3 kernel covers 5×5 pixels with $d = 2$
#   without more weights.
#
# (A fourth setting, **groups** $g$, does not change the output size: it splits the $C$ input channels and the $M$
# filters into $g$ groups, and each filter reads only the $C/g$ channels of its own group, so the weight has shape
# (M, C/g, k, k). With $g = 1$, the default, every filter reads every channel.)
#
# The dilated kernel spans $d(k-1)+1$ pixels; it fits in the padded length $H + 2p$ at
# $\lfloor (H + 2p - d(k-1) - 1)/s \rfloor + 1$ positions:
# $$H_{\text{out}} = \left\lfloor \frac{H + 2p - d\,(k - 1) - 1}{s} \right\rfloor + 1.$$
# With $s = 1$ and $d = 1$, the padding $p = (k - 1)/2$ keeps the size ("same" padding, for odd $k$).

# %%
H = 28
print(f"{'k':>2} {'p':>2} {'s':>2} {'d':>2} | {'formula':>7} {'torch':>5}")
for k, p, s, d in [(3, 0, 1, 1), (3, 1, 1, 1), (5, 2, 1, 1), (3, 1, 2, 1), (5, 0, 2, 1), (3, 2, 1, 2), (7, 3, 4, 1)]:
    formula = (H + 2 * p - d * (k - 1) - 1) // s + 1
    torch_out = torch.nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d)(torch.zeros(1, 1, H, H)).shape[-1]
    print(f"{k:>2} {p:>2} {s:>2} {d:>2} | {formula:>7} {torch_out:>5}")

# %% [markdown]
# Try it: pick a kernel and move the sliders. The left panel shows the padded input (the white frame is the
# original image) and, in red, the pixels that output pixel (0, 0) reads; the title works out the output size.
# The explorer needs a running Jupyter kernel; in a static copy of the notebook there is nothing to move.

# %%
convolution_explorer()

# %% [markdown]
# ## 4. Feature maps
#
# Each filter turns the image into a *feature map*: large where the patch looks like the filter. Hand-made filters
# show the idea; a network learns its own (section 9). A vertical-edge filter (Sobel) responds where brightness
# rises from left to right (positive) or falls (negative); a Laplacian-like one responds to outlines in every
# direction; a blur averages.

# %%
filters = np.array([[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],  # vertical edges
                    [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],  # horizontal edges
                    [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],  # outlines
                    [[1, 2, 1], [2, 4, 2], [1, 2, 1]]], dtype=np.float64)[:, None] / np.array([1, 1, 1, 16])[:, None, None, None]
maps, _ = conv2d_forward(shape_images[:1], filters, None, padding=1)  # (1, 4, 32, 32)
show_images(shape_images[:1], ncols=1, title="input")
show_feature_maps(maps, ncols=4, title="vertical edges, horizontal edges, outlines, blur")
plt.show()

# %% [markdown]
# ## 5. im2col: one matrix product
#
# The loops of section 2 run once per output pixel, in Python. The fast way rearranges the input so that the whole
# layer becomes one matrix product. **im2col** ("image to columns") copies every receptive field into a column: for
# $C$ channels and a $k \times k$ kernel each column has $C k^2$ entries, one column per output pixel. The filters,
# flattened to the rows of an $M \times C k^2$ matrix, then multiply all columns at once:
# $$Y = W_{\text{flat}}\; \operatorname{im2col}(x), \qquad (M \times Ck^2)\,(Ck^2 \times H_{\text{out}}W_{\text{out}}).$$
# Neighbouring windows overlap, so each pixel is copied into up to $k^2$ columns: the matrix is up to $k^2$ times
# larger than the image, memory traded for speed.
# The picture: a 4×4 input with pixels numbered 0 to 15, a 3×3 kernel, so 2×2 outputs and 4 columns of 9 entries.
# Output pixel (0, 1) reads the framed window, which becomes column 1.

# %%
picture = np.arange(16.0).reshape(1, 1, 4, 4)
columns = im2col(picture, (3, 3))[0]  # (1, 1, 4, 4) -> (1, 9, 4); [0] takes the batch's first (only) image
fig, (ax_in, ax_cols) = plt.subplots(1, 2, figsize=(8, 4), layout="constrained", gridspec_kw={"width_ratios": [1, 1.1]})
for ax, values, title in ((ax_in, picture[0, 0], "input 4x4"), (ax_cols, columns, "im2col: 9 rows x 4 columns")):
    ax.imshow(values, cmap="Blues", vmin=-4, vmax=20)
    for (r, c), v in np.ndenumerate(values):
        ax.text(c, r, f"{v:.0f}", ha="center", va="center")
    ax.set_title(title)
    ax.set_xticks(range(values.shape[1]))
    ax.set_yticks(range(values.shape[0]))
ax_in.add_patch(plt.Rectangle((0.5, -0.5), 3, 3, fill=False, edgecolor="red", linewidth=2))
ax_cols.add_patch(plt.Rectangle((0.5, -0.5), 1, 9, fill=False, edgecolor="red", linewidth=2))
ax_cols.set_xlabel("output pixel (0,0) (0,1) (1,0) (1,1)")
ax_cols.set_ylabel("kernel tap (a, b)")
plt.show()

# %% [markdown]
# Building im2col needs no loop either. NumPy's `sliding_window_view` returns every $k \times k$ window as a
# *view*: a new shape and strides over the same memory, so nothing is copied until we reshape the windows into
# columns.

# %%
def im2col_by_hand(x, k):
    """(N, C, H, W) -> (N, C*k*k, H_out*W_out) for a k x k kernel, stride 1, no padding."""
    N, C = x.shape[:2]
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))  # (N, C, H_out, W_out, k, k), a view
    H_out, W_out = windows.shape[2:4]
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(N, C * k * k, H_out * W_out), (H_out, W_out)  # the copy


def conv2d_im2col(x, weight, bias):
    """The layer as one matrix product: (M, C*k*k) @ (N, C*k*k, P) -> (N, M, P), P = H_out*W_out."""
    M, C, k, _ = weight.shape
    cols, (H_out, W_out) = im2col_by_hand(x, k)
    out = weight.reshape(M, C * k * k) @ cols + bias[:, None]  # matmul broadcasts over the N images
    return out.reshape(len(x), M, H_out, W_out)


print("max |im2col version - naive loops|:", np.abs(conv2d_im2col(X_small, weight, bias) - naive).max())

# %% [markdown]
# How much faster? One batch of 8 colour images of 24×24, 8 filters of 3×3: the loops, our im2col, dlcourse and
# PyTorch. dlcourse's `conv2d_forward` handles stride, padding, dilation and groups, and for small outputs like
# these (fewer than 256 pixels per map) it goes one step further than our im2col: it puts the columns of *all*
# the images of the batch side by side, so the whole layer is a single matrix product instead of one per image,
# because per-image products this small are too short for the matrix library to run at full speed.

# %%
X_time = rng.standard_normal((8, 3, 24, 24)).astype(np.float32)
w_time, b_time = rng.standard_normal((8, 3, 3, 3)).astype(np.float32), np.zeros(8, np.float32)


def seconds(fn, repeat=5):
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


t_naive = seconds(lambda: conv2d_forward_naive(X_time, w_time, b_time), repeat=1)
t_im2col = seconds(lambda: conv2d_im2col(X_time, w_time, b_time))
t_dlcourse = seconds(lambda: conv2d_forward(X_time, w_time, b_time))
xt, wt, bt = torch.tensor(X_time), torch.tensor(w_time), torch.tensor(b_time)
t_torch = seconds(lambda: torch.nn.functional.conv2d(xt, wt, bt))
for name, t in [("loops", t_naive), ("im2col by hand", t_im2col), ("dlcourse", t_dlcourse), ("torch (CPU)", t_torch)]:
    print(f"{name:>15}: {t * 1e3:8.2f} ms  ({t_naive / t:6.0f}x the loops' speed)")

# %% [markdown]
# The loops lose by orders of magnitude (the factors are printed above); im2col brings NumPy close to PyTorch's
# hand-tuned kernels (`benchmarks/bench_conv.py` measures forward and backward on LeNet- and ResNet-sized layers).
#
# ## 6. The backward pass
#
# Given $\partial L / \partial y$ (call it `dout`, shape (N, M, H_out, W_out)), differentiate
# $y_{n,m,i,j} = b_m + \sum_{c,a,b} w_{m,c,a,b}\, x_{n,c,i+a,j+b}$ (stride 1) with respect to each array:
# $$\frac{\partial L}{\partial b_m} = \sum_{n,i,j} \text{dout}_{n,m,i,j}, \qquad
# \frac{\partial L}{\partial w_{m,c,a,b}} = \sum_{n,i,j} \text{dout}_{n,m,i,j}\; x_{n,c,i+a,\,j+b},$$
# $$\frac{\partial L}{\partial x_{n,c,p,q}} = \sum_{m,a,b} \text{dout}_{n,m,\,p-a,\,q-b}\; w_{m,c,a,b}.$$
# The weight gradient correlates the input with `dout` (in im2col form: `dout @ cols.T`, summed over images). The
# input gradient is a sum over $p - a$: it is a convolution too, of `dout` padded by $k - 1$ zeros on every side,
# with the kernel flipped in both directions and input and output channels swapped. Every output pixel sends its
# gradient back to the $k^2$ input pixels it read.

# %%
def conv2d_backward_by_hand(dout, x, weight):
    """Stride 1, no padding: dout (N, M, H_out, W_out) -> dx (N, C, H, W), dweight (M, C, k, k), dbias (M,)."""
    M, C, k, _ = weight.shape
    cols, _ = im2col_by_hand(x, k)  # (N, C*k*k, P)
    d = dout.reshape(len(x), M, -1)  # (N, M, P)
    dweight = (d @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(weight.shape)  # sum over images of (M,P)@(P,Ckk)
    flipped = weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C, M, k, k): flipped, channels swapped
    padded = np.pad(dout, ((0, 0), (0, 0), (k - 1, k - 1), (k - 1, k - 1)))
    dx = conv2d_im2col(padded, flipped, np.zeros(C))  # a "full" convolution gives back H x W
    return dx, dweight, dout.sum(axis=(0, 2, 3))


out, cache = conv2d_forward(X_small, weight, bias)
dout = rng.standard_normal(out.shape)
for name, mine, ref in zip(["dx", "dweight", "dbias"], conv2d_backward_by_hand(dout, X_small, weight),
                           conv2d_backward(dout, cache), strict=True):
    print(f"{name:>8}: max |by hand - dlcourse| = {np.abs(mine - ref).max():.2e}")

# %% [markdown]
# And the finite-difference check of chapter 04, on dlcourse's general version (stride 2, padding 1, dilation 2,
# two groups): the norm-wise relative error should be around $10^{-8}$ or below.
#
# `check_function(forward, backward, inputs)` from `dlcourse.gradcheck` draws a random `dout` of the output's shape,
# differentiates the scalar $\sum$ `forward(*inputs) * dout` numerically with respect to every input array (central
# differences, as in chapter 04), and compares with `backward(dout)`, which must return one gradient per input.
# Our backward needs the cache of the most recent forward call, so the forward we hand over stores it in a small
# dictionary, `cache_box`, where the backward reads it.

# %%
cache_box = {}  # the cache of the latest forward call, for the backward below


def conv_forward_for_check(x, w, b):
    out, cache_box["cache"] = conv2d_forward(x, w, b, stride=2, padding=1, dilation=2, groups=2)
    return out


errors = check_function(conv_forward_for_check, lambda d: conv2d_backward(d, cache_box["cache"]),
                        [rng.standard_normal((2, 4, 7, 7)), rng.standard_normal((6, 2, 3, 3)), rng.standard_normal(6)],
                        rng=rng)
print("relative errors (dx, dweight, dbias):", [f"{e:.1e}" for e in errors])

# %% [markdown]
# ## 7. Pooling
#
# A pooling layer summarises each $k \times k$ window by one number: its maximum (max pooling) or its mean
# (average pooling). With $k = s = 2$ it halves the height and width, so later layers have less to compute and see
# a larger part of the image. For non-overlapping 2×2 windows, max pooling is a reshape and a max:

# %%
feature = rng.standard_normal((2, 3, 8, 8))
by_hand = feature.reshape(2, 3, 4, 2, 4, 2).max(axis=(3, 5))  # (N, C, 4 rows, 2, 4 columns, 2): max per window
ours, pool_cache = max_pool2d_forward(feature, 2)
theirs = torch.nn.functional.max_pool2d(torch.tensor(feature), 2).numpy()
print("max |by hand - dlcourse|:", np.abs(by_hand - ours).max(), " max |dlcourse - torch|:", np.abs(ours - theirs).max())

# %% [markdown]
# Backward, the maximum is the only input that moved the output, so it receives the whole gradient and the other
# pixels of its window get zero. (Average pooling shares the gradient equally: $1/k^2$ to each pixel.)

# %%
small = np.array([[[[1.0, 3.0], [2.0, 0.0]]]])  # one 2x2 window: the maximum 3 is at row 0, column 1
_, small_cache = max_pool2d_forward(small, 2)
print(max_pool2d_backward(np.array([[[[5.0]]]]), small_cache)[0, 0])

# %% [markdown]
# Pooling also gives a little *invariance* to small shifts: when the input moves by one pixel, a window's maximum
# often stays inside the window, so the pooled value does not change. We move 64 shape images one pixel to the right
# and count, among the non-zero outputs (after ReLU), how many change, before pooling and after 2×2 and 4×4 max
# pooling:

# %%
many, _ = make_shapes(64, size=32, noise=0.0, rng=rng, dtype=np.float64)  # images (64, 1, 32, 32); labels unused
moved = shift_images(many, np.zeros(64, dtype=int), np.ones(64, dtype=int))  # one pixel to the right
maps, _ = conv2d_forward(many, filters, None, padding=1)  # (64, 4, 32, 32); the cache is not needed
maps_moved, _ = conv2d_forward(moved, filters, None, padding=1)
relu_maps, relu_moved = np.maximum(maps, 0), np.maximum(maps_moved, 0)


def changed(before, after):
    """Fraction of the non-zero outputs that changed (beyond rounding)."""
    return np.mean(np.abs(before - after)[before > 0] > 1e-9)


print(f"feature maps:          {changed(relu_maps, relu_moved):.0%} changed")
for k in (2, 4):
    pooled, _ = max_pool2d_forward(relu_maps, k)  # (output, cache): the cache is not needed
    pooled_moved, _ = max_pool2d_forward(relu_moved, k)
    print(f"after {k}x{k} max pooling: {changed(pooled, pooled_moved):.0%} changed")

# %% [markdown]
# Fewer outputs change after pooling, and fewer with larger windows; but many still do. Pooling makes a network a
# bit less sensitive to small shifts, not blind to them, which is one reason data augmentation (section 11) still
# helps.

# %% [markdown]
# ## 8. Receptive fields
#
# The *receptive field* of a unit is the set of input pixels it depends on. Each layer with kernel $k_l$ and
# dilation $d_l$ widens it by $(k_l - 1) d_l$ steps of the layer's input grid, and each stride multiplies the size of
# one such step (the *jump*) for the layers after it:
# $$r_L = 1 + \sum_{l=1}^{L} (k_l - 1)\, d_l \prod_{i<l} s_i.$$
# For the LeNet-style stack of section 9 (conv 5×5, pool 2, conv 5×5, pool 2):

# %%
r, jump = 1, 1
for name, k, s in [("conv 5x5", 5, 1), ("max pool 2", 2, 2), ("conv 5x5", 5, 1), ("max pool 2", 2, 2)]:
    r, jump = r + (k - 1) * jump, jump * s
    print(f"after {name:<11} receptive field {r:>2}x{r:<2} (jump {jump})")

# %% [markdown]
# The backward pass measures it: send a gradient of 1 from one unit, and the input pixels that receive a non-zero
# gradient are exactly the ones it depends on. With all-positive weights (and average pooling, which passes
# gradient to every pixel of a window) nothing cancels. The picture also shows that the centre pixels count more:
# they reach the unit through more paths (the *effective* receptive field is peaked).

# %%
probe = nn.Sequential(nn.Conv2d(1, 1, 5, padding=2, bias=False), nn.AvgPool2d(2), nn.Conv2d(1, 1, 5, bias=False),
                      nn.AvgPool2d(2)).double()
for layer in (probe[0], probe[2]):
    layer.weight.data[:] = 1.0
out = probe(np.zeros((1, 1, 32, 32)))  # (1, 1, 6, 6)
unit = np.zeros_like(out)
unit[0, 0, 3, 3] = 1.0  # one unit of the last layer
gradient = probe.backward(unit)[0, 0]
rows, cols = np.nonzero(gradient)
print(f"pixels with non-zero gradient: rows {rows.min()}..{rows.max()}, columns {cols.min()}..{cols.max()} "
      f"-> {rows.max() - rows.min() + 1}x{cols.max() - cols.min() + 1}")
plt.figure(figsize=(3.5, 3.5))
plt.imshow(gradient, cmap="magma")
plt.title("d unit / d input")
plt.colorbar(fraction=0.046)
plt.show()

# %% [markdown]
# ## 9. A LeNet-style network in NumPy
#
# LeCun's LeNet (1998) is the pattern that is still used: convolution, nonlinearity, pooling, again, then fully
# connected layers. Our task: the handwritten digits of scikit-learn, upsampled from 8×8 to 16×16
# (`load_digit_images(16)`, bilinear), split 70/15/15 into training, validation and test parts. The test part is
# used once, in the chapter's last section; until then every number is measured on the validation part. Shapes through the
# network: (N, 1, 16, 16) → conv 5×5, padding 2 → (N, 6, 16, 16) → pool → (N, 6, 8, 8) → conv 5×5 → (N, 16, 4, 4)
# → pool → (N, 16, 2, 2) → flatten → 64 → 64 → 10 logits.

# %%
images, labels = load_digit_images(16)  # (N, 1, 16, 16) float32 in [0, 1], (N,)
X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(
    images, labels, val_size=0.15, test_size=0.15, stratify=labels, rng=np.random.default_rng(0))  # a split of its own
print("train / val / test:", X_train.shape, X_val.shape, X_test.shape)
show_images(X_train, y_train, ncols=12, max_images=12)
plt.show()


# %%
def lenet(rng):
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5, rng=rng), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(16 * 2 * 2, 64, rng=rng), nn.ReLU(), nn.Linear(64, 10, rng=rng))


model = lenet(np.random.default_rng(1))
initial_state = model.state_dict()  # kept for the PyTorch twin in section 10
num_epochs = 8
print(f"{sum(p.data.size for p in model.parameters()):,} parameters")


def lenet_batches():
    """The same shuffled mini-batches each time it is called (its own seeded generator)."""
    return DataLoader((X_train, y_train), batch_size=32, shuffle=True, rng=np.random.default_rng(2))


# %%
start = time.perf_counter()
history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=3e-3), lenet_batches(),
              epochs=num_epochs, val_loader=DataLoader((X_val, y_val), batch_size=256), metrics=["accuracy"],
              progress=False)
numpy_logits = predict(model, X_val)
lenet_accuracy = (numpy_logits.argmax(axis=1) == y_val).mean()
print(f"{num_epochs} epochs in {time.perf_counter() - start:.1f} s; validation accuracy {lenet_accuracy:.3f}")
history.plot(title="LeNet in NumPy")
plt.show()

# %% [markdown]
# What did it learn? The six 5×5 filters of the first layer (red positive, blue negative) and the six feature maps
# they make of one validation digit: strokes in different directions light up different maps.

# %%
show_filters(model[0].weight.data, ncols=6, title="first-layer filters")
show_feature_maps(model[1](model[0](X_val[:1])), ncols=6, title=f"feature maps of a {y_val[0]}")
plt.show()

# %% [markdown]
# ## 10. The same network in PyTorch, with identical weights
#
# The torch twin has the same layers, names and weight layouts, so `dlcourse.torch.copy_weights_to_torch` copies
# the trained NumPy weights over. In float64 the two compute the same sums in nearly the same order, and the outputs
# agree to rounding ($10^{-14}$ or so); in float32 to about $10^{-5}$.

# %%
def torch_lenet():
    return torch.nn.Sequential(torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                               torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                               torch.nn.Linear(16 * 2 * 2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))


twin = torch_lenet().to(device)
dlcourse.torch.copy_weights_to_torch(model, twin)
torch_logits = dlcourse.torch.predict(twin, X_val)
print(f"float32 on {device.type}: max |NumPy - torch| logits = {np.abs(numpy_logits - torch_logits).max():.1e}; "
      f"same predictions: {np.array_equal(numpy_logits.argmax(1), torch_logits.argmax(1))}")
logits64 = predict(model.double(), X_val.astype(np.float64))  # both networks now in float64
difference64 = np.abs(logits64 - dlcourse.torch.predict(twin.double(), X_val)).max()
model.float()  # back to float32 for the rest of the chapter
print(f"float64: max |NumPy - torch| logits = {difference64:.1e}")

# %% [markdown]
# Trained the same way, from the same initial weights, with the same batches and `torch.optim.Adam`, the twin
# follows the NumPy network's trajectory: the losses differ only by float32 rounding, which grows slowly over the
# steps.

# %%
twin = torch_lenet()
start_model = lenet(np.random.default_rng(1))
start_model.load_state_dict(initial_state)
dlcourse.torch.copy_weights_to_torch(start_model, twin)
twin_history = dlcourse.torch.fit(twin, torch.nn.CrossEntropyLoss(), torch.optim.Adam(twin.parameters(), lr=3e-3),
                                  lenet_batches(), epochs=num_epochs, device=device, progress=False)
print("training loss per epoch, NumPy:", np.round(history["loss"], 4))
print("training loss per epoch, torch:", np.round(twin_history["loss"], 4))
twin_accuracy = (dlcourse.torch.predict(twin, X_val).argmax(1) == y_val).mean()
print(f"validation accuracy: NumPy {lenet_accuracy:.3f}, torch {twin_accuracy:.3f}")

# %% [markdown]
# ## 11. A small ResNet, with batch norm and skip connections
#
# Deeper stacks of convolutions are harder to train: the signal and its gradient must pass through every layer.
# He et al. (2016) let each block learn a *correction* to its input instead of a whole new representation:
# $$y = \operatorname{ReLU}\big(x + F(x)\big), \qquad F(x) = \operatorname{BN}(\operatorname{conv}(\operatorname{ReLU}(\operatorname{BN}(\operatorname{conv}(x))))).$$
# The skip connection $x + \dots$ gives the gradient a path that bypasses $F$: backward, the gradient of a sum goes
# to both terms unchanged, so $\partial L/\partial x$ = (what comes through $F$) + (what comes straight back).
# Batch norm (chapter 06) keeps every channel's activations at a steady scale. For images, `BatchNorm2d(C)`
# normalises each *channel*: its mean and variance are taken over all $N \times H \times W$ values of that channel in
# the batch (every image and every position), and $\gamma$, $\beta$ are one number per channel, so a feature is
# treated alike wherever it appears. A convolution followed by batch norm needs no bias (`bias=False`): a constant
# added to a channel is removed again when batch norm subtracts the channel's mean, and $\beta$ supplies the shift.
# When the block halves the resolution and doubles the channels, the skip path gets a 1×1 convolution with stride 2
# so that the shapes match.
#
# First one block in NumPy, from `dlcourse.nn` layers, with the skip connection's backward written out, checked
# against its torch twin in float64 (training mode, so batch norm uses the batch statistics):

# %%
class NumpyBlock(nn.Module):
    """conv-BN-ReLU-conv-BN, plus the input, then ReLU; channels and size unchanged."""

    def __init__(self, channels, rng):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False, rng=rng)
        self.bn1, self.relu1 = nn.BatchNorm2d(channels), nn.ReLU()
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False, rng=rng)
        self.bn2, self.relu2 = nn.BatchNorm2d(channels), nn.ReLU()

    def forward(self, x):
        h = self.relu1(self.bn1(self.conv1(x)))
        return self.relu2(self.bn2(self.conv2(h)) + x)  # the skip connection: add the input back

    def backward(self, dout):
        d_sum = self.relu2.backward(dout)  # gradient of (F(x) + x): the same for both terms
        d_branch = self.conv1.backward(self.bn1.backward(self.relu1.backward(
            self.conv2.backward(self.bn2.backward(d_sum)))))
        return d_branch + d_sum  # the two paths' gradients add


class Block(torch.nn.Module):
    """The torch twin, also able to downsample: stride 2 and more channels get a 1x1 convolution on the skip path."""

    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(c_out)
        self.conv2 = torch.nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(c_out)
        self.shortcut = torch.nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = torch.nn.Sequential(torch.nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False),
                                                torch.nn.BatchNorm2d(c_out))

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(h)) + self.shortcut(x))


numpy_block, torch_block = NumpyBlock(4, np.random.default_rng(3)).double(), Block(4, 4).double()
dlcourse.torch.copy_weights_to_torch(numpy_block, torch_block)
x_block = rng.standard_normal((3, 4, 6, 6))
x_torch = torch.tensor(x_block, requires_grad=True)
dout_block = rng.standard_normal(x_block.shape)
torch_block(x_torch).backward(torch.tensor(dout_block))
print("max |output difference|:", np.abs(numpy_block(x_block) - torch_block(x_torch).detach().numpy()).max())
print("max |input-gradient difference|:", np.abs(numpy_block.backward(dout_block) - x_torch.grad.numpy()).max())
print("max |conv1 weight-gradient difference|:",
      np.abs(numpy_block.conv1.weight.grad - torch_block.conv1.weight.grad.numpy()).max())

# %% [markdown]
# The whole network, in PyTorch: a 3×3 stem convolution, a block at full resolution, a downsampling block, one more
# block, then global average pooling (`AdaptiveAvgPool2d(1)`: one number per channel, whatever the image size) and a
# linear classifier. It trains on the device; on a GPU it is made wider and trained longer.

# %%
big = device.type == "cuda"
width, resnet_epochs = (32, 15) if big else (16, 10)


def resnet(width, num_classes=10):
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, width, 3, padding=1, bias=False), torch.nn.BatchNorm2d(width), torch.nn.ReLU(),
        Block(width, width), Block(width, 2 * width, stride=2), Block(2 * width, 2 * width),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(2 * width, num_classes))


print(f"{sum(p.numel() for p in resnet(width).parameters()):,} parameters, width {width}, {resnet_epochs} epochs")

# %% [markdown]
# **Data augmentation.** With 1,257 training images a network can memorise them. Augmentation makes new examples
# that keep their label: here every batch is shifted by up to 2 pixels in each direction (a different shift each
# time), so the network never sees exactly the same image twice. We train the ResNet twice, identically except
# for the augmentation, and score both on the validation set as it is and shifted by 2 pixels.

# %%
class Shifted:
    """X, y whose images are shifted by up to `max_shift` pixels each time a batch is taken."""

    def __init__(self, X, y, max_shift, rng):
        self.X, self.y, self.max_shift, self.rng = X, y, max_shift, rng

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        return random_shift(self.X[index], self.max_shift, rng=self.rng), self.y[index]


def train_resnet(X, y, *, augment, num_classes=10, seed=0):
    torch.manual_seed(seed)
    net = resnet(width, num_classes)
    data = Shifted(X, y, 2, np.random.default_rng(seed)) if augment else (X, y)
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=resnet_epochs)
    dlcourse.torch.fit(net, torch.nn.CrossEntropyLoss(), optimizer,
                       DataLoader(data, batch_size=64, shuffle=True, rng=np.random.default_rng(seed + 1)),
                       epochs=resnet_epochs, device=device, progress=False, scheduler=schedule)
    return net


X_val_shifted = random_shift(X_val, 2, rng=np.random.default_rng(7))
results, resnets = {}, {}
for augment in (False, True):
    start = time.perf_counter()
    resnets[augment] = net = train_resnet(X_train, y_train, augment=augment)
    results[augment] = [(dlcourse.torch.predict(net, X).argmax(1) == y_val).mean() for X in (X_val, X_val_shifted)]
    print(f"augmentation {'on ' if augment else 'off'}: {time.perf_counter() - start:4.1f} s; validation accuracy "
          f"{results[augment][0]:.3f}, on shifted validation images {results[augment][1]:.3f}")

# %% [markdown]
# Compare the two lines printed above: augmentation costs nothing at test time, and the network trained on shifted
# images keeps its accuracy on shifted images, where the other one loses some. Shifting is a safe augmentation
# for digits; a mirror image would not be (a mirrored 3 is not a 3).
#
# **On a GPU** the same code trains a wider ResNet on more data: 24,000 generated shape images of 32×32
# (`make_shapes`: circles, squares, triangles, crosses, rings and bars at random positions, sizes and rotations, with
# noise). On a CPU this cell is skipped, to keep the chapter fast.

# %%
if big:
    X_shapes, y_shapes = make_shapes(30_000, size=32, rng=np.random.default_rng(8))
    Xs_train, _, Xs_test, ys_train, _, ys_test = train_val_test_split(X_shapes, y_shapes, val_size=0.1,
                                                                      test_size=0.1, stratify=y_shapes, rng=rng)
    shapes_net = train_resnet(Xs_train, ys_train, augment=True, num_classes=6)
    shapes_accuracy = (dlcourse.torch.predict(shapes_net, Xs_test).argmax(1) == ys_test).mean()
    print(f"shapes, {len(Xs_train):,} training images of 32x32: test accuracy {shapes_accuracy:.3f}")
else:
    print("no GPU: skipping the larger shapes experiment")

# %% [markdown]
# ## 12. The final report: the test set, once
#
# Every choice above was made on the validation set. Now, once, the test set, as it is and shifted by 2 pixels:

# %%
X_test_shifted = random_shift(X_test, 2, rng=np.random.default_rng(7))
test_results = {"LeNet, NumPy": (predict(model, X_test).argmax(1) == y_test).mean(),
                "LeNet, PyTorch twin": (dlcourse.torch.predict(twin, X_test).argmax(1) == y_test).mean()}
for augment, net in resnets.items():
    for label, X in [("", X_test), (", shifted test images", X_test_shifted)]:
        test_results[f"ResNet, augmentation {'on' if augment else 'off'}{label}"] = \
            (dlcourse.torch.predict(net, X).argmax(1) == y_test).mean()
for label, accuracy in test_results.items():
    print(f"{label:>48}: test accuracy {accuracy:.3f}")
resnet_accuracy = test_results["ResNet, augmentation on"]
assert resnet_accuracy >= 0.98, "the chapter's ResNet should reach at least 98% test accuracy"

# %% [markdown]
# ## Self-check
#
# 1. How many parameters has `Conv2d(3, 16, 5)`? And `Linear` from a 32×32×3 image to 16 units?
# 2. What is the output size of a 3×3 convolution with padding 1 and stride 2 on a 15×15 input? And of a 3×3
#    convolution with dilation 2, no padding and stride 1 on the same input?
# 3. Why does `conv(shift(x)) = shift(conv(x))` hold only away from the borders?
# 4. In im2col, how many rows and columns has the matrix for a batch of one image with $C$ channels, a $k\times k$
#    kernel, and an $H_{\text{out}} \times W_{\text{out}}$ output? Why does it use more memory than the image?
# 5. Why is the input gradient of a stride-1 convolution a convolution with the *flipped* kernel?
# 6. Which input pixel receives the gradient of a max-pooling output? What does average pooling send back?
# 7. What is the receptive field of a unit after three 3×3 convolutions with stride 1? And after two layers: first a
#    3×3 convolution with stride 2, then a 3×3 convolution with stride 1?
# 8. In a residual block, why does the gradient reach the block's input even when $F$'s weights are tiny?
# 9. Which augmentations keep a digit's label, and which would break it?
#
# ## What to try
#
# In the convolution explorer, find settings where the output has the input's size. The formula of section 3 finds
# them all for a 28×28 input:

# %% tags=["what-to-try"]
for k in (3, 5, 7):
    for s_, p in [(1, (k - 1) // 2), (2, (k - 1) // 2)]:
        print(f"k = {k}, stride {s_}, padding {p}: output {(28 + 2 * p - (k - 1) - 1) // s_ + 1}")

# %% [markdown]
# Section 9: replace max pooling by average pooling, or remove the padding of the first convolution. How do the
# shapes, the parameter count and the accuracy change? (Two epochs each here, to stay quick; compare them with each
# other, not with the 8-epoch network.)

# %% tags=["what-to-try"]
variants = {
    "max pooling": lenet(np.random.default_rng(1)),
    "average pooling": nn.Sequential(nn.Conv2d(1, 6, 5, padding=2, rng=np.random.default_rng(1)), nn.ReLU(),
                                     nn.AvgPool2d(2), nn.Conv2d(6, 16, 5, rng=np.random.default_rng(1)), nn.ReLU(),
                                     nn.AvgPool2d(2), nn.Flatten(),
                                     nn.Linear(16 * 2 * 2, 64, rng=np.random.default_rng(1)), nn.ReLU(),
                                     nn.Linear(64, 10, rng=np.random.default_rng(1))),
    "no padding": nn.Sequential(nn.Conv2d(1, 6, 5, rng=np.random.default_rng(1)), nn.ReLU(), nn.MaxPool2d(2),
                                nn.Conv2d(6, 16, 5, rng=np.random.default_rng(1)), nn.ReLU(), nn.MaxPool2d(2),
                                nn.Flatten(), nn.Linear(16 * 1 * 1, 64, rng=np.random.default_rng(1)), nn.ReLU(),
                                nn.Linear(64, 10, rng=np.random.default_rng(1))),  # 16 -> 12 -> 6 -> 2 -> 1
}
for name, variant in variants.items():
    variant_history = fit(variant, nn.CrossEntropyLoss(), optim.Adam(variant.parameters(), lr=3e-3), lenet_batches(),
                          epochs=2, val_loader=DataLoader((X_val, y_val), batch_size=256), metrics=["accuracy"],
                          progress=False)
    print(f"{name:>15}: {sum(p.data.size for p in variant.parameters()):,} parameters, "
          f"validation accuracy after 2 epochs {variant_history['val_accuracy'][-1]:.3f}")

# %% [markdown]
# Section 9: train on generated shapes (`make_shapes(600, size=16)`, six classes) instead of the digits, and look at
# the first-layer filters.

# %% tags=["what-to-try"]
X_sh, y_sh = make_shapes(600, size=16, rng=np.random.default_rng(4))
shape_net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2, rng=np.random.default_rng(1)), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(6, 16, 5, rng=np.random.default_rng(1)), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(16 * 2 * 2, 64, rng=np.random.default_rng(1)), nn.ReLU(),
                          nn.Linear(64, 6, rng=np.random.default_rng(1)))
fit(shape_net, nn.CrossEntropyLoss(), optim.Adam(shape_net.parameters(), lr=3e-3),
    DataLoader((X_sh[:500], y_sh[:500]), batch_size=32, shuffle=True, rng=np.random.default_rng(2)), epochs=3,
    progress=False)
print("accuracy on 100 held-out shapes:", (predict(shape_net, X_sh[500:]).argmax(1) == y_sh[500:]).mean())
show_filters(shape_net[0].weight.data, ncols=6, title="first-layer filters, trained on shapes")
plt.show()

# %% [markdown]
# Section 11: remove the skip connections and stack six blocks: does it still train as fast? (Width 8, two epochs on
# 600 images, for a quick comparison; then try removing batch norm too.)

# %% tags=["what-to-try"]
class PlainBlock(Block):
    def forward(self, x):  # the same block without "+ self.shortcut(x)"
        return torch.relu(self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))))


for name, block in [("with skips", Block), ("without skips", PlainBlock)]:
    torch.manual_seed(0)
    deep = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1, bias=False), torch.nn.BatchNorm2d(8),
                               torch.nn.ReLU(), *[block(8, 8) for _ in range(6)], torch.nn.AdaptiveAvgPool2d(1),
                               torch.nn.Flatten(), torch.nn.Linear(8, 10))
    deep_history = dlcourse.torch.fit(deep, torch.nn.CrossEntropyLoss(), torch.optim.Adam(deep.parameters(), lr=3e-3),
                                      DataLoader((X_train[:600], y_train[:600]), batch_size=64, shuffle=True,
                                                 rng=np.random.default_rng(1)), epochs=2, device=device, progress=False)
    print(f"{name:>13}: training loss per epoch {np.round(deep_history['loss'], 3)}")

# %% [markdown]
# Section 11 (longer, so not run here): augment with `max_shift=1` or `3` in `Shifted`, or add Gaussian noise with
# `dlcourse.data.augment.add_noise`, and compare the accuracies on shifted validation images.
#
# The exercise for this chapter asks you to write the convolution's forward pass (loops, then im2col), its
# backward pass, and max pooling's backward pass.
