"""Vector files: word2vec text and binary, fastText .vec, GloVe text, and our own directory.

word2vec text:   "V d\\n" then per word "word x1 ... xd\\n"   (fastText .vec is the same)
word2vec binary: "V d\\n" then per word "word " + d little-endian float32 (+ "\\n", as
                 word2vec.c writes; readers here also accept it missing)
GloVe text:      "word x1 ... xd\\n" per word, no header (detected: the first line is not
                 two integers)
cbow:            a directory `NAME.cbow/` with `vectors.npy` (memory-mappable) and
                 `vocab.json` (words, counts, training config): see cbow/vectors/cbowformat.py
fastText .bin:   Facebook's model file (cbow/vectors/fasttext_bin.py), detected by its magic
                 number; read here as its vocabulary's vectors (cbow/vectors/fasttext_words.py)

Writing (cbow/vectors/writing.py, re-exported here): the format comes from the output's
name (cbow/vectors/format_names.py), every write atomic through cbow.atomic.

Readers are strict: a truncated or malformed file raises FormatError
naming the file and the line or byte offset; NaN/inf values are refused. Whatever the
bytes, a reader returns vectors or raises FormatError (tests fuzz them with hypothesis).
Gzipped files (`.gz`, detected by their magic bytes) are read transparently.
"""

from __future__ import annotations

import gzip
import logging
import warnings
import zlib
from pathlib import Path

import numpy as np

from cbow.errors import FormatError
from cbow.vectors import cbowformat, fasttext_words
from cbow.vectors.fasttext_bin import MAGIC as FASTTEXT_MAGIC
from cbow.vectors.fasttext_bin import is_fasttext_bin
from cbow.vectors.format_names import (  # noqa: F401 (re-exported: the names callers know)
    FORMAT_ALIASES, FORMATS, GZIP_SUFFIX, OUTPUT_FORMATS, SUFFIX_FORMATS, TEXT_SUFFIXES, OutputFormat,
    canonical_format, check_output_format, format_for_path, is_text_path, open_output,
)

from cbow.vectors.writing import save_glove, save_vectors, save_word2vec_format  # noqa: F401 (re-exported)

logger = logging.getLogger(__name__)


