"""Dry run of a training run: vocabulary, tokens kept, memory and time, before committing to it.

`cbow plan CORPUS [train flags]` (and `cbow train --plan`) reads the corpus once, then
reports what the run would be:

- vocabulary size V after --min-count / --max-vocab, tokens N kept in the vocabulary;
- tokens per epoch after subsampling, in expectation: sum_w count_w * keep_w, with keep_w
  word2vec.c's keep probability (`Vocab.keep_probabilities`);
- memory of the run, component by component (`memory_estimate`, below);
- an ETA from a short timed probe: `cbow.train.train` on the first sentences of the corpus
  (about `probe_seconds` of work) with the same settings, giving corpus words per second.

It never allocates the run's weights: the counting pass holds the encoded ids (4 bytes a
token, what training holds too) and the probe trains on a slice. When W_in and W_out
would exceed `PROBE_WEIGHT_LIMIT`, the probe uses the most frequent words only (their ids
are the lowest, so the slice is just filtered) and says so: the ETA is then rougher.

Memory model of a run (bytes; V words, d dims, N tokens, S sentences, N' = expected
tokens kept by subsampling, w window, B batch size, K negatives, L longest Huffman path):

    W_in                     4 V d                   float32
    W_out                    4 V d  (HS: 4 (V-1) d)
    encoded corpus           4 N + 8 (S + 1)         int32 ids, int64 sentence offsets
    epoch arrays             8 N + 20 N'             sentence id of every token, then the
                                                     kept ids, their sentence ids and positions
    window chunk             ~40 (2w) CHUNK          windows.py builds 65,536 targets at a time:
                                                     int64 positions, gathers, masks, ids
    batch buffers            NS 8 B (K+1) d          gathered W_out rows and their gradients
                             HS 8 B L d              the same along the Huffman paths
                             softmax 12 B V + 8 V d  scores and the two temporaries of their
                                                     logsumexp; the dense dL/dW_out and lr times it
    vocabulary tables        ~100 V (+ 5 V L for HS)  words, counts, keep/noise tables

and the reading pass (cbow.encode.read_and_encode) peaks, before training starts, at

    24 MiB + 155 T_block + 8 N_raw + 8 S + 150 V_distinct

with T_block the tokens of one 4 MiB block of text (cbow.corpus.BLOCK_SIZE): its hash
table, the per-token arrays of one block, two copies of the ids and the dict of words.
The constants 40 and 155 count the arrays the code holds (windows.py, encode.py) and were
checked against ru_maxrss (tests/test_plan.py); they follow that code, so revisit them
when it changes. The estimate is the larger of the reading peak and the training total.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from cbow.corpus import BLOCK_SIZE, total_size
from cbow.encode import EncodedCorpus
from cbow.train import TrainConfig, prepare, train
from cbow.vocab import Vocab
from cbow.windows import CHUNK_TARGETS

logger = logging.getLogger(__name__)

__all__ = ["Plan", "MemoryEstimate", "memory_estimate", "make_plan", "format_plan"]

PROBE_WEIGHT_LIMIT = 512 * 2**20  # bytes of W_in + W_out the probe may allocate
BYTES_PER_DISTINCT_WORD = 150  # the reading pass's dict entry + str object, CPython 3.10+
BYTES_PER_VOCAB_WORD = 100  # Vocab: the word str, index dict entry, counts, tables
CHUNK_BYTES_PER_SLOT = 40  # windows.build_examples: bytes per (target, context slot)
READ_TABLE_BYTES = 24 * 2**20  # encode.py's ASCII fast path: 2**20-slot hash table, 24 B a slot
DEFAULT_BYTES_PER_TOKEN = 6.0  # English: ~700k tokens per 4 MiB block (corpus.py)
READ_BYTES_PER_BLOCK_TOKEN = 155  # encode.py: spans, 8-byte keys, hashes, slots, ids of a block's tokens


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes of each part of a run; `total` is what the process will need at its peak."""

    components: dict[str, int]
    reading_peak: int

    @property
    def training(self) -> int:
        return sum(self.components.values())

    @property
    def total(self) -> int:
        return max(self.training, self.reading_peak)


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


