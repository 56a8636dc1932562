"""Stream the lines of a corpus (files, a directory, stdin or lines in memory) as sentences.

A sentence is one line. A line longer than `max_sentence_length` tokens becomes several
sentences of exactly that many tokens (the last one shorter), as gensim's `LineSentence`
cuts at 10,000; text8-style files made of one huge line become many sentences. Empty lines
(and lines with no token) yield nothing.

Sources
-------
- a path (``str`` or ``Path``) to a plain text file, ``.gz``, ``.bz2`` or ``.xz`` (chosen by
  suffix); a directory: every file under it, recursively, in sorted path order, skipping
  hidden files and directories (names starting with ``.``);
- ``"-"``: standard input, read as bytes (``sys.stdin.buffer``);
- any other iterable of ``str``: lines already in memory (e.g. the built-in demo corpus);
- an iterable of token lists (``[["the", "cat"], ...]``, what gensim's models take): a list
  or tuple of ``str`` per sentence, taken as it is, never re-tokenized (`peek_sentences`).
  A list, a re-iterable object or a one-shot generator: cbow reads a corpus once.

Reading is in binary blocks of `BLOCK_SIZE` bytes cut at the last newline; a block is decoded
as UTF-8 in one call. Bytes that are not UTF-8 become U+FFFD and are reported once per file
with the line number of the first bad line (a warning), or, with ``encoding_errors="strict"``
(what `cbow train` uses by default), stop the run with a CorpusError naming the line. A NUL
byte (binary data, UTF-16 text) and a run of more than `MAX_RUN_WITHOUT_SPACE` bytes without any
whitespace (not text) are CorpusErrors naming the line, and so is a file that starts like a
vectors file (`cbow.data.not_text`). A line with no
newline for more than `BLOCK_SIZE` bytes is cut at its last ASCII whitespace and tokenized
piecewise, which gives the same tokens as tokenizing it whole for any tokenizer that treats
ASCII whitespace as a separator (both built-in ones do), with bounded memory.

Two layers:

- `iter_sentences` yields sentences (lists of tokens) one by one: the general interface.
- `iter_text_blocks` yields ``(text, open_end)`` blocks of whole lines and `split_sentences`
  turns a block's per-line token counts into sentence lengths; `cbow.data.encode` uses them to
  go from text to word ids without keeping token lists alive.
"""

from __future__ import annotations

import bz2
import gzip
import itertools
import logging
import lzma
import os
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator, Sequence, Union

import numpy as np

from cbow.data.not_text import check_not_vectors
from cbow.data.tokenize import Tokenizer, get_tokenizer
from cbow.errors import ConfigError, CorpusError, CorpusTypeError

logger = logging.getLogger(__name__)

Source = Union[str, os.PathLike, Iterable[str], Iterable[Sequence[str]]]

# Bytes per read: 1 MiB, ~175k tokens of English. The ASCII encoder (cbow.data.encode) holds
# ~24 bytes of numpy temporaries per byte of a block: 4 MiB blocks peaked at 101 MiB of them
# on bench-text8, 1 MiB blocks at 27 MiB, at the same speed or better (cache-sized arrays).
BLOCK_SIZE = 1 << 20
# A longer run of bytes without any whitespace is not text (binary data, one giant token):
# reading stops with a CorpusError instead of buffering, say, a 200 MB "word".
MAX_RUN_WITHOUT_SPACE = 1 << 24
_LINES_PER_BATCH = 10_000  # lines per batch for in-memory sources
_ASCII_WHITESPACE = (b" ", b"\t", b"\r", b"\x0b", b"\x0c")
_UTF8_BOM = b"\xef\xbb\xbf"
_COMPRESSED = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".lzma": "xz"}
# What a damaged or mislabelled compressed file raises while being read.
_READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError)


