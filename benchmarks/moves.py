"""What one control move costs the server, page by page: server CPU seconds and wall time per move, for a new value
(nothing cached yet) and for a value seen before (what a second student moving there gets).

    python -m benchmarks.moves [--pages captioning,vqa,...] [--moves 6] [--against DIR]

It starts `streamlit run app.py` (file watcher off) and drives one real websocket session per page the way a browser
tab does: a control inside a fragment reruns only that fragment. Each move sets one control and waits until the
page (or fragment) has finished; the server's CPU time (all its threads, from /proc) is read around it. With
--against DIR (another checkout, e.g. the last commit: `mkdir /tmp/before && git archive HEAD | tar -x -C
/tmp/before`) a second server runs from DIR and the two take turns move by move, so the machine's other load hits
both alike; the table then shows both side by side. One session at a time: for many at once see load.py. The
kernel counts CPU in 10 ms ticks: compare the means over several moves, not single moves.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks.load import DONE, server_cpu_seconds
from core.flags import add_device_flag, device_from_flags
from tests.e2e.harness import free_port

ROOT = Path(__file__).resolve().parents[1]  # the checkout this file is in, run beside --against

SEEDS = [1_000_101 + k for k in range(40)]  # held-out scenes; the pages open on 1,000,000 and 1,000,006
# page -> the controls moved there: (label, values; None: the widget's own options, from its second one on)
MOVES: dict[str, list[tuple[str, list | None]]] = {
    "captioning": [("Scene seed", SEEDS), ("Word", None), ("Follow the caption of", None),
                   ("Class activation map for", None), ("Beam size", [2, 4, 5, 6, 7, 8])],
    "vqa": [("Scene seed", SEEDS), ("Generated question", None), ("Look inside", None)],
    "gradient_flow": [("Spectral radius ρ of W_hh", [0.61, 0.72, 0.83, 0.94, 1.05, 1.16, 1.27, 1.38]),
                      ("LSTM forget-gate bias", [0.5, 1.0, 1.5, 2.0, 2.5, 4.0])],
    "gradient_remedies": [("Chunk length k", [3, 4, 5, 6, 7, 9, 10, 11]), ("Initial ρ of W_hh", [0.7, 1.2, 1.6, 2.2])],
    "memory_task": [("LSTM forget-gate bias", [0.5, 1.0, 1.5, 2.5]), ("Lag", None)],
    "rnn_shapes": [("Sequence length T", [2, 3, 5, 6, 7, 8])],
    "hello_model": [("Learning rate", [0.2, 0.3, 0.4, 0.5]), ("Perturbation size σ", [0.1, 0.2, 0.4, 0.5])],
    "hello_sampling": [("Seed", [1, 2, 3, 4, 5, 6]), ("Samples to draw", [100, 300, 500, 700])],
}


@dataclass
class Widget:
    """A control the page showed: its id, element type, the fragment it lives in ("" for none) and its options."""

    id: str
    kind: str  # the element type: slider, number_input, radio, selectbox, checkbox
    fragment: str
    options: list[str] = field(default_factory=list)


class Tab:
    """One browser tab's protocol against one server: rerun with widget values, read until finished."""

    def __init__(self, ws, page: str, pid: int) -> None:
        self.ws, self.page, self.pid = ws, page, pid
        self.widgets: dict[str, Widget] = {}
        self.values: dict[str, tuple[str, object]] = {}

    async def run(self, fragment: str = "") -> tuple[float, float, list[str]]:
        """(wall seconds, server CPU seconds, exceptions) of one rerun of the page or of `fragment`."""
        msg = BackMsg()
        msg.rerun_script.page_name = self.page
        msg.rerun_script.fragment_id = fragment
        for wid, (kind, value) in self.values.items():
            state = msg.rerun_script.widget_states.widgets.add()
            state.id = wid
            if kind == "slider":
                state.double_array_value.data.append(float(value))
            elif kind == "number_input":
                state.double_value = float(value)
            elif kind == "checkbox":
                state.bool_value = bool(value)
            elif kind == "select_slider":
                state.string_array_value.data.append(str(value))
            else:
                state.string_value = str(value)
        cpu, start, errors = server_cpu_seconds(self.pid), time.perf_counter(), []
        await self.ws.send(msg.SerializeToString())
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(await asyncio.wait_for(self.ws.recv(), 120))
            kind = reply.WhichOneof("type")
            if kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
                self.learn(reply.delta.new_element, reply.delta.fragment_id, errors)
            elif kind == "script_finished" and reply.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                wall = time.perf_counter() - start
                await asyncio.sleep(0.05)  # let the server finish sending before its CPU is read
                if reply.script_finished not in DONE:
                    errors.append(f"script finished with {reply.script_finished}")
                return wall, server_cpu_seconds(self.pid) - cpu, errors

    def learn(self, element, fragment: str, errors: list[str]) -> None:
        """Note a control the page showed (by its label), or an exception."""
        which = element.WhichOneof("type")
        if which == "exception":
            errors.append(f"{element.exception.type}: {element.exception.message[:200]}")
        elif which in ("slider", "number_input", "radio", "selectbox", "checkbox"):
            w = getattr(element, which)
            kind = "select_slider" if which == "slider" and w.type == w.Type.SELECT_SLIDER else which
            self.widgets[w.label] = Widget(w.id, kind, fragment, list(getattr(w, "options", [])))

    def move(self, label: str, value: object) -> str:
        """Set the control labelled `label` (sent with the next rerun); returns its fragment."""
        w = self.widgets[label]
        self.values[w.id] = (w.kind, value)
        return w.fragment


