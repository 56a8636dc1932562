"""What every engine applies per batch: the learning-rate schedule, the step, the divergence test.

The rate decays linearly with the run's global word count (corpus words before
subsampling, all workers together), as word2vec.c does:

    lr(words_done) = alpha * max(MIN_LR_FRACTION, 1 - words_done / words_total)

or, with `TrainConfig.min_alpha` set, gensim's linear fall from alpha to min_alpha:

    lr(words_done) = alpha - (alpha - min_alpha) * min(1, words_done / words_total)

(W_in's rate follows the same formula from lr_in to min_alpha * lr_in / alpha), so a run
resumed from a checkpoint, or trained by several processes, follows the same schedule as
one uninterrupted process.

words_total is words per epoch x config.epochs. A run resumed with another --epochs
(cbow train --resume CKPT --epochs N) takes N there: from where the checkpoint stands it
follows the schedule of a run of N epochs. A finished run of E epochs extended to N
restarts at alpha * (1 - E/N) and falls linearly to the floor over the added epochs; a
run resumed mid-way jumps to the rate a run of N epochs has at that point. A run started
from a model (`init=`, --init-from) is a new run: its rate falls from alpha again over
its own epochs (cbow.training.continuing).

W_out's repeat guard turns on by itself (`guard_repeated_rows`) when a batch would sum
too many steps on the same rows at once. With c_r a word's count, k_r its keep
probability, B the batch size, w the window, K the noise words and lr_in, lr_out the
initial rates:

    p_r   = c_r k_r / sum_s c_s k_s          the word's share of the kept tokens
    B_e   = min(B, sum_s c_s k_s)            a batch holds at most one epoch
    top   = B_e (w + 1) max_r p_r            context slots of the most frequent word
    n_bar = B_e sum_r p_r^2                  the repeats n_r (cbow.model.step) of the row of
                                             a target drawn at random: the typical row's
    load  = n_bar lr_in lr_out (K + 1)       negative sampling only

and the guard (power 1) goes on when top > REPEATS_PER_BATCH_LIMIT (one dominant word,
e.g. "the" without subsampling) or load > TYPICAL_LOAD_LIMIT (a small vocabulary, where
every row repeats in every batch and the rows' summed steps point the same way). The
limits are measured (docs/quality.md, "The divergence trap", "Small vocabularies").
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from cbow.model.logistic_step import Workspace
from cbow.model.step import OutputLayer, fused_step, sgd_step
from cbow.training.config import TrainConfig
from cbow.wording import setting, setting_value

MIN_LR_FRACTION = 1e-4  # lr decays linearly from alpha to alpha * 1e-4, as word2vec.c
USE_FUSED_STEP = True  # False: always the reference sgd_step (tests, benchmarks compare)
# A batch whose loss passes this many nats per example has diverged, finite or not: an
# untrained model scores (K+1) log 2 = 4.2 (NS), ~path length x log 2 (HS, < 30) or log V
# (full softmax, < 20), and trained models less.
DIVERGED_LOSS_PER_EXAMPLE = 1000.0
# Expected context slots of the most frequent word in one batch above which its summed step
# overshoots (module docstring: top; docs/quality.md, "The divergence trap")
REPEATS_PER_BATCH_LIMIT = 512
# The typical row's load above which negative sampling diverges on a small vocabulary
# (module docstring: load; docs/quality.md, "Small vocabularies")
TYPICAL_LOAD_LIMIT = 0.3

logger = logging.getLogger(__name__)

Step = Callable[[np.ndarray, np.ndarray, object, float, float, np.random.Generator], float]


def learning_rate(alpha: float, words_done: int, words_total: int, min_alpha: float | None = None) -> float:
    """Linear decay over the whole run: from alpha to alpha * 1e-4, floored there (word2vec.c),
    or with `min_alpha` from alpha to min_alpha (gensim; module docstring)."""
    fraction = min(1.0, words_done / max(1, words_total))
    if min_alpha is None:
        return alpha * max(MIN_LR_FRACTION, 1.0 - fraction)
    return alpha - (alpha - min_alpha) * fraction


def learning_rates(config: TrainConfig, words_done: int, words_total: int) -> tuple[float, float]:
    """(lr_in, lr_out) of a run of `config` at `words_done` of its `words_total` words: what
    every engine steps with."""
    return (learning_rate(config.lr_in, words_done, words_total, config.min_lr_in),
            learning_rate(config.alpha, words_done, words_total, config.min_alpha))


def loss_diverged(loss: float, n_examples: int) -> bool:
    """True when a batch's summed loss is not finite or above DIVERGED_LOSS_PER_EXAMPLE per example.

    A run can blow up without reaching inf: rows grown to norms of 1e8 give finite scores
    of 1e16, and a loss of that size trains nothing (seen with --sample 0 at a high rate).
    """
    return not (math.isfinite(loss) and loss <= DIVERGED_LOSS_PER_EXAMPLE * max(1, n_examples))


def divergence_advice(config: TrainConfig) -> str:
    """The settings that tame a diverging run, with their values (and the setting that
    usually caused it, when it is set), named as the caller names them (cbow.wording)."""
    n = setting
    cause = ""
    if config.sample == 0:
        cause = (f"{setting_value('sample', '0')} keeps every occurrence of the most frequent words, which then "
                 f"repeat hundreds of times in a batch: subsample ({setting_value('sample', '1e-4')}) or guard them "
                 f"({setting_value('repeat_guard_out', '1')}); or ")
    return cause + (f"lower {n('alpha')} (now {config.alpha:g}), {n('alpha_in')} (now {config.lr_in:g}) or "
                    f"{n('batch_size')} (now {config.batch_size}), or set {n('clip_grad')}")


def _kept_shares(counts: np.ndarray, keep_prob: np.ndarray | None) -> tuple[np.ndarray, float]:
    """(p_r, the expected kept tokens of an epoch): module docstring."""
    kept = np.asarray(counts, dtype=np.float64)
    if keep_prob is not None:
        kept = kept * keep_prob
    total = float(kept.sum())
    return (kept / total if total > 0 else kept), total


def repeats_per_batch(config: TrainConfig, counts: np.ndarray, keep_prob: np.ndarray | None) -> float:
    """Expected context slots of the most frequent (kept) word in one batch (module
    docstring: top): B_e x (window + 1) slots (2 E[b], b ~ U{1..w}) x its share."""
    shares, kept_tokens = _kept_shares(counts, keep_prob)
    if not len(shares):
        return 0.0
    return min(config.batch_size, kept_tokens) * (config.window + 1) * float(shares.max())


def typical_repeats(config: TrainConfig, counts: np.ndarray, keep_prob: np.ndarray | None) -> float:
    """n_bar (module docstring): the expected repeats in one batch of the row of a target
    drawn at random, B_e sum_r p_r^2; B / V for a vocabulary of V equally frequent words."""
    shares, kept_tokens = _kept_shares(counts, keep_prob)
    return min(config.batch_size, kept_tokens) * float(np.dot(shares, shares))


def typical_load(config: TrainConfig, counts: np.ndarray, keep_prob: np.ndarray | None) -> float:
    """load (module docstring): n_bar lr_in lr_out (K + 1) for negative sampling, 0 otherwise
    (hierarchical softmax and the full softmax did not diverge on small vocabularies)."""
    if config.objective != "ns":
        return 0.0
    return typical_repeats(config, counts, keep_prob) * config.lr_in * config.alpha * (config.negative + 1)


def unguarded_batch_size(config: TrainConfig, counts: np.ndarray, keep_prob: np.ndarray | None) -> int:
    """The largest batch size at which `guard_repeated_rows` leaves the guard off (>= 1)."""
    shares, _ = _kept_shares(counts, keep_prob)
    limits = [REPEATS_PER_BATCH_LIMIT / ((config.window + 1) * float(shares.max()))]
    per_example_load = typical_load(replace(config, batch_size=1), counts, keep_prob)
    if per_example_load > 0:
        limits.append(TYPICAL_LOAD_LIMIT / per_example_load)
    batch_size = max(1, int(min(limits)))
    while batch_size > 1 and _too_many_repeats(replace(config, batch_size=batch_size), counts, keep_prob):
        batch_size -= 1  # the division and the products may round apart at the limit
    return batch_size


def _too_many_repeats(config: TrainConfig, counts: np.ndarray, keep_prob: np.ndarray | None) -> bool:
    return (repeats_per_batch(config, counts, keep_prob) > REPEATS_PER_BATCH_LIMIT
            or typical_load(config, counts, keep_prob) > TYPICAL_LOAD_LIMIT)


def guard_repeated_rows(config: TrainConfig, counts: np.ndarray, keep_prob: np.ndarray | None) -> TrainConfig:
    """`config`, with W_out's repeat guard turned on (power 1) when a batch would sum too
    many steps on the same rows (module docstring: top or load over their limits) and the
    guard was left to its default; a warning says why and which batch size avoids it.

    Summed steps on one row, all computed at the same point, overshoot: one dominant word
    (without subsampling) or a small vocabulary (every row in every batch) diverged
    unguarded and trained guarded. Below the limits the guard stays off: it slows learning
    where nothing diverges (docs/quality.md). The full softmax's dense update has no guard.
    """
    if config.repeat_guard_out is not None or config.out_guard_power > 0 or config.objective == "softmax":
        return config
    if not len(counts):
        return config
    if not _too_many_repeats(config, counts, keep_prob):
        return config
    top = repeats_per_batch(config, counts, keep_prob)
    smaller = unguarded_batch_size(config, counts, keep_prob)
    batch = setting("batch_size")
    if top > REPEATS_PER_BATCH_LIMIT:
        what = f"the most frequent word would repeat about {top:,.0f} times in each batch of {config.batch_size:,}"
        avoid = f"{batch} {smaller:,} or less avoids the guard"
        if config.sample == 0:
            what += f" ({setting_value('sample', '0')}: nothing is subsampled)"
            avoid += f", and subsampling ({setting_value('sample', '1e-4')}) thins the frequent words"
    else:
        what = (f"with {len(counts):,} words, a word of the text would repeat about "
                f"{typical_repeats(config, counts, keep_prob):,.0f} times on average in each batch of "
                f"{config.batch_size:,}")
        avoid = f"{batch} {smaller:,} or less avoids the guard, which slows learning"
    logger.warning("%s: W_out's rows are guarded (%s) so the run does not diverge; %s",
                   what, setting_value("repeat_guard_out", "1"), avoid)
    return replace(config, repeat_guard_out=1.0)


def make_step(W_in: np.ndarray, output: OutputLayer, config: TrainConfig,
              frozen_rows: np.ndarray | None = None) -> Step:
    """step(W_in, W_out, batch, lr_in, lr_out, rng) -> loss: the fused step, or the reference
    `sgd_step` for clipped gradients (same update). `frozen_rows` ((V,) bool, --freeze-init):
    W_in rows the step leaves as they are."""
    in_row_scale = None if frozen_rows is None else np.where(frozen_rows, 0, 1).astype(W_in.dtype)
    if USE_FUSED_STEP and config.clip_grad is None:
        workspace = Workspace(W_in.shape[1], W_in.dtype)

        def step(W_in, W_out, batch, lr_in, lr_out, rng) -> float:
            return fused_step(W_in, W_out, batch, output, lr_in, lr_out, rng,
                              config.cbow_update, workspace, config.repeat_guard,
                              config.out_guard_power, config.context_power, in_row_scale)
    else:
        def step(W_in, W_out, batch, lr_in, lr_out, rng) -> float:
            return sgd_step(W_in, W_out, batch, output, lr_in, lr_out, rng,
                            config.cbow_update, config.clip_grad, config.repeat_guard,
                            config.out_guard_power, config.context_power, in_row_scale)
    return step
