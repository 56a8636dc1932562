"""What a node of the cluster runs: one round of training on its shard, a pure function of its inputs.

A round (`train_round(shard, task) -> RoundResult`) takes the model the round starts from,
the node's position in the epoch and its random-stream state, trains the node's shard from
there with today's single-machine engine until the node's target word count, and returns
the rows it changed and its new position:

    in   RoundTask: the run's config; epoch, position (batches and words of the shard done
         in the epoch, the noise generator's state); the target (stop at the first batch
         boundary at or past it; the shard's size: the rest of the epoch); the global word
         count at the round's start (all nodes) and the learning-rate scale; the model
         (`ModelPayload`: the whole of it, or the rows changed since the model of the round
         before, which the node kept)
    out  RoundResult: the new position and noise state, loss and examples, the rows of
         W_in and W_out the round changed (their new values; `cbow.training.cluster.merge`)

With one process per node (`node_workers` 1) the round is the in-process engine's loop,
resumed at the position: batch stream default_rng([s, 1, epoch]) (subsampling, windows),
noise stream default_rng([s, 2, epoch]) restored from its saved state, s = `node_seed`
(the run's seed with one node, so a one-node cluster IS the in-process run, bit for bit;
a seed of its own per node otherwise). The learning rate follows the global word count:

    lr(batch) = lr_scale * alpha * max(1e-4, 1 - g / words_total)
    g = words_before + (w - w_start) * N_words // S

w the node's words done in the epoch before the batch, w_start at the round's start, S its
shard's words, N_words the corpus's: the node assumes the others progress at its own pace,
and the client resets g to the exact count (all nodes) at every merge. With one node g is
the in-process run's count exactly.

Same inputs, same outputs: a round Dask reruns on another worker (its worker died)
returns the same result. Two things are only cached, per run and node, in the worker
process (`_CACHE`): the model the node last started from (so the client may send only the
rows that changed; a node without it raises `BaseMissing` and the client sends the whole
model), and the live batch iterator of the epoch (without it the node rebuilds the
epoch's batch stream from its seed and skips the batches already done, as a checkpoint's
resume does: the same batches, only slower).

With several processes per node (`node_workers` > 1) a round runs the worker pool
(cbow.training.parallel.pool) on the part of the shard the epoch has not trained yet,
held at the target word count (`_train_in_workers`): the workers restart every round
(about a second), each round's batch and noise streams are seeded from (seed, node,
epoch, round), the lr follows the same global count, and Hogwild's interleaving makes
such a round, like any multi-process run, not bit-reproducible.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from cbow.data.encode import EncodedCorpus
from cbow.data.vocab import Vocab
from cbow.data.windows import iter_batches
from cbow.errors import CbowError, Diverged
from cbow.training.cluster.merge import Rows
from cbow.training.config import TrainConfig
from cbow.training.schedule import MIN_LR_FRACTION, divergence_advice, learning_rate, loss_diverged, make_step

logger = logging.getLogger(__name__)


class ClusterError(CbowError):
    """The cluster cannot run the training: unreachable, misconfigured, or a node failed."""


class BaseMissing(Exception):
    """The node does not hold the model the task's rows apply to: send the whole model."""


@dataclass
class NodeShard:
    """A node's share of the corpus, held in its worker's memory for the whole run.

    Attributes
    ----------
    node : the node's index, 0..N-1
    corpus : its training sentences (word ids of the run's vocabulary)
    vocab : the run's vocabulary (the noise table and subsampling come from its counts)
    heldout : its share of the --holdout sentences (the client fetches them once), or None
    """

    node: int
    corpus: EncodedCorpus
    vocab: Vocab
    heldout: EncodedCorpus | None = None


