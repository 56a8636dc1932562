"""Reading and writing KeyedVectors: any supported format, and gensim's word2vec-format keywords.

`VectorFiles` is a part of `cbow.vectors.keyed.KeyedVectors` (a mixin). `load` detects the
format from the content (cbow.vectors.formats); `load_word2vec_format` and
`save_word2vec_format` take gensim 4.4's keywords (limit, datatype, encoding,
unicode_errors, fvocab, no_header; fvocab, total_vec, write_header, prefix, append,
sort_attr); `save` picks the format from the name, and gensim's names for its own format
("vectors.kv") get the cbow directory, which `load` reads back memory-mappable.
"""

from __future__ import annotations

import codecs
import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from cbow.atomic import atomic_write, output_target
from cbow.errors import FormatError
from cbow.vectors import cbowformat, formats
from cbow.vectors.editing import COUNT
from cbow.vectors.format_names import GZIP_SUFFIX, SUFFIX_FORMATS
from cbow.vectors.not_vectors import describe_text

logger = logging.getLogger(__name__)

GENSIM_NATIVE_SUFFIXES = (".kv", ".model", ".wordvectors")  # gensim's save names: written as our directory
MMAP_MODES = {True: "r", "r": "r", "c": "c"}  # 'r+' and 'w+' would write into the saved file in place


@contextlib.contextmanager
def _corpus_explained(path: str | Path) -> Iterator[None]:
    """Turn a load's FormatError into "looks like a text corpus" when the file is one (not_vectors)."""
    try:
        yield
    except FormatError as error:
        evidence = None if Path(path).is_dir() else describe_text(path)
        if evidence is None:
            raise
        raise FormatError(f"{path}: looks like a text corpus, not a vectors file ({evidence}); train on it with "
                          f"'cbow train {path}' and query the vectors that writes") from error


