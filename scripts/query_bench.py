"""Query and load speed of cbow's KeyedVectors next to gensim 4.4's, in one run, as ratios.

Same 100,000 x 100 float32 vectors (random normal, seeded) for both; each timing is the
best of `--repeat` runs (the machine is shared and noisy, so the minimum is the fairest).

    python scripts/query_bench.py [--words 100000] [--dim 100] [--queries 1000] [--repeat 3]

ratio = gensim time / cbow time  (> 1: cbow is faster)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors as GensimKeyedVectors

from cbow.vectors.keyed import KeyedVectors


def best_of(repeat: int, function) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(args.words)]
    vectors = rng.standard_normal((args.words, args.dim)).astype(np.float32)
    query_words = [words[i] for i in rng.choice(args.words, size=args.queries, replace=False)]
    ours = KeyedVectors(words, vectors)
    theirs = GensimKeyedVectors(args.dim)
    theirs.add_vectors(words, vectors)
    ours.fill_norms() if hasattr(ours, "fill_norms") else ours.get_normed_vectors()  # an older cbow: its copy
    theirs.fill_norms()
    rows = []

    single = query_words[:100]
    t_ours = best_of(args.repeat, lambda: [ours.most_similar(w, topn=10) for w in single]) / len(single)
    t_theirs = best_of(args.repeat, lambda: [theirs.most_similar(w, topn=10) for w in single]) / len(single)
    rows.append(("most_similar, one word, top 10 (per query)", t_ours, t_theirs))

    t_ours = best_of(args.repeat, lambda: ours.most_similar_many(query_words, topn=10))
    # gensim has no batched most_similar: a user loops (its most_similar takes one query)
    t_theirs = best_of(1, lambda: [theirs.most_similar(w, topn=10) for w in query_words])
    rows.append((f"{args.queries} queries batched vs gensim loop (total)", t_ours, t_theirs))

    t_ours = best_of(args.repeat, lambda: ours.most_similar(positive=["w1", "w2"], negative=["w3"], topn=10))
    t_theirs = best_of(args.repeat, lambda: theirs.most_similar(positive=["w1", "w2"], negative=["w3"], topn=10))
    rows.append(("analogy query 3CosAdd", t_ours, t_theirs))

    with tempfile.TemporaryDirectory() as directory:
        directory = Path(directory)
        ours.save_word2vec_format(directory / "v.bin", binary=True)
        ours.save_word2vec_format(directory / "v.txt", binary=False)
        ours.save(directory / "v.cbow")
        theirs.save(str(directory / "v.kv"))  # gensim's native pickle + .npy, mmap-able
        for label, path, binary in [("load word2vec text", "v.txt", False), ("load word2vec binary", "v.bin", True)]:
            t_ours = best_of(args.repeat, lambda: KeyedVectors.load(directory / path))
            t_theirs = best_of(args.repeat, lambda: GensimKeyedVectors.load_word2vec_format(str(directory / path),
                                                                                           binary=binary))
            rows.append((label, t_ours, t_theirs))
        t_ours = best_of(args.repeat, lambda: KeyedVectors.load(directory / "v.cbow", mmap="r"))
        t_theirs = best_of(args.repeat, lambda: GensimKeyedVectors.load(str(directory / "v.kv"), mmap="r"))
        rows.append(("load native format, mmap='r'", t_ours, t_theirs))
        t_ours = best_of(args.repeat, lambda: KeyedVectors.load(directory / "v.cbow", mmap="r").most_similar("w5"))
        t_theirs = best_of(args.repeat, lambda: GensimKeyedVectors.load(str(directory / "v.kv"), mmap="r")
                           .most_similar("w5"))
        rows.append(("mmap load + first query (normalises)", t_ours, t_theirs))

    print(f"{args.words:,} x {args.dim} float32 vectors, best of {args.repeat}; ratio = gensim / cbow (> 1: cbow faster)")
    print(f"{'':48s} {'cbow':>10s} {'gensim':>10s} {'ratio':>7s}")
    for label, t_ours, t_theirs in rows:
        print(f"{label:48s} {1e3 * t_ours:8.2f}ms {1e3 * t_theirs:8.2f}ms {t_theirs / t_ours:6.2f}x")


if __name__ == "__main__":
    main()
