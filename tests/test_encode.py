"""Tests of cbow.data.encode: ids and sentence offsets against a naive reference."""

from __future__ import annotations

import collections
import gzip
import io
import random
import sys
from pathlib import Path

import numpy as np
import pytest

from cbow.data import corpus, encode
from cbow.data.encode import EncodedCorpus, encode_with_vocab, read_and_encode
from cbow.errors import CorpusError, OutputError, VocabError
from cbow.data.tokenize import get_tokenizer
from cbow.data.vocab import Vocab


def naive_encode(lines, tokenizer="default", min_count=5, max_vocab=None, max_length=10000):
    """Reference: obvious Python, one token at a time."""
    tokenize = get_tokenizer(tokenizer)
    sentences = []
    for line in lines:
        tokens = tokenize(line)
        sentences += [tokens[i:i + max_length] for i in range(0, len(tokens), max_length)]
    counter = collections.Counter(token for sentence in sentences for token in sentence)
    first_seen = {token: i for i, token in reversed(list(enumerate(
        token for sentence in sentences for token in sentence)))}
    kept = sorted((w for w in counter if counter[w] >= max(min_count, 1)),
                  key=lambda w: (-counter[w], first_seen[w]))[:max_vocab]
    index = {w: i for i, w in enumerate(kept)}
    word_ids, offsets = [], [0]
    for sentence in sentences:
        ids = [index[t] for t in sentence if t in index]
        if ids:
            word_ids += ids
            offsets.append(len(word_ids))
    n_raw = sum(map(len, sentences))
    return kept, [counter[w] for w in kept], word_ids, offsets, n_raw


def check_same(vocab: Vocab, encoded: EncodedCorpus, reference) -> None:
    words, counts, word_ids, offsets, n_raw = reference
    assert vocab.words == words
    assert vocab.counts.tolist() == counts
    assert encoded.word_ids.dtype == np.int32 and encoded.sentence_offsets.dtype == np.int64
    assert encoded.word_ids.tolist() == word_ids
    assert encoded.sentence_offsets.tolist() == offsets
    assert encoded.n_raw_tokens == n_raw
    assert encoded.n_sentences == len(offsets) - 1


def test_small_handmade_corpus() -> None:
    lines = [
        "The cat sat on the mat.",
        "",
        "A dog! The dog and the cat.",
        "Zebra yak.",  # only rare words: the sentence disappears
        "cat",
    ]
    vocab, encoded = read_and_encode(lines, min_count=2, min_vocab_size=1)  # a 3-word toy
    # counts: the 4, cat 3, dog 2; ties none; rare words dropped
    assert vocab.words == ["the", "cat", "dog"]
    assert vocab.counts.tolist() == [4, 3, 2]
    the, cat, dog = 0, 1, 2
    assert encoded.word_ids.tolist() == [the, cat, the, dog, the, dog, the, cat, cat]
    assert encoded.sentence_offsets.tolist() == [0, 3, 8, 9]
    assert encoded.n_raw_tokens == 16
    assert [s.tolist() for s in encoded.sentences()] == [
        [the, cat, the], [dog, the, dog, the, cat], [cat],
    ]
    assert encoded.n_words == 9 and encoded.n_sentences == 3


def test_ties_go_to_the_first_seen_word() -> None:
    vocab, encoded = read_and_encode(["b a c", "c a b"], min_count=1, min_vocab_size=1)
    assert vocab.words == ["b", "a", "c"]
    assert encoded.word_ids.tolist() == [0, 1, 2, 2, 1, 0]


