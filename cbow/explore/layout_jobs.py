"""t-SNE and UMAP maps as background jobs: one child process at a time, progress, cached per file.

A map request for t-SNE or UMAP starts a job (or finds it) and is answered at once with
its state; the page asks again until it is done:

    queued -> running (progress 0..1, a message) -> done (the coordinates) | failed (why)

A job runs `cbow.explore.layout_child` in its own process (the libraries print their
progress, and a process of their own can be read and stopped), fed the unit vectors of
the file's N most frequent words. Jobs run one after another: the machine's cores go to
one map at a time, and the server keeps answering neighbour queries meanwhile.

Finished maps are cached on disk, in the cbow cache ($CBOW_CACHE_DIR, else
$XDG_CACHE_HOME/cbow, else ~/.cache/cbow) under explore/, named by the file's
fingerprint (path, sizes, modification times), the method and N: a later session on the
same file draws the map at once, and a changed file is never shown an old map. When the
cache cannot be written the maps live in a temporary directory for the session.
"""

from __future__ import annotations

import io
import json
import logging
import os
import queue
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cbow.data.cache import default_cache_dir
from cbow.explore.layout import Layout, unit_rows
from cbow.explore.served import ServedFile
from cbow.scratch import HeldDirectory, held_name_pattern, sweep

logger = logging.getLogger(__name__)

SCRATCH_PREFIX = "cbow-explore-maps-"  # the session's maps when the cache cannot be written
CACHE_VERSION = 1  # part of every cached map's name: a change of method settings invalidates them
LABELS = {"tsne": "t-SNE", "umap": "UMAP"}


@dataclass
class Job:
    """The state of one map being computed (what the page is shown while it waits)."""

    key: str
    method: str
    n: int
    state: str = "queued"  # queued, running, done, failed
    progress: float = 0.0
    message: str = ""
    error: str | None = None
    layout: Layout | None = None

    def to_json(self) -> dict:
        return {"state": self.state, "progress": round(self.progress, 4), "message": self.message,
                **({"error": self.error} if self.error else {})}


def child_environment() -> dict[str, str]:
    """The child's environment: OpenMP threads one fewer than the cores (at least one), unless set.

    The server keeps a core for the queries it answers meanwhile; and OpenMP threads that
    wait by spinning slow the whole map down when the cores are busy (5x here: a 50-word
    t-SNE took 17 s with both cores' threads on a loaded 2-core machine, 3.5 s with one).
    """
    environment = dict(os.environ)
    environment.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) - 1)))
    return environment


class LayoutJobs:
    """The session's t-SNE / UMAP jobs; `close()` stops the running child and the worker thread."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        self._jobs: dict[str, Job] = {}
        self._waiting: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._child: subprocess.Popen | None = None
        self._closed = False
        self._scratch: HeldDirectory | None = None
        self._cache_dir = self._usable_cache(cache_dir or default_cache_dir() / "explore")
        self._worker = threading.Thread(target=self._work, name="cbow-explore-layouts", daemon=True)
        self._worker.start()

    def _usable_cache(self, directory: Path) -> Path:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            if os.access(directory, os.W_OK):
                return directory
        except OSError:
            pass
        sweep(tempfile.gettempdir(), held_name_pattern(SCRATCH_PREFIX))
        self._scratch = HeldDirectory(tempfile.gettempdir(), SCRATCH_PREFIX)
        logger.warning("%s cannot be written; maps are kept for this session only", directory)
        return self._scratch.path

    def _cache_path(self, served: ServedFile, method: str, n: int) -> Path:
        return self._cache_dir / f"{served.fingerprint()}-{method}-{n}-v{CACHE_VERSION}.npy"

    def request(self, served: ServedFile, method: str, n: int) -> Job:
        """The job of this map: done at once when cached, else queued (once) and returned as it stands."""
        key = f"{served.id}:{method}:{n}"
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.state != "failed":
                return job
            busy = self._child is not None or not self._waiting.empty()
            job = Job(key, method, n, message=f"{LABELS[method]} of {n:,} words: "
                                               f"{'waiting for the map asked before it' if busy else 'starting'}")
            self._jobs[key] = job
        rows = served.frequency_order()[:n]
        cached = self._read(self._cache_path(served, method, n), n)
        if cached is not None:
            job.layout, job.state, job.progress, job.message = Layout(rows, cached), "done", 1.0, "from the cache"
            return job
        self._waiting.put((job, served, rows))
        return job

    @staticmethod
    def _read(path: Path, n: int) -> np.ndarray | None:
        try:
            coords = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return None
        if coords.shape != (n, 2) or coords.dtype != np.float32 or not np.isfinite(coords).all():
            return None  # damaged or foreign: computed again
        return coords

    def _work(self) -> None:
        while True:
            item = self._waiting.get()
            if item is None:
                return
            job, served, rows = item
            try:
                self._run(job, served, rows)
            except Exception as error:
                logger.exception("the %s map of %s failed", job.method, served.name)
                job.state, job.error = "failed", f"{type(error).__name__}: {error}"

    def _run(self, job: Job, served: ServedFile, rows: np.ndarray) -> None:
        label = LABELS[job.method]
        job.state, job.message = "running", f"{label}: preparing {len(rows):,} vectors"
        buffer = io.BytesIO()
        np.save(buffer, unit_rows(served.kv.vectors, rows), allow_pickle=False)
        output = self._cache_path(served, job.method, job.n)
        command = [sys.executable, "-m", "cbow.explore.layout_child", job.method, str(output)]
        with self._lock:
            if self._closed:
                return
            self._child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           stderr=subprocess.DEVNULL, text=False, env=child_environment())
        child = self._child
        try:
            child.stdin.write(buffer.getvalue())
            child.stdin.close()
        except BrokenPipeError:
            pass
        error = None
        for line in child.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if "progress" in message:
                job.progress, job.message = float(message["progress"]), str(message.get("message", ""))
            error = message.get("error", error)
        status = child.wait()
        with self._lock:
            self._child = None
        coords = self._read(output, job.n) if status == 0 else None
        if coords is None:
            job.state = "failed"
            job.error = error or f"the {label} process ended with status {status}"
            return
        job.layout, job.state, job.progress, job.message = Layout(rows, coords), "done", 1.0, "done"

    def close(self) -> None:
        """Stop the running child (the process this session started) and the worker."""
        with self._lock:
            self._closed = True
            child = self._child
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
        self._waiting.put(None)
        self._worker.join(timeout=10)
        if self._scratch is not None:
            self._scratch.remove()
