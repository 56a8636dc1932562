"""What runs in each worker process of `cbow.training.parallel.pool`: its slice of the corpus, epoch after epoch.

The worker attaches to the parent's shared segment, trains its contiguous run of sentences
once per epoch into the shared W_in / W_out (no locks), publishes its progress in its own
slots (words and batches done, loss, examples, epochs done, state), and obeys the
parent's flags: the epoch gate, the numbered pause (acknowledged at a batch boundary) and
stop (protocol in `cbow.training.parallel.pool`). A worker also stops, at its next batch or while it
waits, when its parent has died, so a killed run leaves no process behind. Ctrl-C and
SIGTERM reach the whole process group (a terminal, `timeout`, batch schedulers, systemd):
workers ignore both and leave the stop, and the checkpoint before it, to the parent.

Random streams per (epoch, worker): the batch stream default_rng([seed, 1, epoch, worker])
draws subsampling and window sizes and is replayed on a mid-epoch resume; the noise
stream default_rng([seed, 2, epoch, worker]) draws negative samples and is seeded afresh
(with the position appended) on a mid-epoch resume, its state not being saved.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
import traceback

import numpy as np

from cbow.training.parallel.blas import use_one_blas_thread
from cbow.training.parallel.shared import (
    DIVERGED, FINISHED, PAUSED, RUNNING, STOPPED, WAITING, WORKER_POLL_SECONDS, SharedArrays, WorkerTask,
)


def worker_main(task_source, error_queue) -> None:
    """Entry point of a worker process: its WorkerTask (`task_source`: the task itself in a
    forked worker, the pipe to receive it from in a spawned one), attach, train the slice,
    report failures on `error_queue`, detach."""
    for signum in (signal.SIGINT, signal.SIGTERM):  # the parent's to handle (module docstring)
        signal.signal(signum, signal.SIG_IGN)
    if isinstance(task_source, WorkerTask):  # forked: everything is inherited
        task = task_source
        use_one_blas_thread()
        shared = task.shared
    else:
        try:
            task = task_source.recv()
        except EOFError:  # the parent failed before sending it: nothing to do
            return
        finally:
            task_source.close()
        name, specs = task.shared
        shared = SharedArrays(specs, name=name)
    task.error_queue = error_queue
    try:
        _train_slice(task, shared)
    except BaseException:  # report everything; the parent raises it
        shared["state"][task.worker] = STOPPED
        task.error_queue.put((task.worker, traceback.format_exc()))
    finally:
        shared.close()


def _train_slice(task: WorkerTask, shared: SharedArrays) -> None:
    """The worker's loop: its slice once per epoch, lr from the global word count, waiting
    at the epoch gate and in the parent's pauses (module docstring)."""
    from cbow.data.pages import release_pages
    from cbow.data.windows import iter_batches
    from cbow.training.schedule import learning_rates, loss_diverged, make_step

    config, worker = task.config, task.worker
    arrays = task.inherited if task.inherited is not None else shared
    W_in, W_out = arrays["W_in"], arrays["W_out"]
    offsets = arrays["sentence_offsets"]
    token_start = int(offsets[task.first_sentence])
    token_stop = int(offsets[task.stop_sentence])
    release_pages(offsets)  # mapped: the folios of those two reads (iter_batches maps its own)
    if task.mapped_file is not None:
        path, offset, n_words = task.mapped_file
        all_ids = np.memmap(path, dtype=np.int32, mode="r", offset=offset, shape=(n_words,))
    else:
        all_ids = arrays["word_ids"]
    slice_ids = all_ids[token_start:token_stop]
    slice_offsets = offsets[task.first_sentence:task.stop_sentence + 1]  # a view: iter_batches rebases
    slice_words = token_stop - token_start
    words_done, loss_sum, n_examples = shared["words_done"], shared["loss_sum"], shared["n_examples"]
    batches_done, pause, stop = shared["batches_done"], shared["pause"], shared["stop"]
    signals = _Signals(shared, worker, task.parent_pid)
    step = make_step(W_in, task.output, config, task.frozen_rows)
    for epoch in range(task.first_epoch, task.stop_epoch):
        if not signals.wait_at_gate(epoch):
            return
        start_batch = task.start_batch if epoch == task.first_epoch else 0
        batch_rng = np.random.default_rng([config.seed, 1, epoch, worker])
        # The noise stream's state is not saved: a mid-epoch resume seeds a fresh one.
        noise_rng = np.random.default_rng([config.seed, 2, epoch, worker, *([start_batch] if start_batch else [])])
        words_before = epoch * slice_words
        batches = iter_batches(slice_ids, slice_offsets, config.window, config.batch_size, batch_rng,
                               task.keep_prob, shrink_windows=config.shrink_windows)
        if start_batch:  # replay the batch stream up to the saved position (no training on them)
            batches = itertools.islice(batches, start_batch, None)
        for batch in batches:
            global_done = int(words_done.sum())
            if (pause[0] or stop[0] or signals.parent_gone() or signals.past_hold_point(global_done)) \
                    and not signals.hold():
                return
            global_done = int(words_done.sum())
            lr_in, lr_out = learning_rates(config, global_done, task.words_total)
            with np.errstate(over="ignore", invalid="ignore"):
                loss = step(W_in, W_out, batch, lr_in, lr_out, noise_rng)
            if loss_diverged(loss, len(batch)):
                shared["diverged_at"][:] = (epoch, 100.0 * batch.words_done / max(1, slice_words))
                shared["state"][worker] = DIVERGED
                return
            loss_sum[worker, epoch] += loss
            n_examples[worker, epoch] += len(batch)
            words_done[worker] = words_before + batch.words_done
            batches_done[worker] += 1
        words_done[worker] = words_before + slice_words
        shared["epochs_done"][worker] = epoch + 1
    shared["state"][worker] = FINISHED


