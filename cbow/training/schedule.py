"""What every engine applies per batch: the learning-rate schedule, the step, the divergence test.

The rate decays linearly with the run's global word count (corpus words before
subsampling, all workers together), as word2vec.c does:

    lr(words_done) = alpha * max(MIN_LR_FRACTION, 1 - words_done / words_total)

so a run resumed from a checkpoint, or trained by several processes, follows the same
schedule as one uninterrupted process.
"""

from __future__ import annotations

import math
from collections.abc import Callable

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

Step = Callable[[np.ndarray, np.ndarray, object, float, float, np.random.Generator], float]


def learning_rate(alpha: float, words_done: int, words_total: int) -> float:
    """Linear decay from alpha to alpha * 1e-4 over the whole run (word2vec.c)."""
    fraction = min(1.0, words_done / max(1, words_total))
    return alpha * max(MIN_LR_FRACTION, 1.0 - fraction)


def loss_diverged(loss: float, n_examples: int) -> bool:
    """True when a batch's summed loss is not finite or above DIVERGED_LOSS_PER_EXAMPLE per example.

    A run can blow up without reaching inf: rows grown to norms of 1e8 give finite scores
    of 1e16, and a loss of that size trains nothing (seen with --sample 0 at a high rate).
    """
    return not (math.isfinite(loss) and loss <= DIVERGED_LOSS_PER_EXAMPLE * max(1, n_examples))


def divergence_advice(config: TrainConfig) -> str:
    """The flags that tame a diverging run, with their values."""
    return (f"lower --alpha (now {config.alpha:g}), --alpha-in (now {config.lr_in:g}) or --batch-size "
            f"(now {config.batch_size}), or set --clip-grad")


def make_step(W_in: np.ndarray, output: OutputLayer, config: TrainConfig) -> Step:
    """step(W_in, W_out, batch, lr_in, lr_out, rng) -> loss: the fused step, or the reference
    `sgd_step` for clipped gradients (same update)."""
    if USE_FUSED_STEP and config.clip_grad is None:
        workspace = Workspace(W_in.shape[1], W_in.dtype)

        def step(W_in, W_out, batch, lr_in, lr_out, rng) -> float:
            return fused_step(W_in, W_out, batch, output, lr_in, lr_out, rng,
                              config.cbow_update, workspace, config.repeat_guard,
                              config.out_guard_power, config.context_power)
    else:
        def step(W_in, W_out, batch, lr_in, lr_out, rng) -> float:
            return sgd_step(W_in, W_out, batch, output, lr_in, lr_out, rng,
                            config.cbow_update, config.clip_grad, config.repeat_guard,
                            config.out_guard_power, config.context_power)
    return step
