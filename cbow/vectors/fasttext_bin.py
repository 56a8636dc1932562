"""Facebook fastText's model file (.bin): read and write word-vector models, not quantized.

The layout, as fastText 0.9 writes it (src/fasttext.cc saveModel, src/args.cc save,
src/dictionary.cc save, src/densematrix.cc save), little-endian throughout:

    int32 magic 793712314, int32 version 12 (version 11 files are read too)
    args        int32 dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn,
                maxn, lrUpdateRate; float64 t
                (loss: 1 hs, 2 ns, 3 softmax, 4 one-vs-all; model: 1 cbow, 2 skipgram, 3 supervised)
    dictionary  int32 size, nwords, nlabels; int64 ntokens, pruneidx_size (-1: not pruned);
                size entries, each the word's bytes, a 0 byte, int64 count, int8 type
                (0 word, 1 label); pruneidx_size pairs of int32 (quantized models only)
    input       bool quantized (0); int64 rows = nwords + bucket, int64 cols = dim, then the
                rows * cols float32 values row by row: the word rows, then the bucket rows
    output      bool qout; int64 rows = nwords, int64 cols = dim, rows * cols float32

Reading is bounded: every count in a header is checked against the bytes the file holds
before anything is allocated, every field against its range, and the matrices against
the header (shape, finite values); a quantized model (.ftz), a supervised one (labels, a
classifier) or a newer version is refused in one line. A word whose bytes are not UTF-8
(fastText stores bytes) is kept with them as surrogate escapes, so its n-grams hash the
bytes fastText hashed. The matrices of an uncompressed file can be memory-mapped; a
gzipped file (.bin.gz, as gensim reads) is read whole. Writing goes through
cbow.atomic: a temporary file beside the target, renamed into place.
"""

from __future__ import annotations

import array
import gzip
import logging
import math
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from cbow.data.subwords import MAX_ROWS, word_bytes
from cbow.errors import FormatError
from cbow.vectors.fasttext_args import LOSSES, MODELS, FastTextArgs
from cbow.vectors.format_names import OutputFormat, open_output

logger = logging.getLogger(__name__)

MAGIC = 793712314
VERSION = 12
READ_VERSIONS = (11, 12)
_ARGS = struct.Struct("<12id")
_DICT_HEADER = struct.Struct("<3i2q")
_MATRIX_HEADER = struct.Struct("<2q")
_ENTRY_TAIL = struct.Struct("<qb")
MAX_WORD_BYTES = 1 << 16  # a longer word means a corrupt dictionary (fastText's own are tokens)
_READ_CHUNK = 1 << 20
_WRITE_ROWS_BYTES = 1 << 24  # matrix bytes written at a time (no copy of a whole memory map)


@dataclass
class FastTextModel:
    """What a fastText .bin holds (unsupervised, not quantized).

    Attributes
    ----------
    args : the training arguments (args.bucket rows of n-grams follow the words)
    words : the nwords words, in the file's order (most frequent first)
    counts : (nwords,) int64 their counts
    ntokens : tokens of the training text (fastText's Dictionary::ntokens)
    input_matrix : (nwords + args.bucket, args.dim) float32: word rows, then bucket rows
    output_matrix : (nwords, args.dim) float32, the output layer (zero when unknown)
    version : the file's format version (12 when written here)
    """

    args: FastTextArgs
    words: list[str]
    counts: np.ndarray
    ntokens: int
    input_matrix: np.ndarray
    output_matrix: np.ndarray
    version: int = VERSION


