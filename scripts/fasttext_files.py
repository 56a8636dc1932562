"""fastText's own code against cbow's .bin reader and writer, both ways, in one run.

    python scripts/fasttext_files.py [--fasttext-python /work/venvs/fasttext/bin/python]

The fasttext package (0.9.3, a C++ build) is not a test dependency, so it runs in its own
environment (`python3 -m venv /work/venvs/fasttext; /work/venvs/fasttext/bin/pip install
fasttext numpy`), called as a subprocess; cbow runs here. On a generated corpus (planted
stems and suffixes, cbow.corpora.planted):

1. cbow writes a .bin (random word and n-gram rows over the corpus' vocabulary, so the
   check does not depend on any training): fastText's load_model reads it and its
   get_word_vector must give cbow's vectors, for vocabulary words and unseen ones
   (accented, CJK, emoji, 1-3 characters), to 1e-6; its get_subwords must name the same rows.
2. fastText trains a CBOW model with n-grams on the corpus and saves its .bin: cbow.load
   reads it, and cbow's vectors (vocabulary and unseen) must be fastText's, to 1e-6.

Prints one line per check with the largest absolute difference, and exits 1 if any fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

UNSEEN = ["zz", "q", "ab", "xyz", "unseenword", "walkingly", "café", "naïveté", "東京都", "日本語", "😀", "x😀y",
          "straße", "Zürich", "résumé"]
TOLERANCE = 1e-6

_FASTTEXT_SIDE = r"""
import json, sys
import numpy as np
import fasttext
task = json.loads(sys.argv[1])
if task["train"]:
    model = fasttext.train_unsupervised(task["corpus"], model="cbow", dim=task["dim"], epoch=1, minCount=2, minn=3,
                                        maxn=6, bucket=task["buckets"], thread=1, verbose=0)
    model.save_model(task["bin"])
model = fasttext.load_model(task["bin"])
words = task["words"] if task["words"] is not None else model.get_words()
np.save(task["vectors"], np.array([model.get_word_vector(w) for w in words], dtype=np.float32))
rows = [model.get_subwords(w)[1].tolist() for w in words]
json.dump({"words": words, "rows": rows, "vocabulary": model.get_words()}, open(task["answers"], "w"))
"""


def _fasttext(python: str, task: dict) -> tuple[np.ndarray, dict]:
    subprocess.run([python, "-c", _FASTTEXT_SIDE, json.dumps(task)], check=True)
    return np.load(task["vectors"]), json.loads(Path(task["answers"]).read_text(encoding="utf-8"))


def _report(name: str, ours: np.ndarray, theirs: np.ndarray) -> bool:
    worst = float(np.abs(ours - theirs).max()) if ours.size else 0.0
    scale = float(np.abs(theirs).max()) if theirs.size else 0.0
    ok = ours.shape == theirs.shape and worst <= TOLERANCE
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {len(ours)} words, max |cbow - fastText| = {worst:.2e} "
          f"(values up to {scale:.3f})")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fasttext-python", default="/work/venvs/fasttext/bin/python",
                        help="a Python with the fasttext package")
    parser.add_argument("--sentences", type=int, default=20_000, help="sentences of the generated corpus")
    args = parser.parse_args(argv)

    import cbow
    from cbow.corpora import planted
    from cbow.data.subwords import SubwordSpec
    from cbow.vectors.subword_keyed import SubwordKeyedVectors

    all_ok = True
    with tempfile.TemporaryDirectory(prefix="fasttext-files-") as scratch:
        scratch_dir = Path(scratch)
        corpus = scratch_dir / "corpus.txt"
        planted.write_corpus(str(corpus), args.sentences, seed=3)
        counts: dict[str, int] = {}
        for line in corpus.read_text(encoding="utf-8").splitlines():
            for word in line.split():
                counts[word] = counts.get(word, 0) + 1
        words = sorted((w for w, c in counts.items() if c >= 2), key=lambda w: (-counts[w], w))
        dim, spec = 24, SubwordSpec(3, 6, 20_011)

        # 1. cbow writes, fastText reads
        rng = np.random.default_rng(7)
        kv = SubwordKeyedVectors(words, rng.uniform(-1, 1, (len(words), dim)).astype(np.float32),
                                 rng.uniform(-1, 1, (spec.buckets, dim)).astype(np.float32), spec,
                                 counts=np.array([counts[w] for w in words]))
        ours_path = scratch_dir / "ours.bin"
        kv.save(ours_path)
        queries = words[:300] + UNSEEN
        theirs, answers = _fasttext(args.fasttext_python, {
            "train": False, "bin": str(ours_path), "words": queries, "corpus": None, "dim": dim,
            "buckets": spec.buckets, "vectors": str(scratch_dir / "v1.npy"), "answers": str(scratch_dir / "a1.json")})
        all_ok &= answers["vocabulary"] == words
        print(f"{'ok  ' if answers['vocabulary'] == words else 'FAIL'} fastText reads cbow's dictionary: "
              f"{len(answers['vocabulary'])} words, in cbow's order")
        all_ok &= _report("cbow's .bin, vocabulary words", np.vstack([kv[w] for w in words[:300]]), theirs[:300])
        all_ok &= _report("cbow's .bin, unseen words", np.vstack([kv[w] for w in UNSEEN]), theirs[300:])
        same_rows = all(list(kv.get_subwords(w)[1]) == rows for w, rows in zip(queries, answers["rows"]))
        all_ok &= same_rows
        print(f"{'ok  ' if same_rows else 'FAIL'} get_subwords: the same rows for all {len(queries)} words")

        # 2. fastText trains and writes, cbow reads
        theirs_path = scratch_dir / "fasttext.bin"
        vocab_vectors, answers = _fasttext(args.fasttext_python, {
            "train": True, "bin": str(theirs_path), "words": None, "corpus": str(corpus), "dim": dim,
            "buckets": spec.buckets, "vectors": str(scratch_dir / "v2.npy"), "answers": str(scratch_dir / "a2.json")})
        loaded = cbow.load(theirs_path)
        print(f"     fastText's model: {loaded!r}")
        all_ok &= _report("fastText's .bin, vocabulary words (</s> included)", loaded.vectors, vocab_vectors)
        unseen_vectors, _ = _fasttext(args.fasttext_python, {
            "train": False, "bin": str(theirs_path), "words": UNSEEN, "corpus": None, "dim": dim,
            "buckets": spec.buckets, "vectors": str(scratch_dir / "v3.npy"), "answers": str(scratch_dir / "a3.json")})
        all_ok &= _report("fastText's .bin, unseen words", np.vstack([loaded[w] for w in UNSEEN]), unseen_vectors)
        stem = next(w for w in loaded.index_to_key if w.endswith("ed"))
        print(f"     cbow similar on fastText's model, {stem!r}: {loaded.most_similar(stem, topn=3)}")
    print("all checks passed" if all_ok else "SOME CHECKS FAILED")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
