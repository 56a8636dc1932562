"""`cbow.train` on what gensim users pass: sentences as lists of tokens (issue 18, item 2).

Token lists are taken as they are (no tokenizer runs), so a token-list corpus trains
exactly like the same tokens written one sentence per line and read with the whitespace
tokenizer. The corpus is counted and encoded in one pass: a one-shot generator will do.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from cbow.corpora import planted
from cbow.data.encode import encode_with_vocab, read_and_encode
from cbow.data.vocab import Vocab
from cbow.errors import CorpusTypeError
from cbow.training.config import TrainConfig
from cbow.training.loop import train

CONFIG = dict(size=10, window=3, min_count=2, epochs=2, batch_size=64, seed=5, workers=1)


@pytest.fixture(scope="module")
def sentences():
    """Planted sentences as token lists, some tokens in forms the default tokenizer would
    change (capitals, an apostrophe, digits): taken as they are, they stay words."""
    lines = planted.generate_lines(n_sentences=800, seed=7)
    odd = {0: "Paris", 1: "isn't", 2: "r2d2"}
    return [[odd.get(i % 97, token) if j == 0 else token for j, token in enumerate(line.split())]
            for i, line in enumerate(lines)]


@pytest.fixture(scope="module")
def corpus_file(sentences, tmp_path_factory):
    path = tmp_path_factory.mktemp("tokens") / "corpus.txt"
    path.write_text("".join(" ".join(sentence) + "\n" for sentence in sentences), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def from_file(corpus_file):
    return train(corpus_file, TrainConfig(**CONFIG, tokenizer="whitespace"))


def _same_model(a, b) -> None:
    assert a.vocab.words == b.vocab.words and np.array_equal(a.vocab.counts, b.vocab.counts)
    assert np.array_equal(a.W_in, b.W_in) and np.array_equal(a.W_out, b.W_out)


def test_token_lists_give_the_vectors_of_the_same_text_file(sentences, from_file):
    assert "Paris" in from_file.vocab and "isn't" in from_file.vocab  # the whitespace tokenizer kept them
    _same_model(train(sentences, TrainConfig(**CONFIG, tokenizer="whitespace")), from_file)


def test_token_lists_are_not_re_tokenized(sentences, from_file):
    # the default tokenizer would lowercase "Paris" and split "isn't": token lists never see it
    _same_model(train(sentences, TrainConfig(**CONFIG)), from_file)


def test_a_one_shot_generator_and_a_re_iterable_object_give_the_same_vectors(sentences, from_file):
    class Sentences:
        def __iter__(self):
            return (list(sentence) for sentence in sentences)

    generator = (tuple(sentence) for sentence in sentences)  # tuples are sentences too
    _same_model(train(generator, TrainConfig(**CONFIG)), from_file)
    _same_model(train(Sentences(), TrainConfig(**CONFIG)), from_file)


def test_long_token_lists_are_cut_as_long_lines_are(sentences, corpus_file):
    long = [[token for sentence in sentences[:40] for token in sentence]]  # one sentence of ~400 tokens
    as_lists = read_and_encode(long + sentences, "whitespace", min_count=2, max_sentence_length=7)
    as_text = read_and_encode([" ".join(s) for s in long + sentences], "whitespace", min_count=2,
                              max_sentence_length=7)
    assert as_lists[0] == as_text[0]
    assert np.array_equal(as_lists[1].word_ids, as_text[1].word_ids)
    assert np.array_equal(as_lists[1].sentence_offsets, as_text[1].sentence_offsets)
    assert np.diff(as_lists[1].sentence_offsets).max() == 7


def test_a_vocabulary_given_encodes_a_generator_with_it(sentences):
    vocab = Vocab.build(sentences, min_count=5)
    result = train((s for s in sentences), TrainConfig(**{**CONFIG, "epochs": 1}), vocab=vocab)
    assert result.vocab is vocab
    expected = encode_with_vocab(sentences, vocab)
    assert result.n_corpus_words == len(expected.word_ids)


@pytest.mark.parametrize("corpus, message", [
    ([["the", "cat"], "the dog"], "corpus sentence 2 is a str, the first was a list of tokens"),
    ([["the", "cat"], ["a", 3]], "corpus sentence 2: token 2 is an int (3); tokens must be non-empty str"),
    ([["the", ""]], "corpus sentence 1: token 2 is an empty string"),
    (["the cat", ["a", "dog"]], "corpus lines must be str, got list"),
])
def test_a_malformed_corpus_names_the_sentence(corpus, message):
    with pytest.raises(CorpusTypeError, match=re.escape(message)):  # a TypeError and a CbowError
        train(corpus, TrainConfig(**CONFIG))


def test_phrases_are_joined_in_token_lists(tmp_path):
    from cbow.data.phrases import phrase_tokenizer
    from cbow.data.phrase_table import PhraseTable

    table = PhraseTable(passes=({"new york": None},))  # "new york" -> "new_york"
    tokenize = phrase_tokenizer("whitespace", table)
    lists = [["in", "new", "york", "today"], ["new", "cat"]] * 6
    vocab, encoded = read_and_encode(lists, tokenize, min_count=1, min_vocab_size=1)
    assert "new_york" in vocab and "york" not in vocab
    assert vocab == read_and_encode([" ".join(s) for s in lists], tokenize, min_count=1, min_vocab_size=1)[0]
