"""Module and Parameter: the containers every layer is built from, mirroring torch.nn.Module.

A module computes ``forward(x)`` and, given the gradient of the loss with respect to its output,
``backward(grad_output)`` returns the gradient with respect to its input and *adds* the gradients of
its parameters into ``param.grad`` (``+=``, as PyTorch accumulates).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from dlcourse.validate import FLOAT_DTYPES


class Parameter:
    """A trainable array and its gradient.

    Args:
        data: the values, any shape, float32 or float64.
        requires_grad: False freezes it: ``backward`` adds nothing to its ``grad`` and optimizers leave it alone.
    Attributes:
        data: the values.
        grad: the accumulated gradient, the same shape and dtype as ``data``.
        requires_grad: whether it is trained.
    """

    def __init__(self, data: np.ndarray, requires_grad: bool = True):
        data = np.asarray(data)
        if data.dtype not in FLOAT_DTYPES:
            raise TypeError(f"Parameter: expected float32 or float64 data, got {data.dtype}")
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"Parameter: expected requires_grad to be a bool, got {type(requires_grad).__name__}")
        self.data = data
        self.grad = np.zeros_like(data)
        self.requires_grad = bool(requires_grad)

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def zero_grad(self) -> None:
        self.grad = np.zeros_like(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Parameter:
        """Freeze (False) or unfreeze (True) this parameter in place, as torch's ``Tensor.requires_grad_``.

        Args:
            requires_grad: whether it is trained from now on.
        """
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"Parameter.requires_grad_: expected a bool, got {type(requires_grad).__name__}")
        self.requires_grad = bool(requires_grad)
        return self

    def __repr__(self) -> str:
        frozen = "" if self.requires_grad else ", requires_grad=False"
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype}{frozen})"


def as_parameter_list(parameters: Parameter | Iterable[Parameter], where: str) -> list[Parameter]:
    """Accept one Parameter or an iterable of them (a generator such as model.parameters() included).

    Args:
        parameters: a Parameter, or an iterable of Parameters.
        where: who is checking; starts the error message.
    Returns:
        The Parameters as a list.
    """
    params = [parameters] if isinstance(parameters, Parameter) else list(parameters)
    for index, param in enumerate(params):
        if not isinstance(param, Parameter):
            raise TypeError(f"{where}: expected Parameters (e.g. model.parameters()), got {type(param).__name__} "
                            f"at position {index}")
    return params


class Module:
    """Base class of every layer and network.

    Subclasses set Parameters, sub-Modules and buffers (``register_buffer``) as attributes in
    ``__init__``, and implement ``forward`` and ``backward``. Names, order and state_dict keys follow
    PyTorch, so weights can be copied between a module and its torch twin.
    """

    def __init__(self):
        self.training = True
        self._buffer_names: list[str] = []

    # ----- computation -------------------------------------------------------------------------
    def forward(self, *args: np.ndarray, **kwargs: Any) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def accumulate_grad(self, **grads: np.ndarray | None) -> None:
        """Add each gradient to the parameter of that name (``+=``, as PyTorch accumulates); a parameter that is
        None (``bias=False``) or frozen (``requires_grad=False``) is skipped. Layers call it at the end of
        ``backward``."""
        for name, grad in grads.items():
            param = getattr(self, name)
            if param is not None and param.requires_grad:
                param.grad += grad

    # ----- structure ---------------------------------------------------------------------------
    def register_buffer(self, name: str, value: np.ndarray) -> None:
        """Keep ``value`` as state that is saved but not trained (BatchNorm's running statistics).

        Args:
            name: the attribute and state_dict key.
            value: an array of any shape.
        """
        if name not in self._buffer_names:
            self._buffer_names.append(name)
        setattr(self, name, value)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def modules(self) -> Iterator[Module]:
        yield self
        for child in self.children():
            yield from child.modules()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Yield ``(name, Parameter)`` with PyTorch's dotted names, e.g. ``"0.weight"``.

        Args:
            prefix: put before every name (used for the children, e.g. ``"0."``).
        """
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child.named_parameters(prefix + name + ".")

    def parameters(self) -> Iterator[Parameter]:
        for _, param in self.named_parameters():
            yield param

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        """Yield ``(name, array)`` for every buffer, with PyTorch's dotted names.

        Args:
            prefix: put before every name (used for the children, e.g. ``"0."``).
        """
        for name in self._buffer_names:
            yield prefix + name, getattr(self, name)
        for name, child in self.named_children():
            yield from child.named_buffers(prefix + name + ".")

    def zero_grad(self) -> None:
        for param in self.parameters():
            param.zero_grad()

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze (True) every parameter of this module and of all below it, as torch's.

        A frozen parameter keeps its values: backward still passes the gradient *through* the layer to its input,
        but adds nothing to the parameter's ``grad``, and optimizers skip it.

        Args:
            requires_grad: whether the parameters are trained from now on.
        """
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def train(self, mode: bool = True) -> Module:
        """Switch this module and all below it to training (or, for mode=False, evaluation) behaviour.

        Args:
            mode: True for training (Dropout drops, BatchNorm uses batch statistics), False for evaluation.
        """
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    # ----- state ---------------------------------------------------------------------------------
    def state_dict(self, prefix: str = "") -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer under PyTorch's keys, in PyTorch's order (each module's own
        parameters, then its buffers, then its children's).

        Args:
            prefix: put before every key (used for the children, e.g. ``"0."``).
        """
        state = {prefix + name: value.data.copy() for name, value in vars(self).items() if isinstance(value, Parameter)}
        state.update({prefix + name: np.array(getattr(self, name), copy=True) for name in self._buffer_names})
        for name, child in self.named_children():
            state.update(child.state_dict(prefix + name + "."))
        return state

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> None:
        """Copy arrays (NumPy, or torch tensors) into this module's parameters and buffers.

        Values are cast to each parameter's dtype. With ``strict``, missing or unexpected keys raise a
        KeyError listing them; a wrong shape always raises a ValueError naming the key.

        Args:
            state_dict: {key: array}, as state_dict() or torch's module.state_dict() gives.
            strict: whether the keys must match exactly.
        """
        params = dict(self.named_parameters())
        buffers = dict(self.named_buffers())
        if strict:
            missing = sorted((set(params) | set(buffers)) - set(state_dict))
            unexpected = sorted(set(state_dict) - set(params) - set(buffers))
            if missing or unexpected:
                raise KeyError(f"{type(self).__name__}.load_state_dict: missing keys {missing}, "
                               f"unexpected keys {unexpected}")
        for key, value in state_dict.items():
            value = _to_numpy(value)
            if key in params:
                param = params[key]
                if value.shape != param.shape:
                    raise ValueError(f"load_state_dict: expected {key} of shape {param.shape}, got {value.shape}")
                param.data = value.astype(param.dtype, copy=True)
            elif key in buffers:
                self._set_buffer(key, np.array(value, copy=True))

    def _set_buffer(self, dotted: str, value: np.ndarray) -> None:
        *path, name = dotted.split(".")
        owner = self
        for part in path:
            owner = getattr(owner, part)
        old = getattr(owner, name)
        if isinstance(old, np.ndarray) and old.dtype in FLOAT_DTYPES and value.dtype in FLOAT_DTYPES:
            value = value.astype(old.dtype)
        setattr(owner, name, value)

    def to(self, dtype: DTypeLike) -> Module:
        """Cast every parameter (and its grad) and float buffer to ``dtype`` (np.float32 or np.float64)."""
        dtype = np.dtype(dtype)
        if dtype not in FLOAT_DTYPES:
            raise TypeError(f"{type(self).__name__}.to: expected float32 or float64, got {dtype}")
        for param in self.parameters():
            param.data = param.data.astype(dtype)
            param.grad = param.grad.astype(dtype)
        for module in self.modules():
            for name in module._buffer_names:
                buf = getattr(module, name)
                if isinstance(buf, np.ndarray) and buf.dtype in FLOAT_DTYPES:
                    setattr(module, name, buf.astype(dtype))
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    # ----- display -------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


def _to_numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor: copy weights straight from a torch twin
        return value.detach().cpu().numpy()
    return np.asarray(value)


class Sequential(Module):
    """Layers applied in order; children are named ``"0"``, ``"1"``, ... as in torch.nn.Sequential.

    Args:
        *layers: Modules; each one's output is the next one's input.
    """

    def __init__(self, *layers: Module):
        super().__init__()
        for index, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: expected Module layers, got {type(layer).__name__} at position {index}")
            setattr(self, str(index), layer)

    def __getitem__(self, index: int) -> Module:
        return list(self.children())[index]

    def __len__(self) -> int:
        return len(list(self.children()))

    def __iter__(self) -> Iterator[Module]:
        return self.children()

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.children():
            x = layer(x)
        return x

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        for layer in reversed(list(self.children())):
            grad_output = layer.backward(grad_output)
        return grad_output


class Flatten(Module):
    """Flatten dimensions ``start_dim..end_dim`` into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        self._input_shape = x.shape
        start = self.start_dim % x.ndim
        end = self.end_dim % x.ndim
        if start > end:
            raise ValueError(f"Flatten: start_dim {self.start_dim} comes after end_dim {self.end_dim} "
                             f"for input of shape {x.shape}")
        new_shape = x.shape[:start] + (-1,) + x.shape[end + 1:]
        return x.reshape(new_shape)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output.reshape(self._input_shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
