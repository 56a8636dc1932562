"""What a checkpoint must hold, checked in one place as it is read, so the engines can trust it.

`load_checkpoint` (cbow.training.checkpoint) reads a file with `read_arrays` and hands the
arrays to `checked_contents`, which refuses, each in one line naming the checkpoint and what
is wrong:

- a file that is not a checkpoint: a vectors file or a .cbow directory (said so, with the
  way to use it), a FIFO or a device (never opened), a zip whose members are damaged or
  whose array headers announce more or fewer bytes than they hold (checked before any
  array is allocated);
- metadata of another format, of a newer version, with a field this cbow does not know
  ("written by a newer cbow: unknown setting X"), without a field every checkpoint has, or
  with a value of the wrong type or out of range (negative counters, an epoch past the
  run's, a noise-generator state numpy does not take, worker or node positions that do not
  add up, an output name that is not a file name);
- arrays that do not match the vocabulary and the settings: W_in (V, d), W_out (V, d) or
  (V - 1, d) with --hs, both float32 in this machine's byte order, C order and finite;
  counts (V,) integers >= 1; frozen_rows (V,) bool; V distinct non-empty words
  (cbow.data.array_checks).

Settings and fields a checkpoint lacks because an older cbow wrote it take their defaults,
except those every checkpoint has had (`REQUIRED_SETTINGS`, the progress counters).
"""

from __future__ import annotations

import json
import math
import os
import stat
import zipfile
from dataclasses import MISSING, dataclass, fields
from pathlib import Path

import numpy as np

from cbow.data.array_checks import ArrayProblem, check_finite, check_matrix, check_vector
from cbow.errors import CbowError, ConfigError
from cbow.training.config import TrainConfig
from cbow.training.run import EpochReport, HeldoutPoint, LossPoint, TrainState, WorkerPosition

FORMAT = "cbow-checkpoint"
VERSION = 1
ARRAYS = ("W_in", "W_out", "vocab_words", "vocab_counts", "meta")  # every checkpoint holds these
DAMAGED = "it is damaged or was edited; start the run again without --resume"
NEWER = "resume it with the cbow that wrote it"
# The settings of the first checkpoints: every checkpoint has them (later ones may be absent:
# an older cbow wrote the file, and they take their defaults)
REQUIRED_SETTINGS = frozenset({
    "size", "window", "objective", "negative", "sample", "min_count", "max_vocab", "epochs", "alpha", "alpha_in",
    "cbow_update", "batch_size", "seed", "clip_grad", "tokenizer", "max_sentence_length", "encoding_errors",
})
META_FIELDS = {"format": "str", "version": "int", "config": "dict", "corpus_path": "str | None",
               "corpus_fingerprint": "str", "output": "str | None", "vocab_path": "str | None", "progress": "dict"}
_ARRAY_FIELDS = ("W_in", "W_out", "frozen_rows")  # TrainState fields saved as arrays, not in "progress"
_REPORT_ONLY = ("W_in", "vocab", "W_out", "out_vector_weight")  # EpochReport fields no checkpoint keeps
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


class CheckpointError(CbowError):
    """A checkpoint is missing, corrupt, or belongs to another corpus or configuration."""


