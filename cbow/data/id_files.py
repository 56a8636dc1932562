"""Word ids on disk: stream a corpus' ids through files instead of holding them in RAM.

The encoded corpus is 4 bytes a token (99 MB for the 24.8M tokens of text8). Kept in the
process it dominates the reading pass's peak; written block by block to a file it lives in
the page cache, and training maps it back (`cbow.data.pages` drops the pages a chunk no longer
needs). Two writers use this module:

- `cbow.data.encode.read_and_encode(..., ids_path=...)`, the corpus cache's cold path: the single
  reading pass spools its provisional ids (`IdSpool`); once the vocabulary is known they are
  read back block by block, remapped, filtered and appended to the final `.npy`
  (`KeptIdsWriter` behind `write_npy_header`).
- `cbow.data.counting.encode_to_file` (bounded counting): final ids straight from the text into a
  raw int32 file.

Sentences: every block comes with the token counts of the sentences it completes (a sentence
may begin in an earlier block, `cbow.data.corpus.split_sentences`); `KeptIdsWriter` turns them into
the offsets of the kept ids, dropping sentences left empty, exactly as
`cbow.data.encode._keep_ids` does in memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np

from cbow.errors import OutputError


@contextmanager
def removed_on_failure(ids_path: Path, fix: str) -> Iterator[None]:
    """Delete `ids_path` if the block raises; an OSError becomes a one-line OutputError ending in `fix`."""
    try:
        yield
    except OSError as error:
        ids_path.unlink(missing_ok=True)
        raise OutputError(f"{ids_path}: cannot write the encoded corpus ({error.strerror or error}); {fix}") from None
    except BaseException:
        ids_path.unlink(missing_ok=True)
        raise


def write_npy_header(ids_file: BinaryIO, n_ids: int) -> None:
    """Start a `.npy` file of `n_ids` little-endian int32 (the body is appended after)."""
    np.lib.format.write_array_header_1_0(
        ids_file, {"descr": "<i4", "fortran_order": False, "shape": (n_ids,)}
    )


class KeptIdsWriter:
    """Append blocks of ids to an open binary file, dropping ids < 0; track sentence offsets.

    Attributes
    ----------
    n_raw : int
        Ids received (kept or not).
    n_kept : int
        Ids written.
    """

    def __init__(self, ids_file: BinaryIO) -> None:
        self._file = ids_file
        self._offset_blocks = [np.zeros(1, dtype=np.int64)]
        self.n_raw = self.n_kept = 0  # before the next block
        self._last_end_raw = self._last_end_kept = 0  # the last sentence end: raw position, kept ids

    def write(self, ids: np.ndarray, sentence_lengths: np.ndarray) -> None:
        """Append the kept ids of one block; `sentence_lengths` (int64) end in or at this block."""
        keep = ids >= 0
        # kept ids before each raw position of the block: prefix[k] for position n_raw + k
        prefix = np.empty(len(ids) + 1, dtype=np.int64)
        prefix[0] = self.n_kept
        np.cumsum(keep, out=prefix[1:])
        prefix[1:] += self.n_kept
        # Sentences completed by this block end inside it or at its start (a carried line
        # ends where the block begins), so the index is in 0..len(ids).
        ends_raw = self._last_end_raw + np.cumsum(sentence_lengths)
        kept_at_end = prefix[ends_raw - self.n_raw]
        nonempty = np.diff(kept_at_end, prepend=self._last_end_kept) > 0
        self._offset_blocks.append(kept_at_end[nonempty])
        if len(ends_raw):
            self._last_end_raw, self._last_end_kept = int(ends_raw[-1]), int(kept_at_end[-1])
        self._file.write(np.ascontiguousarray(ids[keep], dtype="<i4").tobytes())
        self.n_raw += len(ids)
        self.n_kept = int(prefix[-1])

    def sentence_offsets(self) -> np.ndarray:
        """(S + 1,) int64 offsets of the non-empty sentences written so far."""
        return np.concatenate(self._offset_blocks)


class IdSpool:
    """int32 blocks appended to a scratch file, then read back in order (one block in RAM).

    Use as a context manager: the file is removed on exit, whatever happened.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._file: BinaryIO | None = open(self.path, "wb")
        self._block_lengths: list[int] = []

    def append(self, ids: np.ndarray) -> None:
        """Write one block of ids."""
        self._file.write(np.ascontiguousarray(ids, dtype="<i4").tobytes())
        self._block_lengths.append(len(ids))

    def blocks(self) -> Iterator[np.ndarray]:
        """The blocks in the order appended (may be called more than once)."""
        self._close_writer()
        with open(self.path, "rb") as spool:
            for n_ids in self._block_lengths:
                block = np.frombuffer(spool.read(4 * n_ids), dtype="<i4")
                yield block.astype(np.int32, copy=False)

    def _close_writer(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> "IdSpool":
        return self

    def __exit__(self, *exc_info) -> None:
        self._close_writer()
        self.path.unlink(missing_ok=True)
