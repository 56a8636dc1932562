"""`cbow plan` (= `cbow train --plan`): what a training run would need, without training."""

from __future__ import annotations

import argparse
import sys

from cbow.cli.args import non_negative_float
from cbow.cli.train_flags import _train_config, _train_parser
from cbow.cli.train_run import _corpus_cache_dir
from cbow.errors import ConfigError


def _add_plan(subparsers) -> None:
    # the flags of `cbow train`, taken from its parser so the two never drift apart
    parser = subparsers.add_parser(
        "plan", parents=[_train_parser()], conflict_handler="resolve",
        help="dry run: vocabulary, tokens kept, memory and estimated time of a training run",
        description="Read the corpus once and report what `cbow train` with the same flags would do: "
                    "vocabulary size, tokens after min-count and after subsampling, memory by component, "
                    "and an ETA from a short timed probe. Allocates nothing big.",
        epilog="example:\n  cbow plan corpus.txt.gz --size 300 --window 5 --epochs 5",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--probe-seconds", type=non_negative_float, default=1.5,
                        help="about how long the timed speed probe trains; 0 = no probe (default 1.5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    parser.set_defaults(run=_cmd_plan)


def _cmd_plan(args) -> int:
    import json

    from cbow.training.plan import format_plan, make_plan

    if args.corpus is None:
        raise ConfigError("no corpus to plan for; give CORPUS (a file, directory, or - for stdin)")
    # what the plan does not model: say so rather than plan another run than the one asked for
    unmodelled = [flag for flag, given in (("--resume", args.resume), ("--init-from", args.init_from),
                                           ("--cluster", args.cluster)) if given is not None]
    if unmodelled:
        raise ConfigError(f"the plan is for a new run on one machine; it does not model {' or '.join(unmodelled)}: "
                          "drop it to plan that run")
    config = _train_config(args)
    # getattr: `cbow train --plan` calls this with train's namespace, which lacks plan's own flags
    plan = make_plan(args.corpus, config, probe_seconds=getattr(args, "probe_seconds", 1.5),
                     progress=not args.quiet and sys.stderr.isatty(), cache_dir=_corpus_cache_dir(args))
    if getattr(args, "json", False):
        print(json.dumps(plan.to_dict(), indent=2))
    else:
        for line in format_plan(plan, args.corpus):
            print(line)
    return 0
