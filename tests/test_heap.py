"""cbow.data.heap: the reading pass hands its freed memory back, and the results do not change."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from cbow.data import corpus, encode, heap
from cbow.data.encode import encode_with_vocab, read_and_encode


def test_release_free_heap_is_safe_to_call_any_time() -> None:
    assert isinstance(heap.release_free_heap(), bool)
    assert isinstance(heap.release_free_heap(), bool)


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    rng = random.Random(0)
    words = ["w" + "abcdefghij"[i // 10] + "abcdefghij"[i % 10] for i in range(50)]  # letters: kept by the tokenizer
    lines = [" ".join(rng.choices(words, k=rng.randint(1, 30))) for _ in range(400)]
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("to_file", [False, True])
def test_reading_passes_end_by_giving_memory_back(small_corpus: Path, tmp_path: Path, monkeypatch, to_file) -> None:
    calls = []
    monkeypatch.setattr(encode, "release_free_heap", lambda: calls.append(1) or True)
    ids_path = tmp_path / "ids.npy" if to_file else None
    vocab, _ = read_and_encode(small_corpus, min_count=2, ids_path=ids_path)
    assert calls
    calls.clear()
    encode_with_vocab(small_corpus, vocab)
    assert calls


def test_trimming_while_joining_the_blocks_changes_nothing(small_corpus: Path, monkeypatch) -> None:
    """_keep_ids releases the blocks it has copied every _TRIM_EVERY blocks: same ids and offsets."""
    vocab, expected = read_and_encode(small_corpus, min_count=2)
    monkeypatch.setattr(corpus, "BLOCK_SIZE", 64)  # hundreds of blocks
    monkeypatch.setattr(encode, "_TRIM_EVERY", 1)
    vocab_small, encoded = read_and_encode(small_corpus, min_count=2)
    assert vocab_small == vocab
    assert encoded.word_ids.tolist() == expected.word_ids.tolist()
    assert encoded.sentence_offsets.tolist() == expected.sentence_offsets.tolist()
