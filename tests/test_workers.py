"""Worker processes over shared weights: same update as in-process steps, learning, cleanup."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from cbow.training.parallel import pool as workers
from cbow.training.parallel import blas
from cbow.training.parallel import shared as shared_memory
from cbow.corpora import planted
from cbow.errors import ConfigError, Diverged
from cbow.model.noise import AliasSampler
from cbow.model.step import OutputLayer
from cbow.training.config import TrainConfig
from cbow.training.schedule import learning_rate, make_step
from cbow.training.loop import train
from cbow.data.windows import iter_batches


def shm_segments(pid=None):
    """The segments of process `pid` (default: this test process; others on the machine may
    hold their own)."""
    if not os.path.isdir("/dev/shm"):
        return set()
    return {name for name in os.listdir("/dev/shm") if name.startswith(shared_memory.segment_prefix(pid))}


def training_script(**config):
    """A script that trains 40,000 planted sentences with TrainConfig(**config), main-guarded."""
    settings = ", ".join(f"{key}={value!r}" for key, value in config.items())
    return ("from cbow.corpora import planted\n"
            "from cbow import TrainConfig, train\n"
            "if __name__ == '__main__':\n"
            "    lines = planted.generate_lines(n_sentences=40000, seed=1)\n"
            f"    train(lines, TrainConfig({settings}))\n")


def test_split_sentences_covers_the_corpus_in_equal_runs():
    offsets = np.concatenate([[0], np.cumsum([10] * 7 + [1, 1, 30])]).astype(np.int64)
    slices = workers.split_sentences(offsets, 3)
    assert slices[0][0] == 0 and slices[-1][1] == 10
    assert all(a[1] == b[0] for a, b in zip(slices[:-1], slices[1:]))
    assert workers.split_sentences(offsets[:2], 4) == [(0, 1)]  # one sentence: one worker


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
@pytest.mark.parametrize("corpus_in", ["memory", "mapped file"])
def test_two_workers_apply_the_sum_of_their_slices_updates(corpus_in, start_method, tmp_path, monkeypatch):
    """Each worker does one batch of its slice at lr ~ alpha (words_total huge): the shared
    result is the start plus both in-process updates, up to the O(lr^2) effect of one
    worker reading the other's writes (Hogwild).

    Two processes adding into the same element at the same moment can lose one of the adds
    (read, add, write is not atomic), which on a 60-word matrix happened often enough to
    fail a run. So the two halves of the corpus use disjoint words, and the noise words are
    20 others that no sentence holds: every other row is written by one worker only and must
    match; the shared noise rows only have to move.
    """
    if start_method == "fork" and not workers.workers_fork():
        pytest.skip("workers are forked on Linux only")
    monkeypatch.setattr(workers, "START_METHOD", start_method)  # spawn: what macOS and Windows run
    rng = np.random.default_rng(0)
    V, d = 80, 8
    noise_words = np.arange(60, V)
    offsets = np.arange(0, 401, 20, dtype=np.int64)  # 20 sentences of 20 words
    word_ids = np.concatenate([rng.integers(0, 30, size=200), rng.integers(30, 60, size=200)])
    word_ids = word_ids.astype(np.int32)
    noise = np.zeros(V)
    noise[noise_words] = 1.0 / len(noise_words)
    output = OutputLayer("ns", negative=3, noise_sampler=AliasSampler.from_probabilities(noise))
    config = TrainConfig(size=d, window=3, negative=3, sample=0, alpha=0.001, batch_size=1000, seed=4)
    W_in = rng.standard_normal((V, d)) * 0.3
    W_out = rng.standard_normal((V, d)) * 0.3
    words_total = 10**15

    expected_in, expected_out = W_in.copy(), W_out.copy()
    slices = workers.split_sentences(offsets, 2)
    assert slices == [(0, 10), (10, 20)]  # one half of the words each
    for worker, (first, stop) in enumerate(slices):
        own_in, own_out = W_in.copy(), W_out.copy()
        step = make_step(own_in, output, config)
        batch_rng = np.random.default_rng([config.seed, 1, 0, worker])  # the worker's two streams
        noise_rng = np.random.default_rng([config.seed, 2, 0, worker])
        start = offsets[first]
        batches = list(iter_batches(word_ids[start:offsets[stop]], offsets[first:stop + 1] - start,
                                    config.window, config.batch_size, batch_rng))
        assert len(batches) == 1
        lr = learning_rate(config.alpha, 0, words_total)
        step(own_in, own_out, batches[0], config.lr_in * lr / config.alpha, lr, noise_rng)
        expected_in += own_in - W_in
        expected_out += own_out - W_out

    if corpus_in == "mapped file":  # as from the corpus cache: workers map the file themselves
        np.save(tmp_path / "ids.npy", word_ids)
        word_ids = np.load(tmp_path / "ids.npy", mmap_mode="r")
        assert workers._whole_file_map(word_ids) is not None
        assert workers._whole_file_map(word_ids[1:]) is None  # a slice is copied instead
    got_in, got_out = W_in.copy(), W_out.copy()
    before = shm_segments()
    final = workers.run_workers(got_in, got_out, word_ids, offsets, None, output, config, 2,
                                0, 1, words_total)
    assert shm_segments() <= before  # unlinked
    assert final.epochs_done == 1 and final.words_done == 400
    one_writer = np.arange(V) < 60
    for got, expected, start in ((got_in, expected_in, W_in), (got_out, expected_out, W_out)):
        update = np.abs(expected - start)[one_writer].sum()
        assert update > 0.05  # both matrices really moved
        for half in (slice(0, 30), slice(30, 60)):  # each worker's own rows arrived
            assert np.abs(got - start)[half].sum() > 0.02
        assert np.abs(got - expected)[one_writer].sum() < 1e-2 * update
    assert np.all(got_out[noise_words] != W_out[noise_words])
    assert np.array_equal(got_in[noise_words], W_in[noise_words])  # never context words


def test_two_workers_learn_the_planted_structure(planted_lines):
    config = TrainConfig(size=32, window=3, min_count=3, sample=1e-3, epochs=4, batch_size=256,
                         seed=3, workers=2)
    reports = []
    before = shm_segments()
    result = train(planted_lines, config, on_epoch_end=reports.append)
    assert shm_segments() <= before
    assert [r.epoch for r in reports] == [1, 2, 3, 4]
    assert result.epoch_losses[-1] < result.epoch_losses[0] * 0.9
    words = [point.words_done for point in result.loss_history]
    assert words == sorted(words) and words[-1] == 4 * result.n_corpus_words
    pairs = [("king", "queen")]
    from test_train import planted_scores

    pair_share, analogy_share = planted_scores(result.wv)
    assert pair_share >= 0.8 and analogy_share >= 0.7, (pair_share, analogy_share, pairs)


def test_a_failing_worker_is_reported_and_memory_freed():
    word_ids = np.arange(40, dtype=np.int32) % 10
    offsets = np.array([0, 20, 40], dtype=np.int64)
    output = OutputLayer("ns", negative=2, noise_sampler=AliasSampler.from_probabilities(np.full(10, 0.1)))
    config = TrainConfig(size=4, window=2, negative=2, sample=1e-3)
    W_in, W_out = np.zeros((10, 4), np.float32), np.zeros((10, 4), np.float32)
    bad_keep_prob = np.ones(3)  # too short: the worker's subsampling raises IndexError
    before = shm_segments()
    with pytest.raises(RuntimeError, match=r"(?s)worker . failed.*IndexError"):
        workers.run_workers(W_in, W_out, word_ids, offsets, bad_keep_prob, output, config, 2, 0, 1, 40)
    assert shm_segments() <= before


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_a_script_without_the_main_guard_is_told_how_to_fix_it(start_method, tmp_path):
    """Spawned workers import the calling script: unguarded, it starts training again in
    each of them and they die while starting; the script's last line names the fix.
    Forked workers (Linux) import nothing, so there the script just trains."""
    if start_method == "fork" and not workers.workers_fork():
        pytest.skip("workers are forked on Linux only")
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from cbow.training.parallel import pool\n"
        f"pool.START_METHOD = {start_method!r}\n"
        "from cbow import TrainConfig, train\n"
        "lines = ['the king rules the land and the queen rules the sea'] * 300\n"
        "train(lines, TrainConfig(size=8, window=2, min_count=1, epochs=1, workers=2))\n"
        "print('trained')\n"
    )
    ran = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path)
    if start_method == "fork":
        assert ran.returncode == 0 and ran.stdout == "trained\n", ran.stderr
        return
    assert ran.returncode != 0
    last_line = ran.stderr.strip().splitlines()[-1]
    assert last_line.startswith("RuntimeError: training worker") and 'if __name__ == "__main__":' in last_line


@pytest.mark.skipif(not workers.workers_fork(), reason="workers are forked on Linux only")
def test_forked_workers_train_the_runs_own_weights_in_shared_memory(planted_lines):
    """No second copy of the weights: the run allocates them in anonymous shared memory and
    the workers write into them, so the result's matrices are those very arrays."""
    result = train(planted_lines[:3000], TrainConfig(size=16, window=2, min_count=3, epochs=1, workers=2))
    assert shared_memory.in_shared_memory(result.W_in) and shared_memory.in_shared_memory(result.W_out)
    assert not shared_memory.in_shared_memory(np.zeros(3))
    assert np.isfinite(result.W_in).all() and np.abs(result.W_out).sum() > 0  # W_out starts at 0


