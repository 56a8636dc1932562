"""The training loop: it only orchestrates (read -> vocab -> batches -> sgd_step -> vectors).

The math lives in `model`, `objectives/` and `step`; this module owns the schedule (linear
learning-rate decay by words processed), progress reporting, the divergence stop and the
epoch bookkeeping. Hyper-parameters travel in one frozen `TrainConfig`; all randomness
comes from generators seeded by `config.seed`, so one seed gives one run (bit-identical
with one worker). With several workers (`cbow.worker_training`) the epochs run in worker
processes and the epoch ends here (`end_epoch`) run at their barrier.
"""

from __future__ import annotations

import logging
import itertools
import math
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from cbow.training.checkpoint import (
    Checkpoint, CheckpointError, Checkpointer, TrainState, check_compatible, corpus_fingerprint,
)
from cbow.data import cache as corpus_cache
from cbow.data.encode import EncodedCorpus, read_and_encode
from cbow.errors import ConfigError, Diverged, OutputError
from cbow.training.heldout import HeldoutMonitor, HeldoutPoint, split_holdout
from cbow.training.memory import check_training_memory
from cbow.model.hidden import init_weights, word_vectors
from cbow.model.logistic_step import HuffmanPaths, Workspace
from cbow.model.noise import AliasSampler
from cbow.model.step import CBOW_UPDATES, OutputLayer, fused_step, sgd_step
from cbow.vectors.keyed import KeyedVectors
from cbow.data.vocab import Vocab
from cbow.data.windows import iter_batches
from cbow.training.parallel.pool import AUTO, split_sentences, workers_for_run

logger = logging.getLogger(__name__)

