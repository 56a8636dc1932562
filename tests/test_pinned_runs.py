"""Pinned runs: a fixed seed gives the same vectors, bit for bit, from one version to the next.

Each run below trains a small planted corpus in one process (`workers=1`, the
bit-reproducible engine) and is compared with the sha256 of its W_in and W_out recorded in
pinned_runs.json. A refactor that changes nothing may not change these bits; a change that
means to alter training re-records them (`python tests/test_pinned_runs.py --record`) and
says why in its commit.

Float32 sums depend on the BLAS kernel numpy picks for the CPU, so the bits are compared
only on the platform they were recorded on (numpy's version, the CPU model, the machine,
OPENBLAS_CORETYPE). Elsewhere the test compares summary statistics to 1e-3: a change of
random stream, of the order of the updates or of any formula moves them by far more.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from pathlib import Path

import numpy as np
import pytest

PINS = Path(__file__).with_name("pinned_runs.json")
BASE = dict(size=12, window=3, min_count=3, epochs=2, batch_size=64, seed=11, workers=1)
RUNS = {
    "ns": dict(objective="ns", negative=4),
    "hs": dict(objective="hs", negative=0),
    "softmax": dict(objective="softmax", negative=0),
    "ns-word2vec-update": dict(objective="ns", negative=4, cbow_update="word2vec"),
    "ns-clip-grad": dict(objective="ns", negative=4, clip_grad=5.0),
    "ns-holdout-out-weight": dict(objective="ns", negative=4, holdout=0.05, out_vector_weight=0.5,
                                  repeat_guard=0.5, context_power=0.5, sample=1e-3),
}


def platform_key() -> str:
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")
    except OSError:
        pass
    return "|".join([np.__version__, platform.machine(), cpu, os.environ.get("OPENBLAS_CORETYPE", "")])


def run(name: str) -> dict:
    """Train run `name`; its fingerprint: hashes and summary statistics of both matrices."""
    from cbow.corpora import planted
    from cbow.training.config import TrainConfig
    from cbow.training.loop import train

    lines = list(planted.generate_lines(n_sentences=1500, seed=4))
    result = train(lines, TrainConfig(**{**BASE, **RUNS[name]}))
    fingerprint = {"epoch_losses": result.epoch_losses}
    for key, matrix in (("W_in", result.W_in), ("W_out", result.W_out), ("wv", result.wv.vectors)):
        matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        fingerprint[key] = {
            "sha256": hashlib.sha256(matrix.tobytes()).hexdigest(),
            "shape": list(matrix.shape),
            "sum": float(matrix.sum(dtype=np.float64)),
            "abs_sum": float(np.abs(matrix).sum(dtype=np.float64)),
            "first_row": [float(value) for value in matrix[0]],
        }
    return fingerprint


@pytest.mark.parametrize("name", sorted(RUNS))
def test_a_pinned_run_gives_the_pinned_vectors(name):
    pins = json.loads(PINS.read_text(encoding="utf-8"))
    expected, got = pins["runs"][name], run(name)
    same_platform = pins["platform"] == platform_key()
    for key in ("W_in", "W_out", "wv"):
        assert got[key]["shape"] == expected[key]["shape"], key
        if same_platform:
            assert got[key]["sha256"] == expected[key]["sha256"], f"{name}: {key} changed bits"
        else:
            for stat in ("sum", "abs_sum"):
                assert got[key][stat] == pytest.approx(expected[key][stat], rel=1e-3, abs=1e-3), (key, stat)
            assert got[key]["first_row"] == pytest.approx(expected[key]["first_row"], rel=1e-3, abs=1e-3), key
    assert got["epoch_losses"] == pytest.approx(expected["epoch_losses"], rel=1e-12 if same_platform else 1e-4)


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        sys.exit("usage: python tests/test_pinned_runs.py --record   (re-records pinned_runs.json)")
    record = {"platform": platform_key(), "runs": {name: run(name) for name in sorted(RUNS)}}
    PINS.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"recorded {len(RUNS)} runs in {PINS}")