def start_server(root: Path, port: int, device: str = "auto") -> subprocess.Popen:
    """`streamlit run app.py` from `root` on `port`, file watcher off, its models on `device` (RNN_LAB_DEVICE); returns
    once it answers."""
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                             "--server.headless", "true", "--server.fileWatcherType", "none",
                             "--browser.gatherUsageStats", "false"], cwd=root, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, "RNN_LAB_DEVICE": device})
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"the server in {root} did not start")


async def measure(servers: dict[str, tuple[int, int]], pages: list[str], moves: int) -> dict:
    """For every page and control: per server, [(pass, wall, cpu)] over `moves` values, new then again."""
    results: dict = {}
    for page in pages:
        tabs = {}
        for name, (port, pid) in servers.items():
            ws = await websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", max_size=None,
                                          origin=f"http://127.0.0.1:{port}")
            tabs[name] = Tab(ws, page, pid)
            await tabs[name].run()  # open the page (loads models: not counted)
        for label, values in MOVES[page]:
            first = next(iter(tabs.values()))
            if label not in first.widgets:
                print(f"  ({page}: no control labelled {label!r} shown; skipped)")
                continue
            chosen = (values or first.widgets[label].options[1:])[:moves]
            rows = results.setdefault((page, label), {name: [] for name in tabs})
            for step in ("new", "again"):
                for value in chosen:
                    for name, tab in tabs.items():
                        wall, cpu, errors = await tab.run(tab.move(label, value))
                        rows[name].append((step, wall, cpu))
                        if errors:
                            print(f"  {name} {page} {label}={value}: {errors[0]}")
        for tab in tabs.values():
            await tab.ws.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default=",".join(MOVES), help="comma-separated, of: " + ", ".join(MOVES))
    parser.add_argument("--moves", type=int, default=6, help="values per control (each moved to twice)")
    parser.add_argument("--against", type=Path, help="another checkout to run side by side (shown first)")
    add_device_flag(parser, server=True)
    args = parser.parse_args()
    device = str(device_from_flags(parser, args))
    roots = ({"before": args.against.resolve()} if args.against else {}) | {"this": ROOT}
    ports = {name: free_port() for name in roots}
    procs = {name: start_server(root, ports[name], device) for name, root in roots.items()}
    try:
        servers = {name: (ports[name], proc.pid) for name, proc in procs.items()}
        results = asyncio.run(measure(servers, args.pages.split(","), args.moves))
    finally:
        for proc in procs.values():
            proc.terminate()
    print(f"per move, one session: wall p50 (s) and server CPU mean (s); 'new': a value this server had not "
          f"computed, 'again': the same values once more; {os.cpu_count()} cores")
    head = "".join(f" | {name + ' new':>14s} {name + ' again':>15s}" for name in roots)
    print(f"{'page':17s} {'control':28s}{head}")
    for (page, label), rows in results.items():
        cells = ""
        for name in roots:
            for step in ("new", "again"):
                mine = [(w, c) for s, w, c in rows[name] if s == step]
                cells += (" | " if step == "new" else " ") + (
                    f"{statistics.median(w for w, _ in mine):6.3f} {statistics.mean(c for _, c in mine):6.3f}cpu"
                    if mine else f"{'—':>14s}")
        print(f"{page:17s} {label[:28]:28s}{cells}")


if __name__ == "__main__":
    main()
