"""`cbow query`: the input language, and the prompt driven through a pipe in a subprocess."""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from cbow.vectors import formats
from cbow.vectors.query import QueryError, Session, parse_expression
from cbow.vectors.keyed import KeyedVectors

WORDS = ["king", "queen", "man", "woman", "cat", "dog", "car"]
VECTORS = np.array([[1, 1, 0, 0], [1, -1, 0, 0], [0, 1, 0, 0.1], [0, -1, 0, 0.1],
                    [0, 0, 1, 0], [0, 0, 0.9, 0.2], [0, 0, -1, 0.5]], dtype=np.float32)


def test_parse_expression():
    assert parse_expression("king - man + woman") == (["king", "woman"], ["man"])
    assert parse_expression("- man") == ([], ["man"])
    assert parse_expression("paris berlin") == (["paris", "berlin"], [])
    for bad in ["king - - man", "king +"]:
        with pytest.raises(QueryError):
            parse_expression(bad)


def test_session_answers():
    session = Session(KeyedVectors(WORDS, VECTORS), topn=2)
    assert session.answer("king - man + woman").items[0][0] == "queen"
    assert session.answer(":sim cat dog").value == pytest.approx(0.9 / np.hypot(0.9, 0.2))
    assert session.answer(":odd cat dog car king").text in {"king", "car"}
    assert session.answer(":topn 1").kind == "text" and len(session.answer("cat").items) == 1
    assert session.answer("").kind == "empty" and session.answer(":quit").kind == "quit"
    with pytest.raises(QueryError, match="unknown command"):
        session.answer(":frobnicate")


@pytest.fixture
def vectors_file(tmp_path):
    path = tmp_path / "v.bin"
    formats.save_word2vec_format(path, WORDS, VECTORS)
    return path


def query_process(vectors_file, tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "unwritable" / "x")}
    return subprocess.Popen([sys.executable, "-m", "cbow", "query", str(vectors_file), "--topn", "2"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_pipe_gives_one_answer_per_line(vectors_file, tmp_path):
    lines = ["king - man + woman", ":sim cat dog", "kingg", "", ":odd cat dog car king", ":help", "cat"]
    process = query_process(vectors_file, tmp_path)
    stdout, stderr = process.communicate("\n".join(lines) + "\n", timeout=120)
    assert process.returncode == 0, stderr
    answers = stdout.split("\n")[:-1]
    assert len(answers) == len(lines), answers
    assert answers[0].startswith("queen ")
    assert float(answers[1]) == pytest.approx(0.976, abs=1e-3)
    assert answers[2].startswith("error: word 'kingg' is not in the vocabulary") and "'king'" in answers[2]
    assert answers[3] == "" and answers[4] in {"king", "car"} and ":sim" in answers[5]
    assert answers[6].split("\t")[0].startswith("dog ")
    assert "Traceback" not in stderr


def test_ctrl_c_exits_cleanly(vectors_file, tmp_path):
    process = query_process(vectors_file, tmp_path)
    process.stdin.write("cat\n")
    process.stdin.flush()
    assert process.stdout.readline().startswith("dog ")  # answered, now waiting for input
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0 and "Traceback" not in stderr
