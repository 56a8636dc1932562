"""What `cbow train` shows while it runs: epoch and held-out lines, --eval scores, the demo.

The per-epoch and held-out lines go to stderr above the progress bar and into the training
log (OUTPUT.log.jsonl); the demo's neighbours and planted analogies go to stdout.
"""

from __future__ import annotations

import sys

from cbow.training.callbacks import Callback


def _run_callbacks(args, config, log, evaluation) -> list:
    """The callbacks of a CLI run, in order: --eval scores, the training log, the lines on stderr."""
    callbacks = [evaluation] if evaluation.evaluations else []
    if log is not None:
        callbacks.append(log)
    if not args.quiet:
        callbacks.append(ProgressLines(config, evaluation))
    return callbacks


class ProgressLines(Callback):
    """One line per epoch (loss, words/s, held-out and --eval scores) and one per held-out
    score within an epoch (--holdout-every), on stderr above the progress bar."""

    def __init__(self, config, evaluation) -> None:
        self.config, self.evaluation = config, evaluation

    def on_epoch_end(self, run, report) -> None:
        shown = self.evaluation.summaries(report)
        if report.heldout_nats is not None:
            shown.insert(0, f"held-out {report.heldout_nats:.4f} nats (perplexity {report.heldout_perplexity:,.1f})")
        scores_text = "".join(f"; {text}" for text in shown)
        _progress_line(f"epoch {report.epoch}/{self.config.epochs}: mean loss {report.mean_loss:.4f}, "
                       f"{report.words_per_second:,.0f} words/s, {report.seconds:.1f} s{scores_text}")

    def on_heldout(self, run, point) -> None:
        if point.epoch_end:  # in the epoch's line
            return
        _progress_line(f"  {point.words_done:,} words (epoch {point.epoch:.2f}): held-out {point.nats:.4f} nats "
                       f"(perplexity {point.perplexity:,.1f}); loss so far {point.train_loss:.4f}, "
                       f"lr {point.lr:.3g}; scored in {point.seconds:.1f} s")


def _progress_line(text: str) -> None:
    """A line on stderr that leaves the progress bar intact below it."""
    from tqdm import tqdm

    tqdm.write(text, file=sys.stderr)


def _epoch_evaluations(args):
    """The --eval / --eval-pairs files as an EpochEvaluation callback (parsed now, so a typo
    fails in a second, not after an epoch)."""
    from cbow.training.epoch_eval import EpochEvaluation

    return EpochEvaluation(args.eval_analogies, args.eval_pairs, restrict_vocab=args.eval_restrict_vocab)


def _warn_if_not_separated(result) -> None:
    """After a run: say so when the vectors still share one direction (cbow.check.separation)."""
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
