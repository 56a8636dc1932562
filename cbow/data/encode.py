"""Text -> one flat int32 array of word ids plus int64 sentence offsets (OOV dropped).

`read_and_encode` makes the vocabulary and the encoded corpus in a single pass over the text,
so it works on stdin: each token gets a provisional id (its rank of first appearance) from a
dict, the provisional ids are stored as int32 blocks, and once the counts are known
(`np.bincount`) the vocabulary is chosen and the ids are remapped and filtered with numpy.
`encode_with_vocab` encodes text against a vocabulary already made (e.g. `Vocab.load`).

In general only the tokenizer and one dict lookup run per token in Python; the token lists
of a block die as soon as their ids are taken (keeping them alive would make the garbage
collector re-scan millions of strings), and everything after the lookups is vectorized.
ASCII text under the default tokenizer skips even that: see `_encode_ascii_block`.

A sentence is a line, or a 10,000-token piece of a longer line (`cbow.data.corpus`); sentences
whose words are all out of the vocabulary disappear, so every sentence of an
`EncodedCorpus` holds at least one word.
"""

from __future__ import annotations

import collections
import itertools
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Collection, Iterable, Iterator, Sequence

import numpy as np

from cbow.data.corpus import (
    CorpusStats,
    Source,
    check_max_sentence_length,
    describe_source,
    iter_text_blocks,
    iter_token_chunks,
    peek_sentences,
    split_sentences,
    total_size,
)
from cbow.errors import CorpusError
from cbow.data.heap import release_free_heap
from cbow.data.id_files import IdSpool, KeptIdsWriter, removed_on_failure, write_npy_header
from cbow.data.not_text import MIN_VOCAB_SIZE, check_vocab_size
from cbow.data.tokenize import Tokenizer, ascii_token_spans, get_tokenizer, tokenize_default
from cbow.data.vocab import Vocab, check_vocab_settings, keep_mask, select_words
from cbow.wording import counted

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class EncodedCorpus:
    """A corpus as word ids, sentence by sentence.

    Attributes
    ----------
    word_ids : ndarray of int32, shape (N,)
        Vocabulary ids of the corpus tokens in order, out-of-vocabulary tokens dropped.
    sentence_offsets : ndarray of int64, shape (S + 1,)
        Sentence s is ``word_ids[sentence_offsets[s]:sentence_offsets[s + 1]]``;
        ``sentence_offsets[0] == 0``, ``sentence_offsets[-1] == N``, strictly increasing
        (no empty sentence).
    n_raw_tokens : int
        Tokens read before dropping out-of-vocabulary ones (word2vec's "words" for
        words/s reporting).
    """

    word_ids: np.ndarray
    sentence_offsets: np.ndarray
    n_raw_tokens: int

    @property
    def n_sentences(self) -> int:
        """Number of sentences S."""
        return len(self.sentence_offsets) - 1

    @property
    def n_words(self) -> int:
        """Number of in-vocabulary tokens N."""
        return len(self.word_ids)

    def sentences(self) -> Iterator[np.ndarray]:
        """Yield each sentence's word ids (int32 views into `word_ids`)."""
        bounds = self.sentence_offsets.tolist()
        for start, stop in zip(bounds[:-1], bounds[1:]):
            yield self.word_ids[start:stop]


class _Progress:
    """A tqdm bar over the bytes of the corpus on stderr, or nothing."""

    def __init__(self, enabled: bool, source: Source) -> None:
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total_size(source),
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc="reading corpus",
                file=sys.stderr,
                leave=False,
            )

    def update(self, n_bytes: int) -> None:
        if self.bar is not None:
            self.bar.update(n_bytes)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    @property
    def callback(self) -> Callable[[int], None] | None:
        return self.update if self.bar is not None else None


# --- the ASCII fast path of the default tokenizer ----------------------------------------
#
# Per token, the general path makes a string and looks it up in a dict (~0.2 us each). For an
# ASCII block and the default tokenizer, `_encode_ascii_block` instead reads each word of up
# to 16 letters as two little-endian uint64 (its lowercased bytes, zero-padded: an exact key)
# and finds its id in a fixed-size numpy hash table, all vectorized. Only words missing from
# the table (new words, the rare ones whose slot is taken, words over 16 letters) go through
# strings and the id dict, once per distinct word per block, in order of first appearance,
# so ids come out exactly as on the general path (tested against it).

