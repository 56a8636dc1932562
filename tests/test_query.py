"""`cbow query`: the input language, and the prompt driven through a pipe in a subprocess."""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from cbow.vectors import formats
from cbow.vectors.keyed import KeyedVectors, UnknownWordError
from cbow.vectors.query import QueryError, Session, parse_expression
from cbow.vectors.spelling import WordResolver

WORDS = ["king", "queen", "man", "woman", "cat", "dog", "car"]
VECTORS = np.array([[1, 1, 0, 0], [1, -1, 0, 0], [0, 1, 0, 0.1], [0, -1, 0, 0.1],
                    [0, 0, 1, 0], [0, 0, 0.9, 0.2], [0, 0, -1, 0.5]], dtype=np.float32)


def test_parse_expression():
    assert parse_expression("king - man + woman") == (["king", "woman"], ["man"])
    assert parse_expression("- man") == ([], ["man"])
    assert parse_expression("paris berlin") == (["paris", "berlin"], [])
    for bad in ["king - - man", "king +", "king +- man"]:
        with pytest.raises(QueryError):
            parse_expression(bad)


def test_parse_expression_without_spaces():
    assert parse_expression("king-man+woman") == (["king", "woman"], ["man"])
    assert parse_expression("king -man +woman") == (["king", "woman"], ["man"])
    assert parse_expression("-man") == ([], ["man"])
    # a piece the vocabulary knows is a word, not an expression
    assert parse_expression("e-mail - letter", is_word={"e-mail", "letter"}.__contains__) == (["e-mail"], ["letter"])
    assert parse_expression("e-mail - letter") == (["e"], ["mail", "letter"])


def test_session_looks_up_missing_words_by_their_lowercase_once_asked():
    kv = KeyedVectors(WORDS, VECTORS)
    with pytest.raises(UnknownWordError, match="did you mean 'king'"):  # exact by default, as gensim
        Session(kv, topn=2).answer("King - Man + Woman")
    resolver = WordResolver(kv)
    session = Session(kv, topn=2, resolver=resolver)
    assert session.answer("King-Man+Woman").items[0][0] == "queen"
    assert session.answer(":sim Cat DOG").value == pytest.approx(0.9 / np.hypot(0.9, 0.2))
    assert session.answer("King").items == session.answer("king").items
    assert resolver.take_notices() == ["using 'king' for 'King'", "using 'woman' for 'Woman'",
                                       "using 'man' for 'Man'", "using 'cat' for 'Cat'", "using 'dog' for 'DOG'"]


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
    lines = ["king - man + woman", ":sim cat dog", "kingg", "", ":odd cat dog car king", ":help", "Cat", "cat"]
    process = query_process(vectors_file, tmp_path)
    stdout, stderr = process.communicate("\n".join(lines) + "\n", timeout=120)
    assert process.returncode == 1, stderr  # a line failed
    answers = stdout.split("\n")[:-1]
    assert len(answers) == len(lines), answers
    assert answers[0].startswith("queen ")
    assert float(answers[1]) == pytest.approx(0.976, abs=1e-3)
    assert answers[2] == ""  # the failed line: its error is on stderr
    assert answers[3] == "" and answers[4] in {"king", "car"} and ":sim" in answers[5]
    assert answers[6] == answers[7] and answers[7].split("\t")[0].startswith("dog ")
    errors = stderr.splitlines()
    assert errors[0].startswith("cbow query: line 3: word 'kingg' is not in the vocabulary") and "'king'" in errors[0]
    assert errors[1:] == ["cbow query: using 'cat' for 'Cat'"]


def test_pipe_exits_0_when_every_line_is_answered(vectors_file, tmp_path):
    process = query_process(vectors_file, tmp_path)
    stdout, stderr = process.communicate("cat\n:sim cat dog\n", timeout=120)
    assert process.returncode == 0 and stderr == ""
    assert len(stdout.splitlines()) == 2


def test_ctrl_c_exits_cleanly(vectors_file, tmp_path):
    process = query_process(vectors_file, tmp_path)
    process.stdin.write("cat\n")
    process.stdin.flush()
    assert process.stdout.readline().startswith("dog ")  # answered, now waiting for input
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0 and "Traceback" not in stderr
