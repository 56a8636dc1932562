"""`cbow compare`: both models on the same questions, coverage shown, paired test."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cbow import cli
from cbow.compare import analogy_outcomes, compare_vectors, pair_scores
from cbow.evaluate import evaluate_word_analogies, read_analogies
from cbow.vectors import KeyedVectors

N_PAIRS, D = 40, 30


def _vectors(noise: float, seed: int, drop: tuple[str, ...] = ()) -> KeyedVectors:
    """Words x_i, y_i = topic_i (+ role): y_i - x_i + x_j ~ y_j, blurred by `noise`."""
    rng = np.random.default_rng(100)  # the same structure for every model
    topics = rng.normal(size=(N_PAIRS, D))
    role = 2 * rng.normal(size=D)
    words = [f"x{i}" for i in range(N_PAIRS)] + [f"y{i}" for i in range(N_PAIRS)]
    vectors = np.vstack([topics, topics + role])
    vectors = vectors + noise * np.random.default_rng(seed).normal(size=vectors.shape)
    keep = [i for i, w in enumerate(words) if w not in drop]
    return KeyedVectors([words[i] for i in keep], vectors[keep].astype(np.float32))


@pytest.fixture
def analogy_file(tmp_path):
    lines = [": planted"]
    for i in range(N_PAIRS):
        for j in range(N_PAIRS):
            if i != j:
                lines.append(f"X{i} Y{i} x{j} y{j}")  # upper case: matched case-insensitively
    path = tmp_path / "questions.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def pairs_file(tmp_path):
    good = _vectors(0.0, 0)
    rng = np.random.default_rng(5)
    lines = []
    for _ in range(200):
        first, second = rng.choice(good.index_to_key, size=2, replace=False)
        lines.append(f"{first}\t{second}\t{good.similarity(first, second):.4f}")
    path = tmp_path / "pairs.tsv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_outcomes_agree_with_evaluate(analogy_file):
    kv = _vectors(1.5, 1)
    questions = [q for _, section in read_analogies(analogy_file) for q in section]
    outcomes = analogy_outcomes(kv, questions, restrict_vocab=30000)
    reference = evaluate_word_analogies(kv, analogy_file, restrict_vocab=30000)
    assert len(outcomes.correct) == reference.total
    assert int(outcomes.correct.sum()) == reference.correct
    assert 0 < reference.correct < reference.total  # noisy enough to get some wrong


def test_only_shared_questions_are_compared(analogy_file, pairs_file):
    a = _vectors(0.5, 1)
    b = _vectors(1.8, 2, drop=("x3", "y7"))  # b cannot answer questions with x3 or y7
    analogies, pairs = compare_vectors(a, b, [analogy_file], [pairs_file], n_boot=500)
    n_questions = N_PAIRS * (N_PAIRS - 1)
    assert analogies.n_items == n_questions and analogies.n_a == n_questions
    questions = [q for _, s in read_analogies(analogy_file) for q in s]
    n_b = sum(not ({w.lower() for w in q} & {"x3", "y7"}) for q in questions)
    assert analogies.n_b == n_b and analogies.result.n == n_b
    assert analogies.result.delta > 0.05 and analogies.result.p_value < 0.01
    assert analogies.result.low > 0
    # a's accuracy on the shared questions, not on all of its own
    a_outcomes = analogy_outcomes(a, questions)
    shared = [i for i, q in enumerate(questions) if not ({w.lower() for w in q} & {"x3", "y7"})]
    assert analogies.result.a == pytest.approx(a_outcomes.correct[shared].mean())
    assert pairs.kind == "spearman" and pairs.result.delta > 0 and pairs.result.p_value < 0.05


def test_a_model_against_itself_is_no_better(analogy_file):
    a = _vectors(1.0, 1)
    (analogies,) = compare_vectors(a, a, [analogy_file], [], n_boot=200)
    assert analogies.result.delta == 0 and analogies.result.p_value == 1.0


def test_cli_table_and_json(tmp_path, analogy_file, pairs_file, capsys):
    path_a, path_b = tmp_path / "a.txt", tmp_path / "b.bin"
    _vectors(0.5, 1).save_word2vec_format(path_a)
    _vectors(1.8, 2, drop=("x3",)).save_word2vec_format(path_b)
    argv = ["compare", str(path_a), str(path_b), "--analogies", str(analogy_file), "--pairs", str(pairs_file),
            "--n-boot", "300"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "questions.txt" in out and "pairs.tsv" in out and "coverage: a answers 1560/1560" in out
    assert cli.main(argv + ["--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [c["kind"] for c in report["comparisons"]] == ["analogy accuracy", "spearman"]
    assert report["comparisons"][0]["n_b"] < report["comparisons"][0]["n_a"]


def test_cli_needs_a_test_file(tmp_path, capsys):
    path = tmp_path / "a.txt"
    _vectors(0.5, 1).save_word2vec_format(path)
    assert cli.main(["compare", str(path), str(path)]) == 2
    assert "--analogies" in capsys.readouterr().err


def test_pair_scores_skip_unknown_words():
    kv = _vectors(0.0, 0, drop=("x1",))
    scores = pair_scores(kv, [("x0", "y0", 1.0), ("x1", "y1", 2.0), ("X2", "y2", 3.0)])
    assert scores.pair_index.tolist() == [0, 2] and scores.n_pairs == 3
    assert scores.model[0] == pytest.approx(kv.similarity("x0", "y0"), abs=1e-6)
