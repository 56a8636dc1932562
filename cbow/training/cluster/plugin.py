"""A Dask worker plugin for the clusters cbow starts itself (`--cluster local:N`).

Imported only when such a cluster is started: it subclasses `distributed.WorkerPlugin`.
"""

from __future__ import annotations

import signal
import threading

from distributed import WorkerPlugin


class LeaveSignalsToTheClient(WorkerPlugin):
    """The workers of a cluster started here ignore Ctrl-C and SIGTERM.

    A terminal's Ctrl-C (and `timeout`'s SIGTERM) reaches the whole process group, the
    workers included: they would die with tracebacks while the client saves its checkpoint
    at the last merge and then closes them. The client stops them; if it is killed
    outright, Dask's worker processes notice their parent's death and exit. Registered with
    the scheduler, it also applies to a worker its nanny restarts.
    """

    def setup(self, worker) -> None:
        if threading.current_thread() is threading.main_thread():  # the worker's event loop runs there
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, signal.SIG_IGN)
