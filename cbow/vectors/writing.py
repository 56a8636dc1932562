"""Writing vectors files: word2vec text and binary, GloVe text, and the dispatch to every format.

The format comes from the output's name (cbow/vectors/format_names.py: .bin, .txt/.vec,
.glove, .cbow, .tsv for the Embedding Projector (cbow/vectors/projector.py), a fastText
.bin (cbow/vectors/fasttext_words.py), + .gz to compress, "-" for standard output). Every
write goes through cbow.atomic: a file is written beside its target and moved into place
with os.replace, so a reader never sees a half-written file and a failed write leaves
nothing behind (an append too: the old bytes and the new are written to the temporary
file); streams (stdout, devices, FIFOs) are written straight. Readers:
cbow/vectors/formats.py.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from cbow.errors import FormatError
from cbow.vectors import cbowformat, fasttext_words
from cbow.vectors.format_names import GZIP_SUFFIX, OutputFormat, format_for_path, open_output


def _existing_bytes(path: str | Path) -> bytes:
    """What an append keeps: the file's bytes, gunzipped (the whole file is compressed again)."""
    if not Path(path).is_file():
        return b""
    try:
        raw = Path(path).read_bytes()
        return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError) as exc:
        raise FormatError(f"{path}: cannot read the file to append to ({exc}); write a new file") from None


def _check_writable(path, words, vectors, header: bool) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise FormatError(f"{path}: {len(words)} words but vectors of shape {vectors.shape}")
    if not np.isfinite(vectors).all():
        raise FormatError(f"{path}: the vectors hold NaN or inf; refusing to save them")
    for word in words:
        if not word or any(ch.isspace() for ch in word):
            raise FormatError(f"{path}: word {word!r} is empty or contains whitespace; the format cannot store it "
                              "(save as .cbow, which stores any word)")
    if not header and vectors.shape[1] == 1:
        raise FormatError(f"{path}: GloVe text cannot store 1-dimensional vectors unambiguously; use another format")
    return vectors


def _text_lines(words, vectors) -> Iterator[bytes]:
    for start in range(0, len(words), 4096):
        block = vectors[start:start + 4096].tolist()
        lines = [word + " " + " ".join(f"{value:.6g}" for value in row)
                 for word, row in zip(words[start:start + 4096], block)]
        yield ("\n".join(lines) + "\n").encode("utf-8")


def _binary_records(words, vectors) -> Iterator[bytes]:
    little = vectors.astype("<f4", copy=False)
    for start in range(0, len(words), 4096):
        yield b"".join(word.encode("utf-8") + b" " + row.tobytes() + b"\n"
                       for word, row in zip(words[start:start + 4096], little[start:start + 4096]))


def save_word2vec_format(path: str | Path, words: list[str], vectors: np.ndarray, binary: bool | None = None,
                         write_header: bool = True, total_vec: int | None = None,
                         append: bool = False) -> OutputFormat:
    """Write vectors in word2vec's format, binary or text; gzipped when the name ends in .gz.

    Parameters
    ----------
    path : output file, "-" for standard output, a device or FIFO (written straight)
    words : (V,) words; must not be empty nor contain whitespace
    vectors : (V, d) float array (written as float32; text keeps 6 significant digits)
    binary : True for word2vec binary, False for text; None decides by the name (.bin binary,
        .txt/.vec text, see format_for_path), refusing a name that says neither
    write_header : False leaves out the "V d" line (gensim's write_header=False: GloVe-like text)
    total_vec : the V the header announces (default: the words written; gensim's total_vec,
        for files that vectors are appended to afterwards)
    append : add to the end of an existing file (gensim's append=True; written whole to a
        temporary file and renamed, as every output, so a failed append leaves the old file)

    Returns
    -------
    OutputFormat written

    Raises
    ------
    OutputError : the directory is missing or the write failed (nothing is left behind)
    FormatError : the name asks for another format, a word contains whitespace or the vectors
        hold NaN/inf
    """
    output_format = format_for_path(path, binary=binary, naming="binary=True/False")
    if output_format.name not in ("word2vec", "word2vec-text"):
        raise FormatError(f"{path}: the name asks for the {output_format.name} format, which save_word2vec_format "
                          "does not write; use KeyedVectors.save, or a .bin/.txt name")
    vectors = _check_writable(path, words, vectors, header=True)
    n_words, dim = vectors.shape
    prior = _existing_bytes(path) if append else b""
    with open_output(path, output_format) as handle:
        handle.write(prior)
        if write_header:
            handle.write(f"{n_words if total_vec is None else int(total_vec)} {dim}\n".encode())
        chunks = _binary_records(words, vectors) if output_format.name == "word2vec" else _text_lines(words, vectors)
        for chunk in chunks:
            handle.write(chunk)
    return output_format


def save_glove(path: str | Path, words: list[str], vectors: np.ndarray, compressed: bool | None = None) -> None:
    """Write GloVe text: 'word x1 ... xd' per line, no header (6 significant digits); gzipped
    when `compressed` (None: when the name ends in .gz)."""
    vectors = _check_writable(path, words, vectors, header=False)
    if compressed is None:
        compressed = str(path).lower().endswith(GZIP_SUFFIX)
    with open_output(path, OutputFormat("glove", compressed)) as handle:
        for chunk in _text_lines(words, vectors):
            handle.write(chunk)


def save_vectors(path: str | Path, words: list[str], vectors: np.ndarray, counts: np.ndarray | None = None,
                 fmt: str | OutputFormat | None = None, config: dict | None = None) -> OutputFormat:
    """Write vectors in `fmt` (default: by the output's name, see format_for_path).

    Returns
    -------
    OutputFormat written (only the cbow format keeps `counts` and `config`)
    """
    output_format = format_for_path(path, to=fmt, naming="format=")
    if output_format.name == "cbow":
        cbowformat.save(path, words, vectors, counts=counts, config=config)
    elif output_format.name == "tsv":
        from cbow.vectors import projector

        projector.save_projector_tsv(path, words, _check_writable(path, words, vectors, header=True),
                                     compressed=output_format.compressed)
    elif output_format.name == "glove":
        save_glove(path, words, vectors, compressed=output_format.compressed)
    elif output_format.name == "fasttext-bin":
        fasttext_words.save_words_only(path, words, vectors, counts, config, compressed=output_format.compressed)
    else:
        save_word2vec_format(path, words, vectors, binary=output_format.name == "word2vec")
    return output_format
