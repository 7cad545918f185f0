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


def until_stopped(job):
    while not job.stop_requested:
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


def test_a_disconnected_sessions_jobs_stop_after_the_grace_period_and_free_the_slot():
    manager = JobManager(max_running=1)
    connected = {"alice": True, "bob": True}

    alices = manager.submit("alice's run", until_stopped, owner="alice")
    bobs = manager.submit("bob's run", until_stopped, owner="bob")  # queued behind alice's
    wait_until(lambda: alices.status == "running")
    connected["alice"] = False  # alice closed her tab
    assert manager.reap(connected.get, grace=30.0, now=100.0) == []  # seen gone: the grace period starts
    assert manager.reap(connected.get, grace=30.0, now=120.0) == [] and not alices.stop_requested
    assert manager.reap(connected.get, grace=30.0, now=130.0) == [alices]
    wait_until(lambda: alices.done and bobs.status == "running")  # the slot went to bob
    assert alices.status == "stopped" and "session that started it closed" in alices.snapshot()[1][-1][1]
    bobs.stop()
    wait_until(lambda: bobs.done)


def test_a_brief_disconnect_is_forgiven_and_a_queued_job_of_a_gone_session_is_cancelled():
    manager = JobManager(max_running=1)
    connected = {"a": True, "b": True}

    first = manager.submit("a's run", until_stopped, owner="a")
    queued = manager.submit("b's run", until_stopped, owner="b")
    wait_until(lambda: first.status == "running")
    connected["a"] = False
    manager.reap(connected.get, grace=5.0, now=0.0)
    connected["a"] = True  # reconnected within the grace period
    manager.reap(connected.get, grace=5.0, now=3.0)
    connected["a"] = connected["b"] = False
    assert manager.reap(connected.get, grace=5.0, now=6.0) == []  # a's clock started again at 6 s, not at 0
    stopped = manager.reap(connected.get, grace=5.0, now=11.0)
    assert sorted(j.name for j in stopped) == ["a's run", "b's run"]
    wait_until(lambda: first.done and queued.done)
    assert queued.status == "stopped" and queued.started is None  # cancelled before it ever ran


def test_the_reaper_thread_stops_an_abandoned_job_on_its_own():
    manager = JobManager(max_running=1)
    manager.start_reaper(lambda owner: owner != "gone", grace=0.05, every=0.02)

    job = manager.submit("abandoned", until_stopped, owner="gone")
    kept = manager.submit("kept", until_stopped, owner="here")
    wait_until(lambda: job.done and kept.status == "running")
    assert job.status == "stopped" and not kept.stop_requested
    kept.stop()
    wait_until(lambda: kept.done)


def test_the_cap_holds_when_sessions_submit_from_many_threads_at_the_same_instant():
    manager = JobManager(max_running=1)
    barrier = threading.Barrier(8)
    lock, running, peak, jobs = threading.Lock(), [0], [0], []

    def work(job):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1

    def session(k):
        barrier.wait()  # all eight press Start together
        job = manager.submit(f"s{k}", work, owner=f"session {k}")
        with lock:
            jobs.append(job)

    threads = [threading.Thread(target=session, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wait_until(lambda: len(jobs) == 8 and all(j.done for j in jobs))
    assert peak[0] == 1 and all(j.status == "finished" for j in jobs)


def test_the_overview_lists_running_and_waiting_jobs_and_each_job_gets_the_managers_device():
    manager = JobManager(max_running=1, device="cpu")
    release = threading.Event()
    seen = []

    def work(job):
        seen.append(job.device)
        release.wait(5)

    first, second = manager.submit("first", work), manager.submit("second", work)
    wait_until(lambda: first.status == "running")
    assert [(run["run"], run["status"]) for run in manager.overview()] == [("first", "running"), ("second", "queued")]
    release.set()
    wait_until(lambda: first.done and second.done)
    assert manager.overview() == [] and seen == ["cpu", "cpu"]


def test_unfinished_lists_the_queued_and_running_jobs_until_they_end():
    manager = JobManager(max_running=1)
    first, second = manager.submit("first", until_stopped), manager.submit("second", until_stopped)
    wait_until(lambda: first.status == "running")
    assert manager.unfinished() == [first, second] and second.status == "queued"
    first.stop()
    wait_until(lambda: second.status == "running")
    assert manager.unfinished() == [second]
    second.stop()
    wait_until(lambda: not manager.unfinished())
    assert first.done and second.done
