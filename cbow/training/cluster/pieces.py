"""The corpus in pieces, read on the nodes: byte ranges counted in parallel, then encoded shards.

A piece is a newline-aligned byte range of a plain file (several per file larger than
`PIECE_BYTES`), or a whole compressed file (gzip, bzip2 and xz streams cannot be entered
in the middle: one piece per file; a single .gz corpus is read by one task and its ids
then cut between the nodes). The pieces of a corpus, in order, are its text: a directory's
files in sorted order, each file's ranges in order.

Newline alignment. Piece k of a file is given the nominal range [start_k, stop_k); it
holds the lines whose first byte lies in it. A line starts at byte 0 or right after a
"\\n", so piece k reads from the first line start at or after start_k (the first "\\n" at
or after start_k - 1, plus one) up to the first line start at or after stop_k, which is
where piece k + 1 begins: every line is read once, whole. (A piece other than the first
also reads that "\\n" itself, an empty line that yields nothing, so a byte-order mark in
the middle of a file is not taken for one at its start.) A file without newlines is one
piece. Lines reach the tokenizer exactly as `cbow.data.corpus` reads them (decoding, CR
LF, the NUL and UTF-8 checks; an error names the piece's first byte); a line longer than
the reader's block is joined back, so its sentence cuts (every --max-sentence-length
tokens) fall where one machine puts them.

What each piece gives:

    read_piece      its words (ids of a vocabulary of its own, in first-seen order), its
                    sentences, its raw token count: `read_and_encode` with min_count 1
    count_summary   the words in order of first appearance with their counts
    merge_counts    two summaries of consecutive text into one: the first's words, then
                    the second's new words, each in order, counts added. Associative, so
                    the client reduces the pieces' summaries pairwise in a tree, and the
                    order of first appearance over the whole corpus comes out exactly
    vocab_from_counts   `Vocab.from_counts` of the total: the same min-count, max-vocab and
                    tie rule as one machine (count descending, the word seen first first),
                    so vocabulary and ids equal the single-machine ones
    remap_piece     the piece's ids in the run's vocabulary; out-of-vocabulary words and the
                    sentences they leave empty are dropped, as `encode` does
    assemble_shard  a node's sentences: its segments of the remapped pieces, in order, minus
                    the --holdout sentences, which it keeps apart for the client
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

# the single reader's own pieces, so a piece reads exactly as the whole file does
from cbow.data.corpus import (
    _COMPRESSED, _READ_ERRORS, CorpusStats, _iter_text_pieces, iter_text_blocks, list_corpus_files,
)
from cbow.data.encode import EncodedCorpus, read_and_encode
from cbow.data.not_text import check_vocab_size
from cbow.data.vocab import Vocab
from cbow.errors import CorpusError
from cbow.training.cluster.node import NodeShard

PIECE_BYTES = 64 << 20  # nominal bytes of a plain file's piece
_SCAN_BYTES = 1 << 16  # read this much at a time while looking for a newline


@dataclass(frozen=True)
class Piece:
    """A stretch of the corpus read by one task.

    Attributes
    ----------
    index : position in the corpus's order of pieces
    path : the file (absolute)
    start, stop : the nominal byte range of a plain file (module docstring); (0, None)
        for a whole file
    size : bytes on disk it spans (compressed size for a compressed file): for balancing
    """

    index: int
    path: str
    start: int
    stop: int | None
    size: int

    @property
    def name(self) -> str:
        """The piece in messages: the file, and where the range starts."""
        return self.path if self.start == 0 else f"{self.path} (from byte {self.start:,})"


def plan_pieces(source: str, piece_bytes: int = PIECE_BYTES) -> list[Piece]:
    """The pieces of a file or directory corpus, in order (runs on a node: it only stats).

    Raises
    ------
    CorpusError : no such path, or an empty directory
    """
    pieces = []
    for path in list_corpus_files(source):
        size = path.stat().st_size
        if path.suffix.lower() in _COMPRESSED or size <= piece_bytes:
            pieces.append(Piece(len(pieces), str(path), 0, None, size))
            continue
        n_ranges = math.ceil(size / piece_bytes)
        bounds = [size * k // n_ranges for k in range(n_ranges + 1)]
        for start, stop in zip(bounds[:-1], bounds[1:]):
            pieces.append(Piece(len(pieces), str(path), start, stop if stop < size else None, stop - start))
    return pieces


def _line_start_at_or_after(handle, position: int) -> int:
    """The first byte at or after `position` that starts a line (0, or one past a "\\n");
    the file's size when none does."""
    if position <= 0:
        return 0
    handle.seek(position - 1)
    offset = position - 1
    while True:
        chunk = handle.read(_SCAN_BYTES)
        if not chunk:
            return offset
        found = chunk.find(b"\n")
        if found >= 0:
            return offset + found + 1
        offset += len(chunk)


