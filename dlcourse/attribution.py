"""Which inputs did a PyTorch classifier look at? Five attribution methods, written with plain autograd.

Each explains the logit ``F(x) = model(x)[n, target[n]]`` of every example n in a batch x of shape (N, ...):

- ``saliency``: |dF/dx|, how fast the logit changes with each input.
- ``smoothgrad``: the saliency averaged over copies of x with Gaussian noise, which removes much of its speckle.
- ``integrated_gradients``: (x - x') times the gradient averaged along the straight path from a baseline x' to x.
  Its attributions add up to F(x) - F(x') (completeness), up to the error of the path integral's quadrature;
  ``integrated_gradients`` returns that error as ``delta``.
- ``grad_cam``: for a convolutional layer with activations A (N, C, H, W), weights alpha_c = mean over (H, W) of
  dF/dA_c, and the map ReLU(sum_c alpha_c A_c): where in the image the evidence for the class sits.
- ``occlusion``: model-agnostic; slide a window of baseline values over x and record how much F drops.

The tests compare each with captum's implementation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from dlcourse.validate import check_choice, check_non_negative, check_positive_int, check_rng

IG_METHODS = ("gausslegendre", "riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle")


def _target_logit(model: torch.nn.Module, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(N,) logit of each example's target class."""
    return model(x).gather(1, target.view(-1, 1)).squeeze(1)


def _as_target(target: int | Sequence[int] | torch.Tensor, n: int) -> torch.Tensor:
    target = torch.as_tensor(target, dtype=torch.int64)
    return target.expand(n).contiguous() if target.ndim == 0 else target


def input_gradient(model: torch.nn.Module, x: torch.Tensor, target: int | Sequence[int] | torch.Tensor) -> torch.Tensor:
    """dF/dx for each example's target logit; the examples are independent, so one backward of the sum gives all.

    Args:
        model: maps (N, ...) to logits (N, K).
        x: (N, ...) inputs.
        target: (N,) class indices, or one int for all.
    Returns:
        (N, ...) gradient, same shape as x.
    """
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(_target_logit(model, x, _as_target(target, len(x))).sum(), x)
    return grad


def saliency(model: torch.nn.Module, x: torch.Tensor, target: int | Sequence[int] | torch.Tensor, *,
             absolute: bool = True) -> torch.Tensor:
    """Vanilla gradient saliency |dF/dx| (or the signed gradient with ``absolute=False``).

    Args:
        model: maps (N, ...) to logits (N, K).
        x: (N, ...) inputs.
        target: (N,) class indices, or one int.
        absolute: take the absolute value, as captum's Saliency does by default.
    Returns:
        (N, ...) attributions.
    """
    grad = input_gradient(model, x, target)
    return grad.abs() if absolute else grad


def smoothgrad(model: torch.nn.Module, x: torch.Tensor, target: int | Sequence[int] | torch.Tensor, *,
               n_samples: int = 50, stdev: float = 0.15, absolute: bool = True,
               rng: np.random.Generator | None = None) -> torch.Tensor:
    """SmoothGrad: the mean saliency of ``n_samples`` noisy copies x + N(0, stdev^2).

    Args:
        model: maps (N, ...) to logits (N, K).
        x: (N, ...) inputs.
        target: (N,) class indices, or one int.
        n_samples: copies per example.
        stdev: the noise's standard deviation, in the units of x.
        absolute: average |gradient| (captum's NoiseTunnel over Saliency) rather than the gradient.
        rng: np.random.Generator for the noise (None: a fresh unseeded one).
    Returns:
        (N, ...) attributions.
    """
    n_samples = check_positive_int(n_samples, "smoothgrad", "n_samples")
    stdev = check_non_negative(stdev, "smoothgrad", "stdev")
    rng = check_rng(rng, "smoothgrad")
    noise = torch.as_tensor(rng.normal(scale=stdev, size=(n_samples, *x.shape)), dtype=x.dtype, device=x.device)
    noisy = (x.detach()[None] + noise).reshape(n_samples * len(x), *x.shape[1:])  # (S, N, ...) -> (S*N, ...)
    targets = _as_target(target, len(x)).to(x.device).repeat(n_samples)  # sample s, example n at row s*N + n
    grads = saliency(model, noisy, targets, absolute=absolute)
    return grads.reshape(n_samples, *x.shape).mean(dim=0)  # (S*N, ...) -> (S, N, ...) -> (N, ...)


