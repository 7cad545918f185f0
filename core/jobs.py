"""Long work off the page: background jobs with progress, a Stop request and a cap on how many run.

A `JobManager` (one per server process; the app keeps it in st.cache_resource) runs each job in a
thread. At most `max_running` jobs run at once; the rest wait in a queue and know their place in
it. A job's function receives a `Job` and reports through `job.report(row)` and `job.note(...)`;
it checks `job.stop_requested` to end early. A job may belong to a session (its `owner`); `reap`
stops the jobs of sessions that have gone (closed tab, lost connection) after a grace period. Nothing
here touches streamlit: the page reads the job's state from a fragment that reruns every second, and
tells the manager how to ask whether a session is still there.
"""
from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Job:
    """One unit of background work and everything the page shows about it."""

    name: str
    fn: Callable[[Job], Any]
    meta: dict[str, Any] = field(default_factory=dict)  # what the job was asked to do, for display
    owner: str | None = None  # the session that started it (its job stops when that session has gone)
    status: str = "queued"  # queued | running | finished | stopped | failed
    rows: list[dict[str, float]] = field(default_factory=list)  # progress rows, e.g. one per training step
    notes: list[tuple[float, str]] = field(default_factory=list)  # (seconds since start, text), e.g. samples
    result: Any = None
    error: str = ""
    device: Any = "cpu"  # where the job's models run (a torch.device or its name): set by the manager that runs it
    created: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def stop_requested(self) -> bool:
        """True once someone asked the job to stop."""
        return self._stop.is_set()

    def stop(self) -> None:
        """Ask the job to stop (a queued job is cancelled before it starts)."""
        self._stop.set()

    def report(self, row: dict[str, float]) -> None:
        """Add a progress row (thread-safe)."""
        with self._lock:
            self.rows.append(dict(row))

    def note(self, text: str) -> None:
        """Add a timestamped note (thread-safe)."""
        with self._lock:
            self.notes.append((self.elapsed, text))

    def snapshot(self) -> tuple[list[dict[str, float]], list[tuple[float, str]]]:
        """Copies of the rows and notes, safe to read while the job runs."""
        with self._lock:
            return list(self.rows), list(self.notes)

    @property
    def elapsed(self) -> float:
        """Seconds the job has been running (0 while queued)."""
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started

    @property
    def done(self) -> bool:
        """Whether the job has ended, one way or another."""
        return self.status in ("finished", "stopped", "failed")


class JobManager:
    """Runs jobs in threads, at most `max_running` at a time, first come first served."""

    def __init__(self, max_running: int = 1, device: Any = "cpu") -> None:
        if max_running < 1:
            raise ValueError("max_running must be >= 1")
        self.max_running, self.device = max_running, device
        self._cond = threading.Condition()
        self._jobs: list[Job] = []  # queued and running, in order of submission
        self._active = 0
        self._gone: dict[str, float] = {}  # owner -> when it was first seen disconnected

    def submit(self, name: str, fn: Callable[[Job], Any], meta: dict[str, Any] | None = None,
               owner: str | None = None) -> Job:
        """Queue `fn(job)` to run in the background for session `owner`; returns the Job at once."""
        job = Job(name, fn, dict(meta or {}), owner=owner, device=self.device)
        with self._cond:
            self._jobs.append(job)
        threading.Thread(target=self._run, args=(job,), name=f"job-{name}", daemon=True).start()
        return job

    def position(self, job: Job) -> int:
        """1-based place of a queued job in the queue; 0 once it runs or has ended."""
        with self._cond:
            waiting = [j for j in self._jobs if j.status == "queued"]
        return waiting.index(job) + 1 if job in waiting else 0

    def running(self) -> list[Job]:
        """The jobs running now."""
        with self._cond:
            return [j for j in self._jobs if j.status == "running"]

    def unfinished(self) -> list[Job]:
        """The jobs queued or running now, in order of submission."""
        with self._cond:
            return list(self._jobs)

    def reap(self, alive: Callable[[str], bool], grace: float, now: float | None = None) -> list[Job]:
        """Stop (or cancel, if queued) every job whose owner has not been `alive` for `grace` seconds, so a closed
        tab frees its training slot and memory; a brief disconnect (a network blip that reconnects) is forgiven.
        Returns the jobs it stopped."""
        now = time.monotonic() if now is None else now
        with self._cond:
            owners = {j.owner for j in self._jobs if j.owner is not None and not j.stop_requested}
        stopped = []
        for owner in owners:
            if alive(owner):
                self._gone.pop(owner, None)
                continue
            since = self._gone.setdefault(owner, now)
            if now - since >= grace:
                with self._cond:
                    mine = [j for j in self._jobs if j.owner == owner and not j.stop_requested]
                for job in mine:
                    job.note("stopped: the session that started it closed")
                    job.stop()
                stopped += mine
                self._gone.pop(owner, None)
        return stopped

    def start_reaper(self, alive: Callable[[str], bool], grace: float = 30.0, every: float = 2.0) -> None:
        """Call `reap(alive, grace)` every `every` seconds in a daemon thread, for the life of the process."""
        def loop() -> None:
            while True:
                time.sleep(every)
                try:
                    self.reap(alive, grace)
                except Exception:  # a reaper that died would leave abandoned jobs running: log and go on
                    traceback.print_exc()

        threading.Thread(target=loop, name="job-reaper", daemon=True).start()

    def _next_in_line(self) -> Job | None:
        return next((j for j in self._jobs if j.status == "queued" and not j.stop_requested), None)

    def overview(self) -> list[dict[str, Any]]:
        """Every run this manager knows of that has not ended, in order of submission: name, status ("queued" or
        "running"), where it was started from, seconds waited or running. Here: this process's own queue; the
        cluster manager (core.cluster) lists the whole deployment's."""
        now = time.monotonic()
        with self._cond:
            return [{"run": j.name, "status": j.status, "from": "this server",
                     "seconds": now - (j.started if j.started is not None else j.created)} for j in self._jobs]

    def _run(self, job: Job) -> None:
        with self._cond:
            while not job.stop_requested and (self._active >= self.max_running or self._next_in_line() is not job):
                self._cond.wait(timeout=0.2)  # woken when a slot frees up; the timeout also notices Stop
            if job.stop_requested:  # cancelled while waiting
                self._end(job, "stopped")
                return
            self._active += 1
            job.status, job.started = "running", time.monotonic()
        status = "finished"
        try:
            job.result = job.fn(job)
            status = "stopped" if job.stop_requested else "finished"
        except Exception as e:  # the page shows the message; the server stays up
            job.error = str(e) or type(e).__name__
            traceback.print_exc()  # the details go to the server's log, never to the page
            status = "failed"
        finally:
            with self._cond:
                self._active -= 1
                self._end(job, status)

    def _end(self, job: Job, status: str) -> None:
        """Record how a job ended and wake the queue (call with the condition held)."""
        job.status, job.finished = status, time.monotonic()
        if job in self._jobs:
            self._jobs.remove(job)
        self._cond.notify_all()