class _RangeReader:
    """Bytes [begin, end) of an open file, as a stream with `read(size)`."""

    def __init__(self, handle, begin: int, end: int) -> None:
        self.handle, self.remaining = handle, end - begin
        handle.seek(begin)

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        size = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = self.handle.read(size)
        self.remaining -= len(data)
        return data


class PieceLines:
    """The lines of a piece, as `cbow.data.corpus` would read them; an iterable of str.

    `finished` tells, after iterating, whether the whole piece was read (a CorpusError from
    `read_and_encode` after that means the piece holds no word, not that it is unreadable).
    """

    def __init__(self, piece: Piece, encoding_errors: str) -> None:
        self.piece, self.encoding_errors = piece, encoding_errors
        self.finished = False

    def __iter__(self) -> Iterator[str]:
        pending = ""  # the head of a line longer than the reader's block
        for text, open_end in self._blocks():
            if pending:
                text = pending + " " + text  # the reader cut the line at a whitespace byte it dropped
                pending = ""
            if open_end:
                pending = text
                continue
            yield from text.split("\n")
        if pending:
            yield pending
        self.finished = True

    def _blocks(self) -> Iterator[tuple[str, bool]]:
        piece = self.piece
        if piece.stop is None and piece.start == 0:
            yield from iter_text_blocks(piece.path, encoding_errors=self.encoding_errors)
            return
        try:
            with open(piece.path, "rb") as handle:
                begin = _line_start_at_or_after(handle, piece.start)
                end = (os.fstat(handle.fileno()).st_size if piece.stop is None
                       else _line_start_at_or_after(handle, piece.stop))
                if begin >= end:
                    return
                if begin > 0:
                    begin -= 1  # read the "\n" before the first line too (module docstring)
                stream = _RangeReader(handle, begin, end)
                yield from _iter_text_pieces(stream, piece.name, CorpusStats(), None, None, self.encoding_errors)
        except FileNotFoundError:
            raise CorpusError(f"{piece.path}: no such file or directory; check the path") from None
        except _READ_ERRORS as error:
            raise CorpusError(f"{piece.name}: cannot read ({getattr(error, 'strerror', None) or error}); "
                              "check the file and its permissions") from None


@dataclass
class PieceData:
    """A piece read and encoded with a vocabulary of its own (`read_piece`).

    Attributes
    ----------
    index : the piece's position
    words : its distinct words, by count (the ids of `corpus` index them)
    counts : (len(words),) int64
    first_seen : (len(words),) int64, the order of first appearance: words[first_seen[0]]
        came first
    corpus : the piece as ids into `words`
    """

    index: int
    words: list[str]
    counts: np.ndarray
    first_seen: np.ndarray
    corpus: EncodedCorpus


@dataclass
class CountSummary:
    """Words in order of first appearance in a stretch of text, with their counts."""

    words: list[str]
    counts: np.ndarray
    n_tokens: int


