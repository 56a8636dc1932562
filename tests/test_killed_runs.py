"""`cbow train` killed outright (kill -9, the OOM killer) at a point the test holds it at:
no process of it is left, the caller's pipes close, and the next run removes what it left
on disk without touching a live run's files (issue 27, item 3).

The pause points are the test's own (a wrapper script patches cbow before running it, so
the forked reader inherits the patch), or the checkpointer's hold point during training;
never a sleep racing the process.
"""

import os
import select
import signal
import subprocess
import sys

import pytest

from cli_helpers import holding_at, wait_for_checkpoint
from test_workers import running, worker_processes_of

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the reader is forked on Linux only")

# Runs cbow's CLI with a pause point: the process that reaches it writes its pid to fd
# argv[1] and waits for a byte on fd argv[2] (forever, if the test never sends it).
PAUSED_RUN = r"""
import os, re, sys
ready_fd, go_fd, where = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

def pause():
    os.write(ready_fd, f"{os.getpid()}\n".encode())
    os.read(go_fd, 1)

if where.startswith("reading"):
    from cbow.data import reading_process
    real_read = reading_process.read_and_encode

    def read_and_encode(source, **settings):  # in the forked reader
        settings["ids_path"].write_bytes(bytes(1 << 20))  # ids read so far, as a killed reading leaves them
        pause()
        return real_read(source, **settings)

    reading_process.read_and_encode = read_and_encode
    if where == "reading-without-prctl":
        reading_process._PR_SET_PDEATHSIG = 0  # not an option: prctl fails, as where it is not allowed
elif where == "saving":
    from cbow import atomic
    real_copy = atomic._copy_permissions

    def copy_permissions(fd, existing):  # the vectors' temporary is open, part of them written
        real_copy(fd, existing)
        if re.fullmatch(r"\.v\.bin\.\d+\.\w{8}\.tmp", os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))):
            os.write(fd, bytes(1 << 20))
            pause()

    atomic._copy_permissions = copy_permissions
from cbow.cli import main
sys.exit(main(sys.argv[4:]))
"""


@pytest.fixture
def run_dir(tmp_path):
    """A corpus whose reader's answer outgrows a pipe's buffer (12,000 words and sentences:
    the words, and the offsets when cached, are each > 64 KiB), an output directory, a
    cache directory and the runs' own TMPDIR."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(letters[(i // 26**k) % 26] for k in range(4)) + "x" for i in range(12000)]
    corpus = tmp_path / "c.txt"
    corpus.write_text("".join(f"{words[i]} {words[(i * 7 + 1) % 12000]} the of\n" for i in range(12000)))
    for name in ("out", "cache", "tmp"):
        (tmp_path / name).mkdir()
    return tmp_path


def _cbow_argv(run_dir, *more):
    return ["train", str(run_dir / "c.txt"), "-o", str(run_dir / "out" / "v.bin"), "--epochs", "1", "--size", "8",
            "--min-count", "1", "-q", "--cache-dir", str(run_dir / "cache"), *more]


def _env(run_dir):
    return {**os.environ, "TMPDIR": str(run_dir / "tmp")}


class PausedRun:
    """`cbow train` under PAUSED_RUN, stopped at its pause point once `pause_pid` is read."""

    def __init__(self, run_dir, where, *cbow_args):
        ready_r, ready_w = os.pipe()
        go_r, self.go_w = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-c", PAUSED_RUN, str(ready_w), str(go_r), where, *_cbow_argv(run_dir, *cbow_args)],
            pass_fds=(ready_w, go_r), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(run_dir))
        os.close(ready_w)
        os.close(go_r)
        readable, _, _ = select.select([ready_r], [], [], 300)
        answer = os.read(ready_r, 64) if readable else b""
        os.close(ready_r)
        if not answer:
            self.process.kill()
            raise AssertionError(f"the run never reached its pause point: {self.process.communicate()[1]!r}")
        self.pause_pid = int(answer)

    def go(self) -> None:
        try:
            os.write(self.go_w, b"g")
        except BrokenPipeError:  # everyone who could read it is dead: nothing to release
            pass
        os.close(self.go_w)

    def kill_and_wait(self) -> str:
        """SIGKILL the cbow process; returns its stderr once every holder of its pipes is gone."""
        self.process.send_signal(signal.SIGKILL)
        return communicate_or_fail(self.process, also_kill=[self.pause_pid])


def communicate_or_fail(process, also_kill=()) -> str:
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        for pid in also_kill:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        process.kill()
        process.communicate()
        raise AssertionError("the caller's stdout/stderr stayed open: an orphan of the killed run holds them") from None
    return stderr.decode()


def leftovers(run_dir) -> list[str]:
    """What is on disk besides the corpus, the finished outputs and the cache's entries."""
    found = [f"tmp/{p.name}" for p in (run_dir / "tmp").iterdir()]
    found += [f"out/{p.name}" for p in (run_dir / "out").iterdir() if p.name not in ("v.bin", "v.bin.log.jsonl")]
    corpora = run_dir / "cache" / "corpora"
    found += [f"cache/{p.name}" for p in corpora.iterdir() if p.name.startswith(".")] if corpora.is_dir() else []
    return found


