"""Training runs in the app process's queue against the same runs on a Ray cluster, side by side in one run.

    python -m benchmarks.cluster [--runs 3] [--seconds 20] [--cpus 2] [--address HOST:PORT] [--device cpu]

Submits `--runs` trainings of the Train page's default model (LSTM 1×512 on Shakespeare, `--seconds` each) first to
core.jobs.JobManager (one at a time, as one app process trains), then to core.cluster.ClusterJobManager on a Ray
cluster (a local head with `--cpus` worker CPUs that this script starts and stops, or `--address`). Prints per run the
wait in the queue, the time from start to its first progress row (worker start, imports, the corpus shipped), the
training steps per second, and the time until the last run ended; then the ratios. Needs requirements-deploy.txt.
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import time

from core.charlm.corpus import load_corpus
from core.charlm.train import TrainConfig, run_training_job
from core.flags import add_device_flag, device_from_flags
from core.jobs import JobManager


def measure(manager: JobManager, runs: int, cfg: TrainConfig) -> dict[str, float]:
    """Submit `runs` trainings at once and time them."""
    corpus = load_corpus(cfg.corpus)
    start = time.monotonic()
    jobs = [manager.submit(f"run {i}", lambda job: run_training_job(job, cfg, corpus, job.device)) for i in range(runs)]
    first_row: dict[int, float] = {}
    while not all(job.done for job in jobs):
        for k, job in enumerate(jobs):
            if k not in first_row and job.rows:
                first_row[k] = time.monotonic() - (job.started or start)
        time.sleep(0.05)
    end = time.monotonic()
    failed = [job.error for job in jobs if job.status != "finished"]
    if failed:
        raise SystemExit(f"runs failed: {failed}")
    steps = [len(job.result.steps) / job.result.seconds for job in jobs]
    waits = [job.started - job.created for job in jobs]
    return {"wait p50 s": statistics.median(waits), "wait max s": max(waits),
            "start to first row s": statistics.median(first_row.values()),
            "steps/s per run": statistics.median(steps), "all ended s": end - start}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seconds", type=float, default=20.0, help="each run's time limit (the Minutes slider)")
    p.add_argument("--cpus", type=int, default=2, help="worker CPUs of the local head (ignored with --address)")
    p.add_argument("--address", default=None, help="an existing Ray cluster instead of a local head")
    add_device_flag(p)
    a = p.parse_args(argv)
    device = device_from_flags(p, a)
    from core.cluster import ClusterJobManager, local_head
    from core.runtime import configure_torch

    configure_torch(1)  # one thread a run, as served
    cfg = TrainConfig(max_seconds=a.seconds)
    print(f"{a.runs} runs of {cfg.cell} {cfg.num_layers}x{cfg.hidden_size} on {cfg.corpus}, {a.seconds:g} s each")
    figures = {"in the app process (one at a time)": measure(JobManager(1, device=device), a.runs, cfg)}
    with contextlib.nullcontext(a.address) if a.address else local_head(a.cpus) as address:
        label = f"on the Ray cluster at {address}" + ("" if a.address else f" ({a.cpus} worker CPUs)")
        figures[label] = measure(ClusterJobManager(address, cpus=1), a.runs, cfg)
    for label, row in figures.items():
        print(f"{label}:\n  " + "  ".join(f"{k} {v:.2f}" for k, v in row.items()))
    here, there = figures.values()
    print(f"ratio, cluster / in-process: all ended {there['all ended s'] / here['all ended s']:.2f}, steps/s per run "
          f"{there['steps/s per run'] / here['steps/s per run']:.2f}, start to first row "
          f"{there['start to first row s'] / here['start to first row s']:.1f}")


if __name__ == "__main__":
    main()
