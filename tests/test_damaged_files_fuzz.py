"""Damaged checkpoints and corpus-cache entries never crash cbow (issue 27, item 1).

Hypothesis damages a good checkpoint or cache entry (bytes at any offset, truncation,
crafted values in the JSON, arrays of other shapes, dtypes, byte orders and orders, ids
out of range with the checksums made to match), then runs `cbow train` on it in a process
of its own (tests/fork_runner.py). Whatever the damage, the command exits 0 (the damage was
harmless, or a damaged cache entry was encoded again) or 2 with one line on stderr; never
a signal, a traceback or a hang.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cbow.corpora import planted
from cbow.data import cache

TRAIN = ["--size", "8", "--window", "2", "--min-count", "2", "--batch-size", "32", "--seed", "3", "-q"]
FUZZ = dict(deadline=None, derandomize=True,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


class ForkRunner:
    """The runner process of tests/fork_runner.py: `run(argv, cwd)` -> its answer."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, str(Path(__file__).with_name("fork_runner.py"))],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(self, argv, cwd) -> dict:
        self.process.stdin.write(json.dumps({"argv": [str(arg) for arg in argv], "cwd": str(cwd)}) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


@pytest.fixture(scope="module")
def runner():
    forked = ForkRunner()
    yield forked
    forked.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory, runner):
    """A corpus, a mid-epoch checkpoint of it (NS and HS) and a cache entry of it."""
    folder = tmp_path_factory.mktemp("fuzz-base")
    corpus = folder / "c.txt"
    corpus.write_text("\n".join(planted.generate_lines(n_sentences=300, seed=11)) + "\n", encoding="utf-8")
    from cbow.data.prepare import prepare
    from cbow.training.config import TrainConfig

    checkpoints = {}
    for objective in ("ns", "hs"):
        out = folder / objective / "v.bin"
        out.parent.mkdir()
        extra = ["--hs"] if objective == "hs" else []
        answer = runner.run(["train", corpus, "-o", out, *TRAIN, "--epochs", "2", "--keep-checkpoint",
                             "--no-cache", "--workers", "1", *extra], folder)
        assert answer["status"] == 0, answer
        checkpoints[objective] = out.parent / "v.bin.ckpt"  # a path: hypothesis shows the fixture on failure
    cache_dir = folder / "cache"
    prepare(corpus, TrainConfig(min_count=2), cache_dir=cache_dir)
    (entry,) = (cache_dir / "corpora").iterdir()
    return {"corpus": corpus, "checkpoints": checkpoints, "cache_dir": cache_dir, "entry": entry.name}


def assert_clean(answer: dict) -> None:
    """Exit 0, or 2 with one line `cbow train: error: ...`; no signal, traceback or hang."""
    assert not answer["hung"] and answer["signal"] is None, answer
    assert answer["status"] in (0, 2), answer
    lines = answer["stderr"].strip().splitlines()
    assert "Traceback" not in answer["stderr"], answer["stderr"]
    if answer["status"] == 2:
        assert len(lines) == 1 and lines[0].startswith("cbow train: error: "), answer["stderr"]
    else:
        assert all(line.startswith(("cbow train: ", "saved ")) for line in lines), answer["stderr"]


# -- damage ---------------------------------------------------------------------------------
def damage_bytes(data: bytes, draw) -> bytes:
    """Flip, overwrite, cut or insert bytes at drawn offsets."""
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.integers(0, max(0, len(data) - 1)))
        how = draw(st.sampled_from(["flip", "set", "cut", "insert"]))
        if how == "flip":
            data[where] ^= 1 << draw(st.integers(0, 7))
        elif how == "set":
            data[where] = draw(st.integers(0, 255))
        elif how == "cut":
            del data[where:]
        else:
            data[where:where] = draw(st.binary(min_size=1, max_size=16))
        if not data:
            break
    return bytes(data)


JSON_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                        st.text(max_size=8), st.just([]), st.just({}), st.just([1, 2]), st.just({"x": 1}))


def damage_json(value, draw, depth: int = 0):
    """A copy of a JSON value with one drawn key dropped, one value replaced or one key added."""
    if isinstance(value, dict) and value and depth < 4 and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(value)))
        return {**value, key: damage_json(value[key], draw, depth + 1)}
    if isinstance(value, list) and value and depth < 4 and draw(st.booleans()):
        index = draw(st.integers(0, len(value) - 1))
        return [*value[:index], damage_json(value[index], draw, depth + 1), *value[index + 1:]]
    if isinstance(value, dict) and value:
        how = draw(st.sampled_from(["drop", "add"]))
        if how == "drop":
            key = draw(st.sampled_from(sorted(value)))
            return {k: v for k, v in value.items() if k != key}
        return {**value, draw(st.text(min_size=1, max_size=6)): draw(JSON_VALUES)}
    return draw(JSON_VALUES)


