"""Worker processes (core.offload): a function runs in another process and gives what it gives here, its exceptions
come back with their message, a dead worker is replaced, and with no workers everything runs in the caller."""
import os

import pytest

from core.gradients.experiment import flow_experiment
from core.gradients.flow import FlowConfig
from core.offload import Workers


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


def test_a_killed_worker_still_gets_an_answer_and_is_replaced():
    pool = Workers(1)
    first = pool.run(pid)
    os.kill(first, 9)
    assert pool.run(sum, [4, 5]) == 9  # answered in this process while the worker was gone
    second = pool.run(pid)
    assert second not in (first, os.getpid())  # a new worker
    pool.close()


def test_without_workers_the_caller_runs_it():
    assert Workers(0).run(pid) == os.getpid()