@pytest.mark.skipif(not blas.loaded_openblas_paths(), reason="numpy here does not use OpenBLAS")
def test_a_forked_process_is_told_to_use_one_blas_thread():
    """What a forked worker does first: every loaded OpenBLAS then runs one thread."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its counts, exit without running the test's teardown
        try:
            told = blas.use_one_blas_thread()
            os.write(writer, repr((told, sorted(blas.blas_threads().values()))).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as report:
        told, counts = eval(report.read())
    os.waitpid(pid, 0)
    assert told >= 1 and counts and set(counts) == {1}


@pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="segments are listed in /dev/shm (Linux)")
@pytest.mark.parametrize("caller", ["cli", "cli-group", "library"])
def test_sigterm_during_a_two_worker_run_stops_it_and_leaves_no_segment(caller, tmp_path):
    """The CLI saves a checkpoint first (as on Ctrl-C); a library call without a
    checkpointer gets a KeyboardInterrupt; either way the workers stop and no segment
    is left in /dev/shm. "cli-group": as `timeout` does, SIGTERM to the process and then
    to its whole group, so the parent gets it twice (which interrupted it before it
    saved) and the workers get it too (they died of it and failed the run)."""
    out = tmp_path / "v.bin"
    if caller.startswith("cli"):
        corpus = tmp_path / "corpus.txt"  # 420k words, 20 epochs: far longer than the wait below
        corpus.write_text("\n".join(planted.generate_lines(n_sentences=40000, seed=1)) + "\n", encoding="utf-8")
        command = ["-m", "cbow", "train", str(corpus), "-o", str(out), "--size", "16", "--epochs", "20",
                   "--min-count", "3", "-q", "--no-cache", "--workers", "2"]
    else:
        command = ["-c", training_script(size=16, epochs=20, min_count=3, workers=2)]
    process = subprocess.Popen([sys.executable, *command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, cwd=tmp_path, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(worker_processes_of(process.pid)) < 2:
            assert process.poll() is None and time.monotonic() < deadline, "no workers started"
            time.sleep(0.01)
        time.sleep(0.5)  # the workers are training
        process.send_signal(signal.SIGTERM)
        if caller == "cli-group":
            time.sleep(0.2)  # apart, so the parent's handler surely runs twice
            os.killpg(process.pid, signal.SIGTERM)  # its own session: the group is its pid
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert not shm_segments(process.pid)
    assert not out.exists()
    if caller.startswith("cli"):
        assert process.returncode == 130, stderr
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("cbow train: interrupted; checkpoint saved"), stderr
        assert (tmp_path / "v.bin.ckpt").exists()
    else:
        assert process.returncode != 0 and stderr.strip().splitlines()[-1] == "KeyboardInterrupt", stderr


def worker_processes_of(pid: int) -> set[int]:
    """The pids of the multiprocessing workers whose parent is `pid` (from /proc): spawned,
    or forked (then with its parent's command line); not multiprocessing's resource tracker."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    command = handle.read()
            except OSError:  # ended meanwhile
                continue
            if parent == pid and b"resource_tracker" not in command:
                found.add(int(entry))
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds the workers through /proc (Linux)")
@pytest.mark.parametrize("when", ["starting", "mid-epoch"])
def test_workers_of_a_killed_parent_exit(when):
    """kill -9 of the parent. "starting": right after the tasks are sent, while the workers
    still import; they used to read the reaper's pid as their parent's and wait at the
    epoch gate forever (which also kept the segment from being unlinked). "mid-epoch": in
    one long epoch (batches of one example, ~40 s); they used to train on to its end."""
    epochs, batch_size, wait = (50, 512, 0.05) if when == "starting" else (1, 1, 2.0)
    script = training_script(size=8, epochs=epochs, batch_size=batch_size, min_count=3, sample=1e-3, workers=2)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker_pids = set()
    try:
        deadline = time.monotonic() + 120
        while len(worker_pids) < 2:
            assert process.poll() is None and time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.005)
            worker_pids = worker_processes_of(process.pid)
        time.sleep(wait)  # "starting": the tasks are in the pipes, the workers import numpy
        process.kill()
        process.wait()
        deadline = time.monotonic() + 15  # well within the epoch
        while any(running(pid) for pid in worker_pids):
            assert time.monotonic() < deadline, "orphaned workers are still running"
            time.sleep(0.05)
        while shm_segments(process.pid):
            assert time.monotonic() < deadline, "the segment was never unlinked"
            time.sleep(0.05)
    finally:
        for pid in {process.pid, *worker_pids}:
            if running(pid):
                os.kill(pid, signal.SIGKILL)


