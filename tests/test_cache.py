"""The encoded-corpus cache: hit on the same file and settings, miss on any change, never
trusted when damaged, off for stdin and lines in memory."""

import importlib
import os
import subprocess
import sys

import numpy as np
import pytest

from cbow.data import cache, reading_process
from cbow.errors import CbowError
from cbow.training.config import TrainConfig
from cbow.data.prepare import prepare
from cbow.data.vocab import Vocab

prepare_module = importlib.import_module("cbow.data.prepare")
CONFIG = TrainConfig(min_count=3)


@pytest.fixture
def corpus_file(tmp_path, planted_lines):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(planted_lines[:3000]) + "\n", encoding="utf-8")
    return path


def forbid_reading(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("the corpus was read again")

    monkeypatch.setattr(prepare_module, "read_and_encode", fail)
    monkeypatch.setattr(prepare_module, "read_to_file", fail)  # the reading pass in a child


def test_second_run_reads_the_cache(tmp_path, corpus_file, monkeypatch):
    vocab, encoded = prepare(corpus_file, CONFIG, cache_dir=tmp_path / "c")
    assert isinstance(encoded.word_ids, np.memmap)  # the first run continues from the cache too
    _, uncached = prepare(corpus_file, CONFIG)
    assert np.array_equal(uncached.word_ids, encoded.word_ids)
    forbid_reading(monkeypatch)
    vocab2, encoded2 = prepare(corpus_file, CONFIG, cache_dir=tmp_path / "c")
    assert vocab2.words == vocab.words and np.array_equal(vocab2.counts, vocab.counts)
    assert isinstance(encoded2.word_ids, np.memmap)
    assert np.array_equal(encoded2.word_ids, encoded.word_ids)
    assert np.array_equal(encoded2.sentence_offsets, encoded.sentence_offsets)
    assert encoded2.n_raw_tokens == encoded.n_raw_tokens


def test_a_missing_phrase_table_fails_even_when_the_corpus_is_cached(tmp_path, corpus_file, capsys):
    """Its digest was None, the key of "no phrases": the cached ids of the corpus without
    phrases were used and the flag silently ignored (issue 27, item 10)."""
    from dataclasses import replace

    from cbow.cli import main
    from cbow.errors import FormatError

    prepare(corpus_file, CONFIG, cache_dir=tmp_path / "c")
    missing = tmp_path / "missing.tsv"
    with pytest.raises(FormatError, match="missing.tsv: no such file; check the path of the phrase table"):
        prepare(corpus_file, replace(CONFIG, phrases=str(missing)), cache_dir=tmp_path / "c")
    argv = ["train", str(corpus_file), "--phrases", str(missing), "-o", str(tmp_path / "v.bin"), "--min-count", "3",
            "--epochs", "1", "--size", "8", "-q", "--cache-dir", str(tmp_path / "c")]
    assert main(argv) == 2
    assert capsys.readouterr().err.count("\n") == 1 and not (tmp_path / "v.bin").exists()


def test_a_phrase_table_that_cannot_be_digested_is_not_cached(tmp_path, corpus_file):
    """Read by its own reader, then gone when digested: no caching, rather than the key of
    a run without phrases."""
    from dataclasses import replace

    assert prepare_module._cache_key(corpus_file, CONFIG) is not None
    assert prepare_module._cache_key(corpus_file, replace(CONFIG, phrases=str(tmp_path / "gone.tsv"))) is None


def test_a_changed_file_or_setting_misses(tmp_path, corpus_file):
    cache_dir = tmp_path / "c"
    _, first = prepare(corpus_file, CONFIG, cache_dir=cache_dir)
    key = cache.cache_key(corpus_file, "default", 3, None, 10000)
    assert cache.load(cache_dir, key) is not None
    assert cache.load(cache_dir, cache.cache_key(corpus_file, "default", 4, None, 10000)) is None
    assert cache.load(cache_dir, cache.cache_key(corpus_file, "whitespace", 3, None, 10000)) is None
    with open(corpus_file, "a", encoding="utf-8") as handle:
        handle.write("one more line\n")
    new_key = cache.cache_key(corpus_file, "default", 3, None, 10000)
    assert new_key != key and cache.load(cache_dir, new_key) is None
    _, encoded = prepare(corpus_file, CONFIG, cache_dir=cache_dir)  # re-read, not stale
    assert encoded.n_raw_tokens == first.n_raw_tokens + 3


def test_a_damaged_entry_is_rebuilt(tmp_path, corpus_file):
    cache_dir = tmp_path / "c"
    _, encoded = prepare(corpus_file, CONFIG, cache_dir=cache_dir)
    key = cache.cache_key(corpus_file, "default", 3, None, 10000)
    (entry,) = (cache_dir / "corpora").iterdir()
    np.save(entry / "sentence_offsets.npy", np.array([0, 5], dtype=np.int64))  # wrong total
    assert cache.load(cache_dir, key) is None
    _, again = prepare(corpus_file, CONFIG, cache_dir=cache_dir)
    assert np.array_equal(again.word_ids, encoded.word_ids)
    assert cache.load(cache_dir, key) is not None


def test_stdin_and_lines_are_not_cached(planted_lines):
    assert cache.cache_key("-", "default", 5, None, 10000) is None
    assert cache.cache_key(planted_lines, "default", 5, None, 10000) is None
    assert cache.cache_key("x.txt", str.split, 5, None, 10000) is None


def test_cli_caches_unless_told_not_to(tmp_path, corpus_file):
    def run(*flags):
        return subprocess.run([sys.executable, "-m", "cbow", "train", str(corpus_file), "-o",
                               str(tmp_path / "v.txt"), "--size", "8", "--epochs", "1", "--min-count", "3",
                               "--workers", "1", "-q", *flags], capture_output=True, text=True, timeout=300)

    assert run("--no-cache", "--cache-dir", tmp_path / "off").returncode == 0
    assert not (tmp_path / "off").exists()
    result = run("--cache-dir", tmp_path / "on")
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "on" / "corpora").iterdir())) == 1
    assert os.environ["CBOW_CACHE_DIR"] != str(tmp_path / "on")