@pytest.mark.parametrize("seed", range(12))
def test_random_corpus_matches_naive_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = random.Random(seed)
    monkeypatch.setattr(corpus, "BLOCK_SIZE", rng.choice([16, 64, 1 << 22]))
    vocabulary = [f"{a}{b}" for a in "abcdef" for b in "xyzé"] + ["Upper", "don't", "東京"]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    lines = []
    for _ in range(rng.randint(1, 60)):
        n_words = rng.choice([0, 1, 3, 8, 40, 200])
        words = rng.choices(vocabulary, weights, k=n_words)
        lines.append(rng.choice([" ", "  ", "\t", ", "]).join(words))
    text = "\n".join(lines) + rng.choice(["", "\n"])
    path = tmp_path / "corpus.txt.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    tokenizer = rng.choice(["default", "whitespace"])
    min_count = rng.choice([1, 2, 5, 30])
    max_vocab = rng.choice([None, 3, 1000])
    max_length = rng.choice([1, 7, 10000])
    reference = naive_encode(text.split("\n"), tokenizer, min_count, max_vocab, max_length)
    if not reference[0]:  # no token at all, or none reaching min_count
        with pytest.raises(CorpusError if reference[4] == 0 else VocabError):
            read_and_encode(path, tokenizer, min_count, max_vocab, max_length, min_vocab_size=1)
        return
    vocab, encoded = read_and_encode(path, tokenizer, min_count, max_vocab, max_length, min_vocab_size=1)
    check_same(vocab, encoded, reference)
    # Through files (the cache's cold path): the same result, memory-mapped, spool removed.
    ids_path = tmp_path / "ids.npy"
    vocab_f, encoded_f = read_and_encode(path, tokenizer, min_count, max_vocab, max_length, ids_path=ids_path,
                                         min_vocab_size=1)
    check_same(vocab_f, encoded_f, reference)
    assert isinstance(encoded_f.word_ids, np.memmap) and sorted(tmp_path.iterdir()) == sorted([path, ids_path])
    # The same vocabulary given explicitly encodes the same way.
    again = encode_with_vocab(path, vocab, tokenizer, max_length)
    assert again.word_ids.tolist() == encoded.word_ids.tolist()
    assert again.sentence_offsets.tolist() == encoded.sentence_offsets.tolist()
    assert again.n_raw_tokens == encoded.n_raw_tokens


def random_ascii_corpus(rng: random.Random, n_lines: int) -> list[str]:
    stems = ["a", "an", "the", "word", "Word", "WORDS", "internationalization",
             "internationalizations", "internationalisation", "abcdefghijklmnop",
             "abcdefghijklmnopq", "abcdefghijklmnopr", "abcdefgh", "abcdefghi"]
    stems += ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(1, 20)))
              for _ in range(300)]
    separators = [" ", "  ", ", ", "'", "-", "42", "_", "\t", ". "]
    return [
        "".join(rng.choice(stems) + rng.choice(separators) for _ in range(rng.randint(0, 30)))
        for _ in range(n_lines)
    ]


@pytest.mark.parametrize("seed", range(6))
def test_ascii_fast_path_equals_general_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = random.Random(seed)
    path = tmp_path / "ascii.txt"
    path.write_text("\n".join(random_ascii_corpus(rng, 300)), encoding="ascii")
    monkeypatch.setattr(corpus, "BLOCK_SIZE", rng.choice([64, 1000, 1 << 22]))
    # A tiny hash table: most words collide and take the string route.
    monkeypatch.setattr(encode, "_TABLE_BITS", rng.choice([2, 8, 20]))
    results = {}
    for fast in (True, False):
        monkeypatch.setattr(encode, "_ASCII_FAST_PATH", fast)
        vocab, encoded = read_and_encode(path, min_count=2, max_sentence_length=7)
        other = encode_with_vocab(path, Vocab(vocab.words[::2], vocab.counts[::2]))
        results[fast] = (vocab, encoded, other)
    (vocab, encoded, other), (vocab2, encoded2, other2) = results[True], results[False]
    assert vocab == vocab2
    for a, b in ((encoded, encoded2), (other, other2)):
        np.testing.assert_array_equal(a.word_ids, b.word_ids)
        np.testing.assert_array_equal(a.sentence_offsets, b.sentence_offsets)
        assert a.n_raw_tokens == b.n_raw_tokens


