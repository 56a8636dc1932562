"""The one output writer: regular files are replaced atomically, streams are written straight.

What a path names decides how it is written:

    a new name or a regular file   a temporary file beside it, fsync, os.replace over it: a
                                   reader never sees half a file and a failed write leaves the
                                   old file (or nothing); the new file keeps the old one's mode
                                   (and owner, where allowed), a new one gets 0o666 & ~umask
    a symbolic link                followed to its final target, which is replaced atomically
                                   there; the link itself is kept. Not in a sticky directory
                                   writable by all (/tmp) when another user owns the link and
                                   not the directory's owner: the rule of the kernel's
                                   fs.protected_symlinks, which resolving links here bypasses
                                   (such a link may be planted to make us overwrite our own
                                   files: a one-line error instead)
    "-"                            standard output, written straight
    /dev/stdout, /dev/fd/N,        that file descriptor, written straight (so `>>` appends and
    /proc/self/fd/N                a pipe stays a pipe)
    a device, FIFO or socket       opened and written straight: there is nothing to rename over
                                   (/dev/null stays a device)

A stream cannot be rolled back, so a write that fails half-way leaves part of the output
there; only regular files get the all-or-nothing guarantee. Binary content is refused
when the stream is a terminal. `output_target(path)` says which case a path is,
`replaces_existing(path)` whether writing it replaces an existing output (for the CLI's
"overwrote" notice), and `check_writable(path)` whether it can be written at all.

The temporary file is `.NAME.PID.XXXXXXXX.tmp`, held while it is written (cbow.scratch): one
left by a killed writer is removed by the next write of NAME (`sweep_temporaries`), one a
live writer holds never is.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cbow.errors import OutputError
from cbow.scratch import HeldFile, held_name_pattern, sweep

STDOUT = "-"
_MAX_LINK_HOPS = 40  # as the kernel's ELOOP limit


@dataclass(frozen=True)
class OutputTarget:
    """Where writing a path actually goes.

    Attributes
    ----------
    given : the path as the caller wrote it (used in messages)
    path : the file written: a symlink's final target, or `given` itself; None for a descriptor
    descriptor : the open file descriptor written straight ("-" = 1, /dev/fd/N = N), or None
    stream : True when written straight (a descriptor, a device, a FIFO, a socket), False when
        replaced atomically
    existing : what `path` is now: None (absent), "file", "directory" or "other" (a stream)
    """

    given: str
    path: Path | None
    descriptor: int | None
    stream: bool
    existing: str | None

    @property
    def shown(self) -> str:
        """The target as messages name it: 'standard output', or the path (-> its target)."""
        if self.descriptor == 1:
            return "standard output"
        if self.path is not None and os.fspath(self.path) != self.given:
            return f"{self.given} (-> {self.path})"
        return self.given


def output_target(path: str | os.PathLike) -> OutputTarget:
    """Classify an output path (see the module docstring); nothing is created or opened.

    Raises
    ------
    OutputError : the symlink chain loops or is longer than 40 links
    """
    given = os.fspath(path)
    if given == STDOUT:
        return OutputTarget(given, None, 1, True, "other")
    descriptor = _descriptor_of(given)
    if descriptor is not None:
        return OutputTarget(given, None, descriptor, True, "other")
    final = _follow_links(given)
    try:
        mode = os.stat(final).st_mode
    except FileNotFoundError:
        return OutputTarget(given, final, None, False, None)
    except OSError as exc:
        raise OutputError(f"{given}: cannot inspect ({exc.strerror}); choose another path") from None
    if stat.S_ISREG(mode):
        return OutputTarget(given, final, None, False, "file")
    if stat.S_ISDIR(mode):
        return OutputTarget(given, final, None, False, "directory")
    return OutputTarget(given, final, None, True, "other")


def replaces_existing(path: str | os.PathLike) -> bool:
    """True when writing `path` replaces an existing file or directory (through a symlink,
    its target); False for a new name and for streams (stdout, devices, FIFOs)."""
    target = output_target(path)
    return not target.stream and target.existing is not None


def check_writable(path: str | os.PathLike, directory_ok: bool = False) -> OutputTarget:
    """Fail now, before any work, when `path` cannot be written; return its target.

    A file is created in the target's directory and removed again: permissions, a read-only
    mount or a file system that takes no files (/proc) are found here, not after the run.

    Parameters
    ----------
    path : the output
    directory_ok : an existing directory is fine (a directory format such as .cbow replaces it)

    Raises
    ------
    OutputError : the target's directory is missing or takes no new file, the target is a
        directory, or a link on the way may not be followed (module docstring)
    """
    target = _checked_target(path, directory_ok)
    if not target.stream:
        try:
            HeldFile(target.path.parent, f".{target.path.name}.").remove()
        except OSError as exc:
            raise OutputError(f"{target.shown}: cannot create files in {target.path.parent} "
                              f"({_create_failure(exc)}); choose another path") from None
    return target


def _checked_target(path: str | os.PathLike, directory_ok: bool = False) -> OutputTarget:
    """`check_writable` short of creating a file (atomic_write creates its own at once)."""
    target = output_target(path)
    if target.stream:
        return target
    directory = target.path.parent
    if not directory.is_dir():
        raise OutputError(f"{target.shown}: directory {directory} does not exist; create it or choose another path")
    if target.existing == "directory" and not directory_ok:
        raise OutputError(f"{target.shown}: is a directory; give a file name or remove the directory")
    return target


def _create_failure(exc: OSError) -> str:
    """Why a file could not be created in an existing directory, in words a user can act on."""
    if exc.errno == errno.ENOENT:  # the directory is there: a virtual file system such as /proc
        return "it is not a directory that takes files"
    return exc.strerror or str(exc)


def sweep_temporaries(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files a killed writer of `path` left beside it (module
    docstring); those of a live writer stay. Returns what was removed."""
    final = _follow_links(os.fspath(path))
    return sweep(final.parent, _temporary_pattern(final))