_TABLE_BITS = 20  # 2**20 slots x 24 bytes = 24 MiB
_BYTE_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)
_MIX_0 = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xC2B2AE3D27D4EB4F)
_ASCII_FAST_PATH = True  # tests turn it off to compare with the general path


def _mix(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """64-bit hash of (low, high) uint64 pairs (multiplications wrap modulo 2**64)."""
    return (low * _MIX_0) ^ (high * _MIX_1)


class _WordIdTable:
    """Open hash table (no probing) from a word's two uint64 keys to its id; a cache only.

    A slot holds the first word that hashed to it; the others are looked up by string.
    """

    def __init__(self) -> None:
        size = 1 << _TABLE_BITS
        self.low = np.zeros(size, dtype=np.uint64)  # 0 = empty: no word has a zero first byte
        self.high = np.zeros(size, dtype=np.uint64)
        self.ids = np.zeros(size, dtype=np.int64)

    @staticmethod
    def slots(hashes: np.ndarray) -> np.ndarray:
        return (hashes >> np.uint64(64 - _TABLE_BITS)).astype(np.intp)

    def insert(self, low: np.ndarray, high: np.ndarray, ids: np.ndarray) -> None:
        """Store the words whose slot is still empty (the first of each slot wins)."""
        slots = self.slots(_mix(low, high))
        free = self.low[slots] == 0
        slots, first = np.unique(slots[free], return_index=True)
        self.low[slots] = low[free][first]
        self.high[slots] = high[free][first]
        self.ids[slots] = ids[free][first]


def _encode_ascii_block(
    data: bytes,
    table: _WordIdTable,
    ids_of_words: Callable[[list[str]], Iterable[int]],
) -> tuple[np.ndarray, np.ndarray] | None:
    """Ids and line lengths of an ASCII block under the default tokenizer, vectorized.

    Parameters
    ----------
    data : bytes
        ASCII lines separated by ``b"\\n"``.
    table : _WordIdTable
        The id cache, shared by the blocks of one corpus; updated here.
    ids_of_words : callable
        Words -> ids, in order (giving new words new ids in that order, or -1 if it has
        a fixed vocabulary): the source of truth the table caches.

    Returns
    -------
    (ids, line_lengths) : ndarray of int32 (n_tokens,), ndarray of int64 (n_lines,)
        Or None in the astronomically unlikely case that two distinct missing words share
        a 64-bit hash; the caller then takes the general path for this block.
    """
    starts, ends, line_lengths = ascii_token_spans(data)
    n_bytes = len(data)
    lowered = np.zeros(n_bytes + 16, dtype=np.uint8)
    lowered[:n_bytes] = np.frombuffer(data, dtype=np.uint8) | np.uint8(0x20)
    # The 8 bytes starting at every offset, as little-endian uint64 (unaligned view).
    windows = np.ndarray(shape=(n_bytes + 8,), dtype="<u8", buffer=lowered, strides=(1,))
    lengths = ends - starts
    low = windows[starts] & _BYTE_MASKS[np.minimum(lengths, 8)]
    high = windows[starts + 8] & _BYTE_MASKS[np.clip(lengths - 8, 0, 8)]
    fits = lengths <= 16
    hashes = _mix(low, high)
    slots = table.slots(hashes)
    ids = table.ids[slots]
    found = (table.low[slots] == low) & (table.high[slots] == high) & fits
    missed = np.flatnonzero(~found & fits)
    long_at = np.flatnonzero(~fits)
    if missed.size == 0 and long_at.size == 0:
        return ids.astype(np.int32), line_lengths
    # Distinct missed words: group by hash, then check that the keys agree within groups.
    missed_hashes = hashes[missed]
    order = np.argsort(missed_hashes, kind="stable")
    sorted_hashes = missed_hashes[order]
    is_first = np.empty(len(order), dtype=bool)
    is_first[:1] = True
    np.not_equal(sorted_hashes[1:], sorted_hashes[:-1], out=is_first[1:])
    group_of = np.empty(len(order), dtype=np.intp)
    group_of[order] = np.cumsum(is_first) - 1
    first_missed = order[is_first]  # stable sort: each group's earliest token
    missed_low, missed_high = low[missed], high[missed]
    group_low, group_high = missed_low[first_missed], missed_high[first_missed]
    if not (
        np.array_equal(missed_low, group_low[group_of])
        and np.array_equal(missed_high, group_high[group_of])
    ):
        return None
    # Look the distinct missed words and every long token up by string, in corpus order.
    token_at = np.concatenate([missed[first_missed], long_at])
    sequence = np.argsort(token_at, kind="stable")
    ordered_at = token_at[sequence]
    words = [
        data[start:stop].decode("ascii").lower()
        for start, stop in zip(starts[ordered_at].tolist(), ends[ordered_at].tolist())
    ]
    looked_up = np.empty(len(token_at), dtype=np.int64)
    looked_up[sequence] = np.fromiter(ids_of_words(words), dtype=np.int64, count=len(words))
    group_ids = looked_up[: len(first_missed)]
    ids[missed] = group_ids[group_of]
    ids[long_at] = looked_up[len(first_missed):]
    table.insert(group_low, group_high, group_ids)
    return ids.astype(np.int32), line_lengths


# --- reading a corpus into ids --------------------------------------------------------------


def _iter_id_blocks(
    source: Source,
    tokenize: Tokenizer,
    ids_of_words: Callable[[Iterable[str]], Iterable[int]],
    max_sentence_length: int,
    stats: CorpusStats,
    on_bytes: Callable[[int], None] | None,
    encoding_errors: str = "replace",
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(ids, sentence_lengths)`` per block of the corpus.

    `ids_of_words` maps an iterable of tokens to an iterable of int ids (lazily, in order).
    The ids of a block are all its tokens in order (int32); the sentence lengths (int64)
    add up over the blocks to the number of ids (a sentence may start in an earlier block,
    see `cbow.data.corpus.split_sentences`).
    """
    line_counts: list[int] = []  # tokens per line of the current block

    def tokenize_and_count(line: str) -> list[str]:
        tokens = tokenize(line)
        line_counts.append(len(tokens))
        return tokens

    is_tokens, source = peek_sentences(source)
    if is_tokens:
        yield from _iter_token_id_blocks(source, tokenize, ids_of_words, max_sentence_length, stats)
        return
    table = _WordIdTable() if _ASCII_FAST_PATH and tokenize is tokenize_default else None
    carry = 0
    for text, open_end in iter_text_blocks(source, stats, on_bytes, encoding_errors):
        encoded = None
        if table is not None and text.isascii():  # O(1): CPython flags ASCII strings
            encoded = _encode_ascii_block(text.encode("ascii"), table, ids_of_words)
        if encoded is not None:
            ids, line_lengths = encoded
        else:
            line_counts.clear()
            # Lazy all the way: each line's token list is freed once its ids are taken.
            tokens = itertools.chain.from_iterable(map(tokenize_and_count, text.split("\n")))
            ids = np.fromiter(ids_of_words(tokens), dtype=np.int32)
            line_lengths = np.array(line_counts, dtype=np.int64)
        sentence_lengths, carry = split_sentences(
            line_lengths, open_end, carry, max_sentence_length
        )
        yield ids, sentence_lengths


def _iter_token_id_blocks(
    sentences: Iterable[Sequence[str]],
    tokenize: Tokenizer,
    ids_of_words: Callable[[Iterable[str]], Iterable[int]],
    max_sentence_length: int,
    stats: CorpusStats,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """`_iter_id_blocks` of a corpus of token lists: each sentence's tokens as they are (the
    tokenizer does not run), cut at `max_sentence_length` as a line would be; a phrase
    tokenizer (cbow.data.phrases.phrase_tokenizer) still joins its phrases. The ids are
    those of the same tokens written one sentence per line and read with the whitespace
    tokenizer."""
    join = getattr(tokenize, "join_tokens", None)
    for chunk in iter_token_chunks(sentences, stats):
        if join is not None:
            chunk = [join(sentence) for sentence in chunk]
        line_lengths = np.fromiter(map(len, chunk), dtype=np.int64, count=len(chunk))
        ids = np.fromiter(ids_of_words(itertools.chain.from_iterable(chunk)), dtype=np.int32)
        sentence_lengths, _ = split_sentences(line_lengths, False, 0, max_sentence_length)
        yield ids, sentence_lengths


def _read_ids(
    source: Source,
    tokenize: Tokenizer,
    ids_of_words: Callable[[Iterable[str]], Iterable[int]],
    max_sentence_length: int,
    progress: bool,
    encoding_errors: str = "replace",
) -> tuple[list[np.ndarray], np.ndarray, CorpusStats]:
    """Read the whole corpus: (int32 id blocks, int64 sentence lengths, stats)."""
    stats = CorpusStats()
    bar = _Progress(progress, source)
    id_blocks: list[np.ndarray] = []
    length_blocks: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    try:
        for ids, sentence_lengths in _iter_id_blocks(
            source, tokenize, ids_of_words, max_sentence_length, stats, bar.callback,
            encoding_errors,
        ):
            id_blocks.append(ids)
            length_blocks.append(sentence_lengths)
    finally:
        bar.close()
    return id_blocks, np.concatenate(length_blocks), stats


_TRIM_EVERY = 16  # blocks copied by _keep_ids between two release_free_heap calls


def _keep_ids(
    id_blocks: list[np.ndarray],
    sentence_lengths: np.ndarray,
    final_id: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Join the id blocks, dropping ids < 0 and the sentences left empty.

    Parameters
    ----------
    id_blocks : list of ndarray of int32
        Ids of all tokens, block by block; the list is emptied as the blocks are copied, and
        the freed blocks are handed back to the OS every `_TRIM_EVERY` blocks (malloc keeps
        them otherwise, cbow.data.heap), so the peak is about one copy of the corpus ids and
        `_TRIM_EVERY` blocks, not two copies.
    sentence_lengths : ndarray of int64, shape (S,)
        Tokens per sentence, summing to the total length of the blocks.
    final_id : ndarray of int32, optional
        Applied first: id -> final id (-1 drops the token).

    Returns
    -------
    word_ids : ndarray of int32, shape (N,)
    sentence_offsets : ndarray of int64, shape (S' + 1,)
    """
    n_kept = 0
    for block in id_blocks:
        if final_id is not None:
            block[:] = final_id[block]
        n_kept += int(np.count_nonzero(block >= 0))
    word_ids = np.empty(n_kept, dtype=np.int32)
    sentence_ends = np.cumsum(sentence_lengths)  # token index after each sentence
    kept_at_end = np.empty(len(sentence_ends), dtype=np.int64)  # kept ids up to each end
    n_out = start = n_done = 0
    id_blocks.reverse()
    n_copied = 0
    while id_blocks:
        block = id_blocks.pop()  # freed once copied
        n_copied += 1
        if n_copied % _TRIM_EVERY == 0:
            release_free_heap()
        keep = block >= 0
        kept_so_far = np.cumsum(keep, dtype=np.int64)
        stop = start + len(block)
        n_ended = int(np.searchsorted(sentence_ends, stop, side="right"))
        ends_here = sentence_ends[n_done:n_ended] - 1 - start  # last token of each sentence
        kept_at_end[n_done:n_ended] = n_out + kept_so_far[ends_here]
        kept = block[keep]
        word_ids[n_out:n_out + len(kept)] = kept
        n_out += len(kept)
        start, n_done = stop, n_ended
    nonempty = np.diff(kept_at_end, prepend=0) > 0
    offsets = np.concatenate([np.zeros(1, dtype=np.int64), kept_at_end[nonempty]])
    return word_ids, offsets


def _no_words_error(name: str, stats: CorpusStats) -> CorpusError:
    return CorpusError(
        f"{name}: no words found ({counted(stats.n_lines, 'line')} read); check the file and --tokenizer"
    )


def read_and_encode(
    source: Source,
    tokenizer: str | Tokenizer = "default",
    min_count: int = 5,
    max_vocab: int | None = None,
    max_sentence_length: int = 10000,
    progress: bool = False,
    encoding_errors: str = "replace",
    ids_path: str | os.PathLike | None = None,
    min_vocab_size: int = MIN_VOCAB_SIZE,
    keep_words: Collection[str] | None = None,
) -> tuple[Vocab, EncodedCorpus]:
    """Read a corpus once: build its vocabulary and encode it as word ids.

    Parameters
    ----------
    source : str, os.PathLike, iterable of str or of token lists
        A text file (plain, ``.gz``, ``.bz2``, ``.xz``), a directory of them, ``"-"`` for
        stdin, lines in memory, or sentences as lists of str tokens, taken as they are
        (see `cbow.data.corpus`). Read once: a one-shot generator will do.
    tokenizer : str or callable, default "default"
        See `cbow.data.tokenize.get_tokenizer`.
    min_count : int, default 5
        Words occurring fewer times are dropped (word2vec.c `-min-count`).
    max_vocab : int, optional
        Keep only this many of the most frequent words (ties: the first seen).
    max_sentence_length : int, default 10000
        Longer lines are cut into sentences of this many tokens.
    progress : bool, default False
        Show a tqdm bar of the bytes read on stderr.
    encoding_errors : {"replace", "strict"}, default "replace"
        Bytes that are not UTF-8 (see `cbow.data.corpus.iter_text_blocks`).
    ids_path : path, optional
        Write the ids to this `.npy` file instead of memory (`cbow.data.id_files`): the provisional
        ids are spooled beside it (``<ids_path>.spool``, removed before returning) and
        `corpus.word_ids` comes back memory-mapped, so the reading pass never holds the
        corpus' ids in RAM. The caller owns the file.
    min_vocab_size : int, default 5 (`cbow.data.not_text.MIN_VOCAB_SIZE`)
        Fewer vocabulary words than this is refused (`cbow.data.not_text.check_vocab_size`):
        the input is not running text, or `min_count` is too high for it. 1 turns it off.
    keep_words : collection of str, optional
        Words kept whenever they occur, past `min_count` and `max_vocab` (--keep-words).

    Returns
    -------
    vocab : Vocab
        The kept words, by count descending (ties: first seen).
    corpus : EncodedCorpus
        The text as ids of `vocab`; dropped words removed, sentences kept in order.

    Raises
    ------
    CorpusError
        The corpus cannot be read, holds no token at all, or starts like a vectors file.
    VocabError
        No word occurs `min_count` times, or fewer than `min_vocab_size` words are kept.
    ConfigError
        Bad tokenizer, `min_count`, `max_vocab` or `max_sentence_length`.
    OutputError
        `ids_path` cannot be written (nothing is left behind).
    """
    tokenize = get_tokenizer(tokenizer)
    check_max_sentence_length(max_sentence_length)
    check_vocab_settings(min_count, max_vocab)
    if ids_path is not None:
        return _read_and_encode_to_file(source, tokenize, min_count, max_vocab, max_sentence_length,
                                        progress, encoding_errors, Path(ids_path), min_vocab_size, keep_words)
    name = describe_source(source)
    # token -> provisional id, in order of first appearance
    provisional = collections.defaultdict(itertools.count().__next__)
    get_id = provisional.__getitem__

    def lookup(tokens: Iterable[str]) -> Iterator[int]:
        return map(get_id, tokens)

    id_blocks, sentence_lengths, stats = _read_ids(
        source, tokenize, lookup, max_sentence_length, progress, encoding_errors
    )
    n_raw_tokens = int(sentence_lengths.sum())
    if n_raw_tokens == 0:
        raise _no_words_error(name, stats)
    counts = np.zeros(len(provisional), dtype=np.int64)
    for block in id_blocks:
        counts += np.bincount(block, minlength=len(provisional))
    words = list(provisional)  # provisional id order = first seen
    del provisional, get_id, lookup  # the dict is no longer needed
    vocab = Vocab.from_counts(words, counts, min_count, max_vocab, name=name, keep_words=keep_words)
    check_vocab_size(vocab.words, len(words), name, min_count, max_vocab, min_vocab_size)
    _report_missing_keep_words(keep_words, vocab, name)
    # provisional id -> final id, -1 for dropped words
    kept = select_words(counts, min_count, max_vocab, keep_mask(words, keep_words))
    final_id = np.full(len(words), -1, dtype=np.int32)
    final_id[kept] = np.arange(len(kept), dtype=np.int32)
    word_ids, offsets = _keep_ids(id_blocks, sentence_lengths, final_id)
    logger.info(
        "%s: %d tokens, %d distinct, %d kept in the vocabulary (min_count %d); %d sentences",
        name,
        n_raw_tokens,
        len(words),
        len(vocab),
        min_count,
        len(offsets) - 1,
    )
    del words, counts, final_id
    release_free_heap()  # the blocks' temporaries and the dict: back to the OS (cbow.data.heap)
    return vocab, EncodedCorpus(word_ids, offsets, n_raw_tokens)


def _read_and_encode_to_file(
    source: Source, tokenize: Tokenizer, min_count: int, max_vocab: int | None,
    max_sentence_length: int, progress: bool, encoding_errors: str, ids_path: Path, min_vocab_size: int,
    keep_words: Collection[str] | None = None,
) -> tuple[Vocab, EncodedCorpus]:
    """`read_and_encode` through files: the same vocabulary and ids, one block in RAM."""
    name = describe_source(source)
    provisional = collections.defaultdict(itertools.count().__next__)
    get_id = provisional.__getitem__

    def lookup(tokens: Iterable[str]) -> Iterator[int]:
        return map(get_id, tokens)

    stats = CorpusStats()
    bar = _Progress(progress, source)
    length_blocks: list[np.ndarray] = []
    with removed_on_failure(ids_path, "free space, or pass --no-cache"):
        with IdSpool(ids_path.with_name(ids_path.name + ".spool")) as spool:
            try:
                for ids, sentence_lengths in _iter_id_blocks(
                    source, tokenize, lookup, max_sentence_length, stats, bar.callback, encoding_errors
                ):
                    spool.append(ids)
                    length_blocks.append(sentence_lengths)
            finally:
                bar.close()
            n_raw_tokens = int(sum(int(lengths.sum()) for lengths in length_blocks))
            if n_raw_tokens == 0:
                raise _no_words_error(name, stats)
            counts = np.zeros(len(provisional), dtype=np.int64)
            for block in spool.blocks():
                counts += np.bincount(block, minlength=len(provisional))
            words = list(provisional)
            del provisional, get_id, lookup
            vocab = Vocab.from_counts(words, counts, min_count, max_vocab, name=name, keep_words=keep_words)
            check_vocab_size(vocab.words, len(words), name, min_count, max_vocab, min_vocab_size)
            _report_missing_keep_words(keep_words, vocab, name)
            kept = select_words(counts, min_count, max_vocab, keep_mask(words, keep_words))
            final_id = np.full(len(words), -1, dtype=np.int32)
            final_id[kept] = np.arange(len(kept), dtype=np.int32)
            with open(ids_path, "wb") as ids_file:
                write_npy_header(ids_file, int(counts[kept].sum()))
                writer = KeptIdsWriter(ids_file)
                for block, sentence_lengths in zip(spool.blocks(), length_blocks):
                    writer.write(final_id[block], sentence_lengths)
    offsets = writer.sentence_offsets()
    logger.info("%s: %d tokens, %d distinct, %d kept in the vocabulary (min_count %d); %d sentences",
                name, n_raw_tokens, len(words), len(vocab), min_count, len(offsets) - 1)
    del words, counts, final_id, length_blocks
    release_free_heap()  # the blocks' temporaries and the dict: back to the OS (cbow.data.heap)
    return vocab, EncodedCorpus(np.load(ids_path, mmap_mode="r"), offsets, n_raw_tokens)


def remap_corpus(corpus: EncodedCorpus, new_id: np.ndarray) -> EncodedCorpus:
    """`corpus` with every id i replaced by new_id[i]: tokens mapped to -1 are dropped, and
    the sentences they leave empty (as encoding drops out-of-vocabulary words).

    Parameters
    ----------
    corpus : the encoded corpus (its ids may be memory-mapped; they are copied)
    new_id : (V_old,) int32, the new id of each old id, or -1

    Returns
    -------
    EncodedCorpus in memory, the same `n_raw_tokens`
    """
    lengths = np.diff(np.asarray(corpus.sentence_offsets, dtype=np.int64))
    word_ids, offsets = _keep_ids([np.array(corpus.word_ids, dtype=np.int32)], lengths,
                                  np.asarray(new_id, dtype=np.int32))
    return EncodedCorpus(word_ids, offsets, corpus.n_raw_tokens)


def _report_missing_keep_words(keep_words: Collection[str] | None, vocab: Vocab, name: str) -> None:
    """Warn about --keep-words that never occur in the corpus (a typo, or a word the
    tokenizer spells otherwise: the default one lowercases)."""
    if not keep_words:
        return
    missing = sorted(word for word in keep_words if word not in vocab)
    if missing:
        shown = ", ".join(repr(word) for word in missing[:5]) + (", ..." if len(missing) > 5 else "")
        logger.warning("%s: %s of the --keep-words never occur in the corpus (%s); list them as the tokenizer "
                       "writes them (the default one lowercases)", name, counted(len(missing), "word"), shown)


def encode_with_vocab(
    source: Source,
    vocab: Vocab,
    tokenizer: str | Tokenizer = "default",
    max_sentence_length: int = 10000,
    progress: bool = False,
    encoding_errors: str = "replace",
) -> EncodedCorpus:
    """Encode a corpus with a vocabulary made beforehand (e.g. loaded with `Vocab.load`).

    Parameters
    ----------
    source : str, os.PathLike, iterable of str or of token lists
        As in `read_and_encode`.
    vocab : Vocab
        Tokens not in it are dropped.
    tokenizer : str or callable, default "default"
        Should be the one the vocabulary was made with.
    max_sentence_length : int, default 10000
        Longer lines are cut into sentences of this many tokens.
    progress : bool, default False
        Show a tqdm bar of the bytes read on stderr.
    encoding_errors : {"replace", "strict"}, default "replace"
        Bytes that are not UTF-8 (see `cbow.data.corpus.iter_text_blocks`).

    Returns
    -------
    EncodedCorpus

    Raises
    ------
    CorpusError
        The corpus cannot be read, holds no token, or none of its tokens is in `vocab`.
    """
    tokenize = get_tokenizer(tokenizer)
    check_max_sentence_length(max_sentence_length)
    name = describe_source(source)
    get_id = vocab.key_to_index.get

    def lookup(tokens: Iterable[str]) -> Iterator[int]:
        return map(get_id, tokens, itertools.repeat(-1))

    id_blocks, sentence_lengths, stats = _read_ids(
        source, tokenize, lookup, max_sentence_length, progress, encoding_errors
    )
    n_raw_tokens = int(sentence_lengths.sum())
    if n_raw_tokens == 0:
        raise _no_words_error(name, stats)
    word_ids, offsets = _keep_ids(id_blocks, sentence_lengths)
    if len(word_ids) == 0:
        raise CorpusError(
            f"{name}: none of the {n_raw_tokens:,} tokens read is in the vocabulary "
            f"({len(vocab):,} words); check --tokenizer and that the vocabulary belongs to "
            "this corpus"
        )
    logger.info(
        "%s: %d tokens, %d in the vocabulary; %d sentences",
        name,
        n_raw_tokens,
        len(word_ids),
        len(offsets) - 1,
    )
    release_free_heap()  # the blocks' temporaries: back to the OS (cbow.data.heap)
    return EncodedCorpus(word_ids, offsets, n_raw_tokens)
