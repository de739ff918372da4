"""DistributedDataParallel on the CPU with gloo: the same weights as one process, and exact resumes."""

import pytest
import torch

from dlcourse import ddp


def largest_difference(a: dict, b: dict) -> float:
    return max(float((a[k] - b[k]).abs().max()) for k in a)


@pytest.fixture(scope="module")
def single():
    torch.set_num_threads(1)
    return ddp.train(ddp.RunConfig(steps=20))


@pytest.mark.slow
def test_two_processes_equal_one_process_and_resume_exactly(single, tmp_path):
    configs = [ddp.RunConfig(steps=20), ddp.RunConfig(steps=20, stop_at=10),
               ddp.RunConfig(steps=20, resume_from=str(tmp_path / "step10.pt")),
               ddp.RunConfig(steps=20, accumulation=2)]
    runs = ddp.launch(configs, world_size=2, out_dir=tmp_path)
    full, _, resumed, accumulated = runs
    assert largest_difference(full[0].state_dict, full[1].state_dict) == 0.0  # the ranks never diverge
    assert largest_difference(full[0].state_dict, single.state_dict) < 1e-12  # float64 rounding only
    assert largest_difference(resumed[0].state_dict, full[0].state_dict) == 0.0
    assert largest_difference(accumulated[0].state_dict, single.state_dict) < 1e-12
    assert runs[1][0].step == 10 and (tmp_path / "step10.pt").is_file()


def test_gradient_accumulation_equals_the_big_batch(single):
    for k in (2, 3, 4):  # 64 over 3 micro-batches: unequal sizes, scaled by their share
        accumulated = ddp.train(ddp.RunConfig(steps=20, accumulation=k))
        assert largest_difference(accumulated.state_dict, single.state_dict) < 1e-12


def test_single_process_resume_is_exact(single, tmp_path):
    ddp.train(ddp.RunConfig(steps=20, stop_at=7), checkpoint_dir=tmp_path)
    resumed = ddp.train(ddp.RunConfig(steps=20, resume_from=str(tmp_path / "step7.pt")))
    assert largest_difference(resumed.state_dict, single.state_dict) == 0.0
    assert resumed.step == 20 and len(resumed.losses) == 13
