"""The one output writer (cbow.atomic): what each kind of output path becomes (issue 17, item 2).

Regular files are replaced atomically with the mode a plain open() would give; a symlink is
written through to its target; "-", /dev/stdout, devices and FIFOs are written straight;
binary output to a terminal is refused; replacing an existing output is reported.
"""

import os
import stat
import subprocess
import sys
import threading

import numpy as np
import pytest

from cbow import atomic
from cbow.cli import main
from cbow.errors import OutputError
from cbow.vectors.keyed import KeyedVectors

WORDS = ["alpha", "beta", "gamma"]
VECTORS = np.arange(12, dtype=np.float32).reshape(3, 4) / 7


@pytest.fixture
def vectors_bin(tmp_path):
    path = tmp_path / "v.bin"
    KeyedVectors(WORDS, VECTORS).save(path)
    return path


@pytest.fixture
def umask():
    """Set the process umask for one test, restored after."""
    saved = os.umask(0o022)
    os.umask(saved)
    yield os.umask
    os.umask(saved)


def _convert(*args, **kwargs) -> subprocess.CompletedProcess:
    """`python -m cbow convert ARGS` in a subprocess (stdout and stderr as `kwargs` say)."""
    return subprocess.run([sys.executable, "-m", "cbow", "convert", *map(str, args)], check=False, timeout=300,
                          **kwargs)


def _write(path, payload: bytes, **kwargs) -> None:
    with atomic.atomic_write(path, **kwargs) as handle:
        handle.write(payload)


