"""Sampling speed of the shipped Shakespeare LSTM, beside the floor set by streaming its weights.

    python -m benchmarks.sampling [--chars 1000] [--repeats 7] [--device auto|cpu|cuda]

Prints, medians of interleaved repeats:
- the time to sample 1000 characters (batch 1) with core.charlm.sample.sample;
- the floor: the same model's per-step matrix-vector products (W_ih x and W_hh h for every layer,
  and the read-out) for 1000 steps, back to back in a tight loop with nothing else;
- `ratio: X` = sample / floor (goal <= 1.25);
- the time to sample 8 temperatures side by side in one batched pass, and its ratio to one (goal <= 1.5);
- the sweep alone and beside a thread running pure Python (a busy server), and the same steps driven from a
  Python loop: the compiled loop holds no GIL, so its ratio stays near 1;
- what the sampling page computes when the model, priming text, length, seed, top-k or top-p change: every
  temperature of the slider's grid (15) for its default 300 characters, and the browser's copy of it
  (core.plots.charlm.scrub_payload); after that, moving the temperature samples nothing.

    python -m benchmarks.sampling --threads 1   # as the app's server runs torch
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from benchmarks.timing import beside_busy_python
from core.charlm.model import CharConfig, CharRNN
from core.charlm.sample import TEMPERATURE_GRID, sample
from core.charlm.shipped import SHIPPED
from core.charlm.vocab import Vocab
from core.checkpoints import load_checkpoint
from core.flags import add_device_flag, device_from_flags
from core.plots.charlm import scrub_payload
from core.runtime import configure_torch


def load_model() -> tuple[CharRNN, Vocab, str]:
    """The shipped Shakespeare LSTM, or (if it is missing) a random model of the same shape."""
    shipped = SHIPPED[0]
    if shipped.path.exists():
        ck = load_checkpoint(shipped.path)
        return ck.model, Vocab(ck.vocab), shipped.title
    vocab = Vocab(("\n", *(chr(c) for c in range(32, 109))))
    return CharRNN(CharConfig(len(vocab), "lstm", 512, 2, 64)).eval(), vocab, "random LSTM 2x512 (no checkpoint)"


@torch.inference_mode()
def floor(model: CharRNN, steps: int) -> float:
    """Seconds for the per-step matrix-vector products alone."""
    mats = []
    for k in range(model.config.num_layers):
        w_ih, w_hh, _, _ = model.layer_weights(k)
        mats += [w_ih, w_hh]
    mats.append(model.head.weight)
    vecs = [torch.randn(m.shape[1], device=m.device) for m in mats]
    start = time.perf_counter()
    for _ in range(steps):
        for m, v in zip(mats, vecs):
            torch.mv(m, v)
    return time.perf_counter() - start


@torch.inference_mode()
def product_costs(model: CharRNN, rows: int, repeats: int = 300) -> tuple[float, float]:
    """Seconds for one matrix-vector product and one `rows`-row matrix product with the model's biggest
    matrix ([W_ih | W_hh] of an upper layer): what one row and a batch of rows cost at the least."""
    w_ih, w_hh, _, _ = model.layer_weights(model.config.num_layers - 1)
    w = torch.cat([w_ih, w_hh], dim=1)
    v, m = torch.randn(w.shape[1], device=w.device), torch.randn(rows, w.shape[1], device=w.device)
    out = []
    for fn in (lambda: torch.mv(w, v), lambda: torch.mm(m, w.T)):
        fn()
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
        out.append((time.perf_counter() - start) / repeats)
    return out[0], out[1]


@torch.inference_mode()
def python_loop(model: CharRNN, vocab: Vocab, steps: int) -> None:
    """`steps` sampling steps of 15 rows driven from Python, one compiled step per call (the loop before it was
    compiled whole made a dozen calls a step)."""
    from core.charlm.sample import Stepper

    stepper = Stepper(model)
    state = stepper.state_from(model.init_state(len(TEMPERATURE_GRID)))
    tokens = torch.zeros(len(TEMPERATURE_GRID), dtype=torch.long, device=model.head.weight.device)
    for _ in range(steps):
        tokens = stepper(tokens, state).argmax(-1)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chars", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--threads", type=int, help="torch threads (default: one per core; the app's server uses 1)")
    add_device_flag(p)
    a = p.parse_args(argv)
    device = device_from_flags(p, a)
    configure_torch(a.threads)
    model, vocab, name = load_model()
    model = model.to(device)
    prime = "\n"
    one = lambda: sample(model, vocab, prime, a.chars, (1.0,), seed=0)  # noqa: E731
    eight = lambda: sample(model, vocab, prime, a.chars, (0.0, 0.3, 0.5, 0.7, 0.9, 1.0, 1.2, 1.5), seed=0)  # noqa: E731
    grid = lambda: sample(model, vocab, "ROMEO:\n", 300, TEMPERATURE_GRID, seed=0)  # noqa: E731
    one(), eight(), floor(model, 50)  # warm up
    t_one, t_floor, t_eight, t_grid, t_payload = [], [], [], [], []
    for _ in range(a.repeats):  # interleaved, so a noisy moment hits all alike
        t_one.append(timed(one))
        t_floor.append(floor(model, a.chars))
        t_eight.append(timed(eight))
        t_grid.append(timed(grid))
        result = grid()
        t_payload.append(timed(lambda: scrub_payload(result, 0)))  # noqa: B023
    s, f, e = (statistics.median(t) for t in (t_one, t_floor, t_eight))
    print(f"model: {name} on {device}; torch threads: {torch.get_num_threads()}; {a.chars} characters; "
          f"median of {a.repeats}")
    print(f"sample, batch 1:            {s * 1000:8.1f} ms  ({s / a.chars * 1e6:.0f} us/char)")
    print(f"floor (mat-vec products):   {f * 1000:8.1f} ms  ({f / a.chars * 1e6:.0f} us/step)")
    print(f"ratio: {s / f:.2f}")
    print(f"8 temperatures, one batch:  {e * 1000:8.1f} ms")
    print(f"batched ratio (8 vs 1): {e / s:.2f}")
    g, pay = statistics.median(t_grid), statistics.median(t_payload)
    print(f"the page's sweep: {len(TEMPERATURE_GRID)} temperatures x 300 characters, one batch: {g * 1000:8.1f} ms, "
          f"its browser copy {pay * 1000:.1f} ms (then each temperature move samples nothing)")
    for label, fn in (("the sweep (one compiled loop)", grid),
                      ("300 steps driven from Python", lambda: python_loop(model, vocab, 300))):
        alone, busy = beside_busy_python(fn)
        print(f"{label}: alone {alone * 1000:.0f} ms, beside a busy Python thread {busy * 1000:.0f} ms "
              f"(ratio {busy / alone:.2f})")
    one_row, eight_rows = product_costs(model, 8)
    flops = 2 * 8 * model.rnn.weight_hh_l0.shape[0] * 2 * model.config.hidden_size
    print(f"bound: the biggest matrix times 1 row {one_row * 1e6:.0f} us, times 8 rows {eight_rows * 1e6:.0f} us "
          f"({eight_rows / one_row:.1f}x; {flops / eight_rows / 1e9:.0f} GFLOP/s)"
          + (": compute-bound, so 8 rows cannot cost 1.5x one row on this machine"
             if eight_rows / one_row > 1.5 else ""))


if __name__ == "__main__":
    main()
