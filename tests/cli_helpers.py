"""Running the CLI as users do (a subprocess) and checking its one-line errors."""

import os
import signal
import subprocess
import sys
import time


def run_cbow(*args, stdin=None, cwd=None):
    """`python -m cbow ARGS` in a subprocess; returns the CompletedProcess (text mode)."""
    return subprocess.run([sys.executable, "-m", "cbow", *map(str, args)], capture_output=True,
                          text=True, input=stdin, cwd=cwd, timeout=300)


def assert_one_line_error(result, *fragments):
    """Exit status 2 and exactly one stderr line holding every fragment; returns the line."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def holding_at(fraction: float) -> dict:
    """The environment of a `cbow train` that saves a checkpoint at `fraction` of its run's
    words and then waits for a signal (cbow.training.checkpoint.HOLD_AT_ENV): a test reaches a
    mid-run state there whatever the machine's speed, instead of racing the clock."""
    from cbow.training.checkpoint import HOLD_AT_ENV

    return {**os.environ, HOLD_AT_ENV: str(fraction)}


def wait_for_checkpoint(process, ckpt, ready, timeout=120):
    """Poll until `ckpt` holds a state for which `ready(state)` is true; return that state."""
    from cbow.training.checkpoint import load_checkpoint

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "training finished before the awaited checkpoint was seen"
        if ckpt.exists():
            state = load_checkpoint(ckpt).state
            if ready(state):
                return state
        time.sleep(0.01)
    raise AssertionError("the awaited checkpoint did not appear")


def interrupt_at_checkpoint(process, ckpt, ready, timeout=120, signum=signal.SIGINT) -> str:
    """Press Ctrl-C (or send `signum`) to a training `process` once `ckpt` is `ready`; return
    its stderr (the process is killed if anything fails on the way)."""
    try:
        wait_for_checkpoint(process, ckpt, ready, timeout)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    return stderr
