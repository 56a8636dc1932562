"""Honest evaluation statistics: bootstrap confidence intervals and paired tests.

An analogy accuracy over 19,544 questions, or a Spearman correlation over 353 pairs, is an
estimate from a sample of questions; these functions say how far it could move on another
sample of the same kind, and whether model a beats model b on the SAME questions.

Confidence intervals: the percentile bootstrap (Efron). Resample the n items with
replacement n_boot times, recompute the statistic on each resample; the interval is the
(alpha/2, 1 - alpha/2) quantiles of those values:

    theta*_r = statistic(items[idx_r]),  idx_r ~ U{0..n-1}^n,  r = 1..n_boot
    CI = [quantile(theta*, 0.025), quantile(theta*, 0.975)]             (95%)

Resamples are drawn as an (chunk, n) index matrix and the statistic is computed for a
whole chunk at once (accuracy: a row mean; Spearman: row-wise ranks, then a row-wise
Pearson of the ranks), so 10,000 resamples of 20,000 questions take a fraction of a
second and memory stays O(chunk * n).

Paired tests ("is a better than b?", both scored on the same items):

- `paired_permutation_test`: under H0 the two systems are exchangeable on each item, so
  swap a_i and b_i independently with probability 1/2 and recompute the difference
  delta = stat(a) - stat(b); two-sided p = (1 + #{|delta*| >= |delta|}) / (1 + n_perm)
  (a Monte-Carlo randomisation test: valid at any n, the +1 keeps p > 0).
- `paired_bootstrap`: the percentile interval of delta over shared resamples of the items
  (both systems see the same resampled items, which removes the between-item variance
  the two share); 0 outside the interval means a real difference at that level.

For accuracy the items are per-question 0/1 outcomes; for word-pair similarity they are
(human score, model score) pairs. Everything is seeded: one seed, one answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.stats

__all__ = [
    "Interval",
    "PairedComparison",
    "accuracy_ci",
    "wilson_interval",
    "spearman_ci",
    "row_spearman",
    "paired_permutation_test",
    "paired_bootstrap",
    "compare_accuracy",
    "compare_spearman",
]

N_BOOT = 2000
N_PERMUTATIONS = 2000
CHUNK_CELLS = 4_000_000  # resample cells per chunk: (chunk x n) int64 indices = 32 MB


@dataclass(frozen=True)
class Interval:
    """A point estimate with a confidence interval (`method`: "bootstrap" or "wilson")."""

    estimate: float
    low: float
    high: float
    confidence: float
    n: int
    method: str = "bootstrap"

    def to_dict(self) -> dict:
        return {"estimate": self.estimate, "low": self.low, "high": self.high,
                "confidence": self.confidence, "n": self.n, "method": self.method}


@dataclass(frozen=True)
class PairedComparison:
    """Model a versus model b on the same n items.

    Attributes
    ----------
    a, b : the statistic of each model on the items
    delta : a - b
    low, high : percentile-bootstrap interval of delta (shared resamples)
    p_value : two-sided paired permutation test of H0 "a and b are exchangeable"
    n : number of shared items
    """

    a: float
    b: float
    delta: float
    low: float
    high: float
    confidence: float
    p_value: float
    n: int

    def to_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "delta": self.delta, "low": self.low, "high": self.high,
                "confidence": self.confidence, "p_value": self.p_value, "n": self.n}


# --- statistics computed on many rows at once ---------------------------------------------

def row_mean(values: np.ndarray) -> np.ndarray:
    """Mean of each row: accuracy of each resample of 0/1 outcomes. (R, n) -> (R,)."""
    return values.mean(axis=1)


def row_spearman(human: np.ndarray, model: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row pair (average ranks for ties). (R, n), (R, n) -> (R,).

    The Pearson correlation of the rank rows; nan for a row whose ranks are all equal.
    """
    human_ranks = scipy.stats.rankdata(human, axis=1)
    model_ranks = scipy.stats.rankdata(model, axis=1)
    human_ranks -= human_ranks.mean(axis=1, keepdims=True)
    model_ranks -= model_ranks.mean(axis=1, keepdims=True)
    numerator = np.einsum("rn,rn->r", human_ranks, model_ranks)
    denominator = np.sqrt(np.einsum("rn,rn->r", human_ranks, human_ranks)
                          * np.einsum("rn,rn->r", model_ranks, model_ranks))
    with np.errstate(invalid="ignore", divide="ignore"):
        return numerator / denominator


