"""The CLI as users call it: a subprocess, exit status, one-line errors, no partial output."""


import signal
import subprocess
import sys

import pytest
from cbow.corpora import planted
from cli_helpers import assert_one_line_error, run_cbow

FAST = ["--size", "24", "--window", "3", "--epochs", "3", "--min-count", "3", "--sample", "0", "-q",
        "--workers", "1"]


def test_train_then_similar(tmp_path, planted_corpus_file):
    out = tmp_path / "vectors.bin"
    trained = run_cbow("train", planted_corpus_file, "-o", out, *FAST)
    assert trained.returncode == 0, trained.stderr
    assert out.exists()
    similar = run_cbow("similar", out, "paris", "king", "--topn", "5")
    assert similar.returncode == 0, similar.stderr
    lines = [line.split("\t") for line in similar.stdout.splitlines()]
    assert len(lines) == 10
    assert [line[0] for line in lines] == ["paris"] * 5 + ["king"] * 5
    capital_words = {word for pair in planted.CAPITALS for word in pair}
    assert sum(line[1] in capital_words for line in lines[:5]) >= 4, lines[:5]
    assert all(-1 <= float(line[2]) <= 1 for line in lines)


def test_train_from_stdin_to_text(tmp_path, planted_lines):
    out = tmp_path / "vectors.txt"
    trained = run_cbow("train", "-", "-o", out, *FAST, stdin="\n".join(planted_lines[:5000]))
    assert trained.returncode == 0, trained.stderr
    header = out.read_text(encoding="utf-8").splitlines()[0].split()
    assert header[1] == "24" and int(header[0]) > 50


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["train", "missing.txt", "-o", "v.bin"], ["missing.txt", "no such file"]),
        (["train", "empty.txt", "-o", "v.bin"], ["empty.txt", "no words"]),
        (["train", "rare.txt", "-o", "v.bin"], ["--min-count"]),
        (["train", "rare.txt", "-o", "no/such/dir/v.bin"], ["does not exist"]),
        (["train", "rare.txt", "-o", "v.bin", "--window", "0"], ["--window", ">= 1"]),
        (["train", "rare.txt", "-o", "v.bin", "--size", "-3"], ["--size"]),
        (["train", "rare.txt", "-o", "v.bin", "--alpha", "abc"], ["--alpha", "'abc'"]),
        (["train", "rare.txt", "-o", "v.bin", "--hs", "--negative", "5"], ["--negative"]),
        (["train", "rare.txt", "-o", "v.bin", "--no-such-flag"], ["--no-such-flag"]),
        (["similar", "missing.bin", "king"], ["missing.bin", "no such file"]),
    ],
)
def test_bad_input_one_line_and_no_output(tmp_path, args, fragments):
    (tmp_path / "empty.txt").write_text("\n\n  \n", encoding="utf-8")
    (tmp_path / "rare.txt").write_text("alpha beta gamma\ndelta epsilon\n", encoding="utf-8")
    before = set(tmp_path.rglob("*"))
    result = run_cbow(*args, cwd=tmp_path)
    assert_one_line_error(result, *fragments)
    assert set(tmp_path.rglob("*")) == before  # nothing written, not even a temp file


def test_unknown_word_suggests_spelling(tmp_path, planted_corpus_file):
    out = tmp_path / "vectors.bin"
    assert run_cbow("train", planted_corpus_file, "-o", out, *FAST).returncode == 0
    result = run_cbow("similar", out, "pariss")
    assert_one_line_error(result, "'pariss'", "did you mean 'paris'")


def test_demo_runs_and_solves_analogies(tmp_path):
    result = run_cbow("train", "-q", "--epochs", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "nearest neighbours" in result.stdout
    solved = [line for line in result.stdout.splitlines() if line.startswith("planted analogies solved")]
    share = float(solved[0].split("(")[1].rstrip("%)"))
    assert share > 70, result.stdout
    assert list(tmp_path.iterdir()) == []  # the demo saves only with -o


def test_demo_neighbours_show_the_planted_groups(tmp_path):
    # At the corpus default --sample 1e-4 paris's neighbours were its four topic words and
    # france (one capital word of five): the demo subsamples at DEMO_SAMPLE instead.
    result = run_cbow("train", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    paris = next(line for line in result.stdout.splitlines() if line.split()[:1] == ["paris"])
    neighbours = [item.split()[0] for item in paris.split(None, 1)[1].split(", ")]
    capital_words = {word for pair in planted.CAPITALS for word in pair}
    assert sum(word in capital_words for word in neighbours) >= 3, paris


def test_demo_sample_default_and_override():
    from cbow.cli import build_parser
    from cbow.cli.train_flags import DEMO_SAMPLE, _train_config
    from cbow.training.config import TrainConfig

    def sample(*argv):
        return _train_config(build_parser().parse_args(["train", *argv])).sample

    assert sample() == DEMO_SAMPLE == 1e-3
    assert sample("corpus.txt") == TrainConfig().sample == 1e-4
    assert sample("--sample", "1e-4") == 1e-4
    assert sample("corpus.txt", "--sample", "0") == 0


def test_sigterm_while_the_corpus_is_read_stops_like_ctrl_c(tmp_path):
    """kill, timeout or a scheduler while the corpus is read: the one line and exit status
    of Ctrl-C, and no temporary file left beside the output."""
    process = subprocess.Popen([sys.executable, "-m", "cbow", "train", "-", "-o", str(tmp_path / "v.bin"), "-q"],
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               cwd=tmp_path)
    try:
        # ~10 MB, far beyond a pipe's buffer: once written, cbow is reading (its handlers are set)
        process.stdin.write(b"the king and the queen walked to the city of paris\n" * 200_000)
        process.stdin.flush()
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert stderr.decode().strip().splitlines() == ["cbow train: interrupted"]
    assert list(tmp_path.iterdir()) == []
