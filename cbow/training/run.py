"""A training run's live state (`Run`), what it reports, and what a checkpoint keeps of it.

One `Run` exists per call of `cbow.train`. The engine that trains (in this process, or in
worker processes) moves its counters; every callback (cbow.training.callbacks) is handed
the same `Run` and reads the position, the weights and the histories from it. `Run.state()`
is the one place that builds the `TrainState` a checkpoint saves, whichever engine runs.

The result types live here too: `EpochReport` (one per epoch, passed to `on_epoch_end`),
`LossPoint` and `HeldoutPoint` (the loss curves) and `TrainResult` (what `train` returns).
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING

import numpy as np

from cbow.data.encode import EncodedCorpus
from cbow.data.pages import release_pages
from cbow.data.vocab import Vocab
from cbow.errors import Diverged
from cbow.model.hidden import word_vectors
from cbow.model.step import OutputLayer
from cbow.training.config import TrainConfig
from cbow.training.full_model import Model
from cbow.training.schedule import divergence_advice, learning_rates
from cbow.vectors.keyed import KeyedVectors

if TYPE_CHECKING:
    from cbow.training.callbacks import CallbackList

logger = logging.getLogger(__name__)

LOSS_POINTS_PER_RUN = 200  # the loss curve: one point every 1/200 of the run (and one per epoch end)


@dataclass
class EpochReport:
    """What one epoch did: passed to `on_epoch_end` callbacks and kept in the result.

    `words_done` counts corpus words (before subsampling) since the run started. `W_in`
    and `vocab` are the live model, set just before `on_epoch_end` runs so a callback can
    score the vectors while training (`keyed_vectors()`); training keeps updating that
    array afterwards.
    """

    epoch: int
    mean_loss: float
    n_examples: int
    seconds: float
    words_per_second: float
    lr_end: float
    words_done: int = 0
    heldout_nats: float | None = None
    heldout_perplexity: float | None = None
    scores: dict[str, dict] = field(default_factory=dict)  # evaluation file -> its scores (--eval)
    W_in: np.ndarray | None = field(default=None, repr=False, compare=False)
    vocab: Vocab | None = field(default=None, repr=False, compare=False)
    W_out: np.ndarray | None = field(default=None, repr=False, compare=False)
    out_vector_weight: float = field(default=0.0, repr=False, compare=False)

    def to_dict(self) -> dict:
        """The scalar fields (what checkpoints and logs keep), without the live model."""
        return {item.name: getattr(self, item.name) for item in fields(self)
                if item.name not in ("W_in", "vocab", "W_out", "out_vector_weight")}

    def get_latest_training_loss(self) -> float:
        """The summed loss of every example trained so far in this run (gensim's
        get_latest_training_loss, which sums since train() began)."""
        done = sum(report.mean_loss * report.n_examples for report in self.result.epochs)
        return float(done + self.epoch_loss_sum)

    def keyed_vectors(self) -> KeyedVectors:
        """A copy of the vectors the run would save now (call it inside `on_epoch_end`):
        W_in, plus out_vector_weight * W_out when that is set (TrainConfig)."""
        if self.W_in is None or self.vocab is None:
            raise ValueError("this report carries no model; keyed_vectors() works inside on_epoch_end")
        vectors = word_vectors(self.W_in, self.W_out, self.out_vector_weight)
        if vectors is self.W_in:  # training goes on updating W_in
            vectors = vectors.copy()
        return KeyedVectors(list(self.vocab.words), vectors, counts=self.vocab.counts)


@dataclass(frozen=True)
class LossPoint:
    """Mean training loss over an interval of the run (the points of a loss curve)."""

    epoch: int
    words_done: int  # corpus words (before subsampling) processed since the run started
    mean_loss: float
    lr: float


@dataclass(frozen=True)
class HeldoutPoint:
    """One held-out score during a run: a point of the held-out curve.

    Attributes
    ----------
    epoch : progress in epochs, words_done / words per epoch (2.0: the end of epoch 2)
    words_done : corpus words (before subsampling) trained on since the run started
    lr : learning rate of W_out at that moment
    train_loss : mean training loss per example of the current epoch so far
    nats, perplexity, n_predicted : the HeldoutLoss of the weights at that moment
    seconds : time the scoring took
    epoch_end : True for the score after an epoch, False for one every N words
    """

    epoch: float
    words_done: int
    lr: float
    train_loss: float
    nats: float
    perplexity: float
    n_predicted: int
    seconds: float
    epoch_end: bool


@dataclass
class WorkerPosition:
    """Where one worker process stands in the epoch in progress: what a checkpoint keeps of it.

    Attributes
    ----------
    first_sentence, stop_sentence : the worker's slice (`split_sentences`)
    batches : batches of the epoch it has applied
    words : raw words of its slice it has done in the epoch (drives the lr schedule)
    """

    first_sentence: int
    stop_sentence: int
    batches: int = 0
    words: int = 0


@dataclass
class TrainState:
    """Everything a run must hand over at a batch boundary to resume exactly (cbow.training.checkpoint).

    Attributes
    ----------
    epoch : 0-based epoch in progress (== config.epochs when the run is complete)
    batches_done : batches of `epoch` already applied (0 at an epoch boundary)
    words_done : corpus words processed since the run started (drives the lr schedule)
    lr_in, lr_out : the current learning rates (informative: recomputed from words_done)
    noise_rng_state : `noise_rng.bit_generator.state` of the epoch's noise generator
        (None at an epoch boundary: the next epoch seeds a fresh one; None with workers)
    epoch_loss_sum, epoch_examples : loss bookkeeping of the epoch so far
    interval_loss, interval_examples, next_record : loss-curve bookkeeping
    W_in, W_out : the weights (saved as they are; float32)
    frozen_rows : (V,) bool, the W_in rows a run with freeze_init leaves alone (the rows
        its init gave), saved as an array of its own; None otherwise
    epochs : finished EpochReports as dicts
    loss_history : LossPoints as dicts
    heldout_history : HeldoutPoints as dicts (runs with --holdout)
    worker_positions : with worker processes, each worker's slice and its position in
        `epoch` (`WorkerPosition` as dicts); empty for a run in one process.
        `batches_done` is then their sum
    cluster : on a cluster (cbow.training.cluster.engine), the merges done, the sync
        interval and every node's position and noise state; None elsewhere
    """

    epoch: int
    batches_done: int
    words_done: int
    lr_in: float
    lr_out: float
    noise_rng_state: dict | None
    epoch_loss_sum: float
    epoch_examples: int
    interval_loss: float
    interval_examples: int
    next_record: int
    W_in: np.ndarray
    W_out: np.ndarray
    epochs: list[dict] = field(default_factory=list)
    loss_history: list[dict] = field(default_factory=list)
    heldout_history: list[dict] = field(default_factory=list)
    worker_positions: list[dict] = field(default_factory=list)
    frozen_rows: np.ndarray | None = None
    cluster: dict | None = None


@dataclass
class TrainResult(Model):
    """A trained model (cbow.training.full_model.Model: `wv`, `predict_output_word`, `score`,
    `save`) and its per-epoch history."""

    epochs: list[EpochReport] = field(default_factory=list)
    loss_history: list[LossPoint] = field(default_factory=list)
    heldout_history: list[HeldoutPoint] = field(default_factory=list)  # with config.holdout
    prepare_seconds: float = 0.0
    train_seconds: float = 0.0
    n_corpus_words: int = 0
    cluster: dict | None = None  # on a cluster: rounds, exchange time and bytes (ClusterEngine.stats)

    @property
    def epoch_losses(self) -> list[float]:
        return [report.mean_loss for report in self.epochs]


def corpus_fingerprint(vocab: Vocab, word_ids: np.ndarray, sentence_offsets: np.ndarray,
                       n_raw_tokens: int) -> str:
    """sha256 of the vocabulary and the encoded corpus: equal iff training sees the same data.

    Hashes `word_ids` and `sentence_offsets` in slices, so a memory-mapped corpus is
    streamed, not copied, and gives each slice's pages back once hashed (cbow.data.pages):
    read through, the whole corpus would stay mapped in this process (99 MB for text8) for
    the rest of the run.
    """
    digest = hashlib.sha256()
    digest.update("\n".join(vocab.words).encode("utf-8"))
    digest.update(np.ascontiguousarray(vocab.counts, dtype="<i8").tobytes())
    digest.update(str(n_raw_tokens).encode())
    step = 1 << 24
    for array, dtype in ((word_ids, "<i4"), (sentence_offsets, "<i8")):
        for start in range(0, len(array), step):
            piece = array[start:start + step]
            digest.update(np.ascontiguousarray(piece, dtype=dtype))
            release_pages(piece)
    return digest.hexdigest()


class Run:
    """The live state of one training run: what every callback is handed.

    Attributes
    ----------
    config : the run's TrainConfig (`workers` resolved to the count used)
    vocab, corpus : the vocabulary and the training sentences (held-out ones split off); on
        a cluster, the client's view of the nodes' shards (cluster.distribute.ShardedCorpus)
    W_in, W_out : the live weights, trained in place (consistent in `at_pause` and
        `on_epoch_end`; with worker processes, only there)
    output : the objective's lookup tables (cbow.model.step.OutputLayer)
    keep_prob : (V,) subsampling keep-probabilities of the word ids, or None (no subsampling)
    result : the TrainResult being built: `epochs`, `loss_history`, `heldout_history`
    epoch : the 0-based epoch in progress (== config.epochs once all are done)
    words_done : corpus words (before subsampling) done since the run started, over all
        workers: the schedule's clock
    batches_done : batches of `epoch` applied (with workers: their sum, at pauses)
    epoch_loss_sum, epoch_examples : the epoch's summed loss and examples so far
    last_loss : mean loss per example of the latest batch (with workers: since the last poll)
    interval_loss, interval_examples, next_record : the loss curve's bookkeeping (kept by
        cbow.training.callbacks.LossCurve; checkpoints keep it)
    noise_rng : the in-process engine's negative-sampling stream of the epoch (its state
        is checkpointed), None with workers and between epochs
    worker_positions : with worker processes, each worker's position (set at pauses)
    cluster_state : on a cluster, what `TrainState.cluster` saves (set at every merge)
    resumed_from : the checkpoint state the run started from, or None
    frozen_rows : (V,) bool, W_in rows the step leaves alone (freeze_init), or None
    stop_training : set it (or return True from `on_epoch_end`) to end the run after the
        current epoch
    paused_seconds : time spent in pauses during the current epoch (left out of words/s)
    timed_from_words : `words_done` where this process began to time the current epoch (its
        start, or a mid-epoch checkpoint's position): its words/s counts only words trained here
    callbacks : the run's CallbackList (set by `cbow.train`)
    completed : True once every epoch (or an early stop) finished normally
    """

    def __init__(self, config: TrainConfig, vocab: Vocab, corpus: EncodedCorpus, W_in: np.ndarray,
                 W_out: np.ndarray, output: OutputLayer, result: TrainResult,
                 keep_prob: np.ndarray | None = None, resumed_from: TrainState | None = None,
                 frozen_rows: np.ndarray | None = None) -> None:
        self.config, self.vocab, self.corpus, self.keep_prob = config, vocab, corpus, keep_prob
        self.W_in, self.W_out, self.output, self.result = W_in, W_out, output, result
        self.words_per_epoch = corpus.n_words
        self.words_total = self.words_per_epoch * config.epochs
        self.record_every = max(1, self.words_total // LOSS_POINTS_PER_RUN)
        self.callbacks: CallbackList | None = None
        self.stop_training = False
        self.completed = False
        self.paused_seconds = 0.0
        self.last_loss = float("nan")
        self.noise_rng: np.random.Generator | None = None
        self.worker_positions: list[WorkerPosition] = []
        self.cluster_state: dict | None = None
        self.resumed_from = resumed_from
        self.frozen_rows = frozen_rows if resumed_from is None else resumed_from.frozen_rows
        self._fingerprint: str | None = None
        state = resumed_from
        self.epoch = state.epoch if state else 0
        self.batches_done = state.batches_done if state else 0
        self.words_done = state.words_done if state else 0
        self.epoch_loss_sum = state.epoch_loss_sum if state else 0.0
        self.epoch_examples = state.epoch_examples if state else 0
        self.interval_loss = state.interval_loss if state else 0.0
        self.interval_examples = state.interval_examples if state else 0
        self.next_record = state.next_record if state else self.record_every
        self.timed_from_words = self.words_done

    # -- the schedule, read from the position ---------------------------------------------
    @property
    def lr_in(self) -> float:
        """W_in's learning rate at `words_done` (cbow.training.schedule)."""
        return learning_rates(self.config, self.words_done, self.words_total)[0]

    @property
    def lr_out(self) -> float:
        """W_out's learning rate at `words_done`."""
        return learning_rates(self.config, self.words_done, self.words_total)[1]

    @property
    def epoch_mean_loss(self) -> float:
        """Mean training loss per example of the epoch so far."""
        return self.epoch_loss_sum / max(1, self.epoch_examples)

    @property
    def epoch_end_words(self) -> int:
        return (self.epoch + 1) * self.words_per_epoch

    @property
    def fingerprint(self) -> str:
        """sha256 of vocabulary + encoded corpus (computed once, when first asked)."""
        if self._fingerprint is None:
            corpus = self.corpus
            if getattr(corpus, "fingerprint", None):  # a corpus spread over a cluster knows its own
                self._fingerprint = corpus.fingerprint
                return self._fingerprint
            self._fingerprint = corpus_fingerprint(self.vocab, corpus.word_ids, corpus.sentence_offsets,
                                                   corpus.n_raw_tokens)
        return self._fingerprint

    def get_latest_training_loss(self) -> float:
        """The summed loss of every example trained so far in this run (gensim's
        get_latest_training_loss, which sums since train() began)."""
        done = sum(report.mean_loss * report.n_examples for report in self.result.epochs)
        return float(done + self.epoch_loss_sum)

    def keyed_vectors(self) -> KeyedVectors:
        """A copy of the vectors the run would save now (consistent inside `at_pause` and
        `on_epoch_end`)."""
        vectors = word_vectors(self.W_in, self.W_out, self.config.out_vector_weight)
        if vectors is self.W_in:
            vectors = vectors.copy()
        return KeyedVectors(list(self.vocab.words), vectors, counts=self.vocab.counts)

    # -- what the engines call ------------------------------------------------------------
    def advance(self, words_done: int, n_examples: int, loss: float, n_batches: int = 1) -> None:
        """Count applied batches: the run's `words_done` is now `words_done`; `loss` is the
        summed loss of their `n_examples` examples."""
        self.words_done = words_done
        self.batches_done += n_batches
        self.epoch_loss_sum += loss
        self.epoch_examples += n_examples
        self.interval_loss += loss
        self.interval_examples += n_examples
        if n_examples:
            self.last_loss = loss / n_examples

    def pause_if_wanted(self) -> None:
        """At a consistent point: run the callbacks' pause if any asks for one; the time it
        takes is left out of the epoch's words/s."""
        callbacks = self.callbacks
        if callbacks is not None and callbacks.wants_pause(self):
            started = time.perf_counter()
            callbacks.at_pause(self)
            self.paused_seconds += time.perf_counter() - started

    def finish_epoch(self, seconds: float) -> bool:
        """What follows every epoch, in one process or with the workers held at the epoch
        barrier: the finite-weights check, the epoch's report (its training took `seconds`,
        pauses left out) kept and logged, the counters moved to the next epoch's start,
        then `on_epoch_end` of every callback (the held-out score, --eval, the log, the
        checkpoint). Returns True when training must stop (a callback returned True or
        set `stop_training`).

        Raises
        ------
        Diverged : the weights hold NaN or inf
        """
        epoch = self.epoch + 1  # 1-based: the epoch that ended
        words_end = epoch * self.words_per_epoch
        report = EpochReport(epoch=epoch, mean_loss=self.epoch_mean_loss, n_examples=self.epoch_examples,
                             seconds=seconds,
                             words_per_second=(words_end - self.timed_from_words) / max(seconds, 1e-9),
                             lr_end=learning_rates(self.config, words_end, self.words_total)[1],
                             words_done=words_end)
        if not (np.isfinite(self.W_in).all() and np.isfinite(self.W_out).all()):
            raise Diverged(f"training diverged in epoch {report.epoch}: the weights hold NaN or inf; "
                           + divergence_advice(self.config))
        report.W_in, report.vocab = self.W_in, self.vocab
        report.W_out, report.out_vector_weight = self.W_out, self.config.out_vector_weight
        self.result.epochs.append(report)
        logger.info("epoch %d/%d: mean loss %.4f, %.0f words/s", report.epoch, self.config.epochs,
                    report.mean_loss, report.words_per_second)
        # the position becomes the next epoch's start: a checkpoint saved now resumes there
        self.epoch, self.words_done, self.batches_done = report.epoch, report.words_done, 0
        self.timed_from_words = report.words_done
        self.epoch_loss_sum, self.epoch_examples = 0.0, 0
        self.noise_rng, self.worker_positions, self.paused_seconds = None, [], 0.0
        stop = self.callbacks.on_epoch_end(self, report) if self.callbacks is not None else False
        self.stop_training = self.stop_training or bool(stop)
        return self.stop_training

    def state(self) -> TrainState:
        """The TrainState of this moment (a batch boundary, a pause or an epoch's end)."""
        result = self.result
        return TrainState(
            epoch=self.epoch, batches_done=self.batches_done, words_done=self.words_done,
            lr_in=self.lr_in, lr_out=self.lr_out,
            noise_rng_state=self.noise_rng.bit_generator.state if self.noise_rng is not None else None,
            epoch_loss_sum=self.epoch_loss_sum, epoch_examples=self.epoch_examples,
            interval_loss=self.interval_loss, interval_examples=self.interval_examples,
            next_record=self.next_record, W_in=self.W_in, W_out=self.W_out,
            epochs=[report.to_dict() for report in result.epochs],
            loss_history=[asdict(point) for point in result.loss_history],
            heldout_history=[asdict(point) for point in result.heldout_history],
            worker_positions=[asdict(position) for position in self.worker_positions],
            frozen_rows=self.frozen_rows,
            cluster=self.cluster_state,
        )

