"""Disk space for a run's outputs, checked before training: a full disk is refused with the
numbers at the start, not found at the first checkpoint after an hour's epoch.

A run writes beside OUTPUT (bytes; V words, d dims, R rows of W_out, W the UTF-8 bytes of
the words):

    checkpoint OUTPUT.ckpt   4 (V + R) d + W + 9 V + a few kB   .npz of W_in, W_out, vocabulary
    vectors OUTPUT           word2vec binary  4 V d + W + 2 V
                             text (.txt/.vec/.glove/.tsv)  ~12 V d + W + V   ("%.6g" and a space)
                             .cbow            4 V d + W + 24 V   vectors.npy + vocab.json

Every file is written to a temporary name and renamed over the old one, so while the next
checkpoint is written the previous one still exists: the peak is two checkpoints and the
vectors (counted uncompressed: gzip saves little on floats). The training log is small.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from cbow.data.vocab import Vocab
from cbow.errors import OutputError
from cbow.training.memory import format_bytes

TEXT_BYTES_PER_VALUE = 12  # "-0.0123456 " at six significant digits, with its separator


def vectors_bytes(vocab: Vocab, size: int, format_name: str) -> int:
    """About the bytes of the vectors file of `vocab` in `format_name` (module docstring)."""
    n_words = len(vocab)
    word_bytes = sum(len(word.encode("utf-8")) for word in vocab.words)
    if format_name == "word2vec":
        return 4 * n_words * size + word_bytes + 2 * n_words + 32
    if format_name == "cbow":
        return 4 * n_words * size + word_bytes + 24 * n_words + 1024
    return TEXT_BYTES_PER_VALUE * n_words * size + word_bytes + n_words + 32


def checkpoint_bytes(vocab: Vocab, size: int, n_out_rows: int) -> int:
    """About the bytes of one checkpoint (cbow.training.checkpoint)."""
    n_words = len(vocab)
    word_bytes = sum(len(word.encode("utf-8")) for word in vocab.words)
    return 4 * (n_words + n_out_rows) * size + word_bytes + 9 * n_words + 16384


def free_bytes(directory: str | os.PathLike) -> int | None:
    """Free bytes of the file system holding `directory`, None where it cannot be told (and
    on a file system of no size: /proc, /sys hold no files to count space for, and writing
    there fails for another reason, which the writability check names)."""
    try:
        usage = shutil.disk_usage(directory)
    except OSError:
        return None
    return usage.free if usage.total > 0 else None


def check_output_space(output: str | os.PathLike, vocab: Vocab, size: int, n_out_rows: int,
                       format_name: str, checkpoints: bool = True) -> None:
    """Refuse a run whose vectors (and checkpoints) would not fit where they are written.

    Raises
    ------
    OutputError : naming the directory, what is needed, and what is free
    """
    directory = Path(output).resolve().parent
    free = free_bytes(directory)
    vectors = vectors_bytes(vocab, size, format_name)
    checkpoint = 2 * checkpoint_bytes(vocab, size, n_out_rows) if checkpoints else 0
    needed = vectors + checkpoint
    if free is None or needed <= free:
        return
    parts = f"the vectors ~{format_bytes(vectors)}"
    if checkpoints:
        parts += f" + two checkpoints while one replaces the other ~{format_bytes(checkpoint)}"
    raise OutputError(
        f"{directory}: not enough disk space for this run's outputs ({parts} = {format_bytes(needed)}), "
        f"{format_bytes(free)} free; free some space or write elsewhere with -o"
    )
