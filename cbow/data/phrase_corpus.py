"""Rewrite a corpus with its phrases joined: streaming, atomic, compressed by the output's suffix.

The output has one line per line of the source (empty lines kept), its tokens separated by
one space, phrases joined with "_" ("new_york"). It is the *tokenized* text: with the default
tokenizer it is lowercase and without punctuation. Train on it with ``--tokenizer whitespace``:
the default tokenizer splits words at "_", which would undo the phrases.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator

from cbow.atomic import atomic_write
from cbow.data.corpus import CorpusStats, Source, describe_source
from cbow.data.phrase_table import PhraseTable
from cbow.data.phrases import TokenBlock, iter_token_blocks, join_blocks
from cbow.data.tokenize import Tokenizer
from cbow.errors import CorpusError

_GZIP_LEVEL = 6  # zlib's default: ~3x faster than gzip.open's 9 for a few percent more bytes


@dataclass(frozen=True)
class RewriteStats:
    """What `write_phrased_corpus` read and wrote.

    Attributes
    ----------
    n_lines : lines read (= lines written)
    n_tokens_in : tokens read
    n_tokens_out : tokens written (each phrase counts once)
    """

    n_lines: int
    n_tokens_in: int
    n_tokens_out: int


def open_compressed(handle: BinaryIO, path: str | os.PathLike) -> contextlib.AbstractContextManager:
    """A binary writer over `handle` compressing as `path`'s suffix says (.gz, .bz2, .xz), or `handle` itself.

    The gzip header holds no file name and time 0, so equal text gives equal bytes.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".gz":
        return gzip.GzipFile(filename="", mode="wb", fileobj=handle, compresslevel=_GZIP_LEVEL, mtime=0)
    if suffix == ".bz2":
        return bz2.BZ2File(handle, "wb")
    if suffix in (".xz", ".lzma"):
        return lzma.LZMAFile(handle, "wb", format=lzma.FORMAT_XZ if suffix == ".xz" else lzma.FORMAT_ALONE)
    return contextlib.nullcontext(handle)


def _count_tokens(blocks: Iterable[TokenBlock], totals: list[int]) -> Iterator[TokenBlock]:
    """Pass `blocks` through, adding their tokens to totals[0]."""
    for lines, open_end in blocks:
        totals[0] += sum(map(len, lines))
        yield lines, open_end


def _encode_blocks(blocks: Iterable[TokenBlock], totals: list[int]) -> Iterator[bytes]:
    """The UTF-8 text of each block: lines joined by newlines, an open line continued by the next block."""
    continues_with_space = False  # the open line has tokens, so the next piece starts with " "
    for lines, open_end in blocks:
        totals[1] += sum(map(len, lines))
        texts = [" ".join(tokens) for tokens in lines]
        if continues_with_space and texts[0]:
            texts[0] = " " + texts[0]
        if open_end:
            continues_with_space = bool(texts[-1]) or (len(texts) == 1 and continues_with_space)
        else:
            continues_with_space = False
        yield ("\n".join(texts) + ("" if open_end else "\n")).encode("utf-8")


def write_phrased_corpus(
    source: Source,
    table: PhraseTable,
    output: str | os.PathLike,
    tokenizer: str | Tokenizer = "default",
    encoding_errors: str = "replace",
    on_bytes: Callable[[int], None] | None = None,
) -> RewriteStats:
    """Write `source` tokenized, with the phrases of `table` joined, to `output` (one read).

    Parameters
    ----------
    source : path, "-" or iterable of str
    table : PhraseTable
        Applied pass by pass, as `cbow.data.phrases.apply_phrases` does to a sentence; an
        overlong line read in pieces gets exactly the joins of the whole line.
    output : path
        Written through a temporary file renamed over it at the end (nothing is left behind
        on failure); compressed when it ends in .gz, .bz2 or .xz.
    tokenizer : str or callable, default "default"
        The tokenizer the table was made with.
    encoding_errors : {"replace", "strict"}
    on_bytes : callable, optional
        Progress: called with the bytes newly read.

    Returns
    -------
    RewriteStats

    Raises
    ------
    CorpusError : unreadable corpus or no token at all (no output is written)
    OutputError : the output cannot be written
    """
    stats = CorpusStats()
    totals = [0, 0]  # tokens read, tokens written
    blocks = _count_tokens(iter_token_blocks(source, tokenizer, stats, on_bytes, encoding_errors), totals)
    for pairs in table.passes:
        blocks = join_blocks(blocks, pairs)
    with atomic_write(output) as handle, open_compressed(handle, output) as writer:
        for data in _encode_blocks(blocks, totals):
            writer.write(data)
        if totals[0] == 0:  # raised inside the block, so the empty output is removed
            raise CorpusError(f"{describe_source(source)}: no words found ({stats.n_lines:,} lines read); "
                              "check the file and --tokenizer")
    return RewriteStats(stats.n_lines, totals[0], totals[1])