def damage_array(array: np.ndarray, draw) -> np.ndarray:
    """Rows cut or added, another dtype or byte order, Fortran order, a value set anywhere."""
    how = draw(st.sampled_from(["cut", "extra", "dtype", "byteorder", "fortran", "value", "empty", "reshape"]))
    if how == "cut":
        return array[:draw(st.integers(0, max(0, len(array) - 1)))]
    if how == "extra":
        return np.concatenate([array, array[:draw(st.integers(1, 5))]])
    if how == "dtype":
        return array.astype(draw(st.sampled_from([np.int32, np.int64, np.float64, np.float16, np.uint8, bool])))
    if how == "byteorder":
        return array.astype(array.dtype.newbyteorder(">"))
    if how == "fortran":
        return np.asfortranarray(array) if array.ndim == 2 else array[::2]
    if how == "empty":
        return np.zeros((0,) + array.shape[1:], dtype=array.dtype)
    if how == "reshape":
        return array.reshape(-1)
    changed = np.array(array)
    if changed.size:
        flat = changed.reshape(-1)
        index = draw(st.integers(0, flat.size - 1))
        flat[index] = draw(st.sampled_from([-1, 2**31 - 1, 10**6, 0, np.nan, np.inf]) if flat.dtype.kind == "f"
                           else st.sampled_from([-1, 2**31 - 1, 10**6, 0, 255]))
    return changed


def write_checkpoint(path: Path, arrays: dict, meta) -> None:
    arrays = {**arrays, "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)}
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


@settings(max_examples=50, **FUZZ)  # ~0.1 s each: a resume of a tiny run, in a fork
@given(data=st.data())
def test_damaged_checkpoints_exit_0_or_2_with_one_line(base, runner, tmp_path_factory, data):
    draw = data.draw
    folder = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp()))
    objective = draw(st.sampled_from(["ns", "hs"]))
    path = folder / "v.bin.ckpt"
    path.write_bytes(base["checkpoints"][objective].read_bytes())
    kind = draw(st.sampled_from(["bytes", "json", "array"]))
    if kind == "bytes":
        path.write_bytes(damage_bytes(path.read_bytes(), draw))
    else:
        with np.load(path) as archive:
            arrays = {key: archive[key] for key in archive.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
        if kind == "json":
            meta = damage_json(meta, draw)
        else:
            name = draw(st.sampled_from(sorted(arrays)))
            arrays[name] = damage_array(arrays[name], draw)
        write_checkpoint(path, arrays, meta)
    workers = draw(st.sampled_from([[], ["--workers", "2"]]))
    answer = runner.run(["train", base["corpus"], "--resume", path, "-q", "--no-cache", *workers], folder)
    assert_clean(answer)
    shutil.rmtree(folder)


def _fix_checksums(entry: Path) -> None:
    """Make meta.json's checksums match the files: the damage only the array checks can see."""
    meta = json.loads((entry / "meta.json").read_text())
    meta["checksums"] = {name: f"crc32:{zlib.crc32((entry / name).read_bytes()):08x}" for name in cache.CHECKED_FILES}
    (entry / "meta.json").write_text(json.dumps(meta))


@settings(max_examples=25, **FUZZ)  # ~0.5 s each: most damage makes the corpus encoded again
@given(data=st.data())
def test_damaged_cache_entries_exit_0_or_2_with_one_line(base, runner, tmp_path_factory, data):
    draw = data.draw
    folder = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp()))
    cache_dir = folder / "cache"
    shutil.copytree(base["cache_dir"], cache_dir)
    entry = cache_dir / "corpora" / base["entry"]
    name = draw(st.sampled_from([cache.IDS_FILE, cache.OFFSETS_FILE, cache.VOCAB_FILE, "meta.json"]))
    target = entry / name
    if name.endswith(".npy") and draw(st.booleans()):
        np.save(target, damage_array(np.load(target), draw))
    elif name == "meta.json" and draw(st.booleans()):
        target.write_text(json.dumps(damage_json(json.loads(target.read_text()), draw)))
    else:
        target.write_bytes(damage_bytes(target.read_bytes(), draw))
    if name != "meta.json" and draw(st.booleans()):
        _fix_checksums(entry)
    extra = draw(st.sampled_from([[], ["--hs"], ["--sample", "0"], ["--workers", "2"]]))
    answer = runner.run(["train", base["corpus"], "-o", folder / "v.bin", *TRAIN, "--epochs", "1",
                         "--cache-dir", cache_dir, "--workers", "1", *extra], folder)
    assert_clean(answer)
    shutil.rmtree(folder)
