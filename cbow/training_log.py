"""The training log: one JSON object per epoch, in a JSON-lines file beside the vectors.

    vectors.bin  ->  vectors.bin.log.jsonl

    {"epoch": 1, "words": 24785830, "lr": 0.04, "train_loss": 2.41, "words_per_s": 402113.0,
     "seconds": 61.6, "eval": {"questions-words.txt": {"analogy": 0.352, ...}, ...}}

A record starts from `epoch_record(report)` (what the trainer measured) and grows with
`add_scores(record, name, scores)` for each evaluation; other measurements (a held-out
loss, ...) are more keys of the same dict. `TrainingLog.append(record)` rewrites the whole
file atomically, so a reader never sees a half-written line and a killed run leaves the
epochs it finished.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from cbow.atomic import atomic_write
from cbow.errors import FormatError

LOG_SUFFIX = ".log.jsonl"


def log_path_for(output: str | os.PathLike) -> Path:
    """The training log's path beside a vectors file: OUTPUT + '.log.jsonl'."""
    output = Path(output)
    return output.with_name(output.name + LOG_SUFFIX)


def epoch_record(report) -> dict:
    """The trainer's own numbers for one epoch (a `cbow.train.EpochReport`) as a dict."""
    return {
        "epoch": report.epoch,
        "words": report.words_done,
        "lr": report.lr_end,
        "train_loss": report.mean_loss,
        "words_per_s": round(report.words_per_second, 1),
        "seconds": round(report.seconds, 3),
        **({"heldout_nats": report.heldout_nats, "heldout_perplexity": report.heldout_perplexity}
           if report.heldout_nats is not None else {}),
    }


def add_scores(record: dict, name: str, scores: dict) -> dict:
    """Put one evaluation's scores under record["eval"][name]; returns the record."""
    record.setdefault("eval", {})[name] = scores
    return record


def _finite_or_none(value):
    """JSON has no NaN: a correlation over too few pairs is written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite_or_none(item) for key, item in value.items()}
    return value


class TrainingLog:
    """The per-epoch records of one run, written to `path` after every epoch.

    Parameters
    ----------
    path : the JSON-lines file; replaced when the run starts appending
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.records: list[dict] = []

    def append(self, record: dict) -> None:
        """Add one epoch's record and rewrite the file (temp file + rename)."""
        self.records.append(_finite_or_none(record))
        with atomic_write(self.path) as handle:
            for item in self.records:
                handle.write((json.dumps(item, sort_keys=False) + "\n").encode("utf-8"))

    @staticmethod
    def read(path: str | os.PathLike) -> list[dict]:
        """The records of a training log file, in epoch order.

        Raises
        ------
        FormatError : the file cannot be read, or a line is not a JSON object (file:line named)
        """
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise FormatError(f"{path}: cannot read the training log ({exc})") from None
        records = []
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
