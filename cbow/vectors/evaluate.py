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

The results unpack as gensim's tuples (`score, sections = kv.evaluate_word_analogies(...)`,
`pearson, spearman, oov_ratio = kv.evaluate_word_pairs(...)`) and keep cbow's attributes.
With `dummy4unknown` (gensim's), a question or pair with a word outside the vocabulary is
not skipped: the question counts as wrong, the pair scores similarity 0.

Only the vectors, their keys and their norms are read (`Vectors`: cbow's KeyedVectors or
gensim's): cosines are raw rows times unit queries, scaled by 1/norm, so no normalised copy
of the matrix is made.

Per-question and per-pair outcomes are kept on the results (`AnalogyResult.outcomes`,
`PairsResult.human` / `.model`), with the position of each item in its file
(`AnalogyResult.question_index`, `PairsResult.pair_index`), so confidence intervals can be
computed and two models can be paired on the same items (`cbow.vectors.compare`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np
import scipy.stats

from cbow.errors import CbowError, FormatError
from cbow.numerics import COSMUL_EPSILON
from cbow.vectors.evaluation_results import (  # noqa: F401 (re-exported: where callers find them)
    METHODS, AnalogyResult, AnalogySection, Correlation, PairsResult,
)

logger = logging.getLogger(__name__)

CANDIDATES = 5  # gensim looks at the 5 best answers, skipping spellings of a, b, c


class Vectors(Protocol):
    """What an evaluation reads of the vectors (cbow's KeyedVectors and gensim's both have it)."""

    index_to_key: list
    vectors: np.ndarray
    norms: np.ndarray | None

    def fill_norms(self, force: bool = False) -> None: ...

    def __len__(self) -> int: ...


class EvaluationError(CbowError, ValueError):
    """An evaluation that cannot be made as asked (a ValueError, as gensim's)."""


def _unit_row(kv: Vectors, row: int) -> np.ndarray:
    """Row `row` of `kv` divided by its norm (zero stays zero), as gensim's unit vectors."""
    norm = kv.norms[row]
    return kv.vectors[row] / norm if norm > 0 else np.zeros_like(kv.vectors[row])


def _unit_scale(kv: Vectors) -> np.ndarray:
    """(V,) 1 / norm of each row of `kv`, 0 for a zero row."""
    kv.fill_norms()
    norms = np.asarray(kv.norms, dtype=np.float32)
    return np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)


def _lookup(kv: Vectors, restrict_vocab: int | None, case_insensitive: bool) -> tuple[dict[str, int], list[str]]:
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
    kv: Vectors,
    path: str | Path,
    restrict_vocab: int | None = 30000,
    case_insensitive: bool = True,
    batch_size: int = 256,
    method: str = "3CosAdd",
    dummy4unknown: bool = False,
    progress: Callable[[int], None] | None = None,
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
    dummy4unknown : count a question with a word outside the first `restrict_vocab` as
        wrong (gensim's dummy4unknown) instead of skipping it
    progress : called with the number of questions just done (scored, skipped or counted
        wrong), every block of `batch_size`; None: nothing is told (the CLI draws a bar with it)

    Returns
    -------
    AnalogyResult with per-section counts for both methods and per-question outcomes
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    lookup, row_keys = _lookup(kv, restrict_vocab, case_insensitive)
    rows_searched = kv.vectors[: len(row_keys)]
    scale = _unit_scale(kv)[: len(row_keys)]
    result = AnalogyResult(method=method, restrict_vocab=restrict_vocab, vocab_size=len(kv),
                           dummy4unknown=dummy4unknown, case_insensitive=case_insensitive)
    result.sections_by_method = {m: [] for m in METHODS}
    hits: dict[str, list[bool]] = {m: [] for m in METHODS}
    result.predictions = {m: [] for m in METHODS}
    labels: list[str] = []
    positions: list[int] = []
    position = 0  # of the next question among all the file's questions
    for name, questions in read_analogies(path):
        known_rows, kept = [], []  # kept: (question, keys or None for a dummy wrong answer), file order
        n_skipped = 0
        for question in questions:
            keys = [w.upper() for w in question] if case_insensitive else list(question)
            if all(key in lookup for key in keys):
                known_rows.append([lookup[key] for key in keys])
                kept.append((question, keys))
                positions.append(position)
            elif dummy4unknown:
                kept.append((question, None))
                positions.append(position)
            else:
                n_skipped += 1
            position += 1
        ids = np.array(known_rows, dtype=np.int64).reshape(-1, 4)
        known_keys = [keys for _, keys in kept if keys is not None]
        answers: dict[str, list[int | None]] = {m: [] for m in METHODS}
        for start in range(0, len(ids), batch_size):
            block, block_keys = ids[start:start + batch_size], known_keys[start:start + batch_size]
            for m, candidates in _candidates(rows_searched, scale, block).items():
                answers[m] += [_gensim_answer(rows, row_keys, set(keys[:3]))
                               for keys, rows in zip(block_keys, candidates)]
            if progress is not None:
                progress(len(block))
        if progress is not None and len(questions) > len(ids):  # skipped, or dummy wrong answers
            progress(len(questions) - len(ids))
        counts = {m: AnalogySection(name, skipped=n_skipped) for m in METHODS}
        for m in METHODS:
            known_answers = iter(answers[m])
            for _, keys in kept:
                predicted = next(known_answers) if keys is not None else None
                right = predicted is not None and row_keys[predicted] == keys[3]
                hits[m].append(right)
                result.predictions[m].append("" if predicted is None else kv.index_to_key[predicted])
                counts[m].correct += right
                counts[m].incorrect += not right
            result.sections_by_method[m].append(counts[m])
        result.questions.extend(question for question, _ in kept)
        labels.extend([name] * len(kept))
    result.outcomes = {m: np.array(hits[m], dtype=bool) for m in METHODS}
    result.section_labels = np.array(labels, dtype=object)
    result.question_index = np.array(positions, dtype=np.int64)
    logger.info("%s: 3CosAdd %.4f, 3CosMul %.4f over %d questions (%d skipped)", path,
                result.accuracy_of("3CosAdd"), result.accuracy_of("3CosMul"), result.total, result.skipped)
    return result


def _candidates(rows: np.ndarray, scale: np.ndarray, block: np.ndarray) -> dict[str, list[list[int]]]:
    """The best CANDIDATES rows per question (a, b, c excluded), best first, for each method.

    `rows` (n, d) are the raw rows searched, `scale` (n,) their 1/norm: cos_i(w) = (W[i] . v_w) s_i.
    """
    cos_a, cos_b, cos_c = ((rows[block[:, k]] * scale[block[:, k], None]) @ rows.T * scale for k in range(3))
    scores = {
        "3CosAdd": cos_b - cos_a + cos_c,
        "3CosMul": ((1 + cos_b) / 2) * ((1 + cos_c) / 2) / ((1 + cos_a) / 2 + COSMUL_EPSILON),
    }
    question_rows = np.arange(len(block))[:, None]
    n_columns = rows.shape[0]
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
    kv: Vectors,
    path: str | Path,
    restrict_vocab: int | None = 300000,
    case_insensitive: bool = True,
    dummy4unknown: bool = False,
) -> PairsResult:
    """Pearson and Spearman correlation of cosine similarity with human scores.

    Mirrors gensim's `evaluate_word_pairs`: pairs with a word outside the first
    `restrict_vocab` words are skipped and counted in `oov_ratio` (with `dummy4unknown`
    they are scored with similarity 0 instead). With fewer than two pairs scored, the
    correlations are NaN.
    """
    lookup, _ = _lookup(kv, restrict_vocab, case_insensitive)
    kv.fill_norms()
    scored, model_scores, human_scores, positions, n_skipped, n_oov = [], [], [], [], 0, 0
    for position, (_, first, second, score) in enumerate(read_word_pairs(path)):
        key1 = first.upper() if case_insensitive else first
        key2 = second.upper() if case_insensitive else second
        if key1 not in lookup or key2 not in lookup:
            n_oov += 1
            if not dummy4unknown:
                n_skipped += 1
                continue
            similarity = 0.0
        else:
            row1, row2 = lookup[key1], lookup[key2]
            # in float32, as gensim's similarity: a pair given twice ties exactly (Spearman's ranks)
            similarity = float(_unit_row(kv, row1) @ _unit_row(kv, row2))
        scored.append((first, second))
        model_scores.append(similarity)
        human_scores.append(score)
        positions.append(position)
    human, model = np.array(human_scores, dtype=np.float64), np.array(model_scores, dtype=np.float64)
    result = PairsResult(float("nan"), float("nan"), len(model_scores), n_skipped, scored, human, model,
                         np.array(positions, dtype=np.int64), n_oov=n_oov)
    if len(model_scores) >= 2:
        result.pearson, result.pearson_pvalue = map(float, scipy.stats.pearsonr(human, model))
        spearman = scipy.stats.spearmanr(human, model)
        result.spearman, result.spearman_pvalue = float(spearman[0]), float(spearman[1])
    return result
