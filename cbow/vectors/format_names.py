"""Which vectors format: the names and aliases, and the one rule that picks a format from an
output's name.

    .bin           word2vec binary          .glove   GloVe text (no header)
    .txt .vec      word2vec text            .cbow    our directory (cbow/vectors/cbowformat.py)
    .text                                   .tsv     the Embedding Projector's two tables
    NAME.gz        the same, gzipped (not .cbow: a directory of memory-mappable files)
    - or a stream  standard output, /dev/stdout, a device, a FIFO: word2vec text unless named
    .bin, n-grams  vectors with n-grams (subwords): fastText's model file (cbow/vectors/fasttext_bin.py)

`format_for_path` is used by `KeyedVectors.save`, `save_word2vec_format`, `cbow convert`
and `cbow train -o`, so one name means one format everywhere; a name that says no format
is refused with this list unless the format is named (--to, `format=`, --binary).
Vectors with n-grams (cbow.vectors.subword_keyed) never lose them to a name: their .bin is
fastText's model file; only a format named outright (--to word2vec) writes the vocabulary
alone, as text formats always do (fastText's .vec holds the vocabulary only, too).
`check_output_format` runs the same rule (and the writability checks) before any work.
"""

from __future__ import annotations

import contextlib
import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cbow.atomic import atomic_write, check_writable, output_target
from cbow.errors import FormatError
from cbow.vectors import cbowformat

TEXT_SUFFIXES = (".txt", ".vec", ".text")
#: format names accepted by load_vectors / save_vectors / `cbow convert --from/--to`
FORMATS = ("word2vec", "word2vec-text", "glove", "cbow", "fasttext-bin")
#: and the ones that can only be written: the Embedding Projector's tables
OUTPUT_FORMATS = FORMATS + ("tsv",)
FORMAT_ALIASES = {"bin": "word2vec", "binary": "word2vec", "text": "word2vec-text", "txt": "word2vec-text",
                  "vec": "word2vec-text", "fasttext": "word2vec-text", "npy": "cbow", "projector": "tsv",
                  "fasttext-model": "fasttext-bin", "ftbin": "fasttext-bin"}
BINARY_FORMATS = ("word2vec", "fasttext-bin")
#: the format an output name asks for, by its last suffix (after an optional .gz)
SUFFIX_FORMATS = {".bin": "word2vec", ".txt": "word2vec-text", ".vec": "word2vec-text", ".text": "word2vec-text",
                  ".glove": "glove", ".cbow": "cbow", ".tsv": "tsv"}
GZIP_SUFFIX = ".gz"
SUFFIX_HELP = (".bin (word2vec binary; fastText's with n-grams), .txt/.vec (text), .glove, .cbow (our directory) "
               "or .tsv (Projector), optionally + .gz")


def is_text_path(path: str | Path) -> bool:
    """True when the file name says text (.txt, .vec, .text)."""
    return Path(path).suffix.lower() in TEXT_SUFFIXES


def canonical_format(name: str, output: bool = False) -> str:
    """One of FORMATS (or 'tsv' when `output`) for a format name or alias."""
    key = name.lower().lstrip(".")
    key = FORMAT_ALIASES.get(key, key)
    if key == "tsv" and not output:
        raise FormatError("tsv (the Embedding Projector's tables) can be written, not read; "
                          f"read one of {', '.join(FORMATS)}")
    if key not in (OUTPUT_FORMATS if output else FORMATS):
        raise FormatError(f"unknown vectors format {name!r}; choose one of {', '.join(OUTPUT_FORMATS if output else FORMATS)} "
                          f"(aliases: bin, txt, vec, fasttext (.vec), ftbin{', projector' if output else ''})")
    return key


@dataclass(frozen=True)
class OutputFormat:
    """What to write: a format name (one of OUTPUT_FORMATS) and whether it is gzipped."""

    name: str
    compressed: bool = False

    @property
    def is_text(self) -> bool:
        """Readable at a terminal: not a binary format, not gzipped."""
        return not self.compressed and self.name not in BINARY_FORMATS

    def __str__(self) -> str:
        return self.name + (", gzipped" if self.compressed else "")


