"""Compare two sets of vectors on the SAME questions and pairs, with a paired test.

`cbow compare a.bin b.bin --analogies q.txt --pairs ws.tsv` answers "is a better than b?"
honestly: each model is scored only on the items BOTH can answer (a question with a word
outside either model's restricted vocabulary is dropped for both), per-item outcomes are
paired, and `cbow.stats` gives the difference with a paired-bootstrap interval and a
paired permutation p-value. Coverage (how many items each model could answer) is always
reported, because a model that skips its hard questions looks better than it is.

Per-question analogy outcomes are computed here with 3CosAdd exactly as
`cbow.evaluate.evaluate_word_analogies` does (gensim's `evaluate_word_analogies`: the
`restrict_vocab` most frequent words, upper-cased case-insensitive matching where the most
frequent spelling wins, a, b, c excluded from the answers).
TODO(after the issue-4 merge): take the per-question outcomes from evaluate.py instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cbow.evaluate import _lookup, read_analogies, read_word_pairs
from cbow.stats import PairedComparison, compare_accuracy, compare_spearman
from cbow.vectors import KeyedVectors

__all__ = ["AnalogyOutcomes", "PairScores", "Comparison", "analogy_outcomes", "pair_scores", "compare_vectors"]


@dataclass(frozen=True)
class AnalogyOutcomes:
    """Per-question 3CosAdd outcomes of one model on one analogy file.

    Attributes
    ----------
    question_index : (n,) int, positions in the file's question list of the answered questions
    correct : (n,) bool, whether each answered question was solved
    n_questions : questions in the file
    """

    question_index: np.ndarray
    correct: np.ndarray
    n_questions: int


@dataclass(frozen=True)
class PairScores:
    """Cosine similarities of one model on the known pairs of one word-pair file.

    Attributes
    ----------
    pair_index : (n,) int, positions in the file's pair list of the pairs both words known
    human : (n,) float, the file's scores
    model : (n,) float, cosine similarities
    n_pairs : pairs in the file
    """

    pair_index: np.ndarray
    human: np.ndarray
    model: np.ndarray
    n_pairs: int


@dataclass(frozen=True)
class Comparison:
    """One row of `cbow compare`: a test file, coverage, and the paired result."""

    path: str
    kind: str  # "analogy accuracy" or "spearman"
    n_items: int  # questions or pairs in the file
    n_a: int  # answerable by a
    n_b: int  # answerable by b
    result: PairedComparison | None  # None when fewer than 2 shared items

    def to_dict(self) -> dict:
        return {"path": self.path, "kind": self.kind, "n_items": self.n_items, "n_a": self.n_a,
                "n_b": self.n_b, "result": None if self.result is None else self.result.to_dict()}


def analogy_outcomes(kv: KeyedVectors, questions: list[tuple[str, str, str, str]],
                     restrict_vocab: int | None = 30000, case_insensitive: bool = True,
                     batch_size: int = 512) -> AnalogyOutcomes:
    """3CosAdd outcome of every answerable question (module docstring).

    Parameters
    ----------
    kv : the vectors
    questions : [(a, b, c, d), ...] a : b :: c : d
    restrict_vocab : search and accept only the N most frequent words (None: all)
    case_insensitive : match upper-cased words, most frequent spelling first (gensim)
    batch_size : questions per (batch x restrict_vocab) product
    """
    lookup, _ = _lookup(kv, restrict_vocab, case_insensitive)
    limit = len(kv) if restrict_vocab is None else min(restrict_vocab, len(kv))
    normed = kv.get_normed_vectors()[:limit]
    answered, rows = [], []
    for index, question in enumerate(questions):
        keys = [w.upper() if case_insensitive else w for w in question]
        if all(key in lookup for key in keys):
            answered.append(index)
            rows.append([lookup[key] for key in keys])
    ids = np.array(rows, dtype=np.int64).reshape(-1, 4)
    correct = np.zeros(len(ids), dtype=bool)
    for start in range(0, len(ids), batch_size):
        block = ids[start:start + batch_size]
        query = normed[block[:, 1]] - normed[block[:, 0]] + normed[block[:, 2]]
        query /= np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12)
        scores = query @ normed.T
        scores[np.arange(len(block))[:, None], block[:, :3]] = -np.inf  # never a, b or c
        correct[start:start + len(block)] = np.argmax(scores, axis=1) == block[:, 3]
    return AnalogyOutcomes(np.array(answered, dtype=np.int64), correct, len(questions))


def pair_scores(kv: KeyedVectors, pairs: list[tuple[str, str, float]], restrict_vocab: int | None = 300000,
                case_insensitive: bool = True) -> PairScores:
    """Cosine similarity of every pair whose two words are known (gensim's evaluate_word_pairs)."""
    lookup, _ = _lookup(kv, restrict_vocab, case_insensitive)
    normed = kv.get_normed_vectors()
    known, human, first_rows, second_rows = [], [], [], []
    for index, (first, second, score) in enumerate(pairs):
        key1 = first.upper() if case_insensitive else first
        key2 = second.upper() if case_insensitive else second
        if key1 in lookup and key2 in lookup:
            known.append(index)
            human.append(score)
            first_rows.append(lookup[key1])
            second_rows.append(lookup[key2])
    model = np.einsum("nd,nd->n", normed[first_rows], normed[second_rows]).astype(np.float64)
    return PairScores(np.array(known, dtype=np.int64), np.array(human, dtype=np.float64), model, len(pairs))


def _shared(index_a: np.ndarray, index_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions into a's and b's arrays of the items both have, in file order."""
    _, in_a, in_b = np.intersect1d(index_a, index_b, assume_unique=True, return_indices=True)
    return in_a, in_b


def compare_vectors(
    kv_a: KeyedVectors,
    kv_b: KeyedVectors,
    analogy_paths: list[str | Path] = (),
    pair_paths: list[str | Path] = (),
    restrict_vocab: int | None = 30000,
    case_insensitive: bool = True,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> list[Comparison]:
    """Score a and b on the shared questions/pairs of each file and test the difference.

    Returns
    -------
    list of Comparison, analogy files first, in the order given
    """
    comparisons = []
    for path in analogy_paths:
        questions = [question for _, section in read_analogies(path) for question in section]
        outcomes_a = analogy_outcomes(kv_a, questions, restrict_vocab, case_insensitive)
        outcomes_b = analogy_outcomes(kv_b, questions, restrict_vocab, case_insensitive)
        in_a, in_b = _shared(outcomes_a.question_index, outcomes_b.question_index)
        result = None
        if len(in_a) >= 2:
            result = compare_accuracy(outcomes_a.correct[in_a], outcomes_b.correct[in_b], n_boot, confidence, seed)
        comparisons.append(Comparison(str(path), "analogy accuracy", len(questions),
                                      len(outcomes_a.correct), len(outcomes_b.correct), result))
    for path in pair_paths:
        pairs = [(first, second, score) for _, first, second, score in read_word_pairs(path)]
        scores_a = pair_scores(kv_a, pairs, case_insensitive=case_insensitive)
        scores_b = pair_scores(kv_b, pairs, case_insensitive=case_insensitive)
        in_a, in_b = _shared(scores_a.pair_index, scores_b.pair_index)
        result = None
        if len(in_a) >= 3:
            result = compare_spearman(scores_a.human[in_a], scores_a.model[in_a], scores_b.model[in_b],
                                      n_boot, confidence, seed)
        comparisons.append(Comparison(str(path), "spearman", len(pairs), len(scores_a.model),
                                      len(scores_b.model), result))
    return comparisons


def format_table(comparisons: list[Comparison], name_a: str, name_b: str) -> list[str]:
    """The comparison as aligned lines for people."""
    if not comparisons:
        return []
    confidence = next((c.result.confidence for c in comparisons if c.result is not None), 0.95)
    level = f"{100 * confidence:g}% CI"
    lines = [f"a = {name_a}", f"b = {name_b}",
             f"{'test':34s} {'metric':17s} {'shared':>13s} {'a':>7s} {'b':>7s} {'a - b':>8s} "
             f"{level + ' of a - b':>22s} {'p':>7s}"]
    for comparison in comparisons:
        name = Path(comparison.path).name
        result = comparison.result
        shared = result.n if result is not None else 0
        coverage = f"{shared}/{comparison.n_items}"
        if result is None:
            lines.append(f"{name:34s} {comparison.kind:17s} {coverage:>13s}   too few shared items to compare")
        else:
            interval = f"[{result.low:+.4f}, {result.high:+.4f}]"
            lines.append(f"{name:34s} {comparison.kind:17s} {coverage:>13s} {result.a:7.4f} {result.b:7.4f} "
                         f"{result.delta:+8.4f} {interval:>22s} {result.p_value:7.4f}")
        lines.append(f"{'':34s} coverage: a answers {comparison.n_a}/{comparison.n_items} "
                     f"({100 * comparison.n_a / max(1, comparison.n_items):.1f}%), "
                     f"b {comparison.n_b}/{comparison.n_items} "
                     f"({100 * comparison.n_b / max(1, comparison.n_items):.1f}%), both {shared}")
    lines.append("p: two-sided paired permutation test on the shared items (smallest possible: "
                 "1/(n-boot + 1)); CI: paired percentile bootstrap")
    return lines
