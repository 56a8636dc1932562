"""Intrinsic evaluation: word analogies (3CosAdd, 3CosMul) and word-pair similarity correlations.

Both mirror gensim 4.4's `evaluate_word_analogies` / `evaluate_word_pairs` (which follow
word2vec's `compute-accuracy`), so numbers are comparable; tests check that accuracy and
Spearman equal gensim's on the same vectors and files.

Analogies "a b c d" (a : b :: c : d), files with `: section` headers:

- Only the `restrict_vocab` most frequent words (the first rows) are used. A question
  with any word outside them is skipped and counted in `skipped`, not in the accuracy.
- With `case_insensitive` (the default) words are upper-cased on both sides; when several
  spellings share an upper-case form the first (most frequent) row stands for it.
- With unit rows v_i and cos_i(w) = v_i . v_w, over the candidates i other than a, b, c:

      3CosAdd:  score_i = cos_i(b) - cos_i(a) + cos_i(c)      (= cos(v_i, b - a + c) * |b - a + c|)
      3CosMul:  score_i = cos'_i(b) cos'_i(c) / (cos'_i(a) + 1e-6),   cos' = (1 + cos) / 2

  Exactly as gensim: among the 5 best candidates the first whose (upper-cased) spelling
  differs from a, b and c is the answer; it is right when it equals d (upper-cased).
- Questions are answered in batches: three (batch x restrict_vocab) matrix products give
  both methods.

Word pairs "w1 w2 score" (tab-separated, or whitespace when a line has no tab; `#`
comments): Pearson and Spearman (scipy) between the human scores and the cosines of the
pairs whose words are both among the first `restrict_vocab` words, and the ratio of pairs
skipped as out of vocabulary.

Per-question and per-pair outcomes are kept on the results (`AnalogyResult.outcomes`,
`PairsResult.human` / `.model`), with the position of each item in its file
(`AnalogyResult.question_index`, `PairsResult.pair_index`), so confidence intervals can be
computed and two models can be paired on the same items (`cbow.vectors.compare`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.stats

from cbow.errors import FormatError
from cbow.numerics import COSMUL_EPSILON

if TYPE_CHECKING:
    from cbow.vectors.keyed import KeyedVectors

logger = logging.getLogger(__name__)

METHODS = ("3CosAdd", "3CosMul")
CANDIDATES = 5  # gensim looks at the 5 best answers, skipping spellings of a, b, c


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
    """

    pearson: float
    spearman: float
    n_pairs: int
    n_skipped: int
    pairs: list[tuple[str, str]] = field(default_factory=list)
    human: np.ndarray = field(default_factory=lambda: np.empty(0))
    model: np.ndarray = field(default_factory=lambda: np.empty(0))
    pair_index: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    @property
    def oov_ratio(self) -> float:
        total = self.n_pairs + self.n_skipped
        return self.n_skipped / total if total else 0.0

    def to_dict(self) -> dict:
        def number(value: float) -> float | None:
            return None if np.isnan(value) else float(value)

        return {"spearman": number(self.spearman), "pearson": number(self.pearson), "pairs": self.n_pairs,
                "skipped": self.n_skipped, "oov_ratio": self.oov_ratio}


def _lookup(kv: KeyedVectors, restrict_vocab: int | None, case_insensitive: bool) -> tuple[dict[str, int], list[str]]:
    """(key -> row over the first `restrict_vocab` rows, first spelling winning; key of each row)."""
    limit = len(kv) if restrict_vocab is None else min(restrict_vocab, len(kv))
    keys = [word.upper() for word in kv.index_to_key[:limit]] if case_insensitive else kv.index_to_key[:limit]
    lookup: dict[str, int] = {}
    for index, key in enumerate(keys):
        lookup.setdefault(key, index)
    return lookup, keys