def read_piece(piece: Piece, tokenizer: str, max_sentence_length: int, encoding_errors: str) -> PieceData:
    """Read, count and encode one piece (runs on a node).

    Raises
    ------
    CorpusError : the piece cannot be read or decoded (the message names it)
    """
    lines = PieceLines(piece, encoding_errors)
    try:
        # a piece is a fragment: the vocabulary-size check belongs to the whole corpus (vocab_from_counts)
        vocab, corpus = read_and_encode(lines, tokenizer, min_count=1, max_sentence_length=max_sentence_length,
                                        encoding_errors=encoding_errors, min_vocab_size=1)
    except CorpusError:
        if not lines.finished:
            raise
        # read whole but no token in it (blank or punctuation-only lines)
        empty = EncodedCorpus(np.zeros(0, dtype=np.int32), np.zeros(1, dtype=np.int64), 0)
        return PieceData(piece.index, [], np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), empty)
    _, first_position = np.unique(corpus.word_ids, return_index=True)  # every word occurs: min_count 1
    first_seen = np.argsort(first_position, kind="stable")
    return PieceData(piece.index, list(vocab.words), np.asarray(vocab.counts), first_seen, corpus)


def count_summary(data: PieceData) -> CountSummary:
    """The piece's words in order of first appearance, with their counts."""
    order = data.first_seen.tolist()
    return CountSummary([data.words[i] for i in order], data.counts[data.first_seen], data.corpus.n_raw_tokens)


def merge_counts(first: CountSummary, second: CountSummary) -> CountSummary:
    """The summary of `first`'s text followed by `second`'s (module docstring)."""
    index = {word: i for i, word in enumerate(first.words)}
    words = list(first.words)
    added: list[int] = []
    second_to_merged = np.empty(len(second.words), dtype=np.int64)
    for i, word in enumerate(second.words):
        position = index.get(word)
        if position is None:
            position = index[word] = len(words)
            words.append(word)
            added.append(i)
        second_to_merged[i] = position
    counts = np.zeros(len(words), dtype=np.int64)
    counts[:len(first.words)] = first.counts
    np.add.at(counts, second_to_merged, second.counts)
    return CountSummary(words, counts, first.n_tokens + second.n_tokens)


def vocab_from_counts(total: CountSummary, min_count: int, max_vocab: int | None, name: str) -> Vocab:
    """The run's vocabulary from the whole corpus's counts: `Vocab.from_counts`, as one machine."""
    vocab = Vocab.from_counts(total.words, total.counts, min_count, max_vocab, name=name)
    check_vocab_size(vocab.words, len(total.words), name, min_count, max_vocab)
    return vocab


@dataclass
class EncodedPiece:
    """A piece in the run's vocabulary, with what the client needs to know of it."""

    index: int
    corpus: EncodedCorpus
    digest: str  # sha256 of its ids and sentence offsets

    @property
    def summary(self) -> tuple[int, int, int, str]:
        """(words, sentences, raw tokens, digest): what the client gathers."""
        corpus = self.corpus
        return corpus.n_words, corpus.n_sentences, corpus.n_raw_tokens, self.digest


def remap_piece(data: PieceData, vocab: Vocab) -> EncodedPiece:
    """The piece's ids in `vocab`; dropped words and emptied sentences removed (as `encode`)."""
    index = vocab.key_to_index
    to_run = np.fromiter((index.get(word, -1) for word in data.words), dtype=np.int32, count=len(data.words))
    local = data.corpus
    ids = to_run[local.word_ids] if len(local.word_ids) else np.zeros(0, dtype=np.int32)
    keep = ids >= 0
    lengths = np.diff(local.sentence_offsets)
    sentence_of = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    kept_lengths = np.bincount(sentence_of[keep], minlength=len(lengths))
    offsets = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(kept_lengths[kept_lengths > 0])])
    corpus = EncodedCorpus(np.ascontiguousarray(ids[keep], dtype=np.int32), offsets.astype(np.int64),
                           local.n_raw_tokens)
    return EncodedPiece(data.index, corpus, corpus_digest(corpus))


