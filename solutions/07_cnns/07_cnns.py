# %% [markdown]
# # Exercise 07: convolutions and pooling
#
# Five functions, each worth points: a convolution's forward pass written with loops, then im2col and the fast
# forward pass built on it, the convolution's backward pass, and max pooling's backward pass. Write each one with
# NumPy between the lines that say `YOUR CODE HERE`; do not call `dlcourse.nn` or `torch` (they cannot be imported when graded).
#
# Shapes follow PyTorch: images `x` are (N, C, H, W), a convolution's `weight` is (M, C, kH, kW) and its `bias`
# (M,). As in PyTorch, "convolution" means the cross-correlation
# $$y_{n,m,i,j} = b_m + \sum_{c=0}^{C-1}\sum_{a=0}^{kH-1}\sum_{b=0}^{kW-1} w_{m,c,a,b}\; x^{\text{pad}}_{n,c,\,i s + a,\,j s + b},$$
# where $s$ is the stride and $x^{\text{pad}}$ is $x$ with `padding` rows and columns of zeros added on every
# side, so that $H_{\text{out}} = \lfloor (H + 2p - kH)/s \rfloor + 1$ (and the same for $W$).
#
# Check your work at any time: run the test cell under each function, the last cell, or, from a terminal,
# `dlcourse check 07_cnns.ipynb` for a score out of the visible tests. The grader also runs hidden tests on
# other inputs, so make your code right for every input, not just for the example.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false} dlcourse={"forbid": ["torch", "dlcourse.nn"]}
import numpy as np

from dlcourse.grading import expect_close, expect_true

# %% [markdown]
# ## 1. The convolution with loops (2 points)
#
# Write `conv2d_forward_naive(x, weight, bias, stride, padding)` straight from the formula: pad `x` with zeros
# (`np.pad`), then loop over images `n`, filters `m` and output pixels `(i, j)`, and take the dot product of the
# filter with the patch under it. Loops are fine here: this version is the definition, not the fast one.

# %% nbgrader={"grade": false, "grade_id": "conv2d_forward_naive", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv2d_forward_naive(x, weight, bias, stride=1, padding=0):
    """x: (N, C, H, W), weight: (M, C, kH, kW), bias: (M,), stride, padding: ints -> (N, M, H_out, W_out)."""
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    M, _, kH, kW = weight.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    H_out, W_out = (H + 2 * padding - kH) // stride + 1, (W + 2 * padding - kW) // stride + 1
    out = np.zeros((N, M, H_out, W_out))
    for n in range(N):
        for m in range(M):
            for i in range(H_out):
                for j in range(W_out):
                    patch = xp[n, :, i * stride:i * stride + kH, j * stride:j * stride + kW]
                    out[n, m, i, j] = np.sum(patch * weight[m]) + bias[m]
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv2d_forward_naive_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Test cells import what they use: the grader runs them in a process of its own, without your cells.
import numpy as np
from dlcourse.grading import expect_close, expect_true

# The kernel [[1, 0], [0, -1]] computes x[i, j] - x[i+1, j+1]; on 1..9 that is 1 - 5 = -4 everywhere, plus bias 1.
x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
expect_close(conv2d_forward_naive(x, w, np.array([1.0])), [[[[-3.0, -3.0], [-3.0, -3.0]]]], name="2x2 kernel on 1..9")
# With padding 1 and stride 2 there are (3 + 2 - 2) // 2 + 1 = 2 outputs per side. The first window's top-left tap
# is padding, its bottom-right tap x[0, 0] = 1, so it gives 0 - 1; the last window gives x[1, 1] - x[2, 2] = 5 - 9.
got = conv2d_forward_naive(x, w, np.array([0.0]), stride=2, padding=1)
expect_close(got, [[[[-1.0, -3.0], [-7.0, -4.0]]]], name="stride 2, padding 1")
print("✓ conv2d_forward_naive: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(701)  # a generator of the test's own: inputs a student cannot predict or disturb
for N, C, H, W, M, k, s, p in [(2, 3, 6, 5, 4, 3, 1, 0), (1, 2, 7, 7, 3, 2, 2, 1), (3, 1, 5, 8, 2, 3, 2, 2)]:
    x, w, b = rng.normal(size=(N, C, H, W)), rng.normal(size=(M, C, k, k)), rng.normal(size=M)
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::s, ::s]
    expected = np.einsum("ncijab,mcab->nmij", win, w) + b[:, None, None]
    got = conv2d_forward_naive(x, w, b, stride=s, padding=p)
    expect_close(got, expected, name=f"conv2d_forward_naive on {(N, C, H, W)}, k={k}, stride={s}, padding={p}")
