"""A classroom against one server: many real Streamlit sessions at once, each a student moving a control.

    python -m benchmarks.load [--sessions 12] [--seconds 120] [--url http://host:port [--server-pid PID]]

Without --url it starts `streamlit run app.py` on a free port. Each session is a real websocket client speaking
Streamlit's own protocol (what a browser tab sends: rerun requests with widget values; what it gets back: the
page's elements and a script-finished message), so the server does exactly the work a tab would make it do,
minus drawing (a control inside a fragment reruns only that fragment, as in a browser). Sessions are spread over
five pages; each opens its page, then, after a pause of 1–3 s ("reading"),
moves one control to a new value and waits for the page to finish rerunning, until the time is up:

    sampling        the temperature (the browser switches the sample itself; the server reruns the figures that
                    follow it) and the seed (a new sample of every temperature)
    hidden_states   where in the held-out text the analysis starts (a new analysis each time)
    gradient_flow   the spectral radius ρ of W_hh (three backward passes through time)
    captioning      the scene seed (a new image: encoder and three decoders)
    vqa             the scene seed (a new image: encoder and four models)

Prints, per page: requests served, errors (no answer within 60 s, a broken connection, a script that did not
finish), exceptions shown on the page, and the p50 / p95 latency from sending the change to the page having
finished, and the server's CPU seconds per move of that page (measured first, with that page's one session alone
on the server); then the server's CPU use during the class and its peak memory. The server's figures include its
worker processes (core.offload). Exit status 1 if there was any error or exception.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from core.flags import add_device_flag, device_from_flags

DONE = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}  # (early-for-rerun is not)
TIMEOUT = 60.0
# page -> the controls a student moves there: (label, kind, values)
MOVES: dict[str, list[tuple[str, str, list]]] = {
    "sampling": [("temperature_scrub", "json:temperature", [0.3, 0.5, 0.8, 1.0, 1.25, 1.5]),
                 ("Seed", "int", list(range(50)))],
    "hidden_states": [("Start at character", "int", list(range(0, 40_000, 500)))],
    "gradient_flow": [("Spectral radius ρ of W_hh", "float", [0.6, 0.8, 0.95, 1.0, 1.05, 1.2, 1.5, 2.0])],
    "captioning": [("Scene seed", "int", list(range(1_000_000, 1_000_200)))],
    "vqa": [("Scene seed", "int", list(range(1_000_000, 1_000_200)))],
}
WIDGETS = ("slider", "number_input")


@dataclass
class Tally:
    """What one page's sessions saw."""

    latencies: list[float] = field(default_factory=list)
    opens: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)


class Session:
    """One browser tab's worth of protocol: ask for a run, read until the page has finished."""

    def __init__(self, ws, page: str) -> None:
        self.ws, self.page = ws, page
        self.ids: dict[str, str] = {}  # widget label -> widget id, learned from the page's elements
        self.fragments: dict[str, str] = {}  # widget id -> the fragment it lives in ("" for the page itself)
        self.values: dict[str, tuple[str, object]] = {}  # widget id -> (kind, value) sent with every rerun

    async def run(self, tally: Tally, fragment: str = "") -> float:
        """Rerun the page (or, like a browser, only the fragment whose widget moved) with the current widget values;
        seconds until it finished (exceptions are tallied)."""
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_name = self.page
        msg.rerun_script.fragment_id = fragment
        for wid, (kind, value) in self.values.items():
            state = msg.rerun_script.widget_states.widgets.add()
            state.id = wid
            if kind.startswith("json:"):  # a component's state: what its JavaScript sends with setStateValue
                state.json_value = json.dumps({kind.split(":", 1)[1]: value})
            elif kind == "float":
                state.double_array_value.data.append(float(value))
            else:
                state.int_value = int(value)
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
            kind = reply.WhichOneof("type")
            if kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
                element = reply.delta.new_element
                which = element.WhichOneof("type")
                if which == "exception":
                    tally.exceptions.append(f"{element.exception.type}: {element.exception.message[:200]}")
                elif which in WIDGETS or which == "bidi_component":  # a component is known by its key
                    widget = getattr(element, which)
                    self.ids[widget.id.rsplit("-", 1)[-1] if which == "bidi_component" else widget.label] = widget.id
                    self.fragments[widget.id] = reply.delta.fragment_id
            elif kind == "script_finished" and reply.script_finished in DONE:
                return time.perf_counter() - start

    def move(self, rng: random.Random) -> str:
        """Set one of the page's controls to a new value (sent with the next rerun); returns its fragment."""
        label, kind, values = rng.choice(MOVES[self.page])
        if label not in self.ids:
            raise RuntimeError(f"the {self.page} page showed no control labelled {label!r}")
        self.values[self.ids[label]] = (kind, rng.choice(values))
        return self.fragments[self.ids[label]]


