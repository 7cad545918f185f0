"""Fixtures for the real-browser tests: one app server and one Chromium for the session, a fresh
tab per test, a screenshot in tests/e2e/artifacts/ when a test fails.

Without Chromium the tests skip with the install command; under CI (CI=true) they fail instead,
so a CI run can never pass by skipping them.
"""
from __future__ import annotations

import os
import re

import pytest

from tests.e2e.harness import ROOT, chromium, chromium_missing_reason, exception_texts, serve_app

ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def _browser_ready():
    reason = chromium_missing_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"e2e tests must run in CI: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def app_url(_browser_ready):
    with serve_app() as url:
        yield url


@pytest.fixture(scope="session")
def browser(_browser_ready):
    with chromium() as b:
        yield b


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    yield tab
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        print(f"screenshot of the failure: {ARTIFACTS / (name + '.png')}; exceptions: {exception_texts(tab)}")
    context.close()
