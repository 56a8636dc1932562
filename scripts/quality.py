"""How good are the vectors? cbow (both update rules) against gensim 4.4.0, same corpus, same run.

    python scripts/quality.py                   # ../shared/data/bench-text8.txt.gz, 5 epochs (~1 h on 2 cores)
    python scripts/quality.py --systems cbow-mean,gensim-0.025 --epochs 1 --corpus FILE

Systems (`--systems`, comma list, in this order by default):
    cbow-mean        our defaults: exact gradient through the average (TrainConfig();
                     --alpha-in sets W_in's rate), stepped with --context-power's rate
    cbow-mean+out    cbow-mean's run saved with --out-vector-weight 0.5: W_in + 0.5 W_out ("w + c";
                     the same training, scored again; needs cbow-mean earlier in --systems)
    cbow-exact       the same with --context-power 1: plain SGD on the exact gradient
    cbow-word2vec    --cbow-update word2vec at alpha 0.05 (word2vec.c's rule and rate)
    gensim-0.025     gensim CBOW (cbow_mean=1, the classic update) at its default alpha
    gensim-0.05      the same at word2vec.c's alpha
    cbow-mean-hs     --hs with our defaults (`cbow train --hs`: batch 256, --context-power 0.25)
    gensim-hs        gensim hs=1, negative=0, alpha 0.025
    gensim-equal-time  gensim (the better of its two alphas on analogies) for as many epochs
                     as fit in cbow-mean's training time, measured from its 5-epoch run

Every system gets the same settings (--size/--window/--negative/--sample/--min-count/
--epochs; sample defaults to ours, TrainConfig().sample) and 2 threads for gensim
and cbow (`--workers`; cbow's processes use one BLAS thread each). Every vector set is scored twice: by
cbow.vectors.evaluate and by gensim's own KeyedVectors.evaluate_word_analogies /
evaluate_word_pairs (questions-words 3CosAdd over the 30,000 most frequent words,
case-insensitive; Spearman on wordsim353 and simlex999); the two must agree, and the
script says so. Seconds are training only (vocabulary and encoding excluded for both).
gensim reads the corpus as a plain file (`corpus_file`, its fastest mode): a .gz corpus is
decompressed once to a temporary file. Rows go to stdout as they finish, the table at the
end, and all numbers as JSON to --json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import math
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from cbow.cli.train_flags import HS_BATCH_SIZE, HS_CONTEXT_POWER
from cbow.vectors.evaluate import evaluate_word_analogies, evaluate_word_pairs
from cbow.model.hidden import word_vectors
from cbow.training.config import TrainConfig
from cbow.data.prepare import prepare
from cbow.training.loop import train
from cbow.vectors.keyed import KeyedVectors

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OUT_VECTOR_WEIGHT = 0.5  # the cbow-mean+out row (cbow.model.hidden.word_vectors)
ALL_SYSTEMS = ("cbow-mean", "cbow-mean+out", "cbow-exact", "cbow-word2vec", "gensim-0.025", "gensim-0.05", "cbow-mean-hs", "gensim-hs",
               "gensim-equal-time")
AGREE_TOLERANCE = 1e-3  # analogy accuracy and Spearman of the two scorers (float32 ties only)


def cbow_scores(kv: KeyedVectors, eval_dir: Path) -> dict:
    """Analogy accuracy (top 30,000 words), wordsim353 and simlex999 Spearman, by cbow.vectors.evaluate."""
    analogy = evaluate_word_analogies(kv, eval_dir / "questions-words.txt", restrict_vocab=30000)
    return {"analogy": analogy.accuracy, "answered": analogy.total,
            "ws353": evaluate_word_pairs(kv, eval_dir / "wordsim353.tsv").spearman,
            "simlex": evaluate_word_pairs(kv, eval_dir / "simlex999.txt").spearman}


def gensim_scores(words: list[str], vectors: np.ndarray, eval_dir: Path) -> dict:
    """The same three scores by gensim 4.4.0's own KeyedVectors evaluators."""
    from gensim.models import KeyedVectors as GensimKeyedVectors

    gkv = GensimKeyedVectors(vectors.shape[1])
    gkv.add_vectors(words, vectors)
    analogy = gkv.evaluate_word_analogies(str(eval_dir / "questions-words.txt"), restrict_vocab=30000)[0]
    return {"analogy": float(analogy),
            "ws353": float(gkv.evaluate_word_pairs(str(eval_dir / "wordsim353.tsv"))[1][0]),
            "simlex": float(gkv.evaluate_word_pairs(str(eval_dir / "simlex999.txt"))[1][0])}


def run_cbow(name: str, vocab, encoded, config: TrainConfig) -> dict:
    result = train(None, config, vocab=vocab, encoded=encoded)
    objective = "hs" if config.objective == "hs" else f"ns {config.negative}"
    return {"system": name, "impl": "cbow", "update": (f"mean, q {config.context_power:g}" if config.cbow_update == "mean"
                                                   else config.cbow_update), "objective": objective,
            "alpha": config.alpha, "alpha_in": config.lr_in, "epochs": config.epochs,
            "batch_size": config.batch_size, "train_s": result.train_seconds,
            "words": list(result.vocab.words), "vectors": result.wv.vectors,
            "matrices": (result.W_in, result.W_out)}


