"""Give back the pages of a memory-mapped corpus once training is done with them.

A corpus loaded from the cache (`cbow.data.cache`) is a read-only `np.memmap` of its `.npy`
file. Every page training reads stays mapped in the process, so by the end of an epoch the
whole corpus (4 bytes a token: 99 MB for text8) counts in its resident memory, and in each
worker's. `release_pages` tells the kernel that a finished range is not needed any more
(`madvise(MADV_DONTNEED)`): the pages leave the process but stay in the page cache, so the
next epoch maps them again with a minor fault each (~25,000 for text8: milliseconds).
For anything else it does nothing: an array in RAM, and a writeable mapping (dropping the
pages of a copy-on-write map would lose its writes).
"""

from __future__ import annotations

import mmap

import numpy as np

_PAGE = mmap.PAGESIZE


def _file_mapping(array: np.ndarray) -> mmap.mmap | None:
    """The mmap object `array` is a view of, if any."""
    owner = array
    while owner is not None and not isinstance(owner, mmap.mmap):
        owner = getattr(owner, "base", None)
    return owner


def release_pages(array: np.ndarray) -> None:
    """Drop the whole pages under `array` (a contiguous view) from this process, if file-mapped."""
    if array.flags.writeable or array.nbytes == 0:
        return
    mapping = _file_mapping(array)
    if mapping is None or not hasattr(mapping, "madvise"):
        return
    map_start = np.frombuffer(mapping, dtype=np.uint8).__array_interface__["data"][0]
    start = array.__array_interface__["data"][0] - map_start
    first_page = -(-start // _PAGE) * _PAGE  # whole pages only: the neighbours may still be in use
    stop_page = (start + array.nbytes) // _PAGE * _PAGE
    if stop_page > first_page:
        mapping.madvise(mmap.MADV_DONTNEED, first_page, stop_page - first_page)
