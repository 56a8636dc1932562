"""Corpora larger than memory: count words in bounded memory, encode into a memory-mapped file.

`cbow.data.encode.read_and_encode` reads once and keeps every token's id in RAM (4 bytes a
token plus its provisional dict): fast, and right for corpora that fit. For bigger ones
this module reads twice and holds only

- the word counts, at most `max_types` distinct words: when the table grows past that,
  words seen at most `min_reduce` times are dropped and `min_reduce` goes up by one, as
  word2vec.c's `ReduceVocab` does (the counts of words dropped and seen again later are
  underestimates; a warning says when this happened), and
- one block of ids at a time, appended to a raw int32 file that is then opened as an
  `np.memmap`: the OS pages the corpus in and out, so training memory no longer grows with it.

The second pass encodes with `cbow.data.encode`'s block reader, so the ids are exactly those
`encode_with_vocab` gives.
"""

from __future__ import annotations

import collections
import itertools
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Collection

import numpy as np

from cbow.data.corpus import CorpusStats, Source, check_max_sentence_length, describe_source, iter_text_blocks
from cbow.data.encode import EncodedCorpus, _iter_id_blocks
from cbow.errors import CorpusError
from cbow.data.heap import release_free_heap
from cbow.data.id_files import KeptIdsWriter, removed_on_failure
from cbow.data.not_text import MIN_VOCAB_SIZE, check_vocab_size
from cbow.data.tokenize import Tokenizer, get_tokenizer
from cbow.data.vocab import Vocab, check_vocab_settings
from cbow.wording import counted

logger = logging.getLogger(__name__)

# ~10M distinct words in a Counter take ~1.5 GB; word2vec.c prunes at 0.7 * 30M slots.
DEFAULT_MAX_TYPES = 10_000_000


@dataclass(frozen=True)
class WordCounts:
    """Counts of the distinct tokens of a corpus, in order of first appearance.

    Attributes
    ----------
    words : list of str
    counts : ndarray of int64, shape (len(words),)
    n_tokens : tokens read
    min_reduce : words seen at most `min_reduce - 1` times may have been pruned (1: none were)
    """

    words: list[str]
    counts: np.ndarray
    n_tokens: int
    min_reduce: int


def prune_counts(counter: collections.Counter, max_types: int, min_reduce: int,
                 spared: Collection[str] = ()) -> int:
    """Drop rare words until at most `max_types` remain (word2vec.c's ReduceVocab); return the new min_reduce.

    Each round drops every word counted <= min_reduce, then raises min_reduce by one;
    the words in `spared` (--keep-words) are never dropped.
    """
    while len(counter) > max_types:
        rare = [word for word, count in counter.items() if count <= min_reduce and word not in spared]
        if not rare and min_reduce > max(counter.values(), default=0):
            break  # only spared words are left above the limit
        for word in rare:
            del counter[word]
        min_reduce += 1
    return min_reduce


def count_words(
    source: Source,
    tokenizer: str | Tokenizer = "default",
    max_types: int = DEFAULT_MAX_TYPES,
    encoding_errors: str = "replace",
    spared: Collection[str] = (),
) -> WordCounts:
    """Count every token of `source` holding at most `max_types` distinct words in memory
    (the words in `spared`, --keep-words, are never pruned).

    Raises
    ------
    CorpusError : unreadable corpus or no token at all
    ConfigError : bad tokenizer
    """
    if max_types < 1:
        raise CorpusError(f"--max-types-in-memory must be >= 1, got {max_types}")
    tokenize = get_tokenizer(tokenizer)
    stats = CorpusStats()
    counter: collections.Counter[str] = collections.Counter()
    n_tokens, min_reduce = 0, 1
    for text, _ in iter_text_blocks(source, stats, None, encoding_errors):
        tokens = list(itertools.chain.from_iterable(map(tokenize, text.split("\n"))))
        n_tokens += len(tokens)
        counter.update(tokens)
        del tokens
        if len(counter) > max_types:
            min_reduce = prune_counts(counter, max_types, min_reduce, spared)
    if n_tokens == 0:
        raise CorpusError(
            f"{describe_source(source)}: no words found ({counted(stats.n_lines, 'line')} read); check the "
            "file and --tokenizer"
        )
    if min_reduce > 1:
        logger.warning(
            "%s: more than %d distinct words; words seen fewer than %d times were pruned while "
            "counting (as word2vec does), so some rare counts are low; raise --max-types-in-memory "
            "for exact counts", describe_source(source), max_types, min_reduce)
    counts = np.fromiter(counter.values(), dtype=np.int64, count=len(counter))
    return WordCounts(list(counter), counts, n_tokens, min_reduce)