@dataclass
class CorpusStats:
    """Counters a reader updates as it goes (pass one in to read them afterwards).

    Attributes
    ----------
    n_files : int
        Files opened (0 for stdin and in-memory lines).
    n_lines : int
        Lines read, empty ones included.
    n_bytes : int
        Bytes read from disk (compressed size for compressed files) or from stdin.
    """

    n_files: int = 0
    n_lines: int = 0
    n_bytes: int = 0


def _is_path(source: object) -> bool:
    return isinstance(source, (str, os.PathLike))


def names_files(source: object) -> bool:
    """Whether `source` is a file or directory by name (not stdin, not text in memory)."""
    return _is_path(source) and os.fspath(source) != "-"


def describe_source(source: Source) -> str:
    """Name `source` for messages: the path as given, ``<stdin>`` or ``<lines>``."""
    if _is_path(source):
        name = os.fspath(source)
        return "<stdin>" if name == "-" else str(name)
    return "<lines>"


def list_corpus_files(source: str | os.PathLike) -> list[Path]:
    """Return the files a path source stands for, in reading order.

    Parameters
    ----------
    source : str or os.PathLike
        A file (returned alone) or a directory (every regular file under it, recursively,
        sorted by path, hidden files and directories skipped, symbolic links to
        directories not followed). ``"-"`` (stdin) gives ``[]``.

    Returns
    -------
    list of Path

    Raises
    ------
    CorpusError
        The path does not exist, or a directory holds no file.
    """
    if os.fspath(source) == "-":
        return []
    path = Path(source)
    if path.is_dir():
        files = []
        for dir_name, sub_dirs, file_names in os.walk(path):
            sub_dirs[:] = [name for name in sub_dirs if not name.startswith(".")]
            for name in file_names:
                file_path = Path(dir_name, name)
                if not name.startswith(".") and file_path.is_file():
                    files.append(file_path)
        if not files:
            raise CorpusError(
                f"{source}: the directory holds no files (hidden ones are skipped); "
                "check the path or put the text files in it"
            )
        return sorted(files)
    if not path.exists():
        raise CorpusError(f"{source}: no such file or directory; check the path")
    return [path]


def total_size(source: Source) -> int | None:
    """Return the bytes on disk of a path source (for progress bars), else None."""
    if not names_files(source):
        return None
    return sum(path.stat().st_size for path in list_corpus_files(source))


def _cut_point(buffer: bytes) -> int:
    """Index of the last ASCII whitespace byte in `buffer`, -1 if none.

    An ASCII byte never occurs inside a UTF-8 multi-byte sequence, so cutting there is safe.
    """
    return max(buffer.rfind(space) for space in _ASCII_WHITESPACE)


