"""Worker processes (core.offload): a function runs in another process and gives what it gives here, its exceptions
come back with their message, a dead worker is replaced, and with no workers everything runs in the caller."""
import os
import time

import pytest

from core.gradients.experiment import flow_experiment
from core.gradients.flow import FlowConfig
from core.offload import WorkerError, Workers


def pid() -> int:
    return os.getpid()


def fail(message: str) -> None:
    raise ValueError(message)


@pytest.fixture(scope="module")
def workers():
    pool = Workers(2)
    yield pool
    pool.close()


def test_the_work_runs_in_another_process_and_gives_the_same_result(workers):
    assert workers.run(pid) != os.getpid()
    config = FlowConfig(cell="tanh", hidden=16, steps=30, rho=1.2)
    there, here = workers.run(flow_experiment, config, ("tanh", "lstm")), flow_experiment(config, ("tanh", "lstm"))
    assert there.norms.to_json() == here.norms.to_json() and there.mechanism.to_json() == here.mechanism.to_json()
    assert there.reach == here.reach and there.broken == here.broken


def test_an_exception_comes_back_with_its_message_and_the_worker_stays_usable(workers):
    with pytest.raises(ValueError, match="no such setting"):
        workers.run(fail, "no such setting")
    assert workers.run(sum, [1, 2, 3]) == 6


def die() -> None:
    os._exit(3)


def wait(seconds: float) -> None:
    time.sleep(seconds)


class Odd(Exception):
    def __init__(self, a, b):  # pickles, but cannot be rebuilt from its args
        super().__init__(f"{a} {b}")


def raise_odd() -> None:
    raise Odd("two", "parts")


def test_a_killed_worker_is_replaced_and_the_call_answered_by_the_new_one():
    pool = Workers(1)
    first = pool.run(pid)
    os.kill(first, 9)
    second = pool.run(pid)  # the dead worker's pipe fails; a new worker answers
    assert second not in (first, os.getpid())
    pool.close()


def test_work_that_kills_its_worker_never_runs_in_the_server():
    pool = Workers(1)
    with pytest.raises(WorkerError, match="stopped twice"):
        pool.run(die)  # in the server it would end the server
    assert pool.run(sum, [4, 5]) == 9  # the next call gets a fresh worker
    pool.close()


def test_a_call_past_the_timeout_is_stopped_with_a_message():
    pool = Workers(1, timeout=0.5)
    with pytest.raises(WorkerError, match="longer than"):
        pool.run(wait, 30)
    assert pool.run(sum, [1, 1]) == 2
    pool.close()


def test_an_exception_that_cannot_be_rebuilt_comes_back_as_its_message(workers):
    with pytest.raises(RuntimeError, match="Odd: two parts"):
        workers.run(raise_odd)
    assert workers.run(sum, [2, 2]) == 4


def test_arguments_that_cannot_be_sent_fail_before_any_worker_is_used(workers):
    with pytest.raises(Exception):  # noqa: B017 - pickle's own error
        workers.run(sum, [lambda: 1])
    assert workers.run(sum, [3]) == 3


def test_without_workers_the_caller_runs_it():
    assert Workers(0).run(pid) == os.getpid()