def _temporary_pattern(final: Path):
    return held_name_pattern(f".{final.name}.", ".tmp")


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, binary: bool = False) -> Iterator[BinaryIO]:
    """Open `path` for binary writing: atomically replaced on success, or written straight
    when it is a stream (see the module docstring).

    Parameters
    ----------
    path : file, symlink, "-" (standard output), /dev/stdout, a device or a FIFO
    binary : the content is not text: refused when the target is a terminal

    Raises
    ------
    OutputError : the directory is missing or not writable, the target is a directory, binary
        content would go to a terminal, or the write failed (for a file, the temporary file is
        removed and `path` is untouched)
    """
    target = _checked_target(path)
    if target.stream:
        with _write_straight(target, binary) as handle:
            yield handle
        return
    with _replace_atomically(target) as handle:
        yield handle


@contextlib.contextmanager
def _replace_atomically(target: OutputTarget) -> Iterator[BinaryIO]:
    final = target.path
    sweep(final.parent, _temporary_pattern(final))
    try:
        temporary = HeldFile(final.parent, f".{final.name}.")
    except OSError as exc:
        raise OutputError(f"{target.shown}: cannot write here ({_create_failure(exc)}); choose another path") from exc
    try:
        with os.fdopen(os.dup(temporary.fd), "wb") as handle:
            _copy_permissions(handle.fileno(), final if target.existing == "file" else None)
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(final)  # held up to the rename: no sweeper removes it in between
    except OSError as exc:
        temporary.remove()
        raise OutputError(f"{target.shown}: write failed ({exc.strerror or exc}); free space or choose another "
                          "path") from exc
    except BaseException:
        temporary.remove()
        raise


