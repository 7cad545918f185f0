"""Time to analyse 2,000 characters with the shipped Shakespeare LSTM (2 × 512), and what the Hidden states page does
for one move that asks for a new analysis.

    python -m benchmarks.analysis [--chars 2000] [--repeats 5] [--threads 1] [--device auto|cpu|cuda]

Prints medians (interleaved where compared) of:
- the fused forward pass alone (what merely reading the text costs);
- the analysis as the pages run it: `analyse` (every h and c from the fused layers, c from the three gates it needs)
  + top-5 guesses, beside the same record by the hand-written cells (the readable reference it is tested against,
  which also keeps every gate), and the ratio;
- every gate, computed afterwards from the recorded h for "Gates, guesses & memory" (analysis_gates);
- the unit finder, and the analysis total against the goal (≤ 0.25 s);
- the page's move: a real run of pages/hidden_states.py (Streamlit's AppTest, through the router) after moving
  "Start at character" to a text no earlier run analysed: the analysis, the finder table, the coloured text's data,
  the heatmap figure and everything Streamlit serialises for the browser; and a move of "Unit" (a fragment);
- one connectivity backward pass from the last position (Gates, guesses & memory).
The server runs torch with one thread (core.runtime.configure_torch(serving=True)); --threads 2 shows the other case.
"""
from __future__ import annotations

import argparse
import os

import torch

from benchmarks.timing import timed
from core.charlm.analysis import analyse, analysis_gates, connectivity, find_units, prepare_text
from core.charlm.corpus import held_out_slice
from core.charlm.shipped import SHIPPED
from core.charlm.vocab import Vocab
from core.checkpoints import load_checkpoint
from core.flags import add_device_flag, device_from_flags
from core.runtime import configure_torch


def hand_cell_analysis(model, prepared) -> None:
    """The reference: the same recording by the hand-written cells, with the same top-5 read-out."""
    with torch.inference_mode():
        logits, _, _ = model.forward_cells(prepared.ids[None].to(model.head.weight.device))
        torch.softmax(logits[0], -1).topk(5, -1)


def page_moves(repeats: int) -> tuple[float, float]:
    """Median seconds of an AppTest rerun of the Hidden states page after a move to new text, and after a unit move."""
    from streamlit.testing.v1 import AppTest

    from benchmarks.timing import ROOT
    from tests.app.helpers import run_pages_through_the_router

    run_pages_through_the_router()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("pages/hidden_states.py")
    at.run()
    starts = iter(range(41_000, 41_000 + 500 * 4 * repeats, 500))  # texts no earlier run of this process analysed

    def new_text() -> None:
        at.number_input(key="hidden_start_prose").set_value(next(starts)).run()
        assert not at.exception, at.exception

    units = iter(range(1, 4 * repeats))

    def new_unit() -> None:
        at.number_input(key="unit_index").set_value(next(units)).run()
        assert not at.exception, at.exception

    return timed(new_text, repeats, warm_up=True)[0], timed(new_unit, repeats, warm_up=True)[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the server's default is 1)")
    add_device_flag(parser)
    args = parser.parse_args(argv)
    device = device_from_flags(parser, args)
    os.environ["RNN_LAB_DEVICE"] = str(device)  # the pages run below (AppTest) run their models there too
    threads = configure_torch(args.threads)
    shipped = SHIPPED[0]
    ck = load_checkpoint(shipped.path)
    ck.model.to(device)
    vocab = Vocab(ck.vocab)
    prepared = prepare_text(held_out_slice()[: args.chars], vocab, max_chars=args.chars)
    with torch.inference_mode():
        fused, _ = timed(lambda: ck.model(prepared.ids[None].to(device)), args.repeats, warm_up=True)
    hand, _ = timed(lambda: hand_cell_analysis(ck.model, prepared), args.repeats, warm_up=True)
    record, analysis = timed(lambda: analyse(ck.model, vocab, prepared), args.repeats, warm_up=True)
    finder, ranking = timed(lambda: find_units(analysis, ("all", "prose")), args.repeats)
    gates, _ = timed(lambda: analysis_gates(ck.model, analysis, prepared), args.repeats)
    backward, _ = timed(lambda: connectivity(ck.model, prepared, len(prepared.text) - 2), args.repeats)
    total = record + finder
    page_text, page_unit = page_moves(args.repeats)
    print(f"{shipped.title} on {device}, {len(prepared.text)} characters, {threads} torch thread(s), median of "
          f"{args.repeats}")
    print(f"  fused forward (reading only)          {fused:7.3f} s")
    print(f"  record h, c, top-5 (fused)            {record:7.3f} s   ({record / fused:.1f}× the fused pass)")
    print(f"  the same by the hand cells            {hand:7.3f} s   (the fused record is {hand / record:.1f}× faster)")
    print(f"  every gate, afterwards from h         {gates:7.3f} s   (only Gates, guesses & memory shows them)")
    print(f"  unit finder                           {finder:7.3f} s   ({len(ranking)} ranked rows)")
    print(f"  analysis total                        {total:7.3f} s   "
          f"goal ≤ 0.25 s: {'met' if total <= 0.25 else 'MISSED'}")
    print(f"  page: a move to a new text            {page_text:7.3f} s   "
          "(AppTest rerun: analysis, table, text, heatmap)")
    print(f"  page: a move of the unit              {page_unit:7.3f} s   (AppTest rerun)")
    print(f"  connectivity from the last step       {backward:7.3f} s")
    best = ranking[0]
    print(f"  best unit: {best.signal} #{best.unit} follows {best.feature} with r = {best.r:+.3f}")


if __name__ == "__main__":
    main()
