"""`cbow.train`: the one training loop. It only orchestrates; everything else is a callback.

    corpus -> prepare (vocab, ids) -> split held-out -> weights -> Run
           -> engine (in this process, worker processes, or a Dask cluster: `cluster=`,
              cbow.training.cluster) emitting the run's events
           -> callbacks: loss curve, progress bar, held-out scores, yours, checkpoints
           -> TrainResult

The math lives in cbow.model (objectives, steps), the schedule in
cbow.training.schedule, the live state in cbow.training.run. Hyper-parameters travel in
one frozen `TrainConfig`; all randomness comes from generators seeded by `config.seed`, so
one seed gives one run (bit-identical with one worker).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from cbow.data.encode import EncodedCorpus
from cbow.data.prepare import prepare
from cbow.data.split import split_holdout
from cbow.data.vocab import Vocab
from cbow.errors import ConfigError
from cbow.model.hidden import init_weights
from cbow.model.step import build_output_layer
from cbow.training.callbacks import Callback
from cbow.training.checkpoint import Checkpoint, CheckpointError, Checkpointer, check_compatible
from cbow.training.config import AUTO_WORKERS, TrainConfig
from cbow.training.in_process import train_in_process
from cbow.training.wiring import callback_list, drive, restore_histories
from cbow.training.memory import check_training_memory
from cbow.training.parallel.pool import split_sentences, workers_for_run
from cbow.training.run import EpochReport, HeldoutPoint, LossPoint, Run, TrainResult  # noqa: F401 (public types)

logger = logging.getLogger(__name__)


def train(
    source: str | Path | Iterable[str] | None = None,
    config: TrainConfig | None = None,
    *,
    callbacks: Sequence[Callback] = (),
    vocab: Vocab | None = None,
    encoded: EncodedCorpus | None = None,
    progress: bool = False,
    on_epoch_end: Callable[[EpochReport], object] | None = None,
    on_heldout: Callable[[HeldoutPoint], object] | None = None,
    checkpointer: Checkpointer | None = None,
    resume: Checkpoint | None = None,
    cache_dir: str | Path | None = None,
    cluster=None,
    sync_every: str | int | None = None,
) -> TrainResult:
    """Train CBOW vectors.

    Parameters
    ----------
    source : path of a text file, .gz, .bz2, directory, "-" (stdin), or an iterable of
        lines. Ignored when `vocab` and `encoded` are given.
    config : settings (defaults: `TrainConfig()`)
    callbacks : `cbow.Callback`s, called in order at every event of the run
        (cbow.training.callbacks); one returning True from `on_epoch_end` (or setting
        `run.stop_training`) ends the run after that epoch
    vocab, encoded : an already counted and encoded corpus (skip reading)
    progress : show a tqdm bar on stderr (words/s, loss, lr)
    on_epoch_end : a function called with each EpochReport (a callback's on_epoch_end)
    on_heldout : with `config.holdout`, a function called with each HeldoutPoint as it is
        scored (every `config.holdout_every` words, and at each epoch's end)
    checkpointer : saves checkpoints (periodically, at epoch ends, on Ctrl-C); see
        cbow.training.checkpoint. Checkpointers run after every other callback
    resume : a loaded checkpoint of this config and corpus: training continues from it
        and ends bit-identical to an uninterrupted run (one worker; with several, the same
        schedule, not the same bits). `config.workers` may differ from the checkpoint's,
        except for a checkpoint saved mid-epoch (CheckpointError names the --workers)
    cache_dir : if given, reuse/store the encoded corpus there (cbow.data.cache); None: no cache
    cluster : train on a Dask cluster (cbow.training.cluster; needs the 'cluster' extra):
        "local:N" starts N worker processes on this machine, "tcp://HOST:PORT" (or tls://)
        joins a running scheduler, or a `distributed.Client`. A file or directory corpus
        is read by the nodes (the same path on every one); `config.workers` is then the
        training processes per node (0: its Dask worker's threads). None: this machine
    sync_every : with `cluster`, how often the nodes' models are merged: a number of words
        (10_000_000 or "10M"), "epoch", or "auto" (the default: from the first merge's
        timing, the smallest interval whose exchange takes under 10% of a round, and at
        least 10 merges an epoch)

    Returns
    -------
    TrainResult with `wv` (KeyedVectors), `W_in`, `W_out`, `epoch_losses`.

    Raises
    ------
    ConfigError, CorpusError, VocabError : bad settings or input
    Diverged : the loss or the weights became NaN/inf; nothing is returned (the last
        checkpoint, written before the divergence, is kept)
    CheckpointError : `resume` belongs to another corpus or config, or to the other kind of
        engine (a cluster's checkpoint resumes on a cluster)
    ClusterError : the cluster cannot be reached, runs another cbow, or a node failed
    TrainingInterrupted : Ctrl-C under `checkpointer.catch_interrupts()`; a checkpoint was saved
    """
    config = config or TrainConfig()
    started = time.perf_counter()
    if cluster is not None:
        from cbow.training.cluster.run import train_on_cluster

        return train_on_cluster(source, config, cluster=cluster, sync_every=sync_every, callbacks=callbacks,
                                vocab=vocab, encoded=encoded, progress=progress, on_epoch_end=on_epoch_end,
                                on_heldout=on_heldout, checkpointer=checkpointer, resume=resume, started=started)
    if resume is not None and resume.state.cluster is not None:
        name = os.fspath(resume.path) if resume.path else "checkpoint"
        raise CheckpointError(f"{name}: saved by a run on a cluster; resume it with --cluster "
                              f"{resume.state.cluster.get('spec') or 'ADDRESS'} (or another cluster)")
    if vocab is None or encoded is None:
        if source is None:
            raise ConfigError("no corpus given; pass a path, '-' for stdin, or an iterable of lines")
        vocab, encoded = prepare(source, config, progress, cache_dir)
    if config.objective == "hs" and len(vocab) < 2:
        raise ConfigError("hierarchical softmax needs at least 2 words in the vocabulary; lower --min-count")
    heldout = None
    if config.holdout > 0:
        encoded, heldout = split_holdout(encoded, config.holdout, config.seed)
    prepare_seconds = time.perf_counter() - started
    if config.workers == AUTO_WORKERS:  # from here on (checkpoints too) the count actually used
        config = replace(config, workers=workers_for_run(AUTO_WORKERS, len(vocab), config.size, encoded.word_ids,
                                                         encoded.sentence_offsets, config.epochs))
        logger.info("training with %d worker process(es)", config.workers)

    output, n_out_rows = build_output_layer(vocab, config.objective, config.negative)
    keep_prob = vocab.keep_probabilities(config.sample) if config.sample > 0 else None
    expected_kept = len(encoded.word_ids) if keep_prob is None else float(vocab.counts @ keep_prob)
    check_training_memory(len(vocab), config, len(encoded.word_ids), encoded.n_sentences, expected_kept)
    # the workers' slices of the corpus; [None]: this process trains (one worker, or one sentence)
    slices = split_sentences(encoded.sentence_offsets, config.workers) if config.workers > 1 else []
    slices = slices if len(slices) > 1 else [None]
    if resume is not None:
        W_in = np.array(resume.state.W_in, dtype=np.float32)
        W_out = np.array(resume.state.W_out, dtype=np.float32)
    else:
        W_in, W_out = init_weights(len(vocab), config.size, n_out_rows, np.random.default_rng([config.seed, 0]))
    result = TrainResult(vocab, W_in, W_out, config, prepare_seconds=prepare_seconds,
                         n_corpus_words=len(encoded.word_ids))
    run = Run(config, vocab, encoded, W_in, W_out, output, result, keep_prob=keep_prob,
              resumed_from=resume.state if resume is not None else None)
    if resume is not None:
        check_compatible(resume, config.to_dict(), run.fingerprint,
                         f"the corpus given{'' if source is None else f' ({source})'}", TrainConfig().to_dict())
        _check_resume_workers(resume, slices, config)
        restore_histories(result, resume)
    run.callbacks = callback_list(callbacks, progress, heldout, config, on_epoch_end, on_heldout, checkpointer)
    if slices != [None]:
        from cbow.training.parallel.engine import train_in_workers

        drive(run, train_in_workers)
    else:
        drive(run, train_in_process)
    return result


def _check_resume_workers(resume: Checkpoint, slices: list, config: TrainConfig) -> None:
    """A mid-epoch checkpoint resumes only with the slices it was saved with (one process:
    [None]); one from an epoch's end resumes with any number of workers.

    Raises
    ------
    CheckpointError : naming the --workers that resumes it
    """
    state = resume.state
    if state.batches_done == 0 or state.epoch >= config.epochs:
        return
    saved = [(p["first_sentence"], p["stop_sentence"]) for p in state.worker_positions] or [None]
    if saved == slices:
        return
    name = os.fspath(resume.path) if resume.path else "checkpoint"

    def described(n: int) -> str:
        return "one process" if n == 1 else f"{n} worker processes"

    raise CheckpointError(
        f"{name}: saved mid-epoch by {described(len(saved))}, this run would train in "
        f"{described(len(slices))}; resume it with --workers {resume.config.get('workers', 1)} "
        "(a checkpoint saved at an epoch's end resumes with any --workers)"
    )