def test_the_first_run_encodes_straight_into_the_entry(tmp_path, corpus_file, monkeypatch):
    # The cold path never holds all ids in memory: the reading pass (in a forked child where
    # there is fork, cbow.data.reading_process) writes them to the entry.
    calls = []
    real = prepare_module.read_to_file

    def spy(source, settings, ids_path, offsets_path=None):
        calls.append(ids_path)
        return real(source, settings, ids_path, offsets_path)

    monkeypatch.setattr(prepare_module, "read_to_file", spy)
    _, encoded = prepare(corpus_file, CONFIG, cache_dir=tmp_path / "c")
    assert len(calls) == 1 and calls[0] is not None and calls[0].name == cache.IDS_FILE
    _, uncached = prepare(corpus_file, CONFIG)
    assert np.array_equal(encoded.word_ids, uncached.word_ids)
    assert np.array_equal(encoded.sentence_offsets, uncached.sentence_offsets)
    entries = list((tmp_path / "c" / "corpora").iterdir())
    assert len(entries) == 1 and not entries[0].name.startswith(".partial")
    assert sorted(p.name for p in entries[0].iterdir()) == [
        "meta.json", "sentence_offsets.npy", "vocab.tsv", cache.IDS_FILE]


def test_a_failed_store_after_encoding_to_file_keeps_the_ids_in_memory(tmp_path, corpus_file, monkeypatch):
    monkeypatch.setattr(cache, "store", lambda *args, **kwargs: None)
    _, encoded = prepare(corpus_file, CONFIG, cache_dir=tmp_path / "c")
    _, uncached = prepare(corpus_file, CONFIG)
    assert not isinstance(encoded.word_ids, np.memmap)
    assert np.array_equal(encoded.word_ids, uncached.word_ids)