def with_out_vectors(rows: list[dict], trained: dict, name: str) -> dict | None:
    """The cbow-mean row's training saved as W_in + OUT_VECTOR_WEIGHT * W_out (no new run)."""
    ours = next((row for row in rows if row["system"] == "cbow-mean"), None)
    if ours is None:
        return None
    words, (W_in, W_out) = trained["cbow-mean"]
    row = {key: value for key, value in ours.items()
           if key not in ("cbow_eval", "gensim_eval", "scorers_agree", "words_per_s")}
    row.update(system=name, update=f"{ours['update']}, + {OUT_VECTOR_WEIGHT:g} W_out", words=words,
               vectors=word_vectors(W_in, W_out, OUT_VECTOR_WEIGHT))
    return row


def run_gensim(name: str, corpus_file: Path, args, alpha: float, epochs: int, hs: bool = False) -> dict:
    from gensim.models import Word2Vec

    negative = 0 if hs else args.negative
    model = Word2Vec(vector_size=args.size, window=args.window, negative=negative, hs=int(hs),
                     sample=args.sample, min_count=args.min_count, sg=0, cbow_mean=1, workers=args.workers,
                     seed=args.seed, alpha=alpha)
    model.build_vocab(corpus_file=str(corpus_file))
    started = time.perf_counter()
    model.train(corpus_file=str(corpus_file), total_examples=model.corpus_count,
                total_words=model.corpus_total_words, epochs=epochs)
    train_seconds = time.perf_counter() - started
    return {"system": name, "impl": "gensim 4.4.0", "update": "word2vec", "objective": "hs" if hs else f"ns {negative}",
            "alpha": alpha, "alpha_in": alpha, "epochs": epochs, "batch_size": None, "train_s": train_seconds,
            "words": list(model.wv.index_to_key), "vectors": model.wv.vectors}


def plain_corpus(corpus: Path, workdir: Path) -> Path:
    """gensim's corpus_file mode reads plain text: decompress a .gz once."""
    if corpus.suffix != ".gz":
        return corpus
    target = workdir / corpus.stem
    with gzip.open(corpus, "rb") as source, target.open("wb") as sink:
        shutil.copyfileobj(source, sink, 1 << 22)
    return target


def score_row(row: dict, eval_dir: Path) -> None:
    """Add both scorers' numbers to `row` (and whether they agree); drop the vectors."""
    words, vectors = row.pop("words"), row.pop("vectors")
    row["cbow_eval"] = cbow_scores(KeyedVectors(words, vectors), eval_dir)
    row["gensim_eval"] = gensim_scores(words, vectors, eval_dir)
    row["words_per_s"] = row.pop("corpus_words") * row["epochs"] / row["train_s"]
    row["scorers_agree"] = all(abs(row["cbow_eval"][key] - row["gensim_eval"][key]) <= AGREE_TOLERANCE
                               for key in ("analogy", "ws353", "simlex"))


def format_table(rows: list[dict], title: str) -> str:
    header = ("| system | update | objective | alpha (W_out / W_in) | epochs | train s | words/s | "
              "analogy | ws353 | simlex | gensim's scorer (analogy / ws353 / simlex) |")
    lines = [title, "", header, "|" + "---|" * 11]
    for row in rows:
        ours, theirs = row["cbow_eval"], row["gensim_eval"]
        alphas = f"{row['alpha']:g}" if row["alpha"] == row["alpha_in"] else f"{row['alpha']:g} / {row['alpha_in']:g}"
        agree = "" if row["scorers_agree"] else " DISAGREE"
        lines.append(
            f"| {row['system']} | {row['update']} | {row['objective']} | {alphas} | {row['epochs']} | "
            f"{row['train_s']:.0f} | {row['words_per_s']:,.0f} | {100 * ours['analogy']:.1f}% | "
            f"{ours['ws353']:.3f} | {ours['simlex']:.3f} | {100 * theirs['analogy']:.1f}% / "
            f"{theirs['ws353']:.3f} / {theirs['simlex']:.3f}{agree} |")
    return "\n".join(lines)