@dataclass
class NodePosition:
    """Where a node stands in the epoch in progress: a round's input and output, and what a
    checkpoint keeps of each node.

    Attributes
    ----------
    batches : batches of the epoch applied
    words : raw words of the shard done in the epoch (the shard's size once it is done)
    noise_rng_state : the noise generator's state (one process per node; None at the
        epoch's start)
    remaining : with several processes per node, the [first, stop) token ranges of the
        shard not yet trained in the epoch (None at the epoch's start: all of it)
    loss_sum, n_examples : the epoch's training loss so far on this node
    """

    batches: int = 0
    words: int = 0
    noise_rng_state: dict | None = None
    remaining: list[list[int]] | None = None
    loss_sum: float = 0.0
    n_examples: int = 0


@dataclass
class ModelPayload:
    """The model a round starts from: whole, or as rows replacing those of an earlier one.

    Attributes
    ----------
    round : the round this model starts (merges done before it)
    base_round : None: `W_in`, `W_out` are whole matrices; else each is the whole matrix
        or the rows that changed since the model of round `base_round`, which the node kept
    """

    round: int
    base_round: int | None
    W_in: Rows
    W_out: Rows

    @property
    def nbytes(self) -> int:
        return self.W_in.nbytes + self.W_out.nbytes


@dataclass
class RoundTask:
    """Everything a node's round depends on (module docstring)."""

    token: str  # the run's identity: node caches are keyed by it
    round: int
    node: int
    n_nodes: int
    config: TrainConfig
    node_workers: int
    epoch: int
    start: NodePosition
    target_words: int  # stop at the first batch boundary at or past this many words of the shard
    words_before: int  # global words done when the round starts, all nodes
    words_per_epoch: int  # the corpus's training words, all nodes
    lr_scale: float
    model: ModelPayload
    exit_once: str | None = None  # tests: a marker file; the process exits mid-round unless it exists


@dataclass
class RoundResult:
    """What a node sends back after its round."""

    node: int
    round: int
    end: NodePosition
    n_batches: int
    loss: float
    n_examples: int
    train_seconds: float  # training only: the node's share of the round's wall time
    node_seconds: float  # the whole task on the node (model rows in and out included)
    W_in: Rows
    W_out: Rows
    worker: str = ""


def node_seed(seed: int, node: int, n_nodes: int) -> int:
    """The seed of node `node`'s random streams: the run's seed with one node (so the run is
    the in-process one), else one derived from (seed, node) so no two nodes draw alike."""
    if n_nodes == 1:
        return seed
    return int(np.random.SeedSequence([seed, 0xC1A5, node]).generate_state(1, dtype=np.uint32)[0])


@dataclass
class _NodeMemory:
    """What a worker keeps of a node between rounds (module docstring): only a cache."""

    round: int  # W_in, W_out are the model round `round` started from
    W_in: np.ndarray
    W_out: np.ndarray
    batches: tuple[int, int, Iterator] | None = None  # (epoch, batches done, the live batch iterator)
    tables: tuple | None = None  # (keep_prob, output): derived from the vocabulary and config


_CACHE: dict[tuple[str, int], _NodeMemory] = {}
_CACHE_LOCK = threading.Lock()


def drop_cache(token: str) -> int:
    """Forget what this worker keeps of run `token` (called on every worker at the run's end)."""
    with _CACHE_LOCK:
        keys = [key for key in _CACHE if key[0] == token]
        for key in keys:
            del _CACHE[key]
    return len(keys)


def train_round(shard: NodeShard, task: RoundTask) -> RoundResult:
    """Train one round of node `task.node` on `shard` (module docstring).

    Raises
    ------
    BaseMissing : the task carries rows for a model this worker does not hold
    Diverged : the loss became non-finite or absurd
    ClusterError : several processes per node in a daemonic Dask worker
    """
    started = time.perf_counter()
    memory = _model_for(task)
    W_in, W_out = memory.W_in.copy(), memory.W_out.copy()
    keep_prob, output = _tables(memory, shard, task.config)
    train_started = time.perf_counter()
    if task.node_workers > 1:
        end, n_batches, loss, n_examples, first_batch_at = _train_in_workers(shard, task, W_in, W_out, keep_prob,
                                                                             output)
        train_started = first_batch_at or train_started  # starting the pool is exchange, not training
    else:
        end, n_batches, loss, n_examples = _train_in_process(shard, task, W_in, W_out, keep_prob, output, memory)
    train_seconds = time.perf_counter() - train_started
    result = RoundResult(
        node=task.node, round=task.round, end=end, n_batches=n_batches, loss=loss, n_examples=n_examples,
        train_seconds=train_seconds, node_seconds=0.0,
        W_in=Rows.changed(W_in, memory.W_in), W_out=Rows.changed(W_out, memory.W_out), worker=_worker_address(),
    )
    result.node_seconds = time.perf_counter() - started
    return result


