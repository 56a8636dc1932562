"""Give the reading pass's freed memory back to the operating system (glibc's malloc_trim).

Reading a corpus allocates and frees megabytes of numpy temporaries per block. glibc's
malloc keeps freed memory for reuse instead of returning it: after it has freed a large
block it raises its mmap threshold (up to 32 MiB), so later arrays of that size come from
the main heap, and a heap whose top holds one live object cannot shrink. So the reading
pass' temporaries stay in the process' resident memory after they are freed: on
bench-text8, encoding in memory with 4 MiB blocks left 99 MiB of free heap resident, and
training then ran on top of it. `malloc_trim(0)` hands every free page of the heap back
(MADV_DONTNEED on the pages inside, shrinking the top); it takes about a millisecond.

Elsewhere than glibc (musl, macOS) `release_free_heap` does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys


def _load_malloc_trim():
    """libc's malloc_trim, or None where there is none (not glibc)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_MALLOC_TRIM = _load_malloc_trim()


def release_free_heap() -> bool:
    """Return malloc's free memory to the OS; True if anything was released (glibc only)."""
    if _MALLOC_TRIM is None:
        return False
    return bool(_MALLOC_TRIM(0))