def test_ascii_fast_path_tells_apart_words_sharing_a_slot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two slots only, many small blocks; the words agree on their first 8 (or 16) letters.
    monkeypatch.setattr(encode, "_TABLE_BITS", 1)
    monkeypatch.setattr(corpus, "BLOCK_SIZE", 100)
    words = ["abcdefgh" + suffix for suffix in ["", "x", "y", "xy", "yx", "zzzzzzzz"]]
    words += ["abcdefghijklmnop" + suffix for suffix in ["", "q", "qq"]]
    rng = random.Random(3)
    lines = [" ".join(rng.choices(words, k=5)) for _ in range(100)]
    path = tmp_path / "c.txt"
    path.write_text("\n".join(lines), encoding="ascii")
    check_same(*read_and_encode(path, min_count=1), naive_encode(lines, min_count=1))


def test_ascii_fast_path_survives_hash_collisions(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = random_ascii_corpus(random.Random(7), 200)
    expected = read_and_encode(lines, min_count=1)
    # A hash that ignores the letters after the 8th: words sharing 8 letters collide, so
    # the block falls back to the general path and the result must not change.
    monkeypatch.setattr(encode, "_mix", lambda low, high: low * encode._MIX_0)
    vocab, encoded = read_and_encode(lines, min_count=1)
    assert vocab == expected[0]
    np.testing.assert_array_equal(encoded.word_ids, expected[1].word_ids)
    np.testing.assert_array_equal(encoded.sentence_offsets, expected[1].sentence_offsets)


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "the cat\nthe dog\n\nthe end"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    vocab, encoded = read_and_encode("-", min_count=1, min_vocab_size=1)
    check_same(vocab, encoded, naive_encode(text.split("\n"), min_count=1))


def test_encode_with_a_loaded_vocabulary(tmp_path: Path) -> None:
    path = tmp_path / "vocab.tsv"
    Vocab(["dog", "cat"], np.array([10, 5])).save(path)
    vocab = Vocab.load(path)
    encoded = encode_with_vocab(["The cat and the dog", "no known word", "dog dog"], vocab)
    assert encoded.word_ids.tolist() == [1, 0, 0, 0]
    assert encoded.sentence_offsets.tolist() == [0, 2, 4]
    assert encoded.n_raw_tokens == 10
    with pytest.raises(CorpusError, match="none of the 3 tokens read is in the vocabulary"):
        encode_with_vocab(["three unknown words"], vocab)


def test_empty_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("corpus.txt").write_text("\n42 1984\n...\n", encoding="utf-8")
    with pytest.raises(CorpusError) as info:
        read_and_encode("corpus.txt")
    assert str(info.value) == (
        "corpus.txt: no words found (3 lines read); check the file and --tokenizer"
    )
    Path("empty.txt").write_bytes(b"")
    with pytest.raises(CorpusError, match="empty.txt: no words found"):
        encode_with_vocab("empty.txt", Vocab(["a"], np.array([1])))


def test_no_word_reaches_min_count_names_the_source(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("corpus.txt").write_text("the cat\nthe dog\nthe end\n", encoding="utf-8")
    with pytest.raises(VocabError) as info:
        read_and_encode("corpus.txt", min_count=5)
    assert str(info.value) == (
        "corpus.txt: no word occurs 5 times (the most frequent, 'the', occurs 3 times); "
        "lower --min-count or train on more text"
    )


def test_progress_bar_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "c.txt"
    path.write_text("a b a b a\n" * 100, encoding="utf-8")
    vocab, encoded = read_and_encode(path, min_count=1, progress=True, min_vocab_size=1)
    assert encoded.n_words == 500
    captured = capsys.readouterr()
    assert captured.out == ""


def test_encoding_to_a_file_leaves_nothing_behind_when_it_fails(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text("a b c\nb c d\n", encoding="utf-8")
    with pytest.raises(VocabError):  # nothing reaches min_count
        read_and_encode(path, min_count=50, ids_path=tmp_path / "ids.npy")
    with pytest.raises(OutputError, match="cannot write the encoded corpus"):
        read_and_encode(path, min_count=1, ids_path=tmp_path / "missing-dir" / "ids.npy")
    assert sorted(tmp_path.iterdir()) == [path]
