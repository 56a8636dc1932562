"""`cbow phrases` against gensim 4.4.0's Phrases on the same text, in one run.

    python scripts/phrases_vs_gensim.py [CORPUS] [--threshold 10] [--min-count 5] [--top 20]

CORPUS defaults to ../shared/data/bench-small-text8.txt.gz (text8-normalised: lowercase
words separated by spaces, so cbow's default tokenizer and gensim's `LineSentence` split it
the same way). Each system runs in its own subprocess, one after the other, and reports its
seconds and peak RSS (ru_maxrss of the child):

- learn: count words and pairs, score, choose (cbow `learn_phrases`; gensim `Phrases(...)` +
  `freeze()`, which scores every pair);
- rewrite: the corpus with its phrases joined, written gzip-compressed (cbow
  `write_phrased_corpus`; gensim `FrozenPhrases[sentence]` per line, joined and written).

Both use gensim's scoring (cbow `--scoring gensim`) and the same threshold and min_count,
so the phrase sets and the rewritten texts must be identical (checked, printed). Then cbow's
default (word2phrase's N = tokens, threshold 100) is run once more for its top phrases. The
machine is shared: only the ratio of times from one run means anything.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "bench-small-text8.txt.gz"


def _run_cbow(corpus: str, out_dir: Path, threshold: float, min_count: int, scoring: str) -> dict:
    from cbow.data.phrase_corpus import write_phrased_corpus
    from cbow.data.phrases import PhraseSettings, learn_phrases

    settings = PhraseSettings(thresholds=(threshold,), min_count=min_count, scoring=scoring)
    started = time.perf_counter()
    table = learn_phrases(corpus, settings)
    learned = time.perf_counter()
    output = out_dir / f"cbow-{scoring}.txt.gz"
    write_phrased_corpus(corpus, table, output)
    done = time.perf_counter()
    phrases = {pair.replace(" ", "_"): phrase.score for pair, phrase in table.passes[0].items()}
    counts = {pair.replace(" ", "_"): phrase.count for pair, phrase in table.passes[0].items()}
    return {"learn_s": learned - started, "rewrite_s": done - learned, "phrases": phrases, "counts": counts,
            "output": str(output)}


def _run_gensim(corpus: str, out_dir: Path, threshold: float, min_count: int) -> dict:
    from gensim.models.phrases import Phrases
    from gensim.models.word2vec import LineSentence

    sentences = LineSentence(corpus, max_sentence_length=10**9)  # lines whole, as cbow reads them
    started = time.perf_counter()
    frozen = Phrases(sentences, min_count=min_count, threshold=threshold, scoring="default").freeze()
    learned = time.perf_counter()
    output = out_dir / "gensim.txt.gz"
    with gzip.open(output, "wt", encoding="utf-8", compresslevel=6) as handle:
        for sentence in sentences:
            handle.write(" ".join(frozen[sentence]) + "\n")
    done = time.perf_counter()
    return {"learn_s": learned - started, "rewrite_s": done - learned, "phrases": frozen.phrasegrams,
            "output": str(output)}


def _child(args) -> None:
    out_dir = Path(args.work_dir)
    if args.child == "gensim":
        result = _run_gensim(args.corpus, out_dir, args.threshold, args.min_count)
    else:
        scoring = args.child.removeprefix("cbow-")
        result = _run_cbow(args.corpus, out_dir, args.threshold, args.min_count, scoring)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump(result, sys.stdout)


def _spawn(system: str, args, threshold: float) -> dict:
    command = [sys.executable, __file__, args.corpus, "--child", system, "--work-dir", args.work_dir,
               "--threshold", str(threshold), "--min-count", str(args.min_count)]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(completed.stdout)


def _lines(path: str) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return handle.read().splitlines()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--threshold", type=float, default=10.0,
                        help="for the gensim-scored comparison (gensim's default 10)")
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--work-dir", default="/tmp/cbow-phrases-bench")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    Path(args.work_dir).mkdir(parents=True, exist_ok=True)
    if args.child:
        _child(args)
        return
    print(f"corpus {args.corpus}; min_count {args.min_count}; gensim scoring, threshold {args.threshold:g}")
    results = {"gensim": _spawn("gensim", args, args.threshold), "cbow": _spawn("cbow-gensim", args, args.threshold)}
    print(f"{'system':<8} {'learn s':>8} {'rewrite s':>10} {'peak MB':>8} {'phrases':>8}")
    for system, result in results.items():
        print(f"{system:<8} {result['learn_s']:>8.2f} {result['rewrite_s']:>10.2f} {result['peak_rss_mb']:>8.0f} "
              f"{len(result['phrases']):>8,}")
    ours, theirs = results["cbow"]["phrases"], results["gensim"]["phrases"]
    same_scores = all(ours[key] == theirs[key] for key in ours.keys() & theirs.keys())
    print(f"same phrase set: {ours.keys() == theirs.keys()} (only cbow {len(ours.keys() - theirs.keys())}, "
          f"only gensim {len(theirs.keys() - ours.keys())}); bit-equal scores: {same_scores}")
    print(f"same rewritten text: {_lines(results['cbow']['output']) == _lines(results['gensim']['output'])}")
    learn_ratio = results["cbow"]["learn_s"] / results["gensim"]["learn_s"]
    rewrite_ratio = results["cbow"]["rewrite_s"] / results["gensim"]["rewrite_s"]
    print(f"time cbow / gensim: learn {learn_ratio:.2f}, rewrite {rewrite_ratio:.2f}")
    default = _spawn("cbow-word2phrase", args, 100.0)
    top = sorted(default["phrases"].items(), key=lambda item: -item[1])
    print(f"\ncbow defaults (word2phrase: N = tokens, threshold 100): {len(top):,} phrases, learn "
          f"{default['learn_s']:.2f} s, rewrite {default['rewrite_s']:.2f} s; top {args.top}:")
    for phrase, score in top[:args.top]:
        print(f"  {phrase:<28} {score:>10.0f}  (seen {default['counts'][phrase]:,} times)")
    frequent = sorted(default["counts"].items(), key=lambda item: -item[1])
    print(f"most frequent {args.top}:")
    for phrase, count in frequent[:args.top]:
        print(f"  {phrase:<28} {default['phrases'][phrase]:>10.0f}  (seen {count:,} times)")


if __name__ == "__main__":
    main()
