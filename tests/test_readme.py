"""README.md's shell and Python blocks run as written, in order, in one temporary directory.

The tour's blocks build on each other (the first `cbow train` writes vectors.bin, later
blocks query it; one block writes corpus.txt from the demo corpus), so they run in README
order in one directory, and the test reports every block that failed, not only the first.
Shell blocks (```sh, ```bash) run in bash with `cbow` and `python` on the PATH as this
interpreter's `python -m cbow` and `python`, HOME pointing into the directory (dataset
and query-history caches stay there); Python blocks (```python) run with exec.

Blocks that cannot run as written are listed in SKIPPED, found by a line they hold, each
with the reason. A block in INTERRUPTED is run as the README tells the user to stop it:
with Ctrl-C once its checkpoint is on disk (the run holds at a fixed point first, so this
does not race the clock), and must then exit with status 130.
"""

import contextlib
import io
import os
import re
import signal
import stat
import subprocess
import sys
import traceback
from pathlib import Path

from cli_helpers import holding_at, wait_for_checkpoint

README = Path(__file__).resolve().parents[1] / "README.md"
MAX_README_LINES = 255  # 250 until cbow explore's section (12 lines; 7 found by rewrapping)
BLOCK = re.compile(r"^```(sh|bash|python)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
SKIPPED = {
    "pip install . && cbow train": (
        "the set-up commands install the package and run the whole test suite (this test "
        "included); CI (.ci/run) runs them in a fresh virtual environment"
    ),
    "cbow explore vectors.bin mine.bin": (
        "serves the page until stopped; tests/test_explore_server.py runs the command and "
        "tests/test_explore_browser.py drives the page in Chromium"
    ),
    "pip install '.[cluster]'": (
        "installs the cluster extra and joins a scheduler on other machines (head:8786); tests/test_cluster.py "
        "and tests/test_cluster_cli.py run the same engine, CLI and TLS set-up on a LocalCluster"
    ),
}
# a line of the block -> the checkpoint whose appearance is the moment to press Ctrl-C
INTERRUPTED = {
    "--checkpoint-every 10m": "big.bin.ckpt",
}
HOLD_AT = 0.5  # the interrupted run holds (saved) at half its words until the signal comes
BLOCK_TIMEOUT = 600


def readme_blocks() -> list[tuple[int, str, str]]:
    """(line number, language, code) of every ```sh, ```bash and ```python block, in order."""
    text = README.read_text(encoding="utf-8")
    return [(text.count("\n", 0, match.start()) + 1, match.group(1), match.group(2))
            for match in BLOCK.finditer(text)]


def _matching(table: dict, code: str) -> str | None:
    keys = [key for key in table if key in code]
    assert len(keys) <= 1, f"block matches several entries: {keys}"
    return keys[0] if keys else None


def _shell_env(workdir: Path) -> dict:
    """PATH with `cbow` and `python` wrappers around this interpreter; HOME inside workdir."""
    bin_dir = workdir / ".bin"
    bin_dir.mkdir()
    for name, command in (("cbow", f'exec "{sys.executable}" -m cbow "$@"'),
                          ("python", f'exec "{sys.executable}" "$@"')):
        wrapper = bin_dir / name
        wrapper.write_text(f"#!/bin/sh\n{command}\n")
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    home = workdir / ".home"
    home.mkdir()
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(home)}


def _run_shell(code: str, workdir: Path, env: dict) -> tuple[int, str]:
    result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", code], cwd=workdir, env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=BLOCK_TIMEOUT)
    return result.returncode, result.stdout + result.stderr


def _run_interrupted(code: str, ckpt_name: str, workdir: Path, env: dict) -> tuple[int, str]:
    """Start the block, wait for the checkpoint it saves at its hold point (mid-epoch), press
    Ctrl-C (SIGINT to its process group, as a terminal sends it)."""
    ckpt = workdir / ckpt_name
    process = subprocess.Popen(["bash", "-e", "-o", "pipefail", "-c", code], cwd=workdir,
                               env={**holding_at(HOLD_AT), **{k: env[k] for k in ("PATH", "HOME")}},
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    try:
        wait_for_checkpoint(process, ckpt, lambda state: state.batches_done > 0, timeout=BLOCK_TIMEOUT)  # the hold
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if process.returncode != 130:
        return process.returncode or 1, f"expected exit status 130 after Ctrl-C\n{output}"
    if not ckpt.exists():
        return 1, f"no {ckpt_name} after Ctrl-C\n{output}"
    return 0, output


def _run_python(code: str, line: int, workdir: Path) -> tuple[int, str]:
    buffer = io.StringIO()
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            exec(compile("\n" * line + code, str(README), "exec"), {"__name__": "__readme__"})
    except Exception:  # reported with the block; SystemExit and Ctrl-C propagate
        return 1, buffer.getvalue() + traceback.format_exc()
    finally:
        os.chdir(cwd)
    return 0, buffer.getvalue()


def test_readme_is_short():
    n_lines = len(README.read_text(encoding="utf-8").splitlines())
    assert n_lines <= MAX_README_LINES, f"README.md has {n_lines} lines; keep it under {MAX_README_LINES}"


def test_skip_lists_name_real_blocks():
    """Every SKIPPED and INTERRUPTED entry matches exactly one block (no stale entries)."""
    blocks = readme_blocks()
    for table in (SKIPPED, INTERRUPTED):
        for key in table:
            matches = [line for line, _, code in blocks if key in code]
            assert len(matches) == 1, f"{key!r} matches README blocks at lines {matches}"


def test_readme_blocks_run(tmp_path):
    blocks = readme_blocks()
    assert len(blocks) >= 10, f"found only {len(blocks)} code blocks in README.md"
    env = _shell_env(tmp_path)
    failures = []
    for line, language, code in blocks:
        if _matching(SKIPPED, code) is not None:
            continue
        if language == "python":
            status, output = _run_python(code, line, tmp_path)
        elif (key := _matching(INTERRUPTED, code)) is not None:
            status, output = _run_interrupted(code, INTERRUPTED[key], tmp_path, env)
        else:
            status, output = _run_shell(code, tmp_path, env)
        if status != 0:
            failures.append(f"README.md:{line} ({language}) failed with status {status}:\n{code}\n"
                            f"--- output ---\n{output[-4000:]}")
    assert not failures, "\n\n".join(failures)