def path_points(steps: int, method: str = "gausslegendre") -> tuple[np.ndarray, np.ndarray]:
    """Where on the path (alphas in [0, 1]) to evaluate the gradient, and the weight of each point.

    Riemann sums use equal steps (``left``, ``right``, ``middle`` or ``trapezoid``); Gauss-Legendre uses the
    roots of a Legendre polynomial, exact for polynomials of degree < 2 * steps, so it needs far fewer steps.

    Args:
        steps: number of points.
        method: one of IG_METHODS.
    Returns:
        alphas (steps,) and weights (steps,), the weights summing to 1.
    """
    steps = check_positive_int(steps, "path_points", "steps", minimum=2)
    check_choice(method, IG_METHODS, "path_points", "method")
    if method == "gausslegendre":
        roots, weights = np.polynomial.legendre.leggauss(steps)  # on [-1, 1]
        return 0.5 * (roots + 1.0), 0.5 * weights  # mapped onto [0, 1]
    if method == "riemann_trapezoid":
        weights = np.full(steps, 1.0 / (steps - 1))
        weights[[0, -1]] /= 2.0
        return np.linspace(0.0, 1.0, steps), weights
    offset = {"riemann_left": 0.0, "riemann_right": 1.0, "riemann_middle": 0.5}[method]
    return (np.arange(steps) + offset) / steps, np.full(steps, 1.0 / steps)


def integrated_gradients(model: torch.nn.Module, x: torch.Tensor, target: int | Sequence[int] | torch.Tensor, *,
                         baseline: torch.Tensor | float = 0.0, steps: int = 50,
                         method: str = "gausslegendre") -> tuple[torch.Tensor, torch.Tensor]:
    """Integrated gradients (x - x') * integral_0^1 dF/dx(x' + alpha (x - x')) d alpha, and the completeness gap.

    Args:
        model: maps (N, ...) to logits (N, K).
        x: (N, ...) inputs.
        target: (N,) class indices, or one int.
        baseline: x', a tensor broadcastable to x or a number (0: a black image).
        steps: points on the path.
        method: the quadrature, one of IG_METHODS.
    Returns:
        attributions (N, ...), and delta (N,) = sum of attributions - (F(x) - F(x')), 0 for an exact integral.
    """
    alphas, weights = path_points(steps, method)
    baseline = torch.as_tensor(baseline, dtype=x.dtype, device=x.device).expand_as(x)
    shape = (steps,) + (1,) * x.ndim  # broadcast alpha over (N, ...)
    alpha = torch.as_tensor(alphas, dtype=x.dtype, device=x.device).view(shape)
    path = (baseline[None] + alpha * (x - baseline)[None]).reshape(steps * len(x), *x.shape[1:])  # (S*N, ...)
    targets = _as_target(target, len(x)).to(x.device).repeat(steps)
    grads = input_gradient(model, path, targets).reshape(steps, *x.shape)  # (S*N, ...) -> (S, N, ...)
    weight = torch.as_tensor(weights, dtype=x.dtype, device=x.device).view(shape)
    attributions = (x - baseline) * (weight * grads).sum(dim=0)
    with torch.no_grad():
        target = _as_target(target, len(x)).to(x.device)
        change = _target_logit(model, x, target) - _target_logit(model, baseline, target)
    return attributions.detach(), attributions.detach().flatten(1).sum(dim=1) - change


def grad_cam_weights(activations: torch.Tensor, gradients: torch.Tensor) -> torch.Tensor:
    """alpha_c: the gradient of the logit averaged over the feature map's positions, (N, C, H, W) -> (N, C).

    Args:
        activations: (N, C, H, W) the layer's output A (unused except for its shape; kept for symmetry).
        gradients: (N, C, H, W) dF/dA.
    """
    if activations.shape != gradients.shape:
        raise ValueError(f"grad_cam_weights: expected gradients of the activations' shape {tuple(activations.shape)}, "
                         f"got {tuple(gradients.shape)}")
    return gradients.mean(dim=(2, 3))


