"""Runs `cbow` commands for a test, each in a process of its own, as fast as a fork.

Started once as `python tests/fork_runner.py`; it imports cbow, then reads one JSON request a
line on stdin ({"argv": [...], "cwd": DIR}) and answers one JSON line on stdout:

    {"status": exit status or null, "signal": the signal that ended it or null,
     "stderr": what the command wrote to stderr, "hung": true if it ran past "timeout"}

Each command runs in a child forked from this clean interpreter (not from pytest, whose
logging and capture would change what the command prints): a segfault or an abort ends the
child, never the runner, and shows as its signal. A test that throws hundreds of damaged
files at the CLI pays ~1 s of start-up once instead of per file.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import tempfile
import time

import cbow.cli

# What a `cbow train` imports as it goes (scipy.stats through the evaluations, among others):
# imported here once, a child starts in ~0.1 s instead of ~1.4 s
WARM_MODULES = ["cbow.data.prepare", "cbow.training.checkpoint", "cbow.training.loop", "cbow.check.separation",
                "cbow.training.disk", "cbow.training.epoch_eval", "cbow.training.training_log",
                "cbow.training.parallel.engine", "cbow.training.parallel.child", "cbow.vectors.evaluate",
                "cbow.vectors.query"]
for module in WARM_MODULES:
    importlib.import_module(module)


def run_in_child(argv: list[str], cwd: str, timeout: float) -> dict:
    with tempfile.TemporaryFile() as err_file, tempfile.TemporaryFile() as out_file:
        pid = os.fork()
        if pid == 0:  # the child: run the command as `python -m cbow` would, then exit
            status = 1
            try:
                os.setpgid(0, 0)  # its own group: a hang is killed with its workers
                os.dup2(out_file.fileno(), 1)
                os.dup2(err_file.fileno(), 2)
                os.chdir(cwd)
                status = cbow.cli.main(argv)
            except SystemExit as stop:
                status = stop.code if isinstance(stop.code, int) else 1
            except BaseException:
                import traceback

                traceback.print_exc()
                status = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        deadline = time.monotonic() + timeout
        hung = False
        while True:
            done, wait_status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                hung = True
                os.killpg(pid, signal.SIGKILL)
                _, wait_status = os.waitpid(pid, 0)
                break
            time.sleep(0.005)
        err_file.seek(0)
        stderr = err_file.read().decode("utf-8", "replace")
    return {"status": os.WEXITSTATUS(wait_status) if os.WIFEXITED(wait_status) else None,
            "signal": os.WTERMSIG(wait_status) if os.WIFSIGNALED(wait_status) else None,
            "stderr": stderr, "hung": hung}


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        answer = run_in_child(request["argv"], request["cwd"], request.get("timeout", 120))
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
