"""Atomic file writes: a temporary file beside the target, renamed over it on success.

A reader never sees a half-written file and a failed write (full disk, Ctrl-C, an
exception while producing the content) leaves nothing behind: the target is either the
old file or the complete new one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cbow.errors import OutputError


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open a temporary file beside `path` for binary writing; rename it over `path` on success.

    Raises
    ------
    OutputError : the directory is missing or not writable, or the write failed (the
        temporary file is removed and `path` is untouched)
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise OutputError(f"{path}: directory {directory} does not exist; create it or choose another path")
    if path.is_dir():
        raise OutputError(f"{path}: is a directory; give a file name or remove the directory")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write here ({exc.strerror}); choose another path") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except OSError as exc:
        _remove_quietly(tmp_name)
        raise OutputError(f"{path}: write failed ({exc.strerror or exc}); free space or choose another path") from exc
    except BaseException:
        _remove_quietly(tmp_name)
        raise


def _remove_quietly(name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name)