def _model_for(task: RoundTask) -> _NodeMemory:
    """The node's memory holding the model the round starts from: built from a whole model,
    or the kept one with the task's rows applied (then it is that round's model)."""
    key = (task.token, task.node)
    model = task.model
    with _CACHE_LOCK:
        memory = _CACHE.get(key)
        if model.base_round is None:
            W_in, W_out = np.array(model.W_in.values, dtype=np.float32), np.array(model.W_out.values, dtype=np.float32)
            if memory is None:
                memory = _CACHE[key] = _NodeMemory(model.round, W_in, W_out)
            else:
                memory.round, memory.W_in, memory.W_out = model.round, W_in, W_out
            return memory
        if memory is None or memory.round != model.base_round:
            raise BaseMissing(f"node {task.node} holds no model of round {model.base_round}")
        for rows, matrix in ((model.W_in, memory.W_in), (model.W_out, memory.W_out)):
            rows.apply(matrix)  # whole matrices replace, rows patch the kept model
        memory.round = model.round
        return memory


def _tables(memory: _NodeMemory, shard: NodeShard, config: TrainConfig):
    """(keep_prob, output layer) of the run, built once per node and worker."""
    if memory.tables is None:
        from cbow.model.step import build_output_layer

        keep_prob = shard.vocab.keep_probabilities(config.sample) if config.sample > 0 else None
        output, _ = build_output_layer(shard.vocab, config.objective, config.negative, config.ns_exponent)
        memory.tables = (keep_prob, output)
    return memory.tables


def _batch_stream(task: RoundTask, shard: NodeShard, seed: int, keep_prob, memory: _NodeMemory) -> Iterator:
    """The epoch's batches from the task's position: the iterator the node left off at, if
    this worker still holds it, else the batch stream rebuilt from its seed and replayed."""
    position = task.start
    kept, memory.batches = memory.batches, None  # taken out: a failed round leaves no half-used iterator
    if kept is not None and kept[0] == task.epoch and kept[1] == position.batches:
        return kept[2]
    config, corpus = task.config, shard.corpus
    batches = iter_batches(corpus.word_ids, corpus.sentence_offsets, config.window, config.batch_size,
                           np.random.default_rng([seed, 1, task.epoch]), keep_prob,
                           shrink_windows=config.shrink_windows)
    if position.batches:
        batches = itertools.islice(batches, position.batches, None)
    return batches


