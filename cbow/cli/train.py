"""`cbow train`: a run, and `--resume`.

The flags and the TrainConfig they make are in `train_flags`; running the corpus through
checkpoints and writing the outputs is in `train_run`; the lines a run prints and logs
(epochs, held-out scores, --eval, the demo) are in `train_reports`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cbow.atomic import output_target
from cbow.cli.args import check_train_output
from cbow.cli.train_flags import TRAIN_EXAMPLE, _train_config, _train_parser, add_train_arguments
from cbow.cli.train_reports import _epoch_evaluations, _run_callbacks, _show_demo, _warn_if_not_separated
from cbow.cli.train_run import (
    _check_plot_loss, _corpus_cache_dir, _load_vocab, _plot_loss, _prepare_corpus, _run_with_checkpoints, _save_vectors,
)
from cbow.errors import CbowError, ConfigError


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
    init = _load_init(args)  # before the config: a model's size and objective are the defaults
    config = _train_config(args)
    demo = args.corpus is None
    output = args.output if args.output is not None else (None if demo else "vectors.bin")
    if output is not None:
        check_train_output(output, args.binary)
    _check_save_model(args)
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
    # vectors written to a stream (-o -, a FIFO, /dev/stdout) have no file to put a
    # checkpoint or a log beside: such a run, like the demo's, is not resumable
    streamed = output is not None and output_target(output).stream
    log = None
    if output is not None and not streamed:
        from cbow.training.training_log import TrainingLog, log_path_for

        log = TrainingLog(log_path_for(output))
    callbacks = _run_callbacks(args, config, log, evaluations)
    cache_dir = None if demo else _corpus_cache_dir(args)
    if demo or streamed:  # nothing to resume: no checkpoints
        from cbow.training.loop import train

        vocab = _load_vocab(args.vocab, config) if args.vocab and not demo else None
        encoded, ids_file = (None, None) if vocab is None else _prepare_corpus(args, config, source, output, vocab)[1:]
        try:
            result = train(source, config, callbacks=callbacks, vocab=vocab, encoded=encoded, progress=show_progress,
                           cache_dir=cache_dir, init=init, cluster=args.cluster, sync_every=args.sync_every)
        finally:
            if ids_file is not None:  # the bounded-memory reading's ids file, mapped until now
                del encoded
                ids_file.remove()
    else:
        vocab = _load_vocab(args.vocab, config) if args.vocab else None
        result = _run_with_checkpoints(args, config, source, output, vocab, None, show_progress, callbacks,
                                       cache_dir, init=init)
        if result is None:
            return 130
    _warn_if_not_separated(result)
    wv = result.wv
    if output is not None:
        _save_vectors(args, wv, output, model=result)
    _save_model(args, result)
    _plot_loss(args, config, result)
    if demo:
        _show_demo(wv)
        if output is None:
            print("(vectors not saved; add -o vectors.bin to keep them)", file=sys.stderr)
    return 0


def _load_init(args):
    """--init-from: the whole model or the vectors to start from (None without the flag).

    A model's --size and objective become the run's unless given (a flag left at its
    default takes the model's value, as --resume compares flags); vectors give --size.
    """
    if args.init_from is None:
        if args.freeze_init:
            raise ConfigError("--freeze-init keeps the rows --init-from gives fixed; add --init-from MODEL_OR_VECTORS")
        return None
    from cbow.training.continuing import describe_init, resolve_init
    from cbow.training.full_model import Model

    init = resolve_init(args.init_from)
    default_size = _train_parser().get_default("size")
    if isinstance(init, Model):
        if args.size == default_size:
            args.size = init.config.size
        if not (args.hs or args.softmax or args.negative is not None):
            args.hs, args.softmax = init.config.objective == "hs", init.config.objective == "softmax"
            args.negative = init.config.negative if init.config.objective == "ns" else None
    elif args.size == default_size:
        args.size = init.vector_size
    if not args.quiet:
        print(f"starting from {args.init_from}: {describe_init(init)}", file=sys.stderr)
    return init


def _check_save_model(args) -> None:
    """--save-model DIR.cbow: named as a cbow directory and writable, checked before training."""
    if args.save_model is None:
        return
    from cbow.cli.args import _check_output_dir

    if not args.save_model.lower().endswith(".cbow"):
        raise ConfigError(f"--save-model {args.save_model}: a whole model is a .cbow directory; name it NAME.cbow")
    _check_output_dir(args.save_model)


def _save_model(args, result) -> None:
    """--save-model: the whole model, beside the vectors."""
    if args.save_model is None:
        return
    from cbow.cli.args import noting_overwrite

    with noting_overwrite("train", args.save_model):
        result.save(args.save_model)
    print(f"saved the whole model ({len(result.vocab):,} words, W_in and W_out) to {args.save_model}", file=sys.stderr)


def _cmd_train_resume(args) -> int:
    """`cbow train --resume CKPT`: settings, corpus and output from the checkpoint; --epochs
    may lengthen (or shorten) the run (cbow.training.schedule: the rate then follows a run
    of that many epochs from where the checkpoint stands)."""
    from dataclasses import replace

    from cbow.training.checkpoint import RESUME_MAY_DIFFER, CheckpointError, load_checkpoint
    from cbow.training.config import TrainConfig

    if args.init_from is not None:
        raise ConfigError("--init-from starts a new run, --resume continues a checkpointed one: give one of them")
    checkpoint = load_checkpoint(args.resume)  # every part checked: settings, progress, arrays
    saved = TrainConfig(**checkpoint.config)  # a setting newer than the checkpoint takes its default
    _check_phrase_table(args.resume, saved.phrases)
    given = _train_config(args).to_dict()
    # Defaults as they apply to this command line (with or without a CORPUS: the demo's differ).
    defaults = _train_config(_train_parser().parse_args([] if args.corpus is None else [args.corpus])).to_dict()
    for key, value in given.items():
        if key not in RESUME_MAY_DIFFER and value != defaults[key] and value != saved.to_dict()[key]:
            flag = "--" + key.replace("_", "-")
            raise CheckpointError(
                f"{args.resume}: made with {flag} {saved.to_dict()[key]!r}, you gave {value!r}; "
                f"drop {flag} to resume, or start afresh without --resume"
            )
    if args.workers is not None:  # how many processes train does not change the model
        saved = replace(saved, workers=args.workers)
    epochs_before = saved.epochs
    if given["epochs"] != defaults["epochs"] and given["epochs"] != saved.epochs:
        if given["epochs"] < checkpoint.state.epoch:
            raise CheckpointError(f"{args.resume}: {checkpoint.state.epoch} epochs are done already; --epochs "
                                  f"{given['epochs']} would undo some: give --epochs {checkpoint.state.epoch} or more")
        saved = replace(saved, epochs=given["epochs"])
    source = args.corpus or checkpoint.corpus_path
    if source is None:
        raise CheckpointError(f"{args.resume}: the run read standard input; give it again: "
                              f"cbow train - --resume {args.resume} < CORPUS")
    if source != "-" and not Path(source).exists():
        raise CheckpointError(f"{args.resume}: its corpus {source} is gone; pass the corpus as "
                              f"cbow train CORPUS --resume {args.resume}")
    output, checkpoint_path = _resume_paths(args, checkpoint)
    check_train_output(output, args.binary)
    if not args.quiet:
        where = (f"epoch {checkpoint.state.epoch + 1}/{saved.epochs}, batch {checkpoint.state.batches_done}"
                 if checkpoint.state.epoch < saved.epochs else "training was complete")
        if saved.epochs != epochs_before:
            where += (f"; the run now has {saved.epochs} epochs instead of {epochs_before}, its rate "
                      f"{'rising' if saved.epochs > epochs_before else 'falling'} to what a run of {saved.epochs} "
                      "epochs has at this point")
        print(f"resuming {args.resume}: {where}", file=sys.stderr)
    show_progress = not args.quiet and sys.stderr.isatty()
    _check_plot_loss(args)
    from cbow.training.training_log import TrainingLog, log_path_for

    # the log continues: records up to the checkpoint are kept, later ones are written again
    log = TrainingLog.resume(log_path_for(output), checkpoint.state.words_done)
    callbacks = _run_callbacks(args, saved, log, _epoch_evaluations(args))
    args.vocab = args.vocab or checkpoint.vocab_path
    result = _run_with_checkpoints(args, saved, source, output, checkpoint.vocab, checkpoint,
                                   show_progress, callbacks, checkpoint_path=checkpoint_path)
    if result is None:
        return 130
    _warn_if_not_separated(result)
    _save_vectors(args, result.wv, output, model=result, checkpoint_path=checkpoint_path)
    _save_model(args, result)
    _plot_loss(args, saved, result)
    return 0


def _resume_paths(args, checkpoint) -> tuple[str, Path]:
    """(vectors, checkpoint) a resumed run writes (docs/usage.md, "Where a resumed run writes").

    The vectors go to -o, else beside the checkpoint given, under the file name of the run's
    output (never to the folder the checkpoint names: it may be a copy, or edited). The
    checkpoints go to the checkpoint given, or with -o to OUTPUT.ckpt, which must not be
    another run's checkpoint: a run removes, when it is done, only the checkpoint it saves to.
    """
    from cbow.training.checkpoint import CheckpointError, checkpoint_path_for

    given = Path(args.resume)
    if args.output is None:
        if checkpoint.output is None:
            raise CheckpointError(f"{given}: names no output (saved by cbow.train in Python); give -o VECTORS")
        output, checkpoint_path = str(given.parent / Path(checkpoint.output).name), given
    else:
        output = args.output
        streamed = output_target(output).stream
        checkpoint_path = given if streamed else checkpoint_path_for(output)
        if checkpoint_path.exists() and not _same_path(checkpoint_path, given):
            raise CheckpointError(f"{checkpoint_path}: another run's checkpoint is there, and this run would replace "
                                  f"it; resume that one, remove it, or give another -o")
    if _same_path(output, given):
        raise CheckpointError(f"{given}: the run's output {output} would replace the checkpoint itself; "
                              "give -o VECTORS")
    return output, checkpoint_path


def _same_path(first, second) -> bool:
    return Path(first).resolve() == Path(second).resolve()


def _check_phrase_table(checkpoint_name: str, phrases: str | None) -> None:
    """The phrase table a checkpoint names, read before the run: an error names it and the
    line, and never quotes the file (an edited checkpoint may name any file of the machine)."""
    if phrases is None:
        return
    import re

    from cbow.data.phrase_table import load_phrase_table
    from cbow.training.checkpoint import CheckpointError

    fix = "put the table the run used back at that path, or start afresh without --resume"
    path = Path(phrases)
    if not path.is_file():
        what = "gone" if not path.exists() else "not a regular file"
        raise CheckpointError(f"{checkpoint_name}: its phrase table {path} is {what}; {fix}")
    try:
        load_phrase_table(path)
    except CbowError as error:
        line = re.match(r":(\d+):", str(error)[len(str(path)):])
        where = f" (line {line.group(1)})" if line else ""
        raise CheckpointError(f"{checkpoint_name}: its phrase table {path} is not a readable phrase table{where}; "
                              f"{fix}") from None
