"""Pinned runs: a fixed seed gives the same vectors, bit for bit, from one version to the next.

Each run below trains a small planted corpus in one process (`workers=1`, the
bit-reproducible engine) and is compared with the sha256 of its W_in and W_out recorded in
pinned_runs.json. A refactor that changes nothing may not change these bits; a change that
means to alter training re-records them (`python tests/test_pinned_runs.py --record`) and
says why in its commit.

Float32 sums depend on the BLAS kernel numpy picks for the CPU, so the bits are compared
only on a platform they were recorded on: numpy's version, the machine, the CPU model and
the kernel set OpenBLAS chose (two "AMD EPYC" machines, one with AVX-512 and one without,
gave different bits for the two runs that multiply dense matrices). Elsewhere the test
compares summary statistics to 1e-3: a change of random stream, of the order of the
updates or of any formula moves them by far more. `--add-platform` records this machine's
bits next to the others' once the statistics agree.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
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
    return f"{np.__version__}|{platform.machine()}|{cpu}|{blas_core()}"


def blas_core() -> str:
    """The kernel set of numpy's OpenBLAS ("Haswell", "SkylakeX", ...), read from the loaded
    library, so OPENBLAS_CORETYPE's choice counts too (recording with it set pins another
    machine's kernels); "" where it cannot be found (another BLAS, not Linux)."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as handle:
            paths = sorted({line.split()[-1] for line in handle if "openblas" in line.rsplit("/", 1)[-1].lower()})
    except OSError:
        return ""
    for path in paths:
        library = ctypes.CDLL(path)
        for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename64_",
                     "openblas_get_corename"):
            corename = getattr(library, name, None)
            if corename is not None:
                corename.restype = ctypes.c_char_p
                return corename().decode()
    return ""


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
            "sha256": hashlib.sha256(matrix.tobytes()).hexdigest(),  # kept under "bits", by platform
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
    bits = pins["bits"].get(platform_key(), {}).get(name)
    for key in ("W_in", "W_out", "wv"):
        assert got[key]["shape"] == expected[key]["shape"], key
        if bits:
            assert got[key]["sha256"] == bits[key], f"{name}: {key} changed bits"
        else:
            assert_statistics_agree(got[key], expected[key], key)
    if bits:
        assert got["epoch_losses"] == pytest.approx(bits["epoch_losses"], rel=1e-12)
    else:
        assert got["epoch_losses"] == pytest.approx(expected["epoch_losses"], rel=1e-4)


def assert_statistics_agree(got: dict, expected: dict, key: str) -> None:
    for stat in ("sum", "abs_sum"):
        assert got[stat] == pytest.approx(expected[stat], rel=1e-3, abs=1e-3), (key, stat)
    assert got["first_row"] == pytest.approx(expected["first_row"], rel=1e-3, abs=1e-3), key


def platform_bits(fingerprint: dict) -> dict:
    """What a run's fingerprint pins on this platform only: the hashes and exact losses."""
    return {**{key: fingerprint[key]["sha256"] for key in ("W_in", "W_out", "wv")},
            "epoch_losses": fingerprint["epoch_losses"]}


def without_bits(fingerprint: dict) -> dict:
    return {key: ({k: v for k, v in value.items() if k != "sha256"} if isinstance(value, dict) else value)
            for key, value in fingerprint.items()}


if __name__ == "__main__":
    usage = ("usage: python tests/test_pinned_runs.py --record | --add-platform\n"
             "  --record: a change that alters training re-records every run (other platforms' bits are dropped)\n"
             "  --add-platform: add this machine's bits, once its runs agree with the recorded statistics")
    if sys.argv[1:] not in (["--record"], ["--add-platform"]):
        sys.exit(usage)
    fingerprints = {name: run(name) for name in sorted(RUNS)}
    here = {name: platform_bits(fingerprint) for name, fingerprint in fingerprints.items()}
    if sys.argv[1] == "--record":
        record = {"runs": {name: without_bits(fingerprint) for name, fingerprint in fingerprints.items()},
                  "bits": {platform_key(): here}}
    else:
        record = json.loads(PINS.read_text(encoding="utf-8"))
        for name, fingerprint in fingerprints.items():
            for key in ("W_in", "W_out", "wv"):
                assert_statistics_agree(fingerprint[key], record["runs"][name][key], f"{name} {key}")
        record["bits"][platform_key()] = here
    PINS.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"recorded {len(RUNS)} runs' bits for {platform_key()!r} in {PINS} ({len(record['bits'])} platforms)")