def grad_cam_map(activations: torch.Tensor, gradients: torch.Tensor, *, relu: bool = True) -> torch.Tensor:
    """ReLU(sum_c alpha_c A_c): (N, C, H, W) activations and gradients -> (N, H, W) map.

    Args:
        activations: (N, C, H, W) the layer's output A.
        gradients: (N, C, H, W) dF/dA.
        relu: keep only evidence for the class (the paper's choice); False keeps the signed map.
    """
    alpha = grad_cam_weights(activations, gradients)
    cam = torch.einsum("nc,nchw->nhw", alpha, activations)  # weighted sum over channels
    return cam.clamp(min=0) if relu else cam


def grad_cam(model: torch.nn.Module, layer: torch.nn.Module, x: torch.Tensor,
             target: int | Sequence[int] | torch.Tensor, *, relu: bool = True) -> torch.Tensor:
    """Grad-CAM of ``layer`` (a module inside ``model`` whose output is (N, C, H, W)), at the layer's resolution.

    A forward hook keeps the layer's output; autograd gives the logit's gradient with respect to it.

    Args:
        model: maps (N, ...) to logits (N, K).
        layer: a submodule of model with 4-D output.
        x: (N, ...) inputs.
        target: (N,) class indices, or one int.
        relu: see grad_cam_map.
    Returns:
        (N, H, W) map; upsample it to the input's size with ``torch.nn.functional.interpolate`` to overlay it.
    """
    kept = {}
    handle = layer.register_forward_hook(lambda module, inputs, output: kept.update(output=output))
    try:
        # x requires grad so that the activations join the graph even when the model's weights are frozen
        logit = _target_logit(model, x.detach().requires_grad_(True), _as_target(target, len(x)).to(x.device))
    finally:
        handle.remove()
    activations = kept["output"]
    (gradients,) = torch.autograd.grad(logit.sum(), activations)
    return grad_cam_map(activations.detach(), gradients, relu=relu)


def occlusion(model: torch.nn.Module, x: torch.Tensor, target: int | Sequence[int] | torch.Tensor, *,
              window: tuple[int, int], stride: int | tuple[int, int] = 1, baseline: float = 0.0) -> torch.Tensor:
    """Occlusion: for every position of a window over (H, W), F(x) - F(x with the window set to ``baseline``);
    each pixel gets the average drop over the windows that cover it (all channels are occluded together).

    Args:
        model: maps (N, C, H, W) to logits (N, K).
        x: (N, C, H, W) images.
        target: (N,) class indices, or one int.
        window: (h, w) size of the occluding patch.
        stride: step between window positions, an int or (sH, sW).
        baseline: the value written into the patch.
    Returns:
        (N, C, H, W) attributions (equal across channels); pixels no window covers get 0.
    """
    if x.ndim != 4:
        raise ValueError(f"occlusion: expected images x of shape (N, C, H, W), got {tuple(x.shape)}")
    N, C, H, W = x.shape
    (h, w), (sH, sW) = window, (stride, stride) if isinstance(stride, int) else stride
    if not (0 < h <= H and 0 < w <= W):
        raise ValueError(f"occlusion: expected a window of at most the image size {(H, W)}, got {(h, w)}")
    target = _as_target(target, N).to(x.device)
    starts = [(i, j) for i in range(0, H - h + 1, sH) for j in range(0, W - w + 1, sW)]
    masks = torch.zeros(len(starts), 1, 1, H, W, dtype=x.dtype, device=x.device)  # (P, 1, 1, H, W)
    for p, (i, j) in enumerate(starts):
        masks[p, ..., i:i + h, j:j + w] = 1.0
    occluded = x[None] * (1 - masks) + baseline * masks  # (P, N, C, H, W)
    with torch.no_grad():
        full = _target_logit(model, x, target)  # (N,)
        dropped = _target_logit(model, occluded.reshape(-1, C, H, W), target.repeat(len(starts)))  # (P*N,)
    drop = (full[None] - dropped.view(len(starts), N)).view(len(starts), N, 1, 1, 1)  # (P*N,) -> (P, N, 1, 1, 1)
    total, count = (drop * masks).sum(dim=0), masks.sum(dim=0)  # (N, C, H, W) and (1, 1, H, W)
    return (total / count.clamp(min=1)).expand(N, C, H, W)