def memory_estimate(
    vocab_size: int,
    config: TrainConfig,
    n_tokens: int,
    n_sentences: int,
    expected_kept: float,
    n_raw_tokens: int | None = None,
    n_distinct: int | None = None,
    max_code_length: int | None = None,
    bytes_per_token: float | None = None,
) -> MemoryEstimate:
    """Bytes of a run with these sizes (the model is in the module docstring).

    Parameters
    ----------
    vocab_size : V
    config : the run's settings (size, window, objective, negative, batch_size)
    n_tokens : N, in-vocabulary tokens
    n_sentences : S
    expected_kept : N', tokens kept per epoch by subsampling (expected)
    n_raw_tokens : tokens read before dropping rare words (default N)
    n_distinct : distinct words in the text (default V)
    max_code_length : longest Huffman path (default ceil(log2 V) + 4)
    bytes_per_token : bytes of text per token read, which sizes the reading blocks
        (default 6, English text with its spaces)
    """
    V, d, B = vocab_size, config.size, config.batch_size
    n_raw_tokens = n_tokens if n_raw_tokens is None else n_raw_tokens
    n_distinct = vocab_size if n_distinct is None else n_distinct
    if max_code_length is None:
        max_code_length = int(math.ceil(math.log2(max(V, 2)))) + 4
    n_out_rows = V - 1 if config.objective == "hs" else V
    if config.objective == "ns":  # the gathered W_out rows (kept in the cache) and their gradients
        batch = 8 * B * (config.negative + 1) * d
    elif config.objective == "hs":  # the same along the paths, padded to the longest one
        batch = 8 * B * max_code_length * d
    else:  # scores and the two temporaries of their logsumexp (B x V); dL/dW_out and lr * it (V x d)
        batch = 12 * B * V + 8 * V * d
    tables = BYTES_PER_VOCAB_WORD * V + (5 * V * max_code_length if config.objective == "hs" else 0)
    components = {
        "W_in": 4 * V * d,
        "W_out": 4 * n_out_rows * d,
        "encoded corpus": 4 * n_tokens + 8 * (n_sentences + 1),
        "epoch arrays": int(8 * n_tokens + 20 * expected_kept),
        "window chunk": CHUNK_BYTES_PER_SLOT * 2 * config.window * min(CHUNK_TARGETS, max(1, n_tokens)),
        "batch buffers": batch,
        "vocabulary tables": tables,
    }
    bytes_per_token = DEFAULT_BYTES_PER_TOKEN if bytes_per_token is None else bytes_per_token
    block_tokens = min(n_raw_tokens, BLOCK_SIZE / bytes_per_token)
    reading_peak = int(READ_TABLE_BYTES + READ_BYTES_PER_BLOCK_TOKEN * block_tokens + 8 * n_raw_tokens
                       + 8 * (n_sentences + 1) + BYTES_PER_DISTINCT_WORD * n_distinct)
    return MemoryEstimate(components, reading_peak)


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
    probe_config = replace(config, epochs=1)
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
              progress: bool = False) -> Plan:
    """Read the corpus once and plan a run with `config` (see the module docstring).

    Parameters
    ----------
    source : what `cbow.train.train` reads (path, directory, "-", iterable of lines)
    config : the run's settings
    probe_seconds : about how long the timed probe trains (0 skips it: no ETA)
    progress : a progress bar for the reading pass
    """
    config = config or TrainConfig()
    started = time.perf_counter()
    vocab, corpus = prepare(source, config, progress)
    reading_seconds = time.perf_counter() - started
    keep = vocab.keep_probabilities(config.sample)
    expected_kept = float(np.sum(vocab.counts * keep))
    max_code_length = int(vocab.huffman().lengths.max()) if config.objective == "hs" and len(vocab) >= 2 else None
    n_bytes = total_size(source) if isinstance(source, (str, Path)) and str(source) != "-" else None
    bytes_per_token = n_bytes / corpus.n_raw_tokens if n_bytes else None
    if n_bytes and str(source).endswith((".gz", ".bz2", ".xz")):
        bytes_per_token = None  # compressed size: blocks are counted in decompressed bytes
    memory = memory_estimate(len(vocab), config, corpus.n_words, corpus.n_sentences, expected_kept,
                             n_raw_tokens=corpus.n_raw_tokens, max_code_length=max_code_length,
                             bytes_per_token=bytes_per_token)
    plan = Plan(config, len(vocab), corpus.n_raw_tokens, corpus.n_words, corpus.n_sentences,
                expected_kept, memory, reading_seconds)
    if probe_seconds > 0:
        plan.probe_words, plan.probe_seconds, plan.probe_vocab_size = probe_speed(vocab, corpus, config, probe_seconds)
        if plan.probe_vocab_size < len(vocab):
            plan.notes.append(f"speed probed with the {plan.probe_vocab_size:,} most frequent words only "
                              "(the full weights are too big to allocate for a probe); the ETA is rougher")
        if plan.probe_words >= corpus.n_words:
            plan.notes.append("the probe trained on the whole corpus: it is small, the ETA is rough")
    return plan


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
        f"epochs {config.epochs}, min-count {config.min_count}, sample {config.sample:g}",
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
