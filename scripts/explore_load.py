"""Load test of `cbow explore`: concurrent neighbour queries against a generated file, on 127.0.0.1.

    python scripts/explore_load.py [--words 200000] [--dim 100] [--clients 20] [--queries 200]
                                   [--deadline 600] [--big-words 1000000] [--big-dim 300]

1. Writes a --words x --dim .cbow (clustered random vectors, seeded; words w0000000...,
   counts falling with the rank) into a temporary directory.
2. Starts `cbow explore FILE` as its own process (as a user would) and reads its URL.
3. --clients client processes (processes, not threads: a client's own GIL must not slow
   the measure) each send --queries GET /api/neighbours?word=W&topn=10 one after another
   on one keep-alive connection, the words drawn at random (seeded) from the vocabulary.
   Bounded in count and in time: a client stops at --deadline seconds, and the report says
   how many queries were answered.
4. Reports the latency of every query (p50, p90, p99, max, from sending the request to the
   last byte of the answer), the throughput, the errors, and the server's peak memory: the
   summed PSS of its process tree (scripts/pss.py), sampled every 50 ms through the run.
5. With --big-words > 0: a --big-words x --big-dim .cbow, the time `cbow explore` takes to
   open it (loading in-process, as the server does), the first neighbour query and the median
   of the next 20 (in-process, as the server answers them), and the same over HTTP.

The two clients' and the server's processes share the machine's cores, as they would on a
laptop. Measurements and their history go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pss import TreePssSampler  # noqa: E402 (scripts/ is not a package)

from cbow.vectors import cbowformat  # noqa: E402


def write_vectors(path: Path, n_words: int, dim: int, seed: int = 0) -> list[str]:
    """A .cbow of clustered random vectors (so neighbour lists are not all ties); returns the words."""
    rng = np.random.default_rng(seed)
    n_clusters = max(1, n_words // 100)
    centres = rng.standard_normal((n_clusters, dim)).astype(np.float32)
    vectors = np.empty((n_words, dim), dtype=np.float32)
    for start in range(0, n_words, 1 << 16):  # bounded memory for the 1M x 300 file
        stop = min(n_words, start + (1 << 16))
        block = rng.standard_normal((stop - start, dim)).astype(np.float32)
        block += 2 * centres[rng.integers(0, n_clusters, stop - start)]
        vectors[start:stop] = block
    words = [f"w{i:07d}" for i in range(n_words)]
    counts = (1e9 / np.arange(1, n_words + 1)).astype(np.int64) + 5
    cbowformat.save(path, words, vectors, counts=counts)
    return words


def start_server(path: Path) -> tuple[subprocess.Popen, str, float]:
    """`cbow explore PATH` in its own process: (process, base URL, seconds until it printed the URL)."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "cbow", "explore", str(path)], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    url = process.stdout.readline().strip()
    if not url.startswith("http://"):
        process.kill()
        raise SystemExit(f"cbow explore did not start (printed {url!r})")
    return process, url, time.perf_counter() - started


