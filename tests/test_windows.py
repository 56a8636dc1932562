"""Windows: contexts never cross a sentence, never hold the target, stay within b <= w."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cbow.data import windows
from cbow.data.windows import build_examples, iter_batches, subsample


def corpus(sentence_lengths, vocab_size=50, seed=0):
    rng = np.random.default_rng(seed)
    offsets = np.concatenate([[0], np.cumsum(sentence_lengths)]).astype(np.int64)
    word_ids = rng.integers(0, vocab_size, size=offsets[-1]).astype(np.int32)
    return word_ids, offsets


def all_examples(word_ids, offsets, window, batch_size=7, seed=0, keep_prob=None):
    batches = list(iter_batches(word_ids, offsets, window, batch_size, np.random.default_rng(seed), keep_prob))
    return batches


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 12), min_size=1, max_size=15),
    window=st.integers(1, 4),
    batch_size=st.integers(1, 9),
)
def test_contexts_stay_in_sentence_and_window(lengths, window, batch_size):
    # Word ids are positions, so every context id tells where it came from.
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    word_ids = np.arange(offsets[-1], dtype=np.int32)
    sentence_of = np.repeat(np.arange(len(lengths)), lengths)
    n_seen = 0
    for batch in iter_batches(word_ids, offsets, window, batch_size, np.random.default_rng(1)):
        assert len(batch) <= batch_size
        for i, target in enumerate(batch.target_ids):
            context = batch.context_ids[i][batch.context_mask[i]]
            assert len(context) == batch.n_context[i] >= 1
            assert target not in context
            assert np.all(sentence_of[context] == sentence_of[target])
            assert np.all(np.abs(context.astype(int) - int(target)) <= window)
            # CSR form holds the same ids in the same order
            start, stop = batch.context_indptr[i], batch.context_indptr[i + 1]
            assert np.array_equal(batch.context_flat[start:stop], context)
        n_seen += len(batch)
    # every target with at least one neighbour in its sentence is an example (no subsampling)
    expected = sum(length for length in lengths if length >= 2)
    assert n_seen == expected


def test_dynamic_window_is_uniform_on_1_to_w():
    window = 4
    word_ids, offsets = corpus([200_000], seed=3)
    word_ids = np.arange(len(word_ids), dtype=np.int32)
    rng = np.random.default_rng(0)
    target_index, target_ids, context_ids, context_mask = build_examples(word_ids, np.zeros(len(word_ids), dtype=np.int64), 0, len(word_ids), window, rng)
    interior = (target_index >= window) & (target_index < len(word_ids) - window)
    reach = np.max(np.where(context_mask, np.abs(context_ids - target_ids[:, None]), 0), axis=1)[interior]
    share = np.bincount(reach, minlength=window + 1)[1:] / len(reach)
    assert np.allclose(share, 1 / window, atol=0.01), share
    # symmetric: a target with b takes b words on each side
    assert np.all(context_mask[interior].sum(axis=1) == 2 * reach)


def test_subsampling_keeps_at_the_given_rate():
    word_ids = np.repeat(np.arange(4, dtype=np.int32), 50_000)
    offsets = np.array([0, len(word_ids)], dtype=np.int64)
    keep = np.array([1.0, 0.5, 0.1, 0.0])
    kept, sentence_ids, positions = subsample(word_ids, offsets, keep, np.random.default_rng(0))
    rates = np.bincount(kept, minlength=4) / 50_000
    assert np.allclose(rates, keep, atol=0.01)
    assert np.array_equal(word_ids[positions], kept)


def test_subsampled_contexts_do_not_cross_sentences():
    lengths = [5, 1, 8, 3, 9]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    word_ids = np.arange(offsets[-1], dtype=np.int32)
    sentence_of = np.repeat(np.arange(len(lengths)), lengths)
    keep = np.full(offsets[-1], 0.6)
    for seed in range(20):
        for batch in iter_batches(word_ids, offsets, 3, 4, np.random.default_rng(seed), keep):
            for i, target in enumerate(batch.target_ids):
                context = batch.context_ids[i][batch.context_mask[i]]
                assert np.all(sentence_of[context] == sentence_of[target])


def test_words_done_is_monotone_and_ends_at_last_target():
    word_ids, offsets = corpus([30] * 50)
    batches = all_examples(word_ids, offsets, window=3, batch_size=16)
    done = [batch.words_done for batch in batches]
    assert done == sorted(done)
    assert done[-1] == len(word_ids)


def test_same_seed_same_batches():
    word_ids, offsets = corpus([17] * 30)
    first = all_examples(word_ids, offsets, 4, 10, seed=5, keep_prob=np.full(50, 0.7))
    second = all_examples(word_ids, offsets, 4, 10, seed=5, keep_prob=np.full(50, 0.7))
    assert len(first) == len(second)
    for a, b in zip(first, second):
        assert np.array_equal(a.target_ids, b.target_ids)
        assert np.array_equal(a.context_ids, b.context_ids)


def test_small_chunks_keep_every_example_and_the_progress(monkeypatch):
    """Chunking the corpus (for memory) loses no example and keeps words_done exact."""
    monkeypatch.setattr(windows, "CHUNK_TOKENS", 6)
    monkeypatch.setattr(windows, "CHUNK_TARGETS", 4)
    lengths = [5, 0, 1, 8, 3, 9, 2, 0, 7, 11]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    word_ids = np.arange(offsets[-1], dtype=np.int32)
    sentence_of = np.repeat(np.arange(len(lengths)), lengths)
    batches = list(iter_batches(word_ids, offsets, 3, 5, np.random.default_rng(2)))
    targets = np.concatenate([batch.target_ids for batch in batches])
    assert np.array_equal(targets, np.flatnonzero(np.repeat(np.array(lengths) >= 2, lengths)))
    for batch in batches:
        assert len(batch) <= 5
        for i, target in enumerate(batch.target_ids):
            context = batch.context_ids[i][batch.context_mask[i]]
            assert np.all(sentence_of[context] == sentence_of[target])
    assert [b.words_done for b in batches] == sorted(b.words_done for b in batches)
    assert batches[-1].words_done == targets[-1] + 1


def test_a_slice_of_the_offsets_needs_no_rebased_copy(monkeypatch):
    """A worker passes its slice of the corpus' offsets as they are (a view of the mapped
    file, not a private copy): the batches equal those of the rebased copy."""
    monkeypatch.setattr(windows, "CHUNK_TOKENS", 7)
    lengths = [5, 3, 8, 1, 6, 9, 4, 2, 7]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    word_ids = (np.arange(offsets[-1], dtype=np.int32) * 7) % 23
    first, stop = 2, 8  # sentences 2..7
    ids = word_ids[offsets[first]:offsets[stop]]
    keep_prob = np.full(23, 0.8)
    as_view = list(iter_batches(ids, offsets[first:stop + 1], 2, 4, np.random.default_rng(3), keep_prob))
    rebased = list(iter_batches(ids, offsets[first:stop + 1] - offsets[first], 2, 4, np.random.default_rng(3),
                                keep_prob))
    assert len(as_view) == len(rebased) > 3
    for a, b in zip(as_view, rebased):
        assert np.array_equal(a.target_ids, b.target_ids) and np.array_equal(a.context_ids, b.context_ids)
        assert a.words_done == b.words_done
