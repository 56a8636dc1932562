"""A gensim tutorial program, run twice on bench-text8: with gensim's import line and with cbow's.

    python scripts/gensim_tutorial.py [--corpus ../shared/data/bench-text8.txt.gz] [--epochs 5] [--workers 2]

The program (PROGRAM below) is the same text both times but for its first line: it streams
the corpus as token lists, trains Word2Vec with a CallbackAny2Vec that prints each epoch's
loss, saves and loads the model, continues it with build_vocab(update=True) on the first
20,000 sentences, and scores the vectors: Google analogies (3CosAdd over the 30,000 most
frequent words), then Spearman on WordSim-353 and SimLex-999, by each library's own
KeyedVectors. Each run is a process of its own; the table closes the output. Both keep
their defaults (cbow's differ: docs/usage.md, "From gensim").
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# shared/ beside the checkout (main), or beside the folder of work trees
SHARED = next((up / "shared" / "data" for up in (REPO.parent, REPO.parent.parent) if (up / "shared").is_dir()),
              REPO.parent / "shared" / "data")
IMPORTS = {
    "cbow": "from cbow import Word2Vec, KeyedVectors, CallbackAny2Vec",
    "gensim": "from gensim.models import Word2Vec, KeyedVectors; from gensim.models.callbacks import CallbackAny2Vec",
}
PROGRAM = '''
{import_line}
import gzip, itertools, json, sys, time

corpus, eval_dir, workdir, epochs, workers = sys.argv[1:6]


class Sentences:
    """The corpus as token lists, read again at every pass (gensim reads it epochs + 1 times)."""

    def __init__(self, path, limit=None):
        self.path, self.limit = path, limit

    def __iter__(self):
        with gzip.open(self.path, "rt", encoding="utf-8") as lines:
            yield from (line.split() for line in itertools.islice(lines, self.limit))


class LossLogger(CallbackAny2Vec):
    def __init__(self):
        self.epoch, self.previous = 0, 0.0

    def on_train_begin(self, model):
        self.previous = 0.0

    def on_epoch_end(self, model):
        loss = model.get_latest_training_loss()
        self.epoch += 1
        print(f"epoch {{self.epoch}}: loss {{loss - self.previous:.4g}}", file=sys.stderr, flush=True)
        self.previous = loss


started = time.perf_counter()
model = Word2Vec(sentences=Sentences(corpus), vector_size=100, window=5, min_count=5, workers=int(workers),
                 epochs=int(epochs), compute_loss=True, callbacks=[LossLogger()])
train_seconds = time.perf_counter() - started
print(model.wv.most_similar("king", topn=5), file=sys.stderr)
model.save(workdir + "/word2vec.model")
model = Word2Vec.load(workdir + "/word2vec.model")
analogy = model.wv.evaluate_word_analogies(eval_dir + "/questions-words.txt", restrict_vocab=30000)[0]
ws353 = model.wv.evaluate_word_pairs(eval_dir + "/wordsim353.tsv")[1][0]
simlex = model.wv.evaluate_word_pairs(eval_dir + "/simlex999.txt")[1][0]
more = Sentences(corpus, limit=20000)
model.build_vocab(more, update=True)
model.train(more, total_examples=model.corpus_count, epochs=1, callbacks=[LossLogger()])
after = model.wv.evaluate_word_analogies(eval_dir + "/questions-words.txt", restrict_vocab=30000)[0]
print(json.dumps(dict(analogy=float(analogy), ws353=float(ws353), simlex=float(simlex), after=float(after),
                      train_seconds=train_seconds, words=len(model.wv))))
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=SHARED / "bench-text8.txt.gz")
    parser.add_argument("--eval-dir", type=Path, default=SHARED / "eval")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", choices=sorted(IMPORTS), nargs="+", default=["cbow", "gensim"])
    args = parser.parse_args()
    rows = {}
    for name in args.only:
        with tempfile.TemporaryDirectory() as workdir:
            program = PROGRAM.format(import_line=IMPORTS[name])
            print(f"== {name}: {IMPORTS[name]}", flush=True)
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", program, str(args.corpus), str(args.eval_dir), workdir,
                                   str(args.epochs), str(args.workers)], stdout=subprocess.PIPE, text=True,
                                  cwd=workdir, check=True)
            rows[name] = json.loads(done.stdout.strip().splitlines()[-1])
            rows[name]["wall"] = time.perf_counter() - started
    print(f"\n{args.corpus.name}, {args.epochs} epochs, size 100, window 5, min_count 5, {args.workers} workers, "
          "each library's defaults otherwise")
    print(f"{'system':8s} {'analogy':>8s} {'ws353':>7s} {'simlex':>7s} {'train s':>8s} {'analogy after update':>21s}")
    for name, row in rows.items():
        print(f"{name:8s} {100 * row['analogy']:7.1f}% {row['ws353']:7.3f} {row['simlex']:7.3f} "
              f"{row['train_seconds']:8.0f} {100 * row['after']:20.1f}%")


if __name__ == "__main__":
    main()
