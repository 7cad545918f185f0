"""One user in headless Chromium: move each page's main control 20 times and time until the page shows the result.

    python -m benchmarks.browser [--moves 20] [--pages sampling,hidden_states] [--url http://host:port]

Without --url it starts `streamlit run app.py` on a free port (tests.e2e.harness.serve_app); with --url it uses
that server, whose caches may already hold results of an earlier run (moves then look faster than a new user's).
Chromium is Debian's (harness.CHROMIUM, launched headless with harness.CHROMIUM_ARGS). Each page is opened in a
fresh browser context (a new Streamlit session with default settings); then its control is moved the way a
user does: a focused slider gets one key press (ArrowRight/ArrowLeft; at an end, Home or End jumps to the other
end, so values repeat as late as possible), a number input gets a new value typed and then Enter, a button a click.

What is timed, all in the page's own clock (performance.now()):
  start  the `timeStamp` of the first keydown or pointerdown event the page receives for the move (a listener in
         the capture phase on window; typing into a number input happens before and is not timed, Enter is).
  end    the first animation frame (requestAnimationFrame, i.e. just before the browser paints) in which
         - "redraw" controls: the watched figure or text (the plotly charts / text that depend on the control, not
           the control itself) differs from what it was just before the move, AND the rerun is over: the app's
           `data-test-script-state` is "notRunning" and no element is marked `data-stale="true"`. (Streamlit's
           status widget `[data-testid="stStatusWidget"]` is not waited for: it fades out for up to 200 ms after
           the run, and it also shows the "source file changed" prompt while someone edits the app.)
         - "rerun" controls (nothing on the page depends on them; the page only reruns): a rerun started after the
           event and is over, in the sense above;
         - the sampling temperature's client-side component: the sample `.rnnlab-sample` shows the new
           temperature in `data-t` (equal to the value of the component's `input.rnnlab-temperature`, or to the
           number in its aria-valuetext when the input holds a position on a grid of temperatures) and its text
           changed; when the text stays the same for GRACE_FRAMES frames (two neighbouring temperatures can
           write the same text), the frame in which data-t changed counts. No server round trip is waited for.
Playwright's round trip is outside the interval: the press/click is sent before the page starts the clock, and
the result is read from the page after it stopped (only a click's few-ms gap from pointerdown to the pointerup
that completes it is inside, as a user's would be). Between moves the page is left to settle (no rerun running
for SETTLE_MS). A move counts as failed (and is left out of the figures) when it shows nothing new within --timeout
seconds, when its rerun ends and nothing changed for 3 s, or when no rerun has started 10 s after the event.

The controls (CONTROLS below): rnn_shapes "Sequence length T"; hello_model "Train 1 step"; hello_sampling "Resample";
sampling "Temperature T" (the client-side component when the page has it, else the st.slider); train "Chunk length
(TBPTT)" and memory_task "Lag" (they only configure a training: rerun alone); hidden_states "Length (characters)"
(steps of 100) and "Start at character" (typed, +500 each move); hidden_memory "Prediction at position t";
captioning and vqa "Scene seed" (typed, +1 each move); gradient_flow "Spectral radius ρ of W_hh" (steps of 0.01);
gradient_remedies "Chunk length k". The home page has no control.

Prints, per page and control: moves timed, the first move, p50, p95 (nearest rank), max, the goal (0.1 s for the
sampling temperature, 0.5 s for every other control) and failed moves or exceptions the page showed. A page whose
control is missing gets a line saying so; every move's time goes to stderr. Exit status 0.
"""
from __future__ import annotations

import argparse
import contextlib
import math
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from core.flags import add_device_flag, device_from_flags
from pages._registry import SECTIONS
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, exception_texts, open_page, serve_app

GRACE_FRAMES = 3  # frames to wait for the text after the component's data-t changed, before calling it "same text"
SETTLE_MS = 400  # quiet time (no rerun, nothing stale) before the next move
PLOTS = '[data-testid="stPlotlyChart"]'
SAMPLE_TEXT = '[data-testid="stMarkdownContainer"] div[style*="monospace"]'  # the old sampling page's coloured text


@dataclass(frozen=True)
class Control:
    """A page's main control: how to find it, how a user moves it, and what shows the result."""

    label: str
    kind: str  # slider | number | button
    watch: str = ""  # CSS selector of what must change; "" = nothing depends on it, time the rerun alone
    step: float = 1.0  # number inputs: how far each typed value moves
    direction: int = 1  # sliders: walk up (1) or down (-1) first
    goal: float = 0.5


