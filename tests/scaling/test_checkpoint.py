"""Checkpoints hold everything a run needs, and say what is missing."""

import pytest
import torch

from dlcourse.checkpoint import CHECKPOINT_KEYS, load_checkpoint, save_checkpoint


def parts():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2)
    return model, optimizer, scheduler, torch.Generator().manual_seed(1)


def test_round_trip_restores_every_part(tmp_path):
    model, optimizer, scheduler, generator = parts()
    model(torch.ones(4, 3)).sum().backward()
    optimizer.step()
    scheduler.step()
    torch.rand(5, generator=generator)
    save_checkpoint(tmp_path / "c.pt", model=model, optimizer=optimizer, scheduler=scheduler, generator=generator,
                    step=3)
    expected_next = torch.rand(3, generator=generator)
    model2, optimizer2, scheduler2, generator2 = parts()
    step = load_checkpoint(tmp_path / "c.pt", model=model2, optimizer=optimizer2, scheduler=scheduler2,
                           generator=generator2)
    assert step == 3
    assert torch.equal(model2.weight, model.weight)
    assert torch.equal(optimizer2.state_dict()["state"][0]["exp_avg"], optimizer.state_dict()["state"][0]["exp_avg"])
    assert scheduler2.last_epoch == scheduler.last_epoch
    assert torch.equal(torch.rand(3, generator=generator2), expected_next)
    assert set(torch.load(tmp_path / "c.pt", weights_only=True)) == set(CHECKPOINT_KEYS)


def test_missing_file_and_mismatched_parts_are_named(tmp_path):
    model, optimizer, scheduler, generator = parts()
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "absent.pt", model=model, optimizer=optimizer)
    save_checkpoint(tmp_path / "c.pt", model=model, optimizer=optimizer, scheduler=None, generator=generator, step=1)
    with pytest.raises(KeyError, match="does not hold a scheduler state"):
        load_checkpoint(tmp_path / "c.pt", model=model, optimizer=optimizer, scheduler=scheduler, generator=generator)
    torch.save({"model": model.state_dict()}, tmp_path / "partial.pt")
    with pytest.raises(KeyError, match="lacks"):
        load_checkpoint(tmp_path / "partial.pt", model=model, optimizer=optimizer)
