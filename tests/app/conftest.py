"""AppTest runs the pages inside the test process; the work a page sends to a worker process (core.offload) runs in
the test's own thread here (RNN_LAB_WORKERS=0), so a test can count and patch what a page computes. The worker
processes themselves are tested in tests/core/test_offload.py, and with the real server in tests/e2e."""
import pytest


@pytest.fixture(scope="package", autouse=True)
def no_worker_processes():
    with pytest.MonkeyPatch.context() as patch:  # for this package only: set before its module fixtures open pages
        patch.setenv("RNN_LAB_WORKERS", "0")
        yield
