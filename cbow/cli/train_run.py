"""How `cbow train` runs: the corpus (cached, in memory or memory-mapped), checkpoints, outputs.

The corpus is encoded in memory (or read from the cache), or, for a corpus larger than a
quarter of the free memory, counted in bounded memory and memory-mapped (with --cluster
the nodes read it); a run (in one process, in workers or on a cluster) saves OUTPUT.ckpt checkpoints and stops cleanly on Ctrl-C; at the end the vectors (and
--plot-loss's image) are written.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cbow.cli.args import PROG, _check_output_dir, check_train_output
from cbow.training.callbacks import Callback


def _corpus_cache_dir(args):
    """The encoded-corpus cache of train/plan: --cache-dir, the default one, or None (--no-cache)."""
    if args.no_cache:
        return None
    from cbow.data.cache import default_cache_dir

    return args.cache_dir if args.cache_dir is not None else default_cache_dir()


def _load_vocab(path: str, config):
    from cbow.data.prepare import corpus_keep_words
    from cbow.data.vocab import Vocab

    loaded = Vocab.load(path)
    return Vocab.from_counts(loaded.words, loaded.counts, config.min_count, config.max_vocab, name=path,
                             keep_words=corpus_keep_words(config))


def _use_low_memory(args, source) -> bool:
    """--low-memory, or a corpus file bigger than a quarter of the free memory (compressed x 3)."""
    from cbow.data.corpus import total_size
    from cbow.training.memory import available_memory

    if args.low_memory:
        return True
    if source == "-":
        return False
    size = total_size(source)
    available = available_memory()
    if size is None or available is None:
        return False
    compressed = str(source).endswith((".gz", ".bz2", ".xz"))
    return size * (3 if compressed else 1) > available / 4


def _prepare_corpus(args, config, source, output: str, vocab, cache_dir=None, init=None):
    """(vocab, encoded, ids_file or None): in memory (or from the cache), or counted in bounded
    memory and memory-mapped from `ids_file` (a cbow.scratch.HeldFile beside the output:
    `remove()` it once `encoded` is dropped). With a whole model to continue (`init`), its
    vocabulary grown by the corpus' words."""
    from cbow.data.encode import encode_with_vocab
    from cbow.data.prepare import corpus_keep_words, corpus_tokenizer, prepare, prepare_grown
    from cbow.training.full_model import Model

    grow = isinstance(init, Model) and vocab is None
    if not _use_low_memory(args, source):
        if grow:
            vocab, encoded = prepare_grown(source, config, init.vocab, progress=not args.quiet and sys.stderr.isatty(),
                                           cache_dir=cache_dir)
        elif vocab is None:
            vocab, encoded = prepare(source, config, progress=not args.quiet and sys.stderr.isatty(),
                                     cache_dir=cache_dir)
        else:
            encoded = encode_with_vocab(source, vocab, corpus_tokenizer(config), config.max_sentence_length,
                                        encoding_errors=config.encoding_errors)
        return vocab, encoded, None
    from cbow.data.counting import DEFAULT_MAX_TYPES, build_vocab_bounded, count_words, encode_to_file

    if grow:
        from cbow.data.vocab import grow_vocab

        counts = count_words(source, corpus_tokenizer(config), args.max_types_in_memory or DEFAULT_MAX_TYPES,
                             config.encoding_errors)
        vocab, _ = grow_vocab(init.vocab, counts.words, counts.counts, config.min_count, config.max_vocab,
                              corpus_keep_words(config))
    elif vocab is None:
        vocab = build_vocab_bounded(source, corpus_tokenizer(config), config.min_count, config.max_vocab,
                                    args.max_types_in_memory or DEFAULT_MAX_TYPES, config.encoding_errors,
                                    keep_words=corpus_keep_words(config))
    ids_file = _new_ids_file(output)
    try:
        encoded = encode_to_file(source, vocab, ids_file.path, corpus_tokenizer(config), config.max_sentence_length,
                                 config.encoding_errors)
    except BaseException:
        ids_file.remove()
        raise
    return vocab, encoded, ids_file


