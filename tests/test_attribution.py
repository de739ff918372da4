"""dlcourse.attribution against captum, in float64, on a small random CNN.

Tolerances (norm-wise relative error): saliency and Grad-CAM compute the same float64 numbers in a different order,
so they agree to 1e-10. Integrated gradients (same steps and quadrature) and occlusion agree to 1e-6: captum rounds
its quadrature weights and its occlusion masks to float32, an error of about 1e-8. SmoothGrad draws its own noise, so it
is compared statistically: with 4,000 samples each, the two means agree to 3% norm-wise relative error.
"""

import numpy as np
import pytest
import torch
from captum.attr import IntegratedGradients, LayerGradCam, NoiseTunnel, Occlusion, Saliency

from dlcourse import attribution


def rel(a, b):
    return float(torch.linalg.norm(a - b) / torch.linalg.norm(b))


@pytest.fixture(scope="module")
def cnn():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(4, 6, 3, padding=1), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(6 * 4 * 4, 5)).double().eval()
    x = torch.rand(3, 1, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    return model, x, torch.tensor([0, 3, 4])


@pytest.mark.parametrize("absolute", [True, False])
def test_saliency_matches_captum(cnn, absolute):
    model, x, target = cnn
    expected = Saliency(model).attribute(x, target=target, abs=absolute)
    assert rel(attribution.saliency(model, x, target, absolute=absolute), expected) < 1e-10


def test_saliency_one_int_target(cnn):
    model, x, _ = cnn
    expected = Saliency(model).attribute(x, target=2)
    assert rel(attribution.saliency(model, x, 2), expected) < 1e-10


@pytest.mark.parametrize("method,steps", [("gausslegendre", 20), ("riemann_trapezoid", 30), ("riemann_left", 25),
                                          ("riemann_right", 25), ("riemann_middle", 25)])
def test_integrated_gradients_matches_captum(cnn, method, steps):
    model, x, target = cnn
    baseline = torch.full_like(x, 0.1)
    expected, expected_delta = IntegratedGradients(model).attribute(
        x, baselines=baseline, target=target, n_steps=steps, method=method, return_convergence_delta=True)
    got, delta = attribution.integrated_gradients(model, x, target, baseline=baseline, steps=steps, method=method)
    if method == "riemann_trapezoid":
        # captum's trapezoid puts n points on [0, 1] but weighs them with steps of 1/n (weights summing to
        # (n - 1)/n); the trapezoid rule's step is 1/(n - 1). Rescaled, the rest is identical.
        expected = expected * steps / (steps - 1)
        expected_delta = expected.flatten(1).sum(1) - (got.flatten(1).sum(1) - delta)
    assert rel(got, expected) < 1e-6
    np.testing.assert_allclose(delta.numpy(), expected_delta.numpy(), atol=1e-7)


def test_integrated_gradients_completeness(cnn):
    # The sum of attributions is F(x) - F(x') up to the quadrature error (delta), which shrinks with more steps
    # (slowly: the ReLUs put kinks in the path's gradient).
    model, x, target = cnn
    with torch.no_grad():
        change = model(x)[range(3), target] - model(torch.zeros_like(x))[range(3), target]
    deltas = []
    for steps in (8, 64, 512):
        got, delta = attribution.integrated_gradients(model, x, target, steps=steps, method="riemann_trapezoid")
        assert torch.allclose(got.flatten(1).sum(1) - change, delta, atol=1e-12)
        deltas.append(delta.abs().max().item())
    assert deltas[2] < deltas[1] < deltas[0] and deltas[2] < 0.05 * deltas[0]


def test_integrated_gradients_of_a_linear_model_is_exact():
    # F(x) = w.x + b: the gradient is w everywhere, so IG = (x - x') * w exactly, for any number of steps.
    torch.manual_seed(2)
    model = torch.nn.Linear(5, 3).double()
    x = torch.randn(4, 5, dtype=torch.float64)
    got, delta = attribution.integrated_gradients(model, x, 1, steps=2, method="riemann_left")
    assert torch.allclose(got, x * model.weight[1].detach(), atol=1e-14)
    assert torch.all(delta.abs() < 1e-12)


@pytest.mark.parametrize("relu", [True, False])
def test_grad_cam_matches_captum(cnn, relu):
    model, x, target = cnn
    layer = model[2]
    expected = LayerGradCam(model, layer).attribute(x, target=target, relu_attributions=relu)  # (N, 1, H, W)
    got = attribution.grad_cam(model, layer, x, target, relu=relu)
    assert got.shape == (3, 8, 8)
    assert rel(got, expected[:, 0]) < 1e-10


def test_grad_cam_weights_by_hand():
    # Channel 0 has gradient 1 at one of four positions (mean 0.25), channel 1 has -2 everywhere (mean -2).
    grads = torch.zeros(1, 2, 2, 2, dtype=torch.float64)
    grads[0, 0, 0, 0], grads[0, 1] = 1.0, -2.0
    acts = torch.ones_like(grads)
    assert torch.allclose(attribution.grad_cam_weights(acts, grads), torch.tensor([[0.25, -2.0]], dtype=torch.float64))
    assert torch.all(attribution.grad_cam_map(acts, grads) == 0)  # 0.25 - 2 < 0 everywhere: ReLU gives 0
    with pytest.raises(ValueError, match="shape"):
        attribution.grad_cam_weights(acts, grads[:, :1])


@pytest.mark.parametrize("window,stride", [((3, 3), 1), ((2, 2), 2), ((4, 2), (2, 1))])
def test_occlusion_matches_captum(cnn, window, stride):
    model, x, target = cnn
    strides = (1, stride, stride) if isinstance(stride, int) else (1, *stride)
    expected = Occlusion(model).attribute(x, target=target, sliding_window_shapes=(1, *window), strides=strides,
                                          baselines=0.0)
    got = attribution.occlusion(model, x, target, window=window, stride=stride)
    assert rel(got, expected) < 1e-6


def test_smoothgrad_agrees_with_captum_statistically(cnn):
    model, x, target = cnn
    torch.manual_seed(0)
    expected = NoiseTunnel(Saliency(model)).attribute(x, target=target, nt_type="smoothgrad", nt_samples=4000,
                                                      stdevs=0.2, nt_samples_batch_size=1000)
    got = attribution.smoothgrad(model, x, target, n_samples=4000, stdev=0.2, rng=np.random.default_rng(0))
    assert rel(got, expected) < 0.03
    plain = attribution.saliency(model, x, target)
    assert rel(plain, expected) > 3 * rel(got, expected)  # the test can tell smoothing from none


def test_smoothgrad_without_noise_is_saliency(cnn):
    model, x, target = cnn
    got = attribution.smoothgrad(model, x, target, n_samples=3, stdev=0.0, rng=np.random.default_rng(0))
    assert rel(got, attribution.saliency(model, x, target)) < 1e-14


def test_grad_cam_with_frozen_weights(cnn):
    model, x, target = cnn
    model.requires_grad_(False)
    try:
        got = attribution.grad_cam(model, model[2], x, target)
    finally:
        model.requires_grad_(True)
    assert rel(got, attribution.grad_cam(model, model[2], x, target)) < 1e-14


def test_occlusion_errors(cnn):
    model, x, target = cnn
    with pytest.raises(ValueError, match="window"):
        attribution.occlusion(model, x, target, window=(9, 2))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        attribution.occlusion(model, x[0], target, window=(2, 2))