def test_a_corpus_cached_with_replaced_bytes_is_not_used_by_a_strict_reading(tmp_path, corpus_file):
    with open(corpus_file, "ab") as handle:
        handle.write(b"caf\xe9 au lait\n")  # not UTF-8
    replaced = TrainConfig(min_count=1, tokenizer="whitespace", encoding_errors="replace")
    vocab, _ = prepare(corpus_file, replaced, cache_dir=tmp_path / "c")
    assert "caf\ufffd" in vocab
    with pytest.raises(CbowError, match="UTF-8"):
        prepare(corpus_file, TrainConfig(min_count=1, tokenizer="whitespace"), cache_dir=tmp_path / "c")


@pytest.mark.parametrize("failure", ["bad corpus", "interrupt"])
def test_a_run_that_fails_while_encoding_leaves_no_staging_directory(tmp_path, corpus_file, monkeypatch, failure):
    if failure == "bad corpus":
        with open(corpus_file, "ab") as handle:
            handle.write(b"caf\xe9 au lait\n")  # not UTF-8: refused with encoding_errors="strict"
        config, expected = TrainConfig(min_count=3, encoding_errors="strict"), CbowError
    else:  # Ctrl-C, or SIGTERM under the CLI, in the middle of the corpus (in the reading child)
        real = reading_process.read_and_encode

        def interrupted(source, **settings):
            def lines():
                yield from open(source, encoding="utf-8").readlines()[:100]
                raise KeyboardInterrupt
            return real(lines(), **settings)

        monkeypatch.setattr(reading_process, "read_and_encode", interrupted)
        config, expected = CONFIG, KeyboardInterrupt
    with pytest.raises(expected):
        prepare(corpus_file, config, cache_dir=tmp_path / "c")
    assert list((tmp_path / "c" / "corpora").iterdir()) == []


def test_an_older_cbows_staging_left_by_a_killed_run_is_removed_a_day_later(tmp_path):
    """Without a lock file (an older cbow's, or one being set up) only age tells."""
    parent = tmp_path / "c" / "corpora"
    abandoned, recent = parent / ".partial-killed_1", parent / ".partial-running1"
    for staging in (abandoned, recent):
        staging.mkdir(parents=True)
        (staging / "word_ids.npy.spool").write_bytes(b"\0" * 64)
    two_days_ago = os.stat(abandoned).st_mtime - 2 * 24 * 3600
    for path in (abandoned / "word_ids.npy.spool", abandoned):
        os.utime(path, (two_days_ago, two_days_ago))
    staging = cache.new_staging(tmp_path / "c")
    assert sorted(path.name for path in parent.iterdir()) == sorted([recent.name, staging.path.name])
    staging.remove()


def test_a_cache_hit_removes_a_killed_runs_staging_too(tmp_path, corpus_file):
    prepare(corpus_file, CONFIG, cache_dir=tmp_path / "c")
    killed = cache.new_staging(tmp_path / "c")
    os.close(killed._fd)  # the kill
    prepare(corpus_file, CONFIG, cache_dir=tmp_path / "c")
    assert not killed.path.exists() and len(list((tmp_path / "c" / "corpora").iterdir())) == 1


def test_staging_is_removed_once_no_run_holds_it(tmp_path):
    """A killed run's staging goes at the next run, however young; a live run's stays."""
    live = cache.new_staging(tmp_path / "c")
    killed = cache.new_staging(tmp_path / "c")
    (killed.path / "word_ids.npy").write_bytes(b"\0" * 64)
    os.close(killed._fd)  # what the kernel does when the process holding it is killed
    killed._fd = None
    assert cache.sweep_staging(tmp_path / "c") == [killed.path]
    assert live.path.is_dir() and not killed.path.exists()
    live.remove()


# --- integrity: checksums stored with the entry (issue 17, item 9) ----------------------------


def _only_entry(cache_dir):
    (entry,) = (cache_dir / "corpora").iterdir()
    return entry


def _flip_same_size(path, position=-5):
    """Change one bit of the byte at `position` of `path`, keeping its size."""
    data = bytearray(path.read_bytes())
    data[position] ^= 0x01
    path.write_bytes(bytes(data))


