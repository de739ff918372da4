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
