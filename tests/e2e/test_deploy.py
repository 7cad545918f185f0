"""The deployment of deploy/: two app processes behind nginx, started by its one command (deploy/serve.py).

Each browser keeps reaching one process (its cookie), while browsers are spread over both; a class of 10 sessions
through nginx gets every answer (benchmarks/load.py --url); in Chromium through nginx, an upload (an HTTP request
apart from the page's websocket, which must reach the same process or the upload is lost) is captioned; stopping
the command stops every process. nginx comes from Debian (`apt-get install nginx-light`, done by .ci/run); without
it the test skips, except under CI, where it fails.
"""
from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter

import pytest
from PIL import Image, ImageDraw

from tests.e2e.harness import ROOT, act, exception_texts, free_port, open_page

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """(nginx's URL, the app processes' ports) of `python deploy/serve.py --processes 2`, stopped at the end."""
    if NGINX is None:
        if os.environ.get("CI"):
            pytest.fail("the deployment test must run in CI: apt-get install nginx-light")
        pytest.skip("nginx is not installed: apt-get install nginx-light")
    port, first = free_port(), free_port()
    while free_port() == first + 1:  # the second process takes the next port: make sure it is free
        first = free_port()
    run_dir = tmp_path_factory.mktemp("nginx")
    store = tmp_path_factory.mktemp("store")
    proc = subprocess.Popen([sys.executable, "deploy/serve.py", "--processes", "2", "--port", str(port),
                             "--first-app-port", str(first), "--run-dir", str(run_dir), "--expose-upstream"],
                            cwd=ROOT, env={**{k: v for k, v in os.environ.items() if k != "RNN_LAB_WORKERS"},  # as
                                           "RNN_LAB_MODEL_STORE": str(store)},  # served: real worker processes
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()  # "RNN Lab: http://localhost:PORT (...)" once everything answers
    assert line.startswith("RNN Lab:"), line + proc.stdout.read()[-3000:] if proc.poll() is not None else line
    yield f"http://127.0.0.1:{port}", (first, first + 1), proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def upstream(url: str, cookie: str | None) -> tuple[str, str]:
    """(the app process that answered, the route cookie nginx set) for one request with `cookie`."""
    request = urllib.request.Request(url + "/_stcore/health", headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as reply:
        routes = [c.split(";")[0] for c in reply.headers.get_all("Set-Cookie") if c.startswith("rnnlab_route=")]
        assert len(routes) == 1, reply.headers.get_all("Set-Cookie")
        return reply.headers["X-Upstream"], routes[0]


def test_each_browser_stays_on_one_process_and_browsers_spread_over_both(deployment):
    url, ports, _ = deployment
    seen = Counter()
    for _ in range(24):
        first, cookie = upstream(url, None)  # a new browser: nginx gives it a route
        assert cookie.startswith("rnnlab_route=") and len(cookie) > len("rnnlab_route=") + 8
        for _ in range(4):  # every later request of that browser reaches the same process
            assert upstream(url, cookie) == (first, cookie)
        seen[first] += 1
    assert set(seen) == {f"127.0.0.1:{p}" for p in ports}, seen  # both processes serve browsers
    assert min(seen.values()) >= 4, seen


def test_a_class_through_nginx_gets_every_answer(deployment):
    url, _, _ = deployment
    run = subprocess.run([sys.executable, "-m", "benchmarks.load", "--url", url, "--sessions", "10", "--seconds", "30",
                          "--cpu-moves", "0"], cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]  # status 1 on any error or exception
    assert " 0 errors or exceptions" in run.stdout, run.stdout[-2000:]


def test_an_upload_through_nginx_is_captioned(deployment, page):
    url, _, _ = deployment
    drawing = Image.new("RGB", (640, 480), (255, 255, 255))
    ImageDraw.Draw(drawing).ellipse((100, 140, 260, 300), fill=(220, 30, 30))
    ImageDraw.Draw(drawing).rectangle((400, 180, 480, 260), fill=(30, 60, 220))
    data = io.BytesIO()
    drawing.save(data, "PNG")
    open_page(page, url, "captioning")
    act(page, lambda: page.get_by_text("Upload an image", exact=True).click())
    act(page, lambda: page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        {"name": "drawing.png", "mimeType": "image/png", "buffer": data.getvalue()}))
    said = page.locator('[data-testid="stMarkdownContainer"]', has_text="soft attention").filter(
        has_text="log p =").first.inner_text()
    assert "red circle" in said and "blue square" in said, said
    assert exception_texts(page) == []


def test_stopping_the_command_stops_every_process(deployment):
    url, ports, proc = deployment
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    for target in (url, *(f"http://127.0.0.1:{p}" for p in ports)):
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(target + "/_stcore/health", timeout=2)
            except OSError:
                break
            assert time.monotonic() < deadline, f"{target} still answers"
            time.sleep(0.3)