def _ids_file_prefix(output: str) -> str:
    return f".{Path(output).name}.ids."


def _new_ids_file(output: str):
    """The --low-memory ids' file beside OUTPUT: `.OUTPUT.ids.PID.XXXXXXXX.tmp`, made under a
    fresh name (mkstemp: a link planted at a name we would choose is never followed) and
    held while the run lives (cbow.scratch)."""
    from cbow.errors import OutputError
    from cbow.scratch import HeldFile

    directory = Path(output).parent
    try:
        return HeldFile(directory, _ids_file_prefix(output))
    except OSError as exc:
        raise OutputError(f"{directory}: cannot write the encoded corpus beside {output} "
                          f"({exc.strerror or exc}); choose another -o directory") from None


def sweep_leftovers(output: str) -> None:
    """Remove what a killed run writing OUTPUT left beside it: the temporary files of OUTPUT,
    OUTPUT.ckpt and OUTPUT.log.jsonl, and --low-memory's ids (cbow.scratch: never a live run's)."""
    from cbow.atomic import output_target, sweep_temporaries
    from cbow.scratch import held_name_pattern, sweep
    from cbow.training.checkpoint import checkpoint_path_for
    from cbow.training.training_log import log_path_for

    if output_target(output).stream:
        return
    for path in (output, checkpoint_path_for(output), log_path_for(output)):
        sweep_temporaries(path)
    sweep(Path(output).parent, held_name_pattern(_ids_file_prefix(output), ".tmp"))


def _run_with_checkpoints(args, config, source, output: str, vocab, resume, show_progress, callbacks,
                          cache_dir=None, init=None, checkpoint_path=None):
    """Train with checkpoints (to `checkpoint_path`, OUTPUT.ckpt unless given); None when
    Ctrl-C stopped it (after saying how to resume)."""
    import os

    from cbow.errors import OutputError
    from cbow.training.checkpoint import HOLD_AT_ENV, Checkpointer, TrainingInterrupted, checkpoint_path_for
    from cbow.training.loop import train

    cluster = getattr(args, "cluster", None)
    if cluster is None and resume is not None and resume.state.cluster is not None:
        cluster = resume.state.cluster.get("spec") or None  # the checkpoint's cluster, unless a Client's
    check_side_files(output)
    sweep_leftovers(output)
    if cluster is not None:  # the nodes read the corpus themselves (cbow.training.cluster)
        encoded, ids_file = None, None
    else:
        vocab, encoded, ids_file = _prepare_corpus(args, config, source, output, vocab, cache_dir, init)
    callbacks = [OutputSpace(output, check_train_output(output, args.binary).name), *callbacks]
    checkpointer = Checkpointer(
        checkpoint_path if checkpoint_path is not None else checkpoint_path_for(output), args.checkpoint_every,
        corpus_path=None if source == "-" else str(Path(source).resolve()),
        output=str(Path(output).resolve()),
        vocab_path=None if not args.vocab else str(Path(args.vocab).resolve()),
        hold_at=float(os.environ[HOLD_AT_ENV]) if os.environ.get(HOLD_AT_ENV) else None,
    )
    try:
        with checkpointer.catch_interrupts():
            return train(source if cluster is not None else None, config=config, callbacks=callbacks, vocab=vocab,
                         encoded=encoded, progress=show_progress, checkpointer=checkpointer, resume=resume,
                         init=init, cluster=cluster, sync_every=getattr(args, "sync_every", None))
    except OutputError as failed:  # a full disk at a checkpoint or the log: what is kept, and how to go on
        if checkpointer.n_saved or resume is not None:
            raise with_resume_note(failed, checkpointer.path) from None
        raise
    except TrainingInterrupted as stop:
        _ignore_further_sigterm()
        print(f"{PROG} train: interrupted; checkpoint saved to {stop.checkpoint_path}; resume with: "
              f"{PROG} train --resume {stop.checkpoint_path}", file=sys.stderr)
        return None
    finally:
        if ids_file is not None:
            del encoded
            ids_file.remove()


