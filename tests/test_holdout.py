"""Held-out loss equals a direct numpy computation; the split is deterministic and disjoint."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cbow.data.encode import EncodedCorpus
from cbow.errors import ConfigError
from cbow.cli.args import parse_fraction
from cbow.data.split import heldout_examples, split_holdout
from cbow.training.heldout import heldout_loss
from cbow.data.huffman import huffman_tree

V, D = 13, 4


def _corpus(lengths, seed=0) -> EncodedCorpus:
    rng = np.random.default_rng(seed)
    word_ids = rng.integers(0, V, size=sum(lengths)).astype(np.int32)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return EncodedCorpus(word_ids, offsets, n_raw_tokens=int(sum(lengths)) + 7)


def _naive_examples(corpus: EncodedCorpus, window: int):
    """(target, [context ids]) with a plain loop over sentences: the reference."""
    for sentence in corpus.sentences():
        for i, target in enumerate(sentence.tolist()):
            context = [sentence[j] for j in range(max(0, i - window), min(len(sentence), i + window + 1)) if j != i]
            if context:
                yield target, context


def _naive_softmax_nats(W_in, W_out, corpus, window):
    losses = []
    for target, context in _naive_examples(corpus, window):
        h = W_in[context].astype(np.float64).mean(axis=0)
        scores = W_out.astype(np.float64) @ h
        log_probs = scores - np.log(np.sum(np.exp(scores - scores.max()))) - scores.max()
        losses.append(-log_probs[target])
    return float(np.mean(losses)), len(losses)


def _naive_hs_nats(W_in, W_out, corpus, window, tree):
    losses = []
    for target, context in _naive_examples(corpus, window):
        h = W_in[context].astype(np.float64).mean(axis=0)
        probs = np.ones(V)  # p(w | h) of every leaf: a product of branch probabilities
        for word in range(V):
            for depth in range(tree.lengths[word]):
                x = W_out[tree.points[word, depth]].astype(np.float64) @ h
                sigmoid = 1 / (1 + np.exp(-x))
                probs[word] *= sigmoid if tree.codes[word, depth] == 0 else 1 - sigmoid
        assert abs(probs.sum() - 1) < 1e-12
        losses.append(-np.log(probs[target]))
    return float(np.mean(losses)), len(losses)


@pytest.mark.parametrize("objective", ["softmax", "ns"])
@pytest.mark.parametrize("window", [1, 3])
def test_softmax_loss_equals_naive(objective, window):
    rng = np.random.default_rng(1)
    W_in = rng.normal(size=(V, D)).astype(np.float32)
    W_out = (3 * rng.normal(size=(V, D))).astype(np.float32)  # large scores: the logsumexp must be stable
    corpus = _corpus([5, 1, 8, 2, 6])  # a one-word sentence predicts nothing
    expected, n_expected = _naive_softmax_nats(W_in, W_out, corpus, window)
    for vocab_chunk in (4, 5, 8192):  # chunks that divide V, that do not, and one chunk
        result = heldout_loss(W_in, W_out, objective, corpus, window, batch_size=3, vocab_chunk=vocab_chunk)
        assert result.n_predicted == n_expected == 22 - 1
        assert result.nats == pytest.approx(expected, rel=1e-12)
        assert result.perplexity == pytest.approx(math.exp(expected), rel=1e-12)


@pytest.mark.parametrize("window", [1, 2])
def test_hs_loss_equals_naive(window):
    rng = np.random.default_rng(2)
    tree = huffman_tree(np.sort(rng.integers(1, 100, size=V))[::-1])
    W_in = rng.normal(size=(V, D))
    W_out = rng.normal(size=(V - 1, D))
    corpus = _corpus([4, 7, 3], seed=3)
    expected, n_expected = _naive_hs_nats(W_in, W_out, corpus, window, tree)
    result = heldout_loss(W_in, W_out, "hs", corpus, window, huffman=tree, batch_size=5)
    assert result.n_predicted == n_expected
    assert result.nats == pytest.approx(expected, rel=1e-12)


def test_max_words_scores_the_first_targets():
    rng = np.random.default_rng(4)
    W_in, W_out = rng.normal(size=(V, D)), rng.normal(size=(V, D))
    corpus = _corpus([6, 9, 5])
    first_two = EncodedCorpus(corpus.word_ids[:6], corpus.sentence_offsets[:2], 6)
    capped = heldout_loss(W_in, W_out, "softmax", corpus, 2, batch_size=4, max_words=6)
    assert capped.n_predicted == 6
    assert capped.nats == pytest.approx(heldout_loss(W_in, W_out, "softmax", first_two, 2).nats, rel=1e-12)


def test_uniform_model_has_perplexity_v():
    corpus = _corpus([10, 10])
    result = heldout_loss(np.ones((V, D)), np.zeros((V, D)), "softmax", corpus, window=2)
    assert result.perplexity == pytest.approx(V, rel=1e-12)


def test_examples_use_the_full_window_within_sentences():
    corpus = EncodedCorpus(np.arange(7, dtype=np.int32), np.array([0, 4, 7]), 7)
    target_ids, context_ids, context_mask = next(heldout_examples(corpus, window=2, batch_size=100))
    contexts = {int(t): sorted(c[m].tolist()) for t, c, m in zip(target_ids, context_ids, context_mask)}
    assert contexts[0] == [1, 2] and contexts[1] == [0, 2, 3] and contexts[3] == [1, 2]
    assert contexts[4] == [5, 6] and contexts[6] == [4, 5]


def test_split_is_deterministic_disjoint_and_complete():
    corpus = _corpus(list(range(1, 201)))
    train, heldout = split_holdout(corpus, 0.05, seed=7)
    again_train, again_heldout = split_holdout(corpus, 0.05, seed=7)
    np.testing.assert_array_equal(heldout.word_ids, again_heldout.word_ids)
    np.testing.assert_array_equal(train.sentence_offsets, again_train.sentence_offsets)
    assert heldout.n_sentences == 10 and train.n_sentences == 190
    assert train.n_words + heldout.n_words == corpus.n_words
    assert train.n_raw_tokens + heldout.n_raw_tokens == corpus.n_raw_tokens
    # every sentence lands in exactly one part, intact (lengths 1..200 are all distinct)
    lengths = sorted(np.diff(train.sentence_offsets).tolist() + np.diff(heldout.sentence_offsets).tolist())
    assert lengths == list(range(1, 201))
    original = {len(s): s.tolist() for s in corpus.sentences()}
    for sentence in list(train.sentences()) + list(heldout.sentences()):
        assert sentence.tolist() == original[len(sentence)]
    other_train, other_heldout = split_holdout(corpus, 0.05, seed=8)
    assert not np.array_equal(np.diff(other_heldout.sentence_offsets), np.diff(heldout.sentence_offsets))


def test_split_errors_and_fraction_parsing():
    with pytest.raises(ConfigError, match="at least 2 sentences"):
        split_holdout(_corpus([5]), 0.1)
    assert parse_fraction("0.5%") == pytest.approx(0.005)
    assert parse_fraction("0.02") == pytest.approx(0.02)
    for bad in ("abc", "0", "60%"):
        with pytest.raises(ConfigError, match="--holdout"):
            parse_fraction(bad)
