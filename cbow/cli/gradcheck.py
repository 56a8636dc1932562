"""`cbow gradcheck`: every gradient against central differences on a tiny float64 model."""

from __future__ import annotations

import argparse

from cbow.cli.args import non_negative_int, positive_float, positive_int


def _add_gradcheck(subparsers) -> None:
    from cbow.check.gradcheck import GradcheckSettings

    defaults = GradcheckSettings()
    parser = subparsers.add_parser(
        "gradcheck", help="check every gradient against central differences on a tiny model",
        description="Build a tiny random float64 model with these settings, compare the analytic "
                    "gradients of h, W_out and W_in (through the mean) and the update the trainer "
                    "applies with central differences, print the max relative error per matrix. "
                    "Exit status 0 when all pass, 1 otherwise.",
        epilog="example:\n  cbow gradcheck --objective ns --cbow-update mean --negative 5 --window 5",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--objective", choices=["ns", "hs", "softmax"], default=defaults.objective,
                        help=f"objective to check (default {defaults.objective})")
    parser.add_argument("--cbow-update", choices=["mean", "word2vec"], default=defaults.cbow_update,
                        help="update rule of W_in the trainer applies (default mean)")
    parser.add_argument("--negative", type=positive_int, default=defaults.negative,
                        help=f"noise words per example for ns (default {defaults.negative})")
    parser.add_argument("--window", type=positive_int, default=defaults.window,
                        help=f"maximum window w (default {defaults.window})")
    parser.add_argument("--size", "--vector-size", dest="size", type=positive_int, default=defaults.size,
                        help=f"vector size d of the tiny model (default {defaults.size})")
    parser.add_argument("--vocab-size", type=positive_int, default=defaults.vocab_size,
                        help=f"vocabulary size V of the tiny model, >= 3 (default {defaults.vocab_size})")
    parser.add_argument("--examples", type=positive_int, default=defaults.n_examples,
                        help=f"examples in the batch, >= 2 (default {defaults.n_examples})")
    parser.add_argument("--max-entries", type=positive_int, default=defaults.max_entries,
                        help=f"check at most this many entries per matrix, a seeded sample (default {defaults.max_entries})")
    parser.add_argument("--tolerance", type=positive_float, default=defaults.tolerance,
                        help=f"largest relative error that passes (default {defaults.tolerance:g})")
    parser.add_argument("--seed", type=non_negative_int, default=defaults.seed,
                        help=f"seed of the tiny model (default {defaults.seed})")
    parser.set_defaults(run=_cmd_gradcheck)


def _cmd_gradcheck(args) -> int:
    from cbow.check.gradcheck import GradcheckSettings, format_report, run_gradcheck

    settings = GradcheckSettings(
        objective=args.objective, cbow_update=args.cbow_update, negative=args.negative,
        window=args.window, size=args.size, vocab_size=args.vocab_size, n_examples=args.examples,
        seed=args.seed, max_entries=args.max_entries, tolerance=args.tolerance,
    )
    report = run_gradcheck(settings)
    for line in format_report(report):
        print(line)
    return 0 if report.passed else 1
