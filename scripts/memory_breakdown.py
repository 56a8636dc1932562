"""Split a cbow run's peak tree PSS into named parts: bench.py's breakdown at the peak.

Inputs: the `TreePeak` of the run (pss.py: per process, PSS by kind of mapping and the
large anonymous mappings, read from /proc/PID/smaps at the peak), the run's own report
(sizes V, N, S, d; wall-clock times of the end of reading and of training) and the
targeted measurements of memory_components.py. How each part is found:

| part | from |
| --- | --- |
| libraries (shared) | smaps: PSS of .so and other file mappings, summed over the tree |
| interpreter + imports | memory_components: a fresh interpreter's anonymous PSS after the module set of that kind of process (parent or worker), once per process; once in all where workers are forked (Linux: they share the parent's pages) |
| resource tracker | its whole PSS (a process multiprocessing starts for named shared memory) |
| weights | smaps: the shared segments' PSS up to 4 (V + V_out) d, plus anonymous mappings the size of W_in or W_out (malloc maps arrays of 32 MiB and more on their own, bench-text8's at d = 100; smaller ones land in malloc's heap and so under rest) |
| corpus ids | smaps: the mapped corpus file, anonymous mappings the size of the ids (4 N), the rest of the shared segments |
| vocabulary objects | memory_components (tracemalloc): the Vocab (its packed words and counts); during the reading pass instead the provisional dict of every distinct token |
| reading pass buffers | memory_components: the encoder's hash table and its largest one-block temporaries (reading phase only) |
| objective tables | memory_components (tracemalloc): keep probabilities, noise or Huffman tables, once per training process (the parent's and each spawned worker's pickled copy; once where workers are forked) |
| batch buffers | memory_components (tracemalloc): one training loop's peak over its inputs, once per training process |
| rest | the peak minus all of the above: malloc's retained free memory (freed, not given back), small objects, what no probe names |
"""

from __future__ import annotations

MIB = 2 ** 20


def _matches(size_kib: int, nbytes: int) -> bool:
    """A mapping of `size_kib` holds an array of `nbytes`: malloc maps it on its own (nbytes
    and a header, in whole pages), and numpy's madvise(MADV_HUGEPAGE) of the whole pages
    inside splits off the first page, so the large part is within two pages of nbytes."""
    return nbytes > 0 and abs(size_kib * 1024 - nbytes) <= 8192


def phase_of(run: dict) -> str:
    """Where the run was at its peak: "reading", "training" or "after training"."""
    wall = run["peak"].wall
    if wall < run["prepared_at"]:
        return "reading"
    return "training" if wall <= run["trained_at"] else "after training"


def attribute(run: dict, components: dict, workers: int, forked: bool = True) -> dict[str, float]:
    """MiB of each part of the run's peak (see the module docstring), rest last. `forked`:
    the workers were forked (they share the parent's interpreter and tables)."""
    peak = run["peak"]
    phase = phase_of(run)
    d = run["size"]
    weights_bytes = (4 * run["vocab"] * d, 4 * run["n_out_rows"] * d)
    ids_bytes = 4 * run["n_words"]
    parts = dict.fromkeys(["libraries (shared)", "interpreter + imports", "resource tracker", "weights",
                           "corpus ids", "vocabulary objects", "reading pass buffers", "objective tables",
                           "batch buffers"], 0.0)
    imports = components["imports"]
    n_workers = 0
    shm_kib = 0
    for proc in peak.processes:
        if proc.role == "resource tracker":
            parts["resource tracker"] += proc.pss / 1024
            continue
        kinds = proc.mappings
        parts["libraries (shared)"] += (kinds.get("libraries", 0) + kinds.get("other files", 0)) / 1024
        parts["corpus ids"] += kinds.get("corpus map", 0) / 1024
        shm_kib += kinds.get("shm segment", 0)
        for size_kib, pss_kib, name in proc.large_anon:
            if name:  # malloc's main heap: many objects
                continue
            if any(_matches(size_kib, nbytes) for nbytes in weights_bytes):
                parts["weights"] += pss_kib / 1024
            elif _matches(size_kib, ids_bytes):
                parts["corpus ids"] += pss_kib / 1024
        if proc.role == "worker":
            n_workers += 1
            if not forked:
                parts["interpreter + imports"] += imports["worker"]["Pss_Anon"]
        else:
            parts["interpreter + imports"] += imports["parent"]["Pss_Anon"]
    shm_weights = min(shm_kib / 1024, sum(weights_bytes) / MIB)
    parts["weights"] += shm_weights
    parts["corpus ids"] += shm_kib / 1024 - shm_weights
    if phase == "reading":
        parts["vocabulary objects"] = components["counting_dict"]
        parts["reading pass buffers"] = components["read_table"] + components["read_block"]
    else:
        parts["vocabulary objects"] = components["vocab_objects"]
        training_processes = n_workers if n_workers else 1
        copies = 1 if forked else training_processes + (1 if n_workers else 0)
        parts["objective tables"] = components["output_tables"] * copies
        if phase == "training":
            parts["batch buffers"] = components["batch_buffers"] * training_processes
    parts["rest"] = peak.total_mib - sum(parts.values())
    return parts


def per_process_lines(peak) -> list[str]:
    """One line per process at the peak: PSS by kind of mapping (MiB)."""
    lines = []
    for proc in peak.processes:
        kinds = ", ".join(f"{kind} {kib / 1024:.1f}" for kind, kib in
                          sorted(proc.mappings.items(), key=lambda item: -item[1]) if kib >= 256)
        large = ", ".join(f"{name or 'anon'} {size / 1024:.1f} ({pss / 1024:.1f} resident)"
                          for size, pss, name in proc.large_anon if pss >= 1024)
        lines.append(f"    {proc.role:>16s}: PSS {proc.pss / 1024:6.1f} = {kinds}"
                     + (f"; large anonymous mappings MiB: {large}" if large else ""))
    return lines