OBJECTIVE_NAMES = ("ns", "hs", "softmax")
HOLDOUT_MAX_SCORES = 1000  # more held-out scores than this in one run (--holdout-every): warn
HOLDOUT_MAX_WORDS = 20_000  # held-out targets per score (epoch end, every N words): the exact softmax costs 2 N V d
# A batch whose loss passes this many nats per example has diverged, finite or not: an
# untrained model scores (K+1) log 2 = 4.2 (NS), ~path length x log 2 (HS, < 30) or log V
# (full softmax, < 20), and trained models less.
DIVERGED_LOSS_PER_EXAMPLE = 1000.0
MIN_LR_FRACTION = 1e-4  # lr decays linearly from alpha to alpha * 1e-4, as word2vec.c
USE_FUSED_STEP = True  # False: always the reference sgd_step (tests, benchmarks compare)
# Mean update: W_in's rate is alpha * (MEAN_LR_IN_PER_WINDOW * window)^q, q = context_power
# (0.25 at alpha 0.05, window 5, q = 1; 0.112 at q = 0.5: the same average step per
# example). The exact gradient gives each context row (1/C) dL/dh, C ~ window + 1 on
# average. The measurements below are at q = 1. On bench-text8 (README, "How good are the vectors?") after five epochs the
# factors 1, 2 and 4 score within about a point of analogy of each other, less than the
# spread between seeds (1: 39.0%; 2: 39.6% / 38.7%; 4: 38.3% / 38.5%), 2 a little better on
# wordsim353; but with 1,024-example batches a small vocabulary without subsampling
# diverges already at 2: a row repeated r times in a batch gets r summed gradients at once.
# The W_in repeat guard (cbow.step) removes that divergence but costs 2 points of analogy.
MEAN_LR_IN_PER_WINDOW = 1
# W_out's repeat guard (cbow.step) by objective when TrainConfig.repeat_guard_out is None.
# HS: the root of the Huffman tree is on every example's path, the nodes below it on half,
# a quarter, ...: summed over a batch their steps overshoot. On bench-text8 (5 epochs, mean
# update, batch 256) HS scored 12.8% / 0.559 / 0.209 (analogy / ws353 / simlex, final loss
# 32.8 nats) unguarded and 31.6% / 0.692 / 0.266 (loss 7.8) with the guard at 1 (gensim HS:
# 32.1% / 0.690 / 0.274). NS: 0.5 raised analogies by 3 points (two seeds) but lowered
# ws353 and simlex (0.718 / 0.337 -> 0.704 / 0.305), so NS stays unguarded by default.
OUT_GUARD_BY_OBJECTIVE = {"hs": 1.0}


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a training run (CLI flags map one to one).

    Attributes
    ----------
    size : vector size d (word2vec `-size`)
    window : maximum window w; each target draws b ~ U{1..w} (word2vec `-window`)
    objective : "ns" (negative sampling), "hs" (hierarchical softmax), "softmax" (exact)
    negative : noise words per example for NS (word2vec `-negative`)
    sample : subsampling threshold; 0 disables (word2vec `-sample`). 1e-4 (fastText's
        default; word2vec.c's and gensim's is 1e-3): on bench-text8, mean update, 5 epochs,
        two seeds, 1e-4 scored 39.2% / 0.718 / 0.337 (analogy / ws353 / simlex) against
        38.9% / 0.688 / 0.330 for 1e-3, training on fewer words
    min_count : drop words rarer than this (word2vec `-min-count`)
    max_vocab : keep only the most frequent words (None: all)
    epochs : passes over the corpus (word2vec `-iter`)
    alpha : initial learning rate of W_out (word2vec `-alpha`)
    alpha_in : initial learning rate of W_in; None picks `alpha * window^q` for the mean
        update, q = context_power (the exact gradient moves each context row C times less, DESIGN.md §3;
        see MEAN_LR_IN_PER_WINDOW for the measurements behind the factor) and `alpha`
        for the word2vec update
    cbow_update : "mean" (exact gradient through the average) or "word2vec" (classic rule)
    batch_size : examples per minibatch (512: the fastest of 256..2048 for NS on bench-text8, one
        process; analogy after 3 epochs within 0.5 point across 64..4096, scripts/bench.py)
    repeat_guard : power p of W_in's per-row step size: a row occurring n_r times in a
        batch (n_r = the sum of its 1/C weights) takes its summed update times
        max(1, n_r)^(-p); 0 = off, 1 = averaged over its occurrences (cbow.step)
    repeat_guard_out : the same power for W_out, whose row r's count is its number of
        output slots in the batch (NS target and noise slots, HS path nodes: the root of
        the Huffman tree is in every example's path); None picks 1 for HS and 0 otherwise
        (see OUT_GUARD_BY_OBJECTIVE for the measurements)
    context_power : q in [0, 1]: the mean update steps each context row by
        alpha_in * C^(1-q) * (1/C) dL/dh, the exact gradient with a rate growing as
        C^(1-q) (cbow.step, context power); 1 = plain SGD on the exact gradient. Ignored
        by the word2vec update (whose rows all take the full dL/dh). 0.75: on bench-text8
        (5 epochs, 2 workers, seeds 1 and 2; analogy / ws353 / simlex) q = 1 scored
        39.3% / 0.708 / 0.351 and 39.0% / 0.715 / 0.341, q = 0.75 41.0% / 0.713 / 0.344
        and 42.1% / 0.717 / 0.337, q = 0.5 41.5% / 0.707 / 0.333 and 43.0% / 0.703 / 0.326:
        0.75 gains 2.4 points of analogy over 1 and keeps both similarity sets (ws353
        best of the three), 0.5 gains 0.7 more but costs 0.010 / 0.011 of ws353 / simlex.
        HS (batch 256, one process): q = 0.5 33.4% / 0.698 / 0.271, q = 1 31.6% / 0.692 / 0.266;
        `cbow train --hs` uses q = 0.25 (cbow.cli.train.HS_CONTEXT_POWER, with the measurements)
    seed : seed of every random generator of the run
    clip_grad : per-example L2 clip of dL/dh and W_out row gradients (None: off)
    tokenizer : "default" or "whitespace"
    max_sentence_length : longer lines are split into sentences of this many tokens
    encoding_errors : "strict" stops at bytes that are not UTF-8 (naming the line);
        "replace" reads them as U+FFFD with a warning
    holdout : fraction of sentences kept out of training (seeded split); after every epoch
        the exact full-softmax cross-entropy on them is reported (cbow.holdout); 0 = off
    holdout_every : also score the held-out text every N training words within epochs
        (global word counter, before subsampling); 0 = at epoch ends only; needs holdout
    out_vector_weight : beta >= 0: the saved vectors (and `wv`, and the --eval scores) are
        W_in + beta * W_out (cbow.model.word_vectors, with the measurements); 0 = W_in, as
        word2vec and gensim save. Needs word rows in W_out: NS or the full softmax, not HS
    workers : training processes over shared weights (cbow.workers); 1 trains in this
        process, bit-reproducible for a seed. Checkpoints, --eval and --holdout work with
        any number. 0 (cbow.workers.AUTO, the CLI's default): all cores, or one process
        for a run of under 4M training words, where starting workers costs more than it
        saves (resolved in `train`; checkpoints keep the count used). The library's default
        is 1 (multiprocessing needs the caller's `if __name__ == "__main__":` guard)
    """

    size: int = 100
    window: int = 5
    objective: str = "ns"
    negative: int = 5
    sample: float = 1e-4
    min_count: int = 5
    max_vocab: int | None = None
    epochs: int = 5
    alpha: float = 0.05
    alpha_in: float | None = None
    cbow_update: str = "mean"
    batch_size: int = 512
    repeat_guard: float = 0.0
    repeat_guard_out: float | None = None
    context_power: float = 0.75
    seed: int = 1
    clip_grad: float | None = None
    tokenizer: str = "default"
    max_sentence_length: int = 10000
    encoding_errors: str = "strict"
    holdout: float = 0.0
    holdout_every: int = 0
    out_vector_weight: float = 0.0
    workers: int = 1

    def __post_init__(self) -> None:
        checks = [
            (self.size >= 1, f"--size must be >= 1, got {self.size}"),
            (self.window >= 1, f"--window must be >= 1, got {self.window}"),
            (self.objective in OBJECTIVE_NAMES, f"unknown objective {self.objective!r}; choose one of {', '.join(OBJECTIVE_NAMES)}"),
            (self.objective != "ns" or self.negative >= 1, f"negative sampling needs --negative >= 1, got {self.negative}"),
            (self.negative >= 0, f"--negative must be >= 0, got {self.negative}"),
            (self.sample >= 0, f"--sample must be >= 0, got {self.sample}"),
            (self.min_count >= 1, f"--min-count must be >= 1, got {self.min_count}"),
            (self.max_vocab is None or self.max_vocab >= 1, f"--max-vocab must be >= 1, got {self.max_vocab}"),
            (self.epochs >= 1, f"--epochs must be >= 1, got {self.epochs}"),
            (self.alpha > 0 and math.isfinite(self.alpha), f"--alpha must be > 0, got {self.alpha}"),
            (self.alpha_in is None or (self.alpha_in > 0 and math.isfinite(self.alpha_in)), f"--alpha-in must be > 0, got {self.alpha_in}"),
            (self.cbow_update in CBOW_UPDATES, f"unknown --cbow-update {self.cbow_update!r}; choose mean or word2vec"),
            (self.batch_size >= 1, f"--batch-size must be >= 1, got {self.batch_size}"),
            (self.repeat_guard >= 0 and math.isfinite(self.repeat_guard), f"--repeat-guard must be >= 0, got {self.repeat_guard}"),
            (self.repeat_guard_out is None or (self.repeat_guard_out >= 0 and math.isfinite(self.repeat_guard_out)),
             f"--repeat-guard-out must be >= 0, got {self.repeat_guard_out}"),
            (0 <= self.context_power <= 1, f"--context-power must lie in [0, 1], got {self.context_power}"),
            (self.clip_grad is None or self.clip_grad > 0, f"--clip-grad must be > 0, got {self.clip_grad}"),
            (self.max_sentence_length >= 1, f"--max-sentence-length must be >= 1, got {self.max_sentence_length}"),
            (self.encoding_errors in ("strict", "replace"), f"--encoding-errors must be strict or replace, got {self.encoding_errors!r}"),
            (self.out_vector_weight >= 0 and math.isfinite(self.out_vector_weight),
             f"--out-vector-weight must be >= 0, got {self.out_vector_weight}"),
            (self.out_vector_weight == 0 or self.objective != "hs",
             ("--out-vector-weight adds W_out's word rows to the vectors, but with --hs W_out holds Huffman tree "
              "nodes, not words: drop it, or train with negative sampling or --softmax")),
            (self.workers >= 0, f"--workers must be >= 1 (or 0: automatic), got {self.workers}"),
            (0 <= self.holdout <= 0.5, f"--holdout must lie in [0, 50%], got {self.holdout}"),
            (self.holdout_every >= 0, f"--holdout-every must be >= 0 words, got {self.holdout_every}"),
            (self.holdout_every == 0 or self.holdout > 0,
             "--holdout-every scores held-out text, which needs --holdout too; e.g. --holdout 0.5% --holdout-every 1M"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)

    @property
    def lr_in(self) -> float:
        """Initial learning rate of W_in (see `alpha_in`)."""
        if self.alpha_in is not None:
            return self.alpha_in
        if self.cbow_update != "mean":
            return self.alpha
        return self.alpha * (MEAN_LR_IN_PER_WINDOW * self.window) ** self.context_power

    @property
    def out_guard_power(self) -> float:
        """W_out's repeat-guard power in effect (see `repeat_guard_out`)."""
        if self.repeat_guard_out is not None:
            return self.repeat_guard_out
        return OUT_GUARD_BY_OBJECTIVE.get(self.objective, 0.0)

    def to_dict(self) -> dict:
        return asdict(self)


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
    W_in: np.ndarray | None = field(default=None, repr=False, compare=False)
    vocab: Vocab | None = field(default=None, repr=False, compare=False)
    W_out: np.ndarray | None = field(default=None, repr=False, compare=False)
    out_vector_weight: float = field(default=0.0, repr=False, compare=False)

    def to_dict(self) -> dict:
        """The scalar fields (what checkpoints and logs keep), without the live model."""
        return {item.name: getattr(self, item.name) for item in fields(self)
                if item.name not in ("W_in", "vocab", "W_out", "out_vector_weight")}

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


@dataclass
class TrainResult:
    """A trained model: the vocabulary, both matrices, and the per-epoch history."""

    vocab: Vocab
    W_in: np.ndarray
    W_out: np.ndarray
    config: TrainConfig
    epochs: list[EpochReport] = field(default_factory=list)
    loss_history: list[LossPoint] = field(default_factory=list)
    heldout_history: list[HeldoutPoint] = field(default_factory=list)  # with config.holdout
    prepare_seconds: float = 0.0
    train_seconds: float = 0.0
    n_corpus_words: int = 0

    @property
    def epoch_losses(self) -> list[float]:
        return [report.mean_loss for report in self.epochs]

    @property
    def wv(self) -> KeyedVectors:
        """The word vectors as KeyedVectors (gensim's `model.wv`): W_in, or W_in +
        out_vector_weight * W_out when the config sets that weight."""
        vectors = word_vectors(self.W_in, self.W_out, self.config.out_vector_weight)
        return KeyedVectors(list(self.vocab.words), vectors, counts=self.vocab.counts)


def build_output_layer(vocab: Vocab, config: TrainConfig) -> tuple[OutputLayer, int]:
    """The objective's lookup tables and the number of W_out rows it needs."""
    if config.objective == "ns":
        noise = vocab.noise_distribution(0.75)
        noise_cdf = np.cumsum(noise)
        noise_cdf /= noise_cdf[-1]
        sampler = AliasSampler.from_probabilities(noise)
        return OutputLayer("ns", negative=config.negative, noise_cdf=noise_cdf,
                           noise_sampler=sampler), len(vocab)
    if config.objective == "hs":
        tree = vocab.huffman()
        return OutputLayer("hs", huffman=tree, huffman_paths=HuffmanPaths.from_tree(tree)), len(vocab) - 1
    return OutputLayer("softmax"), len(vocab)


def learning_rate(alpha: float, words_done: int, words_total: int) -> float:
    """Linear decay from alpha to alpha * 1e-4 over the whole run (word2vec.c)."""
    fraction = min(1.0, words_done / max(1, words_total))
    return alpha * max(MIN_LR_FRACTION, 1.0 - fraction)


def prepare(
    source, config: TrainConfig, progress: bool = False, cache_dir: str | Path | None = None
) -> tuple[Vocab, EncodedCorpus]:
    """Read, count and encode the corpus once (the stage before any epoch).

    With `cache_dir`, a file or directory source is looked up in the encoded-corpus cache
    first and stored there after encoding (cbow.cache); the ids then come back memory-mapped.
    """
    key = None
    if cache_dir is not None:
        key = corpus_cache.cache_key(source, config.tokenizer, config.min_count, config.max_vocab,
                                     config.max_sentence_length)
        cached = corpus_cache.load(cache_dir, key) if key is not None else None
        if cached is not None:
            return cached
    settings = dict(tokenizer=config.tokenizer, min_count=config.min_count, max_vocab=config.max_vocab,
                    max_sentence_length=config.max_sentence_length, progress=progress,
                    encoding_errors=config.encoding_errors)
    staging = corpus_cache.new_staging(cache_dir) if key is not None else None
    if staging is not None:
        # Encode straight into a cache entry: the ids go through files, never all in RAM.
        try:
            vocab, encoded = read_and_encode(source, **settings, ids_path=staging / corpus_cache.IDS_FILE)
        except OutputError as exc:  # e.g. the cache's disk is full: read again, in memory
            logger.warning("%s; encoding in memory instead", exc)
            shutil.rmtree(staging, ignore_errors=True)
        except BaseException:  # a bad corpus, Ctrl-C, SIGTERM: no half entry left behind
            shutil.rmtree(staging, ignore_errors=True)
            raise
        else:
            if corpus_cache.store(cache_dir, key, vocab, encoded, staging) is not None:
                # Reopen from the entry: the memmap in hand still names the renamed staging
                # path, and worker processes map the corpus by its file name.
                cached = corpus_cache.load(cache_dir, key)
                if cached is not None:
                    return cached
            # not stored: the mapped file is (or is about to be) unlinked; keep a copy in memory
            shutil.rmtree(staging, ignore_errors=True)
            return vocab, replace(encoded, word_ids=np.array(encoded.word_ids))
    vocab, encoded = read_and_encode(source, **settings)
    if key is not None and corpus_cache.store(cache_dir, key, vocab, encoded) is not None:
        # Continue from the memory-mapped copy: the in-memory ids are freed, and worker
        # processes map the file instead of receiving a copy.
        cached = corpus_cache.load(cache_dir, key)
        if cached is not None:
            return cached
    return vocab, encoded


def train(
    source: str | Path | Iterable[str] | None = None,
    config: TrainConfig | None = None,
    *,
    vocab: Vocab | None = None,
    encoded: EncodedCorpus | None = None,
    progress: bool = False,
    on_epoch_end: Callable[[EpochReport], None] | None = None,
    on_heldout: Callable[[HeldoutPoint], None] | None = None,
    checkpointer: Checkpointer | None = None,
    resume: Checkpoint | None = None,
    cache_dir: str | Path | None = None,
) -> TrainResult:
    """Train CBOW vectors.

    Parameters
    ----------
    source : path of a text file, .gz, .bz2, directory, "-" (stdin), or an iterable of
        lines. Ignored when `vocab` and `encoded` are given.
    config : settings (defaults: `TrainConfig()`)
    vocab, encoded : an already counted and encoded corpus (skip reading)
    progress : show a tqdm bar on stderr (words/s, loss, lr)
    on_epoch_end : called with an EpochReport after every epoch
    on_heldout : with `config.holdout`, called with each HeldoutPoint as it is scored (every
        `config.holdout_every` words, and at each epoch's end just before `on_epoch_end`)
    checkpointer : saves checkpoints (periodically, at epoch ends, on Ctrl-C); see
        `cbow.checkpoint`
    resume : a loaded checkpoint of this config and corpus: training continues from it
        and ends bit-identical to an uninterrupted run (one worker; with several, the same
        schedule, not the same bits). `config.workers` may differ from the checkpoint's,
        except for a checkpoint saved mid-epoch (CheckpointError names the --workers)
    cache_dir : if given, reuse/store the encoded corpus there (cbow.cache); None: no cache

    Returns
    -------
    TrainResult with `wv` (KeyedVectors), `W_in`, `W_out`, `epoch_losses`.

    Raises
    ------
    ConfigError, CorpusError, VocabError : bad settings or input
    Diverged : the loss or the weights became NaN/inf; nothing is returned (the last
        checkpoint, written before the divergence, is kept)
    CheckpointError : `resume` belongs to another corpus or config
    TrainingInterrupted : Ctrl-C under `checkpointer.catch_interrupts()`; a checkpoint was saved
    """
    config = config or TrainConfig()
    started = time.perf_counter()
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
    if config.workers == AUTO:  # from here on (checkpoints too) the count actually used
        config = replace(config, workers=workers_for_run(AUTO, len(vocab), config.size, encoded.word_ids,
                                                         encoded.sentence_offsets, config.epochs))
        logger.info("training with %d worker process(es)", config.workers)

    output, n_out_rows = build_output_layer(vocab, config)
    keep_prob = vocab.keep_probabilities(config.sample) if config.sample > 0 else None
    expected_kept = len(encoded.word_ids) if keep_prob is None else float(vocab.counts @ keep_prob)
    check_training_memory(len(vocab), config, len(encoded.word_ids), encoded.n_sentences, expected_kept)
    if checkpointer is not None or resume is not None:
        fingerprint = corpus_fingerprint(vocab, encoded.word_ids, encoded.sentence_offsets,
                                         encoded.n_raw_tokens)
    # the workers' slices of the corpus; [None]: this process trains (one worker, or one sentence)
    slices = split_sentences(encoded.sentence_offsets, config.workers) if config.workers > 1 else []
    slices = slices if len(slices) > 1 else [None]
    if resume is not None:
        check_compatible(resume, config.to_dict(), fingerprint,
                         f"the corpus given{'' if source is None else f' ({source})'}", TrainConfig().to_dict())
        _check_resume_workers(resume, slices, config)
        W_in = np.array(resume.state.W_in, dtype=np.float32)
        W_out = np.array(resume.state.W_out, dtype=np.float32)
    else:
        init_rng = np.random.default_rng([config.seed, 0])
        W_in, W_out = init_weights(len(vocab), config.size, n_out_rows, init_rng)
    if checkpointer is not None:
        checkpointer.bind(config.to_dict(), vocab, fingerprint, len(encoded.word_ids) * config.epochs)

    result = TrainResult(vocab, W_in, W_out, config, prepare_seconds=prepare_seconds,
                         n_corpus_words=len(encoded.word_ids))
    first_epoch = 0
    if resume is not None:
        first_epoch = resume.state.epoch
        result.epochs = [EpochReport(**report) for report in resume.state.epochs]
        result.loss_history = [LossPoint(**point) for point in resume.state.loss_history]
        result.heldout_history = [HeldoutPoint(**point) for point in resume.state.heldout_history]
    monitor = None
    if heldout is not None:
        monitor = HeldoutMonitor(W_in, W_out, heldout, config.objective, config.window, output.huffman,
                                 config.holdout_every, HOLDOUT_MAX_WORDS, len(encoded.word_ids),
                                 result.heldout_history, on_heldout)
    words_per_epoch = len(encoded.word_ids)
    words_total = words_per_epoch * config.epochs
    if config.holdout_every and words_total > HOLDOUT_MAX_SCORES * config.holdout_every:
        logger.warning("--holdout-every %d scores the held-out text about %s times in this run of %s words, "
                       "each taking as long as training some 100k words; raise N to train faster",
                       config.holdout_every, f"{words_total // config.holdout_every:,}", f"{words_total:,}")
    bar = _progress_bar(words_total, progress)
    if bar is not None and resume is not None:
        bar.update(resume.state.words_done)
    train_started = time.perf_counter()
    try:
        if len(slices) > 1:
            from cbow.training.parallel.engine import train_in_workers  # imports this module's types

            train_in_workers(W_in, W_out, vocab, encoded, keep_prob, output, config, result, bar, on_epoch_end,
                             first_epoch=first_epoch, resume_state=resume.state if resume is not None else None,
                             monitor=monitor, checkpointer=checkpointer)
        else:
            for epoch in range(len(result.epochs), config.epochs):
                resume_state = resume.state if resume is not None and epoch == first_epoch else None
                report = _train_epoch(epoch, W_in, W_out, encoded, keep_prob, output, config,
                                      words_total, bar, result, checkpointer, resume_state,
                                      monitor.before_batch if monitor is not None and config.holdout_every else None)
                end_epoch(epoch, report, W_in, W_out, vocab, config, words_per_epoch, result, monitor,
                          on_epoch_end, checkpointer)
    finally:
        if bar is not None:
            bar.close()
    result.train_seconds = time.perf_counter() - train_started
    return result


def end_epoch(epoch: int, report: EpochReport, W_in: np.ndarray, W_out: np.ndarray, vocab: Vocab,
              config: TrainConfig, words_per_epoch: int, result: TrainResult, monitor: HeldoutMonitor | None,
              on_epoch_end: Callable[[EpochReport], None] | None, checkpointer: Checkpointer | None) -> None:
    """What follows every epoch (0-based `epoch`), in one process or with the workers held
    at the epoch barrier: the held-out score, the report kept and logged, `on_epoch_end`
    (where --eval scores the live vectors), then the epoch-end checkpoint."""
    report.words_done = words_per_epoch * (epoch + 1)
    report.W_in, report.vocab = W_in, vocab
    report.W_out, report.out_vector_weight = W_out, config.out_vector_weight
    if monitor is not None:
        point = monitor.at_epoch_end(report.words_done, report.lr_end, report.mean_loss)
        report.heldout_nats, report.heldout_perplexity = point.nats, point.perplexity
    result.epochs.append(report)
    logger.info("epoch %d/%d: mean loss %.4f, %.0f words/s", epoch + 1, config.epochs,
                report.mean_loss, report.words_per_second)
    if on_epoch_end is not None:
        on_epoch_end(report)
    if checkpointer is not None:
        words_total = words_per_epoch * config.epochs
        checkpointer.at_epoch_end(lambda: _state_at_epoch_end(epoch, W_in, W_out, config, words_per_epoch,
                                                              words_total, result))


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


def loss_diverged(loss: float, n_examples: int) -> bool:
    """True when a batch's summed loss is not finite or above DIVERGED_LOSS_PER_EXAMPLE per example.

    A run can blow up without reaching inf: rows grown to norms of 1e8 give finite scores
    of 1e16, and a loss of that size trains nothing (seen with --sample 0 at a high rate).
    """
    return not (math.isfinite(loss) and loss <= DIVERGED_LOSS_PER_EXAMPLE * max(1, n_examples))


def divergence_advice(config: TrainConfig) -> str:
    """The flags that tame a diverging run, with their values."""
    return (f"lower --alpha (now {config.alpha:g}), --alpha-in (now {config.lr_in:g}) or --batch-size "
            f"(now {config.batch_size}), or set --clip-grad")


def make_step(W_in: np.ndarray, output: OutputLayer, config: TrainConfig) -> Callable[..., float]:
    """step(W_in, W_out, batch, lr_in, lr_out, rng) -> loss: the fused step, or the reference
    `sgd_step` for clipped gradients (same update)."""
    if USE_FUSED_STEP and config.clip_grad is None:
        workspace = Workspace(W_in.shape[1], W_in.dtype)

        def step(W_in, W_out, batch, lr_in, lr_out, rng) -> float:
            return fused_step(W_in, W_out, batch, output, lr_in, lr_out, rng,
                              config.cbow_update, workspace, config.repeat_guard,
                              config.out_guard_power, config.context_power)
    else:
        def step(W_in, W_out, batch, lr_in, lr_out, rng) -> float:
            return sgd_step(W_in, W_out, batch, output, lr_in, lr_out, rng,
                            config.cbow_update, config.clip_grad, config.repeat_guard,
                            config.out_guard_power, config.context_power)
    return step


def _train_epoch(
    epoch: int,
    W_in: np.ndarray,
    W_out: np.ndarray,
    encoded: EncodedCorpus,
    keep_prob: np.ndarray | None,
    output: OutputLayer,
    config: TrainConfig,
    words_total: int,
    bar,
    result: TrainResult,
    checkpointer: Checkpointer | None = None,
    resume_state: TrainState | None = None,
    before_batch: Callable[[int, float, float], float] | None = None,
) -> EpochReport:
    """One pass over the corpus; raises Diverged at the first non-finite loss.

    `before_batch(words_done, lr_out, epoch_mean_loss)`, if given, runs before each batch
    (the in-epoch held-out score, `HeldoutMonitor.before_batch`); the seconds it returns
    are left out of the epoch's time. It must not draw from the training streams.

    Appends a LossPoint to `result.loss_history` every ~1/200 of the run (and at the
    epoch's end). Two random streams, so a checkpoint can resume exactly: `batch_rng`
    (subsampling, window sizes) is re-seeded per epoch and replayed on resume, skipping
    the batches already applied; `noise_rng` (negative samples) has its state saved.
    """
    loss_history = result.loss_history
    batch_rng = np.random.default_rng([config.seed, 1, epoch])
    noise_rng = np.random.default_rng([config.seed, 2, epoch])
    words_per_epoch = len(encoded.word_ids)
    words_before = epoch * words_per_epoch
    started = time.perf_counter()
    paused = 0.0  # seconds spent in before_batch
    loss_sum, n_examples, last_words_done, n_batches = 0.0, 0, 0, 0
    interval_loss, interval_examples = 0.0, 0
    record_every = max(1, words_total // 200)
    next_record = words_before + record_every
    lr_out = learning_rate(config.alpha, words_before, words_total)
    lr_in = learning_rate(config.lr_in, words_before, words_total)
    batches = iter_batches(encoded.word_ids, encoded.sentence_offsets, config.window,
                           config.batch_size, batch_rng, keep_prob)
    if resume_state is not None and resume_state.batches_done:
        # Replay the epoch's batch stream up to the saved position (no training on them).
        n_batches = resume_state.batches_done
        batches = itertools.islice(batches, n_batches, None)
        noise_rng.bit_generator.state = resume_state.noise_rng_state
        loss_sum, n_examples = resume_state.epoch_loss_sum, resume_state.epoch_examples
        interval_loss, interval_examples = resume_state.interval_loss, resume_state.interval_examples
        next_record = resume_state.next_record
        last_words_done = resume_state.words_done - words_before
        lr_out = learning_rate(config.alpha, resume_state.words_done, words_total)
        lr_in = learning_rate(config.lr_in, resume_state.words_done, words_total)

    def state_now() -> TrainState:
        return TrainState(
            epoch=epoch, batches_done=n_batches, words_done=words_before + last_words_done,
            lr_in=lr_in, lr_out=lr_out, noise_rng_state=noise_rng.bit_generator.state,
            epoch_loss_sum=loss_sum, epoch_examples=n_examples, interval_loss=interval_loss,
            interval_examples=interval_examples, next_record=next_record, W_in=W_in, W_out=W_out,
            epochs=[report.to_dict() for report in result.epochs],
            loss_history=[asdict(point) for point in loss_history],
            heldout_history=[asdict(point) for point in result.heldout_history],
        )

    step = make_step(W_in, output, config)
    for batch in batches:
        if before_batch is not None:
            paused += before_batch(words_before + last_words_done, lr_out, loss_sum / max(1, n_examples))
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is caught below
            loss = step(W_in, W_out, batch, lr_in, lr_out, noise_rng)
        if loss_diverged(loss, len(batch)):
            percent = 100.0 * batch.words_done / max(1, words_per_epoch)
            raise Diverged(
                f"training diverged in epoch {epoch + 1} at {percent:.0f}% (loss {loss / len(batch):.3g} "
                f"nats per example); " + divergence_advice(config)
            )
        loss_sum += loss
        n_examples += len(batch)
        interval_loss += loss
        interval_examples += len(batch)
        words_done = words_before + batch.words_done
        if words_done >= next_record:
            loss_history.append(LossPoint(epoch + 1, words_done, interval_loss / interval_examples, lr_out))
            interval_loss, interval_examples = 0.0, 0
            next_record = words_done + record_every
        lr_out = learning_rate(config.alpha, words_done, words_total)
        lr_in = learning_rate(config.lr_in, words_done, words_total)
        if bar is not None:
            bar.update(batch.words_done - last_words_done)
            bar.set_postfix(loss=f"{loss / len(batch):.3f}", lr=f"{lr_out:.2e}", refresh=False)
        last_words_done = batch.words_done
        n_batches += 1
        if checkpointer is not None:
            checkpointer.after_batch(state_now, words_before + last_words_done)
    if bar is not None:
        bar.update(words_per_epoch - last_words_done)
    if interval_examples:
        loss_history.append(LossPoint(epoch + 1, words_before + words_per_epoch,
                                      interval_loss / interval_examples, lr_out))
    if not (np.isfinite(W_in).all() and np.isfinite(W_out).all()):
        raise Diverged(
            f"training diverged in epoch {epoch + 1}: the weights hold NaN or inf; "
            + divergence_advice(config)
        )
    seconds = time.perf_counter() - started - paused
    return EpochReport(
        epoch=epoch + 1,
        mean_loss=loss_sum / max(1, n_examples),
        n_examples=n_examples,
        seconds=seconds,
        words_per_second=words_per_epoch / max(seconds, 1e-9),
        lr_end=lr_out,
    )


def _state_at_epoch_end(epoch: int, W_in: np.ndarray, W_out: np.ndarray, config: TrainConfig,
                        words_per_epoch: int, words_total: int, result: TrainResult) -> TrainState:
    """The state after `epoch` finished: the next epoch starts from its own seeds."""
    words_done = (epoch + 1) * words_per_epoch
    record_every = max(1, words_total // 200)
    return TrainState(
        epoch=epoch + 1, batches_done=0, words_done=words_done,
        lr_in=learning_rate(config.lr_in, words_done, words_total),
        lr_out=learning_rate(config.alpha, words_done, words_total), noise_rng_state=None,
        epoch_loss_sum=0.0, epoch_examples=0, interval_loss=0.0, interval_examples=0,
        next_record=words_done + record_every, W_in=W_in, W_out=W_out,
        epochs=[report.to_dict() for report in result.epochs],
        loss_history=[asdict(point) for point in result.loss_history],
        heldout_history=[asdict(point) for point in result.heldout_history],
    )


def _progress_bar(total_words: int, enabled: bool):
    """A tqdm bar counting corpus words (before subsampling), or None when disabled."""
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total_words, unit="w", unit_scale=True, desc="training",
                dynamic_ncols=True, mininterval=0.5)
