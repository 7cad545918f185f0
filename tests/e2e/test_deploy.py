"""The deployment of deploy/: two app processes behind nginx, started by its one command (deploy/serve.py).

Each browser keeps reaching one process (its cookie), while browsers are spread over both; a class of 10 sessions
through nginx gets every answer (benchmarks/load.py --url); in Chromium through nginx, an upload (an HTTP request
apart from the page's websocket, which must reach the same process or the upload is lost) is captioned; stopping
the command stops every process. With training on a Ray cluster configured (a local head with two worker CPUs), a run
started from one process is seen queued and running from the other, Stop works from the page, and a worker killed
mid-run is a failed run that the page reports, with nothing else broken. nginx comes from Debian (`apt-get install
nginx-light`, done by .ci/run) and Ray from requirements-deploy.txt; without them the tests skip, except under CI,
where they fail.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter

import pytest
from PIL import Image, ImageDraw

from tests.e2e.harness import ROOT, act, exception_texts, free_port, open_page, start_small_training
from tests.ray_head import local_ray_head

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """(nginx's URL, the app processes' ports, the command's process, the Ray head's address or None) of
    `python deploy/serve.py --processes 2`, with a local Ray head when Ray is installed; stopped at the end."""
    if NGINX is None:
        if os.environ.get("CI"):
            pytest.fail("the deployment test must run in CI: apt-get install nginx-light")
        pytest.skip("nginx is not installed: apt-get install nginx-light")
    port, first = free_port(), free_port()
    while free_port() == first + 1:  # the second process takes the next port: make sure it is free
        first = free_port()
    run_dir = tmp_path_factory.mktemp("nginx")
    store = tmp_path_factory.mktemp("store")
    with contextlib.ExitStack() as stack:
        env = {**{k: v for k, v in os.environ.items() if k != "RNN_LAB_WORKERS"},  # as served: real worker processes
               "RNN_LAB_MODEL_STORE": str(store), "RNN_LAB_DISCONNECT_GRACE": "5"}
        try:
            import ray  # noqa: F401
        except ImportError:  # the cluster test skips (fails under CI); the others run without a cluster
            pass
        else:
            env["RNN_LAB_RAY_ADDRESS"] = stack.enter_context(local_ray_head(cpus=2))
        proc = subprocess.Popen([sys.executable, "deploy/serve.py", "--processes", "2", "--port", str(port),
                                 "--first-app-port", str(first), "--run-dir", str(run_dir), "--expose-upstream",
                                 "--device", "cpu"],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = proc.stdout.readline()  # "RNN Lab: http://localhost:PORT (...)" once everything answers
        assert line.startswith("RNN Lab:"), line + proc.stdout.read()[-3000:] if proc.poll() is not None else line
        yield f"http://127.0.0.1:{port}", (first, first + 1), proc, env.get("RNN_LAB_RAY_ADDRESS")
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
    url, ports, _, _ = deployment
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
    url, _, _, _ = deployment
    run = subprocess.run([sys.executable, "-m", "benchmarks.load", "--url", url, "--sessions", "10", "--seconds", "30",
                          "--cpu-moves", "0"], cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]  # status 1 on any error or exception
    assert " 0 errors or exceptions" in run.stdout, run.stdout[-2000:]


def test_an_upload_through_nginx_is_captioned(deployment, page):
    url, _, _, _ = deployment
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


def browser_on(browser, url: str, process: str):
    """A browser tab whose route cookie sends it, through nginx, to the app process `process` ("127.0.0.1:PORT")."""
    for _ in range(200):
        answered, cookie = upstream(url, None)
        if answered == process:
            break
    name, value = cookie.split("=", 1)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_cookies([{"name": name, "value": value, "url": url}])
    return context.new_page()


def cluster_listing(address: str) -> list[dict]:
    """The deployment's queue as the cluster's registry has it (this test process connects as one more client)."""
    import ray

    from core.cluster import NAMESPACE, REGISTRY

    if not ray.is_initialized():
        ray.init(address=address, namespace=NAMESPACE, logging_level="ERROR", log_to_driver=False)
    return ray.get(ray.get_actor(REGISTRY, namespace=NAMESPACE).listing.remote())


def test_a_run_on_the_cluster_is_seen_from_both_processes_and_a_killed_worker_is_reported(deployment, browser):
    from tests.ray_head import require_ray

    require_ray()
    url, (one, two), _, address = deployment
    assert address is not None
    first, second = browser_on(browser, url, f"127.0.0.1:{one}"), browser_on(browser, url, f"127.0.0.1:{two}")
    open_page(first, url, "train")
    start_small_training(first)
    first.locator('[data-testid="stMetric"]', has_text="Step").wait_for(timeout=120_000)  # it trains on the cluster
    open_page(second, url, "train")  # the other process lists it
    queue = second.get_by_text("In the class's training queue (a Ray cluster): 1 running, 0 waiting")
    queue.wait_for(timeout=30_000)
    act(second, lambda: queue.click())
    second.get_by_text(f":{one}", exact=False).first.wait_for(timeout=10_000)  # started from the first process
    start_small_training(second)  # a second run, from the second process: both worker CPUs busy
    second.locator('[data-testid="stMetric"]', has_text="Step").wait_for(timeout=120_000)
    runs = cluster_listing(address)
    assert sorted(run["status"] for run in runs) == ["running", "running"], runs
    victim = next(run for run in runs if run["from"].endswith(f":{one}"))
    os.kill(int(victim["worker"].rsplit(":", 1)[1]), signal.SIGKILL)  # the first run's worker dies mid-run
    first.get_by_text("The run could not go on: the cluster worker running it stopped unexpectedly").wait_for(
        timeout=60_000)
    steps = second.locator('[data-testid="stMetric"]', has_text="Step").inner_text()
    second.wait_for_timeout(3_000)
    assert second.locator('[data-testid="stMetric"]', has_text="Step").inner_text() != steps  # the other trains on
    start_small_training(first)  # the first student trains again: both worker CPUs busy once more
    first.locator('[data-testid="stMetric"]', has_text="Step").wait_for(timeout=120_000)
    third = browser_on(browser, url, f"127.0.0.1:{two}")  # a third run, from the second process's other student, waits
    open_page(third, url, "memory_task")
    act(third, lambda: third.get_by_role("button", name="Train both models").click())
    third.get_by_text("place 1 in the class's training queue (a Ray cluster)").wait_for(timeout=60_000)
    act(second, lambda: second.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop").click())
    second.get_by_text(re.compile(r"stopped after \d+ steps")).wait_for(timeout=60_000)  # Stop, through the cluster
    third.get_by_text("place 1 in the class's training queue").wait_for(state="detached", timeout=60_000)  # it runs
    for tab in (first, third):
        act(tab, lambda tab=tab: tab.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop").click())
    first.get_by_text(re.compile(r"stopped after \d+ steps")).wait_for(timeout=60_000)
    third.get_by_text("was stopped after").wait_for(timeout=60_000)
    assert all(exception_texts(tab) == [] for tab in (first, second, third))
    assert cluster_listing(address) == []
    for tab in (first, second, third):
        tab.context.close()


def test_stopping_the_command_stops_every_process(deployment):
    url, ports, proc, _ = deployment
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
