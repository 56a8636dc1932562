"""Checkpoints of a training run: save atomically, load with validation, resume exactly.

A checkpoint is one `.npz` file (numpy's zip of arrays; no pickle) holding

    W_in (V, d) float32, W_out (V or V-1, d) float32   the weights after the last whole batch
    frozen_rows  (V,) bool   only for a run with freeze_init: the W_in rows it leaves alone
    vocab_words  uint8   the words, UTF-8, joined by "\\n" (no word holds a newline)
    vocab_counts (V,) int64
    meta         uint8   UTF-8 JSON: format/version, TrainConfig as a dict, corpus identity
                         (path and a sha256 fingerprint of vocabulary + encoded ids), the
                         progress (epoch, batches done in it, words done, lr), the state of
                         the noise generator, the loss bookkeeping and the finished epochs

written with `cbow.atomic.atomic_write` (temp file + fsync + os.replace), so a reader or a
crash never sees a partial checkpoint and the previous one survives a failed write.

Exact resume. The loop draws from two independent streams per epoch: the batch stream
(`default_rng([seed, 1, epoch])`: subsampling and window sizes) and the noise stream
(`default_rng([seed, 2, epoch])`: negative samples). A checkpoint stores the noise
generator's state and the number of batches applied; resuming rebuilds the epoch's batches
from its seed, skips that many, and restores the noise state. With one worker the resumed
run is then bit-identical to an uninterrupted one.

With worker processes (cbow.training.parallel.pool) the parent saves while the workers wait, at the
epoch barrier or in a mid-epoch pause; the state then holds every worker's position
(`worker_positions`: its slice, batches and words done in the epoch). Resuming replays
each worker's batch stream (seeded (seed, 1, epoch, worker)) past its position; the noise
streams are seeded afresh, so such a run resumes to the same schedule and the same
quality, not to the same bits (a run with several workers is never bit-reproducible). A
mid-epoch checkpoint resumes only with the same --workers (the slices must match); one
saved at an epoch's end resumes with any.

`Checkpointer` is a training callback (cbow.training.callbacks): it asks for a pause when
its interval has passed or Ctrl-C / SIGTERM arrived, saves `run.state()` there (the one
TrainState builder, cbow.training.run) and after every epoch; the state is built only when
a save happens.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from cbow.atomic import atomic_write
from cbow.data.vocab import Vocab
from cbow.errors import Diverged
from cbow.training.callbacks import Callback
from cbow.training.checkpoint_checks import (  # noqa: F401 (CheckpointError re-exported)
    FORMAT, VERSION, CheckpointError, checked_contents, read_arrays,
)
from cbow.training.run import EpochReport, Run, TrainState, corpus_fingerprint  # noqa: F401 (re-exported)

logger = logging.getLogger(__name__)

CHECKPOINT_SUFFIX = ".ckpt"
# For tests: `cbow train` saves and holds at this fraction of the run (Checkpointer.hold_at)
HOLD_AT_ENV = "CBOW_TEST_HOLD_AT"


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training; a checkpoint was saved at `checkpoint_path`."""

    def __init__(self, checkpoint_path: Path) -> None:
        super().__init__(str(checkpoint_path))
        self.checkpoint_path = checkpoint_path


def checkpoint_path_for(output: str | os.PathLike) -> Path:
    """`vectors.bin` -> `vectors.bin.ckpt`."""
    return Path(os.fspath(output) + CHECKPOINT_SUFFIX)


@dataclass
class Checkpoint:
    """A loaded checkpoint: the run's identity plus its `TrainState`."""

    config: dict
    vocab: Vocab
    corpus_path: str | None
    corpus_fingerprint: str
    output: str | None
    vocab_path: str | None
    state: TrainState
    path: Path | None = None


def _encode_meta(checkpoint: Checkpoint) -> np.ndarray:
    state = checkpoint.state
    progress = {key: value for key, value in asdict(state).items() if key not in ("W_in", "W_out", "frozen_rows")}
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "config": checkpoint.config,
        "corpus_path": checkpoint.corpus_path,
        "corpus_fingerprint": checkpoint.corpus_fingerprint,
        "output": checkpoint.output,
        "vocab_path": checkpoint.vocab_path,
        "progress": progress,
    }
    return np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)


