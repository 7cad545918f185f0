"""AppTest helpers: open a page through the real router, read figures and metrics by key/label."""
from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

HOME = "pages/home.py"
APP = Path(__file__).resolve().parents[2] / "app.py"


def run_pages_through_the_router() -> None:
    """Make AppTest run a page the way the server does: through app.py (the router), which runs it inside
    pages._links.run_linked. With a folder named pages/ beside app.py, AppTest would otherwise switch Streamlit's
    legacy pages-folder mode back on before every run and execute a page's file on its own, skipping the router; the
    server leaves that mode as soon as app.py has run once (see pages._common.ensure_router). Called once by
    tests/conftest.py, and by the benchmarks that time a page through AppTest."""
    from streamlit.runtime.pages_manager import PagesManager

    made = PagesManager.__init__
    if getattr(made, "served", False):
        return

    def served(self, *args, **kwargs):
        made(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    served.served = True
    PagesManager.__init__ = served


def open_page(page: str = HOME, timeout: float = 60) -> AppTest:
    """Run app.py (the router), switch to `page`, and fail if the page raised."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.run()
    if page != HOME:
        at.switch_page(page)
        at.run()
    assert_no_exception(at)
    return at


def assert_no_exception(at: AppTest) -> AppTest:
    """The page rendered without an uncaught exception; returns `at`, so a widget action can be checked in one line:
    ok(at.button(key="go").click().run())."""
    assert not at.exception, [e.value for e in at.exception]
    return at


ok = assert_no_exception


def figure(at: AppTest, key: str) -> dict:
    """The plotly spec (data and layout) of the chart drawn with `key`."""
    for chart in at.get("plotly_chart"):
        if chart.proto.id.endswith(f"-{key}"):
            return json.loads(chart.proto.spec)
    raise AssertionError(f"no plotly chart with key {key!r}")


def component_data(at: AppTest, key: str) -> dict:
    """What the page gave the browser component drawn with `key` (pages/_text_view.py): plain JSON data."""
    for element in at.get("bidi_component"):
        if element.proto.id.endswith(f"-{key}"):
            return json.loads(element.proto.json)
    raise AssertionError(f"no component with key {key!r}")


def values(field: object) -> list:
    """A figure field as a flat list, whether plotly sent it as a list or as typed binary data (numpy arrays)."""
    if isinstance(field, dict) and "bdata" in field:
        import numpy as np

        from core.plots.export import plain_values

        return np.ravel(plain_values(field)).tolist()  # the figure's own decoder, flattened
    return list(field)


def metric(at: AppTest, label: str) -> str:
    """The shown value of the metric with this label."""
    for m in at.metric:
        if m.label == label:
            return m.value
    raise AssertionError(f"no metric {label!r}; have {[m.label for m in at.metric]}")


def tiny_checkpoint():
    """A small character model trained for a few seconds on a repeated line (for pages that need one)."""
    from core.charlm.corpus import Corpus
    from core.charlm.train import TrainConfig, train
    from core.checkpoints import Checkpoint

    text = "ROMEO:\nBut soft, what light through yonder window breaks?\n\n" * 40
    cfg = TrainConfig(hidden_size=32, embed_size=8, batch_size=4, chunk_len=20, max_steps=60, max_seconds=None,
                      eval_every=30)
    result = train(cfg, Corpus("tiny", text, text[:500], "a test line"))
    return Checkpoint("charlm", result.model, result.vocab.chars, result.metrics, {})


def open_page_with(page: str, session: dict, timeout: float = 60, query: dict | None = None) -> AppTest:
    """Like open_page, with session state set before the first run (and `query`, the address's query string, as a
    link would give it)."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    for key, value in session.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(page)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert_no_exception(at)
    return at