def with_resume_note(failed, checkpoint: Path):
    """`failed` (an OutputError of a checkpointed run) saying which checkpoint is kept and the
    command that goes on from it once there is room; `failed` itself without a checkpoint."""
    from cbow.errors import OutputError

    if not checkpoint.exists():
        return failed
    return OutputError(f"{failed}; the last checkpoint, {checkpoint}, is kept: then continue with "
                       f"{PROG} train --resume {checkpoint}")


def check_side_files(output: str) -> None:
    """OUTPUT.ckpt and OUTPUT.log.jsonl can be written, checked before any work (a link
    planted there by another user, cbow.atomic)."""
    from cbow.atomic import check_writable
    from cbow.training.checkpoint import checkpoint_path_for
    from cbow.training.training_log import log_path_for

    for path in (checkpoint_path_for(output), log_path_for(output)):
        check_writable(path)


def _ignore_further_sigterm() -> None:
    """After a SIGTERM's checkpoint is saved, the process only has to exit (status 130).

    `timeout` sends SIGTERM to the process and then to its group, and the handler that
    turned the first into a checkpoint is gone: a second one arriving while the process
    exits would end it by the signal, status -15 instead of 130. With workers that stop in
    milliseconds (forked), the second one usually comes that late.
    """
    import signal

    try:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    except ValueError:  # not the main thread: nothing to protect there
        pass


class OutputSpace(Callback):
    """Refuses, as training begins (after the memory check), a run whose vectors and
    checkpoints would not fit on the disk they are written to (cbow.training.disk)."""

    def __init__(self, output: str, format_name: str) -> None:
        self.output, self.format_name = output, format_name

    def on_train_begin(self, run) -> None:
        from cbow.training.disk import check_output_space

        check_output_space(self.output, run.vocab, run.config.size, run.W_out.shape[0], self.format_name)


def _save_vectors(args, wv, output: str, model=None, checkpoint_path=None) -> None:
    """Write the vectors to OUTPUT; a .cbow output gets the whole `model` (W_out too). Then
    the run's checkpoint (`checkpoint_path`, OUTPUT.ckpt unless given) goes, unless kept."""
    from cbow.cli.args import check_train_output, noting_overwrite
    from cbow.errors import OutputError
    from cbow.training.checkpoint import checkpoint_path_for

    from cbow.wording import counted

    output_format = check_train_output(output, args.binary)
    whole = model is not None and output_format.name == "cbow"
    try:
        with noting_overwrite("train", output):
            if whole:
                model.save(output)
            else:
                wv.save(output, format=output_format)
    except OutputError as failed:  # a full disk: the last epoch's checkpoint is there to write them again
        raise with_resume_note(failed, checkpoint_path_for(output)) from None
    print(f"saved {counted(len(wv), 'vector')} of size {wv.vector_size}{' and W_out (the whole model)' if whole else ''} "
          f"to {'standard output' if output == '-' else output} ({output_format})", file=sys.stderr)
    checkpoint = checkpoint_path if checkpoint_path is not None else checkpoint_path_for(output)
    if checkpoint.exists() and not getattr(args, "keep_checkpoint", False):  # complete: no longer needed
        checkpoint.unlink()


def _check_plot_loss(args) -> None:
    """--plot-loss without matplotlib, or into a missing directory, fails now, not after training."""
    if args.plot_loss is not None:
        from cbow.vectors.plot import _figure_module

        _figure_module()
        _check_output_dir(args.plot_loss)


def _plot_loss(args, config, result) -> None:
    """--plot-loss: the training loss, learning rate and held-out scores of the run."""
    if args.plot_loss is None:
        return
    from cbow.vectors.plot import plot_loss

    curves = "training and held-out loss" if result.heldout_history else "training loss"
    plot_loss(result.loss_history, args.plot_loss, heldout_history=result.heldout_history,
              title=f"{curves} ({config.objective}, {config.epochs} epochs)")
    print(f"drew the loss curve to {args.plot_loss}", file=sys.stderr)
