"""Training on a Ray cluster (core.cluster) against a real local Ray head with two worker CPUs: three trainings from
two sessions share the two CPUs (the third waits, with its place), results and progress come back, Stop ends a
running run and cancels a waiting one, a closed session's run is stopped, and a worker killed mid-run fails that
run only."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.charlm.corpus import Corpus
from core.charlm.sample import sample
from core.charlm.train import TrainConfig, run_training_job
from core.cluster import ClusterJobManager, configured_address
from tests.ray_head import local_ray_head, require_ray


def wait_until(condition, timeout=90.0, every=0.1):
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(every)


@pytest.fixture(scope="module")
def cluster():
    with local_ray_head(cpus=2) as address:
        manager = ClusterJobManager(address, cpus=1, where="test-process")
        yield manager
        settle(manager)


@pytest.fixture
def manager(cluster):
    """The module's manager; after each test, whatever it left running (a failed test's runs) is stopped, so the next
    test gets the two CPUs."""
    yield cluster
    settle(cluster)


def settle(manager):
    """Stop every run still queued or running and wait for each to end, so that no run's thread calls Ray after the
    head stops: such a call connects again, and Ray ends a process whose head has gone (the whole test session)."""
    for job in manager.unfinished():
        job.stop()
    wait_until(lambda: not manager.unfinished(), timeout=60.0)


def looping():
    """A job that reports until it is stopped (a nested function: Ray ships it by value, as it does a page's)."""
    def loop(job):
        count = 0
        while not job.stop_requested:
            count += 1
            job.report({"step": count})
            time.sleep(0.02)
        return f"stopped after {count}"

    return loop


def test_the_address_comes_from_the_environment_only_when_set():
    assert configured_address({}) is None and configured_address({"RNN_LAB_RAY_ADDRESS": " "}) is None
    assert configured_address({"RNN_LAB_RAY_ADDRESS": "10.0.0.5:6379"}) == "10.0.0.5:6379"


def test_three_trainings_from_two_sessions_share_the_two_worker_cpus(manager):
    text = "the quick brown fox jumps over the lazy dog. " * 400
    corpus = Corpus("fox", text[:16_000], text[16_000:], "a test text")
    cfg = TrainConfig(corpus="upload", hidden_size=32, embed_size=8, batch_size=8, chunk_len=20, max_seconds=4.0,
                      eval_every=10, eval_chars=2_000, sample_every=20)
    timed = lambda job: (time.time(), run_training_job(job, cfg, corpus), time.time())  # noqa: E731  (on the worker)
    jobs = [manager.submit(f"run {i}", timed, {"i": i}, owner=f"session {i % 2}") for i in range(3)]
    seen_waiting, seen_progress = False, False
    while not all(job.done for job in jobs):
        statuses = [job.status for job in jobs]
        if statuses.count("running") == 2 and "queued" in statuses:
            waiting = jobs[statuses.index("queued")]
            overview = manager.overview()
            seen_waiting = seen_waiting or (manager.position(waiting) == 1 and len(overview) == 3
                                            and sorted(run["status"] for run in overview).count("running") == 2)
        seen_progress = seen_progress or any(job.rows and not job.done for job in jobs)
        time.sleep(0.2)
    assert seen_waiting, "the third run never waited behind the other two with its place in the queue"
    assert seen_progress, "no progress arrived while the runs trained"
    assert all(job.status == "finished" for job in jobs), [job.error for job in jobs]
    starts, ends = [job.result[0] for job in jobs], [job.result[2] for job in jobs]  # by the workers' clock
    assert max(starts) >= min(ends), "three runs trained at once on two worker CPUs"  # intervals: all three overlap
    # at some moment exactly when the last start comes before the first end
    for job in jobs:
        run = job.result[1]
        assert run.status == "finished" and len(job.rows) == len(run.steps) > 20
        assert [row["step"] for row in job.rows] == list(range(1, len(run.steps) + 1))  # every step, in order
        assert job.notes and all(isinstance(text, str) for _, text in job.notes)  # the samples written on the way
        assert run.history[-1]["val_loss"] < run.history[0]["val_loss"]  # it learned
        assert len(sample(run.model, run.vocab, "the ", 20, seed=1).text()) == 20  # the model came back and samples
    assert manager.overview() == []


def test_stop_ends_a_running_run_and_cancels_a_waiting_one_and_a_closed_session_is_stopped(manager):
    first, second = manager.submit("first", looping(), owner="a"), manager.submit("second", looping(), owner="gone")
    wait_until(lambda: first.rows and second.rows)
    # submitted once both CPUs are taken: Ray does not promise to place waiting actors in the order they were asked
    # for, so a third submitted with them could take a CPU before the second
    third = manager.submit("third", looping(), owner="a")
    wait_until(lambda: manager.position(third) == 1)
    assert third.status == "queued" and not third.rows
    third.stop()
    wait_until(lambda: third.done)
    assert third.status == "stopped" and third.result is None and not third.rows  # it never ran
    first.stop()
    wait_until(lambda: first.done)
    assert first.status == "stopped" and first.result.startswith("stopped after")
    stopped = manager.reap(lambda owner: owner != "gone", grace=0.0)  # the closed tab's run
    assert stopped == [second]
    wait_until(lambda: second.done)
    assert second.status == "stopped" and manager.overview() == []


def test_a_worker_killed_mid_run_fails_that_run_and_nothing_else(manager):
    victim, other = manager.submit("victim", looping()), manager.submit("other", looping())
    wait_until(lambda: victim.rows and other.rows)
    host, pid = manager.worker(victim).rsplit(":", 1)
    os.kill(int(pid), signal.SIGKILL)
    wait_until(lambda: victim.done)
    assert victim.status == "failed" and "stopped unexpectedly" in victim.error
    rows = len(other.rows)
    wait_until(lambda: len(other.rows) > rows)  # the other run goes on
    other.stop()
    wait_until(lambda: other.done)
    assert other.status == "stopped"
    after = manager.submit("after", lambda job: sum(range(10)))  # and the cluster still takes work
    wait_until(lambda: after.done)
    assert after.status == "finished" and after.result == 45


def test_a_run_that_raises_fails_with_its_message(manager):
    def broken(job):
        raise ValueError("the corpus has no text")

    job = manager.submit("broken", broken)
    wait_until(lambda: job.done)
    assert job.status == "failed" and job.error == "the corpus has no text"


def test_a_cluster_that_is_not_there_is_an_error_in_words():
    require_ray()
    code = ("from core.cluster import ClusterError, ClusterJobManager\n"
            "try:\n    ClusterJobManager('127.0.0.1:1')\nexcept ClusterError as e:\n    print('ClusterError:', e)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    expected = "ClusterError: the Ray cluster at 127.0.0.1:1 (RNN_LAB_RAY_ADDRESS) cannot be used"
    assert expected in done.stdout, done.stderr
