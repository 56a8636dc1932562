"""`cbow explore`: serve a local web page over one or more vectors files (cbow.explore)."""

from __future__ import annotations

import argparse
import sys

from cbow.cli.args import PROG


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must lie in 0..65535 (0 = any free port), got {value}")
    return value


def _add_explore(subparsers) -> None:
    parser = subparsers.add_parser(
        "explore", help="a local web page: neighbours, analogies, a map, two files side by side, training curves",
        description="Serve a web page over vectors files, read-only, on this machine: search words with "
                    "completion and walk their neighbours, solve analogies (3CosAdd, 3CosMul), look at a "
                    "PCA map of the most frequent words (t-SNE / UMAP with the explore extra), compare two "
                    "files word by word (overlap@k), plot the training log beside a file, run the "
                    "evaluation sets cbow knows. Works offline: the page ships with cbow.",
        epilog="example:\n  cbow explore vectors.bin\n  cbow explore old.cbow new.cbow --open\n"
               "  cbow explore vectors.bin --port 8000 --host 0.0.0.0   # other machines too (warned)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("vectors", nargs="+", metavar="VECTORS",
                        help="vectors files (word2vec binary/text, fastText .vec, GloVe, .cbow: memory-mapped)")
    parser.add_argument("--port", type=_port, default=0, help="port to listen on (default: a free one)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only; any other is warned)")
    parser.add_argument("--open", action="store_true", help="open the page in the default web browser")
    parser.set_defaults(run=_cmd_explore)


def _cmd_explore(args) -> int:
    import threading
    import webbrowser

    from cbow.explore.served import load_files
    from cbow.explore.server import ExploreServer, describe, is_loopback

    files = load_files(args.vectors)
    server = ExploreServer(files, host=args.host, port=args.port)
    if not is_loopback(args.host):
        print(f"{PROG} explore: warning: listening on {args.host}:{server.port}: anyone who can reach this "
              "machine on that port can read the vectors and their words; leave --host out to serve on "
              "127.0.0.1 only", file=sys.stderr)
    print(f"{PROG} explore: serving {describe(files)}; Ctrl-C stops", file=sys.stderr)
    print(server.url, flush=True)
    if args.open:
        threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print(f"{PROG} explore: stopped", file=sys.stderr)
    finally:
        server.close()
    return 0
