"""The timing helper the benchmark scripts share."""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]  # the repository


def timed(fn: Callable[[], Any], repeats: int, warm_up: bool = False) -> tuple[float, Any]:
    """Median seconds of `repeats` calls of `fn` (after one untimed call when `warm_up`), and the last result."""
    result = fn() if warm_up else None
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result
