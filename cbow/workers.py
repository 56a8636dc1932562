"""Training in N worker processes over shared weights, lock-free (word2vec.c's threads, as processes).

Python threads would serialise on the interpreter lock between numpy calls, so the workers
are processes. The parent puts W_in, W_out and the encoded corpus in
`multiprocessing.shared_memory` segments (a corpus memory-mapped from the cache is mapped
by each worker instead: the page cache shares it); worker w trains on its own contiguous run of
sentences (the corpus cut into N slices of about N_words/N tokens at sentence boundaries)
and writes its updates straight into the shared matrices, without locks: "Hogwild!"
(Niu et al. 2011), exactly what word2vec.c's threads and gensim's workers do. Two workers
rarely touch the same row at the same moment, and when they do one update may be partly
lost, which SGD tolerates.

The learning rate follows the GLOBAL word count: each worker publishes the raw words it
has done in its own slot of a shared int64 array (so no counter is shared by two writers)
and reads the sum of all slots before each batch:

    lr = alpha * max(1e-4, 1 - sum_w words_done[w] / (epochs * N_words))

Each worker draws from its own generator, seeded (seed, 1, epoch, worker): a run with
N > 1 workers is not bit-reproducible (the interleaving of updates is not), which is why
`workers=1` trains in-process, with no shared memory, bit for bit reproducible.

BLAS: the workers are started with OPENBLAS_NUM_THREADS=1 (and the OMP/MKL/BLIS
equivalents) in their environment, set before they import numpy ("spawn" start method),
so N workers use N cores, not N x cores.

Cleanup: the parent unlinks every segment in a `finally`, on success, on a worker's error,
on divergence and on Ctrl-C (the workers ignore SIGINT; the parent stops them). Library
users calling `train(..., workers > 1)` from a script need the usual
`if __name__ == "__main__":` guard of multiprocessing's spawn start method.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import signal
import time
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context, shared_memory

import numpy as np

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.05
BLAS_THREAD_VARIABLES = (
    "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS",
)

# worker states in the shared status array
RUNNING, FINISHED, DIVERGED, STOPPED = 0, 1, 2, 3


def segment_prefix(pid: int | None = None) -> str:
    """Names of the shared-memory segments process `pid` (default: this one) creates start so."""
    return f"cbow-{os.getpid() if pid is None else pid}-"


def available_cores() -> int:
    """Cores this process may run on (its affinity mask), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def split_sentences(sentence_offsets: np.ndarray, n_slices: int) -> list[tuple[int, int]]:
    """Cut sentences into at most `n_slices` contiguous runs of about equal token counts.

    Returns
    -------
    list of (first_sentence, stop_sentence), non-empty, covering all sentences in order.
    """
    n_sentences = len(sentence_offsets) - 1
    n_words = int(sentence_offsets[-1])
    targets = [n_words * k / n_slices for k in range(1, n_slices)]
    cuts = [0] + [int(np.searchsorted(sentence_offsets, t)) for t in targets] + [n_sentences]
    cuts = sorted(set(min(max(c, 0), n_sentences) for c in cuts))
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


