"""The reading pass in a forked child process, so that its scattered heap ends with it.

Reading a corpus makes and drops millions of small Python objects (a token list per
line, a str per distinct token, the provisional dict), among which the vocabulary's
words are kept. CPython's small-object allocator returns a 1 MiB arena to the OS only
when every object in it is gone, and after the pass a few survivors pin most of them:
on bench-text8 the process kept 42 arenas (44 MB) for 21 MB of live objects, and
malloc_trim cannot give back pages the allocator considers in use. A process that only
loads the result (a warm corpus cache) does not carry those ~20 MB through training.

So where the ids go to a file anyway (a cache entry, or the temporary file of --no-cache,
cbow.data.prepare) and fork exists (Linux), `read_to_file` runs `read_and_encode` in a
forked child: it writes the ids' file and sends back the vocabulary and the sentence
offsets; its log records are sent along and handled here, so they reach the same
handlers (a terminal, pytest's caplog) as if the parent had logged them; its exception,
if any, is raised here. The parent maps the ids' file. A child killed before it answered
(out of memory) is reported with its exit code; Ctrl-C stops both (the child is killed).

The child dies with its parent. A parent killed outright (kill -9, the OOM killer) runs no
cleanup, and an orphaned reader would read on, then block forever in its answer's write,
holding the caller's stdout and stderr (a script's communicate() never returns) and the
files it writes. So the child asks the kernel for SIGKILL when its parent ends
(prctl PR_SET_PDEATHSIG), then checks that the parent did not end before it asked; and it
closes its copy of the pipe's read end, so that an answer to nobody fails (EPIPE) instead
of filling a pipe nobody reads. The files it leaves are removed by the next run
(cbow.scratch: the caller holds them, and the child inherits the hold).
"""

from __future__ import annotations

import ctypes
import logging
import os
import pickle
import signal
import sys
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from cbow.data.encode import EncodedCorpus, read_and_encode
from cbow.data.vocab import Vocab
from cbow.errors import CorpusError, OutputError

logger = logging.getLogger(__name__)


def reading_forks() -> bool:
    """Whether the reading pass runs in a forked child here (Linux)."""
    return sys.platform.startswith("linux")


class _RecordCollector(logging.Handler):
    """Keeps every record that reaches the root logger (the child sends them at its end)."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None  # formatted here: args may not pickle
        record.exc_info = record.exc_text = None
        self.records.append(record)


def _save_offsets(path: Path, offsets: np.ndarray) -> None:
    """The sentence offsets as a `.npy` file; OutputError where it cannot be written (a full
    disk: the caller reads in memory instead)."""
    try:
        np.save(path, offsets)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent(parent_pid: int) -> None:
    """In a forked child: be killed (SIGKILL) when the parent ends; exit at once if it has
    ended already (before the request, which would then never fire).

    Linux only, and the parent here is the thread that forked: read_to_file's caller,
    which waits for the child, so it cannot end first.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(ctypes.c_int(_PR_SET_PDEATHSIG), ctypes.c_ulong(signal.SIGKILL), ctypes.c_ulong(0),
                   ctypes.c_ulong(0), ctypes.c_ulong(0))
    except (OSError, AttributeError):  # no prctl to ask: the pipe's EPIPE still ends the child
        pass
    if os.getppid() != parent_pid:  # the parent died before the request: nobody reads our answer
        os._exit(1)


def _read_in_child(reader, writer, parent_pid: int, source, settings: dict, ids_path: Path,
                   offsets_path: Path | None) -> None:
    """The child: read and encode, send ("ok", (words, counts, offsets or None when saved to
    `offsets_path`, n_raw), records) or ("error", exception, records) to `writer`."""
    die_with_parent(parent_pid)
    reader.close()  # the parent's end: with it open here, a write to a dead parent would block
    collector = _RecordCollector()
    root = logging.getLogger()
    root.handlers = [collector]  # the parent's handlers get the records there
    try:
        vocab, corpus = read_and_encode(source, **settings, ids_path=ids_path)
        offsets = np.asarray(corpus.sentence_offsets)
        if offsets_path is not None:
            _save_offsets(offsets_path, offsets)
            offsets = None
        outcome = ("ok", (vocab.words, np.asarray(vocab.counts), offsets, corpus.n_raw_tokens))
    except BaseException as exc:  # everything goes back to the parent, which raises it
        outcome = ("error", exc)
    try:
        try:
            writer.send((*outcome, collector.records))
        except (pickle.PicklingError, TypeError, AttributeError):  # an exception that does not pickle
            writer.send(("error", RuntimeError(f"{type(outcome[1]).__name__}: {outcome[1]}"), collector.records))
    except OSError:  # EPIPE: the parent is gone (or stopped reading); nobody to tell
        os._exit(1)
    writer.close()


def read_to_file(source, settings: dict, ids_path: str | os.PathLike,
                 offsets_path: str | os.PathLike | None = None) -> tuple[Vocab, EncodedCorpus]:
    """`read_and_encode(source, **settings, ids_path=ids_path)`, in a forked child where
    `reading_forks()` (module docstring), else in this process; same result, same errors.
    With `offsets_path`, the sentence offsets are saved there (`.npy`) and come back
    memory-mapped too (pages a run can give back, cbow.data.pages); the caller owns both files."""
    ids_path = Path(ids_path)
    offsets_path = None if offsets_path is None else Path(offsets_path)
    if not reading_forks():
        vocab, corpus = read_and_encode(source, **settings, ids_path=ids_path)
        if offsets_path is None:
            return vocab, corpus
        _save_offsets(offsets_path, np.asarray(corpus.sentence_offsets))
        return vocab, EncodedCorpus(corpus.word_ids, np.load(offsets_path, mmap_mode="r"), corpus.n_raw_tokens)
    context = get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(target=_read_in_child,
                            args=(reader, writer, os.getpid(), source, settings, ids_path, offsets_path),
                            name="cbow-reading", daemon=True)
    try:
        child.start()
    except BaseException:  # no child (fork failed: out of memory, too many processes)
        reader.close()
        raise
    finally:
        writer.close()  # the child's end: its copy is the only one, so its death is our EOF
    try:
        try:
            kind, payload, records = reader.recv()
        except EOFError:  # it died without answering
            child.join()
            raise CorpusError(f"reading {source} failed: the reading process ended with exit code "
                              f"{child.exitcode} (out of memory? try --low-memory)") from None
        child.join()
    finally:
        reader.close()
        if child.is_alive():  # Ctrl-C or SIGTERM here: the child goes too
            child.kill()
            child.join()
    for record in records:
        logging.getLogger(record.name).handle(record)
    if kind == "error":
        raise payload
    words, counts, offsets, n_raw_tokens = payload
    if offsets is None:
        offsets = np.load(offsets_path, mmap_mode="r")
    return Vocab(words, counts), EncodedCorpus(np.load(ids_path, mmap_mode="r"), offsets, n_raw_tokens)
