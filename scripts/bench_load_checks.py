"""What the corpus cache's load-time array checks cost, against its checksum and a whole load.

    python scripts/bench_load_checks.py [--corpus PATH] [--cache-dir DIR] [--rounds 5]

The corpus (bench-text8 by default) is encoded into --cache-dir (to hold only its entry) on
the first run. Then,
each round, from the page cache: `check_ids` (a min and a max of every id, chunk by chunk)
plus `check_offsets`, the CRC-32 of the ids file (what `load` verifies for an entry up to
VERIFY_ON_LOAD_BYTES, and the background check reads for a bigger one), and a whole
`cache.load`. Printed: the median seconds of each and the checks' share of the load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "bench-text8.txt.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/cbow-bench-load-checks"))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from cbow.data import cache
    from cbow.data.array_checks import check_ids, check_offsets
    from cbow.data.prepare import prepare
    from cbow.training.config import TrainConfig

    config = TrainConfig()
    prepare(args.corpus, config, cache_dir=args.cache_dir)  # encodes once, a hit afterwards
    (entry,) = [path for path in (args.cache_dir / "corpora").iterdir() if not path.name.startswith(".")]
    key = json.loads((entry / "meta.json").read_text())["key"]
    times: dict[str, list[float]] = {"checks": [], "crc32 of the ids": [], "cache.load": []}
    for _ in range(args.rounds):
        ids = np.load(entry / cache.IDS_FILE, mmap_mode="r")
        offsets = np.load(entry / cache.OFFSETS_FILE, mmap_mode="r")
        n_words = sum(1 for _ in open(entry / cache.VOCAB_FILE, encoding="utf-8"))
        started = time.perf_counter()
        check_ids(ids, n_words, cache.IDS_FILE)
        check_offsets(offsets, len(ids), cache.OFFSETS_FILE)
        times["checks"].append(time.perf_counter() - started)
        started = time.perf_counter()
        cache.file_checksum(entry / cache.IDS_FILE)
        times["crc32 of the ids"].append(time.perf_counter() - started)
        started = time.perf_counter()
        assert cache.load(args.cache_dir, key) is not None
        times["cache.load"].append(time.perf_counter() - started)
    print(f"{args.corpus.name}: {len(ids):,} ids ({ids.nbytes / 2**20:.0f} MiB), {len(offsets) - 1:,} sentences, "
          f"{n_words:,} words; median of {args.rounds} rounds")
    for name, seconds in times.items():
        print(f"  {name:18s} {statistics.median(seconds) * 1000:8.1f} ms")
    print(f"  checks / load      {statistics.median(times['checks']) / statistics.median(times['cache.load']):8.2f}")


if __name__ == "__main__":
    main()
