"""Memory estimates of a training run, made before allocating, and the refusal of runs that cannot fit.

The numbers (bytes) follow what the code allocates:

    W_in                 V x d float32
    W_out                n_out x d float32           (n_out = V, or V - 1 for HS)
    epoch buffers        N x 24 bytes                 (windows.subsample: sentence id and
                                                       position int64, kept id int32, one
                                                       float32 uniform per token)
    chunk buffers        CHUNK_TARGETS x 2w x 13 x 3  (positions int64, ids int32, mask bool;
                                                       about three live copies)
    batch buffers        B x (2w x 13 + (K + 1) x d x 4 x 3 + d x 4 x 4)
    encoded corpus       N x 4 + S x 8                (only when it is counted here: a
                                                       memory-mapped corpus is paged by the OS)

`estimate_training_memory` is pure (shared with a `--plan`-style report); `check_training_memory`
compares the total with the memory available now and raises ConfigError with the numbers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cbow.errors import ConfigError

# Targets per chunk in cbow.windows (kept here as a number so this module imports nothing heavy).
_CHUNK_TARGETS = 1 << 16
_EPOCH_BYTES_PER_TOKEN = 24
# Keep this share of available memory free for Python, numpy temporaries and the OS.
_HEADROOM = 0.9


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a run needs, by part; `total` is their sum."""

    parts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.parts.values())

    def describe(self) -> str:
        """'W_in 381.5 MiB, W_out 381.5 MiB, ...' in decreasing size."""
        ordered = sorted(self.parts.items(), key=lambda item: -item[1])
        return ", ".join(f"{name} {format_bytes(size)}" for name, size in ordered if size)


def format_bytes(n_bytes: float) -> str:
    """1536 -> '1.5 KiB'."""
    value = float(n_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def estimate_training_memory(
    n_words: int,
    size: int,
    n_out_rows: int,
    batch_size: int,
    window: int,
    negative: int,
    n_tokens: int,
    n_sentences: int = 0,
    include_corpus: bool = False,
) -> MemoryEstimate:
    """Bytes needed to train: weights, per-epoch and per-batch buffers (see module docstring).

    Parameters
    ----------
    n_words : V, the vocabulary size
    size : d
    n_out_rows : rows of W_out (V for NS/softmax, V - 1 for HS)
    batch_size, window, negative : B, w, K
    n_tokens : N, tokens of the encoded corpus
    n_sentences : S (only used with include_corpus)
    include_corpus : count the encoded corpus too (False when it is already allocated or
        memory-mapped)
    """
    slots = 2 * window
    parts = {
        "W_in": n_words * size * 4,
        "W_out": n_out_rows * size * 4,
        "epoch buffers": n_tokens * _EPOCH_BYTES_PER_TOKEN,
        "window chunks": min(n_tokens, _CHUNK_TARGETS) * slots * 13 * 3,
        "batch": batch_size * (slots * 13 + (negative + 1) * size * 4 * 3 + size * 4 * 4),
    }
    if include_corpus:
        parts["encoded corpus"] = n_tokens * 4 + (n_sentences + 1) * 8
    return MemoryEstimate(parts)


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


def check_fits(estimate: MemoryEstimate, available: int | None) -> None:
    """Raise ConfigError when `estimate` exceeds 90% of `available` bytes (None: cannot tell, pass)."""
    if available is None or estimate.total <= _HEADROOM * available:
        return
    raise ConfigError(
        f"training needs about {format_bytes(estimate.total)} ({estimate.describe()}) but only "
        f"{format_bytes(available)} of memory is available; lower --size, --max-vocab (or raise "
        "--min-count) or --batch-size, or free memory"
    )


def check_training_memory(n_words: int, size: int, n_out_rows: int, batch_size: int, window: int,
                          negative: int, n_tokens: int) -> MemoryEstimate:
    """Estimate the run (corpus already encoded) and refuse it if it cannot fit; return the estimate."""
    estimate = estimate_training_memory(n_words, size, n_out_rows, batch_size, window, negative,
                                        n_tokens)
    check_fits(estimate, available_memory())
    return estimate
