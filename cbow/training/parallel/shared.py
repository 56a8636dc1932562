"""What the parent and its worker processes share: the memory, the flags, the task.

Forked workers (Linux) inherit the parent's memory: the weights are `shared_array`s,
anonymous shared mappings that parent and workers write alike (no file in /dev/shm, so
nothing to unlink, nothing left behind by a kill -9, and no /dev/shm size limit), and the
corpus, the tables and the modules are the parent's pages, shared until written.
`SharedArrays` names numpy arrays in one such block (the progress counters and the flags
the parent holds the workers with); spawned workers (elsewhere) attach to it as a named
`multiprocessing.shared_memory` segment that also carries the weights and the corpus.
`WorkerTask` is what each worker receives. The protocol over them is described in
cbow.training.parallel.pool.
"""

from __future__ import annotations

import mmap
import os
import secrets
from dataclasses import dataclass
from multiprocessing import shared_memory

import numpy as np

from cbow.errors import ConfigError

WORKER_POLL_SECONDS = 0.002  # a waiting worker's sleep between looks at the flags

# worker states in the shared status array (WAITING: at the epoch gate; PAUSED: in a pause)
RUNNING, FINISHED, DIVERGED, STOPPED, WAITING, PAUSED = 0, 1, 2, 3, 4, 5


def segment_prefix(pid: int | None = None) -> str:
    """Names of the shared-memory segments process `pid` (default: this one) creates start so."""
    return f"cbow-{os.getpid() if pid is None else pid}-"


SHM_DIR = "/dev/shm"  # where Linux keeps POSIX shared memory (a tmpfs)


def shm_free_bytes() -> int | None:
    """Free bytes of the shared-memory file system, None where it cannot be told."""
    try:
        stats = os.statvfs(SHM_DIR)
    except (OSError, AttributeError):  # no /dev/shm (macOS), or no statvfs (Windows)
        return None
    return stats.f_bavail * stats.f_frsize


class _AnonymousSharedBuffer(mmap.mmap):
    """An anonymous MAP_SHARED mapping (mmap's default on Linux), told apart by its type."""


def shared_array(shape: tuple[int, ...], dtype) -> np.ndarray:
    """A zero-filled array in anonymous shared memory: processes forked after it exists
    write into the same pages. The mapping lives as long as an array over it does."""
    dtype = np.dtype(dtype)
    count = int(np.prod(shape, dtype=np.int64))
    buffer = _AnonymousSharedBuffer(-1, max(1, count * dtype.itemsize))
    return np.frombuffer(buffer, dtype=dtype, count=count).reshape(shape)


def in_shared_memory(array: np.ndarray) -> bool:
    """Whether `array` lies in a `shared_array`'s mapping (forked workers write into it)."""
    base = array
    while base is not None and not isinstance(base, _AnonymousSharedBuffer):
        base = getattr(base, "base", None) if isinstance(base, np.ndarray) else getattr(base, "obj", None)
    return base is not None


class SharedArrays:
    """Named numpy arrays in one block of shared memory: a named segment (`close_and_unlink`
    frees it) that spawned processes attach to by name, or with `anonymous` an anonymous
    mapping that only forked children see (and nothing to unlink)."""

    def __init__(self, specs: dict[str, tuple[tuple[int, ...], np.dtype]], name: str | None = None,
                 anonymous: bool = False):
        self.layout: dict[str, tuple[int, tuple[int, ...], str]] = {}
        offset = 0
        for key, (shape, dtype) in specs.items():
            dtype = np.dtype(dtype)
            offset = -(-offset // 64) * 64  # 64-byte aligned
            self.layout[key] = (offset, tuple(shape), dtype.str)
            offset += int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if anonymous:
            self.shm = None
            buffer = _AnonymousSharedBuffer(-1, max(offset, 1))
            self.owner = True
        elif name is None:  # named after this process, so a leftover is easy to trace (and to test)
            _check_shm_space(offset)
            self.shm = shared_memory.SharedMemory(name=f"{segment_prefix()}{secrets.token_hex(6)}",
                                                  create=True, size=max(offset, 1))
            self.owner = True
        else:
            self.shm = shared_memory.SharedMemory(name=name)
            self.owner = False
        if self.shm is not None:
            buffer = self.shm.buf
        self.arrays = {
            key: np.ndarray(shape, dtype=np.dtype(dtype), buffer=buffer, offset=start)
            for key, (start, shape, dtype) in self.layout.items()
        }

    @property
    def name(self) -> str | None:
        return None if self.shm is None else self.shm.name

    def spec(self) -> tuple[str, dict]:
        """What a child process needs to attach: (name, {key: (shape, dtype)})."""
        return self.shm.name, {key: (shape, dtype) for key, (_, shape, dtype) in self.layout.items()}

    def __getitem__(self, key: str) -> np.ndarray:
        return self.arrays[key]

    def close(self) -> None:
        self.arrays = {}
        if self.shm is not None:
            self.shm.close()

    def close_and_unlink(self) -> None:
        self.close()
        if self.owner and self.shm is not None:
            try:
                self.shm.unlink()
            except FileNotFoundError:  # already gone
                pass


def _shm_shortfall(n_bytes: int) -> str | None:
    """'N MB through /dev/shm, which has M MB free' when `n_bytes` do not fit there, else None."""
    free = shm_free_bytes()
    if free is None or n_bytes <= free:
        return None
    return f"{n_bytes / 2**20:,.0f} MB through {SHM_DIR}, which has {free / 2**20:,.0f} MB free"


def _check_shm_space(n_bytes: int) -> None:
    """Refuse a segment the shared-memory file system cannot hold. Creating it would succeed
    (its pages are allocated as they are written), and the first write past the end of
    the space would kill the process with SIGBUS, no message: the usual case is a
    container, whose /dev/shm is 64 MB unless it is started with a larger --shm-size."""
    shortfall = _shm_shortfall(n_bytes)
    if shortfall is not None:
        raise ConfigError(
            f"the worker processes share their weights and corpus, {shortfall}; give it more room "
            "(in Docker: --shm-size=2g) or train in one process with --workers 1"
        )


@dataclass
class WorkerTask:
    """Everything a worker receives (inherited by a forked worker, pickled to a spawned one)."""

    worker: int
    shared: SharedArrays | tuple[str, dict]  # forked: the block itself; spawned: its name and layout
    first_sentence: int
    stop_sentence: int
    keep_prob: np.ndarray | None
    output: object  # cbow.model.step.OutputLayer
    config: object  # cbow.TrainConfig
    first_epoch: int
    stop_epoch: int
    words_total: int
    error_queue: object
    parent_pid: int  # os.getpid() of the parent: a worker stops waiting once it is gone
    mapped_file: tuple[str, int, int] | None = None  # (path, offset, n): word ids to memory-map
    start_batch: int = 0  # batches of first_epoch already applied (a mid-epoch resume)
    frozen_rows: np.ndarray | None = None  # (V,) bool: W_in rows the step leaves alone (--freeze-init)
    # forked: W_in, W_out, word_ids and sentence_offsets, the parent's own arrays (spawned: in `shared`)
    inherited: dict[str, np.ndarray] | None = None
