"""The shipped pretrained CNN: the file is the one tools/pretrain_cnn.py wrote, small, and the loaded model (NumPy
and torch) reaches the source accuracy; NumPy and torch agree; freezing by blocks works on both."""

import numpy as np
import pytest
import torch

from dlcourse.gradcheck import relative_error
from dlcourse.models import (
    WEIGHTS_PATH,
    build_numpy,
    build_torch,
    change_domain,
    file_sha256,
    freeze_blocks,
    load_pretrained,
    source_task,
    target_task,
)
from dlcourse.models.digit_cnn import WEIGHTS_SHA256

MIN_SOURCE_ACCURACY = 0.98  # the script prints the exact figure (1.0000 when the weights were made)


def test_shipped_file_is_the_scripts_and_small():
    assert file_sha256(WEIGHTS_PATH) == WEIGHTS_SHA256
    assert WEIGHTS_PATH.stat().st_size <= 200_000


def test_numpy_model_reaches_the_source_accuracy():
    _, _, X_test, y_test = source_task()
    model = load_pretrained("numpy")
    accuracy = (model(X_test).argmax(1) == y_test).mean()
    assert accuracy >= MIN_SOURCE_ACCURACY, accuracy


def test_torch_model_reaches_the_source_accuracy_and_agrees_with_numpy():
    _, _, X_test, y_test = source_task(dtype=np.float64)
    ours = load_pretrained("numpy", dtype=np.float64)
    theirs = load_pretrained("torch", dtype=np.float64)
    assert not theirs.training and not ours.training
    with torch.no_grad():
        logits = theirs(torch.from_numpy(X_test)).numpy()
    assert (logits.argmax(1) == y_test).mean() >= MIN_SOURCE_ACCURACY
    assert relative_error(ours(X_test), logits) <= 1e-9


def test_names_match_between_numpy_and_torch():
    ours = [name for name, _ in build_numpy(rng=np.random.default_rng(0)).named_parameters()]
    theirs = [name for name, _ in build_torch().named_parameters()]
    assert ours == theirs and ours[0] == "0.0.weight" and ours[-1] == "3.bias"


@pytest.mark.parametrize("framework", ["numpy", "torch"])
def test_freeze_blocks_freezes_the_first_blocks(framework):
    model = load_pretrained(framework)
    frozen = freeze_blocks(model, 2)
    assert frozen == ["0.0.weight", "0.0.bias", "0.1.weight", "0.1.bias", "1.0.weight", "1.0.bias", "1.1.weight",
                      "1.1.bias"]
    assert [p.requires_grad for _, p in model.named_parameters()] == [False] * 8 + [True] * 4
    assert freeze_blocks(model, 0) == []
    with pytest.raises(ValueError, match="0..4"):
        freeze_blocks(model, 5)


def test_tasks_are_fixed_disjoint_splits():
    X_train, y_train, X_test, y_test = source_task()
    again = source_task()
    np.testing.assert_array_equal(X_train, again[0])
    assert X_train.shape[1:] == (1, 8, 8) and set(y_train) == set(y_test) == set(range(5))
    train_rows = {row.tobytes() for row in X_train}
    assert sum(row.tobytes() in train_rows for row in X_test) <= 2  # a few digits in the data are exact duplicates
    new = target_task("clean")
    assert len(new[0]) + len(new[2]) == 1797 - len(X_train) - len(X_test)
    faded = target_task("faded", new_digits=False)
    np.testing.assert_allclose(faded[0], 0.35 + 0.4 * X_train, rtol=1e-6)
    shuffled = change_domain(X_train, "shuffled")
    np.testing.assert_array_equal(np.sort(shuffled.reshape(len(X_train), -1), 1),
                                  np.sort(X_train.reshape(len(X_train), -1), 1))


def test_stored_arrays_have_torchs_shapes_and_dtypes():
    stored = dict(np.load(WEIGHTS_PATH))
    expected = build_torch().state_dict()
    assert list(stored) == list(expected)
    for key, value in expected.items():
        assert stored[key].shape == tuple(value.shape), key
        assert stored[key].dtype == (np.int64 if key.endswith("num_batches_tracked") else np.float32), key