def _train_in_process(shard: NodeShard, task: RoundTask, W_in: np.ndarray, W_out: np.ndarray, keep_prob, output,
                      memory: _NodeMemory) -> tuple[NodePosition, int, float, int]:
    """The in-process engine's loop (cbow.training.in_process) from the task's position to
    its target; returns (end position, batches, summed loss, examples)."""
    config, start = task.config, task.start
    seed = node_seed(config.seed, task.node, task.n_nodes)
    shard_words = shard.corpus.n_words
    words_total = task.words_per_epoch * config.epochs
    lr_in, lr_out = config.lr_in * task.lr_scale, config.alpha * task.lr_scale
    step = make_step(W_in, output, config)
    batches = _batch_stream(task, shard, seed, keep_prob, memory)
    noise_rng = np.random.default_rng([seed, 2, task.epoch])
    if start.noise_rng_state is not None:
        noise_rng.bit_generator.state = start.noise_rng_state
    words, n_batches, loss_sum, n_examples = start.words, 0, 0.0, 0
    to_epoch_end = task.target_words >= shard_words
    exit_at = _exit_point(task)
    finished = False
    while to_epoch_end or words < task.target_words:
        batch = next(batches, None)
        if batch is None:
            finished = True
            break
        if n_batches == exit_at:
            _exit_once(task.exit_once)
        global_words = task.words_before + (words - start.words) * task.words_per_epoch // shard_words
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is caught below
            loss = step(W_in, W_out, batch, learning_rate(lr_in, global_words, words_total),
                        learning_rate(lr_out, global_words, words_total), noise_rng)
        if loss_diverged(loss, len(batch)):
            raise Diverged(
                f"training diverged in epoch {task.epoch + 1} on node {task.node} at "
                f"{100.0 * batch.words_done / max(1, shard_words):.0f}% of its shard (loss "
                f"{loss / len(batch):.3g} nats per example); " + divergence_advice(config)
            )
        words = batch.words_done
        n_batches += 1
        loss_sum += loss
        n_examples += len(batch)
    if finished:
        words = shard_words
    else:
        memory.batches = (task.epoch, start.batches + n_batches, batches)
    end = NodePosition(batches=start.batches + n_batches, words=words,
                       noise_rng_state=None if finished else noise_rng.bit_generator.state,
                       loss_sum=start.loss_sum + loss_sum, n_examples=start.n_examples + n_examples)
    return end, n_batches, loss_sum, n_examples


class _RoundEnd(Exception):
    """Raised from the pool's pause at the target: the round is over."""


