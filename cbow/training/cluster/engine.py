"""The cluster engine: `cbow.train(..., cluster=...)` on Dask workers, emitting the run's events.

Synchronous model averaging (Spark MLlib's Word2Vec, Intel's pWord2Vec): every node holds
a shard of the corpus (cbow.training.cluster.distribute) and the same model; in a round
each node trains its shard for its part of K words (`--sync-every`) from that model with
the single-machine engine (cbow.training.cluster.node); the client merges the nodes'
changes in node order (cbow.training.cluster.merge) and the merged model starts the next
round. A round never crosses an epoch's end.

Round r, with P the corpus words of the epoch done by all nodes, W the epoch's words and
S_n node n's:

    P_end = min(P + K, W)             the round's end, in words of the epoch
    t_n   = S_n if P_end == W else ceil(S_n P_end / W)     node n's target
    client -> node n   RoundTask: the model (whole, or the rows the last merge changed),
                       n's position and noise state, t_n, the global count, the lr scale
    node n             trains from its position to the first batch boundary at or past t_n
    node n -> client   RoundResult: the rows it changed, position, noise state, loss
    client             merges (node order), moves the counters to e W + sum_n words_n,
                       emits on_progress, then pauses for callbacks that want it (a
                       checkpoint, a held-out score); at P_end == W the epoch ends
                       (`Run.finish_epoch`: on_epoch_end, the epoch's checkpoint)

Consistent points are the merges: a callback's `pause_at_words` is met at the first merge
at or past it (rounds are not cut for it, so a run that pauses trains exactly as one that
does not), Ctrl-C cancels the round in flight and saves the last merge's state. The
checkpoint is the one-machine format plus `TrainState.cluster`: the round, the sync
interval, and every node's position and noise state, so `--resume` continues from the
last merge exactly (mid-epoch with the same number of nodes; at an epoch's end with any).

Each round depends only on its inputs, so a round whose worker dies is rerun by Dask and
returns the same result, and with one process per node a run is reproducible for a seed
(with one node it is the in-process run, bit for bit). `--sync-every auto` is not: it
sizes K from the first round's timing (then K is kept, and saved in checkpoints).

What travels per round and node: the model (V d 4 bytes per matrix, or only the rows the
last merge changed, with their ids) to the node, the rows it changed back: at most
2 x 2 x V x d x 4 bytes for W_in and W_out. `auto` picks the smallest K for which that
exchange (measured on the first round, with everything else a round does besides
training) stays under AUTO_SYNC_SHARE of the round's time, but merges at least
AUTO_MIN_MERGES_PER_EPOCH times an epoch (fewer merges lost quality; docs/cluster.md).
"""

from __future__ import annotations

import logging
import math
import os
import time
import uuid
from dataclasses import asdict, dataclass

import numpy as np

from cbow.errors import ConfigError
from cbow.training.checkpoint import CheckpointError
from cbow.training.cluster.merge import DEFAULT_MERGE, Merge, Rows, changed_rows, merge_matrix
from cbow.training.cluster.node import (
    BaseMissing, ClusterError, ModelPayload, NodePosition, RoundResult, RoundTask, train_round,
)

logger = logging.getLogger(__name__)

DEFAULT_SYNC_EVERY = "auto"
AUTO_FIRST_ROUND_WORDS = 1_000_000  # --sync-every auto: the round it measures
AUTO_SYNC_SHARE = 0.10  # --sync-every auto: the exchange's share of a round's time at most
AUTO_MIN_SYNC_WORDS = 100_000
# --sync-every auto merges at least this often per epoch, whatever the network allows: on
# bench-text8 (2 nodes, 5 epochs) auto's 7.4M words (3 merges an epoch) lost 0.016 of
# simlex to one machine; 1M-word rounds stayed within 0.01 (docs/cluster.md)
AUTO_MIN_MERGES_PER_EPOCH = 10
POLL_SECONDS = 0.2  # how often the client looks for Ctrl-C while a round runs
# Tests: "ROUND,NODE,MARKER": node NODE's task of round ROUND exits its process mid-round
# unless the file MARKER exists (it creates it first), as a crashed worker would.
EXIT_ONCE_ENV = "CBOW_TEST_CLUSTER_EXIT_ONCE"


@dataclass(frozen=True)
class SyncEvery:
    """How often the nodes' models are merged: every `words` words, every epoch, or auto."""

    mode: str  # "words", "epoch" or "auto"
    words: int = 0

    def __str__(self) -> str:
        return str(self.words) if self.mode == "words" else self.mode


