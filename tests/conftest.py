"""Pages run inside the test process (AppTest, in tests/app and tests/fuzz) do the work they would send to a worker
process (core/offload.py) in the test's own thread: RNN_LAB_WORKERS=0 here, so a test can count and patch what a page
computes and no test leaves worker processes behind. The real servers that tests/e2e starts run with the default
workers (tests/e2e/harness.py leaves this setting out of their environment); tests/core/test_offload.py tests the
workers themselves. Pages save the models they make in a model store of this test run's own (below)."""
import os
import tempfile

os.environ["RNN_LAB_WORKERS"] = "0"
# the model store of the pages run here (and of the servers tests/e2e starts, unless a test gives its own): a
# folder of this test run, never the checkout's .data/
os.environ["RNN_LAB_MODEL_STORE"] = STORE = tempfile.mkdtemp(prefix="rnn-lab-store-")

from tests.app.helpers import run_pages_through_the_router  # noqa: E402 (after the environment above is set)

run_pages_through_the_router()  # AppTest runs every page through app.py, as the server does


def pytest_unconfigure(config):
    """The test run's model store goes with it."""
    import shutil

    shutil.rmtree(STORE, ignore_errors=True)
