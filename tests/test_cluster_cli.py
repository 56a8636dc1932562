"""`cbow train --cluster local:2` as users run it: kill -9 of the client at a hold point, then --resume."""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")  # a dependency of distributed

from cbow.corpora import planted  # noqa: E402
from cbow.vectors.formats import load_word2vec_format  # noqa: E402
from cli_helpers import assert_one_line_error, holding_at, run_cbow, wait_for_checkpoint  # noqa: E402

ARGS = ["--size", "16", "--window", "3", "--epochs", "3", "--min-count", "3", "--batch-size", "16", "--seed", "7",
        "-q", "--workers", "1", "--cluster", "local:2", "--sync-every", "5k"]


def cbow_command(*args):
    return [sys.executable, "-m", "cbow", *map(str, args)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return planted.write_corpus(tmp_path_factory.mktemp("cluster-cli") / "corpus.txt", n_sentences=4000, seed=1)


def test_kill_9_of_the_client_then_resume_gives_the_uninterrupted_vectors(tmp_path, corpus):
    full = tmp_path / "full.bin"
    done = subprocess.run(cbow_command("train", corpus, "-o", full, *ARGS), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    out, ckpt = tmp_path / "vectors.bin", tmp_path / "vectors.bin.ckpt"
    process = subprocess.Popen(cbow_command("train", corpus, "-o", out, *ARGS), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, env=holding_at(0.5))
    try:
        state = wait_for_checkpoint(process, ckpt, lambda state: state.batches_done > 0, timeout=600)
        cluster_processes = psutil.Process(process.pid).children(recursive=True)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert state.cluster["nodes"] == 2 and any(position["words"] for position in state.cluster["positions"])
    _, alive = psutil.wait_procs(cluster_processes, timeout=60)  # the scheduler's workers die with it
    assert not alive, alive
    resumed = subprocess.run(cbow_command("train", "--resume", ckpt, "-q"), capture_output=True, text=True,
                             timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    words, vectors = load_word2vec_format(out)
    full_words, full_vectors = load_word2vec_format(full)
    assert words == full_words and np.array_equal(vectors, full_vectors)
    assert not ckpt.exists()


def test_a_bad_cluster_is_one_line(corpus, tmp_path):
    result = run_cbow("train", corpus, "-o", tmp_path / "v.bin", "--cluster", "scheduler:8786")
    assert_one_line_error(result, "cbow train: error: --cluster scheduler:8786: expected local:N", "tcp://HOST:PORT")
