"""`cbow datasets`: list, fetch or locate public evaluation sets and corpora."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cbow.errors import ConfigError


def _add_datasets(subparsers) -> None:
    parser = subparsers.add_parser(
        "datasets", help="list, fetch or locate public evaluation sets and corpora",
        description="Standard evaluation sets and corpora are not shipped; this downloads them into a cache "
                    "($CBOW_DATA, else ~/.cache/cbow/datasets) with checksums, never leaving a partial file.",
        epilog="example:\n  cbow datasets list\n  cbow datasets fetch questions-words wordsim353 simlex999\n"
               "  cbow datasets path questions-words",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=["list", "fetch", "path"], help="list | fetch NAME... | path NAME...")
    parser.add_argument("names", nargs="*", help="dataset names (see 'cbow datasets list')")
    parser.add_argument("--force", action="store_true", help="fetch: download again even if cached")
    parser.add_argument("--cache-dir", default=None, help="cache directory (default: $CBOW_DATA or ~/.cache/cbow/datasets)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=_cmd_datasets)


def _cmd_datasets(args) -> int:
    from cbow.vectors import datasets

    cache = Path(args.cache_dir) if args.cache_dir else datasets.cache_dir()
    if args.action == "list":
        pins = datasets.read_pins(cache)
        print(f"# cache: {cache}")
        # Commented like the cache line, so `grep -v '^#'` or `cut -f1` scripts see only datasets.
        print("# name\tkind\tstatus\tchecksum\tdescription\turl")
        for dataset in datasets.REGISTRY.values():
            where = (cache / dataset.filename)
            status = "cached" if where.is_file() else "gensim" if datasets.gensim_copy(dataset) else "-"
            checksum = "sha256 shipped" if dataset.sha256 else "sha256 pinned" if dataset.name in pins else "no sha256 yet"
            print(f"{dataset.name}\t{dataset.kind}\t{status}\t{checksum}\t{dataset.description}\t{dataset.url}")
        return 0
    if not args.names:
        raise ConfigError(f"'cbow datasets {args.action}' needs dataset names; see 'cbow datasets list'")
    for name in args.names:
        datasets.get(name)  # unknown names fail before any download
    for name in args.names:
        if args.action == "path":
            found = datasets.locate(name, cache)
            if found is None:
                raise ConfigError(f"dataset {name!r} is not downloaded yet; run: cbow datasets fetch {name}")
            print(found)
            continue
        result = datasets.fetch(name, cache=cache, force=args.force, progress=not args.quiet and sys.stderr.isatty())
        if result.pinned_now:
            print(f"{name}: first download, sha256 {result.sha256} pinned in {cache / 'pins.json'}", file=sys.stderr)
        print(result.path)
    return 0
