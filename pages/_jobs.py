"""The one queue for background training (not a page): every page that trains submits here. By default it is the
server process's own (at most one training at a time on the 2-core machine, the rest wait their turn); when the
deployment names a Ray cluster (RNN_LAB_RAY_ADDRESS, core.cluster), every run of every app process goes to the
cluster's one queue. Plus the start button, the live panel and the queue's overview that the training pages share."""
import os
import socket
import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from core.cluster import ClusterError, ClusterJobManager, configured_address
from core.jobs import Job, JobManager
from core.plots.frozen import FrozenFigure
from pages._common import device

# seconds a session may be gone (a network blip reconnects) before its job is stopped; tests shorten it
DISCONNECT_GRACE = float(os.environ.get("RNN_LAB_DISCONNECT_GRACE", "30"))


def session_alive(session_id: str) -> bool:
    """Whether the browser session `session_id` is still connected to this server."""
    from streamlit.runtime import Runtime

    return not Runtime.exists() or Runtime.instance().is_active_session(session_id)


def this_session() -> str | None:
    """The id of the session running this script (None outside a Streamlit server, e.g. under AppTest)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return None if ctx is None else ctx.session_id


RETRY = 30.0  # seconds before a cluster that could not be used is tried again (each try can take a minute)


@st.cache_resource
def _cluster_failures() -> dict[str, tuple[float, str]]:
    """The last failure to reach each configured cluster (address -> when, why), shared by the process's sessions."""
    return {}


def job_manager() -> JobManager:
    """The server's queue (`_job_manager`); while the configured cluster failed less than RETRY seconds ago, that
    failure again at once (a ClusterError), so pages do not each wait for it."""
    address, failures = configured_address(), _cluster_failures()
    if address in failures and time.monotonic() - failures[address][0] < RETRY:
        raise ClusterError(failures[address][1])
    try:
        return _job_manager(address)
    except ClusterError as e:
        failures[address] = (time.monotonic(), str(e))
        raise


@st.cache_resource
def _job_manager(address: str | None) -> JobManager:
    """One queue for the whole server process, shared by every session and every training page (or, with a Ray
    cluster configured, this process's door to the deployment's queue); a session that disconnects has its job stopped
    (after DISCONNECT_GRACE), which frees its slot and what it trained. Raises ClusterError if the configured cluster
    cannot be used (not cached: the next call tries again)."""
    if address is None:
        manager = JobManager(max_running=1, device=device())
    else:
        manager = ClusterJobManager.from_environment(where=f"{socket.gethostname()}:{st.get_option('server.port')}")
    manager.start_reaper(session_alive, grace=DISCONNECT_GRACE)
    return manager


def queue_name() -> str:
    """What the queue is, in words for the page."""
    return "the class's training queue (a Ray cluster)" if configured_address() else "the server's training queue"


def queue_overview() -> None:
    """Every run queued or running now, from every session (and every app process, with a cluster): a student sees
    why they wait and for whom."""
    try:
        runs = job_manager().overview()
    except ClusterError as e:
        st.error(f"Training is not available now: {e}. Ask whoever runs this server.")
        return
    if not runs:
        return
    running = sum(run["status"] == "running" for run in runs)
    with st.expander(f"In {queue_name()}: {running} running, {len(runs) - running} waiting"):
        st.table([{"run": run["run"], "status": run["status"], "started from": run["from"],  # a few rows: real table
                   "for (s)": round(run["seconds"])} for run in runs])  # markup that a screen reader can read


JobSpec = tuple[str, Callable[[Job], Any]]  # a job's name and the function the worker runs with it


class CannotStart(Exception):
    """Raised by a job's builder: why the job cannot start, in words for the user (start_button shows them)."""


def start_button(label: str, key: str, job: JobSpec | Callable[[], JobSpec | None], meta: dict, help: str) -> None:
    """A button that queues `job` as this session's job under session key `key` (disabled while it runs).

    `job` is its (name, function), or a builder called only on the click that returns them (None: start nothing)
    or raises CannotStart, whose message is shown with st.error."""
    current = st.session_state.get(key)
    busy = current is not None and not current.done
    clicked = st.button(label, type="primary", disabled=busy, key=f"start_{key}", help=help)
    if clicked and not busy:  # a second click that reached the server before the button greyed out does nothing
        try:
            spec = job() if callable(job) else job
        except CannotStart as e:
            st.error(str(e))
            return
        if spec is not None:
            name, fn = spec
            try:
                st.session_state[key] = job_manager().submit(name, fn, meta, owner=this_session())
            except ClusterError as e:
                st.error(f"Training is not available now: {e}. Ask whoever runs this server.")
                return
            st.rerun()


def stopped_warning(job: Job) -> None:
    """The default word on an ended job: a warning if it was stopped (a finished one speaks for itself)."""
    if job.status == "stopped":
        st.warning(f"“{job.name}” was stopped after {job.elapsed:.0f} s; what it measured so far is below.")


def job_panel(key: str, progress: Callable[[Job], float], show: Callable[[Job], None],
              ended: Callable[[Job], None] = stopped_warning, overview: bool = True) -> None:
    """The live view of this session's job under `key`: place in the queue, a progress bar and Stop, the
    error if it failed, `ended(job)` once it finished or was stopped, then `show(job)` (what it has measured
    so far), with the queue (`queue_overview`) above unless `overview` is False. Reruns every second while the job
    is queued or running."""
    job = st.session_state.get(key)

    @st.fragment(run_every=1.0 if job is not None and not job.done else None)
    def panel() -> None:
        if overview:  # (a page with two panels shows the queue once)
            queue_overview()
        job = st.session_state.get(key)
        if job is None:
            return
        if job.status == "queued":
            try:
                place = f"place {job_manager().position(job)}"
            except ClusterError:
                place = "waiting"
            st.info(f"“{job.name}” is waiting: {place} in {queue_name()}.")
        elif job.status == "running":
            st.progress(max(0.0, min(1.0, progress(job))), text=f"“{job.name}”: {job.elapsed:.0f} s")
        elif job.status == "failed":
            st.error(f"The run could not go on: {job.error}")
        else:
            ended(job)
        if not job.done:
            st.button("Stop" if job.status == "running" else "Cancel", key=f"stop_{key}", on_click=job.stop,
                      help="End the run now.")
        show(job)
        if job.done and st.session_state.get(f"{key}_redrawn") is not job:  # once: re-enable Start, stop polling
            st.session_state[f"{key}_redrawn"] = job
            st.rerun(scope="app")

    panel()


def finished_figure(job: Job, name: str, build: Callable[[], Any]) -> FrozenFigure:
    """`build()`, a figure of a finished job, made once per job and kept in this session under `name` (a page reruns
    on every move; the job's figure does not change any more)."""
    kept = st.session_state.get(name)
    if kept is None or kept[0] is not job:
        kept = st.session_state[name] = (job, FrozenFigure(build()))
    return kept[1]
