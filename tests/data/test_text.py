import gzip
import hashlib
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from dlcourse.data.text import Vocabulary, load_corpus, sample_windows, split_ids, window_batches

ROOT = Path(__file__).resolve().parents[2]
CORPUS_FILE = ROOT / "dlcourse" / "data" / "files" / "austen_pride_and_prejudice.txt.gz"
# what tools/make_corpus.py writes from Debian's r-cran-janeaustenr 1.0.0-1 (gzip with mtime 0 is deterministic)
CORPUS_SHA256 = "4bf10d85ed60fa55a0be368cd4634dbc5e6b18c2d5a5a0e1758a59d31907c086"


def test_corpus_is_the_novel_and_small():
    text = load_corpus()
    assert text.startswith("PRIDE AND PREJUDICE\n\nBy Jane Austen")
    assert "It is a truth universally acknowledged, that a single man in possession\nof a good fortune" in text
    assert len(text) == 684_768 and len(set(text)) == 75
    assert CORPUS_FILE.stat().st_size < 500_000


def test_load_corpus_rejects_unknown_names():
    with pytest.raises(ValueError, match=r"expected name to be one of \['pride_and_prejudice'\], got 'emma'"):
        load_corpus("emma")


def test_make_corpus_reader_parses_r_serialization(tmp_path):
    # a tiny lazy-load database written by hand in R's XDR format: one character vector c("ab", "c")
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import make_corpus
    finally:
        sys.path.pop(0)

    def i32(v):
        return int(v).to_bytes(4, "big", signed=True)

    def charsxp(s):
        return i32(9 | (1 << 15)) + i32(len(s)) + s.encode()

    header = b"X\n" + i32(3) + i32(0x040201) + i32(0x030500) + i32(5) + b"UTF-8"
    value = header + i32(16) + i32(2) + charsxp("ab") + charsxp("c")
    record = i32(len(value)) + zlib.compress(value)
    # index: list(variables = list(novel = c(0L, length))) with names attributes
    names_attr = (i32(2 | (1 << 10)) + i32(1) + charsxp("names") + i32(16) + i32(1) + charsxp("novel") + i32(254))
    inner = i32(19 | (1 << 9)) + i32(1) + i32(13) + i32(2) + i32(0) + i32(len(record)) + names_attr
    # the outer list's "names" tag is a reference to the symbol already read (reference 1)
    outer_names = i32(2 | (1 << 10)) + i32((1 << 8) | 255) + i32(16) + i32(1) + charsxp("variables") + i32(254)
    index = header + i32(19 | (1 << 9)) + i32(1) + inner + outer_names
    (tmp_path / "db.rdx").write_bytes(gzip.compress(index))
    (tmp_path / "db.rdb").write_bytes(record)
    assert make_corpus.read_lazy_load(tmp_path / "db", "novel") == ["ab", "c"]


def test_shipped_file_is_reproducible_from_its_recipe():
    assert hashlib.sha256(CORPUS_FILE.read_bytes()).hexdigest() == CORPUS_SHA256
    head = gzip.decompress(CORPUS_FILE.read_bytes())[:19]
    assert head == b"PRIDE AND PREJUDICE"
    assert subprocess.run([sys.executable, str(ROOT / "tools" / "make_corpus.py"), "--help"],
                          capture_output=True).returncode == 0


def test_vocabulary_round_trip():
    text = load_corpus()[:5000]
    vocab = Vocabulary(text)
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (5000,)
    assert vocab.decode(ids) == text
    assert vocab.itos == sorted(set(text)) and len(vocab) == len(set(text))
    assert vocab.stoi[vocab.itos[3]] == 3 and "e" in vocab and "#" not in vocab
    assert vocab.decode([]) == "" and vocab.encode("").shape == (0,)


def test_vocabulary_errors_name_expected_and_got():
    vocab = Vocabulary("abc")
    with pytest.raises(KeyError, match=r"got unknown characters \['x', 'z'\]"):
        vocab.encode("abzx")
    with pytest.raises(ValueError, match=r"expected ids in \[0, 3\), got values from 0 to 3"):
        vocab.decode([0, 3])
    with pytest.raises(ValueError, match=r"expected a 1-D array of integer ids, got shape \(\) and dtype float64"):
        vocab.decode(1.0)
    with pytest.raises(ValueError, match="expected a non-empty collection of single characters"):
        Vocabulary(["ab", "c"])
    with pytest.raises(ValueError, match="expected a non-empty collection of single characters"):
        Vocabulary("")


def test_split_ids_is_contiguous():
    ids = np.arange(100)
    train, val, test = split_ids(ids, val_fraction=0.1, test_fraction=0.2)
    assert train.tolist() == list(range(70)) and val.tolist() == list(range(70, 80))
    assert test.tolist() == list(range(80, 100))
    with pytest.raises(ValueError, match="with a sum below 1, got 0.5 and 0.5"):
        split_ids(ids, val_fraction=0.5, test_fraction=0.5)


def test_sample_windows_targets_are_next_characters(rng):
    ids = np.arange(50) * 3
    inputs, targets = sample_windows(ids, 8, 5, rng=rng)
    assert inputs.shape == targets.shape == (8, 5) and inputs.dtype == np.int64
    np.testing.assert_array_equal(targets[:, :-1], inputs[:, 1:])
    np.testing.assert_array_equal(targets[:, -1], inputs[:, -1] + 3)
    assert np.all(np.diff(inputs, axis=1) == 3)  # windows are contiguous stretches of the text
    again, _ = sample_windows(ids, 8, 5, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(inputs, again)
    starts = np.concatenate([sample_windows(ids, 500, 5, rng=rng)[0][:, 0] for _ in range(4)]) // 3
    assert starts.min() == 0 and starts.max() == 50 - 5 - 1  # every start can occur, the last one included


def test_window_batches_cover_the_text_once(rng):
    ids = np.arange(101)
    batches = list(window_batches(ids, 3, 10, rng=rng))
    inputs = np.concatenate([b[0] for b in batches])
    targets = np.concatenate([b[1] for b in batches])
    assert [len(b[0]) for b in batches] == [3, 3, 3, 1]
    assert sorted(inputs[:, 0].tolist()) == list(range(0, 100, 10))
    np.testing.assert_array_equal(targets, inputs + 1)
    ordered = list(window_batches(ids, 3, 10, shuffle=False, drop_last=True))
    assert len(ordered) == 3 and ordered[0][0][0].tolist() == list(range(10))


def test_windows_bad_arguments_name_expected_and_got(rng):
    with pytest.raises(ValueError, match="expected at least seq_len \\+ 1 = 11 ids, got 5"):
        sample_windows(np.arange(5), 2, 10, rng=rng)
    with pytest.raises(ValueError, match="expected ids of shape \\(L,\\) and an integer dtype, got shape \\(2, 3\\)"):
        sample_windows(np.zeros((2, 3), int), 2, 1, rng=rng)
    with pytest.raises(ValueError, match="expected batch_size to be an int >= 1, got 0"):
        next(window_batches(np.arange(20), 0, 3))
    with pytest.raises(TypeError, match="expected rng=np.random.Generator"):
        sample_windows(np.arange(20), 2, 3, rng=0)

