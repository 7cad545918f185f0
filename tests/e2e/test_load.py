"""The classroom load script, briefly: one real websocket session per page, all at once, moving controls for
twenty seconds; every request is answered with no error and no exception (benchmarks/load.py runs 2 minutes)."""
import asyncio
from concurrent.futures import ThreadPoolExecutor

from benchmarks.load import MOVES, classroom, percentile
from tests.e2e.harness import serve_app


def test_percentiles_by_nearest_rank():
    values = [float(v) for v in range(1, 21)]
    assert percentile(values, 50) == 10.0 and percentile(values, 95) == 19.0 and percentile(values, 100) == 20.0
    assert percentile([3.0], 95) == 3.0 and percentile([], 50) != percentile([], 50)  # NaN


def test_concurrent_sessions_on_every_page_get_answers_and_no_exceptions():
    with serve_app() as url:
        # in a thread of its own: the browser tests' Playwright already runs an event loop in this one
        with ThreadPoolExecutor(1) as pool:
            tallies = pool.submit(asyncio.run, classroom(url, sessions=len(MOVES), seconds=20)).result()
    for page in MOVES:
        t = tallies[page]
        assert not t.errors and not t.exceptions, (page, t.errors, t.exceptions)
        assert len(t.opens) == 1 and len(t.latencies) >= 1, page  # the page opened and answered a change