async def student(url: str, page: str, deadline: float, seed: int, tally: Tally) -> None:
    """One session: open the page, then keep moving a control until the deadline."""
    rng = random.Random(seed)
    ws_url = url.replace("http", "ws", 1) + "/_stcore/stream"
    try:
        async with websockets.connect(ws_url, max_size=None, origin=url, open_timeout=TIMEOUT) as ws:
            session = Session(ws, page)
            tally.opens.append(await session.run(tally))
            while time.monotonic() < deadline:
                await asyncio.sleep(rng.uniform(1.0, 3.0))
                if time.monotonic() >= deadline:
                    break
                tally.latencies.append(await session.run(tally, session.move(rng)))
    except TimeoutError:
        tally.errors.append(f"no answer within {TIMEOUT:.0f} s")
    except (OSError, websockets.ConnectionClosed, RuntimeError) as e:
        tally.errors.append(f"{type(e).__name__}: {e}")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method; NaN for no values."""
    if not values:
        return float("nan")
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, max(0, math.ceil(q / 100 * len(ranked)) - 1))]


async def classroom(url: str, sessions: int, seconds: float) -> dict[str, Tally]:
    """`sessions` students spread over the pages, all at once, for `seconds`."""
    pages = list(MOVES)
    tallies: dict[str, Tally] = defaultdict(Tally)
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(student(url, pages[k % len(pages)], deadline, k, tallies[pages[k % len(pages)]])
                           for k in range(sessions)))
    return tallies


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it (the server and its worker processes, core.offload), Linux."""
    children: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children[int(fields[1])].append(int(stat.parent.name))  # ppid -> pid
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo += children.get(tree[-1], [])
    return tree


def server_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) the server process and its worker processes have used so far (Linux), in seconds."""
    total = None
    for member in process_tree(pid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total = (total or 0.0) + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return total


async def cpu_per_move(url: str, pid: int, moves: int) -> dict[str, float]:
    """Server CPU seconds per move of each page, measured with that page's one session alone on the server (so
    every CPU second is that page's), before the classroom starts: every move is as new as in the class."""
    out = {}
    ws_url = url.replace("http", "ws", 1) + "/_stcore/stream"
    for k, page in enumerate(MOVES):
        rng, tally = random.Random(1_000 + k), Tally()
        async with websockets.connect(ws_url, max_size=None, origin=url, open_timeout=TIMEOUT) as ws:
            session = Session(ws, page)
            await session.run(tally)
            before = server_cpu_seconds(pid)
            for _ in range(moves):
                await session.run(tally, session.move(rng))
            after = server_cpu_seconds(pid)
        if before is not None and after is not None:
            out[page] = (after - before) / moves
    return out