class _Refusal:
    """Makes the one-line errors about the checkpoint `name`: `bad(what)` for a damaged or
    edited one, `bad.newer(what)` for one a newer cbow wrote."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, what: str) -> CheckpointError:
        return CheckpointError(f"{self.name}: {what}; {DAMAGED}")

    def newer(self, what: str) -> CheckpointError:
        return CheckpointError(f"{self.name}: written by a newer cbow: {what}; {NEWER}")


@dataclass
class Contents:
    """What `checked_contents` found valid: the parts a `Checkpoint` is built from."""

    config: dict
    words: list[str]
    counts: np.ndarray
    meta: dict
    state: TrainState


# -- reading the file --------------------------------------------------------------------
def read_arrays(name: str) -> dict[str, np.ndarray]:
    """The arrays of the .npz checkpoint `name`, each member's header checked against its size
    before the array is allocated (a damaged header cannot ask for terabytes).

    Raises
    ------
    CheckpointError : missing, not a regular file, not a zip, a damaged member (CRC, header,
        pickled objects); a vectors file or a .cbow directory is named as such
    """
    try:
        mode = os.stat(name).st_mode
    except FileNotFoundError:
        raise CheckpointError(f"{name}: no such checkpoint; check the path (it is OUTPUT.ckpt)") from None
    except OSError as error:
        raise CheckpointError(f"{name}: cannot read ({error.strerror or error}); check the path") from None
    if not stat.S_ISREG(mode):
        raise CheckpointError(f"{name}: {not_a_file(name, mode)}")
    try:
        with zipfile.ZipFile(name) as archive:
            arrays = {}
            for info in archive.infolist():
                if info.filename.endswith(".npy"):
                    arrays[info.filename[:-4]] = _read_member(archive, info, os.path.getsize(name))
            return arrays
    except zipfile.BadZipFile as error:
        if not zipfile.is_zipfile(name):
            raise CheckpointError(f"{name}: {not_a_checkpoint(name)}") from None
        raise CheckpointError(f"{name}: not a readable cbow checkpoint ({error}); {DAMAGED}") from None
    except (OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as error:
        raise CheckpointError(f"{name}: not a readable cbow checkpoint ({str(error)[:100]}); {DAMAGED}") from None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, archive_bytes: int) -> np.ndarray:
    """One .npy member, read only once its header's size agrees with the member's and the
    member's with the file's (np.savez stores members; deflate expands at most ~1032x)."""
    ratio = {zipfile.ZIP_STORED: 1, zipfile.ZIP_DEFLATED: 1032}.get(info.compress_type)
    if ratio is None or info.compress_size > archive_bytes or info.file_size > ratio * info.compress_size:
        raise ValueError(f"{info.filename}: announces {info.file_size:,} bytes in a file of {archive_bytes:,}")
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version not in _HEADER_READERS:
            raise ValueError(f"{info.filename}: .npy version {version} is not one numpy writes for savez")
        shape, fortran_order, dtype = _HEADER_READERS[version](member)
        if dtype.hasobject:
            raise ValueError(f"{info.filename}: holds Python objects (a pickle), which a checkpoint never does")
        n_bytes = math.prod(shape) * dtype.itemsize
        if member.tell() + n_bytes != info.file_size:
            raise ValueError(f"{info.filename}: its header announces {shape} {dtype} ({n_bytes:,} bytes), the "
                             f"member holds {info.file_size - member.tell():,}")
        buffer = bytearray(n_bytes)
        if member.readinto(buffer) != n_bytes or member.read(1):  # the last read checks the CRC
            raise ValueError(f"{info.filename}: shorter than its header says")
    return np.frombuffer(buffer, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")


def not_a_file(name: str, mode: int) -> str:
    """What a path that is not a regular file is, and what --resume needs instead."""
    path = Path(name)
    if stat.S_ISDIR(mode):
        if (path / "vocab.json").is_file():
            return ("a .cbow directory (vectors or a whole model), not a checkpoint; to train it further start "
                    f"a new run from it: cbow train CORPUS --init-from {name}")
        return "a directory, not a checkpoint; give the OUTPUT.ckpt file a run saved"
    return "not a regular file (a FIFO or a device?); give the OUTPUT.ckpt file a run saved"


def not_a_checkpoint(name: str) -> str:
    """What a regular file that is not a zip is (a vectors file, most likely), and what to do."""
    with open(name, "rb") as handle:
        head = handle.read(4096)
    beside = Path(name + ".ckpt")
    resume_hint = (f"resume its run with --resume {beside}" if beside.is_file()
                   else "a run's checkpoint is OUTPUT.ckpt beside its output")
    if head[:4] == b"PK\x03\x04":
        return f"a damaged zip (truncated?), not a readable checkpoint; {DAMAGED}"
    if head[:2] == b"\x1f\x8b":
        what = "a gzip file"
    elif _looks_like_vectors_header(head):
        what = "a word2vec vectors file"
    elif b"\0" not in head[:1024] and head.strip():
        what = "a text file (vectors or a corpus?)"
    else:
        return f"not a readable cbow checkpoint (not a zip of arrays); {resume_hint}; if it was one, {DAMAGED}"
    return (f"{what}, not a checkpoint; {resume_hint}, or start a new run from these vectors with "
            f"cbow train CORPUS --init-from {name}")


def _looks_like_vectors_header(head: bytes) -> bool:
    parts = head.split(b"\n", 1)[0].split()
    return len(parts) == 2 and all(part.isdigit() for part in parts)


# -- checking the contents -----------------------------------------------------------------
def checked_contents(name: str, arrays: dict[str, np.ndarray]) -> Contents:
    """The checkpoint's metadata, vocabulary and state, every part checked (module docstring).

    Raises
    ------
    CheckpointError : one line naming `name` and what is wrong
    """
    missing = [key for key in ARRAYS if key not in arrays]
    if missing:
        raise CheckpointError(f"{name}: not a cbow checkpoint (missing {', '.join(missing)}); {DAMAGED}")
    try:
        meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
        words = arrays["vocab_words"].tobytes().decode("utf-8").split("\n")
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise CheckpointError(f"{name}: corrupt checkpoint metadata ({str(error)[:100]}); {DAMAGED}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        shown = meta.get("format") if isinstance(meta, dict) else None
        raise CheckpointError(f"{name}: not a cbow checkpoint (format {shown!r}, expected {FORMAT!r}); {DAMAGED}")
    version = meta.get("version")
    if type(version) is int and version > VERSION:
        raise _Refusal(name).newer(f"checkpoint version {version}, this cbow reads version {VERSION}")
    bad = _Refusal(name)
    if version != VERSION:
        raise bad(f"checkpoint version {version!r}, this cbow reads version {VERSION}")
    _check_record(meta, META_FIELDS, "the checkpoint", bad, required=set(META_FIELDS), newer=None)
    config = _checked_config(meta["config"], bad)
    _check_output_name(meta["output"], bad)
    V = len(words)
    if "" in words or len(set(words)) != V:
        raise bad(f"its vocabulary of {V:,} words has an empty or a repeated word")
    objective = config.get("objective", "ns")
    size = config["size"]
    try:
        check_vector(arrays["vocab_counts"], "vocab_counts", V, "i")
        check_matrix(arrays["W_in"], "W_in", (V, size))
        check_matrix(arrays["W_out"], "W_out", (V - 1 if objective == "hs" else V, size))
        if "frozen_rows" in arrays:
            check_vector(arrays["frozen_rows"], "frozen_rows", V, "b")
        check_finite(arrays["W_in"], "W_in", words)
        check_finite(arrays["W_out"], "W_out")
    except ArrayProblem as problem:
        shapes = f"{V:,} words, size {size}{', --hs' if objective == 'hs' else ''}"
        raise bad(f"{problem} ({shapes})") from None
    counts = arrays["vocab_counts"]
    if V and int(counts.min()) < 1:
        raise bad(f"the count of {words[int(counts.argmin())]!r} is {int(counts.min())}, every count is at least 1")
    state = _checked_state(meta["progress"], config, arrays, bad)
    return Contents(config=config, words=words, counts=counts.astype(np.int64), meta=meta, state=state)


def _checked_config(saved: dict, bad: _Refusal) -> dict:
    """The saved settings, each known and of its type, valid together (TrainConfig's checks)."""
    types = {item.name: item.type for item in fields(TrainConfig)}
    _check_record(saved, types, "its config", bad, required=REQUIRED_SETTINGS, newer="setting")
    if saved.get("seed", 0) < 0:  # what --seed refuses (numpy's seeds are >= 0); TrainConfig leaves it to the flag
        raise bad(f"its config has seed {saved['seed']}, seeds are >= 0")
    defaults = TrainConfig().to_dict()
    try:
        TrainConfig(**{**defaults, **saved})
    except ConfigError as error:
        raise bad(f"its config is not valid ({error})") from None
    return dict(saved)


def _check_output_name(output: str | None, bad: _Refusal) -> None:
    """The output a checkpoint names: a resumed run writes its file name beside the checkpoint."""
    if output is not None and Path(output).name in ("", ".", ".."):
        raise bad(f"its output {output!r} names no file")


def _checked_state(progress: dict, config: dict, arrays: dict, bad: _Refusal) -> TrainState:
    """The progress as a TrainState, every counter in range and every position consistent."""
    types = {item.name: item.type for item in fields(TrainState) if item.name not in _ARRAY_FIELDS}
    required = {item.name for item in fields(TrainState)
                if item.default is MISSING and item.default_factory is MISSING} - set(_ARRAY_FIELDS)
    _check_record(progress, types, "its progress", bad, required=required, newer="progress field")
    for key in ("batches_done", "words_done", "epoch_examples", "interval_examples", "next_record"):
        if progress[key] < 0:
            raise bad(f"its progress has {key} = {progress[key]}, which cannot be negative")
    for key in ("lr_in", "lr_out", "epoch_loss_sum", "interval_loss"):
        if not math.isfinite(progress[key]):
            raise bad(f"its progress has {key} = {progress[key]}, not a finite number")
    if not 0 <= progress["epoch"] <= config["epochs"]:
        raise bad(f"its progress is in epoch {progress['epoch'] + 1} of a run of {config['epochs']} epochs")
    for key, record_type in (("epochs", EpochReport), ("loss_history", LossPoint), ("heldout_history", HeldoutPoint)):
        for index, record in enumerate(progress.get(key, [])):
            _check_dataclass_record(record, record_type, f"its {key}[{index}]", bad, leave_out=_REPORT_ONLY)
    positions = progress.get("worker_positions", [])
    _check_worker_positions(positions, progress["batches_done"], bad)
    cluster = progress.get("cluster")
    if cluster is not None:
        _check_cluster(cluster, bad)
    rng_state = progress["noise_rng_state"]
    if rng_state is not None and not valid_rng_state(rng_state):
        raise bad("its noise_rng_state is not a state of numpy's PCG64 generator")
    if rng_state is None and progress["batches_done"] and not positions and cluster is None:
        raise bad(f"it was saved mid-epoch (batch {progress['batches_done']}) in one process but holds no "
                  "noise_rng_state")
    return TrainState(W_in=arrays["W_in"], W_out=arrays["W_out"], frozen_rows=arrays.get("frozen_rows"), **progress)


def _check_worker_positions(positions: list, batches_done: int, bad: _Refusal) -> None:
    """Worker slices in order, one after the other; their batches add up to batches_done."""
    previous_stop = 0
    for index, position in enumerate(positions):
        where = f"its worker_positions[{index}]"
        _check_dataclass_record(position, WorkerPosition, where, bad)
        if position.get("batches", 0) < 0 or position.get("words", 0) < 0:  # defaults 0 (WorkerPosition)
            raise bad(f"{where} has a negative count")
        if not previous_stop <= position["first_sentence"] < position["stop_sentence"]:
            raise bad(f"{where} is the slice [{position['first_sentence']}, {position['stop_sentence']}) "
                      f"after one ending at {previous_stop}")
        previous_stop = position["stop_sentence"]
    batches = sum(position.get("batches", 0) for position in positions)
    if positions and batches != batches_done:
        raise bad(f"its workers' batches add up to {batches}, not to batches_done = {batches_done}")


CLUSTER_FIELDS = {"version": "int", "spec": "str | None", "nodes": "int", "node_workers": "int", "round": "int",
                  "sync_every": "str | int | None", "sync_words": "int | None", "merge": "str", "lr_scale": "float",
                  "shard_words": "list", "positions": "list"}


def _check_cluster(cluster, bad: _Refusal) -> None:
    """A cluster run's part: one position per node, counters >= 0 (cbow.training.cluster.engine)."""
    from cbow.training.cluster.node import NodePosition

    if not isinstance(cluster, dict):
        raise bad("its cluster state is not an object")
    _check_record(cluster, CLUSTER_FIELDS, "its cluster state", bad,
                  required={"nodes", "node_workers", "round", "shard_words", "positions"}, newer="cluster field")
    nodes = cluster["nodes"]
    if nodes < 1 or cluster["node_workers"] < 1 or cluster["round"] < 0:
        raise bad(f"its cluster state has {nodes} nodes, {cluster['node_workers']} processes a node, round "
                  f"{cluster['round']}")
    shard_words, positions = cluster["shard_words"], cluster["positions"]
    if len(shard_words) != nodes or not all(type(words) is int and words >= 0 for words in shard_words):
        raise bad(f"its cluster state's shard_words are not {nodes} word counts")
    if len(positions) != nodes:
        raise bad(f"its cluster state holds {len(positions)} node positions for {nodes} nodes")
    for index, position in enumerate(positions):
        where = f"its cluster position {index}"
        _check_dataclass_record(position, NodePosition, where, bad)
        if position.get("batches", 0) < 0 or position.get("words", 0) < 0 or position.get("n_examples", 0) < 0:
            raise bad(f"{where} has a negative count")
        state = position.get("noise_rng_state")
        if state is not None and not valid_rng_state(state):
            raise bad(f"{where}'s noise_rng_state is not a state of numpy's PCG64 generator")
        remaining = position.get("remaining")
        if remaining is not None and not all(
                isinstance(piece, list) and len(piece) == 2 and all(type(bound) is int for bound in piece)
                and 0 <= piece[0] <= piece[1] for piece in remaining):
            raise bad(f"{where}'s remaining ranges are not [first, stop) pairs")


def valid_rng_state(state) -> bool:
    """Whether numpy's PCG64 (what default_rng makes) takes `state` as its state."""
    if not isinstance(state, dict) or state.get("bit_generator") != "PCG64":
        return False
    try:
        np.random.PCG64().state = state
    except (TypeError, ValueError, KeyError, OverflowError, AttributeError):
        return False
    return True


# -- records: known fields of the right types ---------------------------------------------
def _check_dataclass_record(record, record_type, where: str, bad: _Refusal, leave_out: tuple[str, ...] = ()) -> None:
    """`record` is what `asdict` makes of a `record_type` (fields with defaults may be absent)."""
    types = {item.name: item.type for item in fields(record_type) if item.name not in leave_out}
    required = {item.name for item in fields(record_type)
                if item.default is MISSING and item.default_factory is MISSING} - set(leave_out)
    if not isinstance(record, dict):
        raise bad(f"{where} is not an object")
    _check_record(record, types, where, bad, required=required, newer="field")


def _check_record(record: dict, types: dict[str, str], where: str, bad: _Refusal, required: set[str] | frozenset[str],
                  newer: str | None) -> None:
    """Every key of `record` known (`newer`: what an unknown one is called in "written by a newer
    cbow: unknown X"), every key of `required` present, every value of its annotated type."""
    if not isinstance(record, dict):
        raise bad(f"{where} is not an object")
    unknown = sorted(set(record) - set(types))
    if unknown and newer is not None:
        raise bad.newer(f"unknown {newer} {unknown[0]!r}")
    absent = sorted(set(required) - set(record))
    if absent:
        raise bad(f"{where} is missing {absent[0]!r}")
    for key, value in record.items():
        if key in types and not value_matches(value, types[key]):
            raise bad(f"{where}: {key} = {str(value)[:40]!r} is not of type {types[key]}")


def value_matches(value, annotation: str) -> bool:
    """Whether a JSON value fits a dataclass field's annotation ("int", "float | None",
    "list[dict]", ...): int is not bool and fits int64 (counters meet numpy's arrays), float
    takes an int, containers by their outer type."""
    for option in str(annotation).split("|"):
        base = option.strip().split("[", 1)[0]
        if ((base == "None" and value is None) or (base == "int" and type(value) is int and -2**63 <= value < 2**63)
                or (base == "float" and type(value) in (int, float)) or (base == "bool" and type(value) is bool)
                or (base == "str" and type(value) is str) or (base == "dict" and type(value) is dict)
                or (base == "list" and type(value) is list)):
            return True
    return False
