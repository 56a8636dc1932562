"""The worker-pool engine: `train()` with `config.workers > 1`, emitting the run's events.

`cbow.training.parallel.pool` runs the processes over the shared weights; this module turns
their progress into the same events the in-process engine emits (cbow.training.callbacks):
`on_progress` at every poll of the shared counters, `on_epoch_end` at the epoch barrier,
and `at_pause` in a mid-epoch pause, the only moments the weights are consistent:

- at the epoch barrier, `Run.finish_epoch` on the weights as every worker left them
  (held-out score, --eval, log, the epoch-end checkpoint);
- in a mid-epoch pause, what the callbacks asked for: a periodic checkpoint
  (--checkpoint-every), the checkpoint of a Ctrl-C (then TrainingInterrupted), a
  --holdout-every score. A pause asked for at a word count (`pause_at_words`) is set in
  shared memory, and every worker stops at its first batch boundary past it.
"""

from __future__ import annotations

import logging
import time

from cbow.training.parallel import pool
from cbow.training.run import Run, WorkerPosition

logger = logging.getLogger(__name__)


def train_in_workers(run: Run) -> None:
    """Epochs run.epoch .. of the run in `config.workers` processes (cbow.training.parallel.pool).

    W_in and W_out hold the shared weights at every epoch end and pause, and at the end.
    A mid-epoch `run.resumed_from` must match these workers' slices (`cbow.train` checked).

    Raises
    ------
    Diverged : a worker met a non-finite loss, or the weights hold NaN or inf at an epoch end
    TrainingInterrupted : Ctrl-C under a checkpointer's `catch_interrupts()`; a checkpoint was saved
    """
    config, corpus, callbacks = run.config, run.corpus, run.callbacks
    first_epoch = run.epoch
    if first_epoch >= config.epochs:
        return
    resume_at = None
    state = run.resumed_from
    if state is not None and state.batches_done:
        resume_at = pool.ResumePoint([WorkerPosition(**p) for p in state.worker_positions],
                                     state.epoch_loss_sum, state.epoch_examples)
    # the shared counters' totals at the last poll: the loss since then is the poll's share
    seen = {"loss": resume_at.loss_sum if resume_at else 0.0,
            "examples": resume_at.n_examples if resume_at else 0,
            "epoch_started": time.perf_counter()}

    def update(epoch: int, snapshot: pool.ProgressSnapshot) -> None:
        loss_so_far, examples_so_far = float(snapshot.loss_sum.sum()), int(snapshot.n_examples.sum())
        new_loss, new_examples = loss_so_far - seen["loss"], examples_so_far - seen["examples"]
        seen.update(loss=loss_so_far, examples=examples_so_far)
        run.epoch = epoch
        run.words_done = snapshot.words_done
        run.epoch_loss_sum, run.epoch_examples = float(snapshot.loss_sum[epoch]), int(snapshot.n_examples[epoch])
        run.interval_loss += new_loss
        run.interval_examples += new_examples
        if new_examples:
            run.last_loss = new_loss / new_examples

    def on_progress(epoch: int, snapshot: pool.ProgressSnapshot) -> None:
        if epoch < config.epochs:
            update(epoch, snapshot)
            callbacks.on_progress(run)

    def at_epoch_end(epoch: int, snapshot: pool.ProgressSnapshot) -> bool:
        update(epoch, snapshot)
        run.words_done = (epoch + 1) * run.words_per_epoch
        stop = run.finish_epoch(time.perf_counter() - seen["epoch_started"] - run.paused_seconds)
        seen["epoch_started"] = time.perf_counter()  # the barrier's work is not training
        if not stop and run.epoch < config.epochs:
            callbacks.on_epoch_begin(run)
        return stop

    def pause_wanted(epoch: int, snapshot: pool.ProgressSnapshot) -> bool:
        update(epoch, snapshot)
        return callbacks.wants_pause(run)

    def at_pause(epoch: int, snapshot: pool.ProgressSnapshot, positions: list[WorkerPosition]) -> None:
        update(epoch, snapshot)
        run.worker_positions = positions
        run.batches_done = sum(position.batches for position in positions)
        started = time.perf_counter()
        callbacks.at_pause(run)
        run.paused_seconds += time.perf_counter() - started

    if resume_at is None:
        callbacks.on_epoch_begin(run)
    pool.run_workers(run.W_in, run.W_out, corpus.word_ids, corpus.sentence_offsets, run.keep_prob,
                     run.output, config, config.workers, first_epoch, config.epochs, run.words_total,
                     on_progress, resume_at=resume_at, at_epoch_end=at_epoch_end,
                     pause_wanted=pause_wanted, at_pause=at_pause,
                     hold_at=lambda: callbacks.pause_at_words(run), frozen_rows=run.frozen_rows)
    logger.info("trained %d epochs in %d worker processes", run.epoch - first_epoch, config.workers)
