"""The reading pass in a forked child (cbow.data.reading_process): same result, same errors,
its log records and its death reported here, and --no-cache's ids and offsets in deleted files."""

import logging
import os

import numpy as np
import pytest

from cbow.corpora import planted
from cbow.data import prepare as prepare_module, reading_process
from cbow.data.encode import read_and_encode
from cbow.data.prepare import prepare
from cbow.errors import CorpusError, OutputError, VocabError
from cbow.training.config import TrainConfig

pytestmark = pytest.mark.skipif(not reading_process.reading_forks(), reason="the child is forked on Linux only")


@pytest.fixture
def corpus_file(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(planted.generate_lines(n_sentences=3000, seed=2)) + "\n", encoding="utf-8")
    return path


def test_the_child_reads_what_this_process_would(corpus_file, tmp_path):
    vocab, corpus = reading_process.read_to_file(corpus_file, dict(min_count=3), tmp_path / "ids.npy")
    same_vocab, same_corpus = read_and_encode(corpus_file, min_count=3)
    assert vocab.words == same_vocab.words and np.array_equal(vocab.counts, same_vocab.counts)
    assert isinstance(corpus.word_ids, np.memmap) and np.array_equal(corpus.word_ids, same_corpus.word_ids)
    assert np.array_equal(corpus.sentence_offsets, same_corpus.sentence_offsets)
    assert corpus.n_raw_tokens == same_corpus.n_raw_tokens


def test_the_childs_errors_and_log_records_arrive_here(corpus_file, tmp_path, monkeypatch, caplog):
    with pytest.raises(VocabError, match="no word occurs 1,000,000 times"):
        reading_process.read_to_file(corpus_file, dict(min_count=10**6), tmp_path / "ids.npy")

    def logging_reader(*args, **kwargs):
        logging.getLogger("cbow.data.encode").warning("a word from the child, pid %d", os.getpid())
        return read_and_encode(*args, **kwargs)

    monkeypatch.setattr(reading_process, "read_and_encode", logging_reader)  # the fork inherits it
    with caplog.at_level("WARNING"):
        reading_process.read_to_file(corpus_file, dict(min_count=3), tmp_path / "ids.npy")
    [record] = [r for r in caplog.records if "a word from the child" in r.getMessage()]
    assert record.name == "cbow.data.encode" and f"pid {os.getpid()}" not in record.getMessage()


def test_a_child_that_dies_is_reported_with_its_exit_code(corpus_file, tmp_path, monkeypatch):
    monkeypatch.setattr(reading_process, "read_and_encode", lambda *args, **kwargs: os._exit(9))
    with pytest.raises(CorpusError, match=r"exit code 9 \(out of memory\? try --low-memory\)"):
        reading_process.read_to_file(corpus_file, dict(min_count=3), tmp_path / "ids.npy")


def test_without_the_cache_a_files_ids_are_mapped_from_a_deleted_file(corpus_file):
    """--no-cache: the ids go through a temporary file that is gone once mapped; a text in
    memory stays in memory (it could not be read twice)."""
    _, corpus = prepare(corpus_file, TrainConfig(min_count=3), cache_dir=None)
    for mapped in (corpus.word_ids, corpus.sentence_offsets):
        assert isinstance(mapped, np.memmap) and not os.path.exists(mapped.filename)
    in_memory = read_and_encode(corpus_file, min_count=3)[1]
    assert np.array_equal(corpus.word_ids, in_memory.word_ids)
    assert np.array_equal(corpus.sentence_offsets, in_memory.sentence_offsets)
    lines = corpus_file.read_text(encoding="utf-8").splitlines()
    assert not isinstance(prepare(lines, TrainConfig(min_count=3), cache_dir=None)[1].word_ids, np.memmap)


def test_a_full_temporary_directory_encodes_in_memory(corpus_file, monkeypatch, caplog):
    def full_disk(source, settings, ids_path, offsets_path=None):
        raise OutputError(f"{ids_path}: no space left on device")

    monkeypatch.setattr(prepare_module, "read_to_file", full_disk)
    with caplog.at_level("WARNING"):
        _, corpus = prepare(corpus_file, TrainConfig(min_count=3), cache_dir=None)
    assert "encoding in memory instead" in caplog.text
    assert not isinstance(corpus.word_ids, np.memmap) and len(corpus.word_ids) == corpus.n_words


def _in_a_forked_child(body) -> int:
    """Run `body()` in a forked child; its exit status (0 when `body` returns)."""
    pid = os.fork()
    if pid == 0:
        try:
            body()
        finally:
            os._exit(0)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def test_the_child_asks_to_die_with_its_parent():
    """PR_SET_PDEATHSIG = SIGKILL, read back with PR_GET_PDEATHSIG (issue 27, item 3)."""
    import ctypes
    import signal

    def asks():
        reading_process.die_with_parent(os.getppid())
        death_signal = ctypes.c_int(0)
        ctypes.CDLL(None).prctl(2, ctypes.byref(death_signal), 0, 0, 0)  # PR_GET_PDEATHSIG
        os._exit(0 if death_signal.value == signal.SIGKILL else 3)

    assert _in_a_forked_child(asks) == 0


def test_a_child_whose_parent_died_before_it_asked_exits_at_once():
    """The request cannot fire for a parent already gone (the child then has another
    parent): the child compares with the pid it was given and ends."""
    assert _in_a_forked_child(lambda: reading_process.die_with_parent(os.getppid() + 1)) == 1
