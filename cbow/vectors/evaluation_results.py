"""What an evaluation returns: analogy accuracy by section, word-pair correlations.

`AnalogyResult` and `PairsResult` (made by cbow.vectors.evaluate) keep every question's and
pair's outcome, so confidence intervals and paired comparisons can be computed
(cbow.vectors.stats, cbow.vectors.compare); they also unpack as gensim 4.4's tuples:

    score, sections = kv.evaluate_word_analogies(path)       sections: gensim's dicts
    pearson, spearman, oov_ratio = kv.evaluate_word_pairs(path)    (r, p), (rho, p), percent
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

METHODS = ("3CosAdd", "3CosMul")
TOTAL_SECTION = "Total accuracy"  # gensim's name of the last section, every question of the file


class Correlation(NamedTuple):
    """A correlation and its two-sided p-value: unpacks as gensim's (statistic, pvalue)."""

    statistic: float
    pvalue: float



@dataclass
class AnalogySection:
    """Counts of one `: section` of an analogy file (for one method)."""

    name: str
    correct: int = 0
    incorrect: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.correct + self.incorrect

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass
class AnalogyResult:
    """Accuracy over all questions answered, per section, for 3CosAdd and 3CosMul.

    `.sections`, `.correct`, `.total`, `.accuracy` report `method` (3CosAdd by default,
    gensim's method); `sections_by_method` has both.

    Attributes
    ----------
    questions : list of (a, b, c, d) as written in the file, the n answered questions in file order
    question_index : (n,) int64, the position of each answered question among ALL the file's
        questions (0-based, sections concatenated in file order, skipped ones counted): the
        key that pairs two models' outcomes on the same questions
    section_labels : (n,) object array, the section of each answered question
    outcomes : {"3CosAdd": (n,) bool, "3CosMul": (n,) bool}, True where the answer was right
    predictions : {method: list of n predicted words (as spelled in the vectors, "" if none)}
    n_skipped : questions skipped because a word is outside the first `restrict_vocab` words
    dummy4unknown : such questions were counted as wrong instead (gensim's dummy4unknown)
    case_insensitive : the words were compared upper-cased (gensim's sections show them so)
    vocab_size : words in the vectors, so a report can tell "outside the top N" (restrict_vocab
        below it) from "not in the vocabulary" (restrict_vocab None or at least it)
    """

    sections_by_method: dict[str, list[AnalogySection]] = field(default_factory=dict)
    method: str = "3CosAdd"
    questions: list[tuple[str, str, str, str]] = field(default_factory=list)
    question_index: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    section_labels: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    outcomes: dict[str, np.ndarray] = field(default_factory=dict)
    predictions: dict[str, list[str]] = field(default_factory=dict)
    restrict_vocab: int | None = None
    vocab_size: int | None = None
    dummy4unknown: bool = False
    case_insensitive: bool = True

    def __iter__(self):
        """`score, sections = result`: gensim's (accuracy, sections) pair (`gensim_sections`)."""
        return iter((self.accuracy, self.gensim_sections()))

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int):
        return tuple(self)[index]

    def gensim_sections(self) -> list[dict]:
        """gensim's sections: [{'section': name, 'correct': [(a, b, c, d), ...], 'incorrect': [...]}]
        for `method`, in file order, then 'Total accuracy' with every question; words
        upper-cased when compared case-insensitively."""
        hits = self.outcomes.get(self.method, np.zeros(0, dtype=bool)).tolist()
        questions = [tuple(w.upper() for w in q) if self.case_insensitive else tuple(q) for q in self.questions]
        sections, start = [], 0
        for section in self.sections:
            stop = start + section.total
            sections.append({"section": section.name,
                             "correct": [q for q, hit in zip(questions[start:stop], hits[start:stop]) if hit],
                             "incorrect": [q for q, hit in zip(questions[start:stop], hits[start:stop]) if not hit]})
            start = stop
        sections.append({"section": TOTAL_SECTION,
                         "correct": [q for s in sections for q in s["correct"]],
                         "incorrect": [q for s in sections for q in s["incorrect"]]})
        return sections

    @property
    def sections(self) -> list[AnalogySection]:
        return self.sections_by_method.get(self.method, [])

    @property
    def correct(self) -> int:
        return sum(s.correct for s in self.sections)

    @property
    def total(self) -> int:
        return sum(s.total for s in self.sections)

    @property
    def skipped(self) -> int:
        return sum(s.skipped for s in self.sections)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def n_questions(self) -> int:
        """Questions in the file, answered or skipped."""
        return self.total + self.skipped

    def accuracy_of(self, method: str) -> float:
        """Total accuracy of one method ('3CosAdd' or '3CosMul')."""
        hits = self.outcomes[method]
        return float(hits.mean()) if hits.size else 0.0

    def to_dict(self) -> dict:
        """Plain numbers for `--json`: per method, total and per section."""
        report = {"restrict_vocab": self.restrict_vocab, "vocab_size": self.vocab_size,
                  "questions": self.n_questions, "skipped": self.skipped, "methods": {}}
        for method, sections in self.sections_by_method.items():
            correct = sum(s.correct for s in sections)
            total = sum(s.total for s in sections)
            report["methods"][method] = {
                "accuracy": correct / total if total else 0.0, "correct": correct, "total": total,
                "sections": [{"section": s.name, "accuracy": s.accuracy, "correct": s.correct,
                              "total": s.total, "skipped": s.skipped} for s in sections],
            }
        return report


@dataclass
class PairsResult:
    """Correlations of cosine similarity with human scores.

    Attributes
    ----------
    pairs : list of the n (word1, word2) scored, in file order
    pair_index : (n,) int64, the position of each scored pair among ALL the file's pairs
        (0-based, skipped ones counted): the key that pairs two models on the same pairs
    human, model : (n,) float64 human scores and model cosines of those pairs
    n_oov : pairs with a word outside the first `restrict_vocab` words (skipped, or scored 0
        with dummy4unknown)
    pearson_pvalue, spearman_pvalue : two-sided p-values (scipy's)

    `pearson, spearman, oov_ratio = result` unpacks as gensim's tuple: two Correlation
    (statistic, pvalue) pairs and the out-of-vocabulary share in percent.
    """

    pearson: float
    spearman: float
    n_pairs: int
    n_skipped: int
    pairs: list[tuple[str, str]] = field(default_factory=list)
    human: np.ndarray = field(default_factory=lambda: np.empty(0))
    model: np.ndarray = field(default_factory=lambda: np.empty(0))
    pair_index: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    n_oov: int | None = None
    pearson_pvalue: float = float("nan")
    spearman_pvalue: float = float("nan")

    def __post_init__(self) -> None:
        if self.n_oov is None:
            self.n_oov = self.n_skipped

    def __iter__(self):
        return iter((Correlation(self.pearson, self.pearson_pvalue), Correlation(self.spearman, self.spearman_pvalue),
                     100.0 * self.oov_ratio))

    def __len__(self) -> int:
        return 3

    def __getitem__(self, index: int):
        return tuple(self)[index]

    @property
    def oov_ratio(self) -> float:
        """The share (0..1) of the file's pairs with an unknown word (gensim's tuple gives it in percent)."""
        total = self.n_pairs + self.n_skipped
        return self.n_oov / total if total else 0.0

    def to_dict(self) -> dict:
        def number(value: float) -> float | None:
            return None if np.isnan(value) else float(value)

        return {"spearman": number(self.spearman), "pearson": number(self.pearson), "pairs": self.n_pairs,
                "skipped": self.n_skipped, "oov_ratio": self.oov_ratio}
