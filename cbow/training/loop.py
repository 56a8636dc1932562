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

from cbow.data.encode import EncodedCorpus, encode_with_vocab
from cbow.data.prepare import corpus_tokenizer, prepare, prepare_grown
from cbow.data.split import split_holdout
from cbow.data.vocab import Vocab
from cbow.errors import ConfigError
from cbow.model.step import build_output_layer
from cbow.training.cache_check import CacheCheck, cache_entry_of
from cbow.training.callbacks import Callback
from cbow.training.checkpoint import (
    RESUME_MAY_DIFFER, Checkpoint, CheckpointError, Checkpointer, check_compatible, check_resume_epochs,
)
from cbow.training.continuing import describe_init, initial_weights, resolve_init
from cbow.training.full_model import Model
from cbow.training.config import AUTO_WORKERS, TrainConfig
from cbow.training.in_process import train_in_process
from cbow.training.wiring import callback_list, drive, restore_histories
from cbow.training.memory import check_training_memory
from cbow.training.parallel.pool import split_sentences, to_shared_memory, workers_for_run
from cbow.training.schedule import guard_repeated_rows
from cbow.training.run import EpochReport, HeldoutPoint, LossPoint, Run, TrainResult  # noqa: F401 (public types)
from cbow.vectors.keyed import KeyedVectors

logger = logging.getLogger(__name__)


