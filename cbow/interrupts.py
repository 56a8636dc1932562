"""SIGTERM as Ctrl-C: `kill`, `timeout`, batch schedulers and systemd stop a job with SIGTERM.

Its default action ends the process on the spot: no finally block runs, so temporary files
(a half-written corpus cache entry, the encoded ids beside the output) and the workers'
shared-memory segment would be left behind. While `sigterm_raises_interrupt()` is in
force, SIGTERM raises KeyboardInterrupt instead, which every cleanup path already handles
(and which the checkpointer turns into a saved checkpoint, cbow.training.checkpoint).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable


def sigterm_raises_interrupt() -> Callable[[], None]:
    """Make SIGTERM raise KeyboardInterrupt in this process; returns the function that undoes it.

    Only in the main thread (where Python runs signal handlers), and only over SIGTERM's
    default action: a handler someone else installed (the checkpointer's, an application's)
    is kept, and then the returned function does nothing. Nor does it undo a handler
    installed since (the CLI ignores SIGTERM once a checkpoint is saved and it only has to
    exit, cbow.cli.train_run).
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
        return lambda: None

    def interrupt(signum, frame) -> None:
        raise KeyboardInterrupt

    def restore() -> None:
        if signal.getsignal(signal.SIGTERM) is interrupt:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)

    signal.signal(signal.SIGTERM, interrupt)
    return restore
