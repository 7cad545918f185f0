"""Time to analyse 2,000 characters with the shipped Shakespeare LSTM (2 × 512): record every state,
gate and top-5 guess with the hand-written cells, then run the unit finder over every feature.

    python benchmarks/analysis.py [--chars 2000] [--repeats 5]

Prints the median of each part and the total against the goal (≤ 2 s on 2 cores), plus, for scale, the
fused forward pass over the same text (what the recording costs on top of merely reading the text),
and one connectivity backward pass from the last position.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from benchmarks.timing import timed

from core.charlm.analysis import analyse, connectivity, find_units, prepare_text
from core.charlm.corpus import held_out_slice
from core.charlm.shipped import SHIPPED
from core.charlm.vocab import Vocab
from core.checkpoints import fingerprint, load_checkpoint
from core.runtime import configure_torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    threads = configure_torch()
    shipped = SHIPPED[0]
    ck = load_checkpoint(shipped.path)
    vocab = Vocab(ck.vocab)
    prepared = prepare_text(held_out_slice()[: args.chars], vocab, max_chars=args.chars)
    with torch.inference_mode():
        fused, _ = timed(lambda: ck.model(prepared.ids[None]), args.repeats)
    record, analysis = timed(lambda: analyse(ck.model, vocab, prepared), args.repeats)
    finder, ranking = timed(lambda: find_units(analysis, ("all", "prose")), args.repeats)
    hashing, _ = timed(lambda: fingerprint(ck.model), args.repeats)
    backward, _ = timed(lambda: connectivity(ck.model, prepared, len(prepared.text) - 2), args.repeats)
    total = record + finder
    print(f"{shipped.title}, {len(prepared.text)} characters, {threads} torch threads, median of {args.repeats}")
    print(f"  fused forward (reading only)      {fused:7.3f} s")
    print(f"  record states, gates, top-5       {record:7.3f} s   ({record / fused:.1f}× the fused pass)")
    print(f"  unit finder                       {finder:7.3f} s   ({len(ranking)} ranked rows)")
    print(f"  analysis total                    {total:7.3f} s   goal ≤ 2 s: {'met' if total <= 2 else 'MISSED'}")
    print(f"  model fingerprint (cache key)     {hashing:7.3f} s")
    print(f"  connectivity from the last step   {backward:7.3f} s")
    best = ranking[0]
    print(f"  best unit: {best.signal} #{best.unit} follows {best.feature} with r = {best.r:+.3f}")


if __name__ == "__main__":
    main()