def next_run_leaves_nothing(run_dir, *cbow_args) -> None:
    done = subprocess.run([sys.executable, "-m", "cbow", *_cbow_argv(run_dir, *cbow_args)], capture_output=True,
                          text=True, env=_env(run_dir), timeout=300)
    assert done.returncode == 0, done.stderr
    assert leftovers(run_dir) == []


def wait_until_gone(pids) -> None:
    """Processes that lost their pipes are exiting: wait (bounded) until none is running."""
    import time

    deadline = time.monotonic() + 60
    while any(running(pid) for pid in pids):
        assert time.monotonic() < deadline, f"still running: {[pid for pid in pids if running(pid)]}"
        time.sleep(0.01)


@pytest.mark.parametrize("cache", ["cold cache", "--no-cache"])
def test_a_reader_whose_parent_is_killed_dies_with_it(run_dir, cache):
    """The reader paused mid-read is never released: only its death signal ends it."""
    more = ["--no-cache"] if cache == "--no-cache" else []
    run = PausedRun(run_dir, "reading", *more)
    stderr = run.kill_and_wait()
    wait_until_gone([run.pause_pid])
    assert run.process.returncode == -signal.SIGKILL and stderr == ""
    left = leftovers(run_dir)
    assert len(left) == 1 and left[0].startswith("tmp/cbow-ids-" if more else "cache/.partial-"), left
    run.go()
    next_run_leaves_nothing(run_dir, *more)


def test_without_a_death_signal_an_orphaned_reader_ends_at_its_answer(run_dir):
    """Where prctl fails, the reader reads on after its parent's death; its answer then finds
    no reader (its copy of the read end is closed) and it exits quietly instead of blocking
    in the write forever."""
    run = PausedRun(run_dir, "reading-without-prctl")
    run.process.send_signal(signal.SIGKILL)
    run.process.wait()
    assert running(run.pause_pid)  # orphaned, paused
    run.go()
    stderr = communicate_or_fail(run.process, also_kill=[run.pause_pid])
    wait_until_gone([run.pause_pid])
    assert stderr == ""  # no traceback from the orphan either
    next_run_leaves_nothing(run_dir)


def test_a_live_runs_files_are_left_alone(run_dir):
    """A second run meanwhile, same cache and TMPDIR, sweeps: the paused run's staging stays,
    and the paused run then finishes."""
    paused = PausedRun(run_dir, "reading")
    [staging] = leftovers(run_dir)
    other = subprocess.run([sys.executable, "-m", "cbow", *_cbow_argv(run_dir, "-o", str(run_dir / "other.bin"))],
                           capture_output=True, text=True, env=_env(run_dir), timeout=300)
    assert other.returncode == 0, other.stderr
    assert leftovers(run_dir) == [staging]
    paused.go()
    communicate_or_fail(paused.process)
    assert paused.process.returncode == 0
    assert leftovers(run_dir) == []


def test_a_run_killed_while_saving_leaves_a_temporary_the_next_run_removes(run_dir):
    run = PausedRun(run_dir, "saving")
    assert run.pause_pid == run.process.pid
    left = leftovers(run_dir)
    assert any(name.startswith(f"out/.v.bin.{run.pause_pid}.") for name in left), left
    run.kill_and_wait()
    run.go()
    next_run_leaves_nothing(run_dir)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_run_killed_while_training_from_low_memory_ids(run_dir, workers):
    """--low-memory's ids beside the output, held by the parent (and by the workers, which
    inherit the hold): killed at the checkpointer's hold point, every process goes and
    the next run removes the file."""
    argv = _cbow_argv(run_dir, "--low-memory", "--workers", workers, "--epochs", "2")
    process = subprocess.Popen([sys.executable, "-m", "cbow", *argv], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env={**holding_at(0.5), "TMPDIR": str(run_dir / "tmp")})
    try:
        wait_for_checkpoint(process, run_dir / "out" / "v.bin.ckpt", lambda state: state.epoch >= 1)
        children = worker_processes_of(process.pid)
        assert len(children) == (2 if workers == "2" else 0)
    except BaseException:
        process.kill()
        process.communicate()
        raise
    process.send_signal(signal.SIGKILL)
    communicate_or_fail(process, also_kill=children)
    wait_until_gone(children)
    assert any(name.startswith(f"out/.v.bin.ids.{process.pid}.") for name in leftovers(run_dir))
    next_run_leaves_nothing(run_dir, "--low-memory", "--workers", workers)
