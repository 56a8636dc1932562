"""Intrinsic evaluation: word analogies (3CosAdd) and word-pair similarity correlations.

Both mirror gensim's `evaluate_word_analogies` / `evaluate_word_pairs` (which follow
word2vec's `compute-accuracy`), so numbers are comparable:

- Analogies "a b c d" (a : b :: c : d) from files with `: section` headers. Only the
  `restrict_vocab` most frequent words are searched; a question with any word outside them
  is skipped (and counted as skipped). The answer is the word, other than a, b, c,
  maximising cos(x, b - a + c) on unit vectors (3CosAdd).
- Word pairs "w1 w2 score" (tab or space separated, `#` comments): Pearson and Spearman
  correlation between the human scores and the cosine similarities of the pairs whose
  words are both known, and the ratio of pairs skipped as out of vocabulary.

Matching is case-insensitive by default: words are upper-cased on both sides and the
most frequent spelling wins, as gensim does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.stats

from cbow.errors import FormatError
from cbow.vectors import KeyedVectors


@dataclass
class AnalogySection:
    """Counts of one `: section` of an analogy file."""

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
    """Accuracy over all questions answered, with per-section counts."""

    sections: list[AnalogySection] = field(default_factory=list)

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


@dataclass
class PairsResult:
    """Correlations of cosine similarity with human scores."""

    pearson: float
    spearman: float
    n_pairs: int
    n_skipped: int

    @property
    def oov_ratio(self) -> float:
        total = self.n_pairs + self.n_skipped
        return self.n_skipped / total if total else 0.0


def _lookup(kv: KeyedVectors, restrict_vocab: int | None, case_insensitive: bool) -> dict[str, int]:
    """word -> row over the first `restrict_vocab` words; upper-cased, first spelling wins."""
    limit = len(kv) if restrict_vocab is None else min(restrict_vocab, len(kv))
    lookup: dict[str, int] = {}
    for index, word in enumerate(kv.index_to_key[:limit]):
        key = word.upper() if case_insensitive else word
        lookup.setdefault(key, index)
    return lookup


def read_analogies(path: str | Path) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """Parse a questions-words style file into [(section, [(a, b, c, d), ...]), ...]."""
    sections: list[tuple[str, list]] = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: cannot read the analogy file ({exc})") from None
    for line_no, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(":"):
            sections.append((line.lstrip(": ").strip(), []))
            continue
        words = line.split()
        if len(words) != 4:
            raise FormatError(f"{path}:{line_no}: expected 4 words 'a b c d', got {len(words)}; fix the line")
        if not sections:
            sections.append(("(no section)", []))
        sections[-1][1].append(tuple(words))
    return sections


def evaluate_word_analogies(
    kv: KeyedVectors,
    path: str | Path,
    restrict_vocab: int = 30000,
    case_insensitive: bool = True,
    batch_size: int = 512,
) -> AnalogyResult:
    """Accuracy of 3CosAdd on an analogy file (gensim's `evaluate_word_analogies`).

    Questions are answered in batches: one (batch x restrict_vocab) matrix product each.
    """
    lookup = _lookup(kv, restrict_vocab, case_insensitive)
    limit = len(kv) if restrict_vocab is None else min(restrict_vocab, len(kv))
    normed = kv.get_normed_vectors()[:limit]
    result = AnalogyResult()
    for name, questions in read_analogies(path):
        section = AnalogySection(name)
        rows = []
        for question in questions:
            keys = [w.upper() if case_insensitive else w for w in question]
            if all(key in lookup for key in keys):
                rows.append([lookup[key] for key in keys])
            else:
                section.skipped += 1
        ids = np.array(rows, dtype=np.int64).reshape(-1, 4)
        for start in range(0, len(ids), batch_size):
            block = ids[start:start + batch_size]
            query = normed[block[:, 1]] - normed[block[:, 0]] + normed[block[:, 2]]
            query /= np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12)
            scores = query @ normed.T
            row_index = np.arange(len(block))[:, None]
            scores[row_index, block[:, :3]] = -np.inf
            predicted = np.argmax(scores, axis=1)
            n_correct = int(np.sum(predicted == block[:, 3]))
            section.correct += n_correct
            section.incorrect += len(block) - n_correct
        result.sections.append(section)
    return result


def read_word_pairs(path: str | Path) -> list[tuple[int, str, str, float]]:
    """Parse 'w1 w2 score' lines (tab or space separated, '#' comments) with line numbers."""
    pairs = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: cannot read the word-pair file ({exc})") from None
    for line_no, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t") if "\t" in line else line.split()
        try:
            first, second, score = fields[0].strip(), fields[1].strip(), float(fields[2])
        except (IndexError, ValueError):
            raise FormatError(f"{path}:{line_no}: expected 'word1 word2 score', got {line[:60]!r}; fix the line") from None
        pairs.append((line_no, first, second, score))
    return pairs


def evaluate_word_pairs(
    kv: KeyedVectors,
    path: str | Path,
    restrict_vocab: int = 300000,
    case_insensitive: bool = True,
) -> PairsResult:
    """Pearson and Spearman correlation of cosine similarity with human scores.

    Mirrors gensim's `evaluate_word_pairs` (pairs with an unknown word are skipped).
    """
    lookup = _lookup(kv, restrict_vocab, case_insensitive)
    normed = kv.get_normed_vectors()
    model_scores, human_scores, n_skipped = [], [], 0
    for _, first, second, score in read_word_pairs(path):
        key1 = first.upper() if case_insensitive else first
        key2 = second.upper() if case_insensitive else second
        if key1 not in lookup or key2 not in lookup:
            n_skipped += 1
            continue
        model_scores.append(float(normed[lookup[key1]] @ normed[lookup[key2]]))
        human_scores.append(score)
    if len(model_scores) < 2:
        return PairsResult(float("nan"), float("nan"), len(model_scores), n_skipped)
    pearson = scipy.stats.pearsonr(human_scores, model_scores)[0]
    spearman = scipy.stats.spearmanr(human_scores, model_scores)[0]
    return PairsResult(float(pearson), float(spearman), len(model_scores), n_skipped)
