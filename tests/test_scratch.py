"""Scratch files a run holds (cbow.scratch): swept once no live process holds them, never before.

A held item's lock is a descriptor; a process that dies, however, closes its descriptors,
so closing the descriptor here is exactly what a kill -9 leaves behind. One test kills a
real holder process to show it.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from cbow import scratch

pytestmark = pytest.mark.skipif(scratch.fcntl is None, reason="flock(2) exists on POSIX systems only")
FILE_PREFIX = ".v.bin.ids."


def _abandon(held) -> None:
    """Close the lock's descriptor without removing the item: the state a killed holder leaves."""
    if isinstance(held, scratch.HeldFile):
        os.close(held.fd)
        held.fd = None
    else:
        os.close(held._fd)
        held._fd = None


def test_an_abandoned_file_is_swept_and_a_held_one_kept(tmp_path):
    live = scratch.HeldFile(tmp_path, FILE_PREFIX)
    killed = scratch.HeldFile(tmp_path, FILE_PREFIX)
    killed.path.write_bytes(b"\0" * 4096)
    _abandon(killed)
    other_name = tmp_path / ".v.bin.ids.notours.tmp"  # not a name HeldFile makes: never judged
    other_name.write_bytes(b"")
    pattern = scratch.held_name_pattern(FILE_PREFIX, ".tmp")
    assert live.path.name.startswith(f"{FILE_PREFIX}{os.getpid()}.") and pattern.fullmatch(live.path.name)
    assert scratch.sweep(tmp_path, pattern) == [killed.path]
    assert live.path.exists() and other_name.exists() and not killed.path.exists()
    live.remove()
    assert not live.path.exists() and live.fd is None


def test_an_abandoned_directory_is_swept_with_its_content_and_a_held_one_kept(tmp_path):
    live = scratch.HeldDirectory(tmp_path, "cbow-ids-")
    killed = scratch.HeldDirectory(tmp_path, "cbow-ids-")
    (killed.path / "word_ids.npy").write_bytes(b"\0" * 4096)
    _abandon(killed)
    assert scratch.sweep(tmp_path, scratch.held_name_pattern("cbow-ids-")) == [killed.path]
    assert (live.path / scratch.LOCK_NAME).exists() and not killed.path.exists()
    live.remove()
    assert list(tmp_path.iterdir()) == []


def test_another_users_items_are_not_ours_to_judge(tmp_path):
    """In a shared /tmp another user's abandoned-looking file stays (we run as root here:
    the file is given away for real)."""
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user takes root")
    killed = scratch.HeldFile(tmp_path, FILE_PREFIX)
    _abandon(killed)
    os.chown(killed.path, 12345, 12345)
    assert scratch.sweep(tmp_path, scratch.held_name_pattern(FILE_PREFIX, ".tmp")) == []
    assert killed.path.exists()


def test_a_file_held_by_another_live_process_stays_until_that_process_is_killed(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", ("import sys; from cbow.scratch import HeldFile; "
                                f"held = HeldFile(sys.argv[1], {FILE_PREFIX!r}); print(held.path, flush=True); "
                                "sys.stdin.read()"),
         str(tmp_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        path = holder.stdout.readline().strip()
        pattern = scratch.held_name_pattern(FILE_PREFIX, ".tmp")
        assert scratch.sweep(tmp_path, pattern) == [] and os.path.exists(path)
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)
        assert [str(p) for p in scratch.sweep(tmp_path, pattern)] == [path]
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait()


def test_a_creator_that_loses_the_race_to_a_sweeper_makes_another(tmp_path, monkeypatch):
    """A sweeper may lock a file in the instant between its creation and its creator's
    lock, and remove it; the creator then holds nothing under that name and starts again."""
    real_mkstemp, made = tempfile.mkstemp, []

    def mkstemp_swept_once(*args, **kwargs):
        fd, name = real_mkstemp(*args, **kwargs)
        made.append(name)
        if len(made) == 1:  # the sweeper's turn: lock (another open file), judge, remove
            assert scratch.sweep(tmp_path, scratch.held_name_pattern(FILE_PREFIX, ".tmp")) == [tmp_path / name]
        return fd, name

    monkeypatch.setattr(scratch.tempfile, "mkstemp", mkstemp_swept_once)
    held = scratch.HeldFile(tmp_path, FILE_PREFIX)
    assert len(made) == 2 and str(held.path) == made[1] and held.path.exists()
    assert [path.name for path in tmp_path.iterdir()] == [held.path.name]
    held.remove()


