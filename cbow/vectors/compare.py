"""Compare two sets of vectors on the SAME questions and pairs, with a paired test.

`cbow compare a.bin b.bin --analogies q.txt --pairs ws.tsv` answers "is a better than b?"
honestly: each model is scored only on the items BOTH can answer (a question with a word
outside either model's restricted vocabulary is dropped for both), per-item outcomes are
paired, and `cbow.vectors.stats` gives the difference with a paired-bootstrap interval and a
paired permutation p-value. Coverage (how many items each model could answer) is always
reported, because a model that skips its hard questions looks better than it is.

The per-item outcomes are those of `cbow.vectors.evaluate` (gensim's rules: the `restrict_vocab`
most frequent words, upper-cased case-insensitive matching where the most frequent
spelling wins, the best of the top candidates whose spelling is not a, b or c), so
`cbow compare` and `cbow evaluate` never disagree on a question. Items are paired by
their position in the file (`AnalogyResult.question_index`, `PairsResult.pair_index`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cbow.vectors.evaluate import METHODS, evaluate_word_analogies, evaluate_word_pairs
from cbow.vectors.stats import PairedComparison, compare_accuracy, compare_spearman
from cbow.vectors.keyed import KeyedVectors

__all__ = ["Comparison", "compare_vectors", "format_table"]


@dataclass(frozen=True)
class Comparison:
    """One row of `cbow compare`: a test file, coverage, and the paired result.

    Attributes
    ----------
    path : the test file
    kind : "analogy accuracy" or "spearman"
    method : "3CosAdd" or "3CosMul" for analogies, None for word pairs
    n_items : questions or pairs in the file
    n_a, n_b : items a, b can answer (all their words in its restricted vocabulary)
    result : the paired comparison, None when too few items are shared
    shared_index : (n,) int64, positions in the file of the items both answer, ascending
    values_a, values_b : (n,) float64, each model's value on those items: 1.0 / 0.0 for a
        question answered right / wrong, the cosine similarity for a word pair
    """

    path: str
    kind: str
    n_items: int
    n_a: int
    n_b: int
    result: PairedComparison | None
    method: str | None = None
    shared_index: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64), repr=False)
    values_a: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    values_b: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)

    @property
    def n_shared(self) -> int:
        return len(self.shared_index)

    def to_dict(self) -> dict:
        return {"path": self.path, "kind": self.kind, "method": self.method, "n_items": self.n_items,
                "n_a": self.n_a, "n_b": self.n_b, "n_shared": self.n_shared,
                "result": None if self.result is None else self.result.to_dict()}


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
    method: str = "3CosAdd",
    pairs_restrict_vocab: int | None = 300000,
    progress: Callable[[int], None] | None = None,
) -> list[Comparison]:
    """Score a and b on the shared questions/pairs of each file and test the difference.

    Parameters
    ----------
    kv_a, kv_b : the two models
    analogy_paths, pair_paths : test files (questions-words format; word1 word2 score)
    restrict_vocab : analogies use each model's N most frequent words (None: all)
    case_insensitive : match upper-cased words, as gensim (and `cbow evaluate`)
    n_boot : bootstrap resamples and permutations
    confidence : level of the interval of a - b
    seed : seed of the resampling
    method : analogy method compared, "3CosAdd" (gensim's) or "3CosMul"
    pairs_restrict_vocab : word pairs use each model's N most frequent words (None: all)
    progress : called with the number of analogy questions just done, for a and b in turn
        (cbow.vectors.evaluate.evaluate_word_analogies); None: nothing is told

    Returns
    -------
    list of Comparison, analogy files first, in the order given
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    comparisons = []
    for path in analogy_paths:
        result_a, result_b = (evaluate_word_analogies(kv, path, restrict_vocab=restrict_vocab,
                                                      case_insensitive=case_insensitive, method=method,
                                                      progress=progress)
                              for kv in (kv_a, kv_b))
        in_a, in_b = _shared(result_a.question_index, result_b.question_index)
        correct_a, correct_b = result_a.outcomes[method][in_a], result_b.outcomes[method][in_b]
        paired = None
        if len(in_a) >= 2:
            paired = compare_accuracy(correct_a, correct_b, n_boot, confidence, seed)
        comparisons.append(Comparison(str(path), "analogy accuracy", result_a.n_questions, result_a.total,
                                      result_b.total, paired, method, result_a.question_index[in_a],
                                      correct_a.astype(np.float64), correct_b.astype(np.float64)))
    for path in pair_paths:
        result_a, result_b = (evaluate_word_pairs(kv, path, restrict_vocab=pairs_restrict_vocab,
                                                  case_insensitive=case_insensitive)
                              for kv in (kv_a, kv_b))
        in_a, in_b = _shared(result_a.pair_index, result_b.pair_index)
        paired = None
        if len(in_a) >= 3:
            paired = compare_spearman(result_a.human[in_a], result_a.model[in_a], result_b.model[in_b],
                                      n_boot, confidence, seed)
        comparisons.append(Comparison(str(path), "spearman", result_a.n_pairs + result_a.n_skipped,
                                      result_a.n_pairs, result_b.n_pairs, paired, None,
                                      result_a.pair_index[in_a], result_a.model[in_a], result_b.model[in_b]))
    return comparisons


def verdict(result: PairedComparison | None) -> str:
    """'a better' / 'b better' when the permutation p < 1 - confidence, else 'n.s.'."""
    if result is None:
        return "-"
    if result.p_value < 1 - result.confidence and result.delta != 0:
        return "a better" if result.delta > 0 else "b better"
    return "n.s."


def format_table(comparisons: list[Comparison], name_a: str, name_b: str,
                 restrict_vocab: int | None = None, case_insensitive: bool = True) -> list[str]:
    """The comparison as aligned lines for people: one row per test file, its coverage below.

    `restrict_vocab` and `case_insensitive`, when given, are restated in the footer.
    """
    if not comparisons:
        return []
    confidence = next((c.result.confidence for c in comparisons if c.result is not None), 0.95)
    level = f"{100 * confidence:g}% CI of a - b"
    names = [Path(comparison.path).name for comparison in comparisons]
    width = max(12, *map(len, names))
    lines = [f"a = {name_a}", f"b = {name_b}",
             f"{'test':{width}s}  {'metric':16s} {'shared':>11s} {'a':>7s} {'b':>7s} {'a - b':>8s} "
             f"{level:>20s} {'p':>7s}  verdict"]
    for name, comparison in zip(names, comparisons):
        result = comparison.result
        metric = f"{comparison.method} accuracy" if comparison.method else comparison.kind
        shared = f"{comparison.n_shared}/{comparison.n_items}"
        if result is None:
            minimum = 2 if comparison.method else 3
            lines.append(f"{name:{width}s}  {metric:16s} {shared:>11s}   fewer than {minimum} shared items: "
                         "nothing to compare")
        else:
            interval = f"[{result.low:+.4f}, {result.high:+.4f}]"
            lines.append(f"{name:{width}s}  {metric:16s} {shared:>11s} {result.a:7.4f} {result.b:7.4f} "
                         f"{result.delta:+8.4f} {interval:>20s} {result.p_value:7.4f}  {verdict(result)}")
        lines.append(f"{'':{width}s}  coverage: a answers {_share(comparison.n_a, comparison.n_items)}, "
                     f"b {_share(comparison.n_b, comparison.n_items)}, both {comparison.n_shared}")
    lines.append(f"verdict: 'a better' or 'b better' when p < {1 - confidence:.2g}, else n.s. (no significant difference)")
    lines.append("p: two-sided paired permutation test on the shared items (smallest possible 1/(n-boot + 1)); "
                 "CI: paired percentile bootstrap")
    if any(comparison.method for comparison in comparisons):
        words = "all its words" if restrict_vocab is None else f"its {restrict_vocab:,} most frequent words"
        lines.append(f"analogies: each model searches {words}, "
                     f"{'case-insensitive' if case_insensitive else 'case-sensitive'} (as cbow evaluate)")
    return lines


def _share(count: int, total: int) -> str:
    return f"{count}/{total} ({100 * count / max(1, total):.1f}%)"
