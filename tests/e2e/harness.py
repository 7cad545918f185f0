"""Drive the real app: start `streamlit run app.py` on a free port and open it in headless Chromium.

Used by the e2e tests (tests/e2e/conftest.py) and by the README screenshot script, so both see the
app exactly as a user does. Chromium is Debian's (/usr/bin/chromium, `apt-get install -y chromium`);
Playwright only drives it, its own browser download is never used.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("RNN_LAB_CHROMIUM", "/usr/bin/chromium")
# Headless as root in a container, and no background traffic to hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
APP_SELECTOR = '[data-testid="stApp"]'
EXCEPTION_SELECTOR = '[data-testid="stException"]'


def chromium_missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None if they can."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM}: install it with `apt-get update && apt-get install -y chromium`"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed: `pip install -r requirements-dev.txt`"
    return None


def free_port() -> int:
    """A TCP port on localhost that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER_PIDS: dict[str, int] = {}  # base URL -> process id of each server serve_app started (for memory figures)


@contextlib.contextmanager
def serve_app(timeout: float = 90.0, env: dict[str, str] | None = None, keep_log: Path | None = None) -> Iterator[str]:
    """Run `streamlit run app.py` on a free port until the block ends (with `env` added to its environment; its
    output copied to `keep_log` at the end); yields its base URL."""
    port = free_port()
    log = tempfile.NamedTemporaryFile("w+", prefix="streamlit-", suffix=".log", delete=False)
    store = tempfile.mkdtemp(prefix="rnn-lab-store-")  # a model store of its own, removed at the end…
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={**{k: v for k, v in os.environ.items() if k != "RNN_LAB_WORKERS"},  # real workers
             "RNN_LAB_MODEL_STORE": store,
             **(env or {})},  # …unless the test gives one (a restart that must find the models again)
    )
    url = f"http://127.0.0.1:{port}"
    SERVER_PIDS[url] = proc.pid
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not answer /_stcore/health within {timeout:.0f} s")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        if keep_log is not None:
            shutil.copyfile(log.name, keep_log)
        os.unlink(log.name)
        shutil.rmtree(store, ignore_errors=True)


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright; yields the Browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_for_script(page, timeout_ms: float = 60_000) -> None:
    """Wait until the app is connected and its script has finished running."""
    page.wait_for_selector(f'{APP_SELECTOR}[data-test-connection-state="CONNECTED"]', timeout=timeout_ms)
    page.wait_for_selector(f'{APP_SELECTOR}[data-test-script-state="notRunning"]', timeout=timeout_ms)
    # most elements are lazy-loaded components that show a skeleton until their code arrives: wait
    # until no skeleton is left and every plotly chart has drawn its SVG
    page.wait_for_function(
        """() => document.querySelectorAll('[data-testid="stSkeleton"]').length === 0
                 && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                    .every(c => c.querySelector('.main-svg'))""", timeout=timeout_ms)


def screenshot(page, path: Path, height: int = 3000) -> None:
    """A picture of the whole page: Streamlit scrolls inside its own container, so grow the viewport."""
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": height})
    wait_for_script(page)
    page.wait_for_timeout(500)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


def act(page, action: Callable[[], None], timeout_ms: float = 60_000) -> None:
    """Do something that triggers a rerun (click, key press) and wait for the rerun to finish."""
    action()
    with contextlib.suppress(Exception):  # a fast rerun may be over before we look
        page.wait_for_selector(f'{APP_SELECTOR}:not([data-test-script-state="notRunning"])', timeout=2_000)
    wait_for_script(page, timeout_ms)


def open_page(page, base_url: str, url_path: str = "") -> None:
    """Navigate to one page of the app and wait for it to render."""
    page.goto(f"{base_url}/{url_path}", wait_until="domcontentloaded")
    wait_for_script(page)


def metric_value(page, label: str) -> str:
    """The value shown by the st.metric with this label."""
    box = page.locator('[data-testid="stMetric"]', has_text=label)
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def wait_for_metric(page, label: str, value: str, timeout_ms: float = 30_000) -> None:
    """Wait until the st.metric with this label shows exactly `value`."""
    page.wait_for_function(
        """([label, value]) => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m =>
               m.innerText.includes(label)
               && m.querySelector('[data-testid="stMetricValue"]').innerText.trim() === value)""",
        arg=[label, value], timeout=timeout_ms)


def exception_texts(page) -> list[str]:
    """The text of every exception element the page shows (empty when all is well)."""
    return [e.inner_text() for e in page.query_selector_all(EXCEPTION_SELECTOR)]


def start_small_training(page) -> None:
    """On "Train your own": 64 hidden units (quick steps), then Start training."""
    thumb = page.locator('[data-testid="stSlider"]', has_text="Hidden units").get_by_role("slider")
    thumb.focus()
    act(page, lambda: [thumb.press("ArrowLeft") for _ in range(3)])  # 512 -> 64 units: quick steps
    act(page, lambda: page.get_by_role("button", name="Start training").click())