def test_divergence_in_a_worker_stops_the_run(planted_lines):
    config = TrainConfig(size=16, window=2, min_count=3, epochs=1, alpha=1e30, alpha_in=1e30, workers=2)
    with pytest.raises(Diverged, match="diverged in epoch 1"):
        train(planted_lines[:2000], config)


def test_segments_are_named_after_the_process_and_unlinked():
    shared = shared_memory.SharedArrays({"W": ((4, 3), np.float32)})
    try:
        assert shared.name.startswith(shared_memory.segment_prefix())
        if os.path.isdir("/dev/shm"):
            assert shared.name in shm_segments()
    finally:
        shared.close_and_unlink()
    assert shared.name not in shm_segments()


def test_automatic_worker_count_trains_small_runs_in_one_process(planted_lines, monkeypatch):
    """workers=AUTO (the CLI's default): all cores from AUTO_MIN_TRAINING_WORDS training words
    up, one process below (bit-identical to workers=1); an explicit count is kept."""
    monkeypatch.setattr(workers, "available_cores", lambda: 4)
    limit = workers.AUTO_MIN_TRAINING_WORDS
    assert workers.resolve_workers(workers.AUTO, limit) == 4
    assert workers.resolve_workers(workers.AUTO, limit - 1) == 1
    assert workers.resolve_workers(3, 10) == 3
    small = dict(size=16, window=2, min_count=3, epochs=1)
    auto = train(planted_lines[:3000], TrainConfig(workers=workers.AUTO, **small))
    one = train(planted_lines[:3000], TrainConfig(workers=1, **small))
    assert auto.config.workers == 1
    np.testing.assert_array_equal(auto.W_in, one.W_in)