# Changes that every other check lets through: a high byte of an id near the end, of an offset
# before the last (the arrays still agree in length), the first letter of the first word.
@pytest.mark.parametrize("name, position", [("word_ids.npy", -5), ("sentence_offsets.npy", -13), ("vocab.tsv", 0)])
def test_a_file_changed_in_place_is_discarded_with_one_warning(tmp_path, corpus_file, caplog, name, position):
    cache_dir = tmp_path / "c"
    vocab, encoded = prepare(corpus_file, CONFIG, cache_dir=cache_dir)
    expected_ids, expected_offsets = np.array(encoded.word_ids), np.array(encoded.sentence_offsets)
    del encoded
    entry = _only_entry(cache_dir)
    size = (entry / name).stat().st_size
    _flip_same_size(entry / name, position)
    assert (entry / name).stat().st_size == size
    key = cache.cache_key(corpus_file, "default", 3, None, 10000)
    with caplog.at_level("WARNING", logger="cbow.data.cache"):
        assert cache.load(cache_dir, key) is None
        vocab2, again = prepare(corpus_file, CONFIG, cache_dir=cache_dir)  # encoded afresh
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and f"{name} changed since it was written (checksum mismatch)" in warnings[0]
    assert vocab2 == vocab and np.array_equal(again.word_ids, expected_ids)
    assert np.array_equal(again.sentence_offsets, expected_offsets)
    assert cache.load(cache_dir, key) is not None  # the rebuilt entry is intact


def test_an_entry_without_checksums_is_encoded_again(tmp_path, corpus_file, monkeypatch):
    import json

    cache_dir = tmp_path / "c"
    _, encoded = prepare(corpus_file, CONFIG, cache_dir=cache_dir)
    meta_path = _only_entry(cache_dir) / "meta.json"
    meta = json.loads(meta_path.read_text())
    assert set(meta["checksums"]) == {cache.IDS_FILE, cache.OFFSETS_FILE, cache.VOCAB_FILE}
    del meta["checksums"]  # as cbow wrote entries before checksums
    meta_path.write_text(json.dumps(meta))
    key = cache.cache_key(corpus_file, "default", 3, None, 10000)
    assert cache.load(cache_dir, key) is None
    _, again = prepare(corpus_file, CONFIG, cache_dir=cache_dir)
    assert np.array_equal(again.word_ids, encoded.word_ids)
    assert "checksums" in json.loads((_only_entry(cache_dir) / "meta.json").read_text())  # replaced in place


def test_big_entries_are_verified_in_the_background(tmp_path, corpus_file, monkeypatch, caplog):
    cache_dir = tmp_path / "c"
    prepare(corpus_file, CONFIG, cache_dir=cache_dir)
    key = cache.cache_key(corpus_file, "default", 3, None, 10000)
    entry = cache.entry_path(cache_dir, key)
    assert entry == _only_entry(cache_dir)
    small = cache.verify_in_background(entry)  # verified by load already: nothing to do
    assert small.done() and small.wait() is True
    monkeypatch.setattr(cache, "VERIFY_ON_LOAD_BYTES", 0)  # every entry is "big" now
    intact = cache.verify_in_background(entry)
    assert intact.wait(timeout=120) is True
    intact.check()
    _flip_a_bit_of_a_valid_id(entry)  # what no check but the checksum sees
    assert cache.load(cache_dir, key) is not None  # big: returned unverified, for the background check
    with caplog.at_level("WARNING", logger="cbow.data.cache"):
        damaged = cache.verify_in_background(entry)
        assert damaged.wait(timeout=120) is False
        with pytest.raises(CbowError, match=r"changed on disk since it was written \(word_ids.npy fails its checksum\)"):
            damaged.check()
    assert sum("checksum mismatch" in r.getMessage() for r in caplog.records) == 1
    assert (entry / cache.IDS_FILE).exists()  # a running training may still map it by name
    assert cache.load(cache_dir, key) is None  # but the entry is no longer a hit


