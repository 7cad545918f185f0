"""Background jobs: the cap holds, the queue is first come first served, Stop works, errors are kept."""
import threading
import time

import pytest

from core.jobs import JobManager


def wait_until(condition, timeout=10.0):
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.01)


def test_cap_holds_when_many_jobs_start_at_once_and_order_is_kept():
    manager = JobManager(max_running=2)
    release = threading.Event()
    lock = threading.Lock()
    running, peak, order = [0], [0], []

    def work(job):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            order.append(job.name)
        release.wait(5)
        with lock:
            running[0] -= 1

    jobs = [manager.submit(f"j{i}", work) for i in range(6)]
    wait_until(lambda: len(manager.running()) == 2)
    time.sleep(0.3)
    assert len(manager.running()) == 2 and [manager.position(j) for j in jobs[2:]] == [1, 2, 3, 4]
    release.set()
    wait_until(lambda: all(j.done for j in jobs))
    assert peak[0] == 2 and order[:2] == ["j0", "j1"] and order[2:] == ["j2", "j3", "j4", "j5"]
    assert all(j.status == "finished" for j in jobs)


def test_stop_ends_a_running_job_and_cancels_a_queued_one():
    manager = JobManager(max_running=1)

    def loop(job):
        while not job.stop_requested:
            job.report({"t": job.elapsed})
            time.sleep(0.01)
        return "partial"

    first = manager.submit("first", loop)
    second = manager.submit("second", loop)
    wait_until(lambda: first.status == "running" and first.rows)
    assert manager.position(second) == 1
    second.stop()
    wait_until(lambda: second.done)
    assert second.status == "stopped" and second.started is None
    first.stop()
    wait_until(lambda: first.done)
    assert first.status == "stopped" and first.result == "partial" and first.rows


def test_an_error_is_kept_and_frees_the_slot():
    manager = JobManager(max_running=1)
    bad = manager.submit("bad", lambda job: 1 / 0)
    good = manager.submit("good", lambda job: 42)
    wait_until(lambda: bad.done and good.done)
    assert bad.status == "failed" and bad.error == "division by zero"
    assert good.status == "finished" and good.result == 42


def test_max_running_must_be_positive():
    with pytest.raises(ValueError):
        JobManager(0)
