"""The training log: one JSON object per epoch, in a JSON-lines file beside the vectors.

    vectors.bin  ->  vectors.bin.log.jsonl

    {"kind": "epoch", "epoch": 1, "words": 24785830, "lr": 0.04, "train_loss": 2.41,
     "words_per_s": 402113.0, "seconds": 61.6, "heldout_nats": 6.02, "heldout_perplexity": 411.6,
     "eval": {"questions-words.txt": {"accuracy": 0.352, ...}, ...}}

An epoch record is `epoch_record(report)`: what the trainer measured, and under "eval" the
scores of each evaluation file (cbow.training.epoch_eval). With `--holdout-every N`,
records of kind "heldout" (`heldout_record(point)`) come between them, one per score
within an epoch:

    {"kind": "heldout", "epoch": 0.4035, "words": 10000384, "lr": 0.046, "train_loss": 2.58,
     "heldout_nats": 6.31, "heldout_perplexity": 550.2, "heldout_words": 20000, "heldout_seconds": 2.1}

(`epoch` is then the progress in epochs, words / words per epoch.) `TrainingLog.append(record)`
rewrites the whole file atomically, so a reader never sees a half-written line and a killed
run leaves the records it wrote; `TrainingLog.resume` continues the log of a run resumed
from a checkpoint. A `TrainingLog` is a training callback (cbow.training.callbacks): it
writes each epoch's record and each in-epoch held-out score as they come.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from cbow.atomic import atomic_write
from cbow.errors import FormatError
from cbow.training.callbacks import Callback

LOG_SUFFIX = ".log.jsonl"


def log_path_for(output: str | os.PathLike) -> Path:
    """The training log's path beside a vectors file: OUTPUT + '.log.jsonl'."""
    output = Path(output)
    return output.with_name(output.name + LOG_SUFFIX)


def epoch_record(report) -> dict:
    """One epoch (a cbow.training.run.EpochReport) as a dict: the trainer's numbers, and its
    evaluation scores under "eval"."""
    record = {
        "kind": "epoch",
        "epoch": report.epoch,
        "words": report.words_done,
        "lr": report.lr_end,
        "train_loss": report.mean_loss,
        "words_per_s": round(report.words_per_second, 1),
        "seconds": round(report.seconds, 3),
        **({"heldout_nats": report.heldout_nats, "heldout_perplexity": report.heldout_perplexity}
           if report.heldout_nats is not None else {}),
    }
    for name, scores in report.scores.items():
        add_scores(record, name, scores)
    return record


def heldout_record(point) -> dict:
    """A held-out score within an epoch (a cbow.training.run.HeldoutPoint) as a dict."""
    return {
        "kind": "heldout",
        "epoch": round(point.epoch, 4),
        "words": point.words_done,
        "lr": point.lr,
        "train_loss": point.train_loss,
        "heldout_nats": point.nats,
        "heldout_perplexity": point.perplexity,
        "heldout_words": point.n_predicted,
        "heldout_seconds": round(point.seconds, 3),
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


class TrainingLog(Callback):
    """The per-epoch records of one run, written to `path` after every epoch.

    Parameters
    ----------
    path : the JSON-lines file; replaced when the run starts appending
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.records: list[dict] = []

    @classmethod
    def resume(cls, path: str | os.PathLike, words_done: int) -> "TrainingLog":
        """The log of a run resumed from a checkpoint taken at `words_done` words.

        Keeps the records the resumed run will not write again: those before `words_done`,
        and the epoch record AT `words_done` (a checkpoint at an epoch's end comes after
        its record). A missing log starts empty. Nothing is written until `append`.

        Raises
        ------
        FormatError : the log exists but is damaged (file:line named)
        """
        log = cls(path)
        if log.path.exists():
            log.records = [record for record in cls.read(path)
                           if record.get("words", 0) < words_done
                           or (record.get("words") == words_done and record.get("kind", "epoch") == "epoch")]
        return log

    def on_epoch_end(self, run, report) -> None:
        self.append(epoch_record(report))

    def on_heldout(self, run, point) -> None:
        if not point.epoch_end:  # the epoch-end score is in the epoch's record
            self.append(heldout_record(point))

    def append(self, record: dict) -> None:
        """Add one record and rewrite the file (temp file + rename)."""
        self.records.append(_finite_or_none(record))
        with atomic_write(self.path) as handle:
            for item in self.records:
                handle.write((json.dumps(item, sort_keys=False) + "\n").encode("utf-8"))

    @staticmethod
    def read(path: str | os.PathLike) -> list[dict]:
        """The records of a training log file, in the order they were written.

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
