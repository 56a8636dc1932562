"""How long the vocabulary's n-gram rows take to build, and their memory: cbow against gensim.

    python scripts/bench_subwords.py [CORPUS] [--min-count 5] [--words 1000000] [--repeats 3]

Two vocabularies: CORPUS's words counted --min-count times or more (bench-text8: ~84k
words), and --words words (the corpus' distinct words, then two of them joined, "walk" +
"ing", until there are enough: real lengths and letters). For each, in a fresh child
process: cbow.data.subwords.word_rows (n-grams 3..6, 2M buckets; the first build and the
best of --repeats), the arrays it returns, and the child's peak PSS over what it held with
the words alone (scripts/pss.py); then gensim 4.4's per-word `ft_ngram_hashes` over the
same words (what FastTextKeyedVectors.recalc_char_ngram_buckets runs), as the peer's time.
The machine is shared: compare the two columns of one run, not runs of different days.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pss import TreePssSampler, read_rollup  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "bench-text8.txt.gz"

_CHILD = r"""
import json, sys, time
import numpy as np
words = json.load(open(sys.argv[1], encoding="utf-8"))
which, repeats = sys.argv[2], int(sys.argv[3])
if which == "cbow":
    from cbow.data.subwords import SubwordSpec, word_rows
else:
    from gensim.models.fasttext import ft_ngram_hashes
print("ready", flush=True)  # the baseline: the words and the modules
sys.stdin.readline()  # the parent has the baseline PSS
if which == "cbow":
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        rows = word_rows(words, SubwordSpec(3, 6, 2_000_000))
        times.append(time.perf_counter() - started)
        held = rows.indptr.nbytes + rows.row_ids.nbytes
        if _ < repeats - 1:
            del rows
    print(json.dumps({"first": times[0], "best": min(times), "nnz": int(len(rows.row_ids)), "bytes": held}))
else:
    started = time.perf_counter()
    buckets = [np.array(ft_ngram_hashes(w, 3, 6, 2_000_000), dtype=np.uint32) for w in words]
    print(json.dumps({"first": time.perf_counter() - started, "best": time.perf_counter() - started,
                      "nnz": int(sum(map(len, buckets))) + len(words), "bytes": None}))
"""


def _vocabularies(corpus: Path, min_count: int, n_words: int) -> dict[str, list[str]]:
    counts: collections.Counter[str] = collections.Counter()
    with gzip.open(corpus, "rt", encoding="utf-8") as lines:
        for line in lines:
            counts.update(line.split())
    by_count = [word for word, _ in counts.most_common()]
    kept = [word for word in by_count if counts[word] >= min_count]
    many = list(by_count[:n_words])
    seen = set(many)
    rng = random.Random(0)
    common = by_count[:50_000]
    while len(many) < n_words:  # "walk" + "ing": two of the corpus' common words joined
        joined = rng.choice(common) + rng.choice(common)
        if joined not in seen:
            seen.add(joined)
            many.append(joined)
    return {f"{corpus.name} min-count {min_count}": kept, f"{n_words:,} words ({len(by_count):,} of the corpus)": many}


def _measure(words_path: Path, which: str, repeats: int) -> dict:
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(words_path), which, str(repeats)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    baseline = read_rollup(child.pid)["Pss"]
    with TreePssSampler(child.pid) as sampler:
        child.stdin.write("go\n")
        child.stdin.flush()
        result = json.loads(child.stdout.readline())
        child.wait()
    result["peak_mib"] = (sampler.peak.total_kib - baseline) / 1024
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"| vocabulary | words | rows (own + n-grams) | system | first build s | best s | arrays MiB | "
          f"peak PSS over the words MiB |\n|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="bench-subwords-") as scratch:
        for name, words in _vocabularies(args.corpus, args.min_count, args.words).items():
            words_path = Path(scratch) / "words.json"
            words_path.write_text(json.dumps(words, ensure_ascii=False), encoding="utf-8")
            for which in ("cbow", "gensim"):
                result = _measure(words_path, which, args.repeats if which == "cbow" else 1)
                arrays = f"{result['bytes'] / 2**20:.1f}" if result["bytes"] is not None else "(lists)"
                print(f"| {name} | {len(words):,} | {result['nnz']:,} | {which} | {result['first']:.2f} | "
                      f"{result['best']:.2f} | {arrays} | {result['peak_mib']:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    status = main()
    print(f"({time.perf_counter() - started:.0f} s in all)", file=sys.stderr)
    sys.exit(status)
