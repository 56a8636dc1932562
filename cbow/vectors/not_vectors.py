"""Explain a vectors file that failed to load because it is a text corpus.

`cbow similar corpus.txt.gz king` used to say "expected 62 values after 'a' ... truncated":
the corpus was read as GloVe text (no header) whose first line set the dimension. When a
load fails, `KeyedVectors.load` asks `describe_text` about the file; if most fields after
the first word of each line are words rather than numbers, the error says it is a corpus.
Only files that failed to load are looked at, so valid vectors are never second-guessed.
"""

from __future__ import annotations

import bz2
import lzma
import re
import zlib
from pathlib import Path

_HEAD_BYTES = 1 << 16  # enough lines to judge; a text8-style corpus is one long line
_LINES_LOOKED_AT = 20
_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?(?:nan|inf)", re.IGNORECASE)
_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ": "xz"}


def _head(path: Path) -> str | None:
    """The first decoded bytes of `path` (decompressed), or None when unreadable or not text."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(_HEAD_BYTES)
    except OSError:
        return None
    kind = next((kind for magic, kind in _MAGIC.items() if raw.startswith(magic)), None)
    try:
        if kind == "gzip":
            raw = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, _HEAD_BYTES)
        elif kind == "bzip2":
            raw = bz2.BZ2Decompressor().decompress(raw, _HEAD_BYTES)
        elif kind == "xz":
            raw = lzma.LZMADecompressor().decompress(raw, _HEAD_BYTES)
    except (OSError, EOFError, zlib.error, lzma.LZMAError):
        return None
    if b"\0" in raw:
        return None  # binary: word2vec .bin or something else, not a corpus
    return raw.decode("utf-8", errors="replace")


def describe_text(path: str | Path) -> str | None:
    """Why the file at `path` looks like a text corpus, or None when it does not.

    Looks at up to 20 lines of the first 64 KiB (gzip, bzip2 and xz are decompressed): a
    vectors file holds a word and then numbers on every line (after an optional "V d"
    header); a corpus holds mostly words.

    Returns
    -------
    str or None
        E.g. "97% of the 412 fields after each line's first word are words, not numbers".
    """
    text = _head(Path(path))
    if text is None:
        return None
    lines = [line.split() for line in text.split("\n")[:_LINES_LOOKED_AT] if line.strip()]
    fields = [field for line in lines for field in line[1:]]
    if len(fields) < 3:
        return None
    n_words = sum(1 for field in fields if not _NUMBER.fullmatch(field))
    if n_words < len(fields) / 2:
        return None
    return f"{100 * n_words / len(fields):.0f}% of the {len(fields):,} fields after each line's first word are words, not numbers"
