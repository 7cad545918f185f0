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
it raised. A worker that dies is replaced; with n = 0 the call runs in the calling thread. Workers end when the
server does (their pipe closes); they keep the code they imported, so after editing `core`, restart the server.

The workers are plain subprocesses, not multiprocessing's: multiprocessing starts a child by re-running the parent's
`__main__`, which inside Streamlit is the app script itself.
"""
from __future__ import annotations

import os
import pickle
import queue
import select
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]  # the repository: where `core` is importable from
READY, STARTUP_SECONDS = b"+", 120.0  # what a worker writes once it has started, and how long that may take


class WorkerError(RuntimeError):
    """A worker process could not finish a computation (it stopped, or ran past its time)."""


class _Worker:
    """One worker process and its two pipes."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        self.process = subprocess.Popen([sys.executable, "-m", "core.offload"], cwd=ROOT, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        ready, _, _ = select.select([self.process.stdout], [], [], STARTUP_SECONDS)  # its imports, before any timing
        if not ready or self.process.stdout.read(1) != READY:
            self.stop()
            raise OSError("a worker process did not start")

    def call(self, request: bytes, timeout: float) -> tuple[bool, Any]:
        """Send a pickled (fn, args) and read the reply: (True, result) or (False, the exception fn raised).
        TimeoutError after `timeout` seconds without a reply; OSError, EOFError or a pickling error if the worker is
        gone or its reply cannot be read."""
        self.process.stdin.write(request)
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError
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
            self.process.wait()


class Workers:
    """A pool of `count` worker processes for pure functions (thread-safe; see the module's docstring)."""

    def __init__(self, count: int, timeout: float = 120.0) -> None:
        self.count, self.timeout = max(0, int(count)), timeout
        self._free: queue.Queue[_Worker | None] = queue.Queue()
        for _ in range(self.count):
            self._free.put(None)  # a slot whose process starts when it is first used

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args) in a free worker (waiting for one), its exception raised here. A worker that dies while
        computing is replaced and the call tried once more in the new one; WorkerError if that one dies too, or if
        the call runs past the timeout (the server itself never runs it: whatever stopped the worker would stop the
        server). With no workers, fn runs in this thread."""
        if self.count == 0:
            return fn(*args)
        request = pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)  # fails here, before any worker is used
        for _ in range(2):
            worker, reply = self._free.get(), None
            try:
                worker = worker or _Worker()
                reply = worker.call(request, self.timeout)
            except TimeoutError:
                worker.process.kill()  # busy: it would not notice its pipe closing
                raise WorkerError(f"the computation took longer than {self.timeout:.0f} s and was stopped") from None
            except Exception:  # noqa: BLE001 - the worker died or its reply was cut: try a new one
                pass
            finally:  # a worker that did not answer is not used again (its pipe may hold half a message)
                if reply is None and worker is not None:
                    worker.stop()
                self._free.put(worker if reply is not None else None)
            if reply is not None:
                ok, value = reply
                if not ok:
                    raise value
                return value
        raise WorkerError("the worker process stopped twice while computing this; the server is fine, try again")

    def warm(self, *modules: str) -> None:
        """Start every worker now and import `modules` in each, so that the first request does not wait for it."""
        threads = [threading.Thread(target=self.run, args=(_import, modules)) for _ in range(self.count)]
        for thread in threads:  # together, so each takes its own slot
            thread.start()
        for thread in threads:
            thread.join()

    def close(self) -> None:
        """Stop every worker that is not busy (the others end when the server does: their pipe closes)."""
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
    """A worker's loop: read (fn, args), write (True, result) or (False, exception), until the server closes the
    pipe."""
    from core.runtime import configure_torch

    configure_torch(1)  # one torch thread, like the server
    replies.write(READY)
    replies.flush()
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
            pickle.loads(data)  # an exception class the server could not rebuild would cut its reading short
        except Exception as e:  # noqa: BLE001 - the result or the exception does not pickle
            failure = reply[1] if not reply[0] else e
            data = pickle.dumps((False, RuntimeError(f"{type(failure).__name__}: {failure}")),
                                protocol=pickle.HIGHEST_PROTOCOL)
        try:
            replies.write(data)
            replies.flush()
        except BrokenPipeError:  # the server stopped waiting (it timed out, or it is shutting down)
            return


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C on `streamlit run` reaches the workers too: the server
    # stops, closes the pipe, and that ends the worker quietly
    replies = os.fdopen(os.dup(1), "wb")  # the pipe to the server; print() and libraries write to stderr instead
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _serve(sys.stdin.buffer, replies)
