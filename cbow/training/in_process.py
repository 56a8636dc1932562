"""The in-process engine: every epoch in this process, bit-reproducible for a seed.

Two random streams per epoch, so a checkpoint can resume exactly: `batch_rng` (seed, 1,
epoch) draws the subsampling and the window sizes and is replayed on resume, skipping the
batches already applied; `noise_rng` (seed, 2, epoch) draws the negative samples and has
its state saved (`Run.noise_rng`). Before each batch the run may pause for its callbacks
(a checkpoint, a held-out score): any batch boundary is a consistent point here.
"""

from __future__ import annotations

import itertools
import time

import numpy as np

from cbow.data.windows import iter_batches
from cbow.errors import Diverged
from cbow.training.run import Run
from cbow.training.schedule import Step, divergence_advice, loss_diverged, make_step


def train_in_process(run: Run) -> None:
    """Train epochs run.epoch .. config.epochs - 1 (from a mid-epoch position when resumed),
    emitting the run's events; stops early when a callback asks at an epoch's end."""
    step = make_step(run.W_in, run.output, run.config, run.frozen_rows)
    while run.epoch < run.config.epochs:
        seconds = _train_epoch(run, step)
        if run.finish_epoch(seconds):
            break


def _train_epoch(run: Run, step: Step) -> float:
    """One pass over the corpus from the run's position in epoch `run.epoch`; returns its
    seconds of training (pauses left out).

    Raises
    ------
    Diverged : at the first batch whose loss is not finite or absurdly large
    """
    config, corpus, callbacks = run.config, run.corpus, run.callbacks
    epoch = run.epoch
    batch_rng = np.random.default_rng([config.seed, 1, epoch])
    noise_rng = np.random.default_rng([config.seed, 2, epoch])
    words_before = epoch * run.words_per_epoch
    batches = iter_batches(corpus.word_ids, corpus.sentence_offsets, config.window, config.batch_size,
                           batch_rng, run.keep_prob, shrink_windows=config.shrink_windows)
    if run.batches_done:  # resumed mid-epoch: replay the batch stream up to the saved position
        batches = itertools.islice(batches, run.batches_done, None)
        noise_rng.bit_generator.state = run.resumed_from.noise_rng_state
    else:
        callbacks.on_epoch_begin(run)
    run.noise_rng = noise_rng
    started = time.perf_counter()
    for batch in batches:
        run.pause_if_wanted()
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is caught below
            loss = step(run.W_in, run.W_out, batch, run.lr_in, run.lr_out, noise_rng)
        if loss_diverged(loss, len(batch)):
            percent = 100.0 * batch.words_done / max(1, run.words_per_epoch)
            raise Diverged(
                f"training diverged in epoch {epoch + 1} at {percent:.0f}% (loss {loss / len(batch):.3g} "
                f"nats per example); " + divergence_advice(config)
            )
        run.advance(words_before + batch.words_done, len(batch), loss)
        callbacks.on_progress(run)
    return time.perf_counter() - started - run.paused_seconds
