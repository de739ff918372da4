"""The Optimizer base class, mirroring torch.optim.Optimizer: parameter groups, per-parameter state, zero_grad,
step, and a state_dict that can also be loaded from a torch optimizer's.

An optimizer holds ``param_groups``: a list of dicts, each with ``"params"`` (a list of Parameters) and that group's
hyperparameters (``"lr"``, ``"momentum"``, ...). ``step()`` visits every parameter and calls the subclass's
``_update(param, grad, state, group)``, where ``state`` is the parameter's own dict (momentum buffers, moment
estimates, step counts), kept in ``optimizer.state[param]`` under PyTorch's key names.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable

import numpy as np

from dlcourse.nn.module import Parameter


class Optimizer:
    """Base class of every optimizer.

    Args:
        params: an iterable of Parameters (one group), or of dicts (param groups), each with a ``"params"`` entry
            and optionally its own hyperparameters that override ``defaults``.
        defaults: the hyperparameters of every group that does not set its own.
    Subclasses implement ``_update(param, grad, state, group)`` for one parameter.
    """

    def __init__(self, params: Iterable[Parameter] | Iterable[dict], defaults: dict):
        self.defaults = dict(defaults)
        self.state: defaultdict[Parameter, dict] = defaultdict(dict)
        self.param_groups: list[dict] = []
        where = type(self).__name__
        if isinstance(params, (Parameter, np.ndarray)) or not isinstance(params, Iterable):
            raise TypeError(f"{where}: expected an iterable of Parameters or of dicts (param groups), "
                            f"got {type(params).__name__}; wrap it as [param] or use model.parameters()")
        groups = list(params)
        if not groups:
            raise ValueError(f"{where}: expected at least one parameter, got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        """Append a group: its Parameters plus any hyperparameters it does not set, taken from ``defaults``.

        Args:
            param_group: {"params": Parameters, and optionally hyperparameters such as "lr"}.
        """
        where = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{where}: expected a param group dict, got {type(param_group).__name__}")
        params = param_group.get("params")
        if isinstance(params, Parameter):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(f"{where}: expected the params of a group in an ordered collection (list), got a set")
        params = list(params) if params is not None else []
        for param in params:
            if not isinstance(param, Parameter):
                raise TypeError(f"{where}: expected dlcourse.nn.Parameter objects, got {type(param).__name__}")
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if len({id(p) for p in params}) != len(params) or seen & {id(p) for p in params}:
            raise ValueError(f"{where}: expected every parameter in exactly one group, got one more than once")
        group = {key: _plain(value) for key, value in {**self.defaults, **param_group}.items()}
        group["params"] = params
        self.param_groups.append(group)

    def zero_grad(self) -> None:
        """Clear every parameter's gradient, so the next backward starts from zero (grads accumulate)."""
        for group in self.param_groups:
            for param in group["params"]:
                param.zero_grad()

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Update every parameter once from its ``.grad``.

        Args:
            closure: optional; called first (it recomputes the loss and the gradients) and its value returned.
        Returns:
            The closure's loss, or None.
        """
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for param in group["params"]:
                # as torch: a parameter without a gradient is left alone; a frozen one never gets one here
                if param.grad is None or not param.requires_grad:
                    continue
                new_data = self._update(param, param.grad, self.state[param], group)
                np.copyto(param.data, new_data)  # in place, so every view of the weights sees the update
        return loss

    def _update(self, param: Parameter, grad: np.ndarray, state: dict, group: dict) -> np.ndarray:
        """Return the new value of ``param.data`` (same shape and dtype), updating ``state`` in place."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    # ----- saving and restoring ------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}`` as torch packs it.

        Parameters are numbered in the order of the groups; arrays are copies.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items() if id(p) in index and s}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and per-parameter state saved by ``state_dict`` (ours or a torch optimizer's).

        Torch tensors become NumPy arrays in each parameter's dtype; ``"step"`` becomes an int.
        """
        where = f"{type(self).__name__}.load_state_dict"
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{where}: expected {len(self.param_groups)} param groups, got {len(saved_groups)}")
        sizes = [len(g["params"]) for g in self.param_groups]
        saved_sizes = [len(g["params"]) for g in saved_groups]
        if sizes != saved_sizes:
            raise ValueError(f"{where}: expected groups of sizes {sizes}, got {saved_sizes}")
        self.state = defaultdict(dict)
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            group.update({key: value for key, value in saved.items() if key != "params"})
            for param, key in zip(group["params"], saved["params"], strict=True):
                if key in state_dict["state"]:
                    self.state[param] = _convert_state(state_dict["state"][key], param.dtype)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params"]
        return "\n".join(lines + [")"])


def _plain(value):
    """NumPy scalars as Python numbers: ``np.float64(0.1) * float32_array`` would be float64, ``0.1 * ...`` is not."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def _convert_state(state: dict, dtype: np.dtype) -> dict:
    """A copy of one parameter's saved state as NumPy values (accepting torch tensors)."""
    converted = {}
    for key, value in state.items():
        if hasattr(value, "detach"):  # a torch tensor
            value = value.detach().cpu().numpy()
        if key == "step":
            converted[key] = int(np.asarray(value).item())
        elif isinstance(value, np.ndarray):
            converted[key] = value.astype(dtype, copy=True)
        else:
            converted[key] = copy.deepcopy(value)
    return converted