class SharedArrays:
    """Named numpy arrays in one shared-memory segment; `close_and_unlink` frees it."""

    def __init__(self, specs: dict[str, tuple[tuple[int, ...], np.dtype]], name: str | None = None):
        self.layout: dict[str, tuple[int, tuple[int, ...], str]] = {}
        offset = 0
        for key, (shape, dtype) in specs.items():
            dtype = np.dtype(dtype)
            offset = -(-offset // 64) * 64  # 64-byte aligned
            self.layout[key] = (offset, tuple(shape), dtype.str)
            offset += int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if name is None:  # named after this process, so a leftover is easy to trace (and to test)
            self.shm = shared_memory.SharedMemory(name=f"{segment_prefix()}{secrets.token_hex(6)}",
                                                  create=True, size=max(offset, 1))
            self.owner = True
        else:
            self.shm = shared_memory.SharedMemory(name=name)
            self.owner = False
        self.arrays = {
            key: np.ndarray(shape, dtype=np.dtype(dtype), buffer=self.shm.buf, offset=start)
            for key, (start, shape, dtype) in self.layout.items()
        }

    @property
    def name(self) -> str:
        return self.shm.name

    def spec(self) -> tuple[str, dict]:
        """What a child process needs to attach: (name, {key: (shape, dtype)})."""
        return self.shm.name, {key: (shape, dtype) for key, (_, shape, dtype) in self.layout.items()}

    def __getitem__(self, key: str) -> np.ndarray:
        return self.arrays[key]

    def close(self) -> None:
        self.arrays = {}
        self.shm.close()

    def close_and_unlink(self) -> None:
        self.close()
        if self.owner:
            try:
                self.shm.unlink()
            except FileNotFoundError:  # already gone
                pass


@dataclass
class WorkerTask:
    """Everything a worker receives (pickled once at start)."""

    worker: int
    shared: tuple[str, dict]
    first_sentence: int
    stop_sentence: int
    keep_prob: np.ndarray | None
    output: object  # cbow.step.OutputLayer
    config: object  # cbow.train.TrainConfig
    first_epoch: int
    stop_epoch: int
    words_total: int
    error_queue: object
    mapped_file: tuple[str, int, int] | None = None  # (path, offset, n): word ids to memory-map


@dataclass
class ProgressSnapshot:
    """What the parent reads from the workers while they run."""

    words_done: int
    loss_sum: np.ndarray  # (epochs,) summed over workers
    n_examples: np.ndarray  # (epochs,)
    epochs_done: int  # epochs every worker has finished


def run_workers(
    W_in: np.ndarray,
    W_out: np.ndarray,
    word_ids: np.ndarray,
    sentence_offsets: np.ndarray,
    keep_prob: np.ndarray | None,
    output,
    config,
    n_workers: int,
    first_epoch: int,
    stop_epoch: int,
    words_total: int,
    on_progress: Callable[[ProgressSnapshot], None] | None = None,
) -> ProgressSnapshot:
    """Train epochs first_epoch..stop_epoch-1 in `n_workers` processes; W_in, W_out updated.

    Parameters
    ----------
    W_in, W_out : float32 arrays, copied into shared memory and back when done
    word_ids, sentence_offsets : the encoded corpus
    keep_prob, output, config : as for the single-process loop
    n_workers : processes to start (fewer if the corpus has fewer sentences)
    words_total : raw words of the whole run (the lr schedule's denominator)
    on_progress : called in the parent every ~50 ms with a ProgressSnapshot

    Returns
    -------
    The final ProgressSnapshot (per-epoch loss sums and example counts).

    Raises
    ------
    cbow.errors.Diverged : a worker met a non-finite loss
    RuntimeError : a worker failed (its traceback in the message) or died
    """
    from cbow.errors import Diverged

    slices = split_sentences(sentence_offsets, n_workers)
    n_workers = len(slices)
    n_epochs = stop_epoch
    context = get_context("spawn")
    mapped_file = _whole_file_map(word_ids)
    shared = SharedArrays({
        "W_in": (W_in.shape, W_in.dtype),
        "W_out": (W_out.shape, W_out.dtype),
        "word_ids": ((0,) if mapped_file else word_ids.shape, np.int32),
        "sentence_offsets": (sentence_offsets.shape, np.int64),
        "words_done": ((n_workers,), np.int64),
        "epochs_done": ((n_workers,), np.int64),
        "state": ((n_workers,), np.int64),
        "loss_sum": ((n_workers, n_epochs), np.float64),
        "n_examples": ((n_workers, n_epochs), np.int64),
        "stop": ((1,), np.int64),
        "diverged_at": ((2,), np.float64),
    })
    processes = []
    error_queue = context.SimpleQueue()
    try:
        shared["W_in"][...] = W_in
        shared["W_out"][...] = W_out
        if mapped_file is None:
            shared["word_ids"][...] = word_ids
        shared["sentence_offsets"][...] = sentence_offsets
        for key in ("words_done", "epochs_done", "state", "loss_sum", "n_examples", "stop", "diverged_at"):
            shared[key][...] = 0
        words_before = first_epoch * int(sentence_offsets[-1])
        for worker, (first, stop) in enumerate(slices):
            # each worker starts with its share of the epochs already done (resume)
            slice_words = int(sentence_offsets[stop] - sentence_offsets[first])
            shared["words_done"][worker] = first_epoch * slice_words
            shared["epochs_done"][worker] = first_epoch
        task_args = dict(shared=shared.spec(), keep_prob=keep_prob, output=output, config=config,
                         first_epoch=first_epoch, stop_epoch=stop_epoch, words_total=words_total,
                         error_queue=error_queue, mapped_file=mapped_file)
        with _single_threaded_blas_env():
            for worker, (first, stop) in enumerate(slices):
                task = WorkerTask(worker=worker, first_sentence=first, stop_sentence=stop, **task_args)
                process = context.Process(target=_worker_main, args=(task,), name=f"cbow-worker-{worker}",
                                          daemon=True)
                process.start()
                processes.append(process)
        logger.info("training in %d worker processes (%s words before)", n_workers, words_before)
        while True:
            snapshot = _snapshot(shared)
            if on_progress is not None:
                on_progress(snapshot)
            states = shared["state"].copy()
            if (states == DIVERGED).any():
                from cbow.train import divergence_advice  # train imports this module

                epoch, percent = shared["diverged_at"]
                raise Diverged(
                    f"training diverged in epoch {int(epoch) + 1} at {percent:.0f}% of a worker's "
                    f"slice (loss not finite); " + divergence_advice(config)
                )
            if not error_queue.empty():
                worker, message = error_queue.get()
                raise RuntimeError(f"training worker {worker} failed:\n{message}")
            if (states == FINISHED).all():
                break
            for worker, process in enumerate(processes):
                if not process.is_alive() and states[worker] != FINISHED:
                    if not error_queue.empty():
                        break  # reported above on the next pass
                    raise RuntimeError(
                        f"training worker {worker} died (exit code {process.exitcode}); "
                        "out of memory? try fewer --workers"
                    )
            time.sleep(POLL_SECONDS)
        for process in processes:
            process.join()
        W_in[...] = shared["W_in"]
        W_out[...] = shared["W_out"]
        return _snapshot(shared)
    finally:
        if shared.arrays:
            shared["stop"][0] = 1
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()
        shared.close_and_unlink()
        error_queue.close()


def _whole_file_map(word_ids: np.ndarray) -> tuple[str, int, int] | None:
    """(path, offset, n) when `word_ids` is a whole memory-mapped int32 file (the corpus
    cache): workers then map the file themselves (shared through the page cache) instead
    of receiving a copy. None otherwise."""
    if not isinstance(word_ids, np.memmap) or word_ids.dtype != np.int32 or not word_ids.filename:
        return None
    try:
        size = os.path.getsize(word_ids.filename)
    except OSError:
        return None
    n_words = len(word_ids)
    offset = int(word_ids.offset)
    if size != offset + 4 * n_words or not word_ids.flags.c_contiguous:
        return None  # a slice or a view of some other layout: copy it instead
    return str(word_ids.filename), offset, n_words


def _snapshot(shared: SharedArrays) -> ProgressSnapshot:
    return ProgressSnapshot(
        words_done=int(shared["words_done"].sum()),
        loss_sum=shared["loss_sum"].sum(axis=0),
        n_examples=shared["n_examples"].sum(axis=0),
        epochs_done=int(shared["epochs_done"].min()),
    )


@contextmanager
def _single_threaded_blas_env():
    """Children started inside see 1 BLAS thread each (read when they import numpy)."""
    saved = {key: os.environ.get(key) for key in BLAS_THREAD_VARIABLES}
    os.environ.update({key: "1" for key in BLAS_THREAD_VARIABLES})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _worker_main(task: WorkerTask) -> None:
    """Entry point of a worker process: attach, train the slice, report, detach."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    name, specs = task.shared
    shared = SharedArrays(specs, name=name)
    try:
        _train_slice(task, shared)
    except BaseException:  # report everything; the parent raises it
        shared["state"][task.worker] = STOPPED
        task.error_queue.put((task.worker, traceback.format_exc()))
    finally:
        shared.close()


def _train_slice(task: WorkerTask, shared: SharedArrays) -> None:
    """The worker's loop: its slice once per epoch, lr from the global word count."""
    from cbow.train import learning_rate, make_step
    from cbow.windows import iter_batches

    config, worker = task.config, task.worker
    W_in, W_out = shared["W_in"], shared["W_out"]
    offsets = shared["sentence_offsets"]
    token_start = int(offsets[task.first_sentence])
    token_stop = int(offsets[task.stop_sentence])
    if task.mapped_file is not None:
        path, offset, n_words = task.mapped_file
        all_ids = np.memmap(path, dtype=np.int32, mode="r", offset=offset, shape=(n_words,))
    else:
        all_ids = shared["word_ids"]
    slice_ids = all_ids[token_start:token_stop]
    slice_offsets = offsets[task.first_sentence:task.stop_sentence + 1] - token_start
    slice_words = token_stop - token_start
    words_done, loss_sum, n_examples = shared["words_done"], shared["loss_sum"], shared["n_examples"]
    stop = shared["stop"]
    step = make_step(W_in, task.output, config)
    for epoch in range(task.first_epoch, task.stop_epoch):
        rng = np.random.default_rng([config.seed, 1, epoch, worker])
        words_before = epoch * slice_words
        batches = iter_batches(slice_ids, slice_offsets, config.window, config.batch_size, rng,
                               task.keep_prob)
        for batch in batches:
            global_done = int(words_done.sum())
            lr_out = learning_rate(config.alpha, global_done, task.words_total)
            lr_in = learning_rate(config.lr_in, global_done, task.words_total)
            with np.errstate(over="ignore", invalid="ignore"):
                loss = step(W_in, W_out, batch, lr_in, lr_out, rng)
            if not math.isfinite(loss):
                shared["diverged_at"][:] = (epoch, 100.0 * batch.words_done / max(1, slice_words))
                shared["state"][worker] = DIVERGED
                return
            loss_sum[worker, epoch] += loss
            n_examples[worker, epoch] += len(batch)
            words_done[worker] = words_before + batch.words_done
            if stop[0]:
                shared["state"][worker] = STOPPED
                return
        words_done[worker] = words_before + slice_words
        shared["epochs_done"][worker] = epoch + 1
    shared["state"][worker] = FINISHED