def _chunks(n_total: int, n_items: int) -> list[int]:
    size = max(1, min(n_total, CHUNK_CELLS // max(1, n_items)))
    return [min(size, n_total - start) for start in range(0, n_total, size)]


def _percentile_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return float(low), float(high)


def _check(confidence: float, n: int) -> None:
    if not (0 < confidence < 1):
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    if n < 2:
        raise ValueError(f"need at least 2 items for a bootstrap, got {n}")


def bootstrap_ci(
    columns: tuple[np.ndarray, ...],
    row_statistic: Callable[..., np.ndarray],
    n_boot: int = N_BOOT,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Percentile-bootstrap interval of a statistic of n items (module docstring).

    Parameters
    ----------
    columns : tuple of (n,) arrays
        The items, one array per field (e.g. (outcomes,) or (human, model)).
    row_statistic : callable (*(R, n) arrays) -> (R,)
        The statistic of each row; called on (1, n) for the estimate and on (chunk, n)
        resamples.
    n_boot, confidence, seed : resamples, level, seed of the resampling generator

    Returns
    -------
    Interval
    """
    columns = tuple(np.asarray(column) for column in columns)
    n = len(columns[0])
    _check(confidence, n)
    estimate = float(row_statistic(*(column[None, :] for column in columns))[0])
    rng = np.random.default_rng(seed)
    values = []
    for chunk in _chunks(n_boot, n):
        index = rng.integers(0, n, size=(chunk, n))
        values.append(row_statistic(*(column[index] for column in columns)))
    low, high = _percentile_interval(np.concatenate(values), confidence)
    return Interval(estimate, low, high, confidence, n)


def accuracy_ci(correct: np.ndarray, n_boot: int = N_BOOT, confidence: float = 0.95, seed: int = 0) -> Interval:
    """Accuracy (mean of per-question 0/1 outcomes) with a percentile-bootstrap interval.

    When every question is right (or every one wrong) no resample can differ and the
    bootstrap interval has zero width, which would claim certainty; the Wilson score
    interval is returned then (`method="wilson"`), e.g. [99.4%, 100%] for 636/636.

    Parameters
    ----------
    correct : (n,) bool or 0/1, one entry per question answered
    """
    outcomes = np.asarray(correct, dtype=np.float64)
    n_correct = int(outcomes.sum())
    if len(outcomes) >= 1 and n_correct in (0, len(outcomes)):  # includes a single question
        _check(confidence, 2)
        low, high = wilson_interval(n_correct, len(outcomes), confidence)
        return Interval(n_correct / len(outcomes), low, high, confidence, len(outcomes), "wilson")
    return bootstrap_ci((outcomes,), row_mean, n_boot, confidence, seed)


def wilson_interval(n_correct: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion k/n (Wilson 1927).

    With p = k/n and z the (1 + confidence)/2 normal quantile:

        center = (p + z^2 / 2n) / (1 + z^2 / n)
        half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2)

    Unlike p +- z sqrt(p(1-p)/n) it stays inside [0, 1] and keeps a width at k = 0 or n.
    """
    z = float(scipy.stats.norm.ppf((1 + confidence) / 2))
    p = n_correct / n
    denominator = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denominator
    half = z / denominator * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = 0.0 if n_correct == 0 else max(0.0, float(center - half))
    high = 1.0 if n_correct == n else min(1.0, float(center + half))  # exact ends, not 1 - 1e-16
    return low, high


def spearman_ci(human: np.ndarray, model: np.ndarray, n_boot: int = N_BOOT, confidence: float = 0.95,
                seed: int = 0) -> Interval:
    """Spearman correlation of (human, model) scores over pairs, with a bootstrap interval.

    Parameters
    ----------
    human, model : (n,) float, one entry per word pair both models know
    """
    return bootstrap_ci((np.asarray(human, dtype=np.float64), np.asarray(model, dtype=np.float64)),
                        row_spearman, n_boot, confidence, seed)


# --- paired comparisons ---------------------------------------------------------------------

def paired_permutation_test(
    a_items: tuple[np.ndarray, ...],
    b_items: tuple[np.ndarray, ...],
    row_statistic: Callable[..., np.ndarray],
    n_permutations: int = N_PERMUTATIONS,
    seed: int = 0,
) -> tuple[float, float]:
    """Two-sided randomisation test of stat(a) - stat(b) on the same items.

    Parameters
    ----------
    a_items, b_items : tuples of (n,) arrays, the items as seen by a and by b (same order)
    row_statistic : as in `bootstrap_ci`
    n_permutations : random swaps drawn
    seed : seed of the swap generator

    Returns
    -------
    delta : stat(a) - stat(b)
    p_value : (1 + #{|delta*| >= |delta|}) / (1 + n_permutations), swaps of a_i and b_i
        with probability 1/2 each, independently per item
    """
    a_items = tuple(np.asarray(column, dtype=np.float64) for column in a_items)
    b_items = tuple(np.asarray(column, dtype=np.float64) for column in b_items)
    n = len(a_items[0])
    delta = float(row_statistic(*(c[None, :] for c in a_items))[0]
                  - row_statistic(*(c[None, :] for c in b_items))[0])
    rng = np.random.default_rng(seed)
    n_extreme = 0
    tolerance = 1e-12 * max(1.0, abs(delta))  # ties in |delta*| = |delta| count as extreme
    for chunk in _chunks(n_permutations, n):
        swap = rng.random((chunk, n)) < 0.5
        permuted_a = [np.where(swap, b, a) for a, b in zip(a_items, b_items)]
        permuted_b = [np.where(swap, a, b) for a, b in zip(a_items, b_items)]
        deltas = row_statistic(*permuted_a) - row_statistic(*permuted_b)
        n_extreme += int(np.sum(np.abs(deltas) >= abs(delta) - tolerance))
    return delta, (1 + n_extreme) / (1 + n_permutations)


def paired_bootstrap(
    a_items: tuple[np.ndarray, ...],
    b_items: tuple[np.ndarray, ...],
    row_statistic: Callable[..., np.ndarray],
    n_boot: int = N_BOOT,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile interval of stat(a) - stat(b) over resamples shared by a and b."""
    a_items = tuple(np.asarray(column, dtype=np.float64) for column in a_items)
    b_items = tuple(np.asarray(column, dtype=np.float64) for column in b_items)
    n = len(a_items[0])
    _check(confidence, n)
    rng = np.random.default_rng(seed)
    deltas = []
    for chunk in _chunks(n_boot, n):
        index = rng.integers(0, n, size=(chunk, n))
        deltas.append(row_statistic(*(c[index] for c in a_items)) - row_statistic(*(c[index] for c in b_items)))
    return _percentile_interval(np.concatenate(deltas), confidence)


def _compare(a_items, b_items, row_statistic, n_boot, confidence, seed) -> PairedComparison:
    a = float(row_statistic(*(np.asarray(c, dtype=np.float64)[None, :] for c in a_items))[0])
    b = float(row_statistic(*(np.asarray(c, dtype=np.float64)[None, :] for c in b_items))[0])
    delta, p_value = paired_permutation_test(a_items, b_items, row_statistic, n_boot, seed)
    low, high = paired_bootstrap(a_items, b_items, row_statistic, n_boot, confidence, seed + 1)
    return PairedComparison(a, b, delta, low, high, confidence, p_value, len(a_items[0]))


def compare_accuracy(correct_a: np.ndarray, correct_b: np.ndarray, n_boot: int = N_BOOT,
                     confidence: float = 0.95, seed: int = 0) -> PairedComparison:
    """Accuracy of a vs b on the same questions: paired permutation p and bootstrap interval.

    Parameters
    ----------
    correct_a, correct_b : (n,) bool, outcome of question i for each model (same order)
    """
    correct_a, correct_b = np.asarray(correct_a), np.asarray(correct_b)
    if correct_a.shape != correct_b.shape:
        raise ValueError(f"paired outcomes must have one shape, got {correct_a.shape} and {correct_b.shape}")
    return _compare((correct_a,), (correct_b,), row_mean, n_boot, confidence, seed)


def compare_spearman(human: np.ndarray, model_a: np.ndarray, model_b: np.ndarray, n_boot: int = N_BOOT,
                     confidence: float = 0.95, seed: int = 0) -> PairedComparison:
    """Spearman of a vs b against the same human scores on the same pairs.

    The permutation swaps a's and b's model score of a pair (the human score stays).
    """
    human = np.asarray(human, dtype=np.float64)
    return _compare((human, model_a), (human, model_b), row_spearman, n_boot, confidence, seed)
