"""The training log: one JSON object per line, beside the output, for scripts and plots.

Each line is a record of the run at one moment (after an epoch, or every N words when
asked); fields that do not apply are left out rather than written as null:

    {"event": "epoch", "epoch": 1, "words": 17005207, "lr": 0.0401, "train_loss": 2.913,
     "heldout_nats": 6.21, "heldout_perplexity": 497.7, "heldout_words": 85113,
     "eval": {"questions-words.txt": 0.312}, "words_per_second": 612345.0, "seconds": 27.8}

Lines are written whole and flushed one at a time, so a run that stops (Ctrl-C, a
divergence) leaves a log that reads up to its last record; `read_log` names the file and
line of anything malformed. The log of a new run replaces the old one only when the first
record is written (no empty log from a run that failed before training).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import IO

from cbow.errors import FormatError, OutputError

__all__ = ["default_log_path", "RunLog", "read_log"]


def default_log_path(output: str | os.PathLike) -> Path:
    """The log beside the vectors: vectors.bin -> vectors.bin.log.jsonl."""
    output = Path(output)
    return output.with_name(output.name + ".log.jsonl")


def _clean(value):
    """JSON-safe: numpy scalars to Python, nan/inf to None (JSON has no nan)."""
    if isinstance(value, dict):
        return {str(key): _clean(item) for key, item in value.items() if item is not None}
    if isinstance(value, (list, tuple)):
        return [_clean(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class RunLog:
    """Append-only JSON-lines writer (module docstring).

    Parameters
    ----------
    path : where the log goes (see `default_log_path`)

    Examples
    --------
    >>> with RunLog("v.bin.log.jsonl") as log:                     # doctest: +SKIP
    ...     log.write(event="epoch", epoch=1, train_loss=2.9, heldout_nats=6.2)
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._file: IO[str] | None = None
        if not self.path.parent.is_dir():
            raise OutputError(f"{self.path}: directory {self.path.parent} does not exist; create it")

    def write(self, **fields) -> None:
        """Append one record (None fields are dropped; nan/inf become null)."""
        if self._file is None:
            try:
                self._file = open(self.path, "w", encoding="utf-8")
            except OSError as exc:
                raise OutputError(f"{self.path}: cannot write the training log ({exc.strerror})") from None
        self._file.write(json.dumps(_clean(fields), separators=(", ", ": ")) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> "RunLog":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def read_log(path: str | os.PathLike) -> list[dict]:
    """All records of a training log, in order.

    Raises
    ------
    FormatError
        A line is not a JSON object (names file and line).
    """
    records = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: cannot read the training log ({exc})") from None
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            record = None
        if not isinstance(record, dict):
            raise FormatError(f"{path}:{line_no}: not a JSON object: {line[:60]!r}; "
                              "the log is damaged, rerun or delete the line")
        records.append(record)
    return records
