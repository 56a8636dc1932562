"""The events a training run emits: the `Callback` protocol, and the run's `CallbackList`.

Everything around the training loop is a `Callback`: the loss curve and the progress bar
(cbow.training.progress), the
held-out scores (cbow.training.heldout), the checkpoints (cbow.training.checkpoint), the
per-epoch --eval scores (cbow.training.epoch_eval), the JSON-lines log
(cbow.training.training_log) and a user's own. gensim users know the idea as
`CallbackAny2Vec`. Both engines emit the same events with the same `Run`
(cbow.training.run), so a callback sees the same thing whichever engine trains:

    on_train_begin(run)             before the first batch (after a resume: at its position)
    on_epoch_begin(run)             before each epoch (run.epoch: the 0-based epoch starting)
    on_progress(run)                the counters moved: after every batch in one process,
                                    at every poll (~20 ms) with worker processes
    pause_at_words(run) -> int      "hold the run there": the first consistent point at or
                                    after this word count becomes a pause (None: no need)
    wants_pause(run) -> bool        "I need the weights still now" (an interval passed, Ctrl-C)
    at_pause(run)                   the weights are consistent: in one process at a batch
                                    boundary, with workers while every worker is held
    on_epoch_end(run, report)       after the epoch, weights consistent; return True (or
                                    set run.stop_training) to end the run after it
    on_heldout(run, point)          a held-out score was made (with --holdout)
    on_train_end(run)               the run ended: normally (run.completed) or not

gensim's callbacks work too (`adapt`): a `CallbackAny2Vec` (cbow's, or any object whose
`on_epoch_end` takes one argument, the model) has its on_train_begin / on_epoch_begin /
on_epoch_end / on_train_end(model) called, `model` being the cbow.Word2Vec that trains
(or, passed to `cbow.train` directly, the Run); any other object not derived from
`Callback` is called with cbow's events, those it lacks skipped. Return values of gensim
callbacks are ignored, as gensim ignores them.

Order matters where callbacks build on each other: the run's list is [loss curve, the
run's own checks (a big cache's checksum), progress bar, held-out scores, the caller's
callbacks in their order, checkpointers last] (cbow.training.wiring.callback_list), so the
report a checkpoint or a log sees already holds its held-out score.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cbow.training.run import EpochReport, HeldoutPoint, Run


class Callback:
    """Base class of training callbacks: override the events you need.

    `pause_order` (default 0) orders the callbacks' `at_pause` calls (lower first); the
    list order holds for every other event.

    Examples
    --------
    >>> class StopWhenFlat(cbow.Callback):
    ...     def on_epoch_end(self, run, report):
    ...         losses = run.result.epoch_losses
    ...         return len(losses) > 1 and losses[-2] - losses[-1] < 0.01   # True: stop
    >>> cbow.train("corpus.txt", config, callbacks=[StopWhenFlat()])
    """

    pause_order = 0

    def on_train_begin(self, run: Run) -> None:
        """The run starts (or resumes): `run` holds its position and the weights."""

    def on_epoch_begin(self, run: Run) -> None:
        """Epoch `run.epoch` (0-based) starts."""

    def on_progress(self, run: Run) -> None:
        """The counters moved (every batch in one process, every poll with workers)."""

    def pause_at_words(self, run: Run) -> int | None:
        """A word count the run should pause at (the first consistent point at or after
        it); None when this callback needs none."""
        return None

    def wants_pause(self, run: Run) -> bool:
        """Whether this callback needs the weights consistent now."""
        return False

    def at_pause(self, run: Run) -> None:
        """Called, when `wants_pause` said so, while the weights are consistent."""

    def on_epoch_end(self, run: Run, report: EpochReport) -> bool | None:
        """Epoch `report.epoch` (1-based) ended; return True (the value True itself) to stop
        training after it."""
        return None

    def on_heldout(self, run: Run, point: HeldoutPoint) -> None:
        """A held-out score was made (runs with `holdout`)."""

    def on_train_end(self, run: Run) -> None:
        """The run ended, normally (`run.completed`) or by an exception."""


class CallbackList(Callback):
    """The run's callbacks, called in order; the engines and the loop talk to this one."""

    def __init__(self, callbacks: Iterable[Callback]) -> None:
        self.callbacks = list(callbacks)

    def on_train_begin(self, run: Run) -> None:
        for callback in self.callbacks:
            callback.on_train_begin(run)

    def on_epoch_begin(self, run: Run) -> None:
        for callback in self.callbacks:
            callback.on_epoch_begin(run)

    def on_progress(self, run: Run) -> None:
        for callback in self.callbacks:
            callback.on_progress(run)

    def pause_at_words(self, run: Run) -> int | None:
        wanted = [words for callback in self.callbacks if (words := callback.pause_at_words(run)) is not None]
        return min(wanted) if wanted else None

    def wants_pause(self, run: Run) -> bool:
        return any(callback.wants_pause(run) for callback in self.callbacks)

    def at_pause(self, run: Run) -> None:
        # by pause_order, each asked again in turn: a checkpoint is saved before a held-out
        # score made at the same pause, and a Ctrl-C seen by the checkpointer stops the rest
        for callback in sorted(self.callbacks, key=lambda callback: getattr(callback, "pause_order", 0)):
            if callback.wants_pause(run):
                callback.at_pause(run)

    def on_epoch_end(self, run: Run, report: EpochReport) -> bool:
        stop = False
        for callback in self.callbacks:
            stop = callback.on_epoch_end(run, report) is True or stop  # True itself, not any truthy value
        return stop

    def on_heldout(self, run: Run, point: HeldoutPoint) -> None:
        for callback in self.callbacks:
            callback.on_heldout(run, point)

    def on_train_end(self, run: Run) -> None:
        for callback in self.callbacks:
            callback.on_train_end(run)