expect_true(conv2d_forward_naive(np.ones((1, 1, 4, 6)), np.ones((1, 1, 2, 3)), np.zeros(1)).shape == (1, 1, 3, 4),
            "a non-square kernel (kH=2, kW=3) on 4x6 must give a 3x4 output")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. im2col (2 points)
#
# im2col copies every receptive field into one column, so that the whole convolution becomes one matrix product.
# For each image $n$, write the column for output pixel $(i, j)$ at column index $i \cdot W_{\text{out}} + j$; inside
# a column, the value read from channel $c$ at kernel offset $(a, b)$ goes to row $c \cdot kH \cdot kW + a \cdot kW
# + b$ (the order of `weight[m].reshape(-1)`). Without Python loops over pixels: `np.lib.stride_tricks.
# sliding_window_view(xp, (kH, kW), axis=(2, 3))` gives every window as a view of shape (N, C, H - kH + 1,
# W - kW + 1, kH, kW); keep every `stride`-th window, then transpose and reshape.

# %% nbgrader={"grade": false, "grade_id": "im2col", "locked": false, "schema_version": 3, "solution": true, "task": false}
def im2col(x, kH, kW, stride=1, padding=0):
    """x: (N, C, H, W) -> cols: (N, C*kH*kW, H_out*W_out)."""
    ### BEGIN SOLUTION
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (kH, kW), axis=(2, 3))[:, :, ::stride, ::stride]
    N, C, H_out, W_out = windows.shape[:4]
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(N, C * kH * kW, H_out * W_out)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "im2col_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# Pixels numbered 0..15 in a 4x4 image; a 3x3 kernel has 2x2 positions. Output pixel (0, 1) is column 1 and reads
# rows 0-2, columns 1-3 of the image.
x = np.arange(16.0).reshape(1, 1, 4, 4)
cols = im2col(x, 3, 3)
expect_true(cols.shape == (1, 9, 4), f"im2col of a 4x4 image with a 3x3 kernel: expected shape (1, 9, 4), got {np.shape(cols)}")
expect_close(cols[0, :, 1], [1, 2, 3, 5, 6, 7, 9, 10, 11], name="column 1 (output pixel (0, 1))")
expect_close(cols[0, :, 2], [4, 5, 6, 8, 9, 10, 12, 13, 14], name="column 2 (output pixel (1, 0))")
print("✓ im2col: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(702)
for N, C, H, W, kH, kW, s, p in [(2, 3, 5, 6, 2, 3, 1, 0), (1, 2, 7, 7, 3, 3, 2, 1), (3, 1, 6, 5, 1, 2, 3, 2)]:
    x = rng.normal(size=(N, C, H, W))
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    H_out, W_out = (H + 2 * p - kH) // s + 1, (W + 2 * p - kW) // s + 1
    expected = np.zeros((N, C * kH * kW, H_out * W_out))
    for i in range(H_out):
        for j in range(W_out):
            expected[:, :, i * W_out + j] = xp[:, :, i * s:i * s + kH, j * s:j * s + kW].reshape(N, -1)
    got = im2col(x, kH, kW, stride=s, padding=p)
    expect_close(got, expected, name=f"im2col on {(N, C, H, W)}, kernel {kH}x{kW}, stride {s}, padding {p}")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The fast forward pass (2 points)
#
# With `cols = im2col(x, ...)` of shape (N, C·kH·kW, P), P = H_out·W_out, the convolution is one matrix product
# with the flattened filters, `weight.reshape(M, -1)` of shape (M, C·kH·kW), for every image at once (`@`
# broadcasts over the leading N), plus the bias. Write `conv2d_forward(x, weight, bias, stride, padding)` this way,
# without Python loops; you may call your `im2col`. It must give the same result as section 1.

# %% nbgrader={"grade": false, "grade_id": "conv2d_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv2d_forward(x, weight, bias, stride=1, padding=0):
    """x: (N, C, H, W), weight: (M, C, kH, kW), bias: (M,) -> (N, M, H_out, W_out), by im2col and a matrix product."""
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    M, _, kH, kW = weight.shape
    H_out, W_out = (H + 2 * padding - kH) // stride + 1, (W + 2 * padding - kW) // stride + 1
    cols = im2col(x, kH, kW, stride, padding)  # (N, C*kH*kW, P)
    out = weight.reshape(M, -1) @ cols + bias[:, None]  # (M, C*kH*kW) @ (N, C*kH*kW, P) -> (N, M, P)
    return out.reshape(N, M, H_out, W_out)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv2d_forward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# The same examples as section 1: the fast version must agree with the definition.
x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
expect_close(conv2d_forward(x, w, np.array([1.0])), [[[[-3.0, -3.0], [-3.0, -3.0]]]], name="2x2 kernel on 1..9")
expect_close(conv2d_forward(x, w, np.array([0.0]), stride=2, padding=1), [[[[-1.0, -3.0], [-7.0, -4.0]]]],
             name="stride 2, padding 1")
print("✓ conv2d_forward: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(703)
for N, C, H, W, M, kH, kW, s, p in [(4, 3, 8, 7, 5, 3, 3, 1, 1), (2, 2, 9, 9, 3, 2, 3, 2, 0), (1, 4, 6, 6, 2, 5, 5, 3, 2)]:
    x, w, b = rng.normal(size=(N, C, H, W)), rng.normal(size=(M, C, kH, kW)), rng.normal(size=M)
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (kH, kW), axis=(2, 3))[:, :, ::s, ::s]
    expected = np.einsum("ncijab,mcab->nmij", win, w) + b[:, None, None]
    got = conv2d_forward(x, w, b, stride=s, padding=p)
    expect_close(got, expected, name=f"conv2d_forward on {(N, C, H, W)}, kernel {kH}x{kW}, stride {s}, padding {p}")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. The backward pass (3 points)
#
# Given `dout` $= \partial L/\partial y$ of shape (N, M, H_out, W_out), return the gradients with respect to `x`,
# `weight` and `bias`:
# $$\frac{\partial L}{\partial b_m} = \sum_{n,i,j}\text{dout}_{n,m,i,j}, \qquad
# \frac{\partial L}{\partial w_{m,c,a,b}} = \sum_{n,i,j}\text{dout}_{n,m,i,j}\; x^{\text{pad}}_{n,c,\,is+a,\,js+b},$$
# and every output pixel sends $\text{dout}_{n,m,i,j}\, w_{m,c,a,b}$ back to the padded input pixel
# $(is + a,\, js + b)$ it read; pixels read by several windows add up what they receive, and the padding's
# gradient is dropped at the end. Getting it right with loops first (as in section 1) is a good plan; faster
# versions loop only over the kH·kW kernel offsets, or use `sliding_window_view` with `np.einsum`. Return
# `(dx, dweight, dbias)` with the shapes of `x`, `weight` and (M,).

# %% nbgrader={"grade": false, "grade_id": "conv2d_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv2d_backward(dout, x, weight, stride=1, padding=0):
    """dout: (N, M, H_out, W_out), x: (N, C, H, W), weight: (M, C, kH, kW) -> (dx, dweight, dbias)."""
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    M, _, kH, kW = weight.shape
    H_out, W_out = dout.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (kH, kW), axis=(2, 3))[:, :, ::stride, ::stride]
    dweight = np.einsum("nmij,ncijab->mcab", dout, windows)
    dbias = dout.sum(axis=(0, 2, 3))
    dxp = np.zeros_like(xp)
    for a in range(kH):
        for b in range(kW):
            rows = slice(a, a + stride * (H_out - 1) + 1, stride)
            cols = slice(b, b + stride * (W_out - 1) + 1, stride)
            dxp[:, :, rows, cols] += np.einsum("nmij,mc->ncij", dout, weight[:, :, a, b])
    dx = dxp[:, :, padding:padding + H, padding:padding + W]
    return dx, dweight, dbias
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv2d_backward_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# A 1x1 kernel of 2 doubles every pixel: each pixel's gradient is 2 * dout there, the weight's is sum(x * dout).
x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
dx, dw, db = conv2d_backward(np.ones((1, 1, 2, 2)), x, np.array([[[[2.0]]]]))
expect_close(dx, 2 * np.ones((1, 1, 2, 2)), name="dx for a 1x1 kernel of 2")
expect_close(dw, [[[[10.0]]]], name="dweight = 1 + 2 + 3 + 4")
expect_close(db, [4.0], name="dbias = number of output pixels")
# The kernel [[1, 0], [0, -1]] on a 3x3 image with dout = 1: the centre pixel is read with +1 by window (1, 1) and
# with -1 by window (0, 0) (and with 0 by the other two), so its gradient is 0; the corners get 1 and -1.
x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
dx, dw, db = conv2d_backward(np.ones((1, 1, 2, 2)), x, np.array([[[[1.0, 0.0], [0.0, -1.0]]]]))
expect_close(dx[0, 0], [[1.0, 1.0, 0.0], [1.0, 0.0, -1.0], [0.0, -1.0, -1.0]], name="dx for the 2x2 kernel")
expect_close(dw[0, 0], [[12.0, 16.0], [24.0, 28.0]], name="dweight: sums of the four windows' pixels")
print("✓ conv2d_backward: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(704)


def reference_forward(x, w, b, s, p):  # the definition, inline, to differentiate numerically
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (w.shape[2], w.shape[3]), axis=(2, 3))[:, :, ::s, ::s]
    return np.einsum("ncijab,mcab->nmij", win, w) + b[:, None, None]