def server_memory_mb(pid: int) -> float | None:
    """Peak resident memory of the server process plus the present one of its worker processes (Linux), in MB."""
    total = None
    for k, member in enumerate(process_tree(pid)):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmHWM:" if k == 0 else "VmRSS:"):
                    total = (total or 0.0) + int(line.split()[1]) / 1024
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--url", help="a running server (default: start one here)")
    parser.add_argument("--cpu-moves", type=int, default=6,
                        help="moves per page for the CPU-per-move figures, one "
                             "page alone on the server before the class (0: skip)")
    parser.add_argument("--server-pid", type=int,
                        help="with --url: the server's process id, for CPU and memory figures")
    parser.add_argument("--threads", type=int, help="torch threads of the server it starts (RNN_LAB_TORCH_THREADS; "
                                                     "default: one per core)")
    add_device_flag(parser, server=True)
    args = parser.parse_args()
    device = device_from_flags(parser, args)
    with contextlib.ExitStack() as stack:
        url, pid, server_log = args.url, args.server_pid, None
        if url is None:
            from tests.e2e.harness import SERVER_PIDS, serve_app

            env = {"RNN_LAB_DEVICE": str(device),
                   **({} if args.threads is None else {"RNN_LAB_TORCH_THREADS": str(args.threads)})}
            server_log = Path(tempfile.gettempdir()) / "rnn-lab-load-server.log"
            url = stack.enter_context(serve_app(env=env, keep_log=server_log))
            pid = SERVER_PIDS[url]
        cpu = asyncio.run(cpu_per_move(url, pid, args.cpu_moves)) if pid is not None and args.cpu_moves > 0 else {}
        started, cpu_before = time.perf_counter(), None if pid is None else server_cpu_seconds(pid)
        tallies = asyncio.run(classroom(url, args.sessions, args.seconds))
        wall = time.perf_counter() - started
        cpu_used = None if cpu_before is None else server_cpu_seconds(pid) - cpu_before
        memory = None if pid is None else server_memory_mb(pid)
    threads = "" if args.url else f", server torch threads: {args.threads or '1 (the served default)'}"
    print(f"{args.sessions} concurrent sessions for {args.seconds:.0f} s against {url} ({wall:.0f} s wall{threads}), "
          f"a pause of 1-3 s between a student's changes")
    print(f"{'page':15s} {'sessions':>8s} {'requests':>8s} {'errors':>6s} {'exceptions':>10s} {'open p50':>9s} "
          f"{'p50':>7s} {'p95':>7s} {'max':>7s} {'CPU/move':>9s}")
    total_requests = total_bad = 0
    for page in MOVES:
        t = tallies[page]
        n_sessions = sum(1 for k in range(args.sessions) if list(MOVES)[k % len(MOVES)] == page)
        total_requests += len(t.latencies) + len(t.opens)
        total_bad += len(t.errors) + len(t.exceptions)
        print(f"{page:15s} {n_sessions:8d} {len(t.latencies):8d} {len(t.errors):6d} {len(t.exceptions):10d} "
              f"{percentile(t.opens, 50):8.2f}s {percentile(t.latencies, 50):6.2f}s "
              f"{percentile(t.latencies, 95):6.2f}s {max(t.latencies, default=float('nan')):6.2f}s "
              f"{cpu.get(page, float('nan')):8.3f}s")
        for problem in (t.errors + t.exceptions)[:3]:
            print(f"    {problem}")
    every = [x for t in tallies.values() for x in t.latencies]
    print(f"all pages: {total_requests} requests served (page opens included), {total_bad} errors or exceptions; "
          f"p50 {statistics.median(every) if every else float('nan'):.2f} s, p95 {percentile(every, 95):.2f} s")
    if cpu:
        print(f"CPU/move: the server's CPU seconds per move with that page's session alone on the server, "
              f"{args.cpu_moves} new moves each, before the class")
    if cpu_used is not None:
        moves = sum(len(t.latencies) for t in tallies.values())
        print(f"during the class: the server used {cpu_used:.0f} CPU seconds in {wall:.0f} s "
              f"({cpu_used / wall:.2f} of {os.cpu_count()} cores), {cpu_used / max(1, moves):.3f} s per move")
    if memory is not None:
        print(f"server peak memory (resident, its worker processes included): {memory:,.0f} MB")
    if total_bad and server_log is not None:
        print(f"the server's log, with the tracebacks: {server_log}")
    sys.exit(1 if total_bad else 0)


if __name__ == "__main__":
    main()
