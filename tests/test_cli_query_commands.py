"""similar --json, analogy, evaluate (table and --json) through cli.main."""

import json
import re

import numpy as np

from cbow.vectors import formats
from cbow.cli import main
from cbow.vectors.evaluate import evaluate_word_analogies
from cbow.vectors.keyed import KeyedVectors


def test_similar_analogy_evaluate(tmp_path, capsys):
    words = ["man", "king", "woman", "queen", "cat", "dog"]
    vectors = np.array([[0, 1, 0], [1, 1, 0], [0, -1, 0.1], [1, -1, 0.1], [0, 0, 1], [0.1, 0, 1]], dtype=np.float32)
    path = tmp_path / "v.txt"
    formats.save_word2vec_format(path, words, vectors)
    assert main(["similar", str(path), "cat", "king", "--topn", "2", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert list(found) == ["cat", "king"] and found["cat"][0][0] == "dog"
    assert main(["analogy", str(path), "man", "king", "woman", "--topn", "1"]) == 0
    assert capsys.readouterr().out.split("\t")[0] == "queen"
    questions = tmp_path / "q.txt"
    questions.write_text(": family\nman king woman queen\nwoman queen man king\nman king cat dog\nman king x y\n")
    pairs = tmp_path / "p.tsv"
    pairs.write_text("# w1\tw2\tscore\ncat\tdog\t9\nman\tking\t5\nking\tcat\t1\nman\tnope\t3\n")
    assert main(["evaluate", str(path), "--analogies", str(questions), "--pairs", str(pairs), "--json",
                 "--restrict-vocab", "6"]) == 0
    report = json.loads(capsys.readouterr().out)
    add = report["analogies"][str(questions)]["methods"]["3CosAdd"]
    expected = evaluate_word_analogies(KeyedVectors.load(path), questions, restrict_vocab=6)
    assert (add["correct"], add["total"]) == (expected.correct, expected.total) == (3, 3)
    assert report["analogies"][str(questions)]["skipped"] == 1
    assert report["pairs"][str(pairs)]["pairs"] == 3 and report["pairs"][str(pairs)]["oov_ratio"] == 0.25
    assert main(["evaluate", str(path), "--analogies", str(questions), "--pairs", str(pairs), "--sections"]) == 0
    table = capsys.readouterr().out
    assert "family" in table and re.search(r"100\.0% +3/3", table)
    assert "coverage 3/4 questions (75.0%), 1 skipped as OOV" in table  # coverage is always shown
    assert "coverage 3/4 pairs (75.0%), 1 skipped as OOV" in table


def test_evaluate_ci_brackets_the_estimate(tmp_path, capsys):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    path = tmp_path / "v.txt"
    formats.save_word2vec_format(path, words, rng.standard_normal((40, 8)).astype(np.float32))
    questions = tmp_path / "q.txt"
    questions.write_text(": random\n" + "\n".join(" ".join(rng.choice(words, 4, replace=False)) for _ in range(200)) + "\n")
    pairs = tmp_path / "p.tsv"
    pairs.write_text("\n".join(f"{a}\t{b}\t{rng.uniform(0, 10):.2f}" for a, b in rng.choice(words, (60, 2))) + "\n")
    assert main(["evaluate", str(path), "--analogies", str(questions), "--pairs", str(pairs), "--ci", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    analogy = report["analogies"][str(questions)]
    ci = analogy["ci"]
    assert ci["low"] <= analogy["methods"]["3CosAdd"]["accuracy"] == ci["estimate"] <= ci["high"]
    assert ci["n"] == analogy["methods"]["3CosAdd"]["total"] and ci["high"] > ci["low"]
    pair_ci = report["pairs"][str(pairs)]["ci"]
    assert pair_ci["low"] < pair_ci["estimate"] < pair_ci["high"]
    assert abs(pair_ci["estimate"] - report["pairs"][str(pairs)]["spearman"]) < 1e-12


def test_evaluate_ci_when_every_answer_is_right_or_none_is_answered(tmp_path, capsys):
    words = ["man", "king", "woman", "queen"]
    vectors = np.array([[0, 1, 0], [1, 1, 0], [0, -1, 0.1], [1, -1, 0.1]], dtype=np.float32)
    path = tmp_path / "v.txt"
    formats.save_word2vec_format(path, words, vectors)
    all_right = tmp_path / "right.txt"
    all_right.write_text(": family\nman king woman queen\nwoman queen man king\n")
    unanswered = tmp_path / "oov.txt"
    unanswered.write_text(": none\nx y z w\n")
    assert main(["evaluate", str(path), "--analogies", str(all_right), str(unanswered), "--ci"]) == 0
    table = capsys.readouterr().out
    assert "95% wilson interval [34.24%, 100.00%] over 2" in table  # 2 / (2 + 1.96^2) = 0.3424
    assert "coverage 0/1 questions" in table  # no interval, no traceback


def test_evaluate_names_the_real_reason_for_skipped_questions(tmp_path, capsys):
    words = ["man", "king", "woman", "queen", "cat", "dog"]
    path = tmp_path / "v.txt"
    formats.save_word2vec_format(path, words, np.eye(6, 3, dtype=np.float32) + 0.1)
    questions = tmp_path / "q.txt"
    questions.write_text(": family\nman king woman queen\nman king x y\n")
    assert main(["evaluate", str(path), "--analogies", str(questions)]) == 0  # --restrict-vocab 30000 > 6 words
    table = capsys.readouterr().out
    assert "1 skipped as OOV (words not in the vocabulary of 6)" in table and "30000" not in table
    assert main(["evaluate", str(path), "--analogies", str(questions), "--restrict-vocab", "4"]) == 0
    assert "(words outside the top 4 of 6)" in capsys.readouterr().out


def test_analogy_takes_an_expression_as_query_does(tmp_path, capsys):
    words = ["man", "king", "woman", "queen", "cat", "dog"]
    vectors = np.array([[0, 1, 0], [1, 1, 0], [0, -1, 0.1], [1, -1, 0.1], [0, 0, 1], [0.1, 0, 1]], dtype=np.float32)
    path = tmp_path / "v.txt"
    formats.save_word2vec_format(path, words, vectors)
    expected = KeyedVectors.load(path).most_similar(positive=["king", "woman"], negative=["man"], topn=2)
    for expression in (["king-man+woman"], ["king - man + woman"], ["King-man+woman"]):
        assert main(["analogy", str(path), *expression, "--topn", "2", "--json"]) == 0
        assert [word for word, _ in json.loads(capsys.readouterr().out)] == [word for word, _ in expected]
    assert main(["analogy", str(path), "man", "king"]) == 2
    assert "not two words" in capsys.readouterr().err
    assert main(["analogy", str(path), "king-"]) == 2
    assert "ends with an operator" in capsys.readouterr().err
