"""Scratch files and directories a run holds while it lives, and the sweeping of those a killed run left.

A run killed outright (kill -9, the OOM killer, a power cut) runs no cleanup, so its
temporary files stay: the temporary of an output being written, a corpus cache entry being
encoded, the ids of --no-cache or --low-memory (tens of MB each). The next run removes
them, and must never remove a live run's: another process of the same user, on this
machine or, on a shared file system, on another one.

A lock tells them apart, not a pid (pids are reused, are numbers of one machine only, and a
run's forked children go on using its files):

    the creator    makes the item under a fresh name (O_EXCL), takes an exclusive flock(2)
                   on it and keeps that descriptor open while the item exists; the kernel
                   drops the lock when the last process holding the descriptor ends, however
                   it ends (forked children inherit it, so a run's reading child and
                   workers hold it too)
    a sweeper      tries the lock without waiting: if it gets it, no live process holds the
                   item, which it removes (still holding the lock); otherwise it leaves it

A sweeper may get the lock of an item created a moment ago, before its creator took it, and
remove the item: so the creator, once it holds the lock, checks that the name still names
the inode it locked, and otherwise starts again under a new name.

A directory is locked through a file inside it (LOCK_NAME). A directory without one (being
set up, or left by an older cbow) is removed only once nothing in it has changed for
STALE_SECONDS (a day), as is any item on a file system without flock (some FUSE mounts:
the creator goes on without the lock). Sweepers look only at items this user owns (another
user's, in a shared /tmp, are not ours to judge) and named as cbow names them; the names
keep the creator's pid for whoever lists the directory.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import stat
import tempfile
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; the age rule alone applies
    fcntl = None

logger = logging.getLogger(__name__)

LOCK_NAME = ".cbow-lock"
STALE_SECONDS = 24 * 3600  # an unlockable item untouched this long was abandoned
RANDOM_PART = r"[a-z0-9_]{8}"  # what tempfile.mkstemp / mkdtemp put between prefix and suffix
_ATTEMPTS = 100
_OPEN_FLAGS = os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)


def _try_lock(fd: int) -> bool | None:
    """Take the exclusive lock of `fd` without waiting: True when taken, False when another
    open description holds it, None when this file system cannot lock."""
    if fcntl is None:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # ENOLCK, EOPNOTSUPP, EBADF over NFS without locking, ...
        return None
    return True


def _names_inode_of(path: str | os.PathLike, fd: int) -> bool:
    """Whether `path` (not followed if a link) is still the file open as `fd`."""
    try:
        named = os.lstat(path)
    except OSError:
        return False
    opened = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def _claim(fd: int, path: str | os.PathLike) -> bool:
    """The creator's side: lock the item just made at `path` (open as `fd`); False when a
    sweeper took it first and removed it (the caller makes another)."""
    return _try_lock(fd) is not False and _names_inode_of(path, fd)


class HeldFile:
    """A new empty file `prefix` + pid + "." + random + `suffix` in `directory` (mode 0600), held until
    `remove` (or the end of a `with` block).

    Attributes
    ----------
    path : the file
    fd : the descriptor holding the lock (open read-write); write through `os.dup(fd)` or
        by name, but do not close it

    Raises
    ------
    OSError : the directory cannot be written
    """

    def __init__(self, directory: str | os.PathLike, prefix: str, suffix: str = ".tmp") -> None:
        for _ in range(_ATTEMPTS):
            fd, name = tempfile.mkstemp(prefix=_with_pid(prefix), suffix=suffix, dir=directory)
            if _claim(fd, name):
                break
            os.close(fd)
        else:
            raise OSError(f"{directory}: could not hold a scratch file (removed {_ATTEMPTS} times as it was made)")
        self.path = Path(name)
        self.fd: int | None = fd

    def release(self) -> None:
        """Drop the lock (the file itself is the caller's now: renamed, or removed)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def replace(self, target: str | os.PathLike) -> None:
        """Rename the file over `target` (os.replace), then drop the lock: held up to the
        rename, so no sweeper takes it in between. (Where there is no lock to hold, as on
        Windows, which renames no open file, the descriptor is closed first.)"""
        if fcntl is None:
            self.release()
        os.replace(self.path, target)
        self.release()

    def remove(self) -> None:
        """Delete the file (if still there) and drop the lock (the same order rule as `replace`)."""
        if fcntl is None:
            self.release()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        self.release()

    def __enter__(self) -> HeldFile:
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()


class HeldDirectory:
    """A new empty directory `prefix` + pid + "." + random in `parent` (mode 0700, holding only its
    LOCK_NAME file), held until `remove` (or the end of a `with` block).

    Raises
    ------
    OSError : `parent` cannot be written
    """

    def __init__(self, parent: str | os.PathLike, prefix: str) -> None:
        self._fd: int | None = None
        if fcntl is None:  # no lock to hold, so no lock file either: the age rule alone applies
            self.path = Path(tempfile.mkdtemp(prefix=_with_pid(prefix), dir=parent))
            return
        for _ in range(_ATTEMPTS):
            path = Path(tempfile.mkdtemp(prefix=_with_pid(prefix), dir=parent))
            try:
                fd = os.open(path / LOCK_NAME, os.O_CREAT | os.O_EXCL | _OPEN_FLAGS, 0o600)
            except OSError:
                shutil.rmtree(path, ignore_errors=True)
                raise
            if _claim(fd, path / LOCK_NAME):
                break
            os.close(fd)
        else:
            raise OSError(f"{parent}: could not hold a scratch directory (removed {_ATTEMPTS} times as it was made)")
        self.path = path
        self._fd = fd

    def unmark(self) -> None:
        """Delete the lock file, keeping the lock until `remove`: before the directory is
        renamed into place (a cache entry), where a lock file has no business. A sweeper
        then leaves it for a day (module docstring)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path / LOCK_NAME)

    def remove(self) -> None:
        """Delete the directory (if still there, under this name) and drop the lock."""
        shutil.rmtree(self.path, ignore_errors=True)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> HeldDirectory:
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()


def _with_pid(prefix: str) -> str:
    return f"{prefix}{os.getpid()}."


def held_name_pattern(prefix: str, suffix: str = "") -> re.Pattern:
    """The names `HeldFile(d, prefix, suffix)` / `HeldDirectory(d, prefix)` make: prefix,
    the creator's pid and a dot, mkstemp's random part, suffix."""
    return re.compile(re.escape(prefix) + r"[0-9]+\." + RANDOM_PART + re.escape(suffix))


def sweep(directory: str | os.PathLike, pattern: re.Pattern, now: float | None = None) -> list[Path]:
    """Remove the abandoned items of `directory` (module docstring) whose names match
    `pattern`: files held by HeldFile, directories by HeldDirectory. Returns what was
    removed; an unreadable directory or item is left alone."""
    now = time.time() if now is None else now
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if uid is not None and info.st_uid != uid:
            continue
        path = Path(entry.path)
        if stat.S_ISREG(info.st_mode) and _remove_abandoned_file(path, now):
            removed.append(path)
        elif stat.S_ISDIR(info.st_mode) and _remove_abandoned_directory(path, now):
            removed.append(path)
    for path in removed:
        logger.info("removed %s, left behind by a run that was killed", path)
    return removed


def _remove_abandoned_file(path: Path, now: float) -> bool:
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return False
    try:
        locked = _try_lock(fd)
        if locked is False or (locked is None and now - os.fstat(fd).st_mtime <= STALE_SECONDS):
            return False
        if not _names_inode_of(path, fd):  # replaced meanwhile: not the file we judged
            return False
        os.unlink(path)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _remove_abandoned_directory(path: Path, now: float) -> bool:
    lock_path = path / LOCK_NAME
    try:
        fd = os.open(lock_path, _OPEN_FLAGS)
    except FileNotFoundError:  # being set up, renamed into place soon, or an older cbow's
        if now - _newest_change(path) <= STALE_SECONDS:
            return False
        shutil.rmtree(path, ignore_errors=True)
        return not path.exists()
    except OSError:
        return False
    try:
        locked = _try_lock(fd)
        if locked is False or (locked is None and now - _newest_change(path) <= STALE_SECONDS):
            return False
        if not _names_inode_of(lock_path, fd):
            return False
        shutil.rmtree(path, ignore_errors=True)
        return not path.exists()
    finally:
        os.close(fd)


def _newest_change(directory: Path) -> float:
    """The latest modification time of `directory` and its entries (now, when unreadable)."""
    try:
        return max([directory.stat().st_mtime] + [entry.stat(follow_symlinks=False).st_mtime
                                                  for entry in os.scandir(directory)])
    except OSError:
        return time.time()