def test_training_on_a_big_damaged_entry_stops_after_its_first_epoch(tmp_path, corpus_file, monkeypatch):
    """The training loop starts the background check with the run and reads its verdict at
    the end of the first epoch (cbow.training.cache_check)."""
    from cbow import train

    cache_dir = tmp_path / "c"
    prepare(corpus_file, CONFIG, cache_dir=cache_dir)
    monkeypatch.setattr(cache, "VERIFY_ON_LOAD_BYTES", 0)  # every entry is "big": loaded unverified
    config = TrainConfig(min_count=3, size=8, epochs=2)
    intact = train(corpus_file, config, cache_dir=cache_dir)
    assert len(intact.epochs) == 2
    _flip_a_bit_of_a_valid_id(_only_entry(cache_dir))
    epochs_seen = []
    with pytest.raises(CbowError, match=r"changed on disk since it was written"):
        train(corpus_file, config, cache_dir=cache_dir, on_epoch_end=epochs_seen.append)
    assert epochs_seen == []  # stopped at the first epoch's end, before any later callback


def _flip_a_bit_of_a_valid_id(entry):
    """Flip the lowest bit of the first id of `entry` that stays inside the vocabulary."""
    ids = np.load(entry / cache.IDS_FILE)
    n_words = len(Vocab.load(entry / cache.VOCAB_FILE))
    low_byte = -4 * (len(ids) - int(np.argmax((ids ^ 1) < n_words)))
    _flip_same_size(entry / cache.IDS_FILE, low_byte)


@pytest.mark.parametrize("damage", ["id past the vocabulary", "negative id", "offsets fall", "offsets past the ids",
                                    "ids of another dtype", "n_raw_tokens"])
def test_a_big_entry_with_ids_the_kernels_cannot_take_is_refused_at_load(tmp_path, corpus_file, monkeypatch,
                                                                          caplog, damage):
    """An entry too big to verify at load still has its ids and offsets checked there (a min
    and a max): the background checksum would stop the run only after the kernels read them."""
    import json

    cache_dir = tmp_path / "c"
    prepare(corpus_file, CONFIG, cache_dir=cache_dir)
    monkeypatch.setattr(cache, "VERIFY_ON_LOAD_BYTES", 0)  # every entry is "big": loaded unverified
    entry = _only_entry(cache_dir)
    key = cache.cache_key(corpus_file, "default", 3, None, 10000)
    ids, offsets = np.load(entry / cache.IDS_FILE), np.load(entry / cache.OFFSETS_FILE)
    n_words = len(Vocab.load(entry / cache.VOCAB_FILE))
    if damage == "id past the vocabulary":
        ids[len(ids) // 2] = n_words
    elif damage == "negative id":
        ids[-1] = -1
    elif damage == "offsets fall":
        offsets[len(offsets) // 2] = offsets[len(offsets) // 2 - 1] - 1
    elif damage == "offsets past the ids":
        offsets[-1] += 1
    elif damage == "ids of another dtype":
        ids = ids.astype(np.int64)
    if damage == "n_raw_tokens":
        meta = json.loads((entry / "meta.json").read_text())
        meta["n_raw_tokens"] = "many"
        (entry / "meta.json").write_text(json.dumps(meta))
    np.save(entry / cache.IDS_FILE, ids)
    np.save(entry / cache.OFFSETS_FILE, offsets)
    with caplog.at_level("WARNING", logger="cbow.data.cache"):
        assert cache.load(cache_dir, key) is None  # a miss: the corpus is encoded again
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "ignoring the damaged corpus cache" in warnings[0], warnings
    _, again = prepare(corpus_file, CONFIG, cache_dir=cache_dir)
    assert int(again.word_ids.max()) < n_words


def test_a_hit_maps_the_sentence_offsets_too(tmp_path, corpus_file):
    """Ids and offsets come from the page cache, shared by every process that maps them."""
    _, encoded = prepare(corpus_file, CONFIG, cache_dir=tmp_path / "c")
    _, uncached = prepare(corpus_file, CONFIG)
    assert isinstance(encoded.sentence_offsets, np.memmap)
    assert encoded.sentence_offsets.dtype == np.int64
    assert np.array_equal(encoded.sentence_offsets, uncached.sentence_offsets)