def format_for_path(path: str | Path, to: str | OutputFormat | None = None, binary: bool | None = None,
                    naming: str = "--to FORMAT", subwords: bool = False) -> OutputFormat:
    """The format to write `path` in: named by `to` or `binary`, else by the name's suffix.

    The one rule behind `KeyedVectors.save`, `save_word2vec_format`, `cbow convert` and
    `cbow train -o`: .bin word2vec binary, .txt/.vec/.text word2vec text, .glove GloVe,
    .cbow our directory, .tsv the Projector's tables, each + .gz for gzip (not .cbow, a
    directory of memory-mappable files); an existing cbow directory keeps its format; a
    stream ("-" = standard output, /dev/stdout, a device, a FIFO) is word2vec text unless named.

    Parameters
    ----------
    path : the output
    to : a format name or alias (see OUTPUT_FORMATS, FORMAT_ALIASES), overriding the suffix
        (except .cbow: a file under that name would pass for our directory); .gz still compresses
    binary : word2vec binary (True) or text (False), as word2vec's -binary (a name asking for
        GloVe, cbow or tsv is then a contradiction)
    naming : how the caller's user names a format, for the message of an unknown suffix
    subwords : the vectors have n-grams: then .bin (or binary=True) is fastText's model file,
        which keeps them, not word2vec binary

    Raises
    ------
    FormatError : unknown suffix and no format named, an unknown format name, or a contradiction
    """
    if isinstance(to, OutputFormat):
        return to
    shown = str(path)
    stream = output_target(shown).stream  # "-", /dev/stdout, a device, a FIFO: no name to go by
    compressed = shown.lower().endswith(GZIP_SUFFIX)
    by_name = SUFFIX_FORMATS.get(Path(shown[:-len(GZIP_SUFFIX)] if compressed else shown).suffix.lower())
    if binary is not None:
        flag_format = ("fasttext-bin" if subwords else "word2vec") if binary else "word2vec-text"
        if by_name in ("glove", "cbow", "tsv"):
            raise FormatError(f"{shown}: the name asks for the {by_name} format, but binary={int(binary)} (--binary) "
                              f"asks for word2vec {'binary' if binary else 'text'}; drop one of them")
        if to is not None and canonical_format(to, output=True) != flag_format:
            raise FormatError(f"{shown}: format {to!r} and binary={int(binary)} disagree; give one of them")
        to = flag_format
    if to is not None:
        name = canonical_format(to, output=True)
        if by_name == "cbow" and name != "cbow":
            raise FormatError(f"{shown}: a .cbow name means our directory format, but {name} was asked for; "
                              "name the output after its format (.bin, .txt, ...)")
    elif stream:
        name = "word2vec-text"
    elif by_name is not None:
        name = "fasttext-bin" if subwords and by_name == "word2vec" else by_name
    elif cbowformat.is_cbow_dir(shown):
        name = "cbow"
    else:
        suffix = Path(shown).suffix or "no suffix"
        raise FormatError(f"{shown}: the name ({suffix}) does not say which format to write; end it in "
                          f"{SUFFIX_HELP}, or name the format with {naming}")
    if name == "cbow" and compressed:
        raise FormatError(f"{shown}: the cbow format is a directory of memory-mappable files and is not gzipped; "
                          "name it NAME.cbow, or NAME.bin.gz for a compressed file")
    if name == "cbow" and stream:
        raise FormatError(f"{shown}: the cbow format is a directory and cannot go to a stream; name it NAME.cbow, "
                          "or write text (--to txt)")
    if name == "tsv" and stream:
        raise FormatError(f"{shown}: the Projector export is two files (vectors and metadata) and cannot go to a "
                          "stream; name it NAME.tsv")
    return OutputFormat(name, compressed)


def check_output_format(path: str | Path, to: str | None = None, binary: bool | None = None,
                        naming: str = "--to FORMAT", subwords: bool = False) -> OutputFormat:
    """Before any work: the format `path` will be written in, and its target is writable.

    `format_for_path` plus `cbow.atomic.check_writable` (missing directory, a directory where
    a file goes). Call it where a command checks its arguments, so a bad -o fails before
    training, not after.

    Raises
    ------
    FormatError : see format_for_path
    OutputError : the output's directory is missing, or a file format names a directory
    """
    output_format = format_for_path(path, to=to, binary=binary, naming=naming, subwords=subwords)
    check_writable(path, directory_ok=output_format.name == "cbow")
    return output_format


@contextlib.contextmanager
def open_output(path: str | Path, output_format: OutputFormat) -> Iterator[BinaryIO]:
    """A binary handle writing `path` through cbow.atomic, gzipped when the format says so
    (no file name nor time stamp in the gzip header: the same vectors give the same bytes)."""
    with atomic_write(path, binary=not output_format.is_text) as handle:
        if not output_format.compressed:
            yield handle
            return
        with gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0) as compressed:
            yield compressed
