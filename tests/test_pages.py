"""cbow.data.pages: finished ranges of a memory-mapped corpus leave the process, data intact."""

import sys

import numpy as np
import pytest

from cbow.data.pages import release_pages
from cbow.data.windows import iter_batches

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")


def resident_file_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssFile:"):
                return int(line.split()[1])
    raise AssertionError("no RssFile in /proc/self/status")


@pytest.fixture
def mapped_ids(tmp_path):
    ids = np.random.default_rng(0).integers(0, 1000, size=8 * 2**20 // 4, dtype=np.int32)  # 8 MiB
    np.save(tmp_path / "ids.npy", ids)
    return ids, np.load(tmp_path / "ids.npy", mmap_mode="r")


@linux_only
def test_released_pages_leave_the_process_and_come_back_intact(mapped_ids):
    ids, mapped = mapped_ids
    before = resident_file_kib()
    assert int(mapped.sum(dtype=np.int64)) == int(ids.sum(dtype=np.int64))  # maps every page
    touched = resident_file_kib()
    assert touched - before > 7 * 1024
    release_pages(mapped[: len(mapped) // 2])
    assert touched - resident_file_kib() > 3 * 1024  # about half of 8 MiB gone
    np.testing.assert_array_equal(mapped, ids)  # faulted back in from the page cache


def test_arrays_in_memory_and_writeable_maps_are_left_alone(tmp_path):
    in_memory = np.arange(1 << 20, dtype=np.int32)
    release_pages(in_memory[: 1 << 19])
    np.testing.assert_array_equal(in_memory, np.arange(1 << 20, dtype=np.int32))
    np.save(tmp_path / "w.npy", np.zeros(1 << 20, dtype=np.int32))
    copy_on_write = np.load(tmp_path / "w.npy", mmap_mode="c")
    copy_on_write[:] = 7  # private writes a DONTNEED would discard
    release_pages(copy_on_write)
    assert (copy_on_write == 7).all()


def test_batches_from_a_mapped_corpus_equal_those_from_memory(mapped_ids, monkeypatch):
    ids, mapped = mapped_ids
    monkeypatch.setattr("cbow.data.windows.CHUNK_TOKENS", 100_000)  # many chunks, each released
    offsets = np.arange(0, len(ids) + 1, 1000, dtype=np.int64)
    offsets[-1] = len(ids)
    keep = np.full(1000, 0.7)
    from_memory = iter_batches(ids, offsets, 3, 4096, np.random.default_rng(5), keep)
    from_map = iter_batches(mapped, offsets, 3, 4096, np.random.default_rng(5), keep)
    n_batches = 0
    for a, b in zip(from_memory, from_map, strict=True):
        np.testing.assert_array_equal(a.target_ids, b.target_ids)
        np.testing.assert_array_equal(a.context_flat, b.context_flat)
        n_batches += 1
    assert n_batches > 100


@linux_only
def test_a_pass_over_a_mapped_corpus_keeps_few_of_its_pages(tmp_path, monkeypatch):
    # A fault maps the whole page-cache folio around it (up to 2 MiB with large folios), so
    # giving back only each chunk's own pages let the pages of earlier chunks come back with
    # the next faults, and searching the offsets mapped pages all over them: the workers and
    # the parent held most of the offsets (10 MiB on bench-text8 x4).
    from cbow.training.parallel.pool import split_sentences

    rng = np.random.default_rng(1)
    np.save(tmp_path / "ids.npy", rng.integers(0, 1000, size=2**21, dtype=np.int32))  # 8 MiB
    np.save(tmp_path / "offsets.npy", np.arange(0, 2**21 + 1, 2, dtype=np.int64))  # 8 MiB
    ids = np.load(tmp_path / "ids.npy", mmap_mode="r")
    offsets = np.load(tmp_path / "offsets.npy", mmap_mode="r")
    monkeypatch.setattr("cbow.data.windows.CHUNK_TOKENS", 100_000)
    before = resident_file_kib()
    assert len(split_sentences(offsets, 2)) == 2
    assert resident_file_kib() - before < 1024
    most = 0
    for batch in iter_batches(ids, offsets, 3, 4096, rng, np.full(1000, 0.7)):
        most = max(most, resident_file_kib() - before)
    # Between chunks nothing of the corpus stays mapped, the folios mapped ahead of the
    # chunk in hand included (giving back only what lay behind it left 3 MiB here).
    assert most < 2 * 1024, f"{most} KiB of the 16 MiB corpus resident at once"