for N, C, H, W, M, kH, kW, s, p in [(2, 2, 5, 5, 3, 3, 3, 1, 1), (1, 3, 6, 5, 2, 2, 3, 2, 0), (2, 1, 7, 6, 2, 3, 2, 2, 2),
                                    (1, 2, 4, 4, 1, 4, 4, 1, 0)]:
    x, w, b = rng.normal(size=(N, C, H, W)), rng.normal(size=(M, C, kH, kW)), rng.normal(size=M)
    dout = rng.normal(size=reference_forward(x, w, b, s, p).shape)
    got_dx, got_dw, got_db = conv2d_backward(dout, x.copy(), w.copy(), stride=s, padding=p)
    for array, got, name in [(x, got_dx, "dx"), (w, got_dw, "dweight")]:
        numeric = np.zeros_like(array)  # central differences of sum(forward * dout), one entry at a time
        for index in np.ndindex(array.shape):
            old = array[index]
            array[index] = old + 1e-6
            plus = np.sum(reference_forward(x, w, b, s, p) * dout)
            array[index] = old - 1e-6
            minus = np.sum(reference_forward(x, w, b, s, p) * dout)
            array[index] = old
            numeric[index] = (plus - minus) / 2e-6
        expect_close(got, numeric, name=f"{name} for x {(N, C, H, W)}, kernel {kH}x{kW}, stride {s}, padding {p}",
                     rtol=1e-5, atol=1e-6)
    expect_close(got_db, dout.sum(axis=(0, 2, 3)), name=f"dbias for x {(N, C, H, W)}")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Max pooling, backward (2 points)
