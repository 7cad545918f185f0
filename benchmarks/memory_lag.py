"""Accuracy against lag on the memory task, vanilla RNN against LSTM, in two optimiser regimes.

    python -m benchmarks.memory_lag [--lags 5 10 20 40 80] [--seeds 0 1 2] [--steps 3000] [--workers 2] \
        [--out assets/memory-lag-results.json] [--device auto|cpu|cuda]

Every run has the same budget (--steps updates of a batch of 64; hidden 64; inputs one-hot × 5; LSTM
forget-gate bias 2: MemoryConfig's defaults), so the
figures do not depend on how busy the machine is. The regimes:
- "sgd":  plain SGD, lr 0.1, momentum 0.9, no clipping;
- "adam": Adam, lr 3e-3, gradient-norm clipping at 1.0.
Prints one line per run (final accuracy on 2,048 fresh sequences, ‖∂L/∂x_1‖ at the end, seconds) and a
table of the mean over seeds; writes every run to --out, which the "Long memory" page shows as measured.
Runs are independent: --workers processes (one torch thread each) share them out.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
from pathlib import Path

import torch

from core.flags import add_device_flag, device_from_flags
from core.gradients.memory import CHANCE, REGIMES, MemoryConfig, train_memory


def one_run(job: tuple[str, str, int, int, int, str]) -> dict:
    """Train one model of the grid on the device it names and return its figures (in a worker process, one torch
    thread)."""
    regime, cell, lag, seed, steps, device = job
    torch.set_num_threads(1)
    cfg = MemoryConfig(cell=cell, lag=lag, steps=steps, seed=seed, eval_every=steps, **REGIMES[regime])
    r = train_memory(cfg, device=device)
    grad = r.history[-1]["grad_first"] if r.history else float("nan")
    print(f"{regime:4} {cell:4} lag {lag:3} seed {seed}: accuracy {r.accuracy:6.1%}  "
          f"‖∂L/∂x_1‖ {grad:.1e}  {r.seconds:5.1f} s  {r.status}", flush=True)
    return {"regime": regime, "cell": cell, "lag": lag, "seed": seed, "accuracy": r.accuracy, "grad_first": grad,
            "seconds": round(r.seconds, 1), "status": r.status}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lags", type=int, nargs="+", default=[5, 10, 20, 40, 80])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    add_device_flag(parser)
    args = parser.parse_args(argv)
    device = str(device_from_flags(parser, args))  # decided here, once; each worker is handed it
    grid = [(regime, cell, lag, seed, args.steps, device) for regime in REGIMES for cell in ("rnn", "lstm")
            for lag in args.lags for seed in args.seeds]
    grid.sort(key=lambda job: -job[2])  # longest runs first, so the workers finish together
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        runs = pool.map(one_run, grid, chunksize=1)
    print(f"\nmean accuracy over seeds {args.seeds}, {args.steps} steps each, {args.workers} workers of one thread "
          f"(chance {CHANCE:.1%})")
    print("regime cell " + " ".join(f"{'lag ' + str(lag):>9}" for lag in args.lags))
    for regime in REGIMES:
        for cell in ("rnn", "lstm"):
            means = [statistics.mean(r["accuracy"] for r in runs
                                     if (r["regime"], r["cell"], r["lag"]) == (regime, cell, lag))
                     for lag in args.lags]
            print(f"{regime:6} {cell:4} " + " ".join(f"{m:9.1%}" for m in means))
    print(f"longest run: {max(r['seconds'] for r in runs):.0f} s")
    if args.out:
        # the page shows how to run it again
        command = " ".join(["python -m benchmarks.memory_lag", *(sys.argv[1:] if argv is None else argv)])
        args.out.write_text(json.dumps({"command": command, "steps": args.steps, "threads_per_run": 1,
                                        "workers": args.workers, "regimes": REGIMES, "runs": runs}, indent=1))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
