"""Worker processes for computations written as Python loops over small NumPy operations.

Streamlit runs every session's script in a thread of one process, and only one thread runs Python at a time (the
GIL). A NumPy or torch operation lets go of the GIL while it computes and must get it back after; beside a thread
that is running Python (another session building its page) each such return waits up to 5 ms. A loop of a few
hundred small operations, fast alone, then crawls: the gradient-flow experiment (three networks' forward and backward
passes through time, and the vanilla RNN's Jacobian products) takes 0.1 s alone and 1.7 s beside one busy thread
(benchmarks/gradient_flow.py). Torch loops are compiled instead (core.charlm.loops, core.vision.steps); NumPy loops
run here, in a process of their own, where no other session's Python competes for their GIL.

`Workers(n)` keeps n such processes (`python -m core.offload`, started on first use); `run(fn, *args)` sends a
module-level function and its picklable arguments to a free one and returns the result, or raises the exception
it raised. With n = 0, or when a worker dies, the call runs in the calling thread instead (and the dead worker is
replaced on the next call).

The workers are plain subprocesses, not multiprocessing's: multiprocessing starts a child by re-running the parent's
`__main__`, which inside Streamlit is the app script itself.
"""
from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]  # the repository: where `core` is importable from


class _Worker:
    """One worker process and its two pipes."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        self.process = subprocess.Popen([sys.executable, "-m", "core.offload"], cwd=ROOT, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def call(self, fn: Callable[..., T], args: tuple) -> tuple[bool, Any]:
        """Send fn(*args) and read the reply: (True, result) or (False, the exception fn raised); OSError or
        EOFError if the worker is gone."""
        self.process.stdin.write(pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL))
        self.process.stdin.flush()
        return pickle.load(self.process.stdout)

    def stop(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Workers:
    """A pool of `count` worker processes for pure functions (thread-safe; see the module's docstring)."""

    def __init__(self, count: int) -> None:
        self.count = max(0, int(count))
        self._free: queue.Queue[_Worker | None] = queue.Queue()
        for _ in range(self.count):
            self._free.put(None)  # a slot whose process starts when it is first used

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args) in a free worker (waiting for one), its exception raised here; in this thread if there are no
        workers, or if the worker died (it is replaced on the next call)."""
        if self.count == 0:
            return fn(*args)
        worker, replied = self._free.get(), None
        try:
            worker = worker or _Worker()
            replied = worker.call(fn, args)
        except (OSError, EOFError, pickle.UnpicklingError):  # the worker died: answer anyway, start a new one next time
            pass
        finally:  # a worker that did not answer (it died, or this thread was interrupted) is not used again
            if replied is None and worker is not None:
                worker.stop()
            self._free.put(worker if replied is not None else None)
        if replied is None:
            return fn(*args)
        ok, value = replied
        if not ok:
            raise value
        return value

    def warm(self, *modules: str) -> None:
        """Start every worker now and import `modules` in each, so that the first request does not wait for it."""
        threads = [threading.Thread(target=self.run, args=(_import, modules)) for _ in range(self.count)]
        for thread in threads:  # together, so each takes its own slot
            thread.start()
        for thread in threads:
            thread.join()

    def close(self) -> None:
        """Stop every worker that is not busy."""
        while True:
            try:
                worker = self._free.get_nowait()
            except queue.Empty:
                return
            if worker is not None:
                worker.stop()


def _import(modules: tuple[str, ...]) -> None:
    import importlib

    for name in modules:
        importlib.import_module(name)


def _serve(requests: BinaryIO, replies: BinaryIO) -> None:
    """A worker's loop: read (fn, args), write (True, result) or (False, exception), until the server closes the pipe."""
    from core.runtime import configure_torch

    configure_torch(1)  # one torch thread, like the server
    while True:
        try:
            fn, args = pickle.load(requests)
        except EOFError:
            return
        try:
            reply = (True, fn(*args))
        except Exception as e:  # noqa: BLE001 - sent back and raised in the server
            reply = (False, e)
        try:
            data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as e:  # noqa: BLE001 - the result or the exception does not pickle
            data = pickle.dumps((False, RuntimeError(f"{type(e).__name__}: {e}")), protocol=pickle.HIGHEST_PROTOCOL)
        replies.write(data)
        replies.flush()


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C on `streamlit run` reaches the workers too: the server
    # stops, closes the pipe, and that ends the worker quietly
    replies = os.fdopen(os.dup(1), "wb")  # the pipe to the server; print() and libraries write to stderr instead
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _serve(sys.stdin.buffer, replies)
