"""cbow.data.word_list: the packed words behave as the list of str they replace."""

import pickle
import sys

import numpy as np
import pytest

from cbow.data.vocab import Vocab
from cbow.data.word_list import WordList

WORDS = ["the", "", "naïve", "東京", "e\u0301", "\ud800lone", "tab\there", "x" * 300]


def test_indexing_slicing_and_iteration_give_back_the_words():
    words = WordList(WORDS)
    assert len(words) == len(WORDS)
    assert list(words) == WORDS
    assert [words[i] for i in range(len(WORDS))] == WORDS
    assert words[-1] == WORDS[-1] and words[np.int64(2)] == "naïve"
    assert words[1:4] == WORDS[1:4] and words[::-2] == WORDS[::-2] and words[5:100] == WORDS[5:]
    with pytest.raises(IndexError):
        words[len(WORDS)]
    with pytest.raises(IndexError):
        words[-len(WORDS) - 1]


def test_equality_addition_search_and_pickling_match_a_list():
    words = WordList(WORDS)
    assert words == WORDS and words == tuple(WORDS) and WORDS == words
    assert words != WORDS[:-1] and words != ["other"] * len(WORDS)
    assert words == WordList(WORDS) and words != WordList(WORDS[::-1])
    assert words + ["new"] == WORDS + ["new"] and ["new"] + words == ["new"] + WORDS
    assert "東京" in words and "absent" not in words and words.index("naïve") == 2
    assert pickle.loads(pickle.dumps(words)) == words
    assert WordList(words) == words and WordList([]) == [] and len(WordList()) == 0


def test_a_vocabulary_keeps_its_words_packed():
    words = [f"word{i}" for i in range(10_000)]
    vocab = Vocab(words, np.arange(10_000, 0, -1))
    assert isinstance(vocab.words, WordList) and vocab.words == words
    as_list = sys.getsizeof(words) + sum(map(sys.getsizeof, words))
    assert vocab.words.nbytes < as_list / 4  # ~17 bytes a word against ~66
    assert vocab.key_to_index["word42"] == 42 and vocab.index_to_key[42] == "word42"
    assert Vocab(vocab.words, vocab.counts) == vocab