def test_without_flock_only_a_day_of_silence_tells(tmp_path, monkeypatch):
    """A file system without locks (or Windows): the creator goes on unlocked, and the
    sweeper removes only what has not changed for STALE_SECONDS."""
    monkeypatch.setattr(scratch, "fcntl", None)
    held = scratch.HeldFile(tmp_path, FILE_PREFIX)
    pattern = scratch.held_name_pattern(FILE_PREFIX, ".tmp")
    assert scratch.sweep(tmp_path, pattern) == []
    assert scratch.sweep(tmp_path, pattern, now=time.time() + scratch.STALE_SECONDS + 60) == [held.path]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="lists open files through /proc")
def test_without_flock_nothing_is_renamed_or_removed_while_open(tmp_path, monkeypatch):
    """Windows renames and deletes no open file: with no lock to hold, the descriptor is
    closed first, and a directory gets no lock file at all."""
    from cbow import atomic

    monkeypatch.setattr(scratch, "fcntl", None)
    real_replace, real_unlink = os.replace, os.unlink

    def refusing_open_files(call):
        def checked(path, *args):
            assert not [fd for fd in os.listdir("/proc/self/fd") if os.path.realpath(f"/proc/self/fd/{fd}")
                        == os.path.realpath(path)], f"{path} is still open"
            return call(path, *args)
        return checked

    monkeypatch.setattr(scratch.os, "replace", refusing_open_files(real_replace))
    monkeypatch.setattr(scratch.os, "unlink", refusing_open_files(real_unlink))
    with atomic.atomic_write(tmp_path / "v.bin") as handle:
        handle.write(b"x")
    scratch.HeldFile(tmp_path, FILE_PREFIX).remove()
    directory = scratch.HeldDirectory(tmp_path, "cbow-ids-")
    assert list(directory.path.iterdir()) == []
    directory.remove()
    assert [p.name for p in tmp_path.iterdir()] == ["v.bin"]


def test_an_unmarked_directory_is_left_for_a_day(tmp_path):
    """A staging directory about to be renamed into the cache drops its lock file first;
    it is then judged by age, like one of an older cbow."""
    held = scratch.HeldDirectory(tmp_path, ".partial-")
    held.unmark()
    _abandon(held)
    pattern = scratch.held_name_pattern(".partial-")
    assert scratch.sweep(tmp_path, pattern) == []
    assert scratch.sweep(tmp_path, pattern, now=time.time() + scratch.STALE_SECONDS + 60) == [held.path]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="lists open files through /proc")
def test_without_flock_nothing_is_renamed_or_removed_while_open(tmp_path, monkeypatch):
    """Windows renames and deletes no open file: with no lock to hold, the descriptor is
    closed first, and a directory gets no lock file at all."""
    from cbow import atomic

    monkeypatch.setattr(scratch, "fcntl", None)
    real_replace, real_unlink = os.replace, os.unlink

    def refusing_open_files(call):
        def checked(path, *args):
            assert not [fd for fd in os.listdir("/proc/self/fd") if os.path.realpath(f"/proc/self/fd/{fd}")
                        == os.path.realpath(path)], f"{path} is still open"
            return call(path, *args)
        return checked

    monkeypatch.setattr(scratch.os, "replace", refusing_open_files(real_replace))
    monkeypatch.setattr(scratch.os, "unlink", refusing_open_files(real_unlink))
    with atomic.atomic_write(tmp_path / "v.bin") as handle:
        handle.write(b"x")
    scratch.HeldFile(tmp_path, FILE_PREFIX).remove()
    directory = scratch.HeldDirectory(tmp_path, "cbow-ids-")
    assert list(directory.path.iterdir()) == []
    directory.remove()
    assert [p.name for p in tmp_path.iterdir()] == ["v.bin"]