def train(
    source: str | Path | Iterable[str] | Iterable[Sequence[str]] | None = None,
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
    init: Model | KeyedVectors | str | Path | None = None,
    cluster=None,
    sync_every: str | int | None = None,
) -> TrainResult:
    """Train CBOW vectors.

    Parameters
    ----------
    source : path of a text file, .gz, .bz2, directory, "-" (stdin), an iterable of lines
        (str), or an iterable of sentences as lists of str tokens (what gensim takes:
        `[["the", "cat"], ...]`), taken as they are, never re-tokenized (cbow.data.corpus).
        The corpus is read once, counting and encoding in the same pass, so a one-shot
        generator will do. Ignored when `vocab` and `encoded` are given.
    config : settings (defaults: `TrainConfig()`)
    callbacks : `cbow.Callback`s, called in order at every event of the run
        (cbow.training.callbacks); one returning True from `on_epoch_end` (or setting
        `run.stop_training`) ends the run after that epoch
    vocab, encoded : an already counted and encoded corpus (skip reading); `vocab` alone:
        encode `source` with this vocabulary instead of counting it (its words and counts
        as they are: min_count and keep_words are not applied again)
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
    init : start from a trained model or from word vectors (cbow.training.continuing): a
        Model (a TrainResult, `cbow.load_model`) continues it on `source`, the vocabulary
        growing by the new words (counts add up, new words above min_count enter), every
        old word keeping its rows; KeyedVectors (or a vectors file's path) start W_in's
        rows of the words they share with the corpus' vocabulary, W_out at zero. A path
        to a .cbow directory with W_out is read as a model. `config.freeze_init` keeps the
        W_in rows it gave fixed. The run's rate falls from config.alpha over its own
        epochs, as any run's
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
    ConfigError, CorpusError, VocabError : bad settings or input (an init of another
        --size, init with resume, freeze_init without init)
    Diverged : the loss or the weights became NaN/inf; nothing is returned (the last
        checkpoint, written before the divergence, is kept)
    CheckpointError : `resume` belongs to another corpus or config, or to the other kind of
        engine (a cluster's checkpoint resumes on a cluster)
    ClusterError : the cluster cannot be reached, runs another cbow, or a node failed
    TrainingInterrupted : Ctrl-C under `checkpointer.catch_interrupts()`; a checkpoint was saved
    """
    config = config or TrainConfig()
    started = time.perf_counter()
    if init is not None:
        if resume is not None:
            raise ConfigError("init starts a new run from a model or vectors, resume continues a checkpointed run: "
                              "give one of them (--init-from or --resume)")
        init = resolve_init(init)
        init_size = (init.W_in if isinstance(init, Model) else init.vectors).shape[1]
        if init_size != config.size:
            raise ConfigError(f"the {describe_init(init)} to start from have size {init_size}, this run --size "
                              f"{config.size}; give --size {init_size}")
    elif config.freeze_init and resume is None:
        raise ConfigError("--freeze-init keeps the rows --init-from gives fixed, and nothing to start from was given; "
                          "add --init-from VECTORS (init= in Python) or drop --freeze-init")
    if cluster is not None:
        if init is not None:
            raise ConfigError("a run on a cluster starts from scratch or from its own checkpoint; continuing a "
                              "model or vectors (--init-from) trains on one machine: drop --cluster or --init-from")
        if config.min_alpha is not None:
            raise ConfigError("--min-alpha is not yet honoured on a cluster (its rounds keep word2vec's floor, "
                              "alpha * 1e-4): drop --min-alpha or train on one machine")
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
            raise ConfigError("no corpus given; pass a path, '-' for stdin, an iterable of lines or of token lists")
        if vocab is not None:  # the vocabulary given: encode with it (one pass)
            encoded = encode_with_vocab(source, vocab, corpus_tokenizer(config), config.max_sentence_length,
                                        progress, config.encoding_errors)
        elif isinstance(init, Model):  # continuing: the model's vocabulary grows by the new words
            vocab, encoded = prepare_grown(source, config, init.vocab, progress, cache_dir)
        else:
            vocab, encoded = prepare(source, config, progress, cache_dir)
    cache_entry = cache_entry_of(encoded.word_ids)  # checked while the first epoch trains
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

    output, n_out_rows = build_output_layer(vocab, config.objective, config.negative, config.ns_exponent)
    keep_prob = vocab.keep_probabilities(config.sample) if config.sample > 0 else None
    config = guard_repeated_rows(config, vocab.counts, keep_prob)
    check_training_memory(len(vocab), config, len(encoded.word_ids), encoded.n_sentences)
    # the workers' slices of the corpus; [None]: this process trains (one worker, or one sentence)
    slices = split_sentences(encoded.sentence_offsets, config.workers) if config.workers > 1 else []
    slices = slices if len(slices) > 1 else [None]
    frozen_rows = None
    if resume is not None:
        W_in = np.array(resume.state.W_in, dtype=np.float32)
        W_out = np.array(resume.state.W_out, dtype=np.float32)
    else:  # word2vec.c's start, and the rows an init gives (cbow.training.continuing)
        # the padded tree only when an HS model's W_out rows are carried over (it is made on first use)
        start = initial_weights(vocab, config, n_out_rows, init, output.huffman if init is not None else None)
        W_in, W_out, frozen_rows = start.W_in, start.W_out, start.frozen_rows
        del start  # holds W_in and W_out too
    if slices != [None]:  # forked workers train these very arrays: no second copy for them
        W_in = to_shared_memory(W_in)
        W_out = to_shared_memory(W_out)
    result = TrainResult(vocab, W_in, W_out, config, prepare_seconds=prepare_seconds,
                         n_corpus_words=len(encoded.word_ids))
    run = Run(config, vocab, encoded, W_in, W_out, output, result, keep_prob=keep_prob,
              resumed_from=resume.state if resume is not None else None, frozen_rows=frozen_rows)
    if resume is not None:
        # --epochs may change on resume: the run goes on (or stops) as a run of that many
        # epochs would from where it is (cbow.training.schedule)
        check_compatible(resume, config.to_dict(), run.fingerprint,
                         f"the corpus given{'' if source is None else f' ({source})'}", TrainConfig().to_dict(),
                         may_differ=RESUME_MAY_DIFFER)
        check_resume_epochs(resume, config.epochs)
        _check_resume_workers(resume, slices, config)
        restore_histories(result, resume)
    run.callbacks = callback_list(callbacks, progress, heldout, config, on_epoch_end, on_heldout, checkpointer,
                                  extra=[CacheCheck(cache_entry)] if cache_entry is not None else [])
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
