"""Every bad input of issue 5 through the CLI in a subprocess: exit 2, one line naming the place
and the fix, and nothing left behind. Plus: disk full during a write, readers never see a
partial vectors file, and hypothesis-made corpora raise nothing but our own errors."""

import errno
import gzip
import os
import shutil
import subprocess
import sys
import uuid

import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run_cbow
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cbow.errors import CbowError, OutputError
from cbow.training.config import TrainConfig
from cbow.training.loop import train

FAST = ["--size", "8", "--window", "2", "--workers", "1", "--epochs", "1", "--min-count", "1", "-q"]


def write_giant_line(path):
    with gzip.open(path, "wb", compresslevel=1) as handle:
        chunk = b"a" * (1 << 22)
        for _ in range(50):  # 200 MiB, one line, no whitespace
            handle.write(chunk)


def make_inputs(directory):
    (directory / "garbage.txt").write_bytes(bytes(range(256)) * 40)
    (directory / "empty_lines.txt").write_text("\n" * 5000, encoding="utf-8")
    write_giant_line(directory / "giant.txt.gz")
    (directory / "mixed.txt").write_bytes("caf\u00e9 ol\u00e9\n".encode("utf-8") * 3 + "caf\u00e9\n".encode("latin-1"))
    (directory / "rare.txt").write_text("alpha beta gamma\ndelta epsilon\n", encoding="utf-8")
    (directory / "ok.txt").write_text("the cat sat on the mat\nthe dog sat on the log\n" * 30, encoding="utf-8")
    (directory / "bad_vocab.tsv").write_text("the\t12\ncat 5\n", encoding="utf-8")
    (directory / "zero_vocab.tsv").write_text("the\t12\ncat\t0\n", encoding="utf-8")
    (directory / "utf16.txt").write_bytes("the cat sat\n".encode("utf-16"))


BAD_INPUTS = [
    ("binary garbage", ["train", "garbage.txt", "-o", "v.bin", *FAST], ["garbage.txt:1", "NUL byte"]),
    ("UTF-16 text", ["train", "utf16.txt", "-o", "v.bin", *FAST], ["utf16.txt:1", "UTF-16"]),
    ("empty lines", ["train", "empty_lines.txt", "-o", "v.bin", *FAST], ["empty_lines.txt", "no words found"]),
    ("200 MB line without newline", ["train", "giant.txt.gz", "-o", "v.bin", *FAST],
     ["giant.txt.gz:1", "without a space or newline"]),
    ("mixed encodings", ["train", "mixed.txt", "-o", "v.bin", *FAST], ["mixed.txt:4", "not UTF-8", "iconv"]),
    ("no word reaches min-count", ["train", "rare.txt", "-o", "v.bin", *FAST[:-3], "--min-count", "5", "-q"],
     ["rare.txt", "no word occurs 5 times", "--min-count"]),
    ("window 0", ["train", "ok.txt", "-o", "v.bin", "--window", "0"], ["--window", ">= 1"]),
    ("window negative", ["train", "ok.txt", "-o", "v.bin", "--window", "-2"], ["--window"]),
    ("size 0", ["train", "ok.txt", "-o", "v.bin", "--size", "0"], ["--size", ">= 1"]),
    ("size negative", ["train", "ok.txt", "-o", "v.bin", "--size", "-5"], ["--size"]),
    ("vocab file with a bad row", ["train", "ok.txt", "-o", "v.bin", "--vocab", "bad_vocab.tsv", *FAST],
     ["bad_vocab.tsv:2", "word<TAB>count"]),
    ("vocab file with count 0", ["train", "ok.txt", "-o", "v.bin", "--vocab", "zero_vocab.tsv", *FAST],
     ["zero_vocab.tsv:2", "at least 1"]),
    ("output directory missing", ["train", "ok.txt", "-o", "no/such/dir/v.bin", *FAST], ["does not exist"]),
    ("vocab output directory missing", ["vocab", "ok.txt", "-o", "no/dir/vocab.tsv"], ["does not exist"]),
    ("bad duration", ["train", "ok.txt", "--checkpoint-every", "ten"], ["--checkpoint-every", "30s, 10m or 1h"]),
    ("missing checkpoint", ["train", "--resume", "nope.ckpt"], ["nope.ckpt", "no such checkpoint"]),
    ("garbage checkpoint", ["train", "--resume", "garbage.txt"], ["garbage.txt", "not a readable cbow checkpoint"]),
    ("model larger than memory", ["train", "ok.txt", "-o", "v.bin", "--size", "1000000000", *FAST[2:]],
     ["training needs about", "GiB", "available", "--size"]),
]


@pytest.fixture(scope="module")
def input_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("bad")
    make_inputs(directory)
    return directory


