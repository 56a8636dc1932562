"""Learning-rate / subsampling / batch screen of the CBOW update rules on real text.

    python scripts/tune.py --epochs 1 --out tune.jsonl \\
        mean:alpha=0.05,alpha_in=0.25,sample=1e-3  mean:alpha=0.05,alpha_in=0.25,sample=1e-4 \\
        word2vec:alpha=0.05,sample=1e-4

Each positional argument is one run: `UPDATE:key=value,...` with keys of TrainConfig
(alpha, alpha_in, sample, batch_size, seed, window, negative, objective, repeat_guard,
repeat_guard_out, context_power, workers, ...). The corpus is read and encoded once (cached with pickle in --cache,
so later screens skip it); every run is scored with cbow.vectors.evaluate (questions-words 3CosAdd over the 30,000 most frequent words,
wordsim353 and simlex999 Spearman) and appended as one JSON line to --out, so a long screen
can be read while it runs. One process, one run at a time (the machine is shared).
This is the evidence behind the defaults in README ("How good are the vectors?").
"""

from __future__ import annotations

import argparse
import json
import pickle
import time
from dataclasses import replace
from pathlib import Path

from cbow.vectors.evaluate import evaluate_word_analogies, evaluate_word_pairs
from cbow.training.config import TrainConfig
from cbow.data.prepare import prepare
from cbow.training.loop import train
from cbow.vectors.keyed import KeyedVectors

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
INT_KEYS = {"batch_size", "seed", "window", "negative", "size", "epochs", "min_count", "workers"}


def score(kv: KeyedVectors, eval_dir: Path) -> dict:
    """Analogy accuracy (top 30,000 words), wordsim353 and simlex999 Spearman of `kv`."""
    analogy = evaluate_word_analogies(kv, eval_dir / "questions-words.txt", restrict_vocab=30000)
    ws = evaluate_word_pairs(kv, eval_dir / "wordsim353.tsv")
    simlex = evaluate_word_pairs(kv, eval_dir / "simlex999.txt")
    return {"analogy": analogy.accuracy, "answered": analogy.total,
            "ws353": ws.spearman, "simlex": simlex.spearman}


def parse_run(spec: str, base: TrainConfig) -> TrainConfig:
    """`mean:alpha=0.05,sample=1e-4` -> TrainConfig with those fields over `base`."""
    update, _, settings = spec.partition(":")
    fields = {"cbow_update": update}
    for item in filter(None, settings.split(",")):
        key, _, value = item.partition("=")
        if key == "objective":
            fields[key] = value
            if value != "ns":
                fields["negative"] = 0
        else:
            fields[key] = int(value) if key in INT_KEYS else float(value)
    return replace(base, **fields)


def load_prepared(corpus: Path, config: TrainConfig, cache: Path):
    """(vocab, encoded) of `corpus`, from the pickle cache when it matches."""
    key = (str(corpus.resolve()), config.tokenizer, config.min_count, config.max_vocab)
    if cache.exists():
        with cache.open("rb") as handle:
            cached_key, vocab, encoded = pickle.load(handle)
        if cached_key == key:
            return vocab, encoded
    vocab, encoded = prepare(corpus, config)
    with cache.open("wb") as handle:
        pickle.dump((key, vocab, encoded), handle, protocol=pickle.HIGHEST_PROTOCOL)
    return vocab, encoded


def markdown_table(rows: list[dict]) -> str:
    """The screened runs, one line each, in the order they ran."""
    lines = ["| update | objective | alpha (W_out) | alpha_in (W_in) | guard W_in / W_out | sample | batch | seed | epochs | analogy | ws353 | simlex | train s |",
             "|" + "---|" * 13]
    for row in rows:
        update = row["run"].partition(":")[0]
        lines.append(f"| {update} | {row.get('objective', 'ns')} | {row['alpha']:g} | {row['alpha_in']:g} | "
                     f"{row.get('repeat_guard', 0):g} / {row.get('repeat_guard_out', row.get('out_guard', 0)):g} | "
                     f"{row['sample']:g} | {row['batch_size']} | "
                     f"{row['seed']} | {row['epochs']} | {100 * row['analogy']:.2f}% | {row['ws353']:.3f} | "
                     f"{row['simlex']:.3f} | {row['train_s']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="*", help="UPDATE:key=value,... (see above)")
    parser.add_argument("--corpus", type=Path, default=SHARED / "bench-text8.txt.gz")
    parser.add_argument("--eval-dir", type=Path, default=SHARED / "eval")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/cbow-tune-prepared.pkl"))
    parser.add_argument("--out", type=Path, default=Path("tune.jsonl"))
    parser.add_argument("--table", action="store_true", help="print --out's runs as a markdown table and exit")
    args = parser.parse_args()
    if args.table:
        print(markdown_table([json.loads(line) for line in args.out.read_text().splitlines() if line.strip()]))
        return

    base = TrainConfig(epochs=args.epochs)
    vocab, encoded = load_prepared(args.corpus, base, args.cache)
    for spec in args.runs:
        config = parse_run(spec, base)
        started = time.perf_counter()
        result = train(None, config, vocab=vocab, encoded=encoded)
        row = {"run": spec, "epochs": config.epochs, "alpha": config.alpha, "alpha_in": config.lr_in,
               "sample": config.sample, "batch_size": config.batch_size, "seed": config.seed,
               "repeat_guard": config.repeat_guard, "repeat_guard_out": config.out_guard_power,
               "objective": config.objective,
               "train_s": round(result.train_seconds, 1), "loss": result.epoch_losses[-1]}
        row.update(score(result.wv, args.eval_dir))
        row["total_s"] = round(time.perf_counter() - started, 1)
        with args.out.open("a") as handle:
            handle.write(json.dumps(row) + "\n")
        print(f"{spec:60s} analogy {100 * row['analogy']:5.2f}%  ws353 {row['ws353']:.3f}  "
              f"simlex {row['simlex']:.3f}  {row['train_s']:.0f} s", flush=True)


if __name__ == "__main__":
    main()
