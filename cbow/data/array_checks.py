"""Checks for the arrays that enter from our own files, before any compiled kernel sees them.

The compiled sparse kernels the steps use (cbow.model.sparse_ops) check no bounds: a weight
matrix with too few rows, or a word id past the vocabulary, makes them read or write
outside the array (a segfault, or silently wrong weights). Every reader of a file that
holds weights or ids (checkpoints, corpus-cache entries, .cbow models and vectors) checks
what it read with these functions first:

    check_matrix(W, name, (V, d))     float32, native byte order, C order, that shape
    check_finite(W, name)             no NaN or inf, block by block (a memory map stays unread after)
    check_vector(a, name, n, kind)    1-D, n entries, of a dtype kind ("i" signed integers, "b" bool)
    check_ids(ids, V, name)           1-D int32, every id in [0, V): a min and max, chunk by chunk
    check_offsets(offsets, N, name)   1-D int64, 0 .. N, never decreasing

Each raises `ArrayProblem` (a ValueError) whose message says what is wrong with the array,
without a file name: the reader adds the file and the fix, in its own error class.
"""

from __future__ import annotations

import numpy as np

from cbow.data.pages import release_pages

CHUNK = 1 << 22  # elements per pass of the min/max and finiteness scans (16 MiB of float32 or int32)


class ArrayProblem(ValueError):
    """An array read from a file is not what its file promises (the message says how)."""


def describe_dtype(dtype: np.dtype) -> str:
    """'float32', 'big-endian float32', 'int64': for messages."""
    dtype = np.dtype(dtype)
    native = dtype.newbyteorder("=")
    if dtype.byteorder not in ("=", "|") and dtype != native:
        order = "big-endian" if dtype.byteorder == ">" else "little-endian"
        return f"{order} {native.name}"
    return dtype.name


def check_matrix(array: np.ndarray, name: str, shape: tuple[int, int]) -> None:
    """A (rows, columns) float32 matrix in native byte order and C order.

    Parameters
    ----------
    array : what was read
    name : what it is, for the message ("W_out")
    shape : the (rows, columns) its file promises (V or V - 1 rows, d columns)

    Raises
    ------
    ArrayProblem : another dtype or byte order, another shape, or not C-contiguous
    """
    if not isinstance(array, np.ndarray):
        raise ArrayProblem(f"{name} is not an array")
    if array.dtype != np.dtype(np.float32):
        raise ArrayProblem(f"{name} holds {describe_dtype(array.dtype)}, not float32 in this machine's byte order")
    if array.shape != tuple(shape):
        raise ArrayProblem(f"{name} has shape {array.shape}, expected {tuple(shape)}")
    if not array.flags.c_contiguous:
        raise ArrayProblem(f"{name} is not stored in C (row-major) order")


def check_finite(array: np.ndarray, name: str, row_names: list[str] | None = None) -> None:
    """No NaN or inf in a matrix, scanned CHUNK elements at a time (a memory-mapped matrix
    gives each block's pages back once scanned).

    Raises
    ------
    ArrayProblem : naming the first bad row (its word when `row_names` are given)
    """
    rows_per_block = max(1, CHUNK // max(1, array.shape[1] if array.ndim == 2 else 1))
    for start in range(0, len(array), rows_per_block):
        block = array[start:start + rows_per_block]
        block_ok = np.isfinite(block).reshape(len(block), -1).all(axis=1)
        release_pages(block)
        if not block_ok.all():
            bad = start + int(np.flatnonzero(~block_ok)[0])
            what = f"the vector of {row_names[bad]!r}" if row_names is not None else f"row {bad}"
            raise ArrayProblem(f"{name}: {what} holds NaN or inf")


def check_vector(array: np.ndarray, name: str, length: int, kind: str) -> None:
    """A 1-D array of `length` entries whose dtype is of `kind` ("i": signed integers, "b": bool).

    Raises
    ------
    ArrayProblem : another dtype kind or shape
    """
    if not isinstance(array, np.ndarray):
        raise ArrayProblem(f"{name} is not an array")
    kinds = {"i": ("signed integers", "i"), "b": ("booleans", "b")}
    wanted, accepted = kinds[kind]
    if array.dtype.kind not in accepted:
        raise ArrayProblem(f"{name} holds {describe_dtype(array.dtype)}, not {wanted}")
    if array.shape != (length,):
        raise ArrayProblem(f"{name} has shape {array.shape}, expected ({length},)")


def check_ids(word_ids: np.ndarray, n_words: int, name: str = "word ids") -> None:
    """1-D native int32, every id in [0, n_words).

    One min and one max per chunk, so a memory-mapped corpus is streamed once and its
    pages given back (cbow.data.pages); cheap enough to run at every load, whatever the
    size (docs/performance.md has the timing).

    Raises
    ------
    ArrayProblem : another dtype or shape, or an id outside the vocabulary (naming the
        first chunk's offending value)
    """
    if not isinstance(word_ids, np.ndarray) or word_ids.ndim != 1:
        raise ArrayProblem(f"{name} is not a 1-D array")
    if word_ids.dtype != np.dtype(np.int32):
        raise ArrayProblem(f"{name} holds {describe_dtype(word_ids.dtype)}, not int32 in this machine's byte order")
    if not word_ids.flags.c_contiguous:
        raise ArrayProblem(f"{name} is not contiguous")
    for start in range(0, len(word_ids), CHUNK):
        piece = word_ids[start:start + CHUNK]
        low, high = int(piece.min()), int(piece.max())
        release_pages(piece)
        if low < 0 or high >= n_words:
            bad = low if low < 0 else high
            position = start + int(np.flatnonzero(piece == bad)[0])
            raise ArrayProblem(f"{name}: id {bad} at position {position:,} is outside the vocabulary "
                               f"of {n_words:,} words")


def check_offsets(offsets: np.ndarray, n_ids: int, name: str = "sentence offsets") -> None:
    """1-D native int64 sentence offsets: from 0 to `n_ids`, never decreasing.

    Raises
    ------
    ArrayProblem : another dtype or shape, a first offset not 0, a last not `n_ids`, or
        an offset below the one before it
    """
    if not isinstance(offsets, np.ndarray) or offsets.ndim != 1 or len(offsets) < 2:
        raise ArrayProblem(f"{name} is not a 1-D array of at least 2 offsets")
    if offsets.dtype != np.dtype(np.int64):
        raise ArrayProblem(f"{name} hold {describe_dtype(offsets.dtype)}, not int64 in this machine's byte order")
    if not offsets.flags.c_contiguous:
        raise ArrayProblem(f"{name} are not contiguous")
    if int(offsets[0]) != 0 or int(offsets[-1]) != n_ids:
        raise ArrayProblem(f"{name} run from {int(offsets[0])} to {int(offsets[-1])}, expected 0 to {n_ids:,}")
    for start in range(0, len(offsets) - 1, CHUNK):
        piece = offsets[start:start + CHUNK + 1]  # one past: the step between chunks is checked too
        falls = np.flatnonzero(piece[1:] < piece[:-1])
        release_pages(piece)
        if len(falls):
            raise ArrayProblem(f"{name}: sentence {start + int(falls[0]) + 1:,} starts before the one before it")
