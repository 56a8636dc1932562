"""`cbow evaluate` and `cbow compare` show a progress bar over the analogy questions on a
terminal's stderr, and nothing in a pipe or with -q."""

import io
import sys

import numpy as np
import pytest

from cbow.cli import main
from cbow.corpora import planted
from cbow.vectors.keyed import KeyedVectors


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def files(tmp_path):
    questions = planted.write_analogies(tmp_path / "questions.txt")
    words = sorted({word for line in questions.read_text().splitlines() if not line.startswith(":")
                    for word in line.split()})
    vectors = tmp_path / "v.txt"
    KeyedVectors(words, np.random.default_rng(0).standard_normal((len(words), 8)).astype(np.float32)).save(vectors)
    n_questions = sum(1 for line in questions.read_text().splitlines() if line and not line.startswith(":"))
    return vectors, questions, n_questions


@pytest.mark.parametrize("command", ["evaluate", "compare"])
def test_a_terminal_sees_the_questions_counted_a_pipe_and_quiet_see_nothing(files, monkeypatch, capsys, command):
    vectors, questions, n_questions = files
    argv = [command, str(vectors), *([str(vectors)] if command == "compare" else []), "--analogies", str(questions)]
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(argv) == 0
    passes = 2 if command == "compare" else 1
    assert f"0/{passes * n_questions} [" in terminal.getvalue() and "questions/s" in terminal.getvalue()
    quiet = Terminal()
    monkeypatch.setattr(sys, "stderr", quiet)
    assert main([*argv, "-q"]) == 0
    assert quiet.getvalue() == ""
    monkeypatch.undo()
    assert main(argv) == 0  # capsys's stderr is no terminal
    assert capsys.readouterr().err == ""


def test_the_progress_counts_every_question_once_scored_or_skipped(files):
    from cbow.vectors.evaluate import evaluate_word_analogies

    vectors, questions, n_questions = files
    kv = KeyedVectors.load(vectors)
    told: list[int] = []
    result = evaluate_word_analogies(kv, questions, restrict_vocab=len(kv) // 2, batch_size=50, progress=told.append)
    assert result.skipped > 0 and sum(told) == n_questions and len(told) > len(result.sections)