def main() -> None:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=SHARED / "bench-text8.txt.gz")
    parser.add_argument("--eval-dir", type=Path, default=SHARED / "eval")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--size", type=int, default=defaults.size)
    parser.add_argument("--window", type=int, default=defaults.window)
    parser.add_argument("--negative", type=int, default=defaults.negative)
    parser.add_argument("--sample", type=float, default=defaults.sample)
    parser.add_argument("--min-count", type=int, default=defaults.min_count)
    parser.add_argument("--alpha-in", type=float, default=None,
                        help="W_in's rate for the cbow-mean rows (default: TrainConfig's rule, alpha * window)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="gensim's worker threads and cbow's worker processes (default 2)")
    parser.add_argument("--systems", default=",".join(ALL_SYSTEMS), help="comma list of: " + ", ".join(ALL_SYSTEMS))
    parser.add_argument("--json", type=Path, default=None, help="write every row's numbers here")
    args = parser.parse_args()
    systems = args.systems.split(",")
    unknown = sorted(set(systems) - set(ALL_SYSTEMS))
    if unknown:
        parser.error(f"unknown system(s) {', '.join(unknown)}; choose from {', '.join(ALL_SYSTEMS)}")
    logging.getLogger("gensim").setLevel(logging.ERROR)

    base = replace(defaults, size=args.size, window=args.window, negative=args.negative, sample=args.sample,
                   min_count=args.min_count, epochs=args.epochs, seed=args.seed, workers=args.workers)
    started = time.perf_counter()
    vocab, encoded = prepare(args.corpus, base)
    print(f"cbow prepared {args.corpus.name}: {len(encoded.word_ids):,} words, {len(vocab):,} in the vocabulary, "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    corpus_words = len(encoded.word_ids)

    rows: list[dict] = []
    trained: dict[str, tuple] = {}  # cbow system -> (words, (W_in, W_out)), for cbow-mean+out
    with tempfile.TemporaryDirectory(prefix="cbow-quality-") as workdir:
        corpus_file = plain_corpus(args.corpus, Path(workdir)) if any(s.startswith("gensim") for s in systems) else None
        for system in systems:
            if system == "cbow-mean":
                row = run_cbow(system, vocab, encoded, replace(base, alpha_in=args.alpha_in))
            elif system == "cbow-mean+out":
                row = with_out_vectors(rows, trained, system)
                if row is None:
                    print("cbow-mean+out: needs cbow-mean earlier in --systems; skipped")
                    continue
            elif system == "cbow-exact":
                row = run_cbow(system, vocab, encoded, replace(base, context_power=1.0, alpha_in=args.alpha_in))
            elif system == "cbow-word2vec":
                row = run_cbow(system, vocab, encoded, replace(base, cbow_update="word2vec", alpha=0.05, alpha_in=None))
            elif system == "cbow-mean-hs":
                row = run_cbow(system, vocab, encoded, replace(base, objective="hs", negative=0, alpha_in=args.alpha_in,
                                                               batch_size=HS_BATCH_SIZE, context_power=HS_CONTEXT_POWER))
            elif system in ("gensim-0.025", "gensim-0.05"):
                row = run_gensim(system, corpus_file, args, float(system.split("-")[1]), args.epochs)
            elif system == "gensim-hs":
                row = run_gensim(system, corpus_file, args, 0.025, args.epochs, hs=True)
            else:  # gensim-equal-time
                row = run_equal_time(rows, corpus_file, args)
                if row is None:
                    print("gensim-equal-time: needs cbow-mean and a gensim NS row earlier in --systems; skipped")
                    continue
            row.setdefault("corpus_words", corpus_words)
            if "matrices" in row:
                trained[system] = (row["words"], row.pop("matrices"))
            score_row(row, args.eval_dir)
            rows.append(row)
            ours = row["cbow_eval"]
            print(f"done: {system:18s} {row['train_s']:7.0f} s  analogy {100 * ours['analogy']:.2f}%  "
                  f"ws353 {ours['ws353']:.3f}  simlex {ours['simlex']:.3f}  "
                  f"scorers {'agree' if row['scorers_agree'] else 'DISAGREE'}", flush=True)

    title = (f"{args.corpus.name} ({corpus_words:,} words), size {args.size}, window {args.window}, "
             f"negative {args.negative} (HS rows: hs, no negatives), sample {args.sample:g}, min-count {args.min_count}, "
             f"seed {args.seed}, gensim workers {args.workers}; analogy = questions-words 3CosAdd over the "
             f"30,000 most frequent words ({rows[0]['cbow_eval']['answered'] if rows else 0:,} questions answered); "
             f"Spearman on wordsim353 / simlex999")
    print()
    print(format_table(rows, title))
    if args.json is not None:
        args.json.write_text(json.dumps({"settings": vars(args) | {"corpus": str(args.corpus), "eval_dir": str(args.eval_dir),
                                                                  "json": str(args.json)},
                                         "rows": rows}, indent=1))


def run_equal_time(rows: list[dict], corpus_file: Path, args) -> dict | None:
    """gensim for as many epochs as fit in cbow-mean's training time (its better NS alpha)."""
    ours = next((row for row in rows if row["system"] == "cbow-mean"), None)
    theirs = [row for row in rows if row["system"] in ("gensim-0.025", "gensim-0.05")]
    if ours is None or not theirs:
        return None
    best = max(theirs, key=lambda row: row["cbow_eval"]["analogy"])
    seconds_per_epoch = best["train_s"] / best["epochs"]
    epochs = max(1, math.floor(ours["train_s"] / seconds_per_epoch))
    row = run_gensim("gensim-equal-time", corpus_file, args, best["alpha"], epochs)
    row["system"] = f"gensim-equal-time ({epochs} epochs in cbow-mean's {ours['train_s']:.0f} s)"
    return row


if __name__ == "__main__":
    main()