def _read_lines(path: str | Path, what: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").split("\n")
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file; check the path (cbow datasets list shows known sets)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: cannot read the {what} file ({exc}); check the path") from None


def read_analogies(path: str | Path) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """Parse a questions-words style file into [(section, [(a, b, c, d), ...]), ...].

    `: name` starts a section; blank lines and `#` comments are ignored; any other line
    must hold exactly four words (gensim silently skips such lines; we name them).
    """
    sections: list[tuple[str, list]] = []
    for line_no, line in enumerate(_read_lines(path, "analogy"), start=1):
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
    restrict_vocab: int | None = 30000,
    case_insensitive: bool = True,
    batch_size: int = 256,
    method: str = "3CosAdd",
) -> AnalogyResult:
    """Accuracy of 3CosAdd and 3CosMul on an analogy file (gensim's `evaluate_word_analogies`).

    Parameters
    ----------
    kv : the vectors (rows most frequent first, so `restrict_vocab` keeps the frequent words)
    path : questions-words style file
    restrict_vocab : use only the first N words, as questions and as answers (None = all)
    case_insensitive : compare upper-cased words; the first spelling of a word stands for it
    batch_size : questions per matrix product (memory ~ 3 * 4 * batch * restrict_vocab bytes)
    method : which method `.sections` / `.accuracy` report ('3CosAdd' = gensim's, or '3CosMul')

    Returns
    -------
    AnalogyResult with per-section counts for both methods and per-question outcomes
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    lookup, row_keys = _lookup(kv, restrict_vocab, case_insensitive)
    normed = kv.get_normed_vectors()[: len(row_keys)]
    result = AnalogyResult(method=method, restrict_vocab=restrict_vocab, vocab_size=len(kv))
    result.sections_by_method = {m: [] for m in METHODS}
    hits: dict[str, list[bool]] = {m: [] for m in METHODS}
    result.predictions = {m: [] for m in METHODS}
    labels: list[str] = []
    positions: list[int] = []
    position = 0  # of the next question among all the file's questions
    for name, questions in read_analogies(path):
        rows, answered = [], []
        n_skipped = 0
        for question in questions:
            keys = [w.upper() for w in question] if case_insensitive else list(question)
            if all(key in lookup for key in keys):
                rows.append([lookup[key] for key in keys])
                answered.append((question, keys))
                positions.append(position)
            else:
                n_skipped += 1
            position += 1
        ids = np.array(rows, dtype=np.int64).reshape(-1, 4)
        counts = {m: AnalogySection(name, skipped=n_skipped) for m in METHODS}
        for start in range(0, len(ids), batch_size):
            block = ids[start:start + batch_size]
            block_questions = answered[start:start + batch_size]
            for m, candidates in _candidates(normed, block).items():
                for (question, keys), candidate_rows in zip(block_questions, candidates):
                    predicted = _gensim_answer(candidate_rows, row_keys, set(keys[:3]))
                    right = predicted is not None and row_keys[predicted] == keys[3]
                    hits[m].append(right)
                    result.predictions[m].append("" if predicted is None else kv.index_to_key[predicted])
                    counts[m].correct += right
                    counts[m].incorrect += not right
        for m in METHODS:
            result.sections_by_method[m].append(counts[m])
        result.questions.extend(question for question, _ in answered)
        labels.extend([name] * len(answered))
    result.outcomes = {m: np.array(hits[m], dtype=bool) for m in METHODS}
    result.section_labels = np.array(labels, dtype=object)
    result.question_index = np.array(positions, dtype=np.int64)
    logger.info("%s: 3CosAdd %.4f, 3CosMul %.4f over %d questions (%d skipped)", path,
                result.accuracy_of("3CosAdd"), result.accuracy_of("3CosMul"), result.total, result.skipped)
    return result


def _candidates(normed: np.ndarray, block: np.ndarray) -> dict[str, list[list[int]]]:
    """The best CANDIDATES rows per question (a, b, c excluded), best first, for each method."""
    cos_a, cos_b, cos_c = (normed[block[:, k]] @ normed.T for k in range(3))   # (B, limit) each
    scores = {
        "3CosAdd": cos_b - cos_a + cos_c,
        "3CosMul": ((1 + cos_b) / 2) * ((1 + cos_c) / 2) / ((1 + cos_a) / 2 + COSMUL_EPSILON),
    }
    question_rows = np.arange(len(block))[:, None]
    n_columns = normed.shape[0]
    result = {}
    for m, method_scores in scores.items():
        method_scores[question_rows, block[:, :3]] = -np.inf
        n_take = min(CANDIDATES, n_columns)
        top = (np.argpartition(-method_scores, n_take - 1, axis=1)[:, :n_take] if n_take < n_columns
               else np.broadcast_to(np.arange(n_columns), (len(block), n_columns)))
        top_scores = np.take_along_axis(method_scores, top, axis=1)
        order = np.argsort(-top_scores, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        finite = np.isfinite(np.take_along_axis(top_scores, order, axis=1))
        result[m] = [row[keep].tolist() for row, keep in zip(top, finite)]
    return result


def _gensim_answer(candidate_rows: list[int], row_keys: list[str], ignore: set[str]) -> int | None:
    """gensim's rule: the first candidate whose key is not a, b or c; else the last one looked at."""
    predicted = None
    for row in candidate_rows:
        predicted = row
        if row_keys[row] not in ignore:
            break
    return predicted