# -- symlinks ----------------------------------------------------------------------------------
def test_symlink_is_written_through_to_its_target(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "real.bin"
    target.write_bytes(b"old")
    old_inode = target.stat().st_ino
    link = tmp_path / "link.bin"
    link.symlink_to(target)

    _write(link, b"new")

    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == b"new"
    assert target.stat().st_ino != old_inode  # replaced by rename at the target, not rewritten in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "link.bin"]
    assert sorted(p.name for p in elsewhere.iterdir()) == ["real.bin"]  # no temporary file left


def test_chained_and_dangling_symlinks(tmp_path):
    target = tmp_path / "sub" / "made.txt"
    target.parent.mkdir()
    (tmp_path / "hop").symlink_to("sub/made.txt")  # relative, resolved from the link's directory
    (tmp_path / "first").symlink_to("hop")
    _write(tmp_path / "first", b"created")
    assert target.read_bytes() == b"created"
    assert (tmp_path / "first").is_symlink() and (tmp_path / "hop").is_symlink()

    (tmp_path / "loop").symlink_to("loop")
    with pytest.raises(OutputError, match="too many levels of symbolic links"):
        _write(tmp_path / "loop", b"x")


def test_cbow_directory_written_through_a_symlink(tmp_path):
    real = tmp_path / "store" / "v.cbow"
    real.parent.mkdir()
    KeyedVectors(WORDS, VECTORS).save(real)
    link = tmp_path / "v.cbow"
    link.symlink_to(real)
    KeyedVectors(WORDS, VECTORS * 2).save(link)
    assert link.is_symlink()
    np.testing.assert_array_equal(KeyedVectors.load(real).vectors, VECTORS * 2)


# -- streams: FIFOs, devices, "-", /dev/stdout --------------------------------------------------
def test_fifo_is_written_straight(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    # opening a FIFO waits for the other end, so the reader cannot miss the write below; a
    # daemon thread, so a writer that never opens the FIFO fails the test instead of hanging it
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    try:
        _write(fifo, b"through the pipe")
    finally:
        reader.join(timeout=60)
    assert received == [b"through the pipe"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


@pytest.fixture
def null_device(tmp_path):
    """A private node of the null device (major 1, minor 3), so a broken writer replaces this
    node and never the machine's /dev/null. Creating one needs root (CAP_MKNOD)."""
    if os.geteuid() != 0:
        pytest.skip("creating a character device needs root; /dev/null can only be replaced by root anyway")
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        with open(node, "wb") as handle:
            handle.write(b"x")
    except OSError as exc:
        pytest.skip(f"cannot create or open a device node here ({exc.strerror}; a nodev mount or no CAP_MKNOD)")
    return node


def test_character_device_stays_a_device(null_device, vectors_bin):
    assert main(["convert", str(vectors_bin), str(null_device), "--to", "bin"]) == 0
    assert stat.S_ISCHR(os.lstat(null_device).st_mode)
    assert sorted(p.name for p in null_device.parent.iterdir()) == ["null", "v.bin"]
    _write(null_device, b"discarded")
    assert stat.S_ISCHR(os.lstat(null_device).st_mode)


def test_dash_writes_to_standard_output(tmp_path, vectors_bin):
    text = _convert(vectors_bin, "-", cwd=tmp_path, capture_output=True)
    assert text.returncode == 0, text.stderr
    assert text.stdout.decode().splitlines()[:2] == ["3 4", "alpha 0 0.142857 0.285714 0.428571"]
    binary = _convert(vectors_bin, "-", "--to", "bin", cwd=tmp_path, capture_output=True)
    assert binary.returncode == 0, binary.stderr
    assert binary.stdout == vectors_bin.read_bytes()
    assert not (tmp_path / "-").exists()


def test_dev_stdout_names_our_standard_output():
    # inspection only: a test that wrote /dev/stdout itself would, with a broken writer run
    # as root, replace the machine's /dev/stdout (the bug of issue 17), so the writes below
    # go through a private link of the same kind
    target = atomic.output_target("/dev/stdout")
    assert target.stream and target.descriptor == 1
    assert atomic.output_target("/dev/fd/2").descriptor == 2


def test_a_link_to_our_stdout_writes_the_descriptor_and_appends_after_a_redirect(tmp_path, vectors_bin):
    stdout_link = tmp_path / "stdout"
    stdout_link.symlink_to("/proc/self/fd/1")  # what /dev/stdout is
    redirected = tmp_path / "out.txt"
    redirected.write_bytes(b"earlier line\n")
    inode = redirected.stat().st_ino
    with open(redirected, "ab") as stdout:  # as `>> out.txt`
        result = _convert(vectors_bin, stdout_link, stdout=stdout, stderr=subprocess.PIPE)
    assert result.returncode == 0, result.stderr
    lines = redirected.read_text().splitlines()
    assert lines[:2] == ["earlier line", "3 4"] and len(lines) == 5
    assert redirected.stat().st_ino == inode
    piped = _convert(vectors_bin, stdout_link, capture_output=True)
    assert piped.returncode == 0 and piped.stdout.decode().startswith("3 4\n")
    assert stdout_link.is_symlink()


def test_binary_output_to_a_terminal_is_refused(tmp_path, vectors_bin):
    import pty

    controller, terminal = pty.openpty()
    try:
        result = _convert(vectors_bin, "-", "--to", "bin", stdout=terminal, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(terminal)
        os.close(controller)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is a terminal" in lines[0] and "redirect" in lines[0], result.stderr


# -- modes -------------------------------------------------------------------------------------
@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_file_mode_follows_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    _write(tmp_path / "new.bin", b"x")
    assert stat.S_IMODE((tmp_path / "new.bin").stat().st_mode) == mode
    KeyedVectors(WORDS, VECTORS).save(tmp_path / "new.cbow")
    assert stat.S_IMODE((tmp_path / "new.cbow").stat().st_mode) == mode | 0o111 & ~mask


def test_replaced_file_keeps_its_mode(tmp_path, umask):
    umask(0o022)
    path = tmp_path / "shared.txt"
    path.write_bytes(b"old")
    path.chmod(0o640)
    _write(path, b"new")
    assert path.read_bytes() == b"new" and stat.S_IMODE(path.stat().st_mode) == 0o640
    directory = tmp_path / "kept.cbow"
    KeyedVectors(WORDS, VECTORS).save(directory)
    directory.chmod(0o750)
    KeyedVectors(WORDS, VECTORS * 3).save(directory)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o750


# -- the overwrite notice ------------------------------------------------------------------------
def test_replaces_existing_says_when_an_output_is_replaced(tmp_path):
    from cbow.atomic import replaces_existing

    path = tmp_path / "v.bin"
    assert not replaces_existing(path)
    path.write_bytes(b"x")
    assert replaces_existing(path)
    link = tmp_path / "link"
    link.symlink_to("v.bin")
    assert replaces_existing(link)
    os.mkfifo(tmp_path / "pipe")
    assert not replaces_existing(tmp_path / "pipe") and not replaces_existing("-")


def test_cli_says_overwrote(tmp_path, vectors_bin, capsys):
    out = tmp_path / "v.txt"
    assert main(["convert", str(vectors_bin), str(out)]) == 0
    assert ": overwrote" not in capsys.readouterr().err
    assert main(["convert", str(vectors_bin), str(out)]) == 0
    assert f"cbow convert: overwrote {out}" in capsys.readouterr().err


def test_train_without_output_says_it_overwrote_vectors_bin(tmp_path, monkeypatch, capsys):
    from cbow.corpora import planted

    (tmp_path / "c.txt").write_text("\n".join(planted.generate_lines(n_sentences=300, seed=1)) + "\n")
    monkeypatch.chdir(tmp_path)
    argv = ["train", "c.txt", "--epochs", "1", "--size", "8", "--min-count", "1", "--workers", "1", "-q"]
    assert main(argv) == 0
    assert ": overwrote" not in capsys.readouterr().err
    assert main(argv) == 0
    assert "cbow train: overwrote vectors.bin" in capsys.readouterr().err


# -- links planted in shared directories (issue 27, item 8) --------------------------------------
STICKY_SHARED = 0o1777  # /tmp's mode: everyone writes, only an owner removes


@pytest.mark.parametrize("link_uid, directory_mode, directory_uid, follows", [
    (1000, 0o755, 1000, True),  # a private directory: any link is the owner's doing
    (2000, 0o777, 1000, True),  # writable by all but not sticky: the kernel's rule does not apply either
    (1000, STICKY_SHARED, 0, True),  # our own link in /tmp
    (0, STICKY_SHARED, 0, True),  # the directory owner's
    (2000, STICKY_SHARED, 0, False),  # another user's link in /tmp
    (2000, 0o1775, 0, True),  # sticky but not writable by all: only its group could plant it
])
def test_a_link_is_followed_as_fs_protected_symlinks_would(link_uid, directory_mode, directory_uid, follows):
    assert atomic.may_follow_link(link_uid, directory_mode, directory_uid, follower_uid=1000) is follows


@pytest.fixture
def shared_dir(tmp_path):
    """A sticky directory writable by all, as /tmp, owned by us."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(STICKY_SHARED)
    return shared


def _plant(link, target, uid):
    """A symlink at `link` to `target` owned by `uid` (giving it away takes root: we run as root here)."""
    if uid != os.geteuid() and os.geteuid() != 0:
        pytest.skip("a link owned by another user takes root to make")
    link.symlink_to(target)
    os.lchown(link, uid, uid)


def test_another_users_link_in_a_shared_directory_is_not_followed(shared_dir, tmp_path):
    victim = tmp_path / "precious.txt"
    victim.write_bytes(b"mine")
    _plant(shared_dir / "v.bin.ckpt", victim, uid=12345)
    with pytest.raises(OutputError) as error:
        _write(shared_dir / "v.bin.ckpt", b"overwritten")
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"{shared_dir / 'v.bin.ckpt'}: is a symbolic link of another user (uid 12345) in "
                              f"{shared_dir}, a directory everyone may write to")
    assert "remove it, or choose another path" in message
    assert victim.read_bytes() == b"mine"
    with pytest.raises(OutputError, match="another user"):
        atomic.check_writable(shared_dir / "v.bin.ckpt")


def test_a_chain_through_another_users_link_names_that_link(shared_dir, tmp_path):
    victim = tmp_path / "precious.txt"
    victim.write_bytes(b"mine")
    _plant(shared_dir / "hop", victim, uid=12345)
    (tmp_path / "mine.txt").symlink_to(shared_dir / "hop")  # our link, into the shared directory
    with pytest.raises(OutputError, match=f"mine.txt: leads through {shared_dir / 'hop'}, a symbolic link of another"):
        _write(tmp_path / "mine.txt", b"overwritten")
    assert victim.read_bytes() == b"mine"


def test_our_own_link_in_a_shared_directory_is_followed(shared_dir, tmp_path):
    target = tmp_path / "real.txt"
    _plant(shared_dir / "mine.txt", target, uid=os.geteuid())
    _write(shared_dir / "mine.txt", b"through")
    assert target.read_bytes() == b"through"


def test_train_refuses_a_planted_checkpoint_link_before_reading(shared_dir, tmp_path, capsys, monkeypatch):
    """The side files (OUTPUT.ckpt, OUTPUT.log.jsonl) are named by cbow, not by the user: a
    link another user planted at those names fails the run at once, in one line."""
    from cbow.cli import train_run
    from cbow.corpora import planted

    def no_reading(*args, **kwargs):
        raise AssertionError("the corpus was read before the outputs were checked")

    monkeypatch.setattr(train_run, "_prepare_corpus", no_reading)

    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(planted.generate_lines(n_sentences=300, seed=1)) + "\n")
    victim = tmp_path / "precious.txt"
    victim.write_bytes(b"mine")
    for side in ("v.bin.ckpt", "v.bin.log.jsonl"):
        link = shared_dir / side
        _plant(link, victim, uid=12345)
        code = main(["train", str(corpus), "-o", str(shared_dir / "v.bin"), "--epochs", "1", "--size", "8",
                     "--min-count", "1", "-q", "--no-cache"])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and f"{link}: is a symbolic link of another user" in err
        assert victim.read_bytes() == b"mine" and not (shared_dir / "v.bin").exists()
        link.unlink()


# -- temporaries left by a killed writer (issue 27, item 3) ---------------------------------------
def test_a_killed_writers_temporary_goes_at_the_next_write_and_a_live_ones_stays(tmp_path):
    from cbow.scratch import HeldFile

    live = HeldFile(tmp_path, ".v.bin.")  # another process writing v.bin right now
    killed = HeldFile(tmp_path, ".v.bin.")
    killed.path.write_bytes(b"half a file")
    os.close(killed.fd)  # what its process's death does to the lock
    killed.fd = None
    older = tmp_path / ".v.bin.abcd1234.tmp"  # an older cbow's name (no pid): not judged
    older.write_bytes(b"")
    _write(tmp_path / "v.bin", b"whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.path.name, older.name, "v.bin"])
    live.remove()


def test_the_temporary_is_held_while_it_is_written(tmp_path):
    from cbow import scratch

    with atomic.atomic_write(tmp_path / "v.bin") as handle:
        handle.write(b"x")
        [temporary] = [p for p in tmp_path.iterdir() if p.name != "v.bin"]
        assert temporary.name.startswith(f".v.bin.{os.getpid()}.") and temporary.name.endswith(".tmp")
        assert scratch.sweep(tmp_path, scratch.held_name_pattern(".v.bin.", ".tmp")) == []
    assert [p.name for p in tmp_path.iterdir()] == ["v.bin"]


# -- outputs that cannot be written, found before any work (issue 27, item 14) -------------------
@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="/proc is Linux's")
def test_a_directory_that_takes_no_files_is_named_so(capsys):
    with pytest.raises(OutputError, match=r"^/proc/a\.bin: cannot create files in /proc \(it is not a directory "
                                          r"that takes files\); choose another path$"):
        atomic.check_writable("/proc/a.bin")
    assert main(["train", "-o", "/proc/a.bin", "--epochs", "1", "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cbow train: error: /proc/a.bin: cannot create files in /proc") and "free" not in err


def test_an_unwritable_directory_is_found_before_any_work(tmp_path, monkeypatch):
    """What a read-only directory does for a user who is not root (root writes anywhere)."""
    from cbow import scratch

    def no_permission(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(scratch.tempfile, "mkstemp", no_permission)
    with pytest.raises(OutputError, match=r"v\.bin: cannot create files in .* \(Permission denied\)"):
        atomic.check_writable(tmp_path / "v.bin")
    assert list(tmp_path.iterdir()) == []
