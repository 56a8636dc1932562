"""The commands that read one vectors file: `similar`, `analogy`, `query` (the prompt), `convert`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cbow.cli.args import _add_vectors_argument, _load_vectors, noting_overwrite, positive_int
from cbow.errors import CbowError


def _add_similar(subparsers) -> None:
    parser = subparsers.add_parser(
        "similar", help="nearest neighbours of words by cosine similarity",
        epilog="example:\n  cbow similar vectors.bin paris king --topn 10\n"
               "  cbow similar vectors.bin paris --json | jq .",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_vectors_argument(parser)
    parser.add_argument("words", nargs="+", help="query words (answered together, as one matrix product)")
    parser.add_argument("--topn", "--top", dest="topn", type=positive_int, default=10, help="neighbours per word (default 10)")
    parser.add_argument("--restrict-vocab", type=positive_int, default=None,
                        help="search only the N most frequent words (default: all)")
    parser.add_argument("--json", action="store_true", help="print one JSON object {word: [[neighbour, cosine], ...]}")
    parser.set_defaults(run=_cmd_similar)


def _resolved(kv, words: list[str], command: str) -> list[str]:
    """The vocabulary keys of typed words, 'King' -> 'king' when only that is there, said once on stderr."""
    from cbow.vectors.spelling import WordResolver

    resolver = WordResolver(kv)
    keys = [resolver(word) for word in words]
    _print_notices(resolver, command)
    return keys


def _print_notices(resolver, command: str) -> None:
    from cbow.cli.args import PROG

    for notice in resolver.take_notices():
        print(f"{PROG} {command}: {notice}", file=sys.stderr)


def _print_ngram_notices(kv, keys: list[str], command: str) -> None:
    """Say on stderr which query words are not in the vocabulary and got their vector from n-grams."""
    from cbow.cli.args import PROG
    from cbow.vectors.query import ngram_notices

    for notice in ngram_notices(kv, keys):
        print(f"{PROG} {command}: {notice}", file=sys.stderr)


def _cmd_similar(args) -> int:
    import json

    kv = _load_vectors(args)
    keys = _resolved(kv, args.words, "similar")
    _print_ngram_notices(kv, keys, "similar")
    results = kv.most_similar_many(keys, topn=args.topn, restrict_vocab=args.restrict_vocab)
    if args.json:
        print(json.dumps({word: [[w, round(s, 6)] for w, s in found] for word, found in zip(args.words, results)},
                         ensure_ascii=False))
        return 0
    for word, found in zip(args.words, results):
        for neighbour, score in found:
            print(f"{word}\t{neighbour}\t{score:.4f}")
    return 0


def _add_analogy(subparsers) -> None:
    parser = subparsers.add_parser(
        "analogy", help="solve a : b :: c : ? (3CosAdd, or 3CosMul with --cosmul)",
        epilog="examples:\n  cbow analogy vectors.bin man king woman      # man : king :: woman : ? -> queen\n"
               "  cbow analogy vectors.bin king-man+woman      # the same as an expression (gensim's\n"
               "                                               # most_similar(positive, negative))",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_vectors_argument(parser)
    parser.add_argument("a", help="the first word (man), or a whole expression: 'king - man + woman'")
    parser.add_argument("b", nargs="?", help="the word a maps to (king)")
    parser.add_argument("c", nargs="?", help="the word whose counterpart is asked for (woman)")
    parser.add_argument("--topn", "--top", dest="topn", type=positive_int, default=5, help="answers to show (default 5)")
    parser.add_argument("--cosmul", action="store_true", help="3CosMul (Levy & Goldberg) instead of 3CosAdd")
    parser.add_argument("--restrict-vocab", type=positive_int, default=None,
                        help="answer only with the N most frequent words (default: all)")
    parser.add_argument("--json", action="store_true", help="print [[answer, score], ...] as JSON")
    parser.set_defaults(run=_cmd_analogy)


def _cmd_analogy(args) -> int:
    import json

    if args.b is not None and args.c is None:
        raise CbowError("give three words (a b c for a : b :: c : ?) or one expression ('king - man + woman'), "
                        "not two words")
    kv = _load_vectors(args)
    if args.b is None:  # one expression: its + words and - words
        from cbow.vectors.query import parse_expression

        # vocabulary words: with n-grams any word is "in" the vectors, and 'king-man' would be one
        positive, negative = parse_expression(args.a, is_word=kv.has_index_for)
        if not positive:
            raise CbowError(f"{args.a!r} has no word to add; write e.g. 'king - man + woman'")
        positive, negative = _resolved(kv, positive, "analogy"), _resolved(kv, negative, "analogy")
    else:
        a, b, c = _resolved(kv, [args.a, args.b, args.c], "analogy")
        positive, negative = [b, c], [a]
    _print_ngram_notices(kv, positive + negative, "analogy")
    method = kv.most_similar_cosmul if args.cosmul else kv.most_similar
    answers = method(positive=positive, negative=negative, topn=args.topn, restrict_vocab=args.restrict_vocab)
    if args.json:
        print(json.dumps([[w, round(s, 6)] for w, s in answers], ensure_ascii=False))
    else:
        for answer, score in answers:
            print(f"{answer}\t{score:.4f}")
    return 0


def _add_query(subparsers) -> None:
    from cbow.vectors.query import HELP

    parser = subparsers.add_parser(
        "query", help="interactive prompt: neighbours, expressions, :sim, :odd",
        description="An interactive prompt over the vectors. From a pipe, answers one line per input line.\n\n" + HELP,
        epilog="example:\n  cbow query vectors.bin\n  printf 'paris\\nking - man + woman\\n' | cbow query vectors.bin",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_vectors_argument(parser)
    parser.add_argument("--topn", "--top", dest="topn", type=positive_int, default=10, help="neighbours per answer (default 10)")
    parser.add_argument("--restrict-vocab", type=positive_int, default=None,
                        help="search only the N most frequent words (default: all)")
    parser.add_argument("--history", default=None,
                        help="readline history file (default: ~/.cache/cbow/query_history; not written if unwritable)")
    parser.set_defaults(run=_cmd_query)


def _cmd_query(args) -> int:
    import contextlib

    from cbow.vectors.query import Session, readline_history
    from cbow.vectors.spelling import WordResolver
    from cbow.vectors.subword_keyed import SubwordKeyedVectors

    kv = _load_vectors(args)
    session = Session(kv, topn=args.topn, restrict_vocab=args.restrict_vocab, resolver=WordResolver(kv))
    interactive = sys.stdin.isatty()
    if interactive:
        any_word = ", and n-grams: any word has a vector" if isinstance(kv, SubwordKeyedVectors) else ""
        print(f"{len(kv):,} words, dim {kv.vector_size}{any_word}. Type a word, 'king - man + woman', :sim a b, "
              ":odd a b c, :help; Ctrl-D to leave.", file=sys.stderr)
    history = readline_history(Path(args.history) if args.history else None) if interactive else contextlib.nullcontext()
    with history:
        try:
            return _query_loop(session, interactive)
        except KeyboardInterrupt:  # Ctrl-C between two prompts, too, leaves cleanly
            if interactive:
                print(file=sys.stderr)
            return 0


def _query_loop(session, interactive: bool) -> int:
    """Answer lines until EOF, Ctrl-C or :quit; one answer per line when piped.

    Errors go to stderr. Piped, a failed line gets an empty output line (line n of the output
    still answers line n of the input), its error names the line, and the exit status is 1
    when any line failed; at a terminal, mistakes are part of using a prompt: status 0.
    """
    from cbow.cli.args import PROG
    from cbow.vectors.keyed import UnknownWordError
    from cbow.vectors.query import QueryError

    n_failed = 0
    line_no = 0
    while True:
        try:
            line = input("cbow> ") if interactive else sys.stdin.readline()
        except EOFError:
            if interactive:
                print(file=sys.stderr)
            return 0
        if not interactive and line == "":
            return 1 if n_failed else 0
        line_no += 1
        try:
            answer = session.answer(line)
        except (QueryError, UnknownWordError, ValueError) as exc:
            _print_notices(session.resolver, "query")
            session.take_notes()
            if interactive:
                print(f"error: {exc}", file=sys.stderr, flush=True)
            else:
                n_failed += 1
                print(f"{PROG} query: line {line_no}: {exc}", file=sys.stderr, flush=True)
                print(flush=True)
            continue
        _print_notices(session.resolver, "query")
        for note in session.take_notes():
            print(f"{PROG} query: {note}" if not interactive else note, file=sys.stderr, flush=True)
        if answer.kind == "quit":
            return 1 if n_failed and not interactive else 0
        if interactive and answer.kind == "neighbours":
            for word, score in answer.items:
                print(f"  {score:7.4f}  {word}")
        elif interactive and answer.kind == "empty":
            continue
        else:
            print(answer.one_line() if not interactive else answer.text or answer.one_line(), flush=True)


def _add_convert(subparsers) -> None:
    parser = subparsers.add_parser(
        "convert", help="convert vectors between word2vec binary/text, fastText .vec, GloVe, .cbow and Projector TSV",
        description="Read vectors in any supported format and write them in another. The output format "
                    "follows OUTPUT's name: .bin word2vec binary, .txt/.vec text, .glove GloVe, .cbow our "
                    "directory, .tsv the TensorFlow Embedding Projector's tables (OUTPUT = the vectors, "
                    "NAME.metadata.tsv beside it = the words, line for line), each + .gz to compress "
                    "(not .cbow); - writes to standard output (text unless --to says otherwise). Any "
                    "other name needs --to.",
        epilog="example:\n  cbow convert vectors.bin vectors.txt.gz\n"
               "  cbow convert glove.6B.100d.txt glove.cbow --from glove\n"
               "  cbow convert vectors.bin projector.tsv --limit 10000   # + projector.metadata.tsv\n"
               "  cbow convert vectors.cbow - | head",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", help="vectors to read (format detected)")
    parser.add_argument("output", help="vectors to write, or - for standard output")
    parser.add_argument("--from", dest="from_format", default=None,
                        help="input format: word2vec, word2vec-text (fasttext, vec), glove, cbow (default: detected)")
    parser.add_argument("--to", dest="to_format", default=None, metavar="{bin,txt,vec,glove,cbow,tsv}",
                        help="output format (also word2vec, word2vec-text, fasttext, projector; default: by "
                             "OUTPUT's name)")
    parser.add_argument("--limit", type=positive_int, default=None, metavar="N",
                        help="write only the first N vectors (the most frequent words of trained vectors; "
                             "default: all)")
    parser.set_defaults(run=_cmd_convert)


def _cmd_convert(args) -> int:
    from cbow.vectors.formats import canonical_format, check_output_format
    from cbow.vectors.keyed import KeyedVectors
    from cbow.vectors.projector import metadata_path_for
    from cbow.vectors.subword_keyed import SubwordKeyedVectors, has_subwords, load

    named = None if args.from_format is None else canonical_format(args.from_format)
    subwords = named in (None, "cbow", "fasttext-bin") and has_subwords(args.input)
    # checked before reading a big input; a .bin of vectors with n-grams is fastText's, which keeps them
    output_format = check_output_format(args.output, to=args.to_format, subwords=subwords)
    kv = load(args.input, format=args.from_format)
    if args.limit is not None and args.limit < len(kv):
        kv = kv.head(args.limit) if isinstance(kv, SubwordKeyedVectors) else KeyedVectors(
            kv.index_to_key[:args.limit], kv.vectors[:args.limit],
            counts=None if kv.counts is None else kv.counts[:args.limit], config=kv.config)
    with noting_overwrite("convert", args.output):
        kv.save(args.output, format=output_format)
    where = "standard output" if args.output == "-" else args.output
    if output_format.name == "tsv":
        where += f" and the words to {metadata_path_for(args.output)}"
    what = str(output_format)
    if isinstance(kv, SubwordKeyedVectors):
        kept = output_format.name in ("fasttext-bin", "cbow")
        what += f", with {kv.bucket:,} n-gram buckets" if kept else ": the vocabulary's vectors, without the n-grams"
    print(f"wrote {len(kv):,} vectors of size {kv.vector_size} to {where} ({what})", file=sys.stderr)
    return 0
