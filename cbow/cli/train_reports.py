"""What `cbow train` shows while it runs: epoch and held-out lines, --eval scores, the demo.

The per-epoch and held-out lines go to stderr above the progress bar and into the training
log (OUTPUT.log.jsonl); the demo's neighbours and planted analogies go to stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path


def _run_reporters(args, config, log, evaluations):
    """(report_epoch, report_heldout): the callbacks that print progress lines and write `log`.

    report_epoch(EpochReport) runs the --eval/--eval-pairs evaluations, appends the epoch's
    record and prints its line; report_heldout(HeldoutPoint) does the same for a held-out
    score within an epoch (--holdout-every; the epoch-end score is in the epoch's line).
    """
    from cbow.training.training_log import add_scores, epoch_record, heldout_record

    def report_epoch(report) -> None:
        record = epoch_record(report)
        shown = []
        if evaluations:
            kv = report.keyed_vectors()
            for name, evaluate, summary in evaluations:
                scores = evaluate(kv)
                add_scores(record, name, scores)
                shown.append(f"{name} {summary(scores)}")
        if log is not None:
            log.append(record)
        if not args.quiet:
            if report.heldout_nats is not None:
                shown.insert(0, f"held-out {report.heldout_nats:.4f} nats (perplexity {report.heldout_perplexity:,.1f})")
            scores_text = "".join(f"; {text}" for text in shown)
            _progress_line(f"epoch {report.epoch}/{config.epochs}: mean loss {report.mean_loss:.4f}, "
                           f"{report.words_per_second:,.0f} words/s, {report.seconds:.1f} s{scores_text}")

    def report_heldout(point) -> None:
        if point.epoch_end:
            return
        if log is not None:
            log.append(heldout_record(point))
        if not args.quiet:
            _progress_line(f"  {point.words_done:,} words (epoch {point.epoch:.2f}): held-out {point.nats:.4f} nats "
                           f"(perplexity {point.perplexity:,.1f}); loss so far {point.train_loss:.4f}, "
                           f"lr {point.lr:.3g}; scored in {point.seconds:.1f} s")

    return report_epoch, report_heldout


def _progress_line(text: str) -> None:
    """A line on stderr that leaves the progress bar intact below it."""
    from tqdm import tqdm

    tqdm.write(text, file=sys.stderr)


def _epoch_evaluations(args) -> list:
    """(name, kv -> scores dict, scores -> short text) for each --eval / --eval-pairs file.

    The files are parsed here, before training, so a typo fails in a second, not after
    an epoch.
    """
    from cbow.vectors.evaluate import evaluate_word_analogies, evaluate_word_pairs, read_analogies, read_word_pairs

    paths = [("analogies", path) for path in args.eval_analogies] + [("pairs", path) for path in args.eval_pairs]
    names = [Path(path).name for _, path in paths]
    evaluations = []
    for (kind, path), name in zip(paths, names):
        if names.count(name) > 1:  # two files of the same name in different directories
            name = str(path)
        if kind == "analogies":
            read_analogies(path)

            def evaluate(kv, path=path):
                result = evaluate_word_analogies(kv, path, restrict_vocab=args.eval_restrict_vocab)
                return {"accuracy": result.accuracy, "correct": result.correct, "total": result.total,
                        "skipped": result.skipped}

            def summary(scores):
                return f"{100 * scores['accuracy']:.2f}% of {scores['total']:,}"
        else:
            read_word_pairs(path)

            def evaluate(kv, path=path):
                result = evaluate_word_pairs(kv, path)
                return {"spearman": result.spearman, "pearson": result.pearson, "pairs": result.n_pairs,
                        "oov_ratio": result.oov_ratio}

            def summary(scores):
                return f"spearman {scores['spearman']:.3f}"
        evaluations.append((name, evaluate, summary))
    return evaluations


def _warn_if_not_separated(result) -> None:
    """After a run: say so when the vectors still share one direction (cbow.separation)."""
    from cbow.check.separation import separation_advice

    advice = separation_advice(result.W_in, result.n_corpus_words, result.config.epochs)
    if advice is not None:
        print(f"cbow train: warning: {advice}", file=sys.stderr)


def _show_demo(wv) -> None:
    """Neighbours and planted analogies of the demo corpus, for people."""
    from cbow.corpora import planted

    print("nearest neighbours (the pseudo-words are planted: topic words only one pair's sentences use, or filler):")
    for word in ["paris", "king", "cats", "walked"]:
        neighbours = ", ".join(f"{w} {s:.2f}" for w, s in wv.most_similar(word, topn=5))
        print(f"  {word:8s} {neighbours}")
    print("analogies (a : b :: c : ?):")
    for a, b, c, expected in [("paris", "france", "berlin", "germany"), ("king", "queen", "man", "woman"),
                              ("cat", "cats", "dog", "dogs"), ("walk", "walked", "jump", "jumped")]:
        answer, score = wv.most_similar(positive=[b, c], negative=[a], topn=1)[0]
        mark = "ok" if answer == expected else f"expected {expected}"
        print(f"  {a} : {b} :: {c} : {answer}  ({score:.2f}, {mark})")
    questions = list(planted.analogy_questions())
    correct = sum(
        wv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0] == d for _, (a, b, c, d) in questions
    )
    print(f"planted analogies solved: {correct}/{len(questions)} ({100 * correct / len(questions):.1f}%)")
