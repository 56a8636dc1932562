"""Vector files: word2vec text and binary (and fastText .vec, the same text format).

word2vec text:   "V d\\n" then per word "word x1 ... xd\\n"
word2vec binary: "V d\\n" then per word "word " + d little-endian float32 (+ "\\n", as
                 word2vec.c writes; readers here also accept it missing)

Every write goes to a temporary file in the target's directory and is then moved into
place with os.replace, so a reader never sees a half-written file and a failed write
leaves nothing behind. Readers are strict: a truncated or malformed file raises FormatError
naming the file and the line or byte offset; NaN/inf values are refused.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from cbow.errors import FormatError, OutputError

TEXT_SUFFIXES = (".txt", ".vec", ".text")


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[BinaryIO]:
    """Open a temporary file beside `path` for binary writing; rename it over `path` on success.

    On any exception the temporary file is removed and `path` is untouched.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise OutputError(f"{path}: directory {directory} does not exist; create it or choose another -o")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write here ({exc.strerror}); choose another -o") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except OSError as exc:
        _remove_quietly(tmp_name)
        raise OutputError(f"{path}: write failed ({exc.strerror or exc}); free space or choose another -o") from exc
    except BaseException:
        _remove_quietly(tmp_name)
        raise


def _remove_quietly(name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name)


def is_text_path(path: str | Path) -> bool:
    """True when the file name says text (.txt, .vec, .text)."""
    return Path(path).suffix.lower() in TEXT_SUFFIXES


def save_word2vec_format(path: str | Path, words: list[str], vectors: np.ndarray,
                         binary: bool | None = None) -> None:
    """Write vectors in word2vec's format; `binary=None` decides by suffix (.txt/.vec -> text).

    Parameters
    ----------
    path : output file
    words : (V,) words; must not contain whitespace
    vectors : (V, d) float array (written as float32)
    binary : True for word2vec binary, False for text

    Raises
    ------
    OutputError : the directory is missing or the write failed (nothing is left behind)
    FormatError : a word contains whitespace or the vectors hold NaN/inf
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise FormatError(f"{path}: {len(words)} words but vectors of shape {vectors.shape}")
    if not np.isfinite(vectors).all():
        raise FormatError(f"{path}: the vectors hold NaN or inf; refusing to save them")
    for word in words:
        if not word or any(ch.isspace() for ch in word):
            raise FormatError(f"{path}: word {word!r} is empty or contains whitespace; the format cannot store it")
    if binary is None:
        binary = not is_text_path(path)
    n_words, dim = vectors.shape
    with atomic_write(path) as handle:
        handle.write(f"{n_words} {dim}\n".encode())
        if binary:
            little = vectors.astype("<f4", copy=False)
            for word, row in zip(words, little):
                handle.write(word.encode("utf-8") + b" " + row.tobytes() + b"\n")
        else:
            for start in range(0, n_words, 4096):
                block = vectors[start:start + 4096]
                lines = [
                    word + " " + " ".join(f"{value:.6g}" for value in row)
                    for word, row in zip(words[start:start + 4096], block.tolist())
                ]
                handle.write(("\n".join(lines) + "\n").encode("utf-8"))


def load_word2vec_format(path: str | Path, binary: bool | None = None) -> tuple[list[str], np.ndarray]:
    """Read a word2vec text or binary file (binary=None: detected from the content).

    Returns
    -------
    words : list of V str
    vectors : (V, d) float32

    Raises
    ------
    FormatError : missing, truncated, malformed or non-finite file, with line/offset
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise FormatError(f"{path}: is a directory, not a vectors file") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror})") from None
    header_end = raw.find(b"\n")
    if header_end < 0:
        raise FormatError(f"{path}:1: no header line 'V d'; is this a word2vec file?")
    n_words, dim = _parse_header(path, raw[:header_end])
    body_start = header_end + 1
    if binary is None:
        binary = _looks_binary(raw, body_start, dim)
    if binary:
        words, vectors = _read_binary_body(path, raw, body_start, n_words, dim)
    else:
        words, vectors = _read_text_body(path, raw[body_start:], n_words, dim)
    if not np.isfinite(vectors).all():
        bad = int(np.flatnonzero(~np.isfinite(vectors).all(axis=1))[0])
        raise FormatError(f"{path}: the vector of {words[bad]!r} holds NaN or inf; the file is corrupt")
    return words, vectors