def client(args: tuple) -> dict:
    """One client: `queries` neighbour queries in a row on one connection; the latency of each."""
    url, words, queries, seed, deadline = args
    host, port = url[len("http://"):].rstrip("/").split(":")
    rng = np.random.default_rng(seed)
    connection = http.client.HTTPConnection(host, int(port), timeout=120)
    latencies, errors = [], 0
    for word in rng.choice(words, size=queries):
        if time.time() > deadline:
            break
        start = time.perf_counter()
        connection.request("GET", f"/api/neighbours?word={word}&topn=10")
        response = connection.getresponse()
        body = response.read()
        latencies.append(time.perf_counter() - start)
        if response.status != 200 or len(json.loads(body)["neighbours"]) != 10:
            errors += 1
    connection.close()
    return {"latencies": latencies, "errors": errors}


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def load_test(args, directory: Path) -> None:
    path = directory / "load.cbow"
    started = time.perf_counter()
    words = write_vectors(path, args.words, args.dim)
    print(f"wrote {args.words:,} x {args.dim} to {path.name} in {time.perf_counter() - started:.1f} s")
    process, url, startup = start_server(path)
    try:
        print(f"cbow explore serving at {url} after {startup:.2f} s")
        sample = words[:: max(1, len(words) // 5000)]  # the clients' words: any word, any frequency
        with TreePssSampler(process.pid, mappings=True) as sampler:
            idle = None
            time.sleep(0.5)
            idle = sampler.peak.total_mib if sampler.peak else None
            deadline = time.time() + args.deadline
            jobs = [(url, sample, args.queries, seed, deadline) for seed in range(args.clients)]
            begun = time.perf_counter()
            with multiprocessing.get_context("fork").Pool(args.clients) as pool:
                results = pool.map(client, jobs)
            wall = time.perf_counter() - begun
        latencies = [value for result in results for value in result["latencies"]]
        errors = sum(result["errors"] for result in results)
        asked = args.clients * args.queries
        print(f"{len(latencies):,} of {asked:,} queries answered in {wall:.1f} s ({len(latencies) / wall:.0f} queries/s), "
              f"{errors} errors; {args.clients} clients x {args.queries} queries, topn 10")
        print("latency ms: p50 {:.1f}  p90 {:.1f}  p99 {:.1f}  max {:.1f}  mean {:.1f}".format(
            *(1000 * percentile(latencies, q) for q in (50, 90, 99, 100)), 1000 * statistics.fmean(latencies)))
        print(f"server memory (peak summed PSS of its process tree): {sampler.peak.total_mib:.0f} MiB "
              f"(before the load: {idle:.0f} MiB; the file's matrix: {args.words * args.dim * 4 / 2 ** 20:.0f} MiB)")
        print(sampler.peak.describe())
    finally:
        process.terminate()
        process.wait(timeout=30)


def big_file(args, directory: Path) -> None:
    from cbow.explore.served import load_files

    path = directory / "big.cbow"
    started = time.perf_counter()
    words = write_vectors(path, args.big_words, args.big_dim, seed=1)
    print(f"wrote {args.big_words:,} x {args.big_dim} ({args.big_words * args.big_dim * 4 / 2 ** 30:.2f} GiB) "
          f"in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    served = load_files([path])[0]
    print(f"opened as cbow explore does (memory-mapped): {time.perf_counter() - started:.2f} s")
    from cbow.explore.neighbours import neighbours

    rng = np.random.default_rng(2)
    started = time.perf_counter()
    neighbours(served, words[12345], 10)
    print(f"first neighbour query (in-process): {1000 * (time.perf_counter() - started):.0f} ms")
    times = []
    for word in rng.choice(words, 20):
        started = time.perf_counter()
        neighbours(served, word, 10)
        times.append(time.perf_counter() - started)
    print(f"next 20 queries (in-process): median {1000 * statistics.median(times):.0f} ms, "
          f"max {1000 * max(times):.0f} ms")
    del served
    process, url, startup = start_server(path)
    try:
        print(f"cbow explore {path.name}: URL printed after {startup:.2f} s")
        host, port = url[len("http://"):].rstrip("/").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=300)
        times = []
        for word in rng.choice(words, 21):
            started = time.perf_counter()
            connection.request("GET", f"/api/neighbours?word={word}&topn=10")
            connection.getresponse().read()
            times.append(time.perf_counter() - started)
        print(f"over HTTP: first query {1000 * times[0]:.0f} ms, next 20 median {1000 * statistics.median(times[1:]):.0f} ms")
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--deadline", type=float, default=600.0, help="seconds after which clients stop")
    parser.add_argument("--big-words", type=int, default=1_000_000, help="0: skip the big file")
    parser.add_argument("--big-dim", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cbow-explore-load-") as scratch:
        load_test(args, Path(scratch))
        if args.big_words:
            big_file(args, Path(scratch))


if __name__ == "__main__":
    main()