def _iter_text_pieces(
    stream: BinaryIO,
    name: str,
    stats: CorpusStats,
    on_bytes: Callable[[int], None] | None,
    position: Callable[[], int] | None,
    encoding_errors: str = "replace",
) -> Iterator[tuple[str, bool]]:
    """Yield ``(text, open_end)`` pieces of one binary stream, decoded.

    `text` is whole lines joined by newlines (no final newline), except that when
    `open_end` is True its last (only) line is the head of an overlong line, continued by
    the next piece. The last piece of a stream always has ``open_end=False``. `position`
    returns the raw bytes consumed so far (the compressed offset), for `on_bytes` and
    `stats.n_bytes`; None counts the bytes read from `stream`.
    """
    reported = False
    line_no = 0  # complete lines before the current buffer
    consumed = 0
    buffer = b""
    first = True
    first_piece = True  # looked at for a vectors file given as the corpus
    in_open_line = False  # the last piece was the head of an overlong line
    while True:
        block = stream.read(BLOCK_SIZE)
        if first:
            first = False
            if block.startswith(_UTF8_BOM):
                block = block[len(_UTF8_BOM):]
        now = position() if position is not None else consumed + len(block)
        if now != consumed:
            stats.n_bytes += now - consumed
            if on_bytes is not None:
                on_bytes(now - consumed)
            consumed = now
        at_eof = not block
        buffer = buffer + block if buffer else block
        if not buffer:
            if in_open_line:  # the stream ended right after the head of an overlong line
                stats.n_lines += 1
                yield "", False
            return
        if at_eof:
            cut, open_end = len(buffer), False
        else:
            cut = buffer.rfind(b"\n")
            open_end = cut < 0
            if open_end:
                if len(buffer) < BLOCK_SIZE:
                    continue
                cut = _cut_point(buffer)
                if cut < 0:  # no whitespace yet: keep reading, but not forever
                    if len(buffer) < MAX_RUN_WITHOUT_SPACE:
                        continue
                    raise CorpusError(
                        f"{name}:{line_no + 1}: {len(buffer):,} bytes without a space or newline "
                        "(binary data or one giant token); pass a text file with words "
                        "separated by spaces and lines"
                    )
        data, buffer = buffer[:cut], buffer[cut + 1:]
        if first_piece:  # before the NUL check: a word2vec .bin deserves its own message
            first_piece = False
            if not open_end:
                check_not_vectors(data, name)
        nul_at = data.find(b"\0")
        if nul_at >= 0:
            nul_line = line_no + data.count(b"\n", 0, nul_at) + 1
            raise CorpusError(
                f"{name}:{nul_line}: NUL byte: this is a "
                "binary file or UTF-16 text, not a corpus; pass UTF-8 text (convert with "
                "iconv -t UTF-8)"
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            if encoding_errors == "strict":
                bad_line = line_no + data.count(b"\n", 0, error.start) + 1
                bad_bytes = data[error.start:error.end]
                raise CorpusError(
                    f"{name}:{bad_line}: bytes {bad_bytes!r} are not UTF-8 (mixed or legacy "
                    "encoding); convert the file with iconv -f <its encoding> -t UTF-8, or pass "
                    "--encoding-errors replace to read them as U+FFFD"
                ) from None
            if not reported:
                reported = True
                bad_line = line_no + data.count(b"\n", 0, error.start) + 1
                logger.warning(
                    "%s:%d: undecodable bytes replaced with U+FFFD (further ones in this "
                    "file not reported); the text is not UTF-8, convert it with iconv",
                    name,
                    bad_line,
                )
            # Invalid sequences never swallow a newline, so this equals per-line decoding.
            text = data.decode("utf-8", errors="replace")
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        in_open_line = open_end
        if not open_end:
            n_lines = text.count("\n") + 1
            line_no += n_lines
            stats.n_lines += n_lines
        yield text, open_end
        if at_eof:
            return


def _open_path(path: Path) -> tuple[BinaryIO, BinaryIO]:
    """Open `path` for binary reading: (decompressed stream, underlying raw file)."""
    raw = open(path, "rb")
    kind = _COMPRESSED.get(path.suffix.lower())
    if kind == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw
    if kind == "bzip2":
        return bz2.BZ2File(raw), raw
    if kind == "xz":
        return lzma.LZMAFile(raw), raw
    return raw, raw


def _iter_file_pieces(
    path: Path, stats: CorpusStats, on_bytes: Callable[[int], None] | None,
    encoding_errors: str = "replace",
) -> Iterator[tuple[str, bool]]:
    """`_iter_text_pieces` of one file, turning every read failure into a CorpusError."""
    kind = _COMPRESSED.get(path.suffix.lower())
    try:
        stream, raw = _open_path(path)
    except FileNotFoundError:
        raise CorpusError(f"{path}: no such file or directory; check the path") from None
    except IsADirectoryError:
        raise CorpusError(f"{path}: is a directory; pass it as the corpus itself") from None
    except OSError as error:
        raise CorpusError(
            f"{path}: cannot open ({error.strerror or error}); check the path and its "
            "permissions"
        ) from None
    stats.n_files += 1
    with raw, stream:
        try:
            yield from _iter_text_pieces(stream, str(path), stats, on_bytes, raw.tell,
                                         encoding_errors)
        except _READ_ERRORS as error:
            problem = getattr(error, "strerror", None) or str(error) or type(error).__name__
            if kind is None:
                raise CorpusError(
                    f"{path}: cannot read ({problem}); check the file and its permissions"
                ) from None
            raise CorpusError(
                f"{path}: corrupt or truncated {kind} data ({problem}); check that the file "
                f"is complete and really {kind}-compressed, or decompress it yourself"
            ) from None


def _iter_stdin_pieces(
    stats: CorpusStats, on_bytes: Callable[[int], None] | None,
    encoding_errors: str = "replace",
) -> Iterator[tuple[str, bool]]:
    """Pieces of standard input, read as bytes."""
    stdin = sys.stdin
    if stdin is None:
        raise CorpusError("<stdin>: there is no standard input; pass a corpus path instead")
    buffer = getattr(stdin, "buffer", None)
    if buffer is None:  # a text stream without bytes underneath (e.g. io.StringIO)
        yield from _iter_line_pieces(stdin, stats)
        return
    try:
        yield from _iter_text_pieces(buffer, "<stdin>", stats, on_bytes, None, encoding_errors)
    except OSError as error:
        raise CorpusError(
            f"<stdin>: cannot read ({error.strerror or error}); check the pipe"
        ) from None


def _iter_line_pieces(lines: Iterable[str], stats: CorpusStats) -> Iterator[tuple[str, bool]]:
    """Pieces of in-memory lines, `_LINES_PER_BATCH` at a time; an item's final newline
    is dropped."""
    iterator = iter(lines)
    while True:
        chunk = list(itertools.islice(iterator, _LINES_PER_BATCH))
        if not chunk:
            return
        for item in chunk:
            if not isinstance(item, str):
                raise CorpusTypeError(
                    f"corpus lines must be str, got {type(item).__name__}; decode them first, pass a file "
                    "path, or give every sentence as a list of str tokens (not lines and lists mixed)"
                )
        # Items may end with "\n" (file.readlines()) or hold several lines.
        text = "\n".join(item[:-1] if item.endswith("\n") else item for item in chunk)
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        stats.n_lines += text.count("\n") + 1
        yield text, False


_NOTHING = object()
TOKEN_LIST_TYPES = (list, tuple)  # what a sentence of a token-list corpus may be


def peek_sentences(source: Source) -> tuple[bool, Source]:
    """Whether `source` is a corpus of token lists, looking at its first item.

    Returns
    -------
    is_tokens : bool
        True when the first item is a list or tuple (a sentence of tokens); False for a
        path, stdin, lines (str) and an empty iterable.
    source : the corpus to read from now on: `source` itself, except for a one-shot
        iterator (a generator: ``iter(it) is it``), which comes back with its first item
        put in front again, so nothing is lost by looking.
    """
    if _is_path(source) or isinstance(source, (str, bytes, bytearray)):
        return False, source
    iterator = iter(source)
    first = next(iterator, _NOTHING)
    if iterator is source:  # one-shot: the item taken must be given back
        source = iterator if first is _NOTHING else itertools.chain([first], iterator)
    return isinstance(first, TOKEN_LIST_TYPES), source


def _a(thing: object) -> str:
    """'a list', 'an int': the article and the type's name."""
    name = type(thing).__name__
    return ("an " if name[:1] in "aeiou" else "a ") + name


def _bad_sentence(sentence: object, number: int) -> CorpusTypeError:
    """The error for sentence `number` (1-based) of a token-list corpus that is not a list of
    non-empty str."""
    if not isinstance(sentence, TOKEN_LIST_TYPES):
        return CorpusTypeError(f"corpus sentence {number} is {_a(sentence)}, the first was a list of tokens; "
                               "give every sentence as a list of str (or pass lines of text, not both)")
    bad = next(token for token in sentence if not isinstance(token, str) or not token)
    what = "an empty string" if isinstance(bad, str) else f"{_a(bad)} ({bad!r})"
    return CorpusTypeError(f"corpus sentence {number}: token {sentence.index(bad) + 1} is {what}; tokens must be "
                           "non-empty str")


def iter_token_chunks(sentences: Iterable[Sequence[str]], stats: CorpusStats | None = None
                      ) -> Iterator[list[Sequence[str]]]:
    """The sentences of a token-list corpus, `_LINES_PER_BATCH` at a time, checked.

    Each sentence is a list or tuple of non-empty str, counted as one line in `stats`; the
    tokens are taken as they are (no tokenizer runs: a token may hold any character).

    Raises
    ------
    CorpusTypeError : (a TypeError) a sentence is not a list or tuple, or holds a token
        that is not a non-empty str (naming the sentence and the token)
    """
    if stats is None:
        stats = CorpusStats()
    iterator = iter(sentences)
    while True:
        chunk = list(itertools.islice(iterator, _LINES_PER_BATCH))
        if not chunk:
            return
        for sentence in chunk:
            if not isinstance(sentence, TOKEN_LIST_TYPES) or "" in sentence or not all(
                    isinstance(token, str) for token in sentence):
                raise _bad_sentence(sentence, stats.n_lines + chunk.index(sentence) + 1)
        stats.n_lines += len(chunk)
        yield chunk


def iter_text_blocks(
    source: Source,
    stats: CorpusStats | None = None,
    on_bytes: Callable[[int], None] | None = None,
    encoding_errors: str = "replace",
) -> Iterator[tuple[str, bool]]:
    """Yield the text of `source` a block of whole lines at a time, decoded.

    Parameters
    ----------
    source : str, os.PathLike or iterable of str
        A file (plain, ``.gz``, ``.bz2``, ``.xz``), a directory, ``"-"`` for stdin, or lines.
    stats : CorpusStats, optional
        Updated in place with the files, lines and bytes read.
    on_bytes : callable, optional
        Called with the number of bytes newly read from disk (compressed size) or stdin,
        for progress bars; compare with `total_size`.
    encoding_errors : {"replace", "strict"}, default "replace"
        Bytes that are not UTF-8: "replace" reads them as U+FFFD with one warning per file,
        "strict" raises CorpusError naming the line.

    Yields
    ------
    text : str
        Consecutive lines joined by newlines, without the final one (CR LF is turned into
        LF); ``text.split("\\n")`` gives the lines, at least one.
    open_end : bool
        True when the last line is only the head of an overlong line, continued by the next
        block; every file ends with a block whose `open_end` is False.

    Raises
    ------
    CorpusError
        Missing path, empty directory, unreadable or corrupt file, no stdin.
    """
    if stats is None:
        stats = CorpusStats()
    if _is_path(source):
        if os.fspath(source) == "-":
            yield from _iter_stdin_pieces(stats, on_bytes, encoding_errors)
        else:
            for path in list_corpus_files(source):
                yield from _iter_file_pieces(path, stats, on_bytes, encoding_errors)
    elif isinstance(source, (bytes, bytearray)):
        raise TypeError("corpus source is bytes; pass a path, '-' or str lines")
    else:
        yield from _iter_line_pieces(source, stats)


def check_max_sentence_length(max_sentence_length: int) -> None:
    """Raise ConfigError unless `max_sentence_length` is a positive integer."""
    if (
        isinstance(max_sentence_length, bool)
        or not isinstance(max_sentence_length, (int, np.integer))
        or max_sentence_length < 1
    ):
        raise ConfigError(
            f"max_sentence_length {max_sentence_length!r}: must be a positive integer; "
            "the default is 10000"
        )


def split_sentences(
    line_lengths: np.ndarray, open_end: bool, carry: int, max_sentence_length: int
) -> tuple[np.ndarray, int]:
    """Turn the token counts of one block's lines into sentence lengths.

    Parameters
    ----------
    line_lengths : ndarray of int, shape (n_lines,)
        Tokens in each line of a block from `iter_text_blocks`, n_lines >= 1.
    open_end : bool
        The block's flag: its last line continues in the next block.
    carry : int
        Tokens of an unfinished line from earlier blocks not yet in a sentence (the value
        this function returned for the previous block; 0 at the start).
    max_sentence_length : int
        Lines longer than this become several sentences of this many tokens.

    Returns
    -------
    sentence_lengths : ndarray of int64, shape (n_sentences,)
        Lengths of the sentences completed by this block, in order, each in
        1..max_sentence_length; empty lines are left out. The first sentence may start with
        the `carry` tokens of earlier blocks.
    carry : int
        Tokens of the open last line not yet in a sentence (< max_sentence_length); 0 when
        `open_end` is False.
    """
    lengths = np.array(line_lengths, dtype=np.int64)
    lengths[0] += carry
    carry = 0
    if open_end:
        # Emit the open line's whole sentences now; its remainder waits for more tokens.
        carry = int(lengths[-1] % max_sentence_length)
        lengths[-1] -= carry
    lengths = lengths[lengths > 0]
    if lengths.size and lengths.max() > max_sentence_length:
        n_parts = -(-lengths // max_sentence_length)
        parts = np.full(int(n_parts.sum()), max_sentence_length, dtype=np.int64)
        parts[np.cumsum(n_parts) - 1] = lengths - max_sentence_length * (n_parts - 1)
        lengths = parts
    return lengths, carry


def iter_sentences(
    source: Source,
    tokenizer: str | Tokenizer = "default",
    max_sentence_length: int = 10000,
    stats: CorpusStats | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[list[str]]:
    """Yield the sentences of `source` one by one: each a non-empty list of tokens.

    Parameters
    ----------
    source : str, os.PathLike or iterable of str
        A file (plain, ``.gz``, ``.bz2``, ``.xz``), a directory, ``"-"`` for stdin, or lines
        (each item one line; a trailing newline is dropped).
    tokenizer : str or callable, default "default"
        A name from `cbow.data.tokenize.TOKENIZERS` or a function ``str -> list[str]``.
    max_sentence_length : int, default 10000
        A line of more tokens becomes several sentences of this many (gensim's cap).
    stats : CorpusStats, optional
        Updated in place with the files, lines and bytes read.
    on_bytes : callable, optional
        Called with the number of bytes newly read (see `iter_text_blocks`).

    Yields
    ------
    list of str
        One sentence: 1..max_sentence_length tokens, in corpus order.

    Raises
    ------
    CorpusError
        Missing path, empty directory, unreadable or corrupt file.
    ConfigError
        Unknown tokenizer, or `max_sentence_length` < 1.

    Examples
    --------
    >>> list(iter_sentences(["The cat sat.", "", "Déjà vu"]))
    [['the', 'cat', 'sat'], ['déjà', 'vu']]
    """
    tokenize = get_tokenizer(tokenizer)
    check_max_sentence_length(max_sentence_length)
    pending: list[str] = []  # tokens of an unfinished overlong line
    carry = 0
    for text, open_end in iter_text_blocks(source, stats, on_bytes):
        lines = text.split("\n")
        token_lists = list(map(tokenize, lines))
        line_lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(lines))
        sentence_lengths, carry = split_sentences(
            line_lengths, open_end, carry, max_sentence_length
        )
        if not pending and not open_end and len(sentence_lengths) == np.count_nonzero(
            line_lengths
        ):
            # The common case: every non-empty line is one sentence.
            yield from (tokens for tokens in token_lists if tokens)
            continue
        tokens = pending + list(itertools.chain.from_iterable(token_lists))
        start = 0
        for length in sentence_lengths.tolist():
            yield tokens[start:start + length]
            start += length
        pending = tokens[start:]
