"""The JSON-lines training log: records round-trip, nan becomes null, damage is named."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cbow.errors import FormatError, OutputError
from cbow.runlog import RunLog, default_log_path, read_log


def test_records_round_trip(tmp_path):
    path = default_log_path(tmp_path / "vectors.bin")
    assert path.name == "vectors.bin.log.jsonl"
    with RunLog(path) as log:
        assert not path.exists()  # nothing written until the first record
        log.write(event="epoch", epoch=1, words=np.int64(1000), lr=np.float32(0.025), train_loss=2.5,
                  heldout_nats=float("nan"), eval={"q.txt": 0.3}, words_per_second=None)
        log.write(event="epoch", epoch=2, train_loss=2.1)
    records = read_log(path)
    assert records[0] == {"event": "epoch", "epoch": 1, "words": 1000, "lr": pytest.approx(0.025),
                          "train_loss": 2.5, "heldout_nats": None, "eval": {"q.txt": 0.3}}
    assert records[1]["epoch"] == 2 and len(records) == 2
    assert not math.isnan(records[0]["lr"])


def test_damaged_line_is_named(tmp_path):
    path = tmp_path / "run.log.jsonl"
    path.write_text('{"epoch": 1}\n[1, 2]\n')
    with pytest.raises(FormatError, match=r"run.log.jsonl:2: not a JSON object"):
        read_log(path)


def test_missing_directory(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        RunLog(tmp_path / "nope" / "log.jsonl")
