"""Training in N worker processes over shared weights, lock-free (word2vec.c's threads, as processes).

Python threads would serialise on the interpreter lock between numpy calls, so the workers
are processes. On Linux they are forked (START_METHOD): W_in and W_out are anonymous shared
mappings from before the fork (`cbow.training.parallel.shared.shared_array`; the training
loop allocates the run's weights there, so there is no second copy), and the corpus, the
tables and the imported modules are the parent's pages, which the workers read without
copying (the garbage collector's objects are frozen before the fork so that a worker's
collections do not write to, and so copy, every inherited page). Elsewhere they are spawned,
and the parent copies W_in, W_out and the encoded corpus into a
`multiprocessing.shared_memory` segment (a corpus memory-mapped from the cache is mapped
by each worker instead: the page cache shares it). Worker w trains on its own contiguous run of
sentences (the corpus cut into N slices of about N_words/N tokens at sentence boundaries)
and writes its updates straight into the shared matrices, without locks: "Hogwild!"
(Niu et al. 2011), exactly what word2vec.c's threads and gensim's workers do. Two workers
rarely touch the same row at the same moment, and when they do one update may be partly
lost, which SGD tolerates. This module is the parent's side; `cbow.training.parallel.child` runs in
each worker.

The learning rate follows the GLOBAL word count: each worker publishes the raw words it
has done in its own slot of a shared int64 array (so no counter is shared by two writers)
and reads the sum of all slots before each batch:

    lr = alpha * max(1e-4, 1 - sum_w words_done[w] / (epochs * N_words))

Consistent points. Lock-free writers leave no moment at which the weights are "the model
after k batches", unless the parent makes one; it does, two ways, through flags in shared
memory that only the parent writes:

- Epoch barrier (`gate`): a worker starts epoch e only once gate >= e. One that finishes
  its slice of epoch e waits (polling every WORKER_POLL_SECONDS, and the stop flag); when
  every worker has finished epoch e the parent runs the epoch end on the weights as they
  are (`at_epoch_end`: report, --eval, held-out score, checkpoint), then opens the gate to
  e + 1. Slices are equal in words, so the wait is the workers' difference in speed.
- Mid-epoch pause (`pause`, `acked`): to save a periodic checkpoint, on Ctrl-C, or for a
  --holdout-every score, the parent writes a new pause number g (1, 2, ...) to `pause`;
  each worker, at its next batch boundary (or where it waits at the gate), writes g to
  its slot of `acked` and waits until `pause` is 0. A worker writes weights only after a
  batch boundary at which it found `pause` == 0, so once every running worker has acked g
  nothing writes; the parent does its work (`at_pause`) and clears `pause`.
- Pause at a word count (`hold_at`): where a callback needs a pause at a given point of
  the run (a --holdout-every score, a test's hold point), the parent writes that word
  count to `hold_at`; every worker reads the global count before each batch and, once it
  has reached `hold_at`, holds at that boundary as in a pause. The parent sees the count
  reached, pauses (which every held worker acknowledges at once), and moves `hold_at` to
  the next point before it clears `pause`. So such a pause lands within a batch per worker
  of its word count, however fast the machine or the parent's polling.

A worker's position in its epoch is its batches done (`batches_done`, reset by the parent
when it opens the gate) and words done; a checkpoint stores both for every worker with
the worker's slice. Resuming rebuilds each worker's batches of that epoch from the batch
stream's seed and skips that many, as the single-process loop does (cbow.training.checkpoint).
Each worker draws from two generators per epoch: the batch stream (seed, 1, epoch,
worker) for subsampling and window sizes, replayed on resume, and the noise stream
(seed, 2, epoch, worker) for negative samples, re-seeded on a mid-epoch resume (a run with
N > 1 workers is not bit-reproducible anyway: the interleaving of updates is not). So
`workers=1` trains in-process, with no shared memory, bit for bit reproducible.

BLAS: every worker uses one BLAS thread, so N workers use N cores, not N x cores: a forked
worker tells its inherited OpenBLAS so (cbow.training.parallel.blas); a spawned one is started
with OPENBLAS_NUM_THREADS=1 (and the OMP/MKL/BLIS equivalents) in its environment, read
when it imports numpy.

Cleanup: the parent stops the workers and unlinks the spawn path's segment in a `finally`,
on success, on a worker's error, on divergence and on Ctrl-C (the workers ignore SIGINT;
the parent stops them); a worker waiting at the gate or in a pause also stops if its
parent dies (kill -9). Anonymous mappings need no unlinking: they go with the last process
that maps them. Library users calling `train(..., workers > 1)` from a script need the
usual `if __name__ == "__main__":` guard where workers are spawned (not Linux).
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np

from cbow.data.heap import release_free_heap
from cbow.data.pages import release_pages
from cbow.training.config import AUTO_WORKERS
from cbow.training.parallel.blas import BLAS_THREAD_VARIABLES
from cbow.training.parallel.shared import (
    DIVERGED, FINISHED, WORKER_POLL_SECONDS, SharedArrays, WorkerTask, _shm_shortfall, in_shared_memory,
    shared_array,
)
from cbow.training.run import WorkerPosition
from cbow.interrupts import sigterm_raises_interrupt

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.02  # the parent's progress / barrier polling interval
# fork where it is safe and cheap (Linux: the workers share the parent's memory); macOS's
# system libraries are not fork-safe, and Windows has no fork
START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"


def workers_fork() -> bool:
    """Whether worker processes are forked (and share the parent's memory) here."""
    return START_METHOD == "fork"


def to_shared_memory(array: np.ndarray) -> np.ndarray:
    """`array` itself where forked workers can write into it, else a copy in anonymous
    shared memory (the caller drops the original). Where workers are spawned, `array`."""
    if not workers_fork() or in_shared_memory(array):
        return array
    shared = shared_array(array.shape, array.dtype)
    shared[...] = array
    return shared


def available_cores() -> int:
    """Cores this process may run on (its affinity mask), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


AUTO = AUTO_WORKERS  # TrainConfig.workers: all cores, or one process for a run too small to gain
# Starting a spawned worker costs about a second (a fresh interpreter imports numpy and
# scipy), a forked one far less, but each still holds its own batch buffers and the parent
# waits at every epoch's end: a short run is faster in one process (docs/performance.md,
# "Worker processes").
AUTO_MIN_TRAINING_WORDS = 4_000_000


def resolve_workers(requested: int, training_words: int, shared_bytes: int = 0) -> int:
    """The worker count to train with: `requested`, or for AUTO all cores when the run has
    at least AUTO_MIN_TRAINING_WORDS training words (corpus words x epochs), else 1. AUTO
    also trains in one process when the workers' `shared_bytes` (`shared_bytes_estimate`)
    would not fit in the shared-memory file system (a container's small /dev/shm), saying so;
    an explicit count is refused there instead (SharedArrays)."""
    if requested != AUTO:
        return requested
    if training_words < AUTO_MIN_TRAINING_WORDS:
        return 1
    shortfall = _shm_shortfall(shared_bytes)
    if shortfall is not None:
        logger.warning("training in one process: worker processes would share %s (in Docker: "
                       "--shm-size=2g)", shortfall)
        return 1
    return available_cores()


def shared_bytes_estimate(vocab_size: int, size: int, word_ids: np.ndarray, sentence_offsets: np.ndarray) -> int:
    """About what `run_workers` puts in /dev/shm: nothing where workers are forked (anonymous
    mappings are not in /dev/shm); else both matrices, the sentence offsets, and the word ids
    unless the workers map the corpus cache's file themselves."""
    if workers_fork():
        return 0
    corpus_bytes = 0 if _whole_file_map(word_ids) is not None else 4 * len(word_ids)
    return 2 * 4 * vocab_size * size + corpus_bytes + 8 * len(sentence_offsets)


def workers_for_run(requested: int, vocab_size: int, size: int, word_ids: np.ndarray,
                    sentence_offsets: np.ndarray, epochs: int) -> int:
    """`resolve_workers` for a run over this encoded corpus: its training words, and for
    AUTO the shared memory its workers would need (`shared_bytes_estimate`)."""
    shared_bytes = (shared_bytes_estimate(vocab_size, size, word_ids, sentence_offsets)
                    if requested == AUTO else 0)
    return resolve_workers(requested, len(word_ids) * epochs, shared_bytes)


def split_sentences(sentence_offsets: np.ndarray, n_slices: int) -> list[tuple[int, int]]:
    """Cut sentences into at most `n_slices` contiguous runs of about equal token counts.

    Returns
    -------
    list of (first_sentence, stop_sentence), non-empty, covering all sentences in order.
    """
    n_sentences = len(sentence_offsets) - 1
    n_words = int(sentence_offsets[-1])
    # int64 targets: a float one would make searchsorted cast all of the (mapped) offsets
    # to float64, reading every page of them into this process
    targets = [np.int64(-(-n_words * k // n_slices)) for k in range(1, n_slices)]
    cuts = [0] + [int(np.searchsorted(sentence_offsets, t)) for t in targets] + [n_sentences]
    cuts = sorted(set(min(max(c, 0), n_sentences) for c in cuts))
    # the searches mapped whole page-cache folios of mapped offsets (4 MiB on bench-text8 x4):
    # give them back (a later read maps only the folio it touches)
    release_pages(sentence_offsets)
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


@dataclass
class ResumePoint:
    """A mid-epoch start: every worker's position and the epoch's loss so far."""

    positions: list[WorkerPosition]
    loss_sum: float = 0.0
    n_examples: int = 0


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
    on_progress: Callable[[int, ProgressSnapshot], None] | None = None,
    *,
    resume_at: ResumePoint | None = None,
    at_epoch_end: Callable[[int, ProgressSnapshot], bool | None] | None = None,
    pause_wanted: Callable[[int, ProgressSnapshot], bool] | None = None,
    at_pause: Callable[[int, ProgressSnapshot, list[WorkerPosition]], None] | None = None,
    hold_at: Callable[[], int | None] | None = None,
    frozen_rows: np.ndarray | None = None,
) -> ProgressSnapshot:
    """Train epochs first_epoch..stop_epoch-1 in `n_workers` processes; W_in, W_out updated.

    Parameters
    ----------
    W_in, W_out : float32 arrays, trained in place where they are `shared_array`s and
        workers fork; else copied into shared memory, and back before every `at_epoch_end`
        / `at_pause` call and at the end
    word_ids, sentence_offsets : the encoded corpus
    keep_prob, output, config : as for the single-process loop
    n_workers : processes to start (fewer if the corpus has fewer sentences)
    words_total : raw words of the whole run (the lr schedule's denominator)
    on_progress : on_progress(epoch, snapshot), called in the parent every ~20 ms (epoch:
        the 0-based epoch in progress)
    resume_at : start inside `first_epoch` at these positions, one per slice of
        `split_sentences(sentence_offsets, n_workers)` (None: at its start)
    at_epoch_end : at_epoch_end(epoch, snapshot), 0-based, once every worker has finished
        `epoch` and waits at the barrier; W_in, W_out then hold the shared weights. A True
        return stops the run there (the workers are stopped)
    pause_wanted : pause_wanted(epoch, snapshot), asked at every poll: pause the workers now?
    at_pause : at_pause(epoch, snapshot, positions) while every worker is paused at a
        batch boundary; W_in, W_out then hold the shared weights. May raise (Ctrl-C):
        the workers are then stopped.
    hold_at : hold_at() -> word count or None, asked at the start and after every pause
        and epoch end: every worker stops at its first batch boundary once the run's word
        count reaches it, and the parent pauses there (a pause at a word count that lands
        at the same place however fast the machine is: --holdout-every, a test's hold point)
    frozen_rows : (V,) bool, W_in rows no worker's step moves (--freeze-init), or None

    Returns
    -------
    The final ProgressSnapshot (per-epoch loss sums and example counts).

    Raises
    ------
    cbow.errors.Diverged : a worker met a non-finite loss
    RuntimeError : a worker failed (its traceback in the message) or died
    ValueError : `resume_at` does not match the slices
    """
    from cbow.training.parallel.child import worker_main  # it imports this module

    slices = split_sentences(sentence_offsets, n_workers)
    n_workers = len(slices)
    if resume_at is not None and [(p.first_sentence, p.stop_sentence) for p in resume_at.positions] != slices:
        raise ValueError("resume_at positions do not match the workers' slices")
    slice_words = [int(sentence_offsets[stop] - sentence_offsets[first]) for first, stop in slices]
    release_pages(sentence_offsets)  # the folios those reads mapped: the workers read their own
    n_epochs = stop_epoch
    forked = workers_fork()
    context = get_context(START_METHOD)
    mapped_file = None if forked else _whole_file_map(word_ids)
    # forked workers inherit the weights and the corpus; spawned ones find them in the segment
    inherited_specs = {} if forked else {
        "W_in": (W_in.shape, W_in.dtype),
        "W_out": (W_out.shape, W_out.dtype),
        "word_ids": ((0,) if mapped_file else word_ids.shape, np.int32),
        "sentence_offsets": (sentence_offsets.shape, np.int64),
    }
    shared = SharedArrays({
        **inherited_specs,
        "words_done": ((n_workers,), np.int64),
        "epochs_done": ((n_workers,), np.int64),
        "batches_done": ((n_workers,), np.int64),  # of the epoch in progress
        "state": ((n_workers,), np.int64),
        "acked": ((n_workers,), np.int64),  # the last pause number each worker acknowledged
        "loss_sum": ((n_workers, n_epochs), np.float64),
        "n_examples": ((n_workers, n_epochs), np.int64),
        "stop": ((1,), np.int64),
        "gate": ((1,), np.int64),  # workers may start epochs <= gate
        "pause": ((1,), np.int64),  # the pause in progress (1, 2, ...), 0: none
        "hold_at": ((1,), np.int64),  # words at which the workers hold for a pause, 0: none
        "diverged_at": ((2,), np.float64),
    }, anonymous=forked)
    # SIGTERM's default action would skip the finally below: the workers would run on until
    # they noticed, and only then would multiprocessing's resource tracker unlink the segment.
    restore_sigterm = sigterm_raises_interrupt()
    processes = []
    error_queue = context.SimpleQueue()
    try:
        if forked:
            shared_in, shared_out = to_shared_memory(W_in), to_shared_memory(W_out)
            inherited = dict(W_in=shared_in, W_out=shared_out, word_ids=word_ids,
                             sentence_offsets=sentence_offsets)
        else:
            shared_in, shared_out, inherited = shared["W_in"], shared["W_out"], None
            shared_in[...] = W_in
            shared_out[...] = W_out
            if mapped_file is None:
                shared["word_ids"][...] = word_ids
            shared["sentence_offsets"][...] = sentence_offsets

        def copy_weights_out() -> None:
            """The shared weights into the caller's arrays, unless they are the same."""
            if shared_in is not W_in:
                W_in[...] = shared_in
            if shared_out is not W_out:
                W_out[...] = shared_out

        for key in ("words_done", "epochs_done", "batches_done", "state", "acked", "loss_sum", "n_examples",
                    "stop", "pause", "diverged_at"):
            shared[key][...] = 0

        def set_hold_point(words_now: int) -> int:
            """Publish the callbacks' next pause point if it lies ahead (0: none)."""
            words = hold_at() if hold_at is not None else None
            shared["hold_at"][0] = words if words is not None and words > words_now else 0
            return int(shared["hold_at"][0])

        shared["gate"][0] = first_epoch
        start_batches = [0] * n_workers
        for worker in range(n_workers):
            # each worker starts with its share of the epochs already done (resume)
            shared["words_done"][worker] = first_epoch * slice_words[worker]
            shared["epochs_done"][worker] = first_epoch
        if resume_at is not None and first_epoch < stop_epoch:
            for worker, position in enumerate(resume_at.positions):
                shared["words_done"][worker] += position.words
                shared["batches_done"][worker] = start_batches[worker] = position.batches
            shared["loss_sum"][0, first_epoch] = resume_at.loss_sum
            shared["n_examples"][0, first_epoch] = resume_at.n_examples
        hold_point = set_hold_point(int(shared["words_done"].sum()))  # before any worker starts
        logger.info("training in %d worker processes (%s words before)", n_workers,
                    int(shared["words_done"].sum()))
        task_args = dict(shared=shared if forked else shared.spec(), keep_prob=keep_prob, output=output,
                         config=config, frozen_rows=frozen_rows, inherited=inherited,
                         first_epoch=first_epoch, stop_epoch=stop_epoch, words_total=words_total,
                         error_queue=None, mapped_file=mapped_file, parent_pid=os.getpid())
        tasks = [WorkerTask(worker=worker, first_sentence=first, stop_sentence=stop,
                            start_batch=start_batches[worker], **task_args)
                 for worker, (first, stop) in enumerate(slices)]
        if forked:
            _fork_workers(context, worker_main, tasks, error_queue, processes)
        else:
            _spawn_workers(context, worker_main, tasks, error_queue, processes)

        def positions(epoch: int) -> list[WorkerPosition]:
            return [WorkerPosition(first, stop, int(shared["batches_done"][worker]),
                                   int(shared["words_done"][worker]) - epoch * slice_words[worker])
                    for worker, (first, stop) in enumerate(slices)]

        gate, pause_number = first_epoch, 0
        first_arrival = None  # when the first worker finished epoch `gate` (the barrier's cost)
        stopped_early = False
        while gate < stop_epoch:
            snapshot = _snapshot(shared)
            if first_arrival is None and shared["epochs_done"].max() > gate:
                first_arrival = time.perf_counter()
            if on_progress is not None:
                on_progress(gate, snapshot)
            _raise_on_failure(shared, processes, error_queue, config)
            if snapshot.epochs_done > gate:  # every worker finished epoch `gate` and waits
                logger.info("epoch %d: the first worker to finish waited %.3f s for the last",
                            gate + 1, time.perf_counter() - first_arrival)
                first_arrival = None
                copy_weights_out()
                if at_epoch_end is not None and at_epoch_end(gate, snapshot):
                    stopped_early = gate + 1 < stop_epoch
                    if stopped_early:
                        break
                gate += 1
                shared["batches_done"][...] = 0  # before the gate opens: the workers wait
                hold_point = set_hold_point(snapshot.words_done)
                shared["gate"][0] = gate
            elif (hold_point and snapshot.words_done >= hold_point) or (
                    pause_wanted is not None and pause_wanted(gate, snapshot)):
                pause_number += 1
                shared["pause"][0] = pause_number
                _wait_for_acks(shared, pause_number, processes, error_queue, config)
                snapshot = _snapshot(shared)
                if on_progress is not None:
                    on_progress(gate, snapshot)
                copy_weights_out()
                if at_pause is not None:
                    at_pause(gate, snapshot, positions(gate))
                hold_point = set_hold_point(snapshot.words_done)  # before the pause ends
                shared["pause"][0] = 0
            else:
                time.sleep(POLL_SECONDS)
        if stopped_early:  # the finally below stops the workers waiting at the gate
            return _snapshot(shared)
        for process in processes:
            process.join()
        copy_weights_out()
        return _snapshot(shared)
    finally:
        if shared.arrays:
            shared["stop"][0] = 1
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()  # SIGKILL: workers ignore SIGTERM (cbow.training.parallel.child)
                process.join()
        if forked:
            gc.unfreeze()
        shared.close_and_unlink()
        error_queue.close()
        restore_sigterm()


def _fork_workers(context, worker_main, tasks: list[WorkerTask], error_queue, processes: list) -> None:
    """Fork one worker per task (appended to `processes`). The task is inherited, not sent.
    Before the fork, the heap's free pages go back to the OS (the workers would inherit
    them) and the garbage collector's objects are frozen: a worker's collections then skip
    them, and do not write to (and so copy) every inherited page that holds one."""
    release_free_heap()
    gc.collect()
    gc.freeze()  # until the workers end (run_workers): the parent's collections would copy pages too
    for task in tasks:
        process = context.Process(target=worker_main, args=(task, error_queue),
                                  name=f"cbow-worker-{task.worker}", daemon=True)
        process.start()
        processes.append(process)


def _spawn_workers(context, worker_main, tasks: list[WorkerTask], error_queue, processes: list) -> None:
    """Spawn one worker per task (appended to `processes`), then send each its task.

    The tasks (vocabulary-sized tables) go through pipes after every process is started:
    in the start arguments, a task larger than a pipe's buffer would hold the parent until
    that child had imported numpy, starting the workers a second apart."""
    task_writers = []
    with _single_threaded_blas_env():
        for task in tasks:
            task_reader, task_writer = context.Pipe(duplex=False)
            process = context.Process(target=worker_main, args=(task_reader, error_queue),
                                      name=f"cbow-worker-{task.worker}", daemon=True)
            process.start()
            task_reader.close()
            processes.append(process)
            task_writers.append(task_writer)
    for task, process, task_writer in zip(tasks, processes, task_writers):
        with task_writer:
            try:
                task_writer.send(task)
            except (BrokenPipeError, ConnectionResetError):  # it died before reading its task
                process.join(timeout=5)
                raise _worker_died(task.worker, process.exitcode) from None


def _raise_on_failure(shared: SharedArrays, processes: list, error_queue, config) -> None:
    """Raise Diverged or RuntimeError if a worker diverged, failed or died."""
    from cbow.errors import Diverged

    states = shared["state"].copy()
    if (states == DIVERGED).any():
        from cbow.training.schedule import DIVERGED_LOSS_PER_EXAMPLE, divergence_advice

        epoch, percent = shared["diverged_at"]
        raise Diverged(
            f"training diverged in epoch {int(epoch) + 1} at {percent:.0f}% of a worker's "
            f"slice (loss not finite, or above {DIVERGED_LOSS_PER_EXAMPLE:g} nats per example); "
            + divergence_advice(config)
        )
    if not error_queue.empty():
        worker, message = error_queue.get()
        raise RuntimeError(f"training worker {worker} failed:\n{message}")
    for worker, process in enumerate(processes):
        if not process.is_alive() and states[worker] != FINISHED:
            if not error_queue.empty():
                return  # reported at the next call
            raise _worker_died(worker, process.exitcode)


def _worker_died(worker: int, exitcode: int | None) -> RuntimeError:
    """The error for a worker process that ended without reporting (the two usual causes)."""
    guard = "" if workers_fork() else (
        ". A script that calls cbow's train() with workers > 1 must call it under "
        "`if __name__ == \"__main__\":` (each worker process imports the script), or use workers=1")
    return RuntimeError(
        f"training worker {worker} died (exit code {exitcode}); out of memory? try fewer --workers{guard}"
    )


def _wait_for_acks(shared: SharedArrays, pause_number: int, processes: list, error_queue, config) -> None:
    """Until every worker still training has acknowledged pause `pause_number`."""
    acked, states = shared["acked"], shared["state"]
    while True:
        still = (acked != pause_number) & (states != FINISHED)
        if not still.any():
            return
        _raise_on_failure(shared, processes, error_queue, config)
        time.sleep(WORKER_POLL_SECONDS)


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
