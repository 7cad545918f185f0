"""What makes hard attention learn: each REINFORCE change measured like for like.

    python -m benchmarks.hard_attention [--scenes 5000] [--epochs 2] [--init assets/captioner-soft.pt] \
        [--out assets/hard-attention-ablation.json] [--device auto|cpu|cuda]

Every row trains a hard-attention captioner on the same plain training scenes (cached features), with the same
seed, rate (1e-3), epochs and entropy bonus, and scores it greedily on the 1,000 held-out scenes. The rows add one
change at a time, in the order the page and README give them:

1. the paper's estimator alone: a fresh model, one sampled location sequence per caption, the whole caption's
   log-likelihood as the reward, a moving-average baseline;
2. + a warm start from the soft model's weights (--init; soft and hard share every weight);
3. + two samples per caption, each judged against the other (a leave-one-out baseline);
4. + a reward per word (the log-probability of the word said at that step);
5. + the expected context on half of the updates (Xu et al.);
6. + the LSTM's first state from the image's pooled vector (as Xu et al.; zero weights at the warm start, so it
   begins as the soft model): the shipped recipe;
7. the shipped recipe without the warm start, to show what the warm start alone is worth.

assets/reproduce.sh runs it right after the hard model's training, before the soft model's last one (the flush
scenes), so that its warm rows start from the soft weights the shipped hard model started from.

Prints one line per row (every object named, precision, recall, pointing, seconds) as it finishes and writes the
rows to --out, which the captioning page shows. With --rows, the rows trained replace those of the same name in an
existing --out file and the others are kept, so one new row costs one row's training; only when that file's rows were
measured the same way (the same scenes and epochs, from the same weights by their sha256), otherwise it refuses.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from core.flags import add_device_flag, device_from_flags
from core.runtime import configure_torch
from core.vision.train_captioner import CaptionTrainConfig, cached_splits, train_captioner, warm_start

ROWS = (("1 paper's estimator, fresh model", dict(samples=1, word_reward=False, expected_half=False), False),
        ("2 + warm start from soft", dict(samples=1, word_reward=False, expected_half=False), True),
        ("3 + leave-one-out (2 samples)", dict(samples=2, word_reward=False, expected_half=False), True),
        ("4 + reward per word", dict(samples=2, word_reward=True, expected_half=False), True),
        ("5 + expected context half the time", dict(samples=2, word_reward=True, expected_half=True), True),
        ("6 + first state from the image", dict(samples=2, word_reward=True, expected_half=True, image_state=True),
         True),
        ("7 shipped recipe, fresh model", dict(samples=2, word_reward=True, expected_half=True, image_state=True),
         False))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenes", type=int, default=5000)
    p.add_argument("--val-scenes", type=int, default=1000)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--init", type=Path, default=Path("assets/captioner-soft.pt"))
    p.add_argument("--rows", type=int, nargs="*", choices=range(1, len(ROWS) + 1),
                   default=list(range(1, len(ROWS) + 1)),
                   help="which rows to train (the page shows a file of all of them)")
    p.add_argument("--cache", type=Path, default=Path(".cache"))
    p.add_argument("--out", type=Path,
                   help="write the rows here as JSON (the page reads assets/hard-attention-ablation.json)")
    add_device_flag(p)
    args = p.parse_args(argv)
    device = device_from_flags(p, args)
    configure_torch()
    base = CaptionTrainConfig(attention="hard", epochs=args.epochs, lr=1e-3, feed="place", seed=0)
    start, before = warm_start(args.init, base.model_config(), p.error)
    setup = (f"{args.scenes:,} plain training scenes × {args.epochs} epochs each, from {args.init.name} (sha256 "
             f"{before['init_sha256']}) where warm; greedy captions of {args.val_scenes:,} held-out scenes")
    kept: dict[str, dict] = {}
    if args.out is not None and args.rows != list(range(1, len(ROWS) + 1)):
        earlier = previous_run(args.out, setup)
        if earlier is None:
            p.error(f"--rows: {args.out} holds no rows measured like these ({setup}); train every row")
        setup, kept = earlier
    train, val = cached_splits(args.scenes, args.val_scenes, args.cache, device=device)
    print(setup)
    print(f"{'row':40s} {'all named':>9s} {'precision':>9s} {'recall':>7s} {'pointing':>8s} {'seconds':>7s}")
    for k in args.rows:
        name, changes, warm = ROWS[k - 1]
        cfg = replace(base, **changes, init=str(args.init) if warm else "")
        began = time.perf_counter()
        row = train_captioner(cfg, train, val, start=start if warm else None, device=device).history[-1]
        kept[name[2:]] = {"name": name[2:], **{k: row[k] for k in ("all_named", "precision", "recall", "pointing")},
                          "seconds": time.perf_counter() - began}
        print(f"{name:40s} {row['all_named']:9.1%} {row['precision']:9.1%} {row['recall']:7.1%} "
              f"{row['pointing']:8.1%} {kept[name[2:]]['seconds']:7.0f}", flush=True)
    if args.out is not None:
        rows = [kept[name[2:]] for name, _, _ in ROWS if name[2:] in kept]
        args.out.write_text(json.dumps({"setup": setup, "rows": rows}, indent=1) + "\n")
        print(f"wrote {args.out}")


def previous_run(path: Path | None, setup: str) -> tuple[str, dict[str, dict]] | None:
    """An earlier run in `path` with the same setup (its text may say more): its setup text and its rows by name that
    are still rows of this benchmark. None when there is none (rows measured on other scenes or epochs would not be
    like for like)."""
    from core.vision.shipped import load_hard_ablation

    measured = load_hard_ablation(path) if path is not None and path.exists() else None
    if measured is None or not measured["setup"].startswith(setup):
        return None
    names = {name[2:] for name, _, _ in ROWS}
    return measured["setup"], {r["name"]: r for r in measured["rows"] if r["name"] in names}


if __name__ == "__main__":
    main()