CONTROLS: dict[str, list[Control]] = {  # url path -> controls, in the order they are timed
    "rnn_shapes": [Control("Sequence length T", "slider", ".st-key-graph")],
    "hello_model": [Control("Train 1 step", "button", ".st-key-steps, .st-key-loss_curve")],
    "hello_sampling": [Control("Resample", "button", ".st-key-sampling_steps, .st-key-diversity")],
    "sampling": [Control("Temperature T", "slider", f"{SAMPLE_TEXT}, .st-key-softmax_bars", goal=0.1)],
    "train": [Control("Chunk length (TBPTT)", "slider")],
    "hidden_states": [Control("Length (characters)", "slider", ".st-key-unit_heatmap, .st-key-unit_text"),
                      Control("Start at character", "number", ".st-key-unit_heatmap, .st-key-unit_text", step=500)],
    "hidden_memory": [Control("Prediction at position t", "slider", ".st-key-connectivity, .st-key-reach_text")],
    "captioning": [Control("Scene seed", "number", f'{PLOTS}, [data-testid="stImage"]')],
    "vqa": [Control("Scene seed", "number", f'{PLOTS}, [data-testid="stImage"]')],
    "gradient_flow": [Control("Spectral radius ρ of W_hh", "slider", ".st-key-flow_norms")],
    "gradient_remedies": [Control("Chunk length k", "slider", ".st-key-tbptt_diagram, .st-key-tbptt_map")],
    "memory_task": [Control("Lag", "slider")],
}
COMPONENT_INPUT = "input[type=range].rnnlab-temperature"  # the sampling page's client-side temperature component

# Installed once per page: a clock for the move's first input event, the run state, and a frame-by-frame check.
PROBE = """
(() => {
  const B = window.__bench = {t0: null, armed: false, lastRunStart: -1, spec: null, base: null};
  const app = document.querySelector('[data-testid="stApp"]');
  const mark = e => { if (B.armed && B.t0 === null) B.t0 = e.timeStamp; };
  window.addEventListener('keydown', mark, true);
  window.addEventListener('pointerdown', mark, true);
  new MutationObserver(records => {  // a run that started and ended before this callback still left a record
    if (app.getAttribute('data-test-script-state') === 'running' || records.some(r => r.oldValue === 'running'))
      B.lastRunStart = performance.now();
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state'], attributeOldValue: true});
  let dirty = true;
  new MutationObserver(() => { dirty = true; })
    .observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  const deep = (sel, root = document, out = []) => {
    out.push(...root.querySelectorAll(sel));
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) deep(sel, el.shadowRoot, out);
    return out;
  };
  B.deep = deep;
  B.quiet = () => app.getAttribute('data-test-script-state') === 'notRunning' &&
    !document.querySelector('[data-stale="true"]');
  const html = el => el.innerHTML +
    [...el.querySelectorAll('*')].filter(e => e.shadowRoot).map(e => html(e.shadowRoot)).join('');
  B.sig = sel => [...document.querySelectorAll(sel)].map(html).join('\\u0001');  // open shadow roots included
  // the sample element and the slider of the temperature component (host looked up again if replaced)
  B.component = () => {
    if (!B.host || !B.host.isConnected) B.host = deep('.rnnlab-sample[data-t]')[0]?.getRootNode() ?? null;
    if (!B.host) return null;
    const sample = B.host.querySelector('.rnnlab-sample[data-t]'),
          input = B.host.querySelector('input.rnnlab-temperature');
    return sample && input ? {t: sample.getAttribute('data-t'), text: sample.textContent, value: input.value,
                              valuetext: input.getAttribute('aria-valuetext')} : null;
  };
  B.shows = c => {  // data-t is the slider's temperature: its value, or the number its aria-valuetext says
    const said = (c.valuetext || '').match(/-?[0-9]+(?:[.][0-9]+)?/);
    return [c.value, said && said[0]].some(v => v != null && Math.abs(parseFloat(c.t) - parseFloat(v)) < 1e-6);
  };
  B.arm = spec => {
    B.spec = spec; B.t0 = null; B.armed = true; dirty = true;
    B.base = spec.mode === 'component' ? B.component() : B.sig(spec.watch || 'nothing-to-watch');
    // mutations inside a shadow root do not reach the observer on <body>: such watches are compared every frame
    B.shadowy = !!spec.watch &&
      [...document.querySelectorAll(spec.watch)].some(e => [...e.querySelectorAll('*')].some(x => x.shadowRoot));
    return B.base !== null;
  };
  B.wait = timeoutMs => new Promise(resolve => {
    const spec = B.spec, start = performance.now();
    let cur = B.base, tMatch = null, frames = 0, quietSince = null;
    const done = (reason, t1) => {
      B.armed = false; resolve({reason, t0: B.t0, t1, ran: B.lastRunStart > (B.t0 ?? Infinity)});
    };
    const frame = () => {
      const now = performance.now();
      if (B.t0 !== null) {
        if (spec.mode === 'component') {
          const c = B.component();
          if (c && c.t !== B.base.t && B.shows(c)) {
            if (c.text !== B.base.text) return done('changed', now);
            if (tMatch === null) tMatch = now;
            if (++frames >= spec.grace) return done('same text', tMatch);
          } else { tMatch = null; frames = 0; }
        } else {
          if (spec.watch && (dirty || B.shadowy)) { dirty = false; cur = B.sig(spec.watch); }
          const quiet = B.quiet();
          quietSince = quiet ? (quietSince ?? now) : null;
          if (quiet && (spec.watch ? cur !== B.base : B.lastRunStart > B.t0)) return done('changed', now);
          if (quiet && B.lastRunStart > B.t0 && now - quietSince > 3000) return done('rerun showed no change', null);
          if (B.lastRunStart < B.t0 && now - B.t0 > 10000 && cur === B.base) return done('no rerun started', null);
        }
      }
      if (now - start > timeoutMs) return done(B.t0 === null ? 'the page got no input event' : 'timeout', null);
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  B.settle = (quietMs, timeoutMs) => new Promise(resolve => {
    const start = performance.now(); let since = null;
    const frame = () => {
      const now = performance.now();
      since = B.quiet() ? (since ?? now) : null;
      if ((since !== null && now - since >= quietMs) || now - start > timeoutMs) return resolve(since !== null);
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
})()
"""


