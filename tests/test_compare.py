"""`cbow compare`: both models on the same questions, coverage shown, paired test."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cbow import cli
from cbow.vectors.compare import compare_vectors
from cbow.vectors.evaluate import evaluate_word_analogies, evaluate_word_pairs, read_analogies
from cbow.vectors.keyed import KeyedVectors

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


def test_outcomes_are_evaluates_paired_by_position(analogy_file, pairs_file):
    a = _vectors(1.5, 1)
    b = _vectors(1.5, 2, drop=("x3", "y7"))
    analogies, pairs = compare_vectors(a, b, [analogy_file], [pairs_file], n_boot=50)
    reference_a = evaluate_word_analogies(a, analogy_file)
    reference_b = evaluate_word_analogies(b, analogy_file)
    assert 0 < reference_a.correct < reference_a.total  # noisy enough to get some wrong
    assert analogies.n_a == reference_a.total and analogies.n_b == reference_b.total < reference_a.total
    expected_shared = np.intersect1d(reference_a.question_index, reference_b.question_index)
    np.testing.assert_array_equal(analogies.shared_index, expected_shared)
    for reference, values in ((reference_a, analogies.values_a), (reference_b, analogies.values_b)):
        position = np.searchsorted(reference.question_index, expected_shared)
        np.testing.assert_array_equal(values, reference.outcomes["3CosAdd"][position])
    # the positions are the questions' places in the file
    questions = [q for _, section in read_analogies(analogy_file) for q in section]
    assert [questions[i] for i in reference_b.question_index] == reference_b.questions
    pairs_a, pairs_b = evaluate_word_pairs(a, pairs_file), evaluate_word_pairs(b, pairs_file)
    np.testing.assert_array_equal(pairs.shared_index, np.intersect1d(pairs_a.pair_index, pairs_b.pair_index))
    np.testing.assert_array_equal(pairs.values_b, pairs_b.model[np.isin(pairs_b.pair_index, pairs.shared_index)])
    np.testing.assert_array_equal(pairs.values_a, pairs_a.model[np.isin(pairs_a.pair_index, pairs.shared_index)])


def _plain_argmax_answer(kv: KeyedVectors, question) -> str:
    """The rule compare.py used to apply on its own: argmax of 3CosAdd over rows other than a, b, c."""
    rows = [kv.index_to_key.index(word) for word in question[:3]]
    normed = kv.get_normed_vectors()
    scores = normed @ (normed[rows[1]] - normed[rows[0]] + normed[rows[2]])
    scores[rows] = -np.inf
    return kv.index_to_key[int(np.argmax(scores))]


def test_compare_follows_gensims_rule_where_a_plain_argmax_differs(tmp_path):
    """'Woman', another spelling of c, is the best row: a plain argmax answers it (wrong);
    gensim's rule (and evaluate) skips spellings of a, b and c and answers 'queen' (right)."""
    man, king, woman = np.array([1.0, 0, 0, 0]), np.array([1.0, 1, 0, 0]), np.array([0, 0, 1.0, 0])
    target = king / np.linalg.norm(king) - man + woman
    words = ["man", "king", "woman", "queen", "Woman", "cat"]
    vectors = np.array([man, king, woman, target + [0, 0, 0, 0.3], target, [0, 0, 0, 1.0]], dtype=np.float32)
    with_variant = KeyedVectors(words, vectors)
    without_variant = KeyedVectors(words[:4] + words[5:], vectors[[0, 1, 2, 3, 5]])
    questions = tmp_path / "q.txt"
    questions.write_text(": family\nman king woman queen\nman king cat nosuch\nMAN KING WOMAN QUEEN\n")
    assert _plain_argmax_answer(with_variant, ("man", "king", "woman")) == "Woman"  # the old loop: wrong
    reference = evaluate_word_analogies(with_variant, questions)
    assert reference.question_index.tolist() == [0, 2] and reference.outcomes["3CosAdd"].tolist() == [True, True]
    (analogies,) = compare_vectors(with_variant, without_variant, [questions], [], n_boot=50)
    assert analogies.n_items == 3 and analogies.shared_index.tolist() == [0, 2]
    assert analogies.values_a.tolist() == [1.0, 1.0] == analogies.values_b.tolist()
    assert analogies.result.delta == 0 and analogies.result.p_value == 1.0


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
    a_outcomes = evaluate_word_analogies(a, analogy_file).outcomes["3CosAdd"]
    shared = [i for i, q in enumerate(questions) if not ({w.lower() for w in q} & {"x3", "y7"})]
    assert analogies.result.a == pytest.approx(a_outcomes[shared].mean())
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
    analogy_row = next(line for line in out.splitlines() if line.startswith("questions.txt"))
    assert "3CosAdd accuracy" in analogy_row and analogy_row.endswith("a better")
    assert cli.main(argv + ["--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [c["kind"] for c in report["comparisons"]] == ["analogy accuracy", "spearman"]
    assert report["comparisons"][0]["n_b"] < report["comparisons"][0]["n_a"]
    assert report["comparisons"][0]["n_shared"] == report["comparisons"][0]["result"]["n"]
    assert cli.main(argv + ["--json", "--cosmul"]) == 0
    cosmul = json.loads(capsys.readouterr().out)["comparisons"][0]
    assert cosmul["method"] == "3CosMul"
    reference = evaluate_word_analogies(KeyedVectors.load(path_a), analogy_file)
    shared = ["X3" not in question and "x3" not in question for question in reference.questions]
    assert cosmul["result"]["a"] == pytest.approx(reference.outcomes["3CosMul"][shared].mean(), rel=1e-12)


def test_cli_needs_a_test_file(tmp_path, capsys):
    path = tmp_path / "a.txt"
    _vectors(0.5, 1).save_word2vec_format(path)
    assert cli.main(["compare", str(path), str(path)]) == 2
    assert "--analogies" in capsys.readouterr().err


def test_pair_index_counts_skipped_pairs(tmp_path):
    kv = _vectors(0.0, 0, drop=("x1",))
    path = tmp_path / "pairs.tsv"
    path.write_text("# w1\tw2\tscore\nx0\ty0\t1.0\nx1\ty1\t2.0\nX2\ty2\t3.0\n")
    scores = evaluate_word_pairs(kv, path)
    assert scores.pair_index.tolist() == [0, 2] and scores.n_pairs + scores.n_skipped == 3
    assert scores.model[0] == pytest.approx(kv.similarity("x0", "y0"), abs=1e-6)