def corpus_digest(corpus: EncodedCorpus) -> str:
    """sha256 of the ids (int32 little-endian) and the sentence offsets (int64)."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(corpus.word_ids, dtype="<i4"))
    digest.update(np.ascontiguousarray(corpus.sentence_offsets, dtype="<i8"))
    return digest.hexdigest()


def sentence_cut(piece: EncodedPiece, words: int) -> int:
    """The first sentence of `piece` starting at or after its word `words` (a node boundary)."""
    return int(np.searchsorted(piece.corpus.sentence_offsets, words, side="left"))


def take_sentences(corpus: EncodedCorpus, first: int, stop: int) -> EncodedCorpus:
    """Sentences [first, stop) of `corpus` as a corpus of their own (ids copied)."""
    offsets = corpus.sentence_offsets
    begin, end = int(offsets[first]), int(offsets[stop])
    return EncodedCorpus(np.array(corpus.word_ids[begin:end], dtype=np.int32),
                         np.asarray(offsets[first:stop + 1], dtype=np.int64) - begin, 0)


def concatenate(parts: list[EncodedCorpus], n_raw_tokens: int) -> EncodedCorpus:
    """The sentences of `parts`, in order, as one corpus."""
    parts = [part for part in parts if part.n_sentences]
    if not parts:
        return EncodedCorpus(np.zeros(0, dtype=np.int32), np.zeros(1, dtype=np.int64), n_raw_tokens)
    word_ids = np.concatenate([part.word_ids for part in parts]).astype(np.int32, copy=False)
    starts = np.cumsum([0] + [part.n_words for part in parts[:-1]])
    offsets = np.concatenate([np.zeros(1, dtype=np.int64)]
                             + [part.sentence_offsets[1:] + start for part, start in zip(parts, starts)])
    return EncodedCorpus(word_ids, offsets.astype(np.int64), n_raw_tokens)


def split_sentences_off(corpus: EncodedCorpus, chosen: np.ndarray) -> tuple[EncodedCorpus, EncodedCorpus]:
    """(the sentences not in `chosen`, those in it), each in order: `chosen` sorted local ids."""
    is_chosen = np.zeros(corpus.n_sentences, dtype=bool)
    is_chosen[chosen] = True
    return _subset(corpus, np.flatnonzero(~is_chosen)), _subset(corpus, np.flatnonzero(is_chosen))


def _subset(corpus: EncodedCorpus, sentence_index: np.ndarray) -> EncodedCorpus:
    offsets = corpus.sentence_offsets
    lengths = (offsets[1:] - offsets[:-1])[sentence_index]
    new_offsets = np.zeros(len(sentence_index) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    starts = np.repeat(offsets[:-1][sentence_index], lengths)
    within = np.arange(new_offsets[-1], dtype=np.int64) - np.repeat(new_offsets[:-1], lengths)
    return EncodedCorpus(np.asarray(corpus.word_ids[starts + within], dtype=np.int32), new_offsets, 0)


def assemble_shard(node: int, vocab: Vocab, segments: list[tuple[int, int]], heldout: np.ndarray | None,
                   *pieces: EncodedPiece) -> NodeShard:
    """Node `node`'s shard: sentences `segments[i]` = (first, stop) of `pieces[i]`, in order,
    without the sentences `heldout` (sorted ids within the shard), kept apart."""
    parts = [take_sentences(piece.corpus, first, stop) for piece, (first, stop) in zip(pieces, segments)]
    corpus = concatenate(parts, 0)
    held = None
    if heldout is not None and len(heldout):
        corpus, held = split_sentences_off(corpus, heldout)
    return NodeShard(node, corpus, vocab, held)


def make_shard(node: int, vocab: Vocab, word_ids: np.ndarray, sentence_offsets: np.ndarray) -> NodeShard:
    """A node's shard from ids the client encoded itself (lines in memory, stdin, a given corpus)."""
    return NodeShard(node, EncodedCorpus(word_ids, sentence_offsets, 0), vocab)


def shard_heldout(shard: NodeShard) -> EncodedCorpus | None:
    """The shard's --holdout sentences (for the client)."""
    return shard.heldout


def shard_size(shard: NodeShard) -> tuple[int, int]:
    """(training words, sentences) of a shard."""
    return shard.corpus.n_words, shard.corpus.n_sentences
