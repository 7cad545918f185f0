"""One command for a class: N app processes behind nginx, on one address.

    python deploy/serve.py [--processes N] [--port 8080] [--first-app-port 8501] [--run-dir DIR]
                           [--device auto|cpu|cuda|cuda:N] [--ray-address HOST:PORT]

Starts N `streamlit run app.py` processes (ports from --first-app-port up; one torch thread each; file watcher off),
waits until every one answers, writes deploy/nginx.conf.template filled in for them into the run directory, and
runs nginx (Debian's package: `apt-get install nginx-light`) in the foreground on --port. Ctrl-C or SIGTERM stops
nginx and every app process; if any of them stops on its own, the rest are stopped too and the command exits 1.
Every process keeps models students save in the same model store (RNN_LAB_MODEL_STORE, default .data/models), so a
model saved on one is listed on all. --device sets where every process runs its models (RNN_LAB_DEVICE); with
--ray-address (or RNN_LAB_RAY_ADDRESS), every process sends its students' trainings to that Ray cluster's one queue
(core.cluster; `pip install -r requirements-deploy.txt`).

As a service: docs/deploy.md has a systemd unit and a container recipe that run exactly this command.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: core/ is beside deploy/
from core.flags import add_device_flag, device_from_flags  # noqa: E402

TEMPLATE = Path(__file__).with_name("nginx.conf.template")


def nginx_conf(listen: int, app_ports: list[int], run_dir: Path, expose_upstream: bool = False) -> str:
    """The nginx configuration for app processes on `app_ports`, nginx listening on `listen`, its files in `run_dir`;
    with `expose_upstream`, responses say which process answered (X-Upstream; for tests)."""
    servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=0;" for p in app_ports)
    extra = "      add_header X-Upstream $upstream_addr always;" if expose_upstream else ""
    return TEMPLATE.read_text().format(listen=listen, servers=servers, run_dir=run_dir, extra=extra)


def wait_until_up(url: str, proc: subprocess.Popen, seconds: float = 120.0) -> None:
    """Return once `url` answers 200; RuntimeError if `proc` ends first or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} stopped (exit status {proc.returncode}) before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=max(1, os.cpu_count() or 1),
                        help="app processes (default: one per core)")
    parser.add_argument("--port", type=int, default=8080, help="where nginx listens")
    parser.add_argument("--first-app-port", type=int, default=8501, help="the first app process's port")
    parser.add_argument("--run-dir", type=Path, help="nginx's configuration, logs and pid (default: a temporary one)")
    parser.add_argument("--ray-address", default=os.environ.get("RNN_LAB_RAY_ADDRESS", ""), metavar="HOST:PORT",
                        help="train on this Ray cluster (default: RNN_LAB_RAY_ADDRESS; none: in each app process)")
    add_device_flag(parser, where="where every app process runs its models (their RNN_LAB_DEVICE)")
    parser.add_argument("--expose-upstream", action="store_true", help=argparse.SUPPRESS)  # tests: X-Upstream
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    device_from_flags(parser, args)  # a device that is not here is a usage error now, not on every page later
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        parser.error("nginx is not installed: apt-get install nginx-light (Debian, Ubuntu), then run this again")
    run_dir = (args.run_dir or Path(tempfile.mkdtemp(prefix="rnnlab-nginx-"))).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    run_dir.chmod(0o755)  # nginx's workers (another user when started as root) keep request bodies under it
    ports = [args.first_app_port + k for k in range(args.processes)]
    env = {**os.environ, "RNN_LAB_TORCH_THREADS": os.environ.get("RNN_LAB_TORCH_THREADS", "1"),
           "RNN_LAB_DEVICE": args.device, "RNN_LAB_RAY_ADDRESS": args.ray_address.strip()}
    procs: list[subprocess.Popen] = []
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        for port in ports:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                 "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
                 "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env,
                stdout=open(run_dir / f"app-{port}.log", "wb"), stderr=subprocess.STDOUT))
        for port, proc in zip(ports, procs):
            wait_until_up(f"http://127.0.0.1:{port}/_stcore/health", proc)
        conf = run_dir / "nginx.conf"
        conf.write_text(nginx_conf(args.port, ports, run_dir, args.expose_upstream))
        procs.append(subprocess.Popen([nginx, "-p", str(run_dir), "-c", str(conf)], cwd=run_dir))
        wait_until_up(f"http://127.0.0.1:{args.port}/_stcore/health", procs[-1], 30)
        print(f"RNN Lab: http://localhost:{args.port} ({args.processes} app processes on ports "
              f"{ports[0]}-{ports[-1]}; nginx files in {run_dir})", flush=True)
        while not stopping:
            if any(p.poll() is not None for p in procs):
                print("a process stopped on its own: stopping the others", file=sys.stderr, flush=True)
                return 1
            time.sleep(0.5)
        return 0
    except RuntimeError as e:
        print(f"could not start: {e} (logs in {run_dir})", file=sys.stderr, flush=True)
        return 1
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    sys.exit(main())
