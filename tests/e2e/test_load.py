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


def test_a_class_arriving_at_a_cold_server_with_figures_in_its_threads_gets_no_exception():
    """Ten students open a server nobody has opened, with the gradient-flow figure built in the session's thread
    (RNN_LAB_WORKERS=0): while one session imports pandas, no other may run plotly, which looks pandas up without the
    import lock ("partially initialized module 'pandas' has no attribute 'Series'" in 4 of 4 such runs before
    core.runtime imported pandas itself)."""
    with serve_app(env={"RNN_LAB_WORKERS": "0"}) as url:
        with ThreadPoolExecutor(1) as pool:
            tallies = pool.submit(asyncio.run, classroom(url, sessions=10, seconds=8)).result()
    for page, t in tallies.items():
        assert not t.errors and not t.exceptions, (page, t.errors, t.exceptions)