def _parse_header(path: Path, header: bytes) -> tuple[int, int]:
    parts = header.split()
    try:
        n_words, dim = int(parts[0]), int(parts[1])
        if len(parts) != 2 or n_words < 0 or dim < 1:
            raise ValueError
    except (ValueError, IndexError):
        shown = header[:60].decode("utf-8", "replace")
        raise FormatError(f"{path}:1: expected a header 'V d', got {shown!r}") from None
    return n_words, dim


def _looks_binary(raw: bytes, body_start: int, dim: int) -> bool:
    """Binary if the first record is not a line of `dim` numbers."""
    line_end = raw.find(b"\n", body_start)
    first = raw[body_start: line_end if line_end >= 0 else len(raw)]
    try:
        fields = first.decode("utf-8").rstrip().split(" ")
        [float(value) for value in fields[1:]]
    except (UnicodeDecodeError, ValueError):
        return True
    return len(fields) - 1 != dim


def _read_binary_body(path: Path, raw: bytes, pos: int, n_words: int, dim: int):
    record_bytes = 4 * dim
    words: list[str] = []
    offsets = np.empty(n_words, dtype=np.int64)
    for index in range(n_words):
        while pos < len(raw) and raw[pos] in b"\n ":  # word2vec.c's newline before each word
            pos += 1
        space = raw.find(b" ", pos, pos + 10_000)
        if space < 0 or space + 1 + record_bytes > len(raw):
            raise FormatError(
                f"{path}: byte {pos}: file ends inside word {index + 1} of {n_words}; "
                "the file is truncated, re-export it"
            )
        try:
            words.append(raw[pos:space].decode("utf-8"))
        except UnicodeDecodeError:
            raise FormatError(f"{path}: byte {pos}: word {index + 1} is not valid UTF-8; the file is corrupt") from None
        offsets[index] = space + 1
        pos = space + 1 + record_bytes
    rest = raw[pos:].strip()
    if rest:
        raise FormatError(f"{path}: byte {pos}: {len(rest)} bytes after the {n_words} words the header announces; the header disagrees with the body")
    flat = np.frombuffer(raw, dtype=np.uint8)
    byte_index = offsets[:, None] + np.arange(record_bytes)[None, :]
    vectors = flat[byte_index].view("<f4").reshape(n_words, dim).astype(np.float32)
    return words, vectors


def _read_text_body(path: Path, body: bytes, n_words: int, dim: int):
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: byte {exc.start}: not valid UTF-8; the file is corrupt") from None
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) != n_words:
        raise FormatError(f"{path}: header says {n_words} words, the file has {len(lines)} lines; the header disagrees with the body (truncated file?)")
    words: list[str] = []
    values: list[str] = []
    for line_no, line in enumerate(lines, start=2):
        fields = line.rstrip().split(" ")
        if len(fields) != dim + 1:
            raise FormatError(
                f"{path}:{line_no}: expected {dim} values after {fields[0]!r}, found {len(fields) - 1}; "
                "the file is truncated or malformed, re-export it"
            )
        words.append(fields[0])
        values.extend(fields[1:])
    try:
        vectors = np.array(values, dtype=np.float32).reshape(n_words, dim)
    except ValueError:
        for line_no, line in enumerate(lines, start=2):
            try:
                [float(value) for value in line.rstrip().split(" ")[1:]]
            except ValueError:
                raise FormatError(f"{path}:{line_no}: a value is not a number; the file is corrupt") from None
        raise
    return words, vectors