def read_word_pairs(path: str | Path) -> list[tuple[int, str, str, float]]:
    """Parse 'w1 w2 score' lines into (line_no, w1, w2, score).

    Fields are tab-separated (gensim's files) or, on a line without a tab, separated by
    whitespace (MEN's natural form). `#` lines and blank lines are comments; a first line
    whose score is not a number is taken as a column header and skipped.
    """
    pairs = []
    seen_data = False
    for line_no, line in enumerate(_read_lines(path, "word-pair"), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")] if "\t" in line else line.split()
        try:
            if len(fields) != 3 or not fields[0] or not fields[1]:
                raise ValueError
            score = float(fields[2])
            if not np.isfinite(score):
                raise ValueError
        except ValueError:
            if not seen_data and len(fields) == 3:
                logger.info("%s:%d: taken as a header line: %r", path, line_no, line[:60])
                seen_data = True
                continue
            raise FormatError(f"{path}:{line_no}: expected 'word1<TAB>word2<TAB>score', got {line[:60]!r}; "
                              "fix the line or comment it out with #") from None
        seen_data = True
        pairs.append((line_no, fields[0], fields[1], score))
    return pairs


def evaluate_word_pairs(
    kv: KeyedVectors,
    path: str | Path,
    restrict_vocab: int | None = 300000,
    case_insensitive: bool = True,
) -> PairsResult:
    """Pearson and Spearman correlation of cosine similarity with human scores.

    Mirrors gensim's `evaluate_word_pairs`: pairs with a word outside the first
    `restrict_vocab` words are skipped and counted in `oov_ratio`. With fewer than two
    pairs scored, the correlations are NaN.
    """
    lookup, _ = _lookup(kv, restrict_vocab, case_insensitive)
    normed = kv.get_normed_vectors()
    scored, model_scores, human_scores, positions, n_skipped = [], [], [], [], 0
    for position, (_, first, second, score) in enumerate(read_word_pairs(path)):
        key1 = first.upper() if case_insensitive else first
        key2 = second.upper() if case_insensitive else second
        if key1 not in lookup or key2 not in lookup:
            n_skipped += 1
            continue
        scored.append((first, second))
        model_scores.append(float(normed[lookup[key1]] @ normed[lookup[key2]]))
        human_scores.append(score)
        positions.append(position)
    human, model = np.array(human_scores, dtype=np.float64), np.array(model_scores, dtype=np.float64)
    pair_index = np.array(positions, dtype=np.int64)
    if len(model_scores) < 2:
        return PairsResult(float("nan"), float("nan"), len(model_scores), n_skipped, scored, human, model,
                           pair_index)
    pearson = scipy.stats.pearsonr(human, model)[0]
    spearman = scipy.stats.spearmanr(human, model)[0]
    return PairsResult(float(pearson), float(spearman), len(model_scores), n_skipped, scored, human, model,
                       pair_index)
