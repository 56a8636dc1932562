"""Speed benchmark: cbow against gensim 4.4.0 on the same corpus and settings, in one run.

    python scripts/bench.py              # bench-text8 (../shared/data) or a generated corpus
    python scripts/bench.py --quick      # bench-small-text8: a quick run
    python scripts/bench.py --quality-table [--quick]   # analogy after 3 epochs by batch/workers
    python scripts/bench.py --memory-table --no-speed --no-softmax [--concat 4]   # issue 19

Settings (issue 6): size 100, window 5, negative 5 (or --hs --negative 0 vs gensim hs=1
negative=0), sample 1e-4, min-count 5, 1 epoch, both systems on all cores (gensim
`workers=N`, cbow `--workers N`). Every system runs in its own subprocess, one at a time,
so timings and memory do not mix; the parent reads each child's peak RSS from wait4()
(the largest single process of its tree) and samples the summed PSS of the child's
process tree every 50 ms (pss.py; cbow's workers share their matrices: PSS splits shared
pages among them, so the sum counts them once).

--memory-table (issue 19): for NS and HS at 1 and 2 workers, gensim (corpus_file) and cbow
cold (empty cache), warm and --no-cache, the peak tree PSS and its ratio to gensim's; then
where cbow's memory goes at each peak (memory_breakdown.py: per-mapping PSS from
/proc/PID/smaps at the peak, split with memory_components.py's targeted measurements) and
each process's PSS by kind of mapping. --concat 4 runs it on the corpus four times over.

Both read the same plain-text file (the .gz is decompressed once into --work-dir; gensim's
fast `corpus_file` mode needs a plain file). cbow runs twice: "cold" (empty corpus cache:
read + count + encode) and "warm" (the encoded corpus comes from the cache, as on any
second run on the same file and settings).

words/s = corpus words before subsampling (raw tokens) / training seconds. Ratios are
cbow / gensim: above 1 is faster for words/s; below 1 is better for seconds and memory.
The machine is shared: only ratios from the same run mean anything.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pss import TreePssSampler

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
ANALOGIES = DATA / "eval" / "questions-words.txt"
SETTINGS = dict(size=100, window=5, negative=5, sample=1e-4, min_count=5, epochs=1)


# -- children: one system, one run, JSON on stdout ---------------------------------------
def child_cbow(args) -> dict:
    from cbow.training.config import TrainConfig
    from cbow.data.prepare import prepare
    from cbow.training.loop import train
    from cbow.training.plan import run_memory

    config = TrainConfig(size=SETTINGS["size"], window=SETTINGS["window"],
                         objective="hs" if args.hs else "ns", negative=0 if args.hs else SETTINGS["negative"],
                         sample=SETTINGS["sample"], min_count=SETTINGS["min_count"], epochs=args.epochs,
                         batch_size=args.batch_size, workers=args.workers, seed=args.seed)
    started, started_at = time.perf_counter(), time.time()
    vocab, encoded = prepare(args.corpus, config, cache_dir=args.cache_dir)
    prepared, prepared_at = time.perf_counter(), time.time()
    result = train(None, config, vocab=vocab, encoded=encoded)
    finished = time.perf_counter()
    out = dict(prepare=prepared - started, train=result.train_seconds, total=finished - started,
               raw_words=int(encoded.n_raw_tokens) * args.epochs, vocab=len(vocab), loss=result.epoch_losses[-1],
               started_at=started_at, prepared_at=prepared_at, trained_at=time.time(),
               n_words=int(len(encoded.word_ids)), n_sentences=int(encoded.n_sentences), size=config.size,
               n_out_rows=int(result.W_out.shape[0]),
               plan_mb=run_memory(vocab, encoded, result.config, args.corpus).total / 2**20)
    if args.analogies:
        out["analogy"] = analogy(result.wv)
    return out


def child_gensim(args) -> dict:
    import logging

    from gensim.models import Word2Vec

    logging.getLogger("gensim").setLevel(logging.WARNING)
    model = Word2Vec(vector_size=SETTINGS["size"], window=SETTINGS["window"], sg=0, cbow_mean=1,
                     hs=1 if args.hs else 0, negative=0 if args.hs else SETTINGS["negative"],
                     sample=SETTINGS["sample"], min_count=SETTINGS["min_count"], workers=args.workers,
                     epochs=args.epochs, seed=args.seed)
    started = time.perf_counter()
    model.build_vocab(corpus_file=args.corpus)
    prepared = time.perf_counter()
    model.train(corpus_file=args.corpus, total_examples=model.corpus_count,
                total_words=model.corpus_total_words, epochs=args.epochs)
    finished = time.perf_counter()
    out = dict(prepare=prepared - started, train=finished - prepared, total=finished - started,
               raw_words=int(model.corpus_total_words) * args.epochs, vocab=len(model.wv))
    return out


def child_softmax(args) -> dict:
    """Full-softmax training steps on the corpus vocabulary vs the float32 GEMM peak."""
    import numpy as np

    from cbow.training.config import TrainConfig
    from cbow.model.step import build_output_layer
    from cbow.training.schedule import make_step
    from cbow.data.prepare import prepare
    from cbow.data.windows import iter_batches

    config = TrainConfig(size=SETTINGS["size"], window=SETTINGS["window"], objective="softmax", negative=0,
                         sample=SETTINGS["sample"], min_count=SETTINGS["min_count"], batch_size=args.batch_size)
    vocab, encoded = prepare(args.corpus, config, cache_dir=args.cache_dir)
    V, d, B = len(vocab), config.size, config.batch_size
    rng = np.random.default_rng(0)
    # float32 GEMM peak: the best of a few large square products
    n = 2048
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(5))
    peak = 2 * n ** 3 / best / 1e9
    output, n_out = build_output_layer(vocab, config.objective, config.negative)
    W_in = (rng.random((V, d), dtype=np.float32) - 0.5) / d
    W_out = np.zeros((n_out, d), dtype=np.float32)
    batches = iter_batches(encoded.word_ids, encoded.sentence_offsets, config.window, B, rng,
                           vocab.keep_probabilities(config.sample))
    step = make_step(W_in, output, config)  # what training runs (cbow.model.softmax_step)
    warm = [next(batches) for _ in range(2)]
    for batch in warm:
        step(W_in, W_out, batch, 0.01, 0.01, rng)
    steps = [next(batches) for _ in range(args.softmax_steps)]
    started_at = time.time()  # wall clock: concurrent children's spans are compared
    started = time.perf_counter()
    for batch in steps:
        step(W_in, W_out, batch, 0.01, 0.01, rng)
    seconds = time.perf_counter() - started
    n_examples = sum(len(batch) for batch in steps)
    flops = 6.0 * n_examples * V * d  # scores H W^T, dL/dH = G W, dL/dW = G^T H: 2BVd each
    return dict(V=V, d=d, B=B, steps=len(steps), seconds=seconds, gflops=flops / seconds / 1e9,
                gemm_peak=peak, examples_per_s=n_examples / seconds, flops=flops,
                n_examples=n_examples, started_at=started_at, ended_at=started_at + seconds)


def analogy(wv) -> float:
    from cbow.vectors.evaluate import evaluate_word_analogies

    return 100.0 * evaluate_word_analogies(wv, ANALOGIES, restrict_vocab=30000).accuracy


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


# -- parent: run children one at a time, measure memory, print tables ---------------------
class ChildFailed(RuntimeError):
    """A benchmark child exited with an error (e.g. a diverged run)."""


def run_child(kind: str, corpus: Path, args, **extra) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--corpus", str(corpus),
               "--workers", str(extra.get("workers", args.workers)),
               "--batch-size", str(extra.get("batch_size", args.batch_size)),
               "--epochs", str(extra.get("epochs", 1)), "--seed", str(extra.get("seed", 1)),
               "--softmax-steps", str(args.softmax_steps)]
    if extra.get("hs"):
        command.append("--hs")
    if extra.get("cache_dir"):
        command += ["--cache-dir", str(extra["cache_dir"])]
    if extra.get("analogies"):
        command.append("--analogies")
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO)
    sampler = TreePssSampler(process.pid, interval=0.05, mappings=extra.get("mappings", False)).start()
    stdout = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    peak = sampler.stop()
    if process.returncode != 0:
        raise ChildFailed(f"the {kind} child failed (exit {process.returncode}; its error is above)")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - started
    result["max_rss_mb"] = usage.ru_maxrss / 1024
    result["peak_pss_mb"] = peak.total_mib
    result["peak"] = peak
    return result


def corpus_path(args) -> Path:
    """A plain-text corpus in the work dir (decompressed once), or a generated one."""
    name = "bench-small-text8.txt.gz" if args.quick else "bench-text8.txt.gz"
    source = Path(args.corpus) if args.corpus else DATA / name
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    if source.exists():
        target = work / source.name.removesuffix(".gz")
        if args.concat > 1:  # --concat N: the text N times over, in one file
            target = target.with_name(f"{target.stem}-x{args.concat}{target.suffix}")
        if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
            opener = gzip.open if source.suffix == ".gz" else open
            with open(target.with_suffix(".part"), "wb") as dst:
                for _ in range(args.concat):
                    with opener(source, "rb") as src:
                        shutil.copyfileobj(src, dst, 1 << 20)
            os.replace(target.with_suffix(".part"), target)
        return target
    sys.path.insert(0, str(REPO))
    from cbow.corpora import planted

    target = work / ("generated-small.txt" if args.quick else "generated.txt")
    if not target.exists():
        print(f"{source} not found: generating a planted corpus in {target}", file=sys.stderr)
        planted.write_corpus(target, n_sentences=200_000 if args.quick else 2_000_000)
    return target


def fmt_row(cells, widths) -> str:
    return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def print_table(title: str, header: list[str], rows: list[list]) -> None:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    print(f"\n{title}")
    print(fmt_row(header, widths))
    print(fmt_row(["-" * w for w in widths], widths))
    for row in rows:
        print(fmt_row(row, widths))


def _row(name: str, objective: str, workers: int, kind: str, batch: int, run: dict) -> list:
    return [name, objective, workers, batch if kind == "cbow" else "", f"{run['prepare']:.2f}",
            f"{run['train']:.2f}", f"{run['raw_words'] / run['train']:,.0f}", f"{run['total']:.2f}",
            f"{run['max_rss_mb']:.0f}", f"{run['peak_pss_mb']:.0f}"]


def _median_run(runs: list[dict]) -> dict | None:
    """Every number the median over the runs (None when every run failed)."""
    if not runs:
        return None
    return {key: statistics.median(run[key] for run in runs) if isinstance(runs[0][key], (int, float)) else runs[0][key]
            for key in runs[0]}


def speed_tables(args, corpus: Path) -> None:
    cache_dir = Path(tempfile.mkdtemp(prefix="cache-", dir=args.work_dir))
    header = ["system", "objective", "workers", "batch", "prepare s", "train s", "train words/s",
              "end-to-end s", "max RSS MB", "peak PSS MB"]
    rows, ratio_rows = [], []
    print(f"corpus: {corpus}  settings: {SETTINGS}; cbow batch {args.batch_size} (NS), "
          f"{args.hs_batch_size} (HS); {args.workers} workers", flush=True)
    try:
        for hs in (False, True):
            objective = "hs" if hs else "ns"
            batch = args.hs_batch_size if hs else args.batch_size
            runs = []
            plan = [("gensim 4.4.0", "gensim", args.workers),
                    ("cbow (cold cache)", "cbow", args.workers),
                    ("cbow (warm cache)", "cbow", args.workers)]
            if not hs:
                plan.append(("cbow (warm cache)", "cbow", 1))
            samples: list[list[dict]] = [[] for _ in plan]
            for repeat in range(args.repeats):  # the plan in order, again and again: noise hits all alike
                cache = cache_dir / f"{objective}-{repeat}"  # empty at this repeat's cold run
                for (name, kind, workers), runs_of_entry in zip(plan, samples):
                    try:
                        run = run_child(kind, corpus, args, hs=hs, workers=workers, batch_size=batch,
                                        cache_dir=None if kind == "gensim" else cache)
                    except ChildFailed as exc:
                        print(f"  {name} {objective} workers {workers}: {exc}", flush=True)
                        continue
                    runs_of_entry.append(run)
                    print(f"  [{repeat + 1}/{args.repeats}] " + "  ".join(map(str, _row(name, objective, workers, kind, batch, run))),
                          flush=True)
            for (name, kind, workers), runs_of_entry in zip(plan, samples):
                run = _median_run(runs_of_entry)
                runs.append((name, workers, run))
                if run is not None:
                    rows.append(_row(name, objective, workers, kind, batch, run))
            gensim = runs[0][2]
            if gensim is None:
                continue
            g_speed = gensim["raw_words"] / gensim["train"]
            for (name, workers, run), label in zip(runs[1:3], ("cold", "warm")):
                if run is None:
                    ratio_rows.append([objective, label, "failed", "", "", ""])
                    continue
                ratio_rows.append([objective, label, f"{run['raw_words'] / run['train'] / g_speed:.2f}",
                                   f"{run['total'] / gensim['total']:.2f}",
                                   f"{run['max_rss_mb'] / gensim['max_rss_mb']:.2f}",
                                   f"{run['peak_pss_mb'] / gensim['peak_pss_mb']:.2f}"])
            if not hs and runs[2][2] is not None and runs[3][2] is not None:
                many, one = runs[2][2], runs[3][2]
                scaling = (many["raw_words"] / many["train"]) / (one["raw_words"] / one["train"])
                ratio_rows.append(["ns", f"scaling 1 -> {args.workers} workers", f"{scaling:.2f}", "", "", ""])
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    print_table("speed and memory" + (f" (medians of {args.repeats} runs each)" if args.repeats > 1 else ""),
                header, rows)
    print_table("cbow / gensim (words/s: > 1 is faster; end-to-end, memory: < 1 is better)",
                ["objective", "cbow run", "train words/s", "end-to-end", "max RSS", "peak PSS"], ratio_rows)


def memory_components(corpus: Path, cache_dir: Path, hs: bool, batch_size: int) -> dict:
    """memory_components.py's targeted measurements (a warm cache for `corpus` in cache_dir)."""
    command = [sys.executable, str(Path(__file__).resolve().parent / "memory_components.py"), "--corpus",
               str(corpus), "--cache-dir", str(cache_dir), "--batch-size", str(batch_size)] + (["--hs"] if hs else [])
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True, cwd=REPO)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median_peak_run(runs: list[dict]) -> dict:
    """The run whose peak is the median of `runs`' (the lower middle one of an even count),
    with its own breakdown: a row shows one real run, not a mix of several."""
    return sorted(runs, key=lambda run: run["peak_pss_mb"])[(len(runs) - 1) // 2]


def memory_table(args, corpus: Path) -> None:
    """Peak tree PSS of cbow (cold cache, warm cache, --no-cache) and gensim, run by run, with
    ratios, and where cbow's memory goes at each run's peak (memory_breakdown.py); with
    --repeats N each row is the run with the median peak of N. Every run with its peak is
    written to <work dir>/memory-runs.json."""
    from memory_breakdown import attribute, per_process_lines, phase_of

    cache_root = Path(tempfile.mkdtemp(prefix="cache-", dir=args.work_dir))
    rows, part_rows, details, saved = [], [], [], []
    part_names = None
    print(f"corpus: {corpus}  settings: {SETTINGS}; cbow batch {args.batch_size} (NS), {args.hs_batch_size} (HS)",
          flush=True)
    try:
        for objective in args.memory_objectives:
            hs = objective == "hs"
            batch = args.hs_batch_size if hs else args.batch_size
            components = None
            for workers in args.memory_workers:
                systems = [("gensim 4.4.0 corpus_file", "gensim", False), ("cbow cold cache", "cbow", True),
                           ("cbow warm cache", "cbow", True), ("cbow --no-cache", "cbow", False)]
                runs_of = {name: [] for name, _, _ in systems}
                for repeat in range(args.repeats):  # the four in order, again and again: noise hits all alike
                    cache = cache_root / f"{objective}-{workers}-{repeat}"  # empty at this repeat's cold run
                    for name, kind, cached in systems:
                        try:
                            run = run_child(kind, corpus, args, hs=hs, workers=workers, batch_size=batch,
                                            cache_dir=cache if cached else None, mappings=kind == "cbow")
                        except ChildFailed as exc:
                            print(f"  {name} {objective} workers {workers}: {exc}", flush=True)
                            continue
                        runs_of[name].append(run)
                        saved.append(dict(objective=objective, workers=workers, system=name, repeat=repeat, run=run))
                        if args.repeats > 1:
                            print(f"  [{repeat + 1}/{args.repeats}] {objective} {workers} {name}: peak "
                                  f"{run['peak_pss_mb']:.1f} MiB", flush=True)
                gensim_mib = None
                for name, kind, _ in systems:
                    if not runs_of[name]:
                        continue
                    run = _median_peak_run(runs_of[name])
                    if kind == "gensim":
                        gensim_mib = run["peak_pss_mb"]
                    ratio = f"{run['peak_pss_mb'] / gensim_mib:.2f}" if gensim_mib else ""
                    phase = phase_of(run) if kind == "cbow" else ""
                    plan = f"{run['plan_mb']:.0f} ({run['plan_mb'] / run['peak_pss_mb'] - 1:+.0%})" if kind == "cbow" else ""
                    row = [objective, workers, name, f"{run['peak_pss_mb']:.0f}", ratio, plan, phase,
                           len(run["peak"].processes), f"{run['max_rss_mb']:.0f}", f"{run['total']:.1f}",
                           f"{run['raw_words'] / run['train']:,.0f}"]
                    rows.append(row)
                    print("  " + "  ".join(map(str, row)), flush=True)
                    if kind != "cbow":
                        continue
                    if components is None:
                        components = memory_components(corpus, cache, hs, batch)  # the last repeat's warm cache
                    parts = attribute(run, components, workers)
                    part_names = list(parts)
                    part_rows.append([objective, workers, name.removeprefix("cbow "), f"{run['peak_pss_mb']:.0f}"]
                                     + [f"{mib:.0f}" for mib in parts.values()])
                    details.append(f"  {objective} workers {workers} {name}: peak {run['peak_pss_mb']:.1f} MiB "
                                   f"({phase}, {run['peak'].seconds:.1f} s after start)")
                    details.extend(per_process_lines(run["peak"]))
            if components is not None:
                details.append(f"  {objective} components (memory_components.py, MiB): " + ", ".join(
                    f"{key} {value:.1f}" for key, value in components.items() if isinstance(value, float)))
                details.append("    imports (fresh interpreter, anon / file PSS / RSS): " + "; ".join(
                    f"{key} {v['Pss_Anon']:.1f} / {v['Pss_File']:.1f} / {v['Rss']:.1f}"
                    for key, v in components["imports"].items()))
    finally:
        shutil.rmtree(cache_root, ignore_errors=True)
        with open(Path(args.work_dir) / "memory-runs.json", "w") as out:  # to re-read the peaks later
            json.dump(saved, out, default=lambda value: value.__dict__)
    print_table("peak tree PSS (MiB: sum over the process and all its descendants, sampled every 50 ms); "
                "/ gensim: < 1 is less memory; cbow plan: its estimate (cbow.training.memory) and its error",
                ["objective", "workers", "system", "peak PSS", "/ gensim", "cbow plan", "phase at peak", "processes",
                 "max RSS", "end-to-end s", "train words/s"], rows)
    if part_rows:
        print_table("where cbow's memory goes at its peak (MiB; memory_breakdown.py says how each part is measured)",
                    ["objective", "workers", "cbow", "peak PSS"] + part_names, part_rows)
        print("\nper process at the peak (PSS MiB by kind of mapping, from /proc/PID/smaps)")
        print("\n".join(details))


def run_concurrent_softmax(corpus: Path, args, n_processes: int) -> dict:
    """`n_processes` softmax children at once, one BLAS thread each: what `cbow train
    --softmax --workers N` runs (every worker gets OPENBLAS_NUM_THREADS=1, cbow.training.parallel.pool).
    Throughput is all their examples over the span from the first start to the last end."""
    from cbow.training.parallel.pool import BLAS_THREAD_VARIABLES

    environment = dict(os.environ, **{name: "1" for name in BLAS_THREAD_VARIABLES})
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "softmax", "--corpus", str(corpus),
               "--batch-size", str(args.batch_size), "--softmax-steps", str(args.softmax_steps)]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO, env=environment)
                 for _ in range(n_processes)]
    runs = []
    for process in processes:
        stdout, _ = process.communicate()
        if process.returncode != 0:
            raise ChildFailed(f"a softmax child failed (exit {process.returncode}; its error is above)")
        runs.append(json.loads(stdout.strip().splitlines()[-1]))
    span = max(run["ended_at"] for run in runs) - min(run["started_at"] for run in runs)
    return dict(runs[0], steps=sum(run["steps"] for run in runs),
                examples_per_s=sum(run["n_examples"] for run in runs) / span,
                gflops=sum(run["flops"] for run in runs) / span / 1e9)