class _Signals:
    """A worker's side of the flags the parent holds it with (module docstring)."""

    def __init__(self, shared: SharedArrays, worker: int, parent_pid: int) -> None:
        self.gate, self.pause, self.acked, self.stop, self.state, self.hold_at, self.words_done = (
            shared[key] for key in ("gate", "pause", "acked", "stop", "state", "hold_at", "words_done"))
        self.worker = worker
        # From the task, not os.getppid() here: a parent killed while this worker was still
        # importing would leave getppid() = the reaper's pid, and the worker waiting forever.
        self.parent_pid = parent_pid

    def parent_gone(self) -> bool:
        """The parent died (kill -9): one getppid() call, cheap enough for every batch."""
        return os.getppid() != self.parent_pid

    def must_stop(self) -> bool:
        """The parent said stop, or died: a worker must not wait, or train, for nobody."""
        if self.stop[0] or self.parent_gone():
            self.state[self.worker] = STOPPED
            return True
        return False

    def wait_at_gate(self, epoch: int) -> bool:
        """Wait until the parent opens `epoch` (acking any pause meanwhile); False: stop."""
        if self.gate[0] < epoch:
            self.state[self.worker] = WAITING
        while self.gate[0] < epoch:
            if self.must_stop():
                return False
            if self.pause[0]:  # waiting here, it writes nothing: it may acknowledge at once
                self.acked[self.worker] = self.pause[0]
            time.sleep(WORKER_POLL_SECONDS)
        self.state[self.worker] = RUNNING
        return True

    def past_hold_point(self, global_done: int) -> bool:
        """The run passed the parent's hold point (a test's pause at a word count): every
        worker stops at its next batch boundary, so the pause lands there however fast
        the machine is, and waits for the parent's pause (which clears the point)."""
        return bool(self.hold_at[0]) and global_done >= self.hold_at[0]

    def hold(self) -> bool:
        """At a batch boundary: acknowledge the parent's pause and wait it out; False: stop."""
        self.state[self.worker] = PAUSED
        while not self.must_stop():
            number = int(self.pause[0])
            if not number and not self.past_hold_point(int(self.words_done.sum())):
                self.state[self.worker] = RUNNING
                return True
            self.acked[self.worker] = number
            time.sleep(WORKER_POLL_SECONDS)
        return False
