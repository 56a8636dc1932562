"""The commands that ask a whole model (a .cbow directory with W_out) CBOW's own questions:
`predict` (the words likeliest at the centre of a context) and `score` (log p of sentences)."""

from __future__ import annotations

import argparse
import json
import math
import sys

from cbow.cli.args import PROG, positive_int


def _add_predict(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict", help="the words a model predicts at the centre of a context (CBOW's own output)",
        description="Print the words most probable at the centre of a context, with their probabilities: "
                    "the softmax over W_out h (negative sampling, --softmax) or the Huffman leaf "
                    "probabilities (--hs), h the mean of the context's input vectors. Needs a whole model: "
                    "cbow train -o NAME.cbow, or --save-model NAME.cbow.",
        epilog="example:\n  cbow predict model.cbow \"the cat on the\" --topn 5\n"
               "  cbow predict model.cbow paris is the of --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", help="a whole model: a .cbow directory saved with its W_out")
    parser.add_argument("context", nargs="+", help="the context words (split as the model's training text "
                        "was); their order does not matter to CBOW")
    parser.add_argument("--topn", "--top", dest="topn", type=positive_int, default=10,
                        help="words to print (default 10)")
    parser.add_argument("--json", action="store_true", help="print [[word, probability], ...] as JSON")
    parser.set_defaults(run=_cmd_predict)


def _cmd_predict(args) -> int:
    from cbow.training.full_model import load_model

    model = load_model(args.model, mmap="r")
    found = model.predict_output_word(" ".join(args.context), topn=args.topn)
    if args.json:
        print(json.dumps([[word, probability] for word, probability in found], ensure_ascii=False))
        return 0
    for word, probability in found:
        print(f"{word}\t{probability:.6g}")
    return 0


def _add_score(subparsers) -> None:
    parser = subparsers.add_parser(
        "score", help="log probability of each sentence under a model",
        description="Print, for each line of the text, its log probability under the model (natural "
                    "log) and the number of its words predicted: each word with a context word within "
                    "the full window, predicted from that context, as the held-out loss does. The total, "
                    "in nats per word and perplexity, goes to stderr. Needs a whole model (.cbow with W_out).",
        epilog="example:\n  cbow score model.cbow test.txt > scores.tsv\n"
               "  echo 'the cat sat on the mat' | cbow score model.cbow",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", help="a whole model: a .cbow directory saved with its W_out")
    parser.add_argument("text", nargs="?", default="-", help="text file (.gz, .bz2), one sentence per line, or "
                        "- for stdin (default)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no total on stderr")
    parser.set_defaults(run=_cmd_score)


def _lines(source: str):
    """The lines of a text file or stdin, in order (an overlong line read in pieces is joined)."""
    from cbow.data.corpus import iter_text_blocks

    head = ""
    for text, open_end in iter_text_blocks(source, encoding_errors="strict"):
        lines = text.split("\n")
        lines[0] = head + lines[0]
        head = lines.pop() if open_end else ""
        yield from lines
    if head:
        yield head


def _cmd_score(args) -> int:
    import itertools

    from cbow.training.full_model import SCORE_CHUNK, load_model
    from cbow.wording import counted

    model = load_model(args.model, mmap="r")
    lines = _lines(args.text)
    total, n_words, n_lines = 0.0, 0, 0
    while True:
        chunk = list(itertools.islice(lines, SCORE_CHUNK))
        if not chunk:
            break
        scores = model.sentence_scores(chunk)
        for log_prob, count in zip(scores.log_probs.tolist(), scores.n_predicted.tolist()):
            print(f"{log_prob:.6f}\t{count}")
        total += float(scores.log_probs.sum())
        n_words += int(scores.n_predicted.sum())
        n_lines += len(chunk)
    if not args.quiet:
        if n_words:
            nats = -total / n_words
            print(f"{PROG} score: {counted(n_lines, 'sentence')}, {counted(n_words, 'word')} predicted: {nats:.4f} nats per word "
                  f"(perplexity {math.exp(min(nats, 700.0)):.1f})", file=sys.stderr)
        else:
            print(f"{PROG} score: {counted(n_lines, 'sentence')}, no word predicted (no word with a context word in the "
                  "vocabulary)", file=sys.stderr)
    return 0