def softmax_table(args, corpus: Path) -> None:
    single = run_child("softmax", corpus, args, workers=1)
    rows = [["1 process, BLAS on all cores", single]]
    if args.workers > 1:
        rows.append([f"{args.workers} processes, 1 BLAS thread each",
                     run_concurrent_softmax(corpus, args, args.workers)])
    peak = single["gemm_peak"]  # measured with BLAS on all cores: the machine's sgemm peak
    print_table("full softmax (exact)",
                ["run", "V", "d", "batch", "steps", "examples/s", "GFLOP/s", "sgemm peak GFLOP/s", "of peak"],
                [[name, run["V"], run["d"], run["B"], run["steps"], f"{run['examples_per_s']:,.0f}",
                  f"{run['gflops']:.1f}", f"{peak:.1f}", f"{100 * run['gflops'] / peak:.0f}%"]
                 for name, run in rows])


def quality_table(args, corpus: Path) -> None:
    if not ANALOGIES.exists():
        raise SystemExit(f"bench: {ANALOGIES} not found; the quality table needs questions-words.txt")
    cache_dir = Path(tempfile.mkdtemp(prefix="cache-", dir=args.work_dir))
    rows = []
    try:
        for workers in args.quality_workers:
            for batch_size in args.quality_batches:
                try:
                    run = run_child("cbow", corpus, args, workers=workers, batch_size=batch_size,
                                    epochs=args.quality_epochs, cache_dir=cache_dir, analogies=True)
                except ChildFailed as exc:
                    rows.append([batch_size, workers, "failed", str(exc)[:40], ""])
                    continue
                rows.append([batch_size, workers, f"{run['analogy']:.2f}", f"{run['loss']:.4f}",
                             f"{run['raw_words'] / run['train']:,.0f}"])
                print(f"[quality: batch {batch_size}, workers {workers}: {run['analogy']:.2f}%]", file=sys.stderr)
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    print_table(f"analogy accuracy (questions-words, top 30k), NS, {args.quality_epochs} epochs, {corpus.name}",
                ["batch", "workers", "analogy %", "last epoch loss", "words/s"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="bench-small-text8 instead of bench-text8")
    parser.add_argument("--corpus", help="another corpus (.txt or .gz)")
    parser.add_argument("--workers", type=int, default=None, help="workers of both systems (default: all cores)")
    parser.add_argument("--batch-size", type=int, default=None, help="cbow's batch size (default: its default)")
    parser.add_argument("--hs-batch-size", type=int, default=256,
                        help="cbow's batch size for HS (default 256: at 1024 the summed root-node "
                             "updates diverge on bench-text8 at the default alpha)")
    parser.add_argument("--work-dir", default=os.path.join(tempfile.gettempdir(), "cbow-bench"),
                        help="where the decompressed corpus and temporary caches live")
    parser.add_argument("--repeats", type=int, default=1,
                        help="run every system of the speed tables (and of --memory-table) this many times, in "
                             "turn, and report the medians (a shared machine's load changes from minute to "
                             "minute; a memory row shows its median-peak run)")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed tables")
    parser.add_argument("--no-softmax", action="store_true", help="skip the full-softmax GFLOP/s line")
    parser.add_argument("--softmax-steps", type=int, default=20)
    parser.add_argument("--memory-table", action="store_true",
                        help="peak tree PSS of cbow (cold cache, warm cache, --no-cache) and gensim side by side, "
                             "with ratios and where cbow's memory goes at its peak")
    parser.add_argument("--memory-objectives", nargs="+", choices=["ns", "hs"], default=["ns", "hs"])
    parser.add_argument("--memory-workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--concat", type=int, default=1,
                        help="train on the corpus repeated this many times (one file in --work-dir; "
                             "issue 19 checks memory at 4)")
    parser.add_argument("--quality-table", action="store_true", help="analogy by batch size and workers (long)")
    parser.add_argument("--quality-batches", type=int, nargs="+", default=[64, 256, 1024, 4096])
    parser.add_argument("--quality-workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--quality-epochs", type=int, default=3)
    # child mode (internal)
    parser.add_argument("--child", choices=["cbow", "gensim", "softmax"], help=argparse.SUPPRESS)
    parser.add_argument("--hs", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--cache-dir", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--analogies", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    if args.child:
        run = {"cbow": child_cbow, "gensim": child_gensim, "softmax": child_softmax}[args.child]
        print(json.dumps(run(args)))
        return
    from cbow.training.config import TrainConfig
    from cbow.training.parallel.pool import available_cores

    args.workers = args.workers or available_cores()
    args.batch_size = args.batch_size or TrainConfig().batch_size
    corpus = corpus_path(args)
    if args.memory_table:
        memory_table(args, corpus)
    if not args.no_speed:
        speed_tables(args, corpus)
    if not args.no_softmax:
        softmax_table(args, corpus)
    if args.quality_table:
        quality_table(args, corpus)


if __name__ == "__main__":
    main()
