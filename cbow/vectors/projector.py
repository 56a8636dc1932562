"""Export for the TensorFlow Embedding Projector (projector.tensorflow.org): two aligned tables.

    OUT.tsv            one vector per line: d tab-separated values, no header
    OUT.metadata.tsv   the word of line i of OUT.tsv on line i, no header (one column, so the
                       Projector expects none)
    OUT.tsv.gz         with .gz, both files are gzipped (OUT.metadata.tsv.gz)

In the Projector, "Load" the first as the vectors and the second as the metadata. gensim's
`scripts/word2vec2tensor.py` writes the same two tables as PREFIX_tensor.tsv and
PREFIX_metadata.tsv; here the vectors keep the name the user gave, so `cbow convert v.bin
out.tsv` leaves out.tsv and out.metadata.tsv side by side. Both files are written through
cbow.atomic, and the metadata is moved into place right after the vectors, so an interrupted
export never leaves a new table beside an old one of another length.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cbow.atomic import output_target
from cbow.errors import FormatError
from cbow.vectors.format_names import OutputFormat, open_output

METADATA_SUFFIX = ".metadata.tsv"


def metadata_path_for(path: str | Path) -> Path:
    """`out.tsv` -> `out.metadata.tsv` (`out.tsv.gz` -> `out.metadata.tsv.gz`), beside it."""
    path = Path(path)
    name = path.name
    compressed = name.lower().endswith(".gz")
    base = name[:-3] if compressed else name
    stem = base[:-4] if base.lower().endswith(".tsv") else base
    return path.with_name(stem + METADATA_SUFFIX + (".gz" if compressed else ""))


def save_projector_tsv(path: str | Path, words: list[str], vectors: np.ndarray, compressed: bool = False) -> Path:
    """Write the vectors to `path` and the words to `metadata_path_for(path)`; return the latter.

    Parameters
    ----------
    path : the vectors table (conventionally NAME.tsv)
    words : (V,) words without whitespace (a tab or newline would shift the table)
    vectors : (V, d) float array, written with 6 significant digits
    compressed : gzip both files

    Raises
    ------
    FormatError : a word holds whitespace, words and vectors disagree in length, or `path` is a
        stream (two files cannot go there)
    OutputError : a directory is missing or a write failed (neither table is then replaced)
    """
    if output_target(path).stream:
        raise FormatError(f"{path}: the Projector export is two files (vectors and metadata) and cannot go to a "
                          "stream or device; name it NAME.tsv")
    if len(words) != len(vectors):
        raise FormatError(f"{path}: {len(words)} words but {len(vectors)} vectors")
    if any(not word or any(ch.isspace() for ch in word) for word in words):
        raise FormatError(f"{path}: a word is empty or holds whitespace, which would shift the metadata table")
    metadata = metadata_path_for(path)
    output_format = OutputFormat("tsv", compressed)
    # metadata outside, vectors inside: the vectors are moved into place first, the words right after
    with open_output(metadata, output_format) as metadata_handle, open_output(path, output_format) as vector_handle:
        for start in range(0, len(words), 4096):
            block = np.asarray(vectors[start:start + 4096], dtype=np.float32).tolist()
            vector_handle.write("".join("\t".join(f"{value:.6g}" for value in row) + "\n"
                                        for row in block).encode("utf-8"))
            metadata_handle.write("".join(word + "\n" for word in words[start:start + 4096]).encode("utf-8"))
    return metadata