@pytest.mark.parametrize("name, args, fragments", BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_one_line_exit_2_no_leftovers(tmp_path, input_dir, name, args, fragments):
    for item in input_dir.iterdir():
        os.symlink(item, tmp_path / item.name)
    before = set(tmp_path.rglob("*"))
    line = assert_one_line_error(run_cbow(*args, cwd=tmp_path), *fragments)
    assert "Traceback" not in line
    assert set(tmp_path.rglob("*")) == before  # no output, no temp file, no checkpoint


def trained_checkpoint(tmp_path, corpus_text, *extra):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(corpus_text, encoding="utf-8")
    ckpt = tmp_path / "v.bin.ckpt"
    # Through the library, which keeps the checkpoint (the CLI removes it after saving vectors).
    from cbow.training.checkpoint import Checkpointer
    from cbow.data.encode import read_and_encode

    config = TrainConfig(size=8, window=2, epochs=2, min_count=1, **dict(extra))
    vocab, encoded = read_and_encode(corpus_text.splitlines(), min_count=1)
    checkpointer = Checkpointer(ckpt, corpus_path=str(corpus), output=str(tmp_path / "v.bin"))
    train(config=config, vocab=vocab, encoded=encoded, checkpointer=checkpointer)
    return corpus, ckpt


def test_checkpoint_of_another_corpus_is_refused(tmp_path):
    corpus, ckpt = trained_checkpoint(tmp_path, "the cat sat on the mat\nthe dog ran\n" * 20)
    corpus.write_text("the cat sat on the mat\nthe dog ran far away\n" * 20, encoding="utf-8")
    before = set(tmp_path.rglob("*"))
    result = run_cbow("train", "--resume", ckpt, "-q", cwd=tmp_path)
    assert_one_line_error(result, "v.bin.ckpt", "different corpus", "without --resume")
    assert set(tmp_path.rglob("*")) == before


def test_checkpoint_with_other_settings_is_refused(tmp_path):
    _, ckpt = trained_checkpoint(tmp_path, "the cat sat on the mat\nthe dog ran\n" * 20)
    result = run_cbow("train", "--resume", ckpt, "--window", "4", "-q", cwd=tmp_path)
    assert_one_line_error(result, "v.bin.ckpt", "--window 2", "4", "drop --window")


def test_resume_when_the_corpus_is_gone(tmp_path):
    corpus, ckpt = trained_checkpoint(tmp_path, "the cat sat on the mat\n" * 20)
    corpus.unlink()
    result = run_cbow("train", "--resume", ckpt, "-q", cwd=tmp_path)
    assert_one_line_error(result, "corpus.txt is gone", "--resume")


def test_vocab_then_train_with_vocab(tmp_path):
    (tmp_path / "c.txt").write_text("the cat sat on the mat\nthe dog sat on the log\n" * 30, encoding="utf-8")
    made = run_cbow("vocab", "c.txt", "--min-count", "20", "-o", "vocab.tsv", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    rows = [line.split("\t") for line in (tmp_path / "vocab.tsv").read_text(encoding="utf-8").splitlines()]
    assert rows == [["the", "120"], ["sat", "60"], ["on", "60"], ["cat", "30"], ["mat", "30"], ["dog", "30"],
                    ["log", "30"]]
    trained = run_cbow("train", "c.txt", "--vocab", "vocab.tsv", "-o", "v.txt", "--min-count", "40",
                       *FAST[:-3], "-q", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    assert (tmp_path / "v.txt").read_text(encoding="utf-8").splitlines()[0] == "3 8"  # min-count applies
    # to stdout, counted in bounded memory: the ids' temporary file goes when the run does
    streamed = run_cbow("train", "c.txt", "--vocab", "vocab.tsv", "-o", "-", "--low-memory", *FAST[:-3], "-q",
                        cwd=tmp_path)
    assert streamed.returncode == 0, streamed.stderr
    assert streamed.stdout.splitlines()[0] == "7 8"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["c.txt", "v.txt", "v.txt.log.jsonl", "vocab.tsv"]


# --- disk full ---------------------------------------------------------------------------


def small_filesystem(directory):
    """Mount a 64 KiB tmpfs on `directory`; None when this machine does not allow it."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None:
        return None
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(directory)],
                          capture_output=True)
    return directory if done.returncode == 0 else None


def test_disk_full_while_writing_vectors_leaves_nothing(tmp_path, monkeypatch):
    """A real full disk when we may mount one: refused before training, with the numbers
    (cbow.training.disk). The writer's own ENOSPC path (a disk filled by someone else during
    the run) is tested by an injected error in the same code path."""
    (tmp_path / "c.txt").write_text(" ".join(f"w{i}" for i in range(3000)) + "\n", encoding="utf-8")
    target = tmp_path / "small"
    target.mkdir()
    mounted = small_filesystem(target)
    try:
        if mounted is not None:
            result = run_cbow("train", "c.txt", "-o", "small/v.txt", "--size", "50", "--tokenizer", "whitespace",
                              *FAST[2:], cwd=tmp_path)
            assert_one_line_error(result, "small", "not enough disk space", "free")
            assert list(target.iterdir()) == []  # nothing written: no vectors, log, checkpoint or temporary
        from cbow import atomic

        real_fdopen = os.fdopen

        class FullDisk:
            def __init__(self, fd, mode):
                self.handle = real_fdopen(fd, mode)

            def write(self, data):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

            def __getattr__(self, name):
                return getattr(self.handle, name)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.handle.close()

        monkeypatch.setattr(atomic.os, "fdopen", FullDisk)
        with pytest.raises(OutputError, match="No space left on device"):
            with atomic.atomic_write(target / "x.bin") as handle:
                handle.write(b"0" * 1000)
        assert not [path for path in target.iterdir() if "x.bin" in path.name]  # nor its temporary
    finally:
        if mounted is not None:
            subprocess.run(["umount", str(mounted)], check=True)


# --- readers and writers ---------------------------------------------------------------------

WRITER = """
import sys, numpy as np
from cbow.vectors.formats import save_word2vec_format
path, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    V = 200 + 150 * (i % 7)
    save_word2vec_format(path, [f"w{j}" for j in range(V)], np.full((V, 32), i, np.float32), binary=True)
"""

READER = """
import sys, os, numpy as np
from cbow.vectors.formats import load_word2vec_format
path, n = sys.argv[1], int(sys.argv[2])
seen = 0
for _ in range(n):
    words, vectors = load_word2vec_format(path)
    assert len(words) == len(vectors) == 200 + 150 * (int(vectors[0, 0]) % 7), len(words)
    assert (vectors == vectors[0, 0]).all()
    seen += 1
print(seen)
"""


def test_reader_never_sees_a_partial_file_while_another_process_rewrites_it(tmp_path):
    path = tmp_path / "vectors.bin"
    subprocess.run([sys.executable, "-c", WRITER, str(path), "1"], check=True)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), "300"])
    try:
        reader = subprocess.run([sys.executable, "-c", READER, str(path), "300"], capture_output=True,
                                text=True, timeout=120)
    finally:
        writer.wait(timeout=120)
    assert writer.returncode == 0
    assert reader.returncode == 0, reader.stderr
    assert reader.stdout.strip() == "300"
    assert [p.name for p in tmp_path.iterdir()] == ["vectors.bin"]


# --- generated corpora -----------------------------------------------------------------------

LINES = st.lists(st.text(max_size=60), max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(st.binary(max_size=2000), LINES.map(lambda lines: "\n".join(lines).encode("utf-8")),
                         st.lists(st.sampled_from(["cat ", "dog ", "\n", "  ", "\u00e9t\u00e9 ", "\x00",
                                                   "\udcff".encode("utf-8", "surrogatepass").decode("latin-1"),
                                                   "x" * 300]), max_size=80).map(lambda p: "".join(p).encode("utf-8"))),
       encoding_errors=st.sampled_from(["strict", "replace"]))
def test_generated_corpora_raise_only_our_errors_and_valid_ones_train(tmp_path, content, encoding_errors):
    path = tmp_path / f"{uuid.uuid4().hex}.txt"
    path.write_bytes(content)
    config = TrainConfig(size=4, window=2, epochs=1, min_count=1, batch_size=16, sample=0,
                         encoding_errors=encoding_errors)
    try:
        result = train(path, config)
    except CbowError as error:
        assert "\n" not in str(error)
        return
    assert np.isfinite(result.W_in).all()
    assert len(result.vocab) >= 1


def test_a_disk_too_small_for_the_outputs_is_refused_before_training(tmp_path, monkeypatch, capsys):
    """The vectors and two checkpoints must fit where they are written; a full disk was found
    only at the first checkpoint after an epoch."""
    from cbow.cli import main
    from cbow.corpora import planted
    from cbow.training import disk

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(planted.generate_lines(n_sentences=500, seed=1)) + "\n", encoding="utf-8")
    out = tmp_path / "out" / "v.bin"
    out.parent.mkdir()
    monkeypatch.setattr(disk, "free_bytes", lambda directory: 1000)
    assert main(["train", str(corpus), "-o", str(out), "--size", "50", "--min-count", "3", "-q", "--no-cache",
                 "--workers", "1"]) == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line and "not enough disk space" in line and str(out.parent) in line
    assert "two checkpoints" in line and "free" in line
    assert list(out.parent.iterdir()) == []  # nothing written, training never started
    size = disk.vectors_bytes(__import__("cbow").Vocab(["ab", "c"], [3, 2]), 10, "word2vec")
    assert size == 4 * 2 * 10 + 3 + 4 + 32
