"""`cbow phrases`: find a corpus' phrases (word2phrase's score) and write it with them joined."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time

from cbow.cli.args import (
    _check_output_dir, add_reading_arguments, non_negative_float, noting_overwrite, positive_int,
)
from cbow.errors import ConfigError


def _thresholds(text: str) -> tuple[float, ...]:
    """'100' or '200,100' (one per pass): numbers >= 0."""
    values = []
    for part in text.split(","):
        values.append(non_negative_float(part.strip()))
    return tuple(values)


def _add_phrases(subparsers) -> None:
    parser = subparsers.add_parser(
        "phrases", help="join frequent word pairs into phrases (new york -> new_york), as word2phrase",
        description="Count the words and adjacent pairs of a corpus in bounded memory and join the pairs seen\n"
                    "together far more often than chance, as word2vec's word2phrase and gensim's Phrases do:\n\n"
                    "    score = (count(a b) - delta) / (count(a) count(b)) * N\n\n"
                    "a phrase when score > threshold and every count >= --min-count. N is the number of tokens\n"
                    "(word2phrase) or, with --scoring gensim, of distinct words + pairs (gensim). A second pass\n"
                    "(--passes 2) runs on the text the first made, giving trigrams. The output is the tokenized\n"
                    "text, one line per input line: train on it with --tokenizer whitespace (the default\n"
                    "tokenizer splits at '_'), or save the table and train on the original corpus with\n"
                    "cbow train --phrases TABLE.",
        epilog="example:\n"
               "  cbow phrases text.txt.gz -o text-phrases.txt.gz --threshold 200,100 --save-table phrases.tsv\n"
               "  cbow phrases text.txt.gz --table phrases.tsv          (only the table)\n"
               "  cbow phrases more.txt --read-table phrases.tsv -o more-phrases.txt\n"
               "  cbow train text-phrases.txt.gz --tokenizer whitespace -o vectors.bin",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("corpus", help="text file, .gz, .bz2, .xz, directory, or - for stdin (with --read-table)")
    parser.add_argument("-o", "--output", default=None,
                        help="write the corpus with its phrases joined here (.gz/.bz2/.xz: compressed)")
    parser.add_argument("--save-table", "--table", dest="save_table", default=None, metavar="TABLE",
                        help="write the phrase table (phrase<TAB>count<TAB>score<TAB>pass); without -o only "
                             "the table is written")
    parser.add_argument("--read-table", default=None, metavar="TABLE",
                        help="apply this saved table instead of finding phrases (one read of the corpus; the "
                             "scoring flags are then unused)")
    parser.add_argument("--threshold", type=_thresholds, default=None, metavar="T[,T2]",
                        help="score a pair must exceed, one value or one per pass (default 100, word2phrase's; "
                             "word2vec's scripts run 200,100; gensim's default is 10 with --scoring gensim)")
    parser.add_argument("--passes", type=positive_int, default=None,
                        help="1: pairs; 2: a second pass over the joined text finds trigrams (default 1, or "
                             "the number of --threshold values)")
    parser.add_argument("--min-count", type=positive_int, default=5,
                        help="a pair and both its words must occur this often (default 5, as word2phrase and gensim)")
    parser.add_argument("--delta", type=non_negative_float, default=None,
                        help="discount subtracted from count(a b) in the score (default: --min-count, as both peers)")
    parser.add_argument("--scoring", choices=["word2phrase", "gensim"], default="word2phrase",
                        help="N of the score: word2phrase = tokens read; gensim = distinct words + pairs counted "
                             "(default word2phrase)")
    add_reading_arguments(parser, "distinct words + pairs held while counting before rare ones are pruned, as "
                                  "word2vec does (default 10,000,000: about 1 GB)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=_cmd_phrases)


def _settings(args):
    """PhraseSettings from the flags, or ConfigError when --threshold and --passes disagree."""
    from cbow.data.phrases import PhraseSettings

    thresholds = args.threshold or (100.0,)
    passes = args.passes or len(thresholds)
    if len(thresholds) == 1:
        thresholds = thresholds * passes
    elif len(thresholds) != passes:
        raise ConfigError(f"--threshold {','.join(f'{t:g}' for t in thresholds)}: gives {len(thresholds)} "
                          f"values for --passes {passes}; give one value or one per pass")
    return PhraseSettings(thresholds=thresholds, min_count=args.min_count, delta=args.delta, scoring=args.scoring)


class _PassProgress:
    """One tqdm bar per read of the corpus (on stderr, when it is a terminal and not --quiet)."""

    def __init__(self, enabled: bool, corpus: str) -> None:
        self.enabled, self.corpus, self.bar = enabled, corpus, None

    def __call__(self, _pass_no: int = 0):
        from cbow.data.encode import _Progress

        self.close()
        self.bar = _Progress(self.enabled, self.corpus)
        return self.bar.callback

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _cmd_phrases(args) -> int:
    from cbow.data.counting import DEFAULT_MAX_TYPES
    from cbow.data.phrase_corpus import write_phrased_corpus
    from cbow.data.phrase_table import load_phrase_table, save_phrase_table
    from cbow.data.phrases import check_phrase_settings, check_rereadable, learn_phrases

    if args.read_table is not None:
        if args.save_table is not None:
            raise ConfigError("--read-table and --save-table: the table is already saved; give one of them")
        if args.output is None:
            raise ConfigError("--read-table: nothing to write; give -o OUT for the corpus with phrases joined")
    elif args.output is None and args.save_table is None:
        raise ConfigError("nothing to write; give -o OUT for the corpus with phrases joined and/or "
                          "--save-table TABLE for the phrase table")
    for path in (args.output, args.save_table):
        if path is not None:
            _check_output_dir(path)
    progress = _PassProgress(not args.quiet and sys.stderr.isatty(), args.corpus)
    started = time.perf_counter()
    with contextlib.closing(progress):
        if args.read_table is not None:
            table = load_phrase_table(args.read_table)
        else:
            settings = _settings(args)
            check_phrase_settings(settings)
            reads = len(settings.thresholds) + (args.output is not None)
            check_rereadable(args.corpus, reads)
            table = learn_phrases(args.corpus, settings, args.tokenizer,
                                  args.max_types_in_memory or DEFAULT_MAX_TYPES, args.encoding_errors, progress)
            for pass_no, (pairs, threshold) in enumerate(zip(table.passes, settings.thresholds), start=1):
                print(f"pass {pass_no}: {len(pairs):,} phrases score > {threshold:g}", file=sys.stderr)
            if args.save_table is not None:
                with noting_overwrite("phrases", args.save_table):
                    save_phrase_table(table, args.save_table)
                print(f"saved {len(table):,} phrases to {args.save_table}", file=sys.stderr)
        if args.output is not None:
            with noting_overwrite("phrases", args.output):
                rewrite = write_phrased_corpus(args.corpus, table, args.output, args.tokenizer,
                                               args.encoding_errors, progress())
            print(f"wrote {args.output}: {rewrite.n_lines:,} lines, {rewrite.n_tokens_in:,} tokens -> "
                  f"{rewrite.n_tokens_out:,} ({time.perf_counter() - started:.1f} s); train on it with "
                  "--tokenizer whitespace", file=sys.stderr)
    return 0
