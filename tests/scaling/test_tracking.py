"""TensorBoard event files read back as arrays."""

import numpy as np
import pytest
from torch.utils.tensorboard import SummaryWriter

from dlcourse.tracking import read_scalars


def test_scalars_round_trip(tmp_path):
    writer = SummaryWriter(tmp_path)
    for step in range(0, 50, 10):
        writer.add_scalar("loss", 1.0 / (step + 1), step)
    writer.close()
    steps, values = read_scalars(tmp_path)["loss"]
    assert steps.tolist() == [0, 10, 20, 30, 40]
    np.testing.assert_allclose(values, 1.0 / (steps + 1), rtol=1e-6)


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no TensorBoard event file"):
        read_scalars(tmp_path / "nothing")
