"""How a run is wired, whichever engine trains: its callbacks in their order, the first and
last events around the engine, and a resumed run's histories (cbow.training.loop on one
machine, cbow.training.cluster.run on a cluster).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from cbow.data.encode import EncodedCorpus
from cbow.training.callbacks import Callback, CallbackList, FunctionCallback, adapt
from cbow.training.checkpoint import Checkpoint, Checkpointer
from cbow.training.config import TrainConfig
from cbow.training.heldout import HeldoutMonitor
from cbow.training.progress import LossCurve, ProgressBar
from cbow.training.run import EpochReport, HeldoutPoint, LossPoint, Run, TrainResult


def restore_histories(result: TrainResult, resume: Checkpoint) -> None:
    """A resumed run's result starts with the checkpoint's epochs and curves."""
    result.epochs = [EpochReport(**report) for report in resume.state.epochs]
    result.loss_history = [LossPoint(**point) for point in resume.state.loss_history]
    result.heldout_history = [HeldoutPoint(**point) for point in resume.state.heldout_history]


def callback_list(callbacks: Sequence[Callback], progress: bool, heldout: EncodedCorpus | None,
                  config: TrainConfig, on_epoch_end: Callable[[EpochReport], object] | None = None,
                  on_heldout: Callable[[HeldoutPoint], object] | None = None,
                  checkpointer: Checkpointer | None = None, extra: Sequence[Callback] = ()) -> CallbackList:
    """The run's callbacks in their order: loss curve, the engine's `extra` ones (a cache
    check), progress bar, held-out scores, the caller's, checkpointers last (the state they
    save has seen every other epoch end)."""
    user = [adapt(callback) for callback in callbacks]  # gensim's callbacks and partial classes too
    if on_epoch_end is not None or on_heldout is not None:
        user.append(FunctionCallback(on_epoch_end, on_heldout))
    if checkpointer is not None:
        user.append(checkpointer)
    built_in = [LossCurve(), *extra, *([ProgressBar()] if progress else []),
                *([HeldoutMonitor(heldout, config.holdout_every)] if heldout is not None else [])]
    return CallbackList([*built_in, *[c for c in user if not isinstance(c, Checkpointer)],
                         *[c for c in user if isinstance(c, Checkpointer)]])


def drive(run: Run, engine: Callable[[Run], None]) -> None:
    """Run `engine` between the run's first and last events; times the training."""
    train_started = time.perf_counter()
    try:
        run.callbacks.on_train_begin(run)
        run.pause_if_wanted()  # a resumed run's due pause (a held-out score saved before it was made)
        run.paused_seconds = 0.0  # before the engine's clock starts: not part of any epoch's time
        engine(run)
        run.completed = True
    finally:
        run.callbacks.on_train_end(run)
    run.result.train_seconds = time.perf_counter() - train_started
