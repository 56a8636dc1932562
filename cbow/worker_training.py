"""`train()` with `config.workers > 1`: all epochs in worker processes, reported as one run.

`cbow.workers` runs the processes over the shared weights; this module turns their
progress snapshots into what the single-process loop of `cbow.train` produces: the loss
history (one point every 1/200 of the run), an EpochReport and `on_epoch_end` call per
finished epoch, the progress bar, and the divergence stop on non-finite weights.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np

from cbow import workers
from cbow.encode import EncodedCorpus
from cbow.errors import Diverged
from cbow.step import OutputLayer
from cbow.train import EpochReport, LossPoint, TrainConfig, TrainResult, divergence_advice, learning_rate

logger = logging.getLogger(__name__)


def train_in_workers(W_in: np.ndarray, W_out: np.ndarray, encoded: EncodedCorpus, keep_prob: np.ndarray | None,
                     output: OutputLayer, config: TrainConfig, result: TrainResult, bar,
                     on_epoch_end: Callable[[EpochReport], None] | None) -> None:
    """All epochs in `config.workers` processes (cbow.workers); fills result's history.

    Parameters
    ----------
    W_in, W_out : float32, (V, d) and (rows of the output layer, d); trained in place
    encoded : the training corpus
    keep_prob : float (V,) subsampling keep-probabilities, or None (no subsampling)
    output : the output layer of `config.objective`
    config : the settings; `config.workers` > 1
    result : its `loss_history` and `epochs` are filled as the single-process loop fills them
    bar : a tqdm bar counting corpus words, or None
    on_epoch_end : called with each epoch's EpochReport as the workers finish it, or None

    Raises
    ------
    Diverged : a worker met a non-finite loss, or the weights hold NaN or inf at the end
    """
    words_per_epoch = len(encoded.word_ids)
    words_total = words_per_epoch * config.epochs
    record_every = max(1, words_total // 200)
    state = {"next_record": record_every, "loss": 0.0, "examples": 0, "bar_words": 0,
             "epoch_started": time.perf_counter()}

    def on_progress(snapshot: workers.ProgressSnapshot) -> None:
        loss_so_far = float(snapshot.loss_sum.sum())
        examples_so_far = int(snapshot.n_examples.sum())
        lr_out = learning_rate(config.alpha, snapshot.words_done, words_total)
        if snapshot.words_done >= state["next_record"] and examples_so_far > state["examples"]:
            epoch = min(config.epochs, snapshot.words_done // max(1, words_per_epoch) + 1)
            mean = (loss_so_far - state["loss"]) / (examples_so_far - state["examples"])
            result.loss_history.append(LossPoint(epoch, snapshot.words_done, mean, lr_out))
            state.update(loss=loss_so_far, examples=examples_so_far,
                         next_record=snapshot.words_done + record_every)
        if bar is not None:
            bar.update(snapshot.words_done - state["bar_words"])
            state["bar_words"] = snapshot.words_done
            if examples_so_far:
                bar.set_postfix(loss=f"{loss_so_far / examples_so_far:.3f}", lr=f"{lr_out:.2e}", refresh=False)
        while len(result.epochs) < snapshot.epochs_done:
            epoch = len(result.epochs)
            now = time.perf_counter()
            seconds = now - state["epoch_started"]
            state["epoch_started"] = now
            report = EpochReport(
                epoch=epoch + 1,
                mean_loss=float(snapshot.loss_sum[epoch]) / max(1, int(snapshot.n_examples[epoch])),
                n_examples=int(snapshot.n_examples[epoch]),
                seconds=seconds,
                words_per_second=words_per_epoch / max(seconds, 1e-9),
                lr_end=learning_rate(config.alpha, (epoch + 1) * words_per_epoch, words_total),
            )
            result.epochs.append(report)
            logger.info("epoch %d/%d: mean loss %.4f, %.0f words/s (%d workers)", epoch + 1,
                        config.epochs, report.mean_loss, report.words_per_second, config.workers)
            if on_epoch_end is not None:
                on_epoch_end(report)

    final = workers.run_workers(W_in, W_out, encoded.word_ids, encoded.sentence_offsets, keep_prob,
                                output, config, config.workers, 0, config.epochs, words_total,
                                on_progress)
    on_progress(final)
    loss_total, examples_total = float(final.loss_sum.sum()), int(final.n_examples.sum())
    if examples_total > state["examples"]:  # the last interval, as the single-process loop does
        mean = (loss_total - state["loss"]) / (examples_total - state["examples"])
        result.loss_history.append(LossPoint(config.epochs, words_total, mean,
                                             learning_rate(config.alpha, words_total, words_total)))
    if not (np.isfinite(W_in).all() and np.isfinite(W_out).all()):
        raise Diverged(
            "training diverged: the weights hold NaN or inf; " + divergence_advice(config)
        )
