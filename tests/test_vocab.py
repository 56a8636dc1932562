"""Tests of cbow.data.vocab: selection and order, subsampling, noise, TSV files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbow.errors import ConfigError, CorpusError, OutputError, VocabError
from cbow.data.vocab import Vocab

# --- building ---------------------------------------------------------------------------


def test_from_counts_orders_by_count_then_first_seen() -> None:
    words = ["b", "a", "c", "d", "e"]  # first-seen order
    counts = np.array([3, 5, 3, 9, 1])
    vocab = Vocab.from_counts(words, counts, min_count=1)
    assert vocab.words == ["d", "a", "b", "c", "e"]
    assert vocab.counts.tolist() == [9, 5, 3, 3, 1]
    assert vocab.counts.dtype == np.int64
    assert vocab.key_to_index == {"d": 0, "a": 1, "b": 2, "c": 3, "e": 4}
    assert vocab.index_to_key is vocab.words
    assert vocab.total_words == 21
    assert len(vocab) == 5 and "c" in vocab and "z" not in vocab


def test_min_count_and_max_vocab() -> None:
    words = ["w0", "w1", "w2", "w3", "w4", "w5"]
    counts = np.array([5, 4, 7, 5, 5, 2])
    assert Vocab.from_counts(words, counts, min_count=5).words == ["w2", "w0", "w3", "w4"]
    assert Vocab.from_counts(words, counts, min_count=5).total_words == 22
    # max_vocab keeps the most frequent; a tie at the cut goes to the first seen.
    assert Vocab.from_counts(words, counts, min_count=1, max_vocab=3).words == ["w2", "w0", "w3"]
    assert Vocab.from_counts(words, counts, min_count=5, max_vocab=100).words == [
        "w2", "w0", "w3", "w4",
    ]
    # 0 and 1 keep every word
    assert len(Vocab.from_counts(words, counts, min_count=0)) == 6


def test_no_word_reaches_min_count() -> None:
    with pytest.raises(VocabError) as info:
        Vocab.from_counts(["a", "the", "b"], np.array([1, 3, 2]), min_count=5, name="corpus.txt")
    assert str(info.value) == (
        "corpus.txt: no word occurs 5 times (the most frequent, 'the', occurs 3 times); "
        "lower --min-count or train on more text"
    )


def test_counts_in_messages_agree_in_number() -> None:
    with pytest.raises(VocabError) as info:
        Vocab.from_counts(["a", "b"], np.array([1, 1]), min_count=2, name="corpus.txt")
    assert "no word occurs 2 times (the most frequent, 'a', occurs 1 time);" in str(info.value)
    with pytest.raises(CorpusError, match=r"\(1 line read\)"):
        Vocab.build(["42 ..."])


@pytest.mark.parametrize(("min_count", "max_vocab"), [(-1, None), (5, 0), (5, -3), (1.5, None)])
def test_bad_settings(min_count, max_vocab) -> None:
    with pytest.raises(ConfigError):
        Vocab.from_counts(["a"], np.array([9]), min_count=min_count, max_vocab=max_vocab)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=40), st.integers(0, 4))
def test_order_is_count_descending_with_stable_ties(counts: list[int], min_count: int) -> None:
    words = [f"w{i}" for i in range(len(counts))]  # index = first-seen rank
    try:
        vocab = Vocab.from_counts(words, np.array(counts), min_count=min_count)
    except VocabError:
        assert max(counts) < min_count
        return
    ranks = [int(word[1:]) for word in vocab.words]
    keys = [(-counts[r], r) for r in ranks]
    assert keys == sorted(keys)
    assert set(ranks) == {i for i, c in enumerate(counts) if c >= min_count}


def test_build_counts_a_corpus() -> None:
    lines = ["the cat, the dog", "", "The end of the cat"]
    vocab = Vocab.build(lines, min_count=2)
    assert vocab.words == ["the", "cat"]
    assert vocab.counts.tolist() == [4, 2]
    with pytest.raises(CorpusError, match="no words found"):
        Vocab.build(["42", "..."])


def test_counts_are_read_only_and_positive() -> None:
    vocab = Vocab(["a", "b"], np.array([2, 1]))
    with pytest.raises(ValueError):
        vocab.counts[0] = 7
    with pytest.raises(VocabError):
        Vocab(["a", "b"], np.array([2, 0]))


def test_duplicate_words_are_refused() -> None:
    vocab = Vocab(["a", "b", "a"], np.array([3, 2, 1]))
    with pytest.raises(VocabError, match="'a'"):
        vocab.key_to_index


# --- subsampling and noise --------------------------------------------------------------


def test_keep_probabilities_match_word2vec_formula() -> None:
    # s*T = 1e-3 * 1250 = 1.25; keep = (sqrt(f / 1.25) + 1) * 1.25 / f, by hand:
    # f=1000: (sqrt(800) + 1) * 0.00125 = 29.28427 * 0.00125 = 0.0366053
    # f=200:  (sqrt(160) + 1) * 0.00625 = 13.64911 * 0.00625 = 0.0853069
    # f=50:   (sqrt(40) + 1) * 0.025   =  7.32456 * 0.025   = 0.1831139
    vocab = Vocab(["a", "b", "c"], np.array([1000, 200, 50]))
    keep = vocab.keep_probabilities(1e-3)
    assert keep.dtype == np.float64 and keep.shape == (3,)
    np.testing.assert_allclose(keep, [0.0366053, 0.0853069, 0.1831139], rtol=1e-5)
    # rare words are always kept: f=1 with s*T = 1.11 gives 2.16 -> 1
    rare = Vocab(["x", "y", "z"], np.array([100, 10, 1]))
    np.testing.assert_allclose(
        rare.keep_probabilities(0.01), [0.1164565, 0.4441666, 1.0], rtol=1e-5
    )


@pytest.mark.parametrize("sample", [0, 0.0, -1e-3])
def test_no_subsampling(sample: float) -> None:
    vocab = Vocab(["a", "b"], np.array([10**6, 1]))
    np.testing.assert_array_equal(vocab.keep_probabilities(sample), [1.0, 1.0])


def test_noise_distribution() -> None:
    vocab = Vocab(["a", "b"], np.array([16, 1]))
    np.testing.assert_allclose(vocab.noise_distribution(), [8 / 9, 1 / 9])  # 16**0.75 = 8
    np.testing.assert_allclose(vocab.noise_distribution(1.0), [16 / 17, 1 / 17])
    np.testing.assert_allclose(vocab.noise_distribution(0.0), [0.5, 0.5])
    big = Vocab([str(i) for i in range(50)], np.arange(100, 50, -1))
    assert big.noise_distribution().sum() == pytest.approx(1.0)


# --- files ------------------------------------------------------------------------------


def test_save_load_round_trip(tmp_path: Path) -> None:
    vocab = Vocab(["the", "déjà", "東京", "a b", "x"], np.array([9, 7, 7, 2, 2]))
    path = tmp_path / "vocab.tsv"
    vocab.save(path)
    assert path.read_bytes() == "the\t9\ndéjà\t7\n東京\t7\na b\t2\nx\t2\n".encode("utf-8")
    loaded = Vocab.load(path)
    assert loaded == vocab and loaded.key_to_index == vocab.key_to_index
    assert os.listdir(tmp_path) == ["vocab.tsv"]  # no temporary file left behind
    vocab.save(str(path))  # overwrite
    assert Vocab.load(str(path)) == vocab


def test_load_tolerates_crlf_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "vocab.tsv"
    path.write_bytes(b"the\t9\r\n\r\ncat\t2\r\n\n")
    assert Vocab.load(path) == Vocab(["the", "cat"], np.array([9, 2]))


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        ("the\t9\ncat 2\n", 2, "expected 'word<TAB>count', got 'cat 2'"),
        ("the\t9\ncat\t\n", 2, "expected 'word<TAB>count'"),
        ("the\t9\n\t3\n", 2, "expected 'word<TAB>count'"),
        ("the\tnine\n", 1, "expected 'word<TAB>count'"),
        ("the\t9\ncat\t-2\n", 2, "expected 'word<TAB>count'"),
        ("the\t9\na\tb\t3\n", 2, "expected 'word<TAB>count'"),
        ("the\t9\n\nfoo\t0\n", 3, "count of 'foo' is 0, must be at least 1"),
        ("the\t9\ncat\t3\nthe\t1\n", 3, "'the' is listed again (first on line 1)"),
    ],
)
def test_load_bad_rows(tmp_path: Path, content: str, line: int, problem: str) -> None:
    path = tmp_path / "vocab.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(VocabError) as info:
        Vocab.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: {problem}")
    assert message.endswith("; fix or regenerate the file with `cbow vocab`")


def test_load_other_errors(tmp_path: Path) -> None:
    with pytest.raises(VocabError, match="no such file"):
        Vocab.load(tmp_path / "missing.tsv")
    (tmp_path / "latin1.tsv").write_bytes(b"the\t9\ncaf\xe9\t3\n")
    with pytest.raises(VocabError, match=r"latin1.tsv:2: not UTF-8"):
        Vocab.load(tmp_path / "latin1.tsv")
    (tmp_path / "empty.tsv").write_bytes(b"\n")
    with pytest.raises(VocabError, match="holds no words"):
        Vocab.load(tmp_path / "empty.tsv")


def test_save_errors(tmp_path: Path) -> None:
    with pytest.raises(VocabError, match="tab or line break"):
        Vocab(["a\tb"], np.array([3])).save(tmp_path / "v.tsv")
    with pytest.raises(OutputError, match="does not exist"):
        Vocab(["a"], np.array([3])).save(tmp_path / "no" / "such" / "dir" / "v.tsv")
    assert not (tmp_path / "v.tsv").exists()


def test_repr_is_short() -> None:
    vocab = Vocab([str(i) for i in range(1000)], np.arange(1000, 0, -1))
    assert len(repr(vocab)) < 120 and "1,000 words" in repr(vocab)


def test_load_leaves_key_to_index_to_its_first_use(tmp_path: Path) -> None:
    """Training never looks words up: a loaded vocabulary builds its dict only when asked."""
    Vocab(["the", "cat", "sat"], np.array([5, 3, 2])).save(tmp_path / "vocab.tsv")
    loaded = Vocab.load(tmp_path / "vocab.tsv")
    assert "key_to_index" not in loaded.__dict__
    assert loaded.key_to_index == {"the": 0, "cat": 1, "sat": 2} and "cat" in loaded
