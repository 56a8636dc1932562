"""`cbow train`: a run, and `--resume`.

The flags and the TrainConfig they make are in `train_flags`; running the corpus through
checkpoints and writing the outputs is in `train_run`; the lines a run prints and logs
(epochs, held-out scores, --eval, the demo) are in `train_reports`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cbow.cli.args import _check_output_dir
from cbow.cli.train_flags import TRAIN_EXAMPLE, _train_config, _train_parser, add_train_arguments
from cbow.cli.train_reports import _epoch_evaluations, _run_callbacks, _show_demo, _warn_if_not_separated
from cbow.cli.train_run import (
    _check_plot_loss, _corpus_cache_dir, _load_vocab, _plot_loss, _prepare_corpus, _run_with_checkpoints, _save_vectors,
)
from cbow.errors import ConfigError


def _add_train(subparsers) -> None:
    parser = subparsers.add_parser(
        "train", help="train CBOW vectors on a corpus (or the built-in demo)",
        description="Train CBOW word vectors. Without CORPUS, trains on the built-in demo corpus "
                    "and prints neighbours and analogies.",
        epilog=TRAIN_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_train_arguments(parser)
    parser.set_defaults(run=_cmd_train)


def _cmd_train(args) -> int:
    if getattr(args, "plan", False):
        from cbow.cli.plan import _cmd_plan  # here, not above: plan builds on this module's flags

        return _cmd_plan(args)
    if args.resume is not None:
        return _cmd_train_resume(args)
    config = _train_config(args)
    demo = args.corpus is None
    output = args.output if args.output is not None else (None if demo else "vectors.bin")
    if output is not None:
        _check_output_dir(output)
    _check_plot_loss(args)
    if demo:
        if args.vocab:
            raise ConfigError("--vocab needs a CORPUS; give the corpus the vocabulary was counted on")
        from cbow.corpora import planted

        source = planted.demo_lines()
        print(f"training on the built-in demo corpus ({len(source):,} generated sentences "
              "with planted capitals, genders, plurals and tenses)", file=sys.stderr)
    else:
        source = args.corpus
    show_progress = not args.quiet and sys.stderr.isatty()
    evaluations = _epoch_evaluations(args)
    log = None
    if output is not None:
        from cbow.training.training_log import TrainingLog, log_path_for

        log = TrainingLog(log_path_for(output))
    callbacks = _run_callbacks(args, config, log, evaluations)
    cache_dir = None if demo else _corpus_cache_dir(args)
    if demo:  # nothing to resume: no checkpoints
        from cbow.training.loop import train

        vocab = _load_vocab(args.vocab, config) if args.vocab and not demo else None
        encoded = None if vocab is None else _prepare_corpus(args, config, source, output, vocab)[1]
        result = train(source, config, callbacks=callbacks, vocab=vocab, encoded=encoded, progress=show_progress,
                       cache_dir=cache_dir, cluster=args.cluster, sync_every=args.sync_every)
    else:
        vocab = _load_vocab(args.vocab, config) if args.vocab else None
        result = _run_with_checkpoints(args, config, source, output, vocab, None, show_progress, callbacks,
                                       cache_dir)
        if result is None:
            return 130
    _warn_if_not_separated(result)
    wv = result.wv
    if output is not None:
        _save_vectors(args, wv, output)
    _plot_loss(args, config, result)
    if demo:
        _show_demo(wv)
        if output is None:
            print("(vectors not saved; add -o vectors.bin to keep them)", file=sys.stderr)
    return 0


def _cmd_train_resume(args) -> int:
    """`cbow train --resume CKPT`: settings, corpus and output from the checkpoint."""
    from dataclasses import replace

    from cbow.training.checkpoint import NOT_MODEL_SETTINGS, CheckpointError, load_checkpoint
    from cbow.training.config import TrainConfig

    checkpoint = load_checkpoint(args.resume)
    saved = TrainConfig(**checkpoint.config)  # a setting newer than the checkpoint takes its default
    given = _train_config(args).to_dict()
    # Defaults as they apply to this command line (with or without a CORPUS: the demo's differ).
    defaults = _train_config(_train_parser().parse_args([] if args.corpus is None else [args.corpus])).to_dict()
    for key, value in given.items():
        if key not in NOT_MODEL_SETTINGS and value != defaults[key] and value != saved.to_dict()[key]:
            flag = "--" + key.replace("_", "-")
            raise CheckpointError(
                f"{args.resume}: made with {flag} {saved.to_dict()[key]!r}, you gave {value!r}; "
                f"drop {flag} to resume, or start afresh without --resume"
            )
    if args.workers is not None:  # how many processes train does not change the model
        saved = replace(saved, workers=args.workers)
    source = args.corpus or checkpoint.corpus_path
    if source is None:
        raise CheckpointError(f"{args.resume}: the run read standard input; give it again: "
                              f"cbow train - --resume {args.resume} < CORPUS")
    if source != "-" and not Path(source).exists():
        raise CheckpointError(f"{args.resume}: its corpus {source} is gone; pass the corpus as "
                              f"cbow train CORPUS --resume {args.resume}")
    output = args.output or checkpoint.output
    _check_output_dir(output)
    if not args.quiet:
        where = (f"epoch {checkpoint.state.epoch + 1}/{saved.epochs}, batch {checkpoint.state.batches_done}"
                 if checkpoint.state.epoch < saved.epochs else "training was complete")
        print(f"resuming {args.resume}: {where}", file=sys.stderr)
    show_progress = not args.quiet and sys.stderr.isatty()
    _check_plot_loss(args)
    from cbow.training.training_log import TrainingLog, log_path_for

    # the log continues: records up to the checkpoint are kept, later ones are written again
    log = TrainingLog.resume(log_path_for(output), checkpoint.state.words_done)
    callbacks = _run_callbacks(args, saved, log, _epoch_evaluations(args))
    args.vocab = args.vocab or checkpoint.vocab_path
    result = _run_with_checkpoints(args, saved, source, output, checkpoint.vocab, checkpoint,
                                   show_progress, callbacks)
    if result is None:
        return 130
    _warn_if_not_separated(result)
    _save_vectors(args, result.wv, output)
    _plot_loss(args, saved, result)
    return 0
