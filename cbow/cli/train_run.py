"""How `cbow train` runs: the corpus (cached, in memory or memory-mapped), checkpoints, outputs.

The corpus is encoded in memory (or read from the cache), or, for a corpus larger than a
quarter of the free memory, counted in bounded memory and memory-mapped (with --cluster
the nodes read it); a run (in one process, in workers or on a cluster) saves OUTPUT.ckpt checkpoints and stops cleanly on Ctrl-C; at the end the vectors (and
--plot-loss's image) are written.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cbow.cli.args import PROG, _check_output_dir


def _corpus_cache_dir(args):
    """The encoded-corpus cache of train/plan: --cache-dir, the default one, or None (--no-cache)."""
    if args.no_cache:
        return None
    from cbow.data.cache import default_cache_dir

    return args.cache_dir if args.cache_dir is not None else default_cache_dir()


def _load_vocab(path: str, config):
    from cbow.data.vocab import Vocab

    loaded = Vocab.load(path)
    return Vocab.from_counts(loaded.words, loaded.counts, config.min_count, config.max_vocab, name=path)


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


def _prepare_corpus(args, config, source, output: str, vocab, cache_dir=None):
    """(vocab, encoded, ids_path or None): in memory (or from the cache), or counted in bounded
    memory and memory-mapped."""
    from cbow.data.encode import encode_with_vocab
    from cbow.data.prepare import prepare

    if not _use_low_memory(args, source):
        if vocab is None:
            vocab, encoded = prepare(source, config, progress=not args.quiet and sys.stderr.isatty(),
                                     cache_dir=cache_dir)
        else:
            encoded = encode_with_vocab(source, vocab, config.tokenizer, config.max_sentence_length,
                                        encoding_errors=config.encoding_errors)
        return vocab, encoded, None
    import os

    from cbow.data.counting import DEFAULT_MAX_TYPES, build_vocab_bounded, encode_to_file

    if vocab is None:
        vocab = build_vocab_bounded(source, config.tokenizer, config.min_count, config.max_vocab,
                                    args.max_types_in_memory or DEFAULT_MAX_TYPES, config.encoding_errors)
    ids_path = Path(output).parent / f".{Path(output).name}.ids.{os.getpid()}.tmp"
    encoded = encode_to_file(source, vocab, ids_path, config.tokenizer, config.max_sentence_length,
                             config.encoding_errors)
    return vocab, encoded, ids_path


def _run_with_checkpoints(args, config, source, output: str, vocab, resume, show_progress, callbacks,
                          cache_dir=None):
    """Train with OUTPUT.ckpt checkpoints; None when Ctrl-C stopped it (after saying how to resume)."""
    import os

    from cbow.training.checkpoint import HOLD_AT_ENV, Checkpointer, TrainingInterrupted, checkpoint_path_for
    from cbow.training.loop import train

    cluster = getattr(args, "cluster", None)
    if cluster is None and resume is not None and resume.state.cluster is not None:
        cluster = resume.state.cluster.get("spec") or None  # the checkpoint's cluster, unless a Client's
    if cluster is not None:  # the nodes read the corpus themselves (cbow.training.cluster)
        encoded, ids_path = None, None
    else:
        vocab, encoded, ids_path = _prepare_corpus(args, config, source, output, vocab, cache_dir)
    checkpointer = Checkpointer(
        checkpoint_path_for(output), args.checkpoint_every,
        corpus_path=None if source == "-" else str(Path(source).resolve()),
        output=str(Path(output).resolve()),
        vocab_path=None if not args.vocab else str(Path(args.vocab).resolve()),
        hold_at=float(os.environ[HOLD_AT_ENV]) if os.environ.get(HOLD_AT_ENV) else None,
    )
    try:
        with checkpointer.catch_interrupts():
            return train(source if cluster is not None else None, config=config, callbacks=callbacks, vocab=vocab,
                         encoded=encoded, progress=show_progress, checkpointer=checkpointer, resume=resume,
                         cluster=cluster, sync_every=getattr(args, "sync_every", None))
    except TrainingInterrupted as stop:
        print(f"{PROG} train: interrupted; checkpoint saved to {stop.checkpoint_path}; resume with: "
              f"{PROG} train --resume {stop.checkpoint_path}", file=sys.stderr)
        return None
    finally:
        if ids_path is not None:
            del encoded
            ids_path.unlink(missing_ok=True)


def _save_vectors(args, wv, output: str) -> None:
    from cbow.training.checkpoint import checkpoint_path_for

    binary = None if args.binary is None else bool(args.binary)
    wv.save_word2vec_format(output, binary=binary)
    print(f"saved {len(wv):,} vectors of size {wv.vector_size} to {output}", file=sys.stderr)
    checkpoint = checkpoint_path_for(output)
    if checkpoint.exists():  # the run is complete: its checkpoint is no longer needed
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
