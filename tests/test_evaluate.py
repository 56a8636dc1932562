"""Evaluation equals gensim 4.4's on the same vectors and files; per-question outcomes are kept."""

import numpy as np
import pytest
import scipy.stats
from gensim.models import KeyedVectors as GensimKeyedVectors

from cbow.errors import FormatError
from cbow.vectors.evaluate import evaluate_word_analogies, evaluate_word_pairs, read_word_pairs
from cbow.vectors.keyed import KeyedVectors


def structured_vectors(seed=0, n_pairs=40, n_filler=300, dim=16, noise=1.0):
    """Pairs (x_i, y_i) with y_i = x_i + shared offset + noise: analogies partly solvable.

    Some words also appear in a second spelling (upper case, a rarer row) to exercise
    case-insensitive matching, where the first spelling must win.
    """
    rng = np.random.default_rng(seed)
    offset = rng.standard_normal(dim)
    words, rows = [], []
    for i in range(n_pairs):
        base = rng.standard_normal(dim)
        words += [f"x{i}", f"y{i}"]
        rows += [base, base + offset + noise * rng.standard_normal(dim)]
    for i in range(n_filler):
        words.append(f"f{i}")
        rows.append(rng.standard_normal(dim))
    for i in range(0, n_pairs, 3):  # rarer spellings: "X0" after the filler, a different vector
        words.append(f"X{i}")
        rows.append(rng.standard_normal(dim))
    order = rng.permutation(len(words) - n_pairs // 3 - 1)  # shuffle all but the rare spellings
    head = [words[i] for i in order]
    head_rows = [rows[i] for i in order]
    words = head + words[len(order):]
    rows = head_rows + rows[len(order):]
    return words, np.array(rows, dtype=np.float32)


def write_analogy_file(path, n_pairs=40, seed=1):
    rng = np.random.default_rng(seed)
    lines = [": first-section"]
    for _ in range(150):
        i, j = rng.choice(n_pairs, size=2, replace=False)
        lines.append(f"x{i} y{i} x{j} y{j}")
        if len(lines) == 80:
            lines.append(": second-section")
    lines += ["X3 y3 x5 Y5", "x1 y1 unknownword y2", "x2 Y2 x9 y9", ": empty-section"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_pairs_file(path, words, seed=2):
    rng = np.random.default_rng(seed)
    lines = ["# a generated word-pair set", "# Word 1\tWord 2\tHuman (mean)"]
    for _ in range(120):
        a, b = rng.choice(words[:200], size=2, replace=False)
        lines.append(f"{a}\t{b}\t{rng.uniform(0, 10):.2f}")
    lines += ["x1\toovword\t3.5", "X3\ty4\t7.25"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def gensim_vectors(words, vectors):
    gensim_kv = GensimKeyedVectors(vectors.shape[1])
    gensim_kv.add_vectors(words, vectors)
    return gensim_kv


@pytest.mark.parametrize("restrict_vocab", [1000, 300, 200])
@pytest.mark.parametrize("case_insensitive", [True, False])
def test_analogy_accuracy_equals_gensim(tmp_path, restrict_vocab, case_insensitive):
    words, vectors = structured_vectors()
    path = write_analogy_file(tmp_path / "questions.txt")
    ours = evaluate_word_analogies(KeyedVectors(words, vectors), path, restrict_vocab=restrict_vocab,
                                   case_insensitive=case_insensitive)
    score, sections = gensim_vectors(words, vectors).evaluate_word_analogies(
        str(path), restrict_vocab=restrict_vocab, case_insensitive=case_insensitive)
    assert ours.accuracy == score
    theirs = {s["section"]: (len(s["correct"]), len(s["incorrect"])) for s in sections}
    assert {s.name: (s.correct, s.incorrect) for s in ours.sections} == {
        name: counts for name, counts in theirs.items() if name != "Total accuracy"}
    assert ours.total == sum(theirs["Total accuracy"])
    assert 0 < ours.correct < ours.total  # the file is neither trivial nor hopeless
    assert ours.outcomes["3CosAdd"].sum() == ours.correct
    assert len(ours.section_labels) == len(ours.questions) == ours.total


def test_cosmul_outcomes_match_gensim_most_similar_cosmul(tmp_path):
    words, vectors = structured_vectors(seed=3)
    path = write_analogy_file(tmp_path / "questions.txt")
    ours = evaluate_word_analogies(KeyedVectors(words, vectors), path, restrict_vocab=None,
                                   case_insensitive=False, method="3CosMul")
    theirs = gensim_vectors(words, vectors)
    expected = []
    for a, b, c, d in ours.questions:
        top = theirs.most_similar_cosmul(positive=[b, c], negative=[a], topn=5)
        answer = next((w for w, _ in top if w not in {a, b, c}), top[-1][0])
        expected.append(answer == d)
    assert ours.outcomes["3CosMul"].tolist() == expected
    assert ours.accuracy == pytest.approx(np.mean(expected))
    assert ours.accuracy_of("3CosMul") == ours.accuracy


@pytest.mark.parametrize("restrict_vocab", [300000, 150])
def test_word_pairs_equal_gensim(tmp_path, restrict_vocab):
    words, vectors = structured_vectors(seed=4)
    path = write_pairs_file(tmp_path / "pairs.tsv", words)
    ours = evaluate_word_pairs(KeyedVectors(words, vectors), path, restrict_vocab=restrict_vocab)
    pearson, spearman, oov_percent = gensim_vectors(words, vectors).evaluate_word_pairs(
        str(path), restrict_vocab=restrict_vocab)
    assert ours.spearman == pytest.approx(spearman.statistic, abs=1e-12)
    assert ours.pearson == pytest.approx(pearson.statistic, abs=1e-6)
    assert 100 * ours.oov_ratio == pytest.approx(oov_percent)
    assert ours.spearman == pytest.approx(scipy.stats.spearmanr(ours.human, ours.model).statistic)
    assert len(ours.human) == len(ours.model) == len(ours.pairs) == ours.n_pairs


def test_keyed_vectors_evaluate_as_gensim_users_call_it(tmp_path):
    """`kv.evaluate_word_analogies(path)` / `kv.evaluate_word_pairs(path)`, the gensim habit,
    give the module functions' results (and gensim's numbers)."""
    words, vectors = structured_vectors(seed=5)
    kv = KeyedVectors(words, vectors)
    questions = write_analogy_file(tmp_path / "questions.txt")
    pairs = write_pairs_file(tmp_path / "pairs.tsv", words)
    as_method = kv.evaluate_word_analogies(questions, restrict_vocab=300)
    assert as_method.accuracy == evaluate_word_analogies(kv, questions, restrict_vocab=300).accuracy
    assert as_method.accuracy == gensim_vectors(words, vectors).evaluate_word_analogies(
        str(questions), restrict_vocab=300)[0]
    assert kv.evaluate_word_analogies(questions, method="3CosMul").method == "3CosMul"
    scored = kv.evaluate_word_pairs(pairs)
    assert scored.spearman == evaluate_word_pairs(kv, pairs).spearman
    assert scored.n_pairs > 100 and scored.oov_ratio > 0


def test_pairs_reader_formats_and_errors(tmp_path):
    path = tmp_path / "men.txt"
    path.write_text("word1 word2 score\nsun sunlight 50.0\n\n# note\nbakery bread 45\n", encoding="utf-8")
    assert [(a, b, s) for _, a, b, s in read_word_pairs(path)] == [("sun", "sunlight", 50.0), ("bakery", "bread", 45.0)]
    path.write_text("a\tb\t1\nc\td\tlots\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"men\.txt:2: expected"):
        read_word_pairs(path)


def test_analogy_reader_names_bad_line(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text(": s\na b c d\na b c\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"q\.txt:3: expected 4 words"):
        evaluate_word_analogies(KeyedVectors(["a"], np.ones((1, 2))), path)