@contextlib.contextmanager
def _write_straight(target: OutputTarget, binary: bool) -> Iterator[BinaryIO]:
    """Write a descriptor, device or FIFO in place (opening a FIFO waits for its reader)."""
    standard = {1: sys.stdout, 2: sys.stderr}.get(target.descriptor)
    if standard is not None:
        standard.flush()  # text already printed comes first
        handle, owned = standard.buffer, False
    else:
        try:
            if target.descriptor is not None:
                handle = os.fdopen(os.dup(target.descriptor), "wb")
            else:
                handle = open(target.path, "wb")  # noqa: SIM115 (closed below)
        except OSError as exc:
            raise OutputError(f"{target.shown}: cannot open for writing ({exc.strerror}); choose another path") from exc
        owned = True
    try:
        if binary and handle.isatty():
            raise OutputError(f"{target.shown}: is a terminal and this output is binary; redirect it to a file "
                              "(> FILE) or choose a text format")
        yield handle
        handle.flush()
    except BrokenPipeError:
        raise  # the reader left (`| head`): the CLI ends quietly
    except OSError as exc:
        raise OutputError(f"{target.shown}: write failed ({exc.strerror or exc}); part of the output may "
                          "have been written") from exc
    finally:
        if owned:
            with contextlib.suppress(OSError):
                handle.close()


def _descriptor_of(given: str) -> int | None:
    """N when `given` names one of our open file descriptors (/dev/stdout, /dev/fd/N,
    /proc/self/fd/N, or a symlink to one), else None."""
    fd_dirs = {"/proc/self/fd", f"/proc/{os.getpid()}/fd"}
    current = os.path.abspath(given)
    for _ in range(_MAX_LINK_HOPS):
        name = os.path.basename(current)
        if name.isdigit() and os.path.realpath(os.path.dirname(current)) in fd_dirs:
            return int(name)
        if not os.path.islink(current):
            return None
        _check_link_owner(given, current)
        current = os.path.join(os.path.dirname(current), os.readlink(current))
    return None


def _follow_links(given: str) -> Path:
    """The path a chain of symlinks ends at (which may not exist yet: it is created there)."""
    current = given
    for _ in range(_MAX_LINK_HOPS):
        if not os.path.islink(current):
            return Path(current)
        _check_link_owner(given, current)
        current = os.path.join(os.path.dirname(current), os.readlink(current))
    raise OutputError(f"{given}: too many levels of symbolic links (a loop?); fix the link or choose another path")


def may_follow_link(link_uid: int, directory_mode: int, directory_uid: int, follower_uid: int) -> bool:
    """Whether a process of `follower_uid` may follow a symlink owned by `link_uid` in a
    directory of mode `directory_mode` owned by `directory_uid`: the rule of Linux's
    fs.protected_symlinks. Outside a sticky directory writable by all, always; inside one
    (/tmp, /var/tmp, a shared scratch space), only a link of the follower's or of the
    directory's owner: anyone else may have planted it there."""
    shared = bool(directory_mode & stat.S_ISVTX) and bool(directory_mode & stat.S_IWOTH)
    return not shared or link_uid in (follower_uid, directory_uid)


def _check_link_owner(given: str, link: str) -> None:
    """Raise OutputError when `link` (a symlink met on the way to `given`) may not be followed."""
    if not hasattr(os, "geteuid"):
        return  # Windows: no owners of this kind
    directory = os.path.dirname(link) or "."
    try:
        link_info, directory_info = os.lstat(link), os.stat(directory)
    except OSError:
        return  # gone meanwhile: what follows finds no link there
    if not may_follow_link(link_info.st_uid, directory_info.st_mode, directory_info.st_uid, os.geteuid()):
        which = "is a symbolic link" if link == given else f"leads through {link}, a symbolic link"
        raise OutputError(
            f"{given}: {which} of another user (uid {link_info.st_uid}) in {directory}, a directory everyone may "
            "write to, so it is not followed; remove it, or choose another path")


def _copy_permissions(fd: int, existing: Path | None) -> None:
    """Give the temporary file (mkstemp makes 0600) the mode a plain open() would leave: the
    replaced file's mode and owner, or 0o666 & ~umask for a new file."""
    if existing is None:
        os.fchmod(fd, 0o666 & ~current_umask())
        return
    old = os.stat(existing)
    os.fchmod(fd, stat.S_IMODE(old.st_mode))
    if (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
        with contextlib.suppress(OSError):  # only root may give a file away
            os.fchown(fd, old.st_uid, old.st_gid)


def current_umask() -> int:
    """The process's umask, read without changing it where Linux allows (/proc), else set and restored."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask

