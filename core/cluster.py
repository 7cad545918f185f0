"""Training on a Ray cluster: one queue for a whole deployment, whichever app process a student is on.

With the environment variable RNN_LAB_RAY_ADDRESS set (e.g. `10.0.0.5:6379`, a running `ray start --head`), every
training job runs in a Ray actor of its own (`Trainer`, killed when the job ends) that asks for RNN_LAB_RAY_TASK_CPUS
CPUs (default 1) and RNN_LAB_RAY_TASK_GPUS GPUs (default 0). Ray starts each on whichever worker has them free; the
others wait. Without it, core.jobs.JobManager runs jobs in the app process, as before (nothing to install or start).
Ray is a deployment extra (requirements-deploy.txt), imported only here and only when a cluster is configured.

Nothing changes for a page: `ClusterJobManager` is a core.jobs.JobManager whose jobs run remotely. For each job
- a detached actor, the *registry* (one for the deployment, found by name), records it: queued, then running (which
  worker), its progress rows and notes until the app process fetches them, and whether Stop was asked;
- on the worker, the job's function gets a `RemoteJob`: `report` and `note` are sent to the registry in batches
  (every SYNC seconds), and each batch brings back the Stop flag, so `job.stop_requested` works as in-process;
- in the app process, a thread per job polls the registry (every POLL seconds): rows and notes join the local Job that
  the page reads, the page's Stop (or the reaper's, for a closed tab) goes to the registry, and the task's return
  value becomes `job.result` (a trained model comes back to the app process, which saves it to its model store);
- a run that raised is "failed" with its message; a run whose worker died (process killed, machine lost) is "failed"
  with that said; a queued run that is stopped never starts.

`overview()` lists the deployment's queued and running runs for every app process; an entry whose app process has
stopped polling for STALE seconds (that process is gone) is dropped, and its run is told to stop.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import traceback
import uuid
from collections.abc import Iterator
from typing import Any

from core.jobs import Job, JobManager

ADDRESS_ENV, CPUS_ENV, GPUS_ENV = "RNN_LAB_RAY_ADDRESS", "RNN_LAB_RAY_TASK_CPUS", "RNN_LAB_RAY_TASK_GPUS"
NAMESPACE, REGISTRY = "rnnlab", "rnnlab-training-queue"
SYNC = 0.5  # seconds between a worker's batches of progress (each also reads the Stop flag)
POLL = 0.5  # seconds between an app process's fetches of a job's progress
STALE = 30.0  # seconds without a fetch after which a run's app process counts as gone
TIMEOUT = 30.0  # seconds an app process waits for the registry's answer before it counts the cluster as gone
CANCELLED = "rnnlab: stopped before it started"  # what a task returns when it was stopped while it waited


class ClusterError(RuntimeError):
    """The cluster is configured but cannot be used: why, in words for whoever runs the server."""


def configured_address(environ: dict[str, str] | None = None) -> str | None:
    """The Ray cluster this deployment names (RNN_LAB_RAY_ADDRESS), or None: train in the app process."""
    address = (os.environ if environ is None else environ).get(ADDRESS_ENV, "").strip()
    return address or None


@contextlib.contextmanager
def local_head(cpus: int) -> Iterator[str]:
    """A Ray head on this machine with `cpus` worker CPUs, for a one-machine trial, the tests and benchmarks.cluster;
    yields its address. At the end this process disconnects and `ray stop` ends it (with every other Ray process of
    this user on the machine)."""
    import ray

    ray_command = shutil.which("ray")
    if ray_command is None:
        raise ClusterError("the `ray` command is not on PATH: pip install -r requirements-deploy.txt")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run([ray_command, "start", "--head", f"--num-cpus={cpus}", "--num-gpus=0", f"--port={port}",
                    "--include-dashboard=false", "--disable-usage-stats", "--object-store-memory=200000000"],
                   check=True, capture_output=True, timeout=120)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        ray.shutdown()  # this process's connection, if it made one: a later head needs a fresh one
        subprocess.run([ray_command, "stop", "--force"], capture_output=True, timeout=120)


def reachable(address: str, timeout: float = 5.0) -> None:
    """Raise OSError unless something accepts a connection at `address` ("host:port") within `timeout` seconds."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise OSError(f"{address!r} is not host:port")
    socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()


class Registry:
    """The deployment's queue, as a detached Ray actor: what each run is doing, and the progress not yet fetched."""

    def __init__(self) -> None:
        self._runs: dict[str, dict[str, Any]] = {}

    def add(self, job_id: str, name: str, where: str) -> None:
        now = time.time()
        self._runs[job_id] = {"run": name, "from": where, "status": "queued", "submitted": now, "started": None,
                              "worker": None, "rows": [], "notes": [], "stop": False, "seen": now}

    def start(self, job_id: str, worker: str) -> bool:
        """A worker begins `job_id`; False if it was stopped (or forgotten) while it waited: do not run it."""
        run = self._runs.get(job_id)
        if run is None or run["stop"]:
            return False
        run.update(status="running", started=time.time(), worker=worker)
        return True

    def push(self, job_id: str, rows: list, notes: list) -> bool:
        """A worker's batch of progress; returns whether the run should stop."""
        run = self._runs.get(job_id)
        if run is None:  # dropped: the app process that started it is gone
            return True
        run["rows"] += rows
        run["notes"] += notes
        return run["stop"]

    def finish(self, job_id: str) -> None:
        """The worker is done with `job_id` (its result goes back through Ray, not through here)."""
        if job_id in self._runs:
            self._runs[job_id]["status"] = "ended"

    def stop(self, job_id: str) -> str | None:
        """Ask `job_id` to stop; returns its status as it was ("queued": it will never start)."""
        run = self._runs.get(job_id)
        if run is None:
            return None
        run["stop"] = True
        return run["status"]

    def take(self, job_id: str) -> dict[str, Any] | None:
        """The run's state and the progress that arrived since the last take (handed over, not kept)."""
        run = self._runs.get(job_id)
        if run is None:
            return None
        run["seen"] = time.time()
        taken = {k: run[k] for k in ("status", "started", "worker", "rows", "notes")}
        run["rows"], run["notes"] = [], []
        return taken

    def end(self, job_id: str) -> None:
        self._runs.pop(job_id, None)

    def listing(self) -> list[dict[str, Any]]:
        """The queued and running runs, oldest first (runs whose app process is gone are dropped first)."""
        now = time.time()
        for job_id in [k for k, run in self._runs.items() if now - run["seen"] > STALE]:
            del self._runs[job_id]
        runs = sorted(((k, r) for k, r in self._runs.items() if r["status"] != "ended"),
                      key=lambda kr: kr[1]["submitted"])
        return [{"id": k, "run": r["run"], "status": r["status"], "from": r["from"], "worker": r["worker"],
                 "seconds": now - (r["started"] or r["submitted"])} for k, r in runs]


class RemoteJob(Job):
    """The Job a function gets on a worker: progress goes to the registry in batches, Stop comes back with each."""

    def __init__(self, name: str, meta: dict[str, Any], registry: Any, job_id: str) -> None:
        super().__init__(name, fn=None, meta=dict(meta), status="running", started=time.monotonic())
        self._registry, self._id = registry, job_id
        self._outbox: tuple[list, list] = ([], [])
        self._synced = time.monotonic()

    def report(self, row: dict[str, float]) -> None:
        with self._lock:
            self._outbox[0].append(dict(row))
        self._sync_if_due()

    def note(self, text: str) -> None:
        with self._lock:
            self._outbox[1].append((self.elapsed, text))
        self._sync_if_due()

    @property
    def stop_requested(self) -> bool:
        self._sync_if_due()
        return self._stop.is_set()

    def _sync_if_due(self) -> None:
        if time.monotonic() - self._synced >= SYNC:
            self.sync()

    def sync(self) -> None:
        """Send what was reported since the last batch; note whether Stop was asked."""
        import ray

        with self._lock:
            (rows, notes), self._outbox = self._outbox, ([], [])
        self._synced = time.monotonic()
        if ray.get(self._registry.push.remote(self._id, rows, notes)):
            self._stop.set()


def run_on_worker(fn: Any, job_id: str, name: str, meta: dict[str, Any], registry: Any, threads: int,
                  gpus: float) -> Any:
    """`fn(job)` on a worker (in a Trainer actor), its progress going back through the registry. The job's device is
    the worker's GPU when the run asked for one, else its CPU; what it returns comes back on the CPU (the app process
    may have no GPU)."""

    import ray

    from core.runtime import configure_torch, pick_device
    from core.training import to_cpu

    configure_torch(threads)
    if not ray.get(registry.start.remote(job_id, f"{socket.gethostname()}:{os.getpid()}")):
        return CANCELLED
    job = RemoteJob(name, meta, registry, job_id)
    job.device = pick_device("auto" if gpus > 0 else "cpu")
    try:
        return to_cpu(fn(job))
    finally:
        job.sync()  # the last progress has arrived before the result does
        ray.get(registry.finish.remote(job_id))


class Trainer:
    """The Ray actor that runs one job (`run_on_worker`), then is killed. An actor, not a task: a task that waits on
    Ray, as a job does for each progress batch, hands its CPUs back while it waits, and Ray starts a waiting run on
    them (measured: a third run on two CPUs); an actor keeps its CPUs until it ends."""

    def run(self, *args: Any) -> Any:
        return run_on_worker(*args)


class ClusterJobManager(JobManager):
    """core.jobs.JobManager with every job a Ray task on the cluster at `address` (module docstring). The cluster's
    free CPUs and GPUs, not this process, decide how many run at once."""

    def __init__(self, address: str, cpus: float = 1, gpus: float = 0, where: str | None = None) -> None:
        super().__init__(max_running=1)
        try:
            import ray
        except ImportError:
            raise ClusterError(f"{ADDRESS_ENV} names a Ray cluster ({address}) but Ray is not installed here: "
                               "pip install -r requirements-deploy.txt") from None
        import core

        try:
            if not ray.is_initialized():  # core travels with each task, so workers need only the requirements
                reachable(address)  # ray.init waits minutes for an address where nothing answers
                ray.init(address=address, namespace=NAMESPACE, runtime_env={"py_modules": [core]},
                         logging_level="ERROR", log_to_driver=False)
            self._registry = ray.remote(Registry).options(  # restarted (empty) if its process dies
                name=REGISTRY, namespace=NAMESPACE, lifetime="detached", get_if_exists=True, num_cpus=0,
                max_restarts=-1).remote()
            ray.get(self._registry.listing.remote(), timeout=TIMEOUT)
            self._trainer = ray.remote(Trainer).options(num_cpus=cpus, num_gpus=gpus, max_restarts=0,
                                                        max_task_retries=0)
            nodes = [n["Resources"] for n in ray.nodes() if n.get("Alive")]
        except Exception as e:
            raise ClusterError(f"the Ray cluster at {address} ({ADDRESS_ENV}) cannot be used: "
                               f"{type(e).__name__}: {e}") from e
        if not any(n.get("CPU", 0) >= cpus and n.get("GPU", 0) >= gpus for n in nodes):  # it would wait forever
            raise ClusterError(f"no machine of the Ray cluster at {address} has the {cpus:g} CPUs and {gpus:g} GPUs "
                               f"a run asks for ({CPUS_ENV}, {GPUS_ENV})")
        self.cpus, self.gpus, self.where = cpus, gpus, where or f"{socket.gethostname()}:{os.getpid()}"
        self._ids: dict[int, str] = {}  # id(job) -> its id in the registry, while it has not ended

    @classmethod
    def from_environment(cls, where: str | None = None) -> ClusterJobManager:
        """The manager for the cluster that RNN_LAB_RAY_ADDRESS names, with the task sizes from the environment."""
        address = configured_address()
        if address is None:
            raise ClusterError(f"{ADDRESS_ENV} is not set")
        try:
            cpus, gpus = float(os.environ.get(CPUS_ENV, "1")), float(os.environ.get(GPUS_ENV, "0"))
        except ValueError:
            raise ClusterError(f"{CPUS_ENV} and {GPUS_ENV} must be numbers") from None
        return cls(address, cpus, gpus, where)

    def _listing(self) -> list[dict[str, Any]]:
        """The registry's listing; ClusterError if the cluster does not answer within a few seconds."""
        import ray

        try:
            return ray.get(self._registry.listing.remote(), timeout=5.0)
        except Exception as e:
            raise ClusterError(f"the Ray cluster does not answer ({type(e).__name__})") from e

    def overview(self) -> list[dict[str, Any]]:
        """The deployment's queued and running runs, from every app process, oldest first."""
        return [{k: v for k, v in run.items() if k not in ("id", "worker")} for run in self._listing()]

    def position(self, job: Job) -> int:
        """1-based place of a queued job among the deployment's waiting runs; 0 once it runs or has ended."""
        job_id = self._ids.get(id(job))
        waiting = [run["id"] for run in self._listing() if run["status"] == "queued"]
        return waiting.index(job_id) + 1 if job_id in waiting else 0

    def worker(self, job: Job) -> str | None:
        """'host:pid' of the worker process running `job` (None while it waits or once it has ended)."""
        job_id = self._ids.get(id(job))
        return next((run["worker"] for run in self._listing() if run["id"] == job_id), None)

    def _run(self, job: Job) -> None:
        import ray

        job_id = uuid.uuid4().hex
        self._ids[id(job)] = job_id
        status, told, cancelled, trainer = "failed", False, False, None
        try:
            try:
                ray.get(self._registry.add.remote(job_id, job.name, self.where), timeout=TIMEOUT)
                trainer = self._trainer.remote()  # waits (queued) until the cluster has the CPUs and GPUs it asks for
                ref = trainer.run.remote(job.fn, job_id, job.name, job.meta, self._registry, max(1, round(self.cpus)),
                                         self.gpus)
            except Exception as e:  # the cluster is gone, or the run's function could not be sent (pickled)
                job.error = f"the run could not be sent to the Ray cluster ({type(e).__name__}: {e})"
                raise
            while True:
                ended = ray.wait([ref], timeout=POLL)[0]
                if job.stop_requested and not told:
                    # the registry answers one call at a time: "queued" here means the worker has not started it
                    cancelled = ray.get(self._registry.stop.remote(job_id), timeout=TIMEOUT) == "queued"
                    if cancelled:  # it leaves the cluster's queue now and never starts
                        ray.kill(trainer)
                    told = True
                self._take(job, job_id)
                if ended:
                    break
            status = "stopped" if cancelled else self._outcome(job, ref)
            self._take(job, job_id)
        except Exception as e:  # the cluster went away: the page says so, the server stays up
            job.error = job.error or f"the Ray cluster stopped answering ({type(e).__name__}: {e})"
            traceback.print_exc()
        finally:
            try:
                self._registry.end.remote(job_id)
                if trainer is not None:
                    ray.kill(trainer)  # frees its CPUs for the next run
            except Exception:  # the cluster is gone; its registry with it
                pass
            self._ids.pop(id(job), None)
            with self._cond:
                self._end(job, status)

    def _take(self, job: Job, job_id: str) -> None:
        """Bring the job's state and new progress from the registry into the local Job."""
        import ray

        update = ray.get(self._registry.take.remote(job_id), timeout=TIMEOUT)
        if update is None:
            return
        if update["status"] in ("running", "ended") and job.status == "queued":  # (one that ran within one poll)
            job.status, job.started = "running", time.monotonic()
        with job._lock:
            job.rows += update["rows"]
            job.notes += [tuple(note) for note in update["notes"]]

    @staticmethod
    def _outcome(job: Job, ref: Any) -> str:
        """The task's result into `job`, and how the run ended."""
        import ray
        from ray import exceptions

        try:
            result = ray.get(ref)
        except exceptions.RayTaskError as e:  # the job's own code raised: its message, as in-process
            cause = e.cause if isinstance(e.cause, Exception) else e
            job.error = str(cause) or type(cause).__name__
            print(e, flush=True)  # the remote traceback goes to the server's log, never to the page
            return "failed"
        except exceptions.TaskCancelledError:
            return "stopped"
        except exceptions.RayError as e:  # the worker process or its machine died under it
            job.error = (f"the cluster worker running it stopped unexpectedly ({type(e).__name__}); nothing it "
                         "trained was kept. Start it again.")
            print(f"{job.name}: {e}", flush=True)
            return "failed"
        if isinstance(result, str) and result == CANCELLED:
            return "stopped"
        job.result = result
        return "stopped" if job.stop_requested else "finished"