# -- reading ---------------------------------------------------------------------------------
def read_bytes(path: str | Path) -> bytes:
    """The file's bytes (gunzipped when it starts with gzip's magic), or a one-line FormatError."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise FormatError(f"{path}: is a directory, not a vectors file (a .cbow directory needs vocab.json)") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror})") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise FormatError(f"{path}: corrupt gzip data ({exc}); re-download or re-export the file") from None
    return raw


def detect_format(path: str | Path, raw: bytes | None = None) -> str:
    """'cbow' for a directory, else 'fasttext-bin' / 'word2vec' / 'word2vec-text' / 'glove' from the content."""
    path = Path(path)
    if path.is_dir():
        return "cbow"
    if is_fasttext_bin(path) if raw is None else raw[:4] == FASTTEXT_MAGIC.to_bytes(4, "little"):
        return "fasttext-bin"  # read its head only: such models are gigabytes
    raw = read_bytes(path) if raw is None else raw
    header_end = raw.find(b"\n")
    first = raw[: header_end if header_end >= 0 else len(raw)]
    header = _try_header(first)
    if header is None:
        return "glove"
    return "word2vec" if _looks_binary(raw, header_end + 1, header[1]) else "word2vec-text"


def load_vectors(path: str | Path, fmt: str | None = None,
                 mmap: str | None = None) -> tuple[list[str], np.ndarray, np.ndarray | None, dict]:
    """Read vectors in any supported format (detected when `fmt` is None).

    Parameters
    ----------
    path : file, or .cbow directory
    fmt : one of FORMATS (or an alias); None detects it
    mmap : for the cbow format, numpy's mmap_mode ('r' maps the matrix read-only); other
        formats are parsed into memory and ignore it

    Returns
    -------
    words : list of V str
    vectors : (V, d) float32 (a read-only memory map with mmap='r' and the cbow format)
    counts : (V,) int64 or None when the file has no counts
    config : dict, the training config stored with the vectors (empty when unknown)
    """
    fmt = detect_format(path) if fmt is None else canonical_format(fmt)
    if fmt == "cbow":
        return cbowformat.load(path, mmap=mmap)
    if fmt == "fasttext-bin":
        return fasttext_words.load_vocabulary(path, mmap=mmap)
    if Path(path).suffix.lower() == ".cbow":
        # a file under our directory's name (older cbow versions wrote word2vec binary there)
        renamed = Path(path).with_suffix(".bin" if fmt == "word2vec" else ".txt")
        if mmap:
            raise FormatError(f"{path}: a file in the {fmt} format, not a .cbow directory, so it cannot be "
                              f"memory-mapped; rename it to {renamed.name} or convert it: "
                              f"cbow convert {path} {Path(path).with_name(Path(path).stem + '-new.cbow')}")
        logger.warning("%s: a file in the %s format, not a .cbow directory; rename it to %s", path, fmt, renamed.name)
    elif mmap:
        logger.info("%s: %s files are parsed into memory; mmap applies to the cbow format only", path, fmt)
    if fmt == "glove":
        words, vectors = load_glove(path)
    else:
        words, vectors = load_word2vec_format(path, binary=fmt == "word2vec")
    return words, vectors, None, {}


def load_word2vec_format(path: str | Path, binary: bool | None = None, limit: int | None = None,
                         encoding: str = "utf-8", unicode_errors: str = "strict") -> tuple[list[str], np.ndarray]:
    """Read a word2vec text or binary file (binary=None: detected from the content).

    `limit` reads only the first N vectors (gensim's limit=); `encoding` and
    `unicode_errors` decode the words ('replace' or 'ignore' for words cut inside a UTF-8
    character, as word2vec.c may write them).

    Returns
    -------
    words : list of V str (duplicates after the first are dropped with a warning)
    vectors : (V, d) float32

    Raises
    ------
    FormatError : missing, truncated, malformed or non-finite file, with line/offset
    """
    path = Path(path)
    raw = read_bytes(path)
    header_end = raw.find(b"\n")
    if header_end < 0:
        raise FormatError(f"{path}:1: no header line 'V d'; is this a word2vec file?")
    header = _try_header(raw[:header_end])
    if header is None:
        shown = raw[:min(header_end, 60)].decode("utf-8", "replace")
        raise FormatError(f"{path}:1: expected a header 'V d', got {shown!r} (a GloVe file has none: "
                          "use --from glove or let the format be detected)")
    n_words, dim = header
    body_start = header_end + 1
    if binary is None:
        binary = _looks_binary(raw, body_start, dim)
    decoding = (encoding, unicode_errors)
    if binary:
        words, vectors = _read_binary_body(path, raw, body_start, n_words, dim, limit, decoding)
    else:
        raw, n_expected = _cut_lines(raw, body_start, limit, n_words)
        words, vectors = _read_text_body(path, raw, body_start, dim, first_line_no=2, n_expected=n_expected,
                                         decoding=decoding)
    return _finish(path, words, vectors)


def _cut_lines(raw: bytes, body_start: int, limit: int | None, n_expected: int | None) -> tuple[bytes, int | None]:
    """The bytes up to the end of the body's `limit`-th line (all of them without a limit),
    and the number of lines then expected."""
    if limit is None or (n_expected is not None and limit >= n_expected):
        return raw, n_expected
    end = body_start
    for _ in range(max(0, int(limit))):
        end = raw.find(b"\n", end) + 1
        if end == 0:  # fewer lines than the limit: the whole file
            return raw, None
    return raw[:end], max(0, int(limit))


def load_glove(path: str | Path, limit: int | None = None, encoding: str = "utf-8",
               unicode_errors: str = "strict") -> tuple[list[str], np.ndarray]:
    """Read GloVe text (no header; d = the number of values on the first line); `limit`,
    `encoding`, `unicode_errors` as in `load_word2vec_format`."""
    path = Path(path)
    raw = read_bytes(path)
    first_end = raw.find(b"\n")
    first = raw[: first_end if first_end >= 0 else len(raw)].rstrip(b"\r").rstrip()
    n_fields = len(first.split(b" "))
    if not first or n_fields < 2:
        raise FormatError(f"{path}:1: expected 'word x1 ... xd' (GloVe text); the file is empty or not vectors")
    raw, n_expected = _cut_lines(raw, 0, limit, None)
    words, vectors = _read_text_body(path, raw, 0, n_fields - 1, first_line_no=1, n_expected=n_expected,
                                     decoding=(encoding, unicode_errors))
    return _finish(path, words, vectors)


def _finish(path: Path, words: list[str], vectors: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Refuse NaN/inf; drop repeated words (first one wins, as gensim keeps one), with a warning."""
    finite_rows = np.isfinite(vectors).all(axis=1)
    if not finite_rows.all():
        bad = int(np.flatnonzero(~finite_rows)[0])
        raise FormatError(f"{path}: the vector of {words[bad]!r} (word {bad + 1}) holds NaN or inf; the file is corrupt")
    if len(set(words)) != len(words):
        seen: set[str] = set()
        keep = [i for i, word in enumerate(words) if not (word in seen or seen.add(word))]
        logger.warning("%s: %d repeated words skipped (the first vector of each is kept)", path, len(words) - len(keep))
        words = [words[i] for i in keep]
        vectors = vectors[keep]
    return words, vectors


def _try_header(line: bytes) -> tuple[int, int] | None:
    """(V, d) if `line` is a word2vec header 'V d' (ASCII integers, d >= 1), else None."""
    parts = line.split()
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        return None
    n_words, dim = int(parts[0]), int(parts[1])
    return (n_words, dim) if dim >= 1 else None


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


def _read_binary_body(path: Path, raw: bytes, pos: int, n_words: int, dim: int, limit: int | None = None,
                      decoding: tuple[str, str] = ("utf-8", "strict")):
    n_announced = n_words
    n_words = n_words if limit is None else max(0, min(n_words, int(limit)))
    record_bytes = 4 * dim
    # the smallest record is a 1-byte word, a space and the floats: refuse impossible headers
    # before allocating (a corrupt "999999999 300" must not ask for terabytes)
    if n_words * (record_bytes + 2) > len(raw) - pos + 1:
        raise FormatError(
            f"{path}: header announces {n_words:,} words of {dim} floats, but the file has only "
            f"{len(raw):,} bytes; the file is truncated or the header disagrees with the body"
        )
    words: list[str] = []
    vectors = np.empty((n_words, dim), dtype=np.float32)
    for index in range(n_words):
        while pos < len(raw) and raw[pos] in b"\n ":  # word2vec.c's newline before each word
            pos += 1
        space = raw.find(b" ", pos, pos + 10_000)
        if space <= pos or space + 1 + record_bytes > len(raw):
            what = "an empty word" if space == pos else "the file ends inside it"
            raise FormatError(
                f"{path}: byte {pos}: word {index + 1} of {n_words}: {what}; "
                "the file is truncated or corrupt, re-export it"
            )
        try:
            words.append(raw[pos:space].decode(*decoding))
        except UnicodeDecodeError:
            raise FormatError(f"{path}: byte {pos}: word {index + 1} is not valid UTF-8; the file is corrupt") from None
        vectors[index] = np.frombuffer(raw, dtype="<f4", count=dim, offset=space + 1)
        pos = space + 1 + record_bytes
    rest = raw[pos:].strip() if n_words == n_announced else b""
    if rest:
        raise FormatError(f"{path}: byte {pos}: {len(rest)} bytes after the {n_words} words the header announces; "
                          "the header disagrees with the body")
    return words, vectors


def _read_text_body(path: Path, raw: bytes, body_start: int, dim: int, first_line_no: int,
                    n_expected: int | None, decoding: tuple[str, str] = ("utf-8", "strict")):
    """Parse 'word x1 ... xd' lines (single spaces, trailing space allowed as fastText writes)."""
    try:
        text = raw[body_start:].decode(*decoding)
    except LookupError:
        raise FormatError(f"{path}: unknown text encoding {decoding[0]!r}; give one Python knows: 'utf-8'") from None
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: byte {body_start + exc.start}: not valid UTF-8; the file is corrupt") from None
    lines = text.split("\n")  # only "\n": words may hold other Unicode line separators
    while lines and not lines[-1].strip():
        lines.pop()
    if n_expected is not None and len(lines) != n_expected:
        raise FormatError(f"{path}: header says {n_expected} words, the file has {len(lines)} lines; "
                          "the header disagrees with the body (truncated file?)")
    words: list[str] = []
    value_texts: list[str] = []
    for line_no, line in enumerate(lines, start=first_line_no):
        word, _, values = line.rstrip().partition(" ")
        if not word or values.count(" ") != dim - 1 or not values:
            found = len(values.split(" ")) if values else 0
            raise FormatError(
                f"{path}:{line_no}: expected {dim} values after {word[:40]!r}, found {found}; "
                "the file is truncated or malformed, re-export it"
            )
        words.append(word)
        value_texts.append(values)
    vectors = _parse_floats(" ".join(value_texts), len(lines) * dim)
    if vectors is None:
        for line_no, values in enumerate(value_texts, start=first_line_no):
            try:
                [float(value) for value in values.split(" ")]
            except ValueError:
                raise FormatError(f"{path}:{line_no}: a value is not a number; the file is corrupt") from None
        raise FormatError(f"{path}: values could not be parsed as numbers; the file is corrupt")
    return words, vectors.reshape(len(lines), dim)


def _parse_floats(text: str, n_values: int) -> np.ndarray | None:
    """`n_values` space-separated floats as float32, or None if any fails to parse (C speed)."""
    if n_values == 0:
        return np.empty(0, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy warns, and stops, at the first bad value
        try:
            parsed = np.fromstring(text, dtype=np.float32, sep=" ")
        except ValueError:
            return None
    # every field was checked to be one token, so a count that differs means a bad value
    return parsed if parsed.size == n_values else None