def parse_sync_every(value: str | int | None) -> SyncEvery:
    """'10M', '2.5m', '500k', 1000000, 'epoch' or 'auto' (None: the default).

    Raises
    ------
    ConfigError : anything else
    """
    if value is None:
        value = DEFAULT_SYNC_EVERY
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if value < 1:
            raise ConfigError(f"--sync-every {value}: must be at least 1 word")
        return SyncEvery("words", int(value))
    text = str(value).strip().lower()
    if text in ("epoch", "auto"):
        return SyncEvery(text)
    scale = {"k": 10**3, "m": 10**6, "g": 10**9}.get(text[-1:], 1)
    try:
        words = float(text[:-1] if scale > 1 else text) * scale
    except ValueError:
        words = float("nan")
    if not (math.isfinite(words) and words >= 1):
        raise ConfigError(f"--sync-every {value}: expected a number of words (10M, 500k, 1e6), epoch or auto")
    return SyncEvery("words", round(words))


def check_cluster_resume(resume, n_nodes: int, node_workers: int, shard_words: tuple[int, ...]) -> None:
    """A checkpoint saved mid-epoch resumes only on the nodes it was saved with; one saved
    at an epoch's end on any. One saved on one machine resumes only there.

    Raises
    ------
    CheckpointError : naming what resumes it
    """
    name = os.fspath(resume.path) if resume.path else "checkpoint"
    saved = resume.state.cluster
    if saved is None:
        raise CheckpointError(f"{name}: saved by a run on one machine; resume it without --cluster")
    mid_epoch = any(position["words"] for position in saved["positions"])
    if not mid_epoch or resume.state.epoch >= resume.config.get("epochs", 0):
        return
    spec = saved.get("spec") or f"a cluster of {saved['nodes']} nodes"
    if saved["nodes"] != n_nodes or tuple(saved["shard_words"]) != tuple(shard_words):
        raise CheckpointError(f"{name}: saved mid-epoch by {saved['nodes']} nodes, this cluster has {n_nodes}; "
                              f"resume it on {spec} (a checkpoint saved at an epoch's end resumes on any)")
    if saved["node_workers"] != node_workers and max(saved["node_workers"], node_workers) > 1:
        raise CheckpointError(f"{name}: saved mid-epoch with {saved['node_workers']} processes per node, this "
                              f"run would use {node_workers}; resume it with --workers {saved['node_workers']}")