def save_checkpoint(path: str | os.PathLike, checkpoint: Checkpoint) -> None:
    """Write `checkpoint` to `path` atomically (the old file survives any failure).

    Raises
    ------
    Diverged : the weights hold NaN or inf (a checkpoint is never written with them)
    OutputError : the write failed (disk full, no permission); `path` is untouched
    """
    state = checkpoint.state
    for name, matrix in (("W_in", state.W_in), ("W_out", state.W_out)):
        if not np.isfinite(matrix).all():
            raise Diverged(
                f"training diverged in epoch {state.epoch + 1}: {name} holds NaN or inf; "
                f"the last good checkpoint {os.fspath(path)} is kept; lower --alpha or set --clip-grad"
            )
    words_blob = np.frombuffer("\n".join(checkpoint.vocab.words).encode("utf-8"), dtype=np.uint8)
    frozen = {} if state.frozen_rows is None else {"frozen_rows": np.asarray(state.frozen_rows, dtype=bool)}
    with atomic_write(path) as handle:
        np.savez(handle, W_in=state.W_in, W_out=state.W_out, vocab_words=words_blob,
                 vocab_counts=np.asarray(checkpoint.vocab.counts), meta=_encode_meta(checkpoint), **frozen)


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint written by `save_checkpoint`, every part of it checked
    (cbow.training.checkpoint_checks), so that the engines can trust what it holds.

    Raises
    ------
    CheckpointError : one line naming the file and what is wrong: missing, not a
        checkpoint (a vectors file is named as one), truncated or corrupt, another format,
        written by a newer cbow, or arrays and fields inconsistent with its vocabulary and
        settings
    """
    name = os.fspath(path)
    contents = checked_contents(name, read_arrays(name))
    meta = contents.meta
    return Checkpoint(
        config=contents.config,
        vocab=Vocab(contents.words, contents.counts),
        corpus_path=meta["corpus_path"],
        corpus_fingerprint=meta["corpus_fingerprint"],
        output=meta["output"],
        vocab_path=meta["vocab_path"],
        state=contents.state,
        path=Path(name),
    )


# Settings that do not change the model a run converges to: a run may resume with others.
NOT_MODEL_SETTINGS = frozenset({"workers"})
# Settings a resumed run may change: the processes, and how many epochs the run has (it goes
# on, or stops, as a run of that many epochs would from where it is: cbow.training.schedule)
RESUME_MAY_DIFFER = NOT_MODEL_SETTINGS | {"epochs"}


def check_resume_epochs(checkpoint: Checkpoint, epochs: int) -> None:
    """Refuse an --epochs below the epochs the checkpoint has done already."""
    if epochs < checkpoint.state.epoch:
        raise CheckpointError(f"{checkpoint.path or 'checkpoint'}: {checkpoint.state.epoch} epochs are done already; "
                              f"--epochs {epochs} would undo some: give --epochs {checkpoint.state.epoch} or more")


def check_compatible(checkpoint: Checkpoint, config_dict: dict, fingerprint: str,
                     corpus_name: str, defaults: dict | None = None,
                     may_differ: frozenset[str] = NOT_MODEL_SETTINGS) -> None:
    """Raise CheckpointError unless `checkpoint` was made by this config on this corpus.

    `defaults` (TrainConfig's defaults as a dict) stand in for the settings a checkpoint
    lacks because it was written before they existed; the settings in `may_differ`
    (NOT_MODEL_SETTINGS unless given) may differ.
    """
    name = os.fspath(checkpoint.path) if checkpoint.path else "checkpoint"
    defaults = defaults or {}
    saved = {**defaults, **checkpoint.config}
    for key in sorted((set(config_dict) | set(saved)) - may_differ):
        if config_dict.get(key) != saved.get(key):
            flag = "--" + key.replace("_", "-")
            raise CheckpointError(
                f"{name}: made with {flag} {saved.get(key)!r}, this run has "
                f"{config_dict.get(key)!r}; drop {flag} to resume, or start afresh without --resume"
            )
    if fingerprint != checkpoint.corpus_fingerprint:
        raise CheckpointError(
            f"{name}: made from a different corpus ({corpus_name} differs in vocabulary or "
            "text); resume with the original corpus, or start afresh without --resume"
        )


class Checkpointer(Callback):
    """Saves checkpoints during training: every `every_seconds`, at epoch ends, on Ctrl-C.

    A callback: `wants_pause` when a save is due, `at_pause` saves (and on Ctrl-C raises
    TrainingInterrupted), `on_epoch_end` saves the epoch's end. At a pause it goes before
    the other callbacks (`pause_order`), so Ctrl-C stops before a long held-out score.

    Parameters
    ----------
    path : the checkpoint file (OUTPUT.ckpt)
    every_seconds : interval of periodic saves; None or 0 saves only at epoch ends and on
        Ctrl-C
    corpus_path, output, vocab_path : recorded so `--resume` can find them again
    clock : monotonic clock (tests inject one)
    hold_at : a test's pause point, as a fraction of the run's words (None: off): at the
        first consistent point past it (a batch boundary; with workers, every worker held
        at one) save, then wait for Ctrl-C or SIGTERM and stop as they do. Tests reach a
        mid-run state this way instead of racing the clock (the CLI reads it from
        HOLD_AT_ENV); with worker processes, `hold_at_words` tells them where to stop.

    `bind(config, vocab, fingerprint, words_total)` is called at `on_train_begin`.
    """

    pause_order = -1  # saves first at a pause (CallbackList.at_pause)

    def __init__(self, path: str | os.PathLike, every_seconds: float | None = None, *,
                 corpus_path: str | None = None, output: str | None = None,
                 vocab_path: str | None = None, clock: Callable[[], float] = time.monotonic,
                 hold_at: float | None = None) -> None:
        self.path = Path(path)
        self.every_seconds = every_seconds or None
        self.corpus_path = corpus_path
        self.output = output
        self.vocab_path = vocab_path
        self.clock = clock
        self.interrupted = False
        self.n_saved = 0
        self.save_seconds = 0.0
        self._last_save = clock()
        self._identity: tuple[dict, Vocab, str] | None = None
        self.hold_at = hold_at
        self.hold_at_words: int | None = None  # hold_at in words, once bound to a run

    def bind(self, config_dict: dict, vocab: Vocab, fingerprint: str, words_total: int = 0) -> None:
        self._identity = (config_dict, vocab, fingerprint)
        self._last_save = self.clock()
        if self.hold_at is not None:
            self.hold_at_words = max(1, int(self.hold_at * words_total))

    def _due(self, words_done: int) -> bool:
        """Whether to save at the next consistent point: Ctrl-C was pressed, the interval
        passed, or the run reached the test's hold point."""
        return (self.interrupted or self._hold_reached(words_done)
                or (self.every_seconds is not None and self.clock() - self._last_save >= self.every_seconds))

    def _hold_reached(self, words_done: int) -> bool:
        return self.hold_at_words is not None and words_done >= self.hold_at_words

    def _hold(self) -> None:
        """Wait, saved, for the signal a test sends (or its kill -9), then stop as on Ctrl-C."""
        logger.info("holding at %d words for a signal (%s)", self.hold_at_words, HOLD_AT_ENV)
        while not self.interrupted:
            time.sleep(0.01)
        raise TrainingInterrupted(self.path)

    # -- the callback's events ------------------------------------------------------------
    def on_train_begin(self, run: Run) -> None:
        self.bind(run.config.to_dict(), run.vocab, run.fingerprint, run.words_total)

    def pause_at_words(self, run: Run) -> int | None:
        return self.hold_at_words

    def wants_pause(self, run: Run) -> bool:
        return self._due(run.words_done)

    def at_pause(self, run: Run) -> None:
        """Saves when due; on Ctrl-C saves and raises; at the hold point saves and waits for Ctrl-C."""
        if self.interrupted:
            self.save(run.state())
            raise TrainingInterrupted(self.path)
        if self._due(run.words_done):
            self.save(run.state())
            if self._hold_reached(run.words_done):
                self._hold()

    def on_epoch_end(self, run: Run, report: EpochReport) -> None:
        self.save(run.state())
        if self.interrupted:
            raise TrainingInterrupted(self.path)

    def save(self, state: TrainState) -> None:
        if self._identity is None:
            raise RuntimeError("Checkpointer.bind must be called before saving")
        config_dict, vocab, fingerprint = self._identity
        started = time.perf_counter()
        save_checkpoint(self.path, Checkpoint(
            config=config_dict, vocab=vocab, corpus_path=self.corpus_path,
            corpus_fingerprint=fingerprint, output=self.output, vocab_path=self.vocab_path,
            state=state,
        ))
        self.save_seconds += time.perf_counter() - started
        self.n_saved += 1
        self._last_save = self.clock()
        logger.info("checkpoint saved to %s (epoch %d, batch %d)", self.path, state.epoch + 1,
                    state.batches_done)

    @contextlib.contextmanager
    def catch_interrupts(self) -> Iterator[None]:
        """While active, the first Ctrl-C or SIGTERM asks for a save at the next batch boundary.

        SIGTERM is what `kill`, `timeout` and batch schedulers send before they stop a job:
        it saves like Ctrl-C, so a preempted run resumes. A second Ctrl-C interrupts at once
        (the atomic write leaves the old checkpoint); a second SIGTERM does not, as `timeout`
        sends it twice (to the process, then to its group), and a scheduler that will not
        wait sends SIGKILL anyway. Only installs the handlers in the main thread; elsewhere
        it does nothing.
        """
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def request_stop(signum, frame) -> None:
            if self.interrupted and signum == signal.SIGINT:
                raise KeyboardInterrupt
            self.interrupted = True

        previous = {signum: signal.signal(signum, request_stop) for signum in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
