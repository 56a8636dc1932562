"""What every engine applies per batch: the learning-rate schedule, the step, the divergence test.

The rate decays linearly with the run's global word count (corpus words before
subsampling, all workers together), as word2vec.c does:

    lr(words_done) = alpha * max(MIN_LR_FRACTION, 1 - words_done / words_total)

or, with `TrainConfig.min_alpha` set, gensim's linear fall from alpha to min_alpha:

    lr(words_done) = alpha - (alpha - min_alpha) * min(1, words_done / words_total)

(W_in's rate follows the same formula from lr_in to min_alpha * lr_in / alpha), so a run resumed from a checkpoint, or trained by several processes, follows the same
schedule as one uninterrupted process.

words_total is words per epoch x config.epochs. A run resumed with another --epochs
(cbow train --resume CKPT --epochs N) takes N there: from where the checkpoint stands it
follows the schedule of a run of N epochs. A finished run of E epochs extended to N
restarts at alpha * (1 - E/N) and falls linearly to the floor over the added epochs; a
run resumed mid-way jumps to the rate a run of N epochs has at that point. A run started
from a model (`init=`, --init-from) is a new run: its rate falls from alpha again over
its own epochs (cbow.training.continuing).
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

MIN_LR_FRACTION = 1e-4  # lr decays linearly from alpha to alpha * 1e-4, as word2vec.c
USE_FUSED_STEP = True  # False: always the reference sgd_step (tests, benchmarks compare)
# A batch whose loss passes this many nats per example has diverged, finite or not: an
# untrained model scores (K+1) log 2 = 4.2 (NS), ~path length x log 2 (HS, < 30) or log V
# (full softmax, < 20), and trained models less.
DIVERGED_LOSS_PER_EXAMPLE = 1000.0
# Expected slots of one row in one batch above which its summed step overshoots (measured
# without subsampling on bench-small-text8: 448 trained, 673 diverged; guard_repeated_rows)
REPEATS_PER_BATCH_LIMIT = 512

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
    """The flags that tame a diverging run, with their values (and the setting that usually
    caused it, when it is set)."""
    cause = ""
    if config.sample == 0:
        cause = ("--sample 0 keeps every occurrence of the most frequent words, which then repeat hundreds "
                 "of times in a batch: subsample (--sample 1e-4) or guard them (--repeat-guard-out 1); or ")
    return cause + (f"lower --alpha (now {config.alpha:g}), --alpha-in (now {config.lr_in:g}) or --batch-size "
                    f"(now {config.batch_size}), or set --clip-grad")


def repeats_per_batch(config: TrainConfig, counts: np.ndarray, keep_prob: np.ndarray | None) -> float:
    """Expected context slots of the most frequent (kept) word in one batch: batch_size x
    (window + 1) slots (2 E[b], b ~ U{1..w}) x its share of the training tokens."""
    kept = counts if keep_prob is None else counts * keep_prob
    share = float(kept.max() / max(kept.sum(), 1e-300)) if len(kept) else 0.0
    return config.batch_size * (config.window + 1) * share


def guard_repeated_rows(config: TrainConfig, counts: np.ndarray, keep_prob: np.ndarray | None) -> TrainConfig:
    """`config`, with W_out's repeat guard turned on (1) when the most frequent word would
    repeat more than REPEATS_PER_BATCH_LIMIT times per batch and the guard was left to its
    default: a row taking that many summed steps at once overshoots and the run diverges.
    Without subsampling (--sample 0) on text8-like text, "the" is 7% of the tokens: 448
    expected slots per batch of 1,024 trained, 673 (batch 1,536) diverged at 2% of the first
    epoch, and the guard made 2,048 and 4,096 train. (It costs quality where it is not
    needed: at batch 512 it lowered bench-small's analogies 5.9% -> 4.8%, so it stays off
    below the limit.)"""
    if config.repeat_guard_out is not None or config.out_guard_power > 0:
        return config
    repeats = repeats_per_batch(config, counts, keep_prob)
    if repeats <= REPEATS_PER_BATCH_LIMIT:
        return config
    logger.warning("the most frequent word would repeat about %d times in each batch of %d (%s): its row "
                   "is guarded (--repeat-guard-out 1) so the run does not diverge; subsampling (--sample 1e-4) "
                   "or a smaller --batch-size avoids the guard", repeats, config.batch_size,
                   "--sample 0: nothing is subsampled" if config.sample == 0 else f"--sample {config.sample:g}")
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
