import numpy as np
import pytest
import torch

from dlcourse.data.sequences import pad_sequences, padding_mask


@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("trailing", [(), (3,)])
def test_pad_sequences_matches_torch(padding_side, trailing, rng):
    lengths = [4, 1, 6, 3]
    seqs = [rng.standard_normal((n,) + trailing) for n in lengths]
    padded, got_lengths = pad_sequences(seqs, padding_value=-9.0, padding_side=padding_side)
    expected = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first=True,
                                               padding_value=-9.0, padding_side=padding_side)
    np.testing.assert_array_equal(padded, expected.numpy())
    assert got_lengths.tolist() == lengths and got_lengths.dtype == np.int64


def test_pad_sequences_of_token_lists_keeps_ints():
    padded, lengths = pad_sequences([[5, 6, 7], [8], []])
    assert padded.dtype == np.int64
    assert padded.tolist() == [[5, 6, 7], [8, 0, 0], [0, 0, 0]] and lengths.tolist() == [3, 1, 0]


def test_pad_sequences_max_length_truncates_and_pads():
    padded, lengths = pad_sequences([[1, 2, 3, 4], [5]], max_length=3, padding_side="left")
    assert padded.tolist() == [[1, 2, 3], [0, 0, 5]] and lengths.tolist() == [3, 1]
    padded, _ = pad_sequences([[1], [2]], max_length=3)
    assert padded.shape == (2, 3)


def test_padding_mask_marks_real_positions():
    lengths = np.array([2, 0, 3])
    assert padding_mask(lengths).tolist() == [[True, True, False], [False, False, False], [True, True, True]]
    assert padding_mask(lengths, 4, padding_side="left")[0].tolist() == [False, False, True, True]
    padded, lengths = pad_sequences([[1, 2], [3, 4, 5]], padding_value=0)
    assert (padded != 0).tolist() == padding_mask(lengths).tolist()


def test_pad_sequences_bad_inputs_name_expected_and_got():
    with pytest.raises(ValueError, match=r"trailing shape \(2,\) \(that of sequence 0\), got \(3,\) for sequence 1"):
        pad_sequences([np.zeros((2, 2)), np.zeros((2, 3))])
    with pytest.raises(ValueError, match="expected a non-empty list of sequences .* got list of length 0"):
        pad_sequences([])
    with pytest.raises(ValueError, match="expected padding_side 'right' or 'left', got 'top'"):
        pad_sequences([[1]], padding_side="top")
    with pytest.raises(ValueError, match="expected sequence 1 to have shape \\(L, \\*\\), got a scalar"):
        pad_sequences([[1], 2])
    with pytest.raises(ValueError, match="expected max_length >= 1 or None, got 0"):
        pad_sequences([[1]], max_length=0)


def test_adding_problem_targets_are_the_marked_sums(rng):
    from dlcourse.data.sequences import make_adding_problem
    X, y = make_adding_problem(500, 50, rng=rng)
    assert X.shape == (500, 50, 2) and y.shape == (500,) and X.dtype == y.dtype == np.float32
    marks = X[..., 1]
    assert np.all(marks.sum(axis=1) == 2)
    assert np.all(marks[:, :25].sum(axis=1) == 1) and np.all(marks[:, 25:].sum(axis=1) == 1)
    np.testing.assert_allclose((X[..., 0] * marks).sum(axis=1), y, rtol=1e-6)
    assert abs(np.mean((y - y.mean()) ** 2) - 2 / 12) < 0.02  # the predict-the-mean baseline's MSE
    again, _ = make_adding_problem(500, 50, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(X, again)


def test_delayed_recall_and_copy_tasks(rng):
    from dlcourse.data.sequences import make_copy_task, make_delayed_recall
    X, y, mask = make_delayed_recall(6, 10, 3, n_symbols=5, rng=rng)
    assert X.shape == y.shape == mask.shape == (6, 10) and X.max() <= 4
    np.testing.assert_array_equal(y[:, 3:], X[:, :7])
    assert mask[:, :3].sum() == 0 and mask[:, 3:].all()
    X, y = make_copy_task(4, 5, n_symbols=3, rng=rng)
    assert X.shape == y.shape == (4, 11)
    np.testing.assert_array_equal(y[:, 6:], X[:, :5])
    assert np.all(X[:, 5] == 4) and not X[:, 6:].any() and not y[:, :6].any() and X[:, :5].min() >= 1


def test_sine_waves_are_noisy_copies_of_clean_waves(rng):
    from dlcourse.data.sequences import make_sine_waves
    noisy, clean = make_sine_waves(200, 80, noise=0.2, rng=rng)
    assert noisy.shape == clean.shape == (200, 80) and noisy.dtype == np.float32
    assert abs((noisy - clean).std() - 0.2) < 0.01 and np.abs(clean).max() <= 1.5
    noisy0, clean0 = make_sine_waves(3, 20, noise=0.0, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(noisy0, clean0)


def test_variable_length_sequences(rng):
    from dlcourse.data.sequences import make_variable_length
    seqs, y = make_variable_length(50, min_length=2, max_length=6, n_features=3, rng=rng)
    lengths = [len(s) for s in seqs]
    assert min(lengths) == 2 and max(lengths) == 6 and all(s.shape[1] == 3 for s in seqs)
    np.testing.assert_allclose(y, [s[:, 0].sum() for s in seqs], rtol=1e-6)
    padded, got = pad_sequences(seqs)
    assert padded.shape == (50, 6, 3) and got.tolist() == lengths


def test_sequence_tasks_bad_arguments_name_expected_and_got(rng):
    from dlcourse.data.sequences import make_adding_problem, make_delayed_recall, make_sine_waves
    with pytest.raises(ValueError, match="expected seq_len to be an int >= 2, got 1"):
        make_adding_problem(3, 1, rng=rng)
    with pytest.raises(ValueError, match="expected delay < seq_len = 5, got 5"):
        make_delayed_recall(3, 5, 5, rng=rng)
    with pytest.raises(ValueError, match="expected noise >= 0, got -1"):
        make_sine_waves(3, 5, noise=-1, rng=rng)
    with pytest.raises(TypeError, match="np.random.Generator"):
        make_adding_problem(3, 5, rng=0)  # rng=None means a fresh unseeded generator; an int seed is an error