#
# Max pooling with a $k \times k$ window and stride $s$ (no padding) outputs the maximum of each window. Only that
# maximum influenced the output, so backward it receives the window's whole gradient and the other pixels of the
# window get nothing; when windows overlap (s < k), a pixel that is the maximum of several windows adds up their
# gradients. When several pixels of a window tie for the maximum (common after a ReLU: a window of zeros), the
# first one in row-major order gets it, as in PyTorch (`np.argmax` returns the first maximum). Write
# `max_pool_backward(dout, x, kernel_size, stride)` returning `dx`, shape of `x`.

# %% nbgrader={"grade": false, "grade_id": "max_pool_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def max_pool_backward(dout, x, kernel_size, stride):
    """dout: (N, C, H_out, W_out), x: (N, C, H, W), kernel_size k, stride s -> dx: (N, C, H, W)."""
    ### BEGIN SOLUTION
    k = kernel_size
    N, C, H_out, W_out = dout.shape
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    winner = windows.reshape(N, C, H_out, W_out, k * k).argmax(axis=-1)  # first maximum, row-major
    a, b = np.divmod(winner, k)
    rows = np.arange(H_out)[:, None] * stride + a  # (N, C, H_out, W_out) row of each window's maximum
    cols = np.arange(W_out)[None, :] * stride + b
    n, c = np.arange(N)[:, None, None, None], np.arange(C)[None, :, None, None]
    dx = np.zeros_like(x)
    np.add.at(dx, (n, c, rows, cols), dout)  # add.at: overlapping windows may share a maximum
    return dx
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "max_pool_backward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from dlcourse.grading import expect_close, expect_true

