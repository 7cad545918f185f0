"""In-app training with the default settings, for its default 3 minutes: the validation loss it reaches.

    python -m benchmarks.train_3min [--minutes 3] [--device auto|cpu|cuda]

Runs core.charlm.train.train(TrainConfig()) — exactly what "Start training" on the "Train your own"
page runs with its defaults (Shakespeare, LSTM 1x512, batch 32, chunks of 100, Adam 3e-3, norm
clipping 5) — then evaluates on the whole held-out text (four plays). Goal: <= 1.60 nats/char.
Run it on an otherwise idle machine: it measures what 2 cores do in 3 minutes.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from core.charlm.corpus import load_corpus
from core.charlm.train import LN2, TrainConfig, evaluate, train
from core.flags import add_device_flag, device_from_flags


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=TrainConfig().max_seconds / 60)
    add_device_flag(p)
    a = p.parse_args(argv)
    device = device_from_flags(p, a)
    cfg = replace(TrainConfig(), max_seconds=a.minutes * 60)
    corpus = load_corpus(cfg.corpus)
    start = time.perf_counter()
    result = train(cfg, corpus, device=device)
    trained = time.perf_counter() - start
    val = evaluate(result.model, result.vocab.encode(corpus.val))
    print(f"defaults: {cfg.corpus}, {cfg.cell} {cfg.num_layers}x{cfg.hidden_size}, batch {cfg.batch_size}, "
          f"chunk {cfg.chunk_len}, lr {cfg.lr}, clip {cfg.clip} {cfg.clip_value}; "
          f"torch threads {torch.get_num_threads()}, device {device}")
    print(f"trained {len(result.steps)} steps in {trained:.0f} s ({result.status})")
    print(f"validation (all 4 held-out plays): {val:.4f} nats/char = {val / LN2:.4f} bits/char")
    print(f"ratio to the 1.60 goal: {val / 1.60:.3f} (<= 1 meets it)")


if __name__ == "__main__":
    main()
