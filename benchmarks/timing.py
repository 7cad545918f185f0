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


def beside_busy_python(fn: Callable[[], Any]) -> tuple[float, float]:
    """Seconds `fn` takes alone, and beside a thread that runs pure Python all the while (as a server's other
    sessions do): code that calls torch from Python hands the GIL back at every operation and, beside such a thread,
    waits for it again each time; a compiled or traced loop is one call that holds no GIL."""
    import threading

    start = time.perf_counter()
    fn()
    alone = time.perf_counter() - start
    stop = threading.Event()

    def spin() -> None:
        n = 0
        while not stop.is_set():
            n += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        start = time.perf_counter()
        fn()
        busy = time.perf_counter() - start
    finally:
        stop.set()
        spinner.join()
    return alone, busy