# One 2x2 window whose maximum 3 is at row 0, column 1: it receives the whole gradient 5.
expect_close(max_pool_backward(np.array([[[[5.0]]]]), np.array([[[[1.0, 3.0], [2.0, 0.0]]]]), 2, 2),
             [[[[0.0, 5.0], [0.0, 0.0]]]], name="one window")
# Windows of width 2 with stride 1 overlap: 5 is the maximum of both, so it gets 1 + 10.
x = np.array([[[[1.0, 5.0, 2.0], [0.0, 1.0, 3.0]]]])
expect_close(max_pool_backward(np.array([[[[1.0, 10.0]]]]), x, 2, 1), [[[[0.0, 11.0, 0.0], [0.0, 0.0, 0.0]]]],
             name="two overlapping windows sharing their maximum")
print("✓ max_pool_backward: visible checks passed; hidden tests run when graded")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(705)
for N, C, H, W, k, s in [(2, 3, 6, 6, 2, 2), (1, 2, 7, 5, 3, 1), (2, 2, 9, 8, 3, 2), (1, 1, 5, 5, 2, 3)]:
    x = np.maximum(rng.normal(size=(N, C, H, W)), 0.0)  # ReLU outputs: many windows tie at 0
    H_out, W_out = (H - k) // s + 1, (W - k) // s + 1
    dout = rng.normal(size=(N, C, H_out, W_out))
    expected = np.zeros_like(x)
    for n, c, i, j in np.ndindex(dout.shape):
        window = x[n, c, i * s:i * s + k, j * s:j * s + k]
        a, b = np.unravel_index(np.argmax(window), window.shape)
        expected[n, c, i * s + a, j * s + b] += dout[n, c, i, j]
    got = max_pool_backward(dout, x, k, s)
    expect_close(got, expected, name=f"max_pool_backward on {(N, C, H, W)}, k={k}, stride={s}")
### END HIDDEN TESTS

# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl+S), then run the cell below: it checks the saved notebook against the visible tests the
# same way `dlcourse check` does, in a sandbox like the grader's, and prints a score out of the visible points.

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
from dlcourse.grading import check_this_notebook

check_this_notebook()
