"""A large cached corpus is checked against its checksums while the first epoch trains.

`cbow.data.cache.load` verifies entries up to VERIFY_ON_LOAD_BYTES itself; a bigger one is
returned unverified so training need not wait for a read of gigabytes. This callback
starts that read in a thread when the run begins and, at the end of the first epoch the
run trains, stops the run if the ids had changed on disk (the result must not be kept).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cbow.data import cache as corpus_cache
from cbow.training.callbacks import Callback

if TYPE_CHECKING:
    from cbow.training.run import EpochReport, Run


def cache_entry_of(word_ids: np.ndarray) -> Path | None:
    """The corpus-cache entry a memory-mapped corpus was loaded from, or None (in memory,
    or some other file)."""
    filename = getattr(word_ids, "filename", None)
    if not isinstance(word_ids, np.memmap) or not filename:
        return None
    path = Path(filename)
    if path.name != corpus_cache.IDS_FILE or not (path.parent / "meta.json").exists():
        return None
    return path.parent


class CacheCheck(Callback):
    """Verifies the cache entry `entry` in the background of the run's first epoch."""

    def __init__(self, entry: Path) -> None:
        self.entry, self.handle = entry, None

    def on_train_begin(self, run: Run) -> None:
        self.handle = corpus_cache.verify_in_background(self.entry)

    def on_epoch_end(self, run: Run, report: EpochReport) -> None:
        if self.handle is not None:
            handle, self.handle = self.handle, None
            handle.check()  # raises CorpusError when the ids changed
