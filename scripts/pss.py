"""Peak memory of a process tree: the summed PSS of a process and all its descendants, sampled.

    from pss import TreePssSampler
    with TreePssSampler(process.pid) as sampler:   # a thread samples every 50 ms
        process.wait()
    print(sampler.peak.total_mib, sampler.peak.describe())

PSS (proportional set size) counts each page a process maps divided by the number of
processes mapping it, so summing PSS over a tree counts every page once: the segment the
parent shares with its workers, the libraries they all load and the page-cache pages of a
file they all map each add up to their real size. ru_maxrss of children does not: it is
the largest single process's RSS, and it counts shared pages in full in every process.

Every tick reads /proc/PID/smaps_rollup (one small file per process, ~0.1 ms) of the root
and of every descendant found through /proc/PID/task/*/children. When the summed PSS is a
new peak, the per-process rollups of that tick are kept: the breakdown at the peak. With
`mappings=True` a new peak (higher by at least `mapping_step_kib`) also reads the full
/proc/PID/smaps of each process (~1-5 ms a process) and sums PSS by kind of mapping
(`classify_mapping`), which is how the shared segments, the mapped corpus and the
libraries are told apart from the heap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROLLUP_FIELDS = ("Pss", "Pss_Anon", "Pss_File", "Pss_Shmem", "Rss")
LARGE_ANON_KIB = 4096
KNOWN_ROLES = ("root", "worker", "resource tracker", "forkserver")


@dataclass
class ProcessMemory:
    """One process's memory at one tick (KiB), and what it is.

    Attributes
    ----------
    pid : process id
    role : "root", "worker", "resource tracker" or the program name (`process_role`)
    pss, pss_anon, pss_file, pss_shmem, rss : from /proc/PID/smaps_rollup
    mappings : PSS (KiB) by kind of mapping (`classify_mapping`); empty unless asked for
    large_anon : (size KiB, PSS KiB, name) of every anonymous mapping of at least
        LARGE_ANON_KIB, name "[heap]" for malloc's main heap, else "": numpy arrays of at
        least 32 MiB (glibc's largest mmap threshold) get a mapping of their own from malloc
        (nbytes rounded up to whole pages), so a caller that knows its arrays' sizes can
        name them
    """

    pid: int
    role: str
    pss: int = 0
    pss_anon: int = 0
    pss_file: int = 0
    pss_shmem: int = 0
    rss: int = 0
    mappings: dict[str, int] = field(default_factory=dict)
    large_anon: list[tuple[int, int, str]] = field(default_factory=list)


@dataclass
class TreePeak:
    """The tick at which the tree's summed PSS was highest.

    Attributes
    ----------
    total_kib : summed PSS of the tree at that tick
    seconds : time of the tick since sampling started
    processes : every process of the tree at that tick, root first
    wall : the tick's time.time(), to compare with times a child reports
    """

    total_kib: int = 0
    seconds: float = 0.0
    processes: list[ProcessMemory] = field(default_factory=list)
    wall: float = 0.0

    @property
    def total_mib(self) -> float:
        return self.total_kib / 1024

    def describe(self) -> str:
        """One line per process: role, pid, PSS and its anonymous / file / shmem parts (MiB)."""
        lines = []
        for proc in self.processes:
            line = (f"{proc.role:>16s} {proc.pid:>7d}: PSS {proc.pss / 1024:7.1f} MiB = anon "
                    f"{proc.pss_anon / 1024:6.1f} + file {proc.pss_file / 1024:6.1f} + shmem "
                    f"{proc.pss_shmem / 1024:6.1f} (RSS {proc.rss / 1024:6.1f})")
            if proc.mappings:
                line += "; " + ", ".join(f"{kind} {kib / 1024:.1f}" for kind, kib in
                                         sorted(proc.mappings.items(), key=lambda item: -item[1]) if kib >= 512)
            lines.append(line)
        return "\n".join(lines)


def read_rollup(pid: int) -> dict[str, int] | None:
    """The ROLLUP_FIELDS of /proc/PID/smaps_rollup in KiB, None if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except (OSError, ValueError):
        return None
    values = {}
    for line in text.splitlines()[1:]:
        name, _, rest = line.partition(":")
        if name in ROLLUP_FIELDS:
            values[name] = int(rest.split()[0])
    return values


def is_running(pid: int) -> bool:
    """The process exists and has not exited (not a zombie waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"  # the state follows the parenthesised name


def descendants(pid: int) -> list[int]:
    """`pid` and every descendant (through /proc/PID/task/*/children), parents first."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(child) for child in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _parent_pid(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("PPid:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def process_role(pid: int, root: int) -> str:
    """What a process of the tree is, from its command line: "root", "resource tracker",
    "forkserver", "worker" (spawned, forked from the root or from a forkserver) or its name."""
    if pid == root:
        return "root"
    cmdline = _cmdline(pid)
    if "resource_tracker" in cmdline:
        return "resource tracker"
    if "forkserver" in cmdline:  # the server, or a worker it forked (same command line)
        return "worker" if "forkserver" in _cmdline(_parent_pid(pid)) else "forkserver"
    if "spawn_main" in cmdline or "--multiprocessing-fork" in cmdline or cmdline == _cmdline(root):
        return "worker"
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def classify_mapping(header: str) -> str:
    """The kind of one /proc/PID/smaps mapping, from its header line.

    Kinds: "shm segment" (/dev/shm: multiprocessing.shared_memory, or an anonymous shared
    mapping, which smaps names /dev/zero), "corpus map" (a mapped
    .npy / .i32 ids file: the corpus cache), "libraries" (.so files), "heap" (anonymous
    memory: the Python heap, numpy arrays, malloc arenas, thread stacks), "other files"
    (fonts, locale, a .pyc...) and "stack / vdso".
    """
    parts = header.split(None, 5)
    path = parts[5].strip() if len(parts) > 5 else ""
    if path.startswith(("/dev/shm/", "/SYSV", "/dev/zero")):  # /dev/zero: mmap(-1) MAP_SHARED
        return "shm segment"
    if path.endswith((".npy", ".i32", ".npy (deleted)", ".i32 (deleted)")):
        return "corpus map"
    if ".so" in path:
        return "libraries"
    if not path or path.startswith("[heap]") or path.startswith("[anon"):
        return "heap"
    if path.startswith("["):
        return "stack / vdso"
    return "other files"


def read_mappings(pid: int, classify: Callable[[str], str] = classify_mapping
                  ) -> tuple[dict[str, int], list[tuple[int, int, str]]]:
    """PSS (KiB) of process `pid` summed by kind of mapping, and the (size KiB, PSS KiB, name)
    of its anonymous mappings of at least LARGE_ANON_KIB; empty if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/smaps").read_text()
    except (OSError, ValueError):
        return {}, []
    by_kind: dict[str, int] = {}
    large: list[tuple[int, int, str]] = []
    kind, size_kib, name = "heap", 0, ""
    for line in text.splitlines():
        first = line.split(None, 1)[0] if line else ""
        if "-" in first and not first.endswith(":"):  # a mapping's header: start-end perms ...
            kind = classify(line)
            start, _, end = first.partition("-")
            size_kib = (int(end, 16) - int(start, 16)) // 1024
            fields = line.split(None, 5)
            name = fields[5].strip() if len(fields) > 5 else ""
        elif first == "Pss:":
            pss = int(line.split()[1])
            by_kind[kind] = by_kind.get(kind, 0) + pss
            if kind == "heap" and size_kib >= LARGE_ANON_KIB:
                large.append((size_kib, pss, name))
    return by_kind, large


class TreePssSampler:
    """Sample the summed PSS of `pid`'s process tree in a thread; keep the peak.

    Parameters
    ----------
    pid : the root process
    interval : seconds between ticks (default 0.05)
    mappings : also read /proc/PID/smaps at each new peak (the per-mapping breakdown)
    mapping_step_kib : ... only when the peak rose by at least this much since the last read
        (default 2048: a run that climbs steadily would otherwise read smaps every tick)

    Attributes
    ----------
    peak : TreePeak, the highest tick so far
    n_ticks : ticks taken
    n_torn : ticks during which a process of the tree exited (never the peak: `tick`)
    history : (seconds, total KiB, {role: KiB}) every tick, for plots and for finding the
        per-process plateaus (a worker's size after its imports, before its task)
    """

    def __init__(self, pid: int, interval: float = 0.05, mappings: bool = False,
                 mapping_step_kib: int = 2048) -> None:
        self.pid = pid
        self.interval = interval
        self.mappings = mappings
        self.mapping_step_kib = mapping_step_kib
        self.peak = TreePeak()
        self.n_ticks = 0
        self.n_torn = 0
        self.history: list[tuple[float, int, dict[int, int]]] = []
        self._roles: dict[int, str] = {}
        self._mapped_at_kib = -mapping_step_kib
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"pss-{pid}", daemon=True)
        self._started = 0.0

    def start(self) -> "TreePssSampler":
        self._started = time.perf_counter()
        self._thread.start()
        return self

    def stop(self) -> TreePeak:
        """Stop sampling (after one last tick) and return the peak."""
        self._done.set()
        self._thread.join()
        return self.peak

    def __enter__(self) -> "TreePssSampler":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def tick(self) -> int:
        """Sample once; return the tree's summed PSS (KiB).

        A tick during which a process of the tree exited is not a candidate for the peak:
        the pages it shared were counted at its share before the exit and at the larger
        share of the survivors after it (a worker leaving at the end of training added up
        to a third of the weights, 24 MiB at bench-text8 x4, to one tick).
        """
        processes = []
        for pid in descendants(self.pid):
            if not is_running(pid):  # a zombie has given its pages back already
                continue
            rollup = read_rollup(pid)
            if rollup is None:
                continue
            if pid not in self._roles or self._roles[pid] not in KNOWN_ROLES:
                # asked again until known: a child seen between its fork and its exec has
                # no command line of its own yet
                self._roles[pid] = process_role(pid, self.pid)
            processes.append(ProcessMemory(pid, self._roles[pid], rollup.get("Pss", 0), rollup.get("Pss_Anon", 0),
                                           rollup.get("Pss_File", 0), rollup.get("Pss_Shmem", 0),
                                           rollup.get("Rss", 0)))
        total = sum(proc.pss for proc in processes)
        seconds = time.perf_counter() - self._started
        self.n_ticks += 1
        self.history.append((seconds, total, {proc.pid: proc.pss for proc in processes}))
        if not all(is_running(proc.pid) for proc in processes):
            self.n_torn += 1
            return total
        if total > self.peak.total_kib:
            if self.mappings and total >= self._mapped_at_kib + self.mapping_step_kib:
                for proc in processes:
                    proc.mappings, proc.large_anon = read_mappings(proc.pid)
                self._mapped_at_kib = total
            elif self.mappings:  # keep the last detailed read: within mapping_step_kib of this peak
                previous = {proc.pid: proc for proc in self.peak.processes}
                for proc in processes:
                    if proc.pid in previous:
                        proc.mappings, proc.large_anon = previous[proc.pid].mappings, previous[proc.pid].large_anon
            self.peak = TreePeak(total, seconds, processes, time.time())
        return total

    def role_of(self, pid: int) -> str:
        return self._roles.get(pid, "?")

    def _run(self) -> None:
        while not self._done.is_set():
            self.tick()
            self._done.wait(self.interval)
