"""Dry run of a training run: vocabulary, tokens kept, memory and time, before committing to it.

`cbow plan CORPUS [train flags]` (and `cbow train --plan`) reads the corpus once, then
reports what the run would be:

- vocabulary size V after --min-count / --max-vocab, tokens N kept in the vocabulary;
- tokens per epoch after subsampling, in expectation: sum_w count_w * keep_w, with keep_w
  word2vec.c's keep probability (`Vocab.keep_probabilities`);
- memory of the run, component by component (`cbow.training.memory.memory_estimate`);
- an ETA from a short timed probe: `cbow.train` on the first sentences of the corpus
  (about `probe_seconds` of work) with the same settings in one process (starting worker
  processes alone takes about a second each, longer than the probe), giving corpus words
  per second; with --workers N > 1 the plan says the run will be faster than that ETA.

It never allocates the run's weights: the counting pass holds the encoded ids (4 bytes a
token, what training holds too) and the probe trains on a slice. When W_in and W_out
would exceed `PROBE_WEIGHT_LIMIT`, the probe uses the most frequent words only (their ids
are the lowest, so the slice is just filtered) and says so: the ETA is then rougher.

The memory model of a run is `cbow.training.memory.memory_estimate` (documented there).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from cbow.data.corpus import total_size
from cbow.data.encode import EncodedCorpus
from cbow.training.memory import MemoryEstimate, memory_estimate
from cbow.training.config import TrainConfig
from cbow.data.prepare import prepare
from cbow.training.loop import train
from cbow.data.vocab import Vocab
from cbow.training.parallel.pool import workers_for_run

logger = logging.getLogger(__name__)

__all__ = ["Plan", "make_plan", "format_plan"]

PROBE_WEIGHT_LIMIT = 512 * 2**20  # bytes of W_in + W_out the probe may allocate
@dataclass
class Plan:
    """What a training run would be (see the module docstring)."""

    config: TrainConfig
    vocab_size: int
    n_raw_tokens: int
    n_tokens: int
    n_sentences: int
    expected_tokens_after_sampling: float
    memory: MemoryEstimate
    reading_seconds: float
    probe_words: int = 0
    probe_seconds: float = 0.0
    probe_vocab_size: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def words_per_second(self) -> float:
        return self.probe_words / self.probe_seconds if self.probe_seconds > 0 else math.nan

    @property
    def eta_seconds(self) -> float:
        """Training time: epochs x corpus words / probed words per second (reading excluded)."""
        return self.config.epochs * self.n_tokens / self.words_per_second

    def to_dict(self) -> dict:
        return {
            "vocab_size": self.vocab_size, "n_raw_tokens": self.n_raw_tokens, "n_tokens": self.n_tokens,
            "n_sentences": self.n_sentences, "expected_tokens_after_sampling": self.expected_tokens_after_sampling,
            "memory_bytes": dict(self.memory.components, reading_peak=self.memory.reading_peak,
                                 total=self.memory.total),
            "reading_seconds": self.reading_seconds, "words_per_second": self.words_per_second,
            "eta_seconds": self.eta_seconds, "probe_vocab_size": self.probe_vocab_size, "notes": self.notes,
        }


def _slice(corpus: EncodedCorpus, n_words: int) -> EncodedCorpus:
    """The first whole sentences of `corpus` holding at least `n_words` tokens (all if fewer)."""
    offsets = corpus.sentence_offsets
    n_sentences = min(corpus.n_sentences, int(np.searchsorted(offsets, n_words, side="left")) or 1)
    stop = int(offsets[n_sentences])
    return EncodedCorpus(corpus.word_ids[:stop], offsets[:n_sentences + 1].copy(), stop)


def _restricted(vocab: Vocab, corpus: EncodedCorpus, n_words: int) -> tuple[Vocab, EncodedCorpus]:
    """The `n_words` most frequent words and the corpus without the others (ids unchanged)."""
    small = Vocab.from_counts(list(vocab.words[:n_words]), vocab.counts[:n_words], min_count=1)
    keep = corpus.word_ids < n_words
    lengths = np.add.reduceat(keep, corpus.sentence_offsets[:-1]) if corpus.n_words else np.zeros(0, int)
    lengths = lengths[lengths > 0]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return small, EncodedCorpus(corpus.word_ids[keep], offsets, int(keep.sum()))


def probe_speed(vocab: Vocab, corpus: EncodedCorpus, config: TrainConfig,
                probe_seconds: float = 1.5) -> tuple[int, float, int]:
    """Train on growing slices of the corpus until one takes >= probe_seconds / 2.

    Returns
    -------
    (words trained, seconds of training, vocabulary size used by the probe)
    """
    weight_bytes = 8 * len(vocab) * config.size
    if weight_bytes > PROBE_WEIGHT_LIMIT:
        vocab, corpus = _restricted(vocab, corpus, PROBE_WEIGHT_LIMIT // (8 * config.size))
    probe_config = replace(config, epochs=1, workers=1)
    n_words = 20_000
    while True:
        piece = _slice(corpus, n_words)
        result = train(config=probe_config, vocab=vocab, encoded=piece)
        seconds = result.train_seconds
        logger.info("speed probe: %d words in %.2f s", piece.n_words, seconds)
        if seconds >= probe_seconds / 2 or piece.n_words >= corpus.n_words:
            return piece.n_words, seconds, len(vocab)
        n_words = int(piece.n_words * min(8.0, max(2.0, probe_seconds / max(seconds, 1e-3))))


def make_plan(source, config: TrainConfig | None = None, probe_seconds: float = 1.5,
              progress: bool = False, cache_dir: str | Path | None = None) -> Plan:
    """Read the corpus once and plan a run with `config` (see the module docstring).

    Parameters
    ----------
    source : what `cbow.train` reads (path, directory, "-", iterable of lines)
    config : the run's settings
    probe_seconds : about how long the timed probe trains (0 skips it: no ETA)
    progress : a progress bar for the reading pass
    cache_dir : the encoded-corpus cache (cbow.data.cache) a `train` with the same cache will
        use: the reading is stored there (the run then skips it) and memory is estimated
        for a corpus mapped from it; None reads into memory, as `train` without a cache
    """
    config = config or TrainConfig()
    started = time.perf_counter()
    vocab, corpus = prepare(source, config, progress, cache_dir)
    reading_seconds = time.perf_counter() - started
    config = replace(config, workers=workers_for_run(config.workers, len(vocab), config.size, corpus.word_ids,
                                                     corpus.sentence_offsets, config.epochs))
    expected_kept = float(np.sum(vocab.counts * vocab.keep_probabilities(config.sample)))
    memory = run_memory(vocab, corpus, config, source)
    plan = Plan(config, len(vocab), corpus.n_raw_tokens, corpus.n_words, corpus.n_sentences,
                expected_kept, memory, reading_seconds)
    if probe_seconds > 0:
        plan.probe_words, plan.probe_seconds, plan.probe_vocab_size = probe_speed(vocab, corpus, config, probe_seconds)
        if plan.probe_vocab_size < len(vocab):
            plan.notes.append(f"speed probed with the {plan.probe_vocab_size:,} most frequent words only "
                              "(the full weights are too big to allocate for a probe); the ETA is rougher")
        if plan.probe_words >= corpus.n_words:
            plan.notes.append("the probe trained on the whole corpus: it is small, the ETA is rough")
        if config.workers > 1:
            plan.notes.append(f"speed and time are for one process; the run's {config.workers} workers "
                              f"train faster, by less than {config.workers} times")
    return plan


def run_memory(vocab: Vocab, corpus: EncodedCorpus, config: TrainConfig, source=None) -> MemoryEstimate:
    """`memory_estimate` of a run of `config` (its worker count resolved) on this encoded
    corpus, read from `source` (a path sizes the reading blocks; anything else: English)."""
    max_code_length = int(vocab.huffman_paths().lengths.max()) if config.objective == "hs" and len(vocab) >= 2 else None
    n_bytes = total_size(source)  # None for stdin and text in memory
    bytes_per_token = n_bytes / corpus.n_raw_tokens if n_bytes else None
    if n_bytes and str(source).endswith((".gz", ".bz2", ".xz")):
        bytes_per_token = None  # compressed size: blocks are counted in decompressed bytes
    return memory_estimate(len(vocab), config, corpus.n_words, corpus.n_sentences,
                           n_raw_tokens=corpus.n_raw_tokens, max_code_length=max_code_length,
                           bytes_per_token=bytes_per_token, mapped_corpus=isinstance(corpus.word_ids, np.memmap))


def _size(n_bytes: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n_bytes) < 1024 or unit == "TiB":
            return f"{n_bytes:.0f} {unit}" if unit == "B" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    raise AssertionError("unreachable")


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "unknown"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def format_plan(plan: Plan, source_name: str | Path) -> list[str]:
    """The plan as lines for people."""
    config = plan.config
    lines = [
        f"plan for {source_name}: {config.objective}, size {config.size}, window {config.window}, "
        f"epochs {config.epochs}, min-count {config.min_count}, sample {config.sample:g}, workers {config.workers}",
        f"vocabulary           {plan.vocab_size:,} words",
        f"tokens read          {plan.n_raw_tokens:,}",
        f"after min-count      {plan.n_tokens:,} ({100 * plan.n_tokens / max(1, plan.n_raw_tokens):.1f}%) "
        f"in {plan.n_sentences:,} sentences",
        f"after subsampling    {plan.expected_tokens_after_sampling:,.0f} per epoch, expected "
        f"({100 * plan.expected_tokens_after_sampling / max(1, plan.n_tokens):.1f}%)",
        "memory:",
    ]
    for name, n_bytes in plan.memory.components.items():
        lines.append(f"  {name:20s} {_size(n_bytes):>12s}")
    lines.append(f"  {'training total':20s} {_size(plan.memory.training):>12s}")
    lines.append(f"  {'reading peak':20s} {_size(plan.memory.reading_peak):>12s}  (before training)")
    lines.append(f"  {'peak':20s} {_size(plan.memory.total):>12s}")
    lines.append(f"reading the corpus   {plan.reading_seconds:.1f} s")
    if plan.probe_seconds > 0:
        lines.append(f"speed                {plan.words_per_second:,.0f} words/s "
                     f"(probe: {plan.probe_words:,} words in {plan.probe_seconds:.1f} s)")
        lines.append(f"estimated time       {_duration(plan.eta_seconds)} for {config.epochs} epochs "
                     "(plus reading)")
    lines += [f"note: {note}" for note in plan.notes]
    return lines
