"""A disk that fills during `cbow train` (issue 27, item 14): the one-line error names the
checkpoint that was kept and the command that goes on from it, and that command works.

The disk fills for one output only: its temporary's fsync fails with ENOSPC, the error a
full disk gives there (a small tmpfs does the same, scripts aside; tests run unprivileged).
"""

import errno
import os
import re

import pytest

from cbow import atomic
from cbow.cli import main
from cbow.corpora import planted
from cbow.training.checkpoint import load_checkpoint
from cbow.training.disk import free_bytes

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="names a descriptor's file through /proc")


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("\n".join(planted.generate_lines(n_sentences=400, seed=3)) + "\n", encoding="utf-8")
    return path


def fill_disk_for(monkeypatch, temporary_name: str, after: int = 0) -> None:
    """Make the fsync of temporaries whose name matches `temporary_name` (a regex) fail with
    ENOSPC, after `after` of them succeeded."""
    real_fsync, calls = os.fsync, []

    def fsync(fd):
        if re.fullmatch(temporary_name, os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))):
            calls.append(fd)
            if len(calls) > after:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", fsync)


def train(corpus, out, *more):
    return main(["train", str(corpus), "-o", str(out), "--epochs", "2", "--size", "8", "--min-count", "1", "-q",
                 "--no-cache", "--workers", "1", *more])


def test_vectors_that_do_not_fit_leave_the_checkpoint_and_say_how_to_finish(tmp_path, corpus, monkeypatch, capsys):
    out, ckpt = tmp_path / "v.bin", tmp_path / "v.bin.ckpt"
    fill_disk_for(monkeypatch, r"\.v\.bin\.[0-9]+\.\w{8}\.tmp")
    assert train(corpus, out) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"cbow train: error: {out}: write failed (No space left on device);")
    assert err.rstrip().endswith(f"the last checkpoint, {ckpt}, is kept: then continue with cbow train --resume {ckpt}")
    assert not out.exists() and load_checkpoint(ckpt).state.epoch == 2
    monkeypatch.undo()  # space freed
    assert main(["train", "--resume", str(ckpt), "-q"]) == 0
    assert out.exists() and not ckpt.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt", "v.bin", "v.bin.log.jsonl"]


def test_a_checkpoint_that_does_not_fit_keeps_the_one_before(tmp_path, corpus, monkeypatch, capsys):
    out, ckpt = tmp_path / "v.bin", tmp_path / "v.bin.ckpt"
    fill_disk_for(monkeypatch, r"\.v\.bin\.ckpt\.[0-9]+\.\w{8}\.tmp", after=1)  # epoch 1's fits, epoch 2's not
    assert train(corpus, out) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{ckpt}: write failed (No space left on device)" in err
    assert f"the last checkpoint, {ckpt}, is kept: then continue with cbow train --resume {ckpt}" in err
    assert load_checkpoint(ckpt).state.epoch == 1


def test_no_checkpoint_yet_means_no_resume_command(tmp_path, corpus, monkeypatch, capsys):
    fill_disk_for(monkeypatch, r"\.v\.bin\.ckpt\.[0-9]+\.\w{8}\.tmp")
    assert train(corpus, tmp_path / "v.bin") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "write failed (No space left on device)" in err and "--resume" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt", "v.bin.log.jsonl"]


def test_a_file_system_of_no_size_has_no_free_space_to_report():
    """/proc: 0 bytes free would be the wrong reason; the writability check names the right one."""
    assert free_bytes("/proc") is None
    assert free_bytes(os.getcwd()) is not None
