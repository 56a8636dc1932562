"""Character n-grams and their rows (cbow.data.subwords) against gensim's port of fastText's code."""

import numpy as np
import pytest
from gensim.models.fasttext import ft_ngram_hashes
from gensim.models.fasttext_inner import compute_ngrams_bytes, ft_hash_bytes
from hypothesis import given, settings
from hypothesis import strategies as st

from cbow.data.subwords import (
    EOS, FNV_OFFSET, SubwordSpec, WordRows, char_ngrams, fasttext_hash, ngram_rows, word_bytes, word_rows,
)
from cbow.errors import ConfigError

WORDS = [
    "a", "ab", "abc", "walk", "walked", "aaaaaa", "hello", "x",  # ASCII, 1-3 characters
    "café", "naïveté", "Zürich", "straße", "ŀ", "résumé",  # accented: 2-byte characters
    "東", "東京", "東京都", "日本語の単語",  # CJK: 3 bytes
    "😀", "x😀y", "👍🏽ok", "𝔘𝔫𝔦",  # emoji, combining modifiers, 4-byte letters
]
SETTINGS = [(3, 6), (1, 3), (2, 2), (1, 1), (0, 4), (4, 8), (5, 3)]


@pytest.mark.parametrize("min_n,max_n", SETTINGS)
def test_ngrams_and_hashes_are_gensims(min_n, max_n):
    """gensim ports fastText's computeSubwords and hash (compute_ngrams_bytes, ft_hash_bytes)."""
    for word in WORDS:
        assert char_ngrams(word, min_n, max_n) == compute_ngrams_bytes(word, min_n, max_n), word
        for gram in char_ngrams(word, 1, 6):
            assert fasttext_hash(gram) == ft_hash_bytes(gram), gram
        spec = SubwordSpec(min_n, max_n, 2_000_003)
        expected = [len(WORDS) + bucket for bucket in ft_ngram_hashes(word, min_n, max_n, spec.buckets)]
        assert ngram_rows(word, len(WORDS), spec).tolist() == expected, word


def test_hash_takes_bytes_as_signed_chars():
    """0xC3 xor-ed in as 0xFFFFFFC3 (a signed char widened), not 0xC3: the two hashes differ."""
    unsigned = ((FNV_OFFSET ^ 0xC3) * 16777619) & 0xFFFFFFFF
    assert fasttext_hash(b"\xc3") == ((FNV_OFFSET ^ 0xFFFFFFC3) * 16777619) & 0xFFFFFFFF != unsigned
    assert fasttext_hash(b"") == FNV_OFFSET


def test_lengths_count_characters_and_skip_the_lone_brackets():
    assert char_ngrams("東京", 1, 1) == ["東".encode(), "京".encode()]  # not "<", ">" nor a byte of 東
    assert char_ngrams("ab", 3, 3) == [b"<ab", b"ab>"]
    assert len(char_ngrams("ab", 4, 6)) == 1  # "<ab>" alone


@pytest.mark.parametrize("min_n,max_n", SETTINGS + [(3, 0), (6, 6)])
def test_table_is_the_one_word_reference(min_n, max_n):
    words = WORDS + ["</s>x", EOS, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]
    spec = SubwordSpec(min_n, max_n, 97 if max_n else 0)
    table = word_rows(words, spec)
    assert table.row_ids.dtype == np.int32 and table.indptr.dtype == np.int64
    assert table.n_rows == len(words) + 97 * (max_n > 0)
    for word_id, word in enumerate(words):
        assert table.rows(word_id).tolist() == [word_id, *ngram_rows(word, len(words), spec).tolist()], word


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=30, unique=True),
       st.integers(1, 4), st.integers(0, 7))
def test_table_is_the_reference_for_any_words(words, min_n, max_n):
    spec = SubwordSpec(min_n, max_n, 1009)
    table = word_rows(words, spec)
    for word_id, word in enumerate(words):
        assert table.rows(word_id).tolist() == [word_id, *ngram_rows(word, len(words), spec).tolist()]