class ClusterEngine:
    """Rounds of training on the nodes, merged on the client (module docstring).

    Parameters
    ----------
    session : the connected cluster (cbow.training.cluster.connect)
    run : the run (its corpus a ShardedCorpus)
    shards : the Dask futures of the nodes' NodeShards, node order
    sync : how often to merge
    node_workers : training processes per node
    merge : the merge rule and the nodes' learning-rate scale
    """

    def __init__(self, session, run, shards: list, sync: SyncEvery, node_workers: int,
                 merge: Merge = DEFAULT_MERGE) -> None:
        self.session, self.run, self.shards, self.sync = session, run, shards, sync
        self.node_workers, self.merge = node_workers, merge
        self.n_nodes = len(shards)
        self.token = uuid.uuid4().hex
        self.shard_words = run.corpus.shard_words
        self.lr_scale = merge.scale(self.n_nodes)
        saved = run.resumed_from.cluster if run.resumed_from is not None else None
        self.round = saved["round"] if saved else 0
        self.sync_words = saved.get("sync_words") if saved and sync.mode == "auto" else None
        if sync.mode == "words":
            self.sync_words = sync.words
        elif sync.mode == "epoch":
            self.sync_words = run.words_per_epoch
        mid_epoch = saved is not None and run.epoch < run.config.epochs and any(
            position["words"] for position in saved["positions"])
        self.positions = ([NodePosition(**position) for position in saved["positions"]] if mid_epoch
                          else [NodePosition() for _ in range(self.n_nodes)])
        self.node_round = [-1] * self.n_nodes  # the model round each node is known to keep
        self.changed: tuple[np.ndarray, np.ndarray] | None = None  # rows the last merge changed
        self.stats = {"rounds": 0, "round_seconds": 0.0, "train_seconds": 0.0, "bytes_to_nodes": 0,
                      "bytes_from_nodes": 0, "retries": 0}
        self._exit_once = _exit_once_hook()
        self._publish()

    # -- the event loop ---------------------------------------------------------------------
    def train(self) -> None:
        """Epochs run.epoch .. config.epochs - 1, from the run's position."""
        run, callbacks = self.run, self.run.callbacks
        if run.epoch >= run.config.epochs:
            return
        if not any(position.words for position in self.positions):
            callbacks.on_epoch_begin(run)
        while run.epoch < run.config.epochs:
            epoch_started = time.perf_counter()
            while not self._round():
                run.pause_if_wanted()
            seconds = time.perf_counter() - epoch_started - run.paused_seconds
            self.positions = [NodePosition() for _ in range(self.n_nodes)]
            self._publish(epoch_done=True)  # the state the epoch's checkpoint saves: the next epoch's start
            if run.finish_epoch(seconds):
                break
            if run.epoch < run.config.epochs:
                callbacks.on_epoch_begin(run)
        logger.info("cluster: %s", self.summary())

    def summary(self) -> str:
        stats = self.stats
        wall = max(stats["round_seconds"], 1e-9)
        return (f"{stats['rounds']} rounds on {self.n_nodes} nodes, syncing every {self.sync_words or 0:,} words; "
                f"the exchange took {100 * (1 - stats['train_seconds'] / wall):.0f}% of the rounds' time, "
                f"{stats['bytes_to_nodes'] / 2**20:,.0f} MB to the nodes, {stats['bytes_from_nodes'] / 2**20:,.0f} MB back")

    def _round(self) -> bool:
        """One round: submit, wait, merge, count; True when it ended the epoch."""
        run = self.run
        words_per_epoch = run.words_per_epoch
        done = sum(position.words for position in self.positions)
        round_words = self.sync_words or min(AUTO_FIRST_ROUND_WORDS, words_per_epoch)
        end = min(done + round_words, words_per_epoch)
        targets = [shard if end == words_per_epoch else -(-shard * end // words_per_epoch)
                   for shard in self.shard_words]
        started = time.perf_counter()
        tasks = [self._task(node, targets[node], run.words_done) for node in range(self.n_nodes)]
        results = self._run_tasks(tasks)
        for result in results:  # those nodes now keep the model this round started from
            self.node_round[result.node] = self.round
        self._merge(results)
        round_seconds = time.perf_counter() - started
        train_seconds = max(result.train_seconds for result in results)
        self.stats["rounds"] += 1
        self.stats["round_seconds"] += round_seconds
        self.stats["train_seconds"] += train_seconds
        self.stats["bytes_from_nodes"] += sum(result.W_in.nbytes + result.W_out.nbytes for result in results)
        if self.sync_words is None:
            self._size_rounds(round_seconds, train_seconds, sum(result.end.words for result in results) - done)
        self.positions = [result.end for result in results]
        run.advance(run.epoch * words_per_epoch + sum(position.words for position in self.positions),
                    sum(result.n_examples for result in results), sum(result.loss for result in results),
                    sum(result.n_batches for result in results))
        self._publish()
        run.callbacks.on_progress(run)
        return end == words_per_epoch

    def _size_rounds(self, round_seconds: float, train_seconds: float, words: int) -> None:
        """--sync-every auto: K from the first round (module docstring)."""
        exchange = max(round_seconds - train_seconds, 1e-3)
        rate = max(words, 1) / max(train_seconds, 1e-3)
        wanted = exchange * rate * (1 - AUTO_SYNC_SHARE) / AUTO_SYNC_SHARE
        wanted = float(f"{max(wanted, AUTO_MIN_SYNC_WORDS):.2g}")  # two significant digits
        most = max(AUTO_MIN_SYNC_WORDS, self.run.words_per_epoch // AUTO_MIN_MERGES_PER_EPOCH)
        self.sync_words = min(int(wanted), most, self.run.words_per_epoch)
        logger.info("--sync-every auto: the first round's exchange took %.2f s, the nodes trained %s words/s: "
                    "merging every %s words (%s for the exchange to take 10%%, at most %s: %d merges an epoch)",
                    exchange, f"{rate:,.0f}", f"{self.sync_words:,}", f"{int(wanted):,}", f"{most:,}",
                    AUTO_MIN_MERGES_PER_EPOCH)

    def _task(self, node: int, target: int, words_before: int, whole: bool = False) -> RoundTask:
        run = self.run
        exit_once = None
        if self._exit_once is not None and self._exit_once[:2] == (self.round, node):
            exit_once = self._exit_once[2]
        return RoundTask(
            token=self.token, round=self.round, node=node, n_nodes=self.n_nodes, config=run.config,
            node_workers=self.node_workers, epoch=run.epoch, start=self.positions[node], target_words=target,
            words_before=words_before, words_per_epoch=run.words_per_epoch, lr_scale=self.lr_scale,
            model=self._payload(node, whole), exit_once=exit_once,
        )

    def _payload(self, node: int, whole: bool) -> ModelPayload:
        """The model for node `node`: of each matrix, the rows the last merge changed if the
        node keeps the model before it and they are fewer bytes, else the whole matrix."""
        W_in, W_out = self.run.W_in, self.run.W_out
        if whole or self.changed is None or self.node_round[node] != self.round - 1:
            return ModelPayload(self.round, None, Rows(None, W_in), Rows(None, W_out))
        rows = [Rows(ids, matrix[ids]) if ids.size * (4 + matrix.itemsize * matrix.shape[1]) < matrix.nbytes
                else Rows(None, matrix) for ids, matrix in zip(self.changed, (W_in, W_out))]
        if rows[0].ids is None and rows[1].ids is None:
            return ModelPayload(self.round, None, rows[0], rows[1])
        return ModelPayload(self.round, self.round - 1, rows[0], rows[1])

    def _submit(self, task: RoundTask):
        from cbow.training.cluster.distribute import submit

        self.stats["bytes_to_nodes"] += task.model.nbytes
        return submit(self.session.client, train_round, self.shards[task.node], task,
                      key=f"cbow-round-{task.round}-node-{task.node}-{uuid.uuid4().hex[:8]}")

    def _run_tasks(self, tasks: list[RoundTask]) -> list[RoundResult]:
        """Every node's round, retried with the whole model where a node lacks the kept one;
        Ctrl-C (a checkpointer's interrupt) cancels the round and pauses at the last merge."""
        from distributed import wait

        futures = {self._submit(task): task for task in tasks}
        results: dict[int, RoundResult] = {}
        try:
            while futures:
                try:
                    done = wait(list(futures), timeout=POLL_SECONDS, return_when="FIRST_COMPLETED").done
                except TimeoutError:  # distributed.wait raises when nothing finished in time
                    done = set()
                if self._interrupted():
                    self._cancel(futures)
                    futures = {}
                    self.run.pause_if_wanted()  # saves the last merge's state and raises TrainingInterrupted
                    raise ClusterError("the run was interrupted but no callback stopped it")
                for future in done:
                    task = futures.pop(future)
                    if future.status == "error" and isinstance(future.exception(), BaseMissing):
                        self.stats["retries"] += 1
                        retry = self._task(task.node, task.target_words, task.words_before, whole=True)
                        futures[self._submit(retry)] = retry
                        continue
                    try:
                        results[task.node] = future.result()
                    except Exception as error:
                        if type(error).__name__ == "KilledWorker":
                            raise ClusterError(
                                f"node {task.node}: its round {task.round} ended its Dask worker several times "
                                "(out of memory? see the workers' logs); give the workers more memory") from None
                        raise
                    future.release()
        finally:
            self._cancel(futures)
        return [results[node] for node in range(self.n_nodes)]

    def _interrupted(self) -> bool:
        """Ctrl-C or SIGTERM reached a checkpointer (it saves at the last merge)."""
        callbacks = self.run.callbacks.callbacks if self.run.callbacks is not None else []
        return any(getattr(callback, "interrupted", False) for callback in callbacks)

    def _cancel(self, futures) -> None:
        if futures:
            self.session.client.cancel(list(futures))

    def _merge(self, results: list[RoundResult]) -> None:
        """The merged model into run.W_in / W_out (in place: callbacks hold those arrays)."""
        run = self.run
        merged = [merge_matrix(base, [getattr(result, name) for result in results], self.merge.rule)
                  for base, name in ((run.W_in, "W_in"), (run.W_out, "W_out"))]
        self.changed = (changed_rows(merged[0], run.W_in), changed_rows(merged[1], run.W_out))
        run.W_in[...] = merged[0]
        run.W_out[...] = merged[1]
        self.round += 1

    def _publish(self, epoch_done: bool = False) -> None:
        """The cluster's part of the run's state (`TrainState.cluster`, checkpoints)."""
        self.run.cluster_state = {
            "version": 1, "spec": self.session.spec, "nodes": self.n_nodes, "node_workers": self.node_workers,
            "round": self.round, "sync_every": str(self.sync), "sync_words": self.sync_words,
            "merge": self.merge.rule, "lr_scale": self.lr_scale, "shard_words": list(self.shard_words),
            "positions": [asdict(position) for position in self.positions],
        }


def _exit_once_hook() -> tuple[int, int, str] | None:
    """EXIT_ONCE_ENV as (round, node, marker), or None."""
    value = os.environ.get(EXIT_ONCE_ENV)
    if not value:
        return None
    round_text, node_text, marker = value.split(",", 2)
    return int(round_text), int(node_text), marker
