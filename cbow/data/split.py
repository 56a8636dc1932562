"""Held-out text: a seeded split of whole sentences, and the windows they are scored with.

`split_holdout` keeps a fraction of sentences out of training (cbow.training.heldout scores
the model on them); `heldout_examples` gives every held-out target its FULL window on each
side within its sentence (training draws b ~ U{1..w}), so a score is a fixed function of
the weights.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from cbow.data.encode import EncodedCorpus
from cbow.errors import ConfigError


def _subset(corpus: EncodedCorpus, sentence_index: np.ndarray, n_raw_tokens: int) -> EncodedCorpus:
    """The sentences `sentence_index` (sorted) of `corpus`, in order, as a new EncodedCorpus."""
    offsets = corpus.sentence_offsets
    lengths = (offsets[1:] - offsets[:-1])[sentence_index]
    new_offsets = np.zeros(len(sentence_index) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    # token positions of the chosen sentences: start of each sentence + 0..length-1
    starts = np.repeat(offsets[:-1][sentence_index], lengths)
    within = np.arange(new_offsets[-1], dtype=np.int64) - np.repeat(new_offsets[:-1], lengths)
    return EncodedCorpus(corpus.word_ids[starts + within], new_offsets, n_raw_tokens)


def heldout_sentences(n_sentences: int, fraction: float, seed: int = 1) -> np.ndarray:
    """The sentences `split_holdout` keeps out of a corpus of `n_sentences`: sorted int64 ids.

    round(fraction * S) of them, at least 1 and at most S - 1, drawn without replacement
    from a stream of their own (seed, 'holdout'), so training draws are unchanged. The
    cluster engine draws with it over the sentences of all nodes.

    Raises
    ------
    ConfigError
        Fewer than 2 sentences, or fraction outside (0, 1).
    """
    if not (0 < fraction < 1):
        raise ConfigError(f"--holdout must lie strictly between 0 and 1, got {fraction}")
    if n_sentences < 2:
        raise ConfigError(f"--holdout needs at least 2 sentences, the corpus has {n_sentences}; "
                          "put one sentence per line or drop --holdout")
    n_heldout = min(n_sentences - 1, max(1, round(fraction * n_sentences)))
    rng = np.random.default_rng([seed, 0x401D])  # a stream of its own: training draws are unchanged
    return np.sort(rng.choice(n_sentences, size=n_heldout, replace=False)).astype(np.int64)


def split_holdout(corpus: EncodedCorpus, fraction: float, seed: int = 1) -> tuple[EncodedCorpus, EncodedCorpus]:
    """Split off a random fraction of whole sentences, deterministically from `seed`.

    Parameters
    ----------
    corpus : EncodedCorpus
        word_ids int32 (N,), sentence_offsets int64 (S+1,).
    fraction : float in (0, 1)
        Share of sentences held out: round(fraction * S), at least 1.
    seed : int
        The run's seed; the split uses its own stream (seed, 'holdout').

    Returns
    -------
    train, heldout : EncodedCorpus
        Disjoint, each in corpus order. `n_raw_tokens` (tokens before dropping OOV, which
        the encoded corpus no longer knows per sentence) is split in proportion to the
        in-vocabulary tokens of each part.

    Raises
    ------
    ConfigError
        Fewer than 2 sentences, or fraction outside (0, 1).
    """
    n_sentences = corpus.n_sentences
    heldout_index = heldout_sentences(n_sentences, fraction, seed)
    is_heldout = np.zeros(n_sentences, dtype=bool)
    is_heldout[heldout_index] = True
    train_index = np.flatnonzero(~is_heldout)
    offsets = corpus.sentence_offsets
    heldout_words = int(np.sum(offsets[heldout_index + 1] - offsets[heldout_index]))
    raw_heldout = round(corpus.n_raw_tokens * heldout_words / max(1, corpus.n_words))
    return (_subset(corpus, train_index, corpus.n_raw_tokens - raw_heldout),
            _subset(corpus, heldout_index, raw_heldout))


def full_window_examples(
    corpus: EncodedCorpus, window: int, batch_size: int = 512
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Every target of `corpus` with its full-window context, in batches, with its position.

    Yields
    ------
    target_positions : (B,) int64, the targets' positions in `corpus.word_ids`
    target_ids : (B,) int32
    context_ids : (B, 2w) int32, 0 where masked
    context_mask : (B, 2w) bool
        Context = the words at distance 1..w on each side within the same sentence;
        targets with no such word are skipped.
    """
    word_ids = corpus.word_ids
    n_words = len(word_ids)
    sentence_of = np.repeat(np.arange(corpus.n_sentences), np.diff(corpus.sentence_offsets))
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])
    for start in range(0, n_words, batch_size):
        target_pos = np.arange(start, min(n_words, start + batch_size))
        position = target_pos[:, None] + offsets[None, :]
        in_range = (position >= 0) & (position < n_words)
        np.clip(position, 0, n_words - 1, out=position)
        context_mask = in_range & (sentence_of[position] == sentence_of[target_pos][:, None])
        has_context = context_mask.any(axis=1)
        if not has_context.any():
            continue
        context_mask = context_mask[has_context]
        context_ids = np.where(context_mask, word_ids[position[has_context]], 0).astype(np.int32)
        kept = target_pos[has_context]
        yield kept, word_ids[kept], context_ids, context_mask


def heldout_examples(
    corpus: EncodedCorpus, window: int, batch_size: int = 512
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every target of `corpus` with its full-window context, in batches
    (`full_window_examples` without the positions).

    Yields
    ------
    target_ids : (B,) int32
    context_ids : (B, 2w) int32, 0 where masked
    context_mask : (B, 2w) bool
        Context = the words at distance 1..w on each side within the same sentence;
        targets with no such word are skipped.
    """
    for _, target_ids, context_ids, context_mask in full_window_examples(corpus, window, batch_size):
        yield target_ids, context_ids, context_mask