@dataclass
class Result:
    """What one control's moves measured."""

    page: str
    control: str
    goal: float
    times: list[float]
    failures: list[str]
    exceptions: list[str]
    note: str = ""


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of `values`."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def slider_key(thumb, direction: int) -> tuple[str, int]:
    """The key that moves this slider one step on its walk, and the walk's direction after it."""
    value, low, high = thumb.evaluate("e => [e.value, e.min, e.max].map(Number)")
    if direction > 0:
        return ("ArrowRight", 1) if value < high else ("Home", 1)
    return ("ArrowLeft", -1) if value > low else ("End", -1)


def locate(page, control: Control):
    """The element the user acts on, or None when the page does not show it."""
    if control.kind == "button":
        target = page.get_by_role("button", name=control.label, exact=True)
    elif control.kind == "slider":
        target = page.locator('[data-testid="stSlider"]', has_text=control.label).get_by_role("slider")
    else:
        target = page.locator('[data-testid="stNumberInput"]', has_text=control.label).locator("input")
    try:
        target.first.wait_for(state="visible", timeout=5_000)
    except Exception:  # noqa: BLE001 - absent, hidden, or the page failed: the caller says which control
        return None
    return target.first


def time_control(page, name: str, control: Control, moves: int, timeout: float, component: bool) -> Result:
    """Move `control` `moves` times on the open page and time each move."""
    kind = "client-side component" if component else {"number": "number input"}.get(control.kind, control.kind)
    result = Result(name, f"{control.label} ({kind})", control.goal, [], [], [])
    target = page.locator(COMPONENT_INPUT).first if component else locate(page, control)
    if target is None:
        result.note = f"control “{control.label}” ({control.kind}) not found on the page"
        return result
    if control.watch and not component and page.locator(control.watch).count() == 0:
        result.note = f"nothing to watch: {control.watch} is not on the page"
        return result
    spec = {"mode": "component" if component else ("redraw" if control.watch else "rerun"),
            "watch": control.watch, "grace": GRACE_FRAMES}
    if spec["mode"] == "rerun":
        result.note = "no figure depends on it: timed to the end of its rerun"
    direction, key = control.direction, ""
    for move in range(1, moves + 1):
        page.evaluate("([q, t]) => window.__bench.settle(q, t)", [SETTLE_MS, timeout * 1000])
        if control.kind == "number" and not component:
            value = float(target.input_value() or 0) + control.step
            target.fill(str(int(value)) if value.is_integer() else f"{value:g}")
        if not page.evaluate("spec => window.__bench.arm(spec)", spec):
            result.failures.append("the component's sample is not on the page")
            break
        if control.kind == "button":
            target.click()
        elif control.kind == "number" and not component:
            target.press("Enter")
        else:
            key, direction = slider_key(target, direction)
            target.press(key)
        out = page.evaluate("t => window.__bench.wait(t)", timeout * 1000)
        if out["t1"] is None:
            result.failures.append(f"{out['reason']} (move {move}{f', key {key}' if control.kind == 'slider' else ''})")
        else:
            result.times.append((out["t1"] - out["t0"]) / 1000)
    page.evaluate("([q, t]) => window.__bench.settle(q, t)", [SETTLE_MS, timeout * 1000])
    result.exceptions = [" ".join(text.split())[:200] for text in exception_texts(page)]
    return result


