"""Edited, damaged and newer checkpoints: one line naming the checkpoint and what is wrong (issue 27, item 2).

load_checkpoint checks the whole file (cbow.training.checkpoint_checks), so that the engines
downstream never meet a KeyError, a TypeError or an array the kernels cannot take.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from cbow.cli import main
from cbow.corpora import planted
from cbow.data.encode import read_and_encode
from cbow.training.checkpoint import Checkpointer, CheckpointError, TrainingInterrupted, load_checkpoint
from cbow.training.config import TrainConfig
from cbow.training.loop import train


class StopAfter(Checkpointer):
    """Ctrl-C once `n_batches` batches of the first epoch are done: a mid-epoch checkpoint."""

    def __init__(self, path, n_batches, **kwargs):
        super().__init__(path, **kwargs)
        self.n_batches = n_batches

    def wants_pause(self, run):
        if run.epoch == 0 and run.batches_done == self.n_batches:
            self.interrupted = True
        return super().wants_pause(run)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """(checkpoint bytes, corpus path) of a run stopped mid-epoch; the checkpoint names the corpus."""
    folder = tmp_path_factory.mktemp("saved")
    corpus = folder / "c.txt"
    lines = list(planted.generate_lines(n_sentences=400, seed=8))
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    vocab, encoded = read_and_encode(lines, min_count=2)
    ckpt = folder / "v.bin.ckpt"
    config = TrainConfig(size=8, window=2, epochs=2, min_count=2, batch_size=32, seed=3)
    checkpointer = StopAfter(ckpt, 5, corpus_path=str(corpus), output=str(folder / "v.bin"))
    with pytest.raises(TrainingInterrupted):
        train(config=config, vocab=vocab, encoded=encoded, checkpointer=checkpointer)
    return ckpt.read_bytes(), corpus


def read_parts(path):
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    return arrays, json.loads(arrays["meta"].tobytes().decode("utf-8"))


def write_parts(path, arrays, meta):
    arrays = {**arrays, "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)}
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def edited(tmp_path, saved, edit):
    """A copy of the saved checkpoint after `edit(arrays, meta)`; returns its path."""
    path = tmp_path / "v.bin.ckpt"
    path.write_bytes(saved[0])
    arrays, meta = read_parts(path)
    edit(arrays, meta)
    write_parts(path, arrays, meta)
    return path


def _cluster_state(meta):
    return {"version": 1, "spec": "local:2", "nodes": 2, "node_workers": 1, "round": 3, "sync_every": "auto",
            "sync_words": 1000, "merge": "mean", "lr_scale": 1.0, "shard_words": [500, 500],
            "positions": [{"batches": 1, "words": 10, "noise_rng_state": None, "remaining": None,
                           "loss_sum": 1.0, "n_examples": 4}] * 2}


def _with_cluster(meta, change):
    meta["progress"]["cluster"] = _cluster_state(meta)
    change(meta["progress"]["cluster"])


def _with_workers(meta, change):
    batches = meta["progress"]["batches_done"]
    meta["progress"]["worker_positions"] = [
        {"first_sentence": 0, "stop_sentence": 200, "batches": batches - 2, "words": 50},
        {"first_sentence": 200, "stop_sentence": 400, "batches": 2, "words": 30}]
    change(meta["progress"]["worker_positions"])


def _drop(mapping, key):
    del mapping[key]


# (what is edited, the edit, what the one line says): the 17 kinds of the issue first
KINDS = [
    ("unknown setting", lambda a, m: m["config"].__setitem__("quantum_window", 3),
     "written by a newer cbow: unknown setting 'quantum_window'; resume it with the cbow that wrote it"),
    ("no config", lambda a, m: _drop(m, "config"), "the checkpoint is missing 'config'"),
    ("no size", lambda a, m: _drop(m["config"], "size"), "its config is missing 'size'"),
    ("no progress", lambda a, m: _drop(m, "progress"), "the checkpoint is missing 'progress'"),
    ("no corpus_path", lambda a, m: _drop(m, "corpus_path"), "the checkpoint is missing 'corpus_path'"),
    ("no output", lambda a, m: _drop(m, "output"), "the checkpoint is missing 'output'"),
    ("negative batches_done", lambda a, m: m["progress"].__setitem__("batches_done", -3),
     "batches_done = -3, which cannot be negative"),
    ("bad rng state", lambda a, m: m["progress"]["noise_rng_state"]["state"].__setitem__("inc", "x"),
     "its noise_rng_state is not a state of numpy's PCG64 generator"),
    ("worker without first_sentence", lambda a, m: _with_workers(m, lambda p: _drop(p[1], "first_sentence")),
     "its worker_positions[1] is missing 'first_sentence'"),
    ("cluster without positions", lambda a, m: _with_cluster(m, lambda c: _drop(c, "positions")),
     "its cluster state is missing 'positions'"),
    ("W_out extra rows", lambda a, m: a.__setitem__("W_out", np.vstack([a["W_out"], a["W_out"][:3]])),
     "W_out has shape"),
    ("W_out 5 rows short", lambda a, m: a.__setitem__("W_out", a["W_out"][:-5]), "W_out has shape"),
    ("W_in int32", lambda a, m: a.__setitem__("W_in", a["W_in"].astype(np.int32)), "W_in holds int32"),
    ("W_in float64", lambda a, m: a.__setitem__("W_in", a["W_in"].astype(np.float64)), "W_in holds float64"),
    ("W_in big-endian", lambda a, m: a.__setitem__("W_in", a["W_in"].astype(">f4")),
     "W_in holds big-endian float32"),
    ("negative words_done", lambda a, m: m["progress"].__setitem__("words_done", -1),
     "words_done = -1, which cannot be negative"),
    ("no corpus_fingerprint", lambda a, m: _drop(m, "corpus_fingerprint"),
     "the checkpoint is missing 'corpus_fingerprint'"),
    # and more of the same family
    ("newer version", lambda a, m: m.__setitem__("version", 2), "written by a newer cbow: checkpoint version 2"),
    ("unknown progress field", lambda a, m: m["progress"].__setitem__("momentum", 0.9),
     "written by a newer cbow: unknown progress field 'momentum'"),
    ("unknown epoch report field", lambda a, m: m["progress"].__setitem__("epochs", [{"epoch": 0, "x": 1}]),
     "written by a newer cbow: unknown field 'x'"),
    ("setting of the wrong type", lambda a, m: m["config"].__setitem__("window", "5"),
     "its config: window = '5' is not of type int"),
    ("invalid setting", lambda a, m: m["config"].__setitem__("size", 0), "size must be >= 1, got 0"),  # either voice
    ("negative seed", lambda a, m: m["config"].__setitem__("seed", -1), "its config has seed -1, seeds are >= 0"),
    ("epoch past the run", lambda a, m: m["progress"].__setitem__("epoch", 7),
     "its progress is in epoch 8 of a run of 2 epochs"),
    ("mid-epoch without noise state", lambda a, m: m["progress"].__setitem__("noise_rng_state", None),
     "saved mid-epoch (batch 5) in one process but holds no noise_rng_state"),
    ("workers' batches", lambda a, m: _with_workers(m, lambda p: p[0].__setitem__("batches", 99)),
     "its workers' batches add up to 101, not to batches_done = 5"),
    ("worker without batches", lambda a, m: _with_workers(m, lambda p: _drop(p[1], "batches")),
     "its workers' batches add up to 3, not to batches_done = 5"),
    ("workers' slices overlap", lambda a, m: _with_workers(m, lambda p: p[1].__setitem__("first_sentence", 150)),
     "its worker_positions[1] is the slice [150, 400) after one ending at 200"),
    ("cluster node count", lambda a, m: _with_cluster(m, lambda c: c.__setitem__("nodes", 3)),
     "its cluster state's shard_words are not 3 word counts"),
    ("counter past int64", lambda a, m: m["progress"].__setitem__("words_done", 2**64),
     "its progress: words_done = '18446744073709551616' is not of type int"),
    ("nan loss", lambda a, m: m["progress"].__setitem__("interval_loss", float("nan")),
     "interval_loss = nan, not a finite number"),
    ("frozen rows", lambda a, m: a.__setitem__("frozen_rows", np.zeros(3, dtype=bool)), "frozen_rows has shape (3,)"),
    ("zero count", lambda a, m: a["vocab_counts"].__setitem__(-1, 0), "is 0, every count is at least 1"),
    ("counts of floats", lambda a, m: a.__setitem__("vocab_counts", a["vocab_counts"].astype(float)),
     "vocab_counts holds float64, not signed integers"),
    ("repeated word", lambda a, m: a.__setitem__("vocab_words", np.frombuffer(
        b"\n".join([a["vocab_words"].tobytes().split(b"\n")[0]] * 2 + a["vocab_words"].tobytes().split(b"\n")[2:]),
        dtype=np.uint8)), "has an empty or a repeated word"),
    ("W_in nan", lambda a, m: a["W_in"].__setitem__((2, 1), np.nan), "W_in: the vector of"),
    ("W_in Fortran order", lambda a, m: a.__setitem__("W_in", np.asfortranarray(a["W_in"])), "C (row-major) order"),
    ("output names no file", lambda a, m: m.__setitem__("output", "/"), "its output '/' names no file"),
    ("config not an object", lambda a, m: m.__setitem__("config", [1]),
     "the checkpoint: config = '[1]' is not of type dict"),
]


@pytest.mark.parametrize("kind, edit, fragment", KINDS, ids=[kind for kind, _, _ in KINDS])
def test_an_edited_checkpoint_is_one_line_naming_it(tmp_path, saved, kind, edit, fragment):
    path = edited(tmp_path, saved, edit)
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and fragment in message and "\n" not in message, message


def test_the_saved_checkpoint_itself_loads_and_resumes(tmp_path, saved):
    """The checks refuse nothing a cbow writes: the unedited checkpoint resumes."""
    path = edited(tmp_path, saved, lambda arrays, meta: None)
    checkpoint = load_checkpoint(path)
    assert checkpoint.state.batches_done == 5 and checkpoint.state.noise_rng_state is not None
    assert main(["train", "--resume", str(path), "-q", "--no-cache", "-o", str(tmp_path / "out.bin")]) == 0


@pytest.mark.parametrize("kind", ["unknown setting", "W_out 5 rows short", "bad rng state", "no progress"])
def test_the_cli_says_it_in_one_line(tmp_path, saved, capsys, kind):
    edit = next(edit for name, edit, _ in KINDS if name == kind)
    path = edited(tmp_path, saved, edit)
    assert main(["train", "--resume", str(path), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cbow train: error: {path}: ") and err.count("\n") == 1, err


def test_an_older_checkpoint_without_later_fields_still_loads(tmp_path, saved):
    """Settings and progress fields added after the first checkpoints take their defaults."""
    def older(arrays, meta):
        for key in ("holdout_every", "workers", "ns_exponent", "keep_words", "freeze_init"):
            meta["config"].pop(key)
        for key in ("worker_positions", "heldout_history", "cluster"):
            meta["progress"].pop(key)
    assert load_checkpoint(edited(tmp_path, saved, older)).state.worker_positions == []


def test_a_damaged_member_header_does_not_allocate_what_it_announces(tmp_path, saved):
    """A .npy header inside the zip announcing a huge shape: refused before numpy allocates it."""
    raw = bytearray(saved[0])
    at = raw.index(b"'shape': (") + len(b"'shape': (")
    raw[at:at + 1] = b"9"  # (9xx, 8): more rows than the member holds
    path = tmp_path / "v.bin.ckpt"
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="not a readable cbow checkpoint"):
        load_checkpoint(path)


def test_a_vectors_file_given_to_resume_is_named_as_one(tmp_path, saved, capsys):
    """Item 12: not "it is damaged; delete it" about a good vectors file."""
    path = edited(tmp_path, saved, lambda arrays, meta: None)
    out = tmp_path / "v.bin"
    assert main(["train", "--resume", str(path), "-q", "--no-cache", "--keep-checkpoint", "-o", str(out)]) == 0
    assert out.exists()
    capsys.readouterr()
    for given, fragment in [(out, f"a word2vec vectors file, not a checkpoint; resume its run with --resume {path}"),
                            (tmp_path / "c.txt", "a text file (vectors or a corpus?), not a checkpoint")]:
        if given.name == "c.txt":
            given.write_text("the cat sat\n", encoding="utf-8")
        assert main(["train", "--resume", str(given), "-q"]) == 2
        err = capsys.readouterr().err
        assert fragment in err and "damaged" not in err and err.count("\n") == 1, err
    model = tmp_path / "m.cbow"
    assert main(["train", "--resume", str(path), "-q", "--no-cache", "--keep-checkpoint", "-o", str(model)]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(model), "-q"]) == 2
    assert f"a .cbow directory (vectors or a whole model), not a checkpoint; to train it further start a new run " \
           f"from it: cbow train CORPUS --init-from {model}" in capsys.readouterr().err


def test_a_fifo_given_to_resume_is_not_opened(tmp_path, capsys):
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert main(["train", "--resume", str(fifo), "-q"]) == 2  # opening it would wait for a writer forever
    assert "not a regular file" in capsys.readouterr().err