def build_vocab_bounded(
    source: Source,
    tokenizer: str | Tokenizer = "default",
    min_count: int = 5,
    max_vocab: int | None = None,
    max_types: int = DEFAULT_MAX_TYPES,
    encoding_errors: str = "replace",
    min_vocab_size: int = MIN_VOCAB_SIZE,
    keep_words: Collection[str] | None = None,
) -> Vocab:
    """`Vocab.build` in bounded memory (see `count_words`); equal to it when nothing was pruned.

    Like `read_and_encode`, refuses fewer than `min_vocab_size` words (1 turns that off);
    `keep_words` are kept whenever they occur (--keep-words).
    """
    check_vocab_settings(min_count, max_vocab)
    word_counts = count_words(source, tokenizer, max_types, encoding_errors, keep_words or ())
    name = describe_source(source)
    vocab = Vocab.from_counts(word_counts.words, word_counts.counts, min_count, max_vocab, name=name,
                              keep_words=keep_words)
    check_vocab_size(vocab.words, len(word_counts.words), name, min_count, max_vocab, min_vocab_size)
    del word_counts
    release_free_heap()  # the counter of every distinct word: back to the OS (cbow.data.heap)
    return vocab


def encode_to_file(
    source: Source,
    vocab: Vocab,
    ids_path: str | os.PathLike,
    tokenizer: str | Tokenizer = "default",
    max_sentence_length: int = 10000,
    encoding_errors: str = "replace",
) -> EncodedCorpus:
    """Encode `source` with `vocab` into a raw int32 file; return it memory-mapped.

    Only one block of ids is in memory at a time (plus the sentence offsets, 8 bytes per
    sentence). The file at `ids_path` is the corpus' storage: keep it while the
    EncodedCorpus is in use and delete it afterwards. Make it with a fresh name
    (cbow.scratch.HeldFile, as `cbow train --low-memory` does): an existing file there is
    truncated, a symbolic link there refused, never followed.

    Returns
    -------
    EncodedCorpus whose `word_ids` is a read-only np.memmap of int32, shape (N,)

    Raises
    ------
    CorpusError : unreadable corpus, no token, or no token in `vocab`
    OutputError : `ids_path` cannot be written (disk full: the partial file is removed), or is
        a symbolic link
    """
    tokenize = get_tokenizer(tokenizer)
    check_max_sentence_length(max_sentence_length)
    name = describe_source(source)
    get_id = vocab.key_to_index.get

    def lookup(tokens):
        return map(get_id, tokens, itertools.repeat(-1))

    stats = CorpusStats()
    ids_path = Path(ids_path)
    with removed_on_failure(ids_path, "free space or choose another directory"):
        with _open_ids_file(ids_path) as ids_file:
            writer = KeptIdsWriter(ids_file)
            for ids, sentence_lengths in _iter_id_blocks(
                source, tokenize, lookup, max_sentence_length, stats, None, encoding_errors
            ):
                writer.write(ids, sentence_lengths)
    n_raw, n_kept = writer.n_raw, writer.n_kept
    if n_raw == 0 or n_kept == 0:
        ids_path.unlink(missing_ok=True)
        if n_raw == 0:
            raise CorpusError(f"{name}: no words found ({counted(stats.n_lines, 'line')} read); check the "
                              "file and --tokenizer")
        raise CorpusError(
            f"{name}: none of the {n_raw:,} tokens read is in the vocabulary ({len(vocab):,} "
            "words); check --tokenizer and that the vocabulary belongs to this corpus"
        )
    word_ids = np.memmap(ids_path, dtype="<i4", mode="r", shape=(n_kept,))
    offsets = writer.sentence_offsets()
    logger.info("%s: %d tokens, %d in the vocabulary; %d sentences (ids in %s)", name, n_raw,
                n_kept, len(offsets) - 1, ids_path)
    release_free_heap()  # the blocks' temporaries: back to the OS (cbow.data.heap)
    return EncodedCorpus(word_ids, offsets, n_raw)


def _open_ids_file(ids_path: Path):
    """`ids_path` opened for writing from its start; a symbolic link planted at that name is
    an error (ELOOP), not followed to whatever file it names."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    return os.fdopen(os.open(ids_path, flags, 0o600), "wb")
