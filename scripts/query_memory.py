"""Memory of N processes querying one memory-mapped .cbow: the summed PSS of the tree (scripts/pss.py).

    python scripts/query_memory.py [--words 200000] [--dim 100] [--processes 1 2 4] [--queries 50]
    PYTHONPATH=/path/to/other/checkout python scripts/query_memory.py ...   # the same, another cbow

A (words x dim) float32 .cbow directory of random vectors is written once; then for each N a
small coordinator process starts N query processes, each of which loads the directory with
mmap='r', answers `--queries` most_similar calls (its norms made on the first), reports
ready and waits. The peak of the summed PSS of the coordinator's tree, sampled while all N
are alive, is the cost of N query processes: the mapped matrix is counted once (its pages
shared through the page cache), each process's private part (interpreter, numpy, word
list, norms, and any private copy of the matrix) N times.

Prints per N the tree's peak MiB and, from the N = 1 and largest N rows, the shared part
(the cost of the first process minus the private part) and the private part per process
(the slope).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pss import TreePssSampler  # noqa: E402

QUERY = """
import sys
from cbow.vectors.keyed import KeyedVectors
kv = KeyedVectors.load(sys.argv[1], mmap="r")
for i in range(int(sys.argv[2])):
    kv.most_similar(kv.index_to_key[(i * 7919) % len(kv)], topn=10)
print("ready", flush=True)
sys.stdin.read()
"""

COORDINATE = """
import subprocess, sys
n, path, queries = int(sys.argv[1]), sys.argv[2], sys.argv[3]
children = [subprocess.Popen([sys.executable, "-c", sys.argv[4], path, queries], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True) for _ in range(n)]
for child in children:
    assert child.stdout.readline().strip() == "ready"
print("all ready", flush=True)
sys.stdin.read()
for child in children:
    child.stdin.close()
    child.wait()
"""


def write_vectors(path: Path, n_words: int, dim: int) -> None:
    code = (f"import numpy as np; from cbow.vectors.keyed import KeyedVectors; "
            f"rng = np.random.default_rng(0); "
            f"KeyedVectors([f'w{{i}}' for i in range({n_words})], "
            f"rng.standard_normal(({n_words}, {dim})).astype(np.float32)).save({str(path)!r})")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=path.parent)  # not a checkout's ./cbow


def measure(path: Path, n_processes: int, queries: int) -> float:
    coordinator = subprocess.Popen([sys.executable, "-c", COORDINATE, str(n_processes), str(path), str(queries),
                                    QUERY], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                   cwd=path.parent)  # `python -c` puts the working directory first on sys.path
    with TreePssSampler(coordinator.pid) as sampler:
        assert coordinator.stdout.readline().strip() == "all ready"
        time.sleep(0.5)  # a few ticks with every process alive and done
        coordinator.stdin.close()
        coordinator.wait()
    return sampler.peak.total_mib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    found = subprocess.run([sys.executable, "-c", "import cbow; print(cbow.__file__)"], capture_output=True,
                           text=True, check=True, cwd=tempfile.gettempdir()).stdout.strip()

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "vectors.cbow"
        write_vectors(path, args.words, args.dim)
        matrix_mib = (path / "vectors.npy").stat().st_size / 2**20
        print(f"cbow from {Path(found).parent}; {args.words:,} x {args.dim} float32 "
              f"({matrix_mib:.0f} MiB matrix), {args.queries} most_similar per process")
        peaks = {}
        for n in args.processes:
            peaks[n] = measure(path, n, args.queries)
            print(f"N = {n}: tree peak {peaks[n]:.0f} MiB ({peaks[n] / n:.0f} MiB per process)")
        low, high = min(peaks), max(peaks)
        if high > low:
            private = (peaks[high] - peaks[low]) / (high - low)
            print(f"private part per process {private:.0f} MiB; shared part {peaks[low] - low * private:.0f} MiB")


if __name__ == "__main__":
    main()
