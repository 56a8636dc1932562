"""Memory of a training run, estimated before allocating; runs that cannot fit are refused.

`memory_estimate` is pure and shared by `cbow plan` (the dry run) and `train` (which calls
`check_training_memory` before allocating the weights and refuses with the numbers).

Memory model of a run: the peak of the summed PSS of its processes (bytes; V words, d dims,
N tokens, S sentences, w window, B batch size, K negatives, L longest Huffman path, P
training processes: the workers, or 1):

    Python and libraries     PYTHON_BYTES            the interpreter, numpy, scipy and cbow's
                                                     modules (33 MiB), the shared libraries'
                                                     pages (21 MiB)
    W_in                     4 V d                   float32; with workers, in anonymous shared
    W_out                    4 V d  (HS: 4 (V-1) d)  memory that every process writes: one copy
    encoded corpus           P 4 CHUNK               ids and sentence offsets mapped from files
                                                     (the corpus cache, or temporary files
                                                     without it): one chunk of them resident
                                                     per process at a time (cbow.data.pages
                                                     drops the others);
                             4 N + 8 (S + 1)         ids in memory (text given as lines or on
                                                     stdin, without the cache)
    window chunk             P ~40 (2w) CHUNK_T      windows.py builds 16,384 targets at a time:
                                                     int64 positions, gathers, masks, ids
    batch buffers            P x NS 8 B (K+1) d      gathered W_out rows and their gradients
                                 HS 8 B L d          the same along the Huffman paths, and the
                                                     fused step's per-path arrays
                                 softmax 12 B V + 8 V d  scores and the two temporaries of their
                                                     logsumexp; the dense dL/dW_out and lr times it
    vocabulary tables        ~60 V (+ 5 V L for HS)  the words packed (~16 bytes a word),
                                                     counts, keep probabilities, NS's alias
                                                     table; HS: the flattened paths (5 bytes
                                                     a node, ~0.9 L nodes a word)
    worker processes         (P - 1) WORKER_BYTES    where workers are forked (Linux) they share
                                                     all of the above with the parent, and add
                                                     the pages they write: malloc's arenas, the
                                                     objects their loop touches; a spawned worker
                                                     (elsewhere) is a whole interpreter with its
                                                     own tables: PYTHON_BYTES + vocabulary tables

and the reading pass (cbow.data.encode.read_and_encode) peaks, before training starts, at

    PYTHON_BYTES + 31 MiB + 155 T_block + 8 N_raw + 8 S + 150 V_distinct

(without the 8 N_raw of the two copies of the ids when it encodes into a file, as it does
for a file or directory: they go through files, cbow.data.id_files)
with T_block the tokens of one 4 MiB block of text (cbow.data.corpus.BLOCK_SIZE): its hash
table (24 MiB) and what malloc keeps of its freed temporaries (7 MiB), the per-token arrays
of one block, two copies of the ids and the dict of words.
The constants count the arrays the code holds (windows.py, encode.py) and were checked
against the peaks scripts/bench.py --memory-table measures (its "plan" column); they follow
that code, so revisit them when it changes. The estimate is the larger of the reading peak
and the training total.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cbow.data.corpus import BLOCK_SIZE
from cbow.errors import ConfigError
from cbow.data.windows import CHUNK_TARGETS, CHUNK_TOKENS

if TYPE_CHECKING:  # train imports this module
    from cbow.training.config import TrainConfig

# Keep this share of available memory free for Python, numpy temporaries and the OS.
_HEADROOM = 0.9
BYTES_PER_DISTINCT_WORD = 150  # the reading pass's dict entry + str object, CPython 3.10+
BYTES_PER_VOCAB_WORD = 60  # Vocab: the packed words (~16 B), counts, keep probabilities, NS's alias table (20 B)
PYTHON_BYTES = 54 * 2**20  # a process after its imports (module docstring)
WORKER_BYTES = 15 * 2**20  # the pages a forked worker writes beyond its buffers
HS_TABLE_BYTES_PER_SLOT = 5  # HS's flattened paths per word and longest-path slot (module docstring)
CHUNK_BYTES_PER_SLOT = 40  # windows.build_examples: bytes per (target, context slot)
READ_TABLE_BYTES = 24 * 2**20  # encode.py's ASCII fast path: 2**20-slot hash table, 24 B a slot
READ_KEPT_BYTES = 7 * 2**20  # what malloc keeps of the reading pass's freed temporaries
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

    def describe(self) -> str:
        """'W_in 381.5 MiB, W_out 381.5 MiB, ...' in decreasing size."""
        ordered = sorted(self.components.items(), key=lambda item: -item[1])
        return ", ".join(f"{name} {format_bytes(size)}" for name, size in ordered if size)


def format_bytes(n_bytes: float) -> str:
    """1536 -> '1.5 KiB'."""
    value = float(n_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def memory_estimate(
    vocab_size: int,
    config: TrainConfig,
    n_tokens: int,
    n_sentences: int,
    n_raw_tokens: int | None = None,
    n_distinct: int | None = None,
    max_code_length: int | None = None,
    bytes_per_token: float | None = None,
    mapped_corpus: bool = False,
) -> MemoryEstimate:
    """Bytes of a run with these sizes (the model is in the module docstring).

    Parameters
    ----------
    vocab_size : V
    config : the run's settings (size, window, objective, negative, batch_size)
    n_tokens : N, in-vocabulary tokens
    n_sentences : S
    n_raw_tokens : tokens read before dropping rare words (default N)
    n_distinct : distinct words in the text (default V)
    max_code_length : longest Huffman path (default ceil(log2 V) + 4)
    bytes_per_token : bytes of text per token read, which sizes the reading blocks
        (default 6, English text with its spaces)
    mapped_corpus : the ids are mapped from a file (the corpus cache, cbow.data.cache, or a
        deleted temporary file) rather than held in memory
    The worker count is `config.workers` (the module docstring's P).
    """
    from cbow.training.parallel.pool import workers_fork  # it imports the training modules
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
    tables = BYTES_PER_VOCAB_WORD * V + (HS_TABLE_BYTES_PER_SLOT * V * max_code_length
                                         if config.objective == "hs" else 0)
    processes = min(config.workers, n_sentences) if config.workers > 1 and n_sentences > 1 else 1
    chunk_tokens = min(n_tokens, CHUNK_TOKENS)
    components = {
        "Python and libraries": PYTHON_BYTES,
        "W_in": 4 * V * d,
        "W_out": 4 * n_out_rows * d,
        "encoded corpus": processes * 4 * chunk_tokens if mapped_corpus else 4 * n_tokens + 8 * (n_sentences + 1),
        "window chunk": processes * CHUNK_BYTES_PER_SLOT * 2 * config.window * min(CHUNK_TARGETS, max(1, n_tokens)),
        "batch buffers": processes * batch,
        "vocabulary tables": tables,
    }
    if processes > 1:  # as cbow.train, which trains one sentence in-process
        each = WORKER_BYTES if workers_fork() else PYTHON_BYTES + tables
        components["worker processes"] = (processes - 1) * each
    bytes_per_token = DEFAULT_BYTES_PER_TOKEN if bytes_per_token is None else bytes_per_token
    block_tokens = min(n_raw_tokens, BLOCK_SIZE / bytes_per_token)
    id_copies = 0 if mapped_corpus else 8 * n_raw_tokens
    reading_peak = int(PYTHON_BYTES + READ_TABLE_BYTES + READ_KEPT_BYTES + READ_BYTES_PER_BLOCK_TOKEN * block_tokens
                       + id_copies + 8 * (n_sentences + 1) + BYTES_PER_DISTINCT_WORD * n_distinct)
    return MemoryEstimate(components, reading_peak)


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation now (Linux MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_fits(n_bytes: int, estimate: MemoryEstimate, available: int | None) -> None:
    """Raise ConfigError when `n_bytes` exceeds 90% of `available` bytes (None: cannot tell, pass)."""
    if available is None or n_bytes <= _HEADROOM * available:
        return
    raise ConfigError(
        f"training needs about {format_bytes(n_bytes)} ({estimate.describe()}) but only "
        f"{format_bytes(available)} of memory is available; lower --size, --max-vocab (or raise "
        "--min-count) or --batch-size, or free memory"
    )


def check_training_memory(vocab_size: int, config, n_tokens: int, n_sentences: int) -> MemoryEstimate:
    """Estimate a run whose corpus is already encoded and refuse it if it cannot fit.

    The interpreter, the encoded corpus and the reading pass are in memory by now, so only
    the rest counts.
    """
    estimate = memory_estimate(vocab_size, config, n_tokens, n_sentences)
    still_needed = (estimate.training - estimate.components["encoded corpus"]
                    - estimate.components["Python and libraries"])
    check_fits(still_needed, estimate, available_memory())
    return estimate