def test_end_of_line_token_keeps_only_its_row():
    """fastText gives "</s>" no n-grams (gensim's FastTextKeyedVectors does: ours follows fastText)."""
    table = word_rows(["the", EOS], SubwordSpec())
    assert table.rows(1).tolist() == [1]
    assert ngram_rows(EOS, 2, SubwordSpec()).size == 0
    assert compute_ngrams_bytes(EOS, 3, 6)  # the difference, stated


def test_words_only_and_spec_checks():
    table = word_rows(["a", "b"], SubwordSpec(3, 0, 0))
    assert table.row_ids.tolist() == [0, 1] and table.counts().tolist() == [1, 1]
    assert not SubwordSpec(5, 3, 10).enabled and SubwordSpec(1, 1, 1).enabled
    with pytest.raises(ConfigError, match="buckets >= 1"):
        SubwordSpec(3, 6, 0)
    with pytest.raises(ConfigError, match="min_n"):
        SubwordSpec(-1, 6, 10)
    with pytest.raises(ConfigError, match="lower --buckets"):
        word_rows(["a", "b"], SubwordSpec(3, 6, 2**31 - 2))


def test_bytes_that_were_not_utf8_hash_as_bytes():
    """A fastText word of Latin-1 bytes reads as surrogate escapes and hashes its own bytes."""
    raw = b"caf\xe9"
    word = raw.decode("utf-8", "surrogateescape")
    assert word_bytes(word) == raw
    assert char_ngrams(word, 3, 3) == [b"<ca", b"caf", b"af\xe9", b"f\xe9>"]
    assert word_bytes("\ud800x") == "\ud800x".encode("utf-8", "surrogatepass")  # a lone surrogate of a token list


def test_mean_vectors_are_the_mean_of_each_words_rows():
    rng = np.random.default_rng(0)
    words = WORDS + [EOS]
    spec = SubwordSpec(3, 6, 50)  # few buckets: rows repeat within words, and count as often
    word_matrix = rng.normal(size=(len(words), 5)).astype(np.float32)
    ngram_matrix = rng.normal(size=(spec.buckets, 5)).astype(np.float32)
    table = word_rows(words, spec)
    full = np.vstack([word_matrix, ngram_matrix]).astype(np.float64)
    expected = np.vstack([full[table.rows(i)].mean(axis=0) for i in range(len(words))])
    np.testing.assert_allclose(table.mean_vectors(word_matrix, ngram_matrix), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(table.mean_matrix() @ full, expected, rtol=1e-5, atol=1e-6)
    assert any(len(set(table.rows(i))) < len(table.rows(i)) for i in range(len(words)))


def test_word_rows_refuses_bad_arrays():
    with pytest.raises(ValueError, match="indptr"):
        WordRows(np.array([0, 3]), np.arange(2, dtype=np.int32), 5)
    with pytest.raises(ValueError, match="must lie in"):
        WordRows(np.array([0, 2]), np.array([0, 5], dtype=np.int32), 5)  # row 5 of a 5-row matrix


def test_table_built_in_chunks_is_the_same(monkeypatch):
    """Rows are placed WORD_CHUNK words at a time, from lengths counted up front; words whose
    bytes were not UTF-8 (surrogate escapes) count their characters by those bytes."""
    import cbow.data.subwords as subwords

    words = WORDS + [EOS, b"caf\xe9\x80x".decode("utf-8", "surrogateescape"), "\udc80", "end"]
    whole = word_rows(words, SubwordSpec(2, 5, 101))
    monkeypatch.setattr(subwords, "WORD_CHUNK", 3)
    chunked = word_rows(words, SubwordSpec(2, 5, 101))
    np.testing.assert_array_equal(chunked.indptr, whole.indptr)
    np.testing.assert_array_equal(chunked.row_ids, whole.row_ids)
    for word_id, word in enumerate(words):
        assert chunked.rows(word_id).tolist() == [word_id, *ngram_rows(word, len(words), SubwordSpec(2, 5, 101))]
