"""Pages run inside the test process (AppTest, in tests/app and tests/fuzz) do the work they would send to a worker
process (core/offload.py) in the test's own thread: RNN_LAB_WORKERS=0 here, so a test can count and patch what a page
computes and no test leaves worker processes behind. The real servers that tests/e2e starts run with the default
workers (tests/e2e/harness.py leaves this setting out of their environment); tests/core/test_offload.py tests the
workers themselves."""
import os

os.environ["RNN_LAB_WORKERS"] = "0"
