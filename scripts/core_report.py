"""Side-by-side run of cbow and gensim on real text: preparation time, training speed, quality.

    python scripts/core_report.py                       # ../shared/data/bench-text8.txt.gz, 5 epochs
    python scripts/core_report.py --corpus FILE --epochs 1 --systems cbow

Both systems get the same settings (size 100, window 5, negative 5, sample 1e-4, min-count
5 by default) in the same script run, so the ratios are comparable on a noisy machine.
Quality: analogy accuracy on questions-words (3CosAdd over the 30,000 most frequent words,
case-insensitive) and Spearman on wordsim353 / simlex999, all scored by cbow.evaluate, and
gensim's vectors also by gensim's own evaluate_word_analogies / evaluate_word_pairs.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from cbow.evaluate import evaluate_word_analogies, evaluate_word_pairs
from cbow.train import TrainConfig, prepare, train
from cbow.vectors import KeyedVectors

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def score(kv: KeyedVectors, eval_dir: Path) -> dict:
    analogy = evaluate_word_analogies(kv, eval_dir / "questions-words.txt", restrict_vocab=30000)
    ws = evaluate_word_pairs(kv, eval_dir / "wordsim353.tsv")
    simlex = evaluate_word_pairs(kv, eval_dir / "simlex999.txt")
    return {"analogy": analogy.accuracy, "answered": analogy.total, "ws353": ws.spearman, "simlex": simlex.spearman}


def run_cbow(corpus: Path, args, cbow_update: str) -> dict:
    config = TrainConfig(size=args.size, window=args.window, negative=args.negative, sample=args.sample,
                         min_count=args.min_count, epochs=args.epochs, cbow_update=cbow_update,
                         seed=args.seed, **({"alpha": args.alpha} if args.alpha else {}))
    started = time.perf_counter()
    vocab, encoded = prepare(corpus, config)
    prepare_seconds = time.perf_counter() - started
    result = train(None, config, vocab=vocab, encoded=encoded)
    return {
        "system": f"cbow ({cbow_update}, alpha {config.alpha:g}, alpha_in {config.lr_in:g})",
        "prepare_s": prepare_seconds,
        "train_s": result.train_seconds,
        "epoch1_words_per_s": result.epochs[0].words_per_second,
        "kv": result.wv,
    }


def run_gensim(corpus: Path, args, workers: int, alpha: float) -> dict:
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    started = time.perf_counter()
    model = Word2Vec(vector_size=args.size, window=args.window, negative=args.negative, sample=args.sample,
                     min_count=args.min_count, sg=0, cbow_mean=1, workers=workers, seed=args.seed, alpha=alpha)
    model.build_vocab(corpus_file=str(corpus) if corpus.suffix != ".gz" else None,
                      corpus_iterable=LineSentence(str(corpus)) if corpus.suffix == ".gz" else None)
    prepare_seconds = time.perf_counter() - started
    started = time.perf_counter()
    if corpus.suffix == ".gz":
        model.train(LineSentence(str(corpus)), total_examples=model.corpus_count, epochs=args.epochs)
    else:
        model.train(corpus_file=str(corpus), total_examples=model.corpus_count,
                    total_words=model.corpus_total_words, epochs=args.epochs)
    train_seconds = time.perf_counter() - started
    wv = model.wv
    kv = KeyedVectors(list(wv.index_to_key), wv.vectors)
    return {
        "system": f"gensim 4.4.0 (workers {workers}, alpha {alpha:g})",
        "prepare_s": prepare_seconds,
        "train_s": train_seconds,
        "epoch1_words_per_s": model.corpus_total_words * args.epochs / train_seconds,
        "kv": kv,
        "gensim_wv": wv,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=SHARED / "bench-text8.txt.gz")
    parser.add_argument("--eval-dir", type=Path, default=SHARED / "eval")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--negative", type=int, default=5)
    parser.add_argument("--sample", type=float, default=1e-4)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--alpha", type=float, default=None, help="cbow's alpha (default: TrainConfig's)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--systems", default="cbow,gensim", help="comma list of: cbow, cbow-word2vec, gensim")
    args = parser.parse_args()

    rows = []
    for system in args.systems.split(","):
        if system == "cbow":
            rows.append(run_cbow(args.corpus, args, "mean"))
        elif system == "cbow-word2vec":
            rows.append(run_cbow(args.corpus, args, "word2vec"))
        elif system == "gensim":
            rows.append(run_gensim(args.corpus, args, workers=2, alpha=0.025))
        else:
            raise SystemExit(f"unknown system {system!r}")
        row = rows[-1]
        row.update(score(row["kv"], args.eval_dir))
        if "gensim_wv" in row:  # gensim scoring its own vectors: must agree with ours
            wv = row["gensim_wv"]
            row["gensim_analogy"] = wv.evaluate_word_analogies(str(args.eval_dir / "questions-words.txt"),
                                                               restrict_vocab=30000)[0]
            row["gensim_ws353"] = wv.evaluate_word_pairs(str(args.eval_dir / "wordsim353.tsv"))[1][0]
        print(f"done: {row['system']}", flush=True)

    print(f"\ncorpus {args.corpus.name}, {args.epochs} epochs, size {args.size}, window {args.window}, "
          f"negative {args.negative}, sample {args.sample:g}, min-count {args.min_count}")
    print(f"{'system':48s} {'prep s':>7s} {'train s':>8s} {'words/s':>10s} {'analogy':>8s} {'ws353':>6s} {'simlex':>6s}")
    for row in rows:
        print(f"{row['system']:48s} {row['prepare_s']:7.1f} {row['train_s']:8.1f} {row['epoch1_words_per_s']:10,.0f} "
              f"{100 * row['analogy']:7.2f}% {row['ws353']:6.3f} {row['simlex']:6.3f}")
        if "gensim_analogy" in row:
            print(f"{'  (gensim scoring its own vectors)':48s} {'':7s} {'':8s} {'':10s} "
                  f"{100 * row['gensim_analogy']:7.2f}% {row['gensim_ws353']:6.3f}")


if __name__ == "__main__":
    main()
