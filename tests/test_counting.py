"""Bounded-memory counting and memory-mapped encoding agree with the in-memory path."""

import collections
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbow.data import corpus
from cbow.corpora import planted
from cbow.data.counting import build_vocab_bounded, count_words, encode_to_file, prune_counts
from cbow.data.encode import encode_with_vocab, read_and_encode
from cbow.errors import CorpusError


@pytest.mark.parametrize("block_size, max_sentence_length", [(1 << 22, 10000), (64, 3), (16, 10000)])
def test_bounded_path_equals_in_memory_path(tmp_path, monkeypatch, block_size, max_sentence_length):
    monkeypatch.setattr(corpus, "BLOCK_SIZE", block_size)
    lines = list(planted.generate_lines(n_sentences=400, seed=3)) + ["", "zzz qqq", "  ", "a " * 25]
    path = tmp_path / "c.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    vocab, _ = read_and_encode(path, min_count=2, max_sentence_length=max_sentence_length)
    assert build_vocab_bounded(path, min_count=2) == vocab
    mapped = encode_to_file(path, vocab, tmp_path / "ids.i32", max_sentence_length=max_sentence_length)
    expected = encode_with_vocab(path, vocab, max_sentence_length=max_sentence_length)
    assert isinstance(mapped.word_ids, np.memmap)
    assert np.array_equal(mapped.word_ids, expected.word_ids)
    assert np.array_equal(mapped.sentence_offsets, expected.sentence_offsets)
    assert mapped.n_raw_tokens == expected.n_raw_tokens


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from("abcdefgh"), max_size=12), max_size=40),
       st.integers(1, 6))
def test_memory_mapped_offsets_match_for_any_line_layout(tmp_path_factory, lines, max_length):
    path = tmp_path_factory.mktemp("c") / "c.txt"
    path.write_text("\n".join(" ".join(line) for line in lines), encoding="utf-8")
    vocab = build_vocab_bounded(path, tokenizer="whitespace", min_count=1, min_vocab_size=1) if any(lines) else None
    if vocab is None:
        with pytest.raises(CorpusError):
            count_words(path)
        return
    kept = [word for word in vocab.words if word not in "gh"] or vocab.words[:1]
    from cbow.data.vocab import Vocab
    smaller = Vocab(kept, [vocab.counts[vocab.words.index(w)] for w in kept])
    mapped = encode_to_file(path, smaller, path.with_suffix(".ids"), "whitespace", max_length)
    expected = encode_with_vocab(path, smaller, "whitespace", max_length)
    assert np.array_equal(mapped.word_ids, expected.word_ids)
    assert np.array_equal(mapped.sentence_offsets, expected.sentence_offsets)


def test_pruning_keeps_the_table_bounded_like_reduce_vocab():
    counter = collections.Counter({"a": 10, "b": 1, "c": 2, "d": 1, "e": 3})
    min_reduce = prune_counts(counter, max_types=3, min_reduce=1)
    assert dict(counter) == {"a": 10, "c": 2, "e": 3} and min_reduce == 2
    min_reduce = prune_counts(counter, max_types=1, min_reduce=min_reduce)
    assert dict(counter) == {"a": 10} and min_reduce == 4


def test_pruned_counting_keeps_the_frequent_words(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("\n".join(planted.generate_lines(n_sentences=2000, seed=4)), encoding="utf-8")
    exact = build_vocab_bounded(path, min_count=50)
    pruned = count_words(path, max_types=60)
    assert pruned.min_reduce > 1 and len(pruned.words) <= 60
    counts = dict(zip(pruned.words, pruned.counts.tolist()))
    top = exact.words[:10]
    assert all(word in counts for word in top)
    assert all(counts[w] <= c for w, c in zip(exact.words, exact.counts.tolist()) if w in counts)


def test_a_link_planted_at_the_ids_path_is_refused_not_followed(tmp_path):
    """The ids' file is opened without following a symbolic link (O_NOFOLLOW): a link there
    would have made the encoding overwrite whatever it names (issue 27, item 8)."""
    from cbow.errors import OutputError

    path = tmp_path / "corpus.txt"
    path.write_text("a b c a b\nc a\n", encoding="utf-8")
    victim = tmp_path / "precious.txt"
    victim.write_bytes(b"mine")
    link = tmp_path / "ids.i32"
    link.symlink_to(victim)
    with pytest.raises(OutputError, match="cannot write the encoded corpus"):
        encode_to_file(path, build_vocab_bounded(path, min_count=1, min_vocab_size=1), link)
    assert victim.read_bytes() == b"mine"


def test_low_memory_ids_go_to_a_fresh_name_beside_the_output(tmp_path, capsys):
    """`.OUTPUT.ids.PID.tmp` was predictable: a link planted there by another user was
    followed and the victim overwritten with ids. The name is now made by mkstemp."""
    from cbow.cli import main
    from cbow.corpora import planted

    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(planted.generate_lines(n_sentences=300, seed=1)) + "\n", encoding="utf-8")
    victim = tmp_path / "precious.txt"
    victim.write_bytes(b"mine")
    (tmp_path / f".v.bin.ids.{os.getpid()}.tmp").symlink_to(victim)  # the old name, in this process
    assert main(["train", str(corpus), "-o", str(tmp_path / "v.bin"), "--low-memory", "--epochs", "1", "--size", "8",
                 "--min-count", "1", "-q"]) == 0
    assert victim.read_bytes() == b"mine"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.is_symlink()) == [
        "c.txt", "precious.txt", "v.bin", "v.bin.log.jsonl"]
