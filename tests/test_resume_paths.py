"""Where a resumed run writes, and what it reads from a checkpoint's names (issue 27, items 5 and 9).

The rule (docs/usage.md, "Where a resumed run writes"): the vectors go to -o, else beside
the checkpoint given, under the run's output file name; the checkpoints go to the
checkpoint given (with -o: to OUTPUT.ckpt, never replacing another run's); a finished run
removes only the checkpoint it saved to.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from cbow.cli import main
from cbow.corpora import planted

FAST = ["--size", "8", "--window", "2", "--min-count", "2", "--batch-size", "64", "--workers", "1", "-q",
        "--no-cache"]


@pytest.fixture()
def finished(tmp_path):
    """orig/v.bin and its kept checkpoint orig/v.bin.ckpt (one epoch done) of the corpus c.txt."""
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(planted.generate_lines(n_sentences=300, seed=9)) + "\n", encoding="utf-8")
    orig = tmp_path / "orig"
    orig.mkdir()
    assert main(["train", str(corpus), "-o", str(orig / "v.bin"), "--epochs", "1", "--keep-checkpoint", *FAST]) == 0
    return orig


def edit_meta(path, change) -> None:
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    change(meta)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def test_a_copied_checkpoint_resumes_in_its_new_folder(tmp_path, finished, monkeypatch):
    """cp orig/v.bin.ckpt exp/; cd exp; cbow train --resume v.bin.ckpt --epochs 2: orig/ is untouched."""
    before = (finished / "v.bin").read_bytes()
    exp = tmp_path / "exp"
    exp.mkdir()
    shutil.copy(finished / "v.bin.ckpt", exp)
    monkeypatch.chdir(exp)
    assert main(["train", "--resume", "v.bin.ckpt", "--epochs", "2", "-q"]) == 0
    assert (finished / "v.bin").read_bytes() == before and (finished / "v.bin.ckpt").exists()
    assert sorted(path.name for path in exp.iterdir()) == ["v.bin", "v.bin.log.jsonl"]  # its checkpoint done with


def test_an_edited_output_path_is_not_overwritten(tmp_path, finished):
    victim = tmp_path / "precious" / "data.bin"
    victim.parent.mkdir()
    victim.write_bytes(b"keep me")
    edit_meta(finished / "v.bin.ckpt", lambda meta: meta.__setitem__("output", str(victim)))
    assert main(["train", "--resume", str(finished / "v.bin.ckpt"), "--epochs", "2", "-q"]) == 0
    assert victim.read_bytes() == b"keep me" and sorted(p.name for p in victim.parent.iterdir()) == ["data.bin"]
    assert (finished / "data.bin").exists()  # its name, beside the checkpoint


def test_a_renamed_checkpoint_saves_to_itself_and_leaves_the_others(tmp_path, finished):
    original = (finished / "v.bin.ckpt").read_bytes()
    shutil.copy(finished / "v.bin.ckpt", finished / "snapshot.ckpt")
    assert main(["train", "--resume", str(finished / "snapshot.ckpt"), "--epochs", "2", "-q"]) == 0
    assert (finished / "v.bin.ckpt").read_bytes() == original  # not the one given: never touched
    assert not (finished / "snapshot.ckpt").exists()  # the one it saved to, removed once done


def test_with_o_the_run_checkpoints_beside_o_and_never_replaces_another_runs(tmp_path, finished, capsys):
    given = finished / "v.bin.ckpt"
    other = tmp_path / "other.bin"
    (tmp_path / "other.bin.ckpt").write_bytes(b"another run's checkpoint")
    assert main(["train", "--resume", str(given), "--epochs", "2", "-q", "-o", str(other)]) == 2
    err = capsys.readouterr().err
    assert "other.bin.ckpt: another run's checkpoint is there" in err and err.count("\n") == 1, err
    assert (tmp_path / "other.bin.ckpt").read_bytes() == b"another run's checkpoint" and not other.exists()
    fresh = tmp_path / "fresh.bin"
    assert main(["train", "--resume", str(given), "--epochs", "2", "-q", "-o", str(fresh)]) == 0
    assert fresh.exists() and given.exists() and not (tmp_path / "fresh.bin.ckpt").exists()


def test_an_output_named_as_the_checkpoint_itself_is_refused(tmp_path, finished, capsys):
    edit_meta(finished / "v.bin.ckpt", lambda meta: meta.__setitem__("output", "/elsewhere/v.bin.ckpt"))
    assert main(["train", "--resume", str(finished / "v.bin.ckpt"), "--epochs", "2", "-q"]) == 2
    assert "would replace the checkpoint itself" in capsys.readouterr().err


def test_a_checkpoints_phrase_table_is_never_quoted(tmp_path, finished, capsys):
    """An edited checkpoint naming any file as its phrase table: refused, its content not echoed."""
    secret = tmp_path / "secret.txt"
    secret.write_text("root:TOP-SECRET-HASH:0:0\n", encoding="utf-8")
    edit_meta(finished / "v.bin.ckpt", lambda meta: meta["config"].__setitem__("phrases", str(secret)))
    assert main(["train", "--resume", str(finished / "v.bin.ckpt"), "--epochs", "2", "-q"]) == 2
    err = capsys.readouterr().err
    assert f"its phrase table {secret} is not a readable phrase table (line 1)" in err, err
    assert "TOP-SECRET" not in err and err.count("\n") == 1
    edit_meta(finished / "v.bin.ckpt", lambda meta: meta["config"].__setitem__("phrases", str(tmp_path / "gone.tsv")))
    assert main(["train", "--resume", str(finished / "v.bin.ckpt"), "--epochs", "2", "-q"]) == 2
    assert "gone.tsv is gone; put the table the run used back" in capsys.readouterr().err


def test_a_checkpoint_naming_no_output_asks_for_o(tmp_path, finished, capsys):
    edit_meta(finished / "v.bin.ckpt", lambda meta: meta.__setitem__("output", None))
    assert main(["train", "--resume", str(finished / "v.bin.ckpt"), "--epochs", "2", "-q"]) == 2
    assert "names no output (saved by cbow.train in Python); give -o VECTORS" in capsys.readouterr().err
