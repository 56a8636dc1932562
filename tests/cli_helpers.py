"""Running the CLI as users do (a subprocess) and checking its one-line errors."""

import subprocess
import sys


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
