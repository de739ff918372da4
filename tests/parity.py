"""Helpers for comparing a dlcourse module with its torch twin in float64."""

from __future__ import annotations

import numpy as np
import torch

from dlcourse.gradcheck import relative_error

TOL = 1e-9  # norm-wise relative error allowed between NumPy and torch in float64


def copy_weights(torch_module: torch.nn.Module, np_module) -> None:
    """Give the NumPy module exactly the torch module's parameters and buffers."""
    np_module.load_state_dict({k: v.detach().numpy() for k, v in torch_module.state_dict().items()})


def compare_module(np_module, torch_module: torch.nn.Module, x: np.ndarray, *, rng: np.random.Generator,
                   copy: bool = True, **forward_kwargs) -> dict[str, float]:
    """Run both modules forward and backward on the same float64 input and upstream gradient.

    ``forward_kwargs`` (masks, flags) go to both forwards; NumPy arrays among them reach torch as tensors.
    Returns the relative error of the output, the input gradient and every parameter gradient (by name).
    """
    torch_module = torch_module.double()
    np_module.double()
    if copy:
        copy_weights(torch_module, np_module)
    torch_module.zero_grad()  # the same pair may be compared again with other arguments
    x = np.asarray(x, dtype=np.float64)
    xt = torch.tensor(x, requires_grad=True)
    torch_kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in forward_kwargs.items()}
    out_t = torch_module(xt, **torch_kwargs)
    out = np_module(x, **forward_kwargs)
    dout = rng.standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))
    np_module.zero_grad()
    dx = np_module.backward(dout)
    errors = {"output": relative_error(out, out_t.detach().numpy()), "input": relative_error(dx, xt.grad.numpy())}
    torch_grads = dict(torch_module.named_parameters())
    for name, param in np_module.named_parameters():
        errors[name] = relative_error(param.grad, torch_grads[name].grad.numpy())
    assert set(errors) - {"output", "input"} == set(torch_grads), "not every torch gradient was compared"
    return errors


def assert_all_below(errors: dict[str, float], tol: float = TOL) -> None:
    bad = {k: v for k, v in errors.items() if not v <= tol}
    assert not bad, f"relative errors above {tol}: {bad} (all: {errors})"