def _check_encoding(encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise FormatError(f"unknown text encoding {encoding!r}; give one Python knows, e.g. 'utf8'") from None


class VectorFiles:
    """load, load_word2vec_format, save_word2vec_format, save."""

    @classmethod
    def load(cls, path: str | Path, mmap: str | bool | None = None, binary: bool | None = None,
             format: str | None = None) -> "VectorFiles":
        """Load vectors of any supported format, detected from the content.

        Parameters
        ----------
        path : word2vec binary/text, fastText .vec, GloVe text (no header), or a .cbow directory
            (what `save` writes under any name that says no other format, as gensim's .kv)
        mmap : 'r' (or True) memory-maps the matrix of a .cbow directory read-only, 'c'
            copy-on-write (changes stay in this process); other formats are parsed into memory
        binary : force word2vec binary (True) or text (False)
        format : force a format: 'word2vec', 'word2vec-text', 'glove', 'cbow'

        Raises
        ------
        FormatError : missing, truncated, malformed or non-finite file (names file and line/byte);
            a text corpus given by mistake is named as such; mmap 'r+'/'w+' (they would
            write into the file in place)
        """
        if mmap is not None and mmap is not False and mmap not in MMAP_MODES:
            raise FormatError(f"{path}: mmap={mmap!r} would write into the saved vectors in place; use mmap='r' "
                              "(read-only, shared by every process) or 'c' (copy-on-write)")
        mmap = MMAP_MODES.get(mmap) if mmap is not None and mmap is not False else None
        if binary is not None and format is None:
            format = "word2vec" if binary else "word2vec-text"
        with _corpus_explained(path):
            words, vectors, counts, config = formats.load_vectors(path, fmt=format, mmap=mmap)
        return cls(words, vectors, counts=counts, config=config)

    @classmethod
    def load_word2vec_format(cls, fname: str | Path, fvocab: str | Path | None = None, binary: bool | None = None,
                             encoding: str = "utf8", unicode_errors: str = "strict", limit: int | None = None,
                             datatype=np.float32, no_header: bool = False) -> "VectorFiles":
        """Load word2vec text or binary, as gensim's (binary None: detected from the content).

        Parameters
        ----------
        fvocab : word2vec.c's -save-vocab file ("word count" lines): the counts
        encoding, unicode_errors : how words are decoded ('ignore'/'replace' for words cut
            inside a character, as word2vec.c may write them)
        limit : read only the first N vectors
        datatype : the vectors' dtype (e.g. np.float16 to save memory; queries get slower)
        no_header : the file has no "V d" line (GloVe text)
        """
        _check_encoding(encoding)
        with _corpus_explained(fname):
            if no_header:
                words, vectors = formats.load_glove(fname, limit=limit, encoding=encoding,
                                                    unicode_errors=unicode_errors)
            else:
                words, vectors = formats.load_word2vec_format(fname, binary=binary, limit=limit, encoding=encoding,
                                                              unicode_errors=unicode_errors)
        counts = None if fvocab is None else _read_counts(fvocab, words, unicode_errors)
        return cls(words, np.asarray(vectors, dtype=datatype), counts=counts)

    def save_word2vec_format(self, fname: str | Path, fvocab: str | Path | None = None, binary: bool | None = None,
                             total_vec: int | None = None, write_header: bool = True, prefix: str = "",
                             append: bool = False, sort_attr: str = COUNT) -> formats.OutputFormat:
        """Write word2vec binary (`binary=True`) or text (`False`), as gensim's.

        Parameters
        ----------
        binary : None decides by the name (.bin binary, .txt/.vec text, + .gz gzipped; "-"
            standard output), text when the name says neither (gensim's default)
        fvocab : also write "word count" lines there (word2vec.c's -save-vocab)
        total_vec : the count the header announces (default: the vectors written)
        write_header : False leaves out the "V d" line
        prefix : put before every word written
        append : add to the end of an existing file
        sort_attr : write the rows by this attribute, descending (stable); vectors without
            it keep their row order (with `fvocab`, the attribute must exist)

        Returns the format written.
        """
        if sort_attr == COUNT and self.counts is not None or sort_attr in self._attributes:
            values = self.counts if sort_attr == COUNT else self._attributes[sort_attr]
            order = np.argsort(-np.asarray(values), kind="stable")
        elif fvocab is not None:
            raise KeyError(f"cannot write the vocabulary file: these vectors have no {sort_attr!r} attribute")
        else:
            order = np.arange(len(self))
        if binary is None and _named_format(fname) is None:
            binary = False
        keys = [self.index_to_key[i] for i in order.tolist()]
        if fvocab is not None:
            prior = Path(fvocab).read_bytes() if append and Path(fvocab).is_file() else b""
            with atomic_write(fvocab) as handle:
                handle.write(prior)
                handle.write("".join(f"{prefix}{key} {self.get_vecattr(key, sort_attr)}\n" for key in keys)
                             .encode("utf-8"))
        return formats.save_word2vec_format(fname, [f"{prefix}{key}" for key in keys], self.vectors[order],
                                            binary=binary, write_header=write_header, total_vec=total_vec,
                                            append=append)

    def save(self, path: str | Path, format: str | formats.OutputFormat | None = None) -> formats.OutputFormat:
        """Write in `format`, by default the one the name asks for (cbow.vectors.format_names:
        .bin, .txt/.vec, .glove, .cbow, .tsv, each + .gz but .cbow; "-" = standard output).
        The names gensim gives its own format (.kv, .model, .wordvectors) get the cbow
        directory, which `load` reads back (memory-mappable) under the same name; any other
        name that says no format is refused with the list.

        Returns the OutputFormat written. Only the cbow format keeps counts and config.
        """
        if format is None and Path(str(path)).suffix.lower() in GENSIM_NATIVE_SUFFIXES:
            format = "cbow"
        return formats.save_vectors(path, self.index_to_key, self.vectors, counts=self.counts,
                                    fmt=format, config=self.config)


def _named_format(path: str | Path) -> str | None:
    """The format an output's name asks for (cbow.vectors.format_names), None when it says
    none: the name's suffix, a stream (word2vec text), or an existing cbow directory."""
    shown = str(path)
    if output_target(shown).stream or cbowformat.is_cbow_dir(shown):
        return "named"
    stem = shown[: -len(GZIP_SUFFIX)] if shown.lower().endswith(GZIP_SUFFIX) else shown
    return SUFFIX_FORMATS.get(Path(stem).suffix.lower())


def _read_counts(fvocab: str | Path, words: list, unicode_errors: str) -> np.ndarray:
    """The counts of `words` from a word2vec.c vocabulary file ("word count" per line);
    a word missing from it gets 0, with a warning."""
    try:
        text = Path(fvocab).read_bytes().decode("utf-8", errors=unicode_errors)
    except OSError as error:
        raise FormatError(f"{fvocab}: cannot read the vocabulary file ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise FormatError(f"{fvocab}: not UTF-8; give unicode_errors='replace'") from None
    counts: dict[str, int] = {}
    for line_no, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or not fields[1].isdigit():
            raise FormatError(f"{fvocab}:{line_no}: expected 'word count', got {line[:60]!r}; fix the line")
        counts[fields[0]] = int(fields[1])
    missing = [word for word in words if word not in counts]
    if missing:
        logger.warning("%s: no count for %d of the words (e.g. %r); they get 0", fvocab, len(missing), missing[0])
    return np.array([counts.get(word, 0) for word in words], dtype=np.int64)