def is_fasttext_bin(path: str | Path) -> bool:
    """True when the file begins with fastText's magic number (also inside gzip); reads 4 bytes."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
            if head[:2] == b"\x1f\x8b":
                handle.seek(0)
                with gzip.GzipFile(fileobj=handle) as unzipped:
                    head = unzipped.read(4)
    except (OSError, EOFError, zlib.error):
        return False
    return len(head) == 4 and struct.unpack("<i", head)[0] == MAGIC


class _Stream:
    """Bounded reads from the file: exact sizes or a FormatError naming the byte offset."""

    def __init__(self, path: Path, handle: BinaryIO, size: int | None) -> None:
        self.path, self.handle, self.size = path, handle, size  # size: None when gzipped
        self.buffer, self.start, self.offset = b"", 0, 0  # buffer[start:] is unread; offset in the file

    def fail(self, what: str) -> FormatError:
        return FormatError(f"{self.path}: byte {self.offset}: {what}")

    def left(self) -> int | None:
        """Bytes not yet read (None when unknown: gzipped)."""
        return None if self.size is None else self.size - self.offset

    def _fill(self, n_bytes: int) -> bool:
        """Have at least `n_bytes` unread in the buffer; False at the end of the file."""
        while len(self.buffer) - self.start < n_bytes:
            chunk = self.handle.read(max(_READ_CHUNK, n_bytes))
            if not chunk:
                return False
            self.buffer = self.buffer[self.start:] + chunk
            self.start = 0
        return True

    def at_end(self) -> bool:
        return not self._fill(1)

    def read(self, n_bytes: int, what: str) -> bytes:
        if not self._fill(n_bytes):
            raise self.fail(f"the file ends inside {what}; it is truncated")
        data = self.buffer[self.start:self.start + n_bytes]
        self.start += n_bytes
        self.offset += n_bytes
        return data

    def unpack(self, layout: struct.Struct, what: str) -> tuple:
        return layout.unpack(self.read(layout.size, what))

    def read_word(self, index: int) -> bytes:
        """The bytes of dictionary entry `index` up to its 0 byte (which is consumed)."""
        searched = 0
        while True:
            end = self.buffer.find(b"\x00", self.start + searched)
            if end >= 0:
                word = self.buffer[self.start:end]
                self.offset += len(word) + 1
                self.start = end + 1
                return word
            searched = len(self.buffer) - self.start
            if searched > MAX_WORD_BYTES or not self._fill(searched + 1):
                raise self.fail(f"dictionary entry {index + 1} does not end within {MAX_WORD_BYTES:,} bytes; "
                                "the file is truncated or corrupt")

    def read_floats(self, n_values: int, what: str) -> np.ndarray:
        """`n_values` float32 read into memory. A gzipped file's size is unknown, so there the
        array grows with the bytes read instead of being allocated from the header."""
        n_bytes = 4 * n_values
        buffered = self.buffer[self.start:self.start + n_bytes]
        self.start += len(buffered)
        values = bytearray(n_bytes) if self.size is not None else bytearray(buffered)
        view = memoryview(values)
        done = len(buffered)
        if self.size is not None:
            view[:done] = buffered
        while done < n_bytes:
            if self.size is not None:
                n_read = self.handle.readinto(view[done:])
            else:
                chunk = self.handle.read(min(n_bytes - done, 1 << 26))
                values += chunk
                n_read = len(chunk)
            if not n_read:
                raise self.fail(f"the file ends inside {what} ({done:,} of {n_bytes:,} bytes); it is truncated")
            done += n_read
        self.offset += n_bytes
        return np.frombuffer(values, dtype="<f4")


def read_fasttext_bin(path: str | Path, mmap: str | None = None) -> FastTextModel:
    """Read a fastText .bin (or .bin.gz) word-vector model.

    Parameters
    ----------
    path : the file
    mmap : 'r' maps both matrices read-only instead of reading them (uncompressed files);
        None reads them into memory

    Raises
    ------
    FormatError : not a fastText model, truncated, inconsistent or non-finite (naming the
        byte offset or the field), quantized, supervised or of a newer version
    """
    path = Path(path)
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file; check the path") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror})") from None
    with handle:
        if handle.read(2) != b"\x1f\x8b":
            handle.seek(0)
            return _read(_Stream(path, handle, os.fstat(handle.fileno()).st_size), mmap=mmap)
        handle.seek(0)
        try:
            with gzip.GzipFile(fileobj=handle) as unzipped:
                return _read(_Stream(path, unzipped, None), mmap=None)
        except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
            raise FormatError(f"{path}: corrupt gzip data ({exc}); re-download or re-export the file") from None


def _read(stream: _Stream, mmap: str | None) -> FastTextModel:
    path = stream.path
    magic, version = stream.unpack(struct.Struct("<2i"), "the header")
    if magic != MAGIC:
        raise FormatError(f"{path}: no fastText magic number (found {magic}); not a fastText model file")
    if version not in READ_VERSIONS:
        newer = version > VERSION
        raise FormatError(f"{path}: fastText model format version {version}; cbow reads versions 11 and 12"
                          + ("; it was written by a newer fastText" if newer else "; the file is corrupt"))
    args = _check_args(stream, FastTextArgs(*stream.unpack(_ARGS, "the arguments")))
    size, n_words, n_labels, n_tokens, prune_size = stream.unpack(_DICT_HEADER, "the dictionary header")
    if n_labels > 0 or args.model == 3:
        raise FormatError(f"{path}: a supervised fastText model (a classifier with {n_labels:,} labels); cbow "
                          "reads word-vector models (fasttext skipgram / cbow)")
    if not (0 <= n_words == size) or n_tokens < 0 or prune_size < -1:
        raise stream.fail(f"the dictionary header is inconsistent (size {size}, nwords {n_words}, "
                          f"ntokens {n_tokens}, pruneidx_size {prune_size}); the file is corrupt")
    smallest_entry = 1 + _ENTRY_TAIL.size  # an empty word's 0 byte, the count and the type
    left = stream.left()
    if left is not None and n_words * smallest_entry > left:
        raise stream.fail(f"the dictionary announces {n_words:,} words, which need at least "
                          f"{n_words * smallest_entry:,} bytes; the file has {left:,} left: it is truncated or corrupt")
    words, counts = _read_dictionary(stream, n_words)
    if left is not None and 8 * max(prune_size, 0) > stream.left():
        raise stream.fail(f"pruneidx_size {prune_size:,} exceeds the file; it is corrupt")
    for start in range(0, max(prune_size, 0), 1 << 16):  # a quantized model's pairs (refused below): skipped
        stream.read(8 * min(1 << 16, prune_size - start), "the pruned index")
    if stream.read(1, "the input matrix's flag") != b"\x00":
        raise FormatError(f"{path}: a quantized fastText model (.ftz); cbow reads only full models (.bin): "
                          "use the .bin fastText published or saved before quantizing")
    if prune_size >= 0:
        raise FormatError(f"{path}: a pruned dictionary in a model that is not quantized; fastText refuses it too "
                          "(its issue #332): download the model again")
    input_matrix = _read_matrix(stream, n_words + args.bucket, args.dim, "the input matrix", mmap)
    stream.read(1, "the output matrix's flag")  # qout: meaningful for quantized models only
    output_matrix = _read_matrix(stream, n_words, args.dim, "the output matrix", mmap)
    if not stream.at_end():
        raise stream.fail("bytes after the output matrix, where the file should end; it is corrupt")
    return FastTextModel(args, words, counts, int(n_tokens), input_matrix, output_matrix, version)


def _check_args(stream: _Stream, args: FastTextArgs) -> FastTextArgs:
    checks = {
        "dim": 1 <= args.dim <= MAX_ROWS, "ws": args.ws >= 0, "epoch": args.epoch >= 0,
        "minCount": args.min_count >= 0, "neg": args.neg >= 0, "wordNgrams": args.word_ngrams >= 0,
        "loss": args.loss in LOSSES, "model": args.model in MODELS, "bucket": 0 <= args.bucket <= MAX_ROWS,
        "minn": args.minn >= 0, "maxn": args.maxn >= 0, "t": math.isfinite(args.t) and args.t >= 0,
    }
    bad = [name for name, ok in checks.items() if not ok]
    if bad:
        values = ", ".join(f"{name} = {getattr(args, _FIELD_OF.get(name, name))}" for name in bad)
        raise FormatError(f"{stream.path}: the arguments block holds {values}, out of range; the file is corrupt "
                          "or not a fastText model")
    if args.maxn >= max(args.minn, 1) and args.bucket == 0:
        raise FormatError(f"{stream.path}: n-grams of {args.minn}..{args.maxn} characters but 0 buckets; "
                          "the file is corrupt")
    return args


_FIELD_OF = {"minCount": "min_count", "wordNgrams": "word_ngrams"}


def _read_dictionary(stream: _Stream, n_words: int) -> tuple[list[str], np.ndarray]:
    words: list[str] = []
    counts = array.array("q")  # grows with the entries read, never from the header's count (gzip: unchecked)
    n_not_utf8 = 0
    seen: dict[str, int] = {}
    for index in range(n_words):
        start = stream.offset
        raw = stream.read_word(index)
        count, entry_type = stream.unpack(_ENTRY_TAIL, f"dictionary entry {index + 1}")
        if not raw or count < 0 or entry_type != 0:
            what = "an empty word" if not raw else f"count {count}" if count < 0 else f"entry type {entry_type}"
            raise FormatError(f"{stream.path}: byte {start}: dictionary entry {index + 1} of {n_words:,} has {what}; "
                              "the file is corrupt")
        try:
            word = raw.decode("utf-8")
        except UnicodeDecodeError:
            word = raw.decode("utf-8", "surrogateescape")
            n_not_utf8 += 1
        if word in seen:
            raise FormatError(f"{stream.path}: byte {start}: word {word!r} is in the dictionary twice "
                              f"(entries {seen[word] + 1} and {index + 1}); the file is corrupt")
        seen[word] = index
        words.append(word)
        counts.append(count)
    if n_not_utf8:
        logger.warning("%s: %d words are not valid UTF-8; they keep their bytes (as surrogate escapes), "
                       "so their n-grams are the ones fastText hashed", stream.path, n_not_utf8)
    return words, np.frombuffer(counts, dtype=np.int64) if counts else np.empty(0, dtype=np.int64)


def _read_matrix(stream: _Stream, n_rows: int, dim: int, what: str, mmap: str | None) -> np.ndarray:
    rows, cols = stream.unpack(_MATRIX_HEADER, f"{what}'s shape")
    if (rows, cols) != (n_rows, dim):
        raise stream.fail(f"{what} is {rows} x {cols}, but the header and dictionary make it {n_rows} x {dim}; "
                          "the file is corrupt")
    n_bytes = 4 * rows * cols
    left = stream.left()
    if left is not None and n_bytes > left:
        raise stream.fail(f"{what} needs {n_bytes:,} bytes, the file has {left:,} left; it is truncated")
    if mmap is not None and stream.size is not None:
        matrix = np.memmap(stream.path, dtype="<f4", mode="r", offset=stream.offset, shape=(rows, cols))
        stream.handle.seek(stream.offset + n_bytes)
        stream.buffer, stream.start, stream.offset = b"", 0, stream.offset + n_bytes
    else:
        matrix = stream.read_floats(rows * cols, what).reshape(rows, cols)
    for start in range(0, rows, 65536):
        finite = np.isfinite(matrix[start:start + 65536]).all(axis=1)
        if not finite.all():
            raise FormatError(f"{stream.path}: row {start + int(np.flatnonzero(~finite)[0])} of {what} holds NaN "
                              "or inf; the file is corrupt")
    return matrix


def write_fasttext_bin(path: str | Path, model: FastTextModel, compressed: bool = False) -> None:
    """Write `model` as a fastText .bin (gzipped when `compressed`), atomically.

    Raises
    ------
    FormatError : shapes that disagree with the args and words, repeated or empty words, a
        word with a 0 byte (the dictionary's terminator), negative counts, NaN/inf values
    OutputError : the directory is missing or the write failed (nothing is left behind)
    """
    args, n_words = model.args, len(model.words)
    shapes = {"input_matrix": (n_words + args.bucket, args.dim), "output_matrix": (n_words, args.dim)}
    for name, shape in shapes.items():
        matrix = getattr(model, name)
        if matrix.shape != shape:
            raise FormatError(f"{path}: {name} has shape {matrix.shape}, but {n_words} words and {args.bucket} "
                              f"buckets of dim {args.dim} need {shape}")
        for start in range(0, shape[0], 65536):
            if not np.isfinite(matrix[start:start + 65536]).all():
                raise FormatError(f"{path}: {name} holds NaN or inf; refusing to save it")
    counts = np.asarray(model.counts, dtype=np.int64)
    if len(counts) != n_words or (counts < 0).any():
        raise FormatError(f"{path}: {n_words} words need as many counts >= 0, got {len(counts)}")
    encoded = [word_bytes(word) for word in model.words]
    if len(set(encoded)) != n_words or any(not raw or b"\x00" in raw for raw in encoded):
        raise FormatError(f"{path}: fastText's words must be distinct, non-empty and hold no 0 byte")
    with open_output(path, OutputFormat("fasttext-bin", compressed)) as handle:
        handle.write(struct.pack("<2i", MAGIC, VERSION))
        handle.write(_ARGS.pack(args.dim, args.ws, args.epoch, args.min_count, args.neg, args.word_ngrams,
                                args.loss, args.model, args.bucket, args.minn, args.maxn, args.lr_update_rate,
                                args.t))
        handle.write(_DICT_HEADER.pack(n_words, n_words, 0, model.ntokens, -1))
        handle.write(b"".join(raw + b"\x00" + _ENTRY_TAIL.pack(int(count), 0) for raw, count in zip(encoded, counts)))
        for flag, matrix in ((b"\x00", model.input_matrix), (b"\x00", model.output_matrix)):
            handle.write(flag)
            handle.write(_MATRIX_HEADER.pack(*matrix.shape))
            step = max(1, _WRITE_ROWS_BYTES // (4 * max(1, args.dim)))
            for start in range(0, matrix.shape[0], step):
                handle.write(np.ascontiguousarray(matrix[start:start + step], dtype="<f4").tobytes())
