"""`train()` with `config.workers > 1`: all epochs in worker processes, reported as one run.

`cbow.workers` runs the processes over the shared weights; this module turns their
progress into what the single-process loop of `cbow.train` produces: the loss history
(one point every 1/200 of the run and one at each epoch's end), the progress bar, and, at
the consistent points the workers are held at (module docstring of `cbow.workers`):

- at the epoch barrier, everything `cbow.train.end_epoch` does after an epoch: the
  EpochReport, the held-out score (--holdout), `on_epoch_end` (--eval) and the epoch-end
  checkpoint, on the weights as every worker left them;
- in a mid-epoch pause, a periodic checkpoint (--checkpoint-every), the checkpoint of a
  Ctrl-C (then TrainingInterrupted), and a --holdout-every score. Scores are made at the
  first pause after the word count passes a multiple of N (the workers are held within
  ~POLL_SECONDS and a batch of it), not at the exact batch boundary of the one-process run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict

import numpy as np

from cbow.training.parallel import pool as workers
from cbow.training.checkpoint import Checkpointer, TrainState
from cbow.data.encode import EncodedCorpus
from cbow.errors import Diverged
from cbow.training.heldout import HeldoutMonitor
from cbow.model.step import OutputLayer
from cbow.training.loop import (
    EpochReport, LossPoint, TrainConfig, TrainResult, divergence_advice, end_epoch, learning_rate,
)
from cbow.data.vocab import Vocab

logger = logging.getLogger(__name__)


def train_in_workers(W_in: np.ndarray, W_out: np.ndarray, vocab: Vocab, encoded: EncodedCorpus,
                     keep_prob: np.ndarray | None, output: OutputLayer, config: TrainConfig,
                     result: TrainResult, bar, on_epoch_end: Callable[[EpochReport], None] | None, *,
                     first_epoch: int = 0, resume_state: TrainState | None = None,
                     monitor: HeldoutMonitor | None = None, checkpointer: Checkpointer | None = None) -> None:
    """Epochs first_epoch.. of the run in `config.workers` processes (cbow.workers).

    Parameters
    ----------
    W_in, W_out : float32, (V, d) and (rows of the output layer, d); trained in place (they
        hold the shared weights at every epoch end and pause, and at the end)
    vocab, encoded : the vocabulary and the training corpus
    keep_prob : float (V,) subsampling keep-probabilities, or None (no subsampling)
    output : the output layer of `config.objective`
    config : the settings; `config.workers` > 1
    result : its `loss_history`, `epochs` and `heldout_history` grow as the single-process
        loop grows them (restored from the checkpoint when resuming)
    bar : a tqdm bar counting corpus words, or None
    on_epoch_end : called with each epoch's EpochReport at the barrier, or None
    first_epoch, resume_state : where a resumed run starts (its checkpoint's TrainState;
        `cbow.train` checked that a mid-epoch state's slices match these workers')
    monitor : scores held-out text at epoch ends (and every N words), or None
    checkpointer : saves at epoch ends, every --checkpoint-every and on Ctrl-C, or None

    Raises
    ------
    Diverged : a worker met a non-finite loss, or the weights hold NaN or inf at an epoch end
    TrainingInterrupted : Ctrl-C under `checkpointer.catch_interrupts()`; a checkpoint was saved
    """
    if first_epoch >= config.epochs:
        return
    words_per_epoch = len(encoded.word_ids)
    words_total = words_per_epoch * config.epochs
    record_every = max(1, words_total // 200)
    # loss / examples: totals over the run's shared counters at the last LossPoint
    book = {"loss": 0.0, "examples": 0, "next_record": first_epoch * words_per_epoch + record_every,
            "bar_words": first_epoch * words_per_epoch, "epoch_started": time.perf_counter(), "paused": 0.0}
    resume_at = None
    if resume_state is not None:
        book["next_record"] = resume_state.next_record
        book["bar_words"] = resume_state.words_done
        if resume_state.batches_done:
            resume_at = workers.ResumePoint([workers.WorkerPosition(**p) for p in resume_state.worker_positions],
                                            resume_state.epoch_loss_sum, resume_state.epoch_examples)
            book["loss"] = resume_state.epoch_loss_sum - resume_state.interval_loss
            book["examples"] = resume_state.epoch_examples - resume_state.interval_examples

    def record_loss(epoch: int, words_done: int, loss_so_far: float, examples_so_far: int) -> None:
        mean = (loss_so_far - book["loss"]) / (examples_so_far - book["examples"])
        lr_out = learning_rate(config.alpha, words_done, words_total)
        result.loss_history.append(LossPoint(epoch, words_done, mean, lr_out))
        book.update(loss=loss_so_far, examples=examples_so_far, next_record=words_done + record_every)

    def on_progress(snapshot: workers.ProgressSnapshot) -> None:
        loss_so_far = float(snapshot.loss_sum.sum())
        examples_so_far = int(snapshot.n_examples.sum())
        if snapshot.words_done >= book["next_record"] and examples_so_far > book["examples"]:
            epoch = min(config.epochs, max(1, -(-snapshot.words_done // max(1, words_per_epoch))))
            record_loss(epoch, snapshot.words_done, loss_so_far, examples_so_far)
        if bar is not None:
            bar.update(snapshot.words_done - book["bar_words"])
            book["bar_words"] = snapshot.words_done
            if examples_so_far:
                lr_out = learning_rate(config.alpha, snapshot.words_done, words_total)
                bar.set_postfix(loss=f"{loss_so_far / examples_so_far:.3f}", lr=f"{lr_out:.2e}", refresh=False)

    def at_epoch_end(epoch: int, snapshot: workers.ProgressSnapshot) -> None:
        seconds = time.perf_counter() - book["epoch_started"] - book["paused"]
        words_done = (epoch + 1) * words_per_epoch
        loss_so_far, examples_so_far = float(snapshot.loss_sum.sum()), int(snapshot.n_examples.sum())
        if examples_so_far > book["examples"]:  # the epoch's last interval, as the single-process loop
            record_loss(epoch + 1, words_done, loss_so_far, examples_so_far)
        book["next_record"] = words_done + record_every
        if not (np.isfinite(W_in).all() and np.isfinite(W_out).all()):
            raise Diverged(f"training diverged in epoch {epoch + 1}: the weights hold NaN or inf; "
                           + divergence_advice(config))
        report = EpochReport(
            epoch=epoch + 1,
            mean_loss=float(snapshot.loss_sum[epoch]) / max(1, int(snapshot.n_examples[epoch])),
            n_examples=int(snapshot.n_examples[epoch]),
            seconds=seconds,
            words_per_second=words_per_epoch / max(seconds, 1e-9),
            lr_end=learning_rate(config.alpha, words_done, words_total),
        )
        end_epoch(epoch, report, W_in, W_out, vocab, config, words_per_epoch, result, monitor, on_epoch_end,
                  checkpointer)
        book.update(epoch_started=time.perf_counter(), paused=0.0)  # the barrier's work is not training

    def score_due(words_done: int) -> bool:
        due = monitor.next_due() if monitor is not None else None
        return due is not None and words_done >= due

    def pause_wanted(snapshot: workers.ProgressSnapshot) -> bool:
        return (checkpointer is not None and checkpointer.due(snapshot.words_done)) or score_due(snapshot.words_done)

    def at_pause(epoch: int, snapshot: workers.ProgressSnapshot, positions: list[workers.WorkerPosition]) -> None:
        started = time.perf_counter()
        train_loss = float(snapshot.loss_sum[epoch]) / max(1, int(snapshot.n_examples[epoch]))
        if checkpointer is not None:  # first, as in one process: a score due here comes after it
            checkpointer.after_batch(lambda: _state_at_pause(epoch, snapshot, positions, book, W_in, W_out,
                                                             config, words_total, result), snapshot.words_done)
        # a multiple of N passed in an epoch's last batches is covered by the epoch's own score
        if score_due(snapshot.words_done) and snapshot.words_done < (epoch + 1) * words_per_epoch:
            monitor.before_batch(snapshot.words_done, learning_rate(config.alpha, snapshot.words_done, words_total),
                                 train_loss)
        book["paused"] += time.perf_counter() - started

    start_words = resume_state.words_done if resume_state is not None else 0
    if score_due(start_words):  # due at the checkpoint (saved before its score): score the same weights
        epoch_loss = (resume_state.epoch_loss_sum / max(1, resume_state.epoch_examples)) if resume_state else 0.0
        monitor.before_batch(start_words, learning_rate(config.alpha, start_words, words_total), epoch_loss)
    final = workers.run_workers(W_in, W_out, encoded.word_ids, encoded.sentence_offsets, keep_prob,
                                output, config, config.workers, first_epoch, config.epochs, words_total,
                                on_progress, resume_at=resume_at, at_epoch_end=at_epoch_end,
                                pause_wanted=pause_wanted, at_pause=at_pause,
                                hold_at_words=checkpointer.hold_at_words if checkpointer is not None else None)
    on_progress(final)
    logger.info("trained %d epochs in %d worker processes", config.epochs - first_epoch, config.workers)


def _state_at_pause(epoch: int, snapshot: workers.ProgressSnapshot, positions: list[workers.WorkerPosition],
                    book: dict, W_in: np.ndarray, W_out: np.ndarray, config: TrainConfig, words_total: int,
                    result: TrainResult) -> TrainState:
    """The TrainState of the workers held mid-epoch (cbow.checkpoint)."""
    loss_so_far, examples_so_far = float(snapshot.loss_sum.sum()), int(snapshot.n_examples.sum())
    return TrainState(
        epoch=epoch, batches_done=sum(position.batches for position in positions), words_done=snapshot.words_done,
        lr_in=learning_rate(config.lr_in, snapshot.words_done, words_total),
        lr_out=learning_rate(config.alpha, snapshot.words_done, words_total), noise_rng_state=None,
        epoch_loss_sum=float(snapshot.loss_sum[epoch]), epoch_examples=int(snapshot.n_examples[epoch]),
        interval_loss=loss_so_far - book["loss"], interval_examples=examples_so_far - book["examples"],
        next_record=book["next_record"], W_in=W_in, W_out=W_out,
        epochs=[report.to_dict() for report in result.epochs],
        loss_history=[asdict(point) for point in result.loss_history],
        heldout_history=[asdict(point) for point in result.heldout_history],
        worker_positions=[asdict(position) for position in positions],
    )