def _train_in_workers(shard: NodeShard, task: RoundTask, W_in: np.ndarray, W_out: np.ndarray, keep_prob,
                      output) -> tuple[NodePosition, int, float, int, float | None]:
    """The round in `task.node_workers` processes over shared weights (module docstring).

    The pool trains, as one epoch of its own, the shard's tokens not yet trained in this
    epoch (`NodePosition.remaining`), its workers held at the target; what each worker left
    of its slice is the next round's remainder (a sentence cut there continues as one).
    Its schedule is the global one: for g = G + w N / S (G the global count at the round's
    start, w the words the pool has done, T = words_total),

        lr = a s max(1e-4, 1 - g / T) = a' (1 - w / T'),   a' = a s (1 - G / T),
                                                           T' = (T - G) S / N

    so the pool is given a' as its rate and T' as its run's words (the 1e-4 floor then
    applies to a', which matters only in a run's last 0.01%).

    Returns (end position, batches, loss, examples, when the first words were trained).
    """
    from cbow.training.parallel import pool

    if multiprocessing.current_process().daemon:
        raise ClusterError(daemon_message(_worker_address(), task.node_workers))
    config, start, corpus = task.config, task.start, shard.corpus
    shard_words = corpus.n_words
    remaining = start.remaining if start.remaining is not None else [[0, shard_words]]
    to_epoch_end = task.target_words >= shard_words
    if not remaining or (not to_epoch_end and task.target_words <= start.words):
        return replace(start), 0, 0.0, 0, None  # ahead of the others: nothing to do this round
    sub = _tokens(corpus, remaining)
    words_total = task.words_per_epoch * config.epochs
    left = max(MIN_LR_FRACTION, 1.0 - task.words_before / words_total)
    node_config = replace(
        config, alpha=config.alpha * task.lr_scale * left, alpha_in=config.lr_in * task.lr_scale * left,
        seed=int(np.random.SeedSequence([node_seed(config.seed, task.node, task.n_nodes), task.epoch,
                                         task.round]).generate_state(1, dtype=np.uint32)[0]))
    pool_total = max(1, (words_total - task.words_before) * shard_words // task.words_per_epoch)
    hold = None if to_epoch_end else task.target_words - start.words
    seen: dict = {"first_batch_at": None}

    def on_progress(_epoch: int, snapshot) -> None:
        if seen["first_batch_at"] is None and snapshot.words_done:
            seen["first_batch_at"] = time.perf_counter()

    def at_pause(_epoch: int, snapshot, positions) -> None:
        seen.update(snapshot=snapshot, positions=positions)
        raise _RoundEnd

    def at_epoch_end(_epoch: int, snapshot) -> None:
        seen.update(snapshot=snapshot, positions=None)

    try:
        pool.run_workers(W_in, W_out, sub.word_ids, sub.sentence_offsets, keep_prob, output, node_config,
                         task.node_workers, 0, 1, pool_total, on_progress, at_epoch_end=at_epoch_end, at_pause=at_pause,
                         hold_at=lambda: hold)
    except _RoundEnd:
        pass
    snapshot, positions = seen["snapshot"], seen["positions"]
    loss, n_examples = float(snapshot.loss_sum[0]), int(snapshot.n_examples[0])
    if positions is None:  # the pool trained all of it: the node's epoch is done
        left_over: list[list[int]] = []
        n_batches = 0
    else:
        offsets = sub.sentence_offsets
        spans = [(int(offsets[p.first_sentence]) + p.words, int(offsets[p.stop_sentence])) for p in positions]
        left_over = _shard_ranges(remaining, spans)
        n_batches = sum(position.batches for position in positions)
    end = NodePosition(batches=start.batches + n_batches,
                       words=shard_words - sum(stop - first for first, stop in left_over), remaining=left_over,
                       loss_sum=start.loss_sum + loss, n_examples=start.n_examples + n_examples)
    return end, n_batches, loss, n_examples, seen["first_batch_at"]


def _tokens(corpus: EncodedCorpus, ranges: list[list[int]]) -> EncodedCorpus:
    """The tokens [first, stop) of `corpus` for each range, in order, as a corpus: its
    sentences clipped to the ranges (a range starting mid-sentence starts a sentence)."""
    offsets = corpus.sentence_offsets
    ids, lengths = [], []
    for first, stop in ranges:
        inner = offsets[(offsets > first) & (offsets < stop)]
        bounds = np.concatenate([[first], inner, [stop]])
        ids.append(np.asarray(corpus.word_ids[first:stop], dtype=np.int32))
        lengths.append(np.diff(bounds))
    lengths = np.concatenate(lengths)
    new_offsets = np.concatenate([[0], np.cumsum(lengths[lengths > 0])]).astype(np.int64)
    return EncodedCorpus(np.concatenate(ids), new_offsets, 0)


def _shard_ranges(ranges: list[list[int]], spans: list[tuple[int, int]]) -> list[list[int]]:
    """Token spans of the corpus `_tokens(corpus, ranges)` made, as ranges of the corpus."""
    starts = np.cumsum([0] + [stop - first for first, stop in ranges])
    result: list[list[int]] = []
    for span_first, span_stop in spans:
        for (first, stop), start in zip(ranges, starts[:-1].tolist()):
            low, high = max(span_first, start), min(span_stop, start + stop - first)
            if low < high:
                piece = [first + low - start, first + high - start]
                if result and result[-1][1] == piece[0]:
                    result[-1][1] = piece[1]
                else:
                    result.append(piece)
    return result


def daemon_message(worker: str, n_processes: int) -> str:
    """The one line for a Dask worker that may not start cbow's worker processes."""
    return (f"node {worker}: the Dask worker runs as a daemon process, which may not start the {n_processes} "
            "training processes asked for; start the Dask workers with distributed.worker.daemon: false "
            "(DASK_DISTRIBUTED__WORKER__DAEMON=False dask worker ...), or train one process per node with --workers 1")


def _exit_point(task: RoundTask) -> int | None:
    """Tests: the batch of the round at which the process exits (mid-round), if it is to."""
    if task.exit_once is None:
        return None
    return max(1, (task.target_words - task.start.words) // max(1, task.config.batch_size * 4))


def _exit_once(marker: str) -> None:
    """Tests: kill this worker process (as a crash would) unless `marker` exists; create it first."""
    try:
        with open(marker, "x"):
            pass
    except FileExistsError:
        return
    logger.warning("test hook: exiting this worker process mid-round (%s)", marker)
    os._exit(17)


def _worker_address() -> str:
    """The Dask worker running this task ('' outside one)."""
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return ""