def bench_page(browser, url: str, name: str, moves: int, timeout: float) -> list[Result]:
    """Open page `name` in a fresh session and time each of its controls."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    results = []
    try:
        t = time.perf_counter()
        open_page(page, url, name)
        opened = f"page opened in {time.perf_counter() - t:.1f} s"
        page.evaluate(PROBE)
        for control in CONTROLS[name]:
            try:
                component = False
                if name == "sampling" and control.label == "Temperature T":  # the component, once it has landed
                    either = page.locator(COMPONENT_INPUT).or_(
                        page.locator('[data-testid="stSlider"]', has_text=control.label))
                    with contextlib.suppress(Exception):  # a component's code may arrive after the script finished
                        either.first.wait_for(state="attached", timeout=15_000)
                    component = page.locator(COMPONENT_INPUT).count() > 0
                results.append(time_control(page, name, control, moves, timeout, component))
            except Exception as e:  # noqa: BLE001 - one broken control must not end the benchmark
                results.append(Result(name, control.label, control.goal, [], [], [],
                                      f"could not be driven: {brief(e)}"))
            results[-1].note = "; ".join(filter(None, [opened, results[-1].note]))
            opened = ""
    except Exception as e:  # noqa: BLE001 - one broken page must not end the benchmark
        results.append(Result(name, "—", 0.5, [], [], [], f"could not be opened: {brief(e)}"))
    finally:
        context.close()
    return results


def brief(e: Exception) -> str:
    """The exception's type and the first line of its message."""
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0][:200] if text else ''}"


def report(results: list[Result]) -> None:
    """One line per page and control."""
    print(f"{'page':<18} {'control':<40} {'moves':>5} {'first':>7} {'p50':>7} {'p95':>7} {'max':>7} {'goal':>6}  notes")
    for r in results:
        notes = ([r.note] if r.note else []) + ([f"{len(r.failures)} failed: {', '.join(r.failures[:3])}"]
                                                if r.failures else [])
        notes += [f"{len(r.exceptions)} exception(s): {r.exceptions[0]}"] if r.exceptions else []
        if not r.times:
            print(f"{r.page:<18} {r.control:<40} {0:>5} {'—':>7} {'—':>7} {'—':>7} {'—':>7} {r.goal:>5g}s  "
                  f"{'; '.join(notes)}")
            continue
        p95 = percentile(r.times, 0.95)
        verdict = "within goal" if p95 <= r.goal else "OVER goal"
        print(f"{r.page:<18} {r.control:<40} {len(r.times):>5} {r.times[0]:>7.3f} {statistics.median(r.times):>7.3f} "
              f"{p95:>7.3f} {max(r.times):>7.3f} {r.goal:>5g}s  {'; '.join([verdict] + notes)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=20, help="moves per control")
    parser.add_argument("--pages", default="", help="comma-separated url paths (default: every page with a control)")
    parser.add_argument("--url", default="", help="an app already running (default: start one)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds a move may take before it counts as failed")
    add_device_flag(parser, server=True)
    args = parser.parse_args()
    device = device_from_flags(parser, args)

    registry = [Path(p.file).stem for pages in SECTIONS.values() for p in pages]
    wanted = [p.strip() for p in args.pages.split(",") if p.strip()] or registry
    for name in wanted:
        if name not in registry:
            print(f"{name}: not a page of the app (pages: {', '.join(registry)})")
        elif name not in CONTROLS:
            print(f"{name}: no control that redraws a figure; not timed")
    names = [n for n in wanted if n in registry and n in CONTROLS]

    from playwright.sync_api import sync_playwright

    def run(url: str) -> None:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                results = []
                for name in names:
                    t = time.perf_counter()
                    page_results = bench_page(browser, url, name, args.moves, args.timeout)
                    results += page_results
                    for r in page_results:  # every move, for a closer look (stdout gets the summary)
                        print(f"[browser] {name} · {r.control}: {' '.join(f'{x:.3f}' for x in r.times) or 'no moves'}",
                              file=sys.stderr, flush=True)
                    print(f"[browser] {name}: done in {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
            finally:
                browser.close()
        print(f"\nOne user in headless Chromium, {args.moves} moves per control, seconds from the input event to the "
              f"result on screen (p95: nearest rank).")
        report(results)

    if args.url:
        run(args.url.rstrip("/"))
    else:
        log = Path(tempfile.gettempdir()) / "rnnlab-browser-benchmark-server.log"
        with serve_app(env={"RNN_LAB_DEVICE": str(device)}, keep_log=log) as url:
            run(url)
        print(f"The server's log (tracebacks of any exception): {log}")
    sys.exit(0)


if __name__ == "__main__":
    main()