class FunctionCallback(Callback):
    """`train(on_epoch_end=f, on_heldout=g)`: plain functions as a callback."""

    def __init__(self, on_epoch_end: Callable[[EpochReport], object] | None = None,
                 on_heldout: Callable[[HeldoutPoint], object] | None = None) -> None:
        self.epoch_function, self.heldout_function = on_epoch_end, on_heldout

    def on_epoch_end(self, run: Run, report: EpochReport) -> bool:
        return self.epoch_function is not None and self.epoch_function(report) is True

    def on_heldout(self, run: Run, point: HeldoutPoint) -> None:
        if self.heldout_function is not None:
            self.heldout_function(point)


GENSIM_EVENTS = ("on_train_begin", "on_epoch_begin", "on_epoch_end", "on_train_end")


class CallbackAny2Vec:
    """gensim's callback base class: override any of on_train_begin, on_epoch_begin,
    on_epoch_end, on_train_end, each called with the model (cbow.Word2Vec) as gensim calls
    them. For cbow's richer events (reports, progress, pauses) derive from `Callback`."""

    def on_train_begin(self, model) -> None:
        """Training starts."""

    def on_epoch_begin(self, model) -> None:
        """An epoch starts."""

    def on_epoch_end(self, model) -> None:
        """An epoch ended (the weights are consistent)."""

    def on_train_end(self, model) -> None:
        """Training ended."""


class GensimCallback(Callback):
    """A gensim-style callback run on cbow's events: each of its methods it has is called
    with `model_at(run)` (the model a gensim callback expects; the run itself by default)."""

    def __init__(self, callback: object, model_at: Callable[[Run], object] | None = None) -> None:
        self.callback = callback
        self.model_at = model_at if model_at is not None else (lambda run: run)

    def _call(self, event: str, run: Run) -> None:
        method = getattr(self.callback, event, None)
        if method is not None:
            method(self.model_at(run))

    def on_train_begin(self, run: Run) -> None:
        self._call("on_train_begin", run)

    def on_epoch_begin(self, run: Run) -> None:
        self._call("on_epoch_begin", run)

    def on_epoch_end(self, run: Run, report: EpochReport) -> None:
        self._call("on_epoch_end", run)

    def on_train_end(self, run: Run) -> None:
        self._call("on_train_end", run)


class PartialCallback(Callback):
    """An object with some of `Callback`'s methods but not derived from it: the ones it has
    are called, the others skipped."""

    def __init__(self, callback: object) -> None:
        self.callback = callback
        self.pause_order = getattr(callback, "pause_order", 0)

    def __getattribute__(self, name: str):
        if name in CALLBACK_EVENTS:
            own = getattr(object.__getattribute__(self, "callback"), name, None)
            if own is not None:
                return own
        return object.__getattribute__(self, name)


CALLBACK_EVENTS = frozenset(name for name in vars(Callback) if name.startswith(("on_", "pause_at", "wants_", "at_")))


def is_gensim_style(callback: object) -> bool:
    """A CallbackAny2Vec, or an object whose `on_epoch_end` takes one argument (gensim's
    (model), where cbow's takes (run, report))."""
    if isinstance(callback, CallbackAny2Vec):
        return True
    method = getattr(callback, "on_epoch_end", None)
    if method is None:
        return False
    try:
        parameters = inspect.signature(method).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) == 1 and not any(p.kind == p.VAR_POSITIONAL for p in parameters)


def adapt(callback: object, model_at: Callable[[Run], object] | None = None, gensim: bool = False) -> Callback:
    """`callback` as a `Callback`: as it is when it is one; a gensim-style one (always with
    `gensim`, else when `is_gensim_style`) called with `model_at(run)`; any other object
    with the cbow events it has (`PartialCallback`)."""
    if isinstance(callback, Callback):
        return callback
    if gensim or is_gensim_style(callback):
        return GensimCallback(callback, model_at)
    if not any(callable(getattr(callback, name, None)) for name in (*CALLBACK_EVENTS, *GENSIM_EVENTS)):
        raise TypeError(f"callback {callback!r} has none of the events ({', '.join(sorted(CALLBACK_EVENTS))}); "
                        "derive it from cbow.Callback or cbow.CallbackAny2Vec")
    return PartialCallback(callback)
