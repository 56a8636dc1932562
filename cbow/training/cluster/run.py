"""`cbow.train(..., cluster=...)`: the run's setup on a cluster, then the cluster engine.

The same stages as on one machine (cbow.training.loop), placed on the cluster:

    connect (checks) -> the corpus onto the nodes (vocabulary counted in parallel, shards,
    held-out split) -> weights -> Run -> ClusterEngine emitting the run's events
    -> callbacks (the same list, built by the loop) -> TrainResult

The Run's corpus is the client's view of the shards (`ShardedCorpus`); the client holds
the model, the nodes the text.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from cbow.data.encode import EncodedCorpus
from cbow.data.vocab import Vocab
from cbow.errors import ConfigError
from cbow.training.callbacks import Callback
from cbow.training.checkpoint import (
    RESUME_MAY_DIFFER, Checkpoint, Checkpointer, check_compatible, check_resume_epochs,
)
from cbow.training.cluster import engine as cluster_engine
from cbow.training.cluster.connect import ClusterSession, check_daemons, open_cluster
from cbow.training.cluster.distribute import distribute
from cbow.training.config import AUTO_WORKERS, TrainConfig
from cbow.training.run import EpochReport, HeldoutPoint, Run, TrainResult
from cbow.training.schedule import guard_repeated_rows
from cbow.training.wiring import callback_list, drive, restore_histories

logger = logging.getLogger(__name__)


def train_on_cluster(
    source: str | Path | Iterable[str] | None,
    config: TrainConfig,
    *,
    cluster,
    sync_every: str | int | None = None,
    callbacks: Sequence[Callback] = (),
    vocab: Vocab | None = None,
    encoded: EncodedCorpus | None = None,
    progress: bool = False,
    on_epoch_end: Callable[[EpochReport], object] | None = None,
    on_heldout: Callable[[HeldoutPoint], object] | None = None,
    checkpointer: Checkpointer | None = None,
    resume: Checkpoint | None = None,
    started: float | None = None,
) -> TrainResult:
    """`cbow.train` on a Dask cluster (its parameters; module docstring).

    Raises
    ------
    ConfigError, CorpusError, VocabError, Diverged, CheckpointError : as `cbow.train`
    ClusterError : the cluster cannot be reached, runs another cbow, or a node failed
    """
    from cbow.model.hidden import init_weights
    from cbow.model.step import build_output_layer

    started = time.perf_counter() if started is None else started
    sync = cluster_engine.parse_sync_every(sync_every if sync_every is not None else _saved_sync(resume))
    if resume is not None and sync_every is not None and resume.state.cluster is not None:
        saved = resume.state.cluster.get("sync_every")
        if saved is not None and str(sync) != saved:
            raise ConfigError(f"{resume.path}: made with --sync-every {saved}, you gave {sync_every}; drop "
                              "--sync-every to resume, or start afresh without --resume")
    session = open_cluster(cluster)
    with session:
        n_nodes = len(session.nodes)
        distributed = distribute(session, n_nodes, source, config, vocab, encoded, progress)
        vocab, corpus = distributed.vocab, distributed.corpus
        if config.objective == "hs" and len(vocab) < 2:
            raise ConfigError("hierarchical softmax needs at least 2 words in the vocabulary; lower --min-count")
        node_workers = _node_workers(config, session, min(corpus.shard_words))
        check_daemons(session, node_workers)
        prepare_seconds = time.perf_counter() - started
        output, n_out_rows = build_output_layer(vocab, config.objective, config.negative, config.ns_exponent)
        keep_prob = vocab.keep_probabilities(config.sample) if config.sample > 0 else None
        config = guard_repeated_rows(config, vocab.counts, keep_prob)  # as on one machine: the same bits
        if resume is not None:
            W_in = np.array(resume.state.W_in, dtype=np.float32)
            W_out = np.array(resume.state.W_out, dtype=np.float32)
        else:
            W_in, W_out = init_weights(len(vocab), config.size, n_out_rows, np.random.default_rng([config.seed, 0]))
        result = TrainResult(vocab, W_in, W_out, config, prepare_seconds=prepare_seconds,
                             n_corpus_words=corpus.n_words)
        run = Run(config, vocab, corpus, W_in, W_out, output, result, keep_prob=keep_prob,
                  resumed_from=resume.state if resume is not None else None)
        if resume is not None:
            cluster_engine.check_cluster_resume(resume, n_nodes, node_workers, corpus.shard_words)
            check_compatible(resume, config.to_dict(), run.fingerprint,
                             f"the corpus given{'' if source is None else f' ({source})'}", TrainConfig().to_dict(),
                             may_differ=RESUME_MAY_DIFFER)
            check_resume_epochs(resume, config.epochs)
            restore_histories(result, resume)
        run.callbacks = callback_list(callbacks, progress, distributed.heldout, config, on_epoch_end, on_heldout,
                                      checkpointer)
        engine = cluster_engine.ClusterEngine(session, run, distributed.shards, sync, node_workers)
        try:
            drive(run, lambda run: engine.train())
        finally:
            result.cluster = {**engine.stats, "nodes": n_nodes, "node_workers": node_workers,
                              "sync_words": engine.sync_words, "merge": engine.merge.describe()}
            _forget(session, engine.token)
    return result


def _saved_sync(resume: Checkpoint | None) -> str | None:
    """The checkpoint's --sync-every, when resuming a cluster run without one given."""
    if resume is None or resume.state.cluster is None:
        return None
    return resume.state.cluster.get("sync_every")


def _node_workers(config: TrainConfig, session: ClusterSession, shard_words: int) -> int:
    """Training processes per node: `config.workers`, or for AUTO the nodes' Dask threads
    (the fewest any worker has), one for a run too small to gain (as on one machine) and
    one, with a warning, where the Dask workers are daemonic."""
    from cbow.training.parallel.pool import AUTO_MIN_TRAINING_WORDS

    if config.workers != AUTO_WORKERS:
        return config.workers
    threads = min(node.nthreads for node in session.nodes)
    if threads <= 1 or shard_words * config.epochs < AUTO_MIN_TRAINING_WORDS:
        return 1
    if any(node.daemon for node in session.nodes):
        logger.warning("training one process per node: the Dask workers are daemonic and may not start "
                       "more (start them with DASK_DISTRIBUTED__WORKER__DAEMON=False to use all %d threads)", threads)
        return 1
    return threads


def _forget(session: ClusterSession, token: str) -> None:
    """Drop what the workers keep of this run (their model copies and batch iterators)."""
    from cbow.training.cluster.node import drop_cache

    try:
        session.client.run(drop_cache, token, on_error="ignore")
    except Exception as error:  # the cluster may be gone already (Ctrl-C, a dead scheduler)
        logger.debug("could not clear the workers' caches: %s", error)

