import numpy as np
import pytest
import torch

import dlcourse.nn as nn
from tests.parity import assert_all_below, compare_module


class WithBuffer(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 2)
        self.register_buffer("running", np.zeros(2, dtype=np.float32))

    def forward(self, x):
        return self.linear(x)


def test_nested_names_buffers_and_state_dict():
    model = nn.Sequential(WithBuffer(), nn.Sequential(nn.Linear(2, 2)))
    # PyTorch's order: a module's own parameters, its buffers, then its children
    assert list(model.state_dict()) == ["0.running", "0.linear.weight", "0.linear.bias", "1.0.weight", "1.0.bias"]
    state = model.state_dict()
    state["0.running"] = np.ones(2)
    other = nn.Sequential(WithBuffer(), nn.Sequential(nn.Linear(2, 2)))
    other.load_state_dict(state)
    np.testing.assert_array_equal(other[0].running, np.ones(2))
    assert other[0].running.dtype == np.float32
    np.testing.assert_array_equal(other[1][0].weight.data, model[1][0].weight.data)


def test_state_dict_is_a_copy():
    layer = nn.Linear(2, 2)
    state = layer.state_dict()
    state["weight"][:] = 5
    assert not np.any(layer.weight.data == 5)


def test_train_and_eval_reach_every_child():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Flatten()))
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_to_casts_parameters_grads_and_buffers():
    model = WithBuffer().double()
    assert model.linear.weight.data.dtype == model.linear.weight.grad.dtype == model.running.dtype == np.float64
    model.float()
    assert model.linear.weight.data.dtype == np.float32
    with pytest.raises(TypeError, match="expected float32 or float64, got int32"):
        model.to(np.int32)


def test_sequential_indexing_len_iteration_and_repr():
    model = nn.Sequential(nn.Linear(4, 3), nn.Flatten())
    assert len(model) == 2 and isinstance(model[0], nn.Linear) and list(model)[1] is model[1]
    assert repr(model) == ("Sequential(\n  (0): Linear(in_features=4, out_features=3, bias=True)\n"
                           "  (1): Flatten(start_dim=1, end_dim=-1)\n)")
    with pytest.raises(TypeError, match="expected Module layers, got function at position 1"):
        nn.Sequential(nn.Linear(2, 2), lambda x: x)


@pytest.mark.parametrize("start, end", [(1, -1), (0, 1), (2, 3)])
def test_flatten_matches_torch(start, end, rng):
    assert_all_below(compare_module(nn.Flatten(start, end), torch.nn.Flatten(start, end),
                                    rng.standard_normal((2, 3, 4, 5)), rng=rng))


def test_sequential_backward_matches_torch(rng):
    ours = nn.Sequential(nn.Linear(5, 4), nn.Flatten(), nn.Linear(4, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Flatten(), torch.nn.Linear(4, 2))
    assert_all_below(compare_module(ours, theirs, rng.standard_normal((6, 5)), rng=rng))


def test_load_state_dict_accepts_torch_tensors():
    theirs = torch.nn.Linear(3, 2)
    ours = nn.Linear(3, 2)
    ours.load_state_dict(theirs.state_dict())
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy())


def test_parameter_rejects_integers():
    with pytest.raises(TypeError, match="expected float32 or float64 data, got int64"):
        nn.Parameter(np.arange(3))


def test_unimplemented_forward_names_the_class():
    class Empty(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="Empty does not implement forward"):
        Empty()(np.zeros(1))
