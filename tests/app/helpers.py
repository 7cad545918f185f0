"""AppTest helpers: open a page through the real router, read figures and metrics by key/label."""
from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

HOME = "pages/home.py"
APP = Path(__file__).resolve().parents[2] / "app.py"


def open_page(page: str = HOME, timeout: float = 60) -> AppTest:
    """Run app.py (the router), switch to `page`, and fail if the page raised."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.run()
    if page != HOME:
        at.switch_page(page)
        at.run()
    assert_no_exception(at)
    return at


def assert_no_exception(at: AppTest) -> None:
    """The page rendered without an uncaught exception."""
    assert not at.exception, [e.value for e in at.exception]


def figure(at: AppTest, key: str) -> dict:
    """The plotly spec (data and layout) of the chart drawn with `key`."""
    for chart in at.get("plotly_chart"):
        if chart.proto.id.endswith(f"-{key}"):
            return json.loads(chart.proto.spec)
    raise AssertionError(f"no plotly chart with key {key!r}")


def metric(at: AppTest, label: str) -> str:
    """The shown value of the metric with this label."""
    for m in at.metric:
        if m.label == label:
            return m.value
    raise AssertionError(f"no metric {label!r}; have {[m.label for m in at.metric]}")
