"""Process-wide torch settings and the device choice, as explicit functions (no module state)."""
from __future__ import annotations

import os

import torch


def available_cores() -> int:
    """Number of CPU cores this process may run on (respects taskset/cgroup affinity)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def configure_torch(max_threads: int | None = None) -> int:
    """Use one intra-op thread per available core (capped), one inter-op thread; return the count.

    Torch's default can exceed the cores a container really has, and oversubscribed threads
    make every session slower when several students share one server.
    """
    threads = available_cores() if max_threads is None else max(1, min(max_threads, available_cores()))
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set once in this process: torch allows it only before parallel work
        pass
    return threads


def pick_device() -> torch.device:
    """CUDA when present, otherwise the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