def test_automatic_worker_count_trains_in_one_process_when_shared_memory_is_short(planted_lines, monkeypatch,
                                                                                  caplog):
    """Spawned workers share a /dev/shm segment (forked ones do not: see the test below)."""
    monkeypatch.setattr(workers, "START_METHOD", "spawn")
    monkeypatch.setattr(workers, "available_cores", lambda: 2)
    monkeypatch.setattr(workers, "AUTO_MIN_TRAINING_WORDS", 0)
    monkeypatch.setattr(shared_memory, "shm_free_bytes", lambda: 1000)
    with caplog.at_level("WARNING", logger="cbow.training.parallel.pool"):
        auto = train(planted_lines[:3000], TrainConfig(size=16, window=2, min_count=3, epochs=1,
                                                       workers=workers.AUTO))
    assert auto.config.workers == 1
    assert "training in one process" in caplog.text and "--shm-size" in caplog.text
    assert workers.resolve_workers(workers.AUTO, 10, shared_bytes=999) == 2  # it fits


def test_a_shared_memory_space_too_small_is_refused_before_training(planted_lines, monkeypatch):
    """A container's 64 MB /dev/shm: the segment would be created, and the first write past
    the space would end the run with SIGBUS and no message. (Spawned workers only.)"""
    monkeypatch.setattr(workers, "START_METHOD", "spawn")
    free = shared_memory.shm_free_bytes()
    assert free is None or free > 0  # this machine's own answer
    monkeypatch.setattr(shared_memory, "shm_free_bytes", lambda: 1000)
    before = shm_segments()
    with pytest.raises(ConfigError, match=r"(?s)MB free.*--shm-size.*--workers 1"):
        train(planted_lines[:2000], TrainConfig(size=16, window=2, min_count=3, epochs=1, workers=2))
    assert shm_segments() <= before


@pytest.mark.skipif(not workers.workers_fork(), reason="workers are forked on Linux only")
def test_forked_workers_need_no_room_in_dev_shm(planted_lines, monkeypatch):
    """A container's small /dev/shm does not matter to forked workers: their shared memory
    is anonymous, outside /dev/shm. AUTO keeps all cores and an explicit count trains."""
    monkeypatch.setattr(shared_memory, "shm_free_bytes", lambda: 1000)
    monkeypatch.setattr(workers, "available_cores", lambda: 2)
    monkeypatch.setattr(workers, "AUTO_MIN_TRAINING_WORDS", 0)
    before = shm_segments()
    small = dict(size=16, window=2, min_count=3, epochs=1)
    assert train(planted_lines[:2000], TrainConfig(workers=workers.AUTO, **small)).config.workers == 2
    assert train(planted_lines[:2000], TrainConfig(workers=2, **small)).config.workers == 2
    assert shm_segments() <= before
