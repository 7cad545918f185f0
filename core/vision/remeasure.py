"""Score the shipped attention models again on the user-style test set and store the figures in their checkpoints.

    python -m core.vision.remeasure [--scenes 1000] [--cache .cache] [--device auto|cpu|cuda]

Training scores a model on the user-style set once, when it ends, and the checkpoint keeps those figures (the pages'
tables read them). When the set itself changes (core.vision.styles' test family, versioned by
core.vision.train_captioner.STYLES_VERSION), this rewrites them: the weights, their other figures and their training
configuration stay as they are, so the files stay what the recorded commands (assets/reproduce.sh) make with the
current code. About 3 minutes on 2 cores (encoding the 1,000 scenes, once).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from core.checkpoints import load_checkpoint, save_checkpoint
from core.flags import add_device_flag, device_from_flags
from core.vision.shipped import CAPTIONERS, VQA_MODELS
from core.vision.train_captioner import evaluate_captioner, user_style_data
from core.vision.train_vqa import user_style_vqa


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=1000, help="user-style scenes to score on")
    parser.add_argument("--cache", type=Path, default=Path(".cache"), help="where the encoded scenes are kept")
    add_device_flag(parser)
    args = parser.parse_args(argv)
    device = device_from_flags(parser, args)
    for shipped in (*CAPTIONERS, *VQA_MODELS):
        ck = load_checkpoint(shipped.path)
        if not any(k.startswith("user_") for k in ck.metrics):  # a model that was never scored on the set
            continue
        if ck.kind == "captioner":
            figures = evaluate_captioner(ck.model.to(device), user_style_data(args.scenes, args.cache, device))
        else:
            figures = user_style_vqa(ck.model.to(device), args.scenes, args.cache, device)
        metrics = ck.metrics | {f"user_{k}": v for k, v in figures.items()} | {"user_scenes": args.scenes}
        save_checkpoint(shipped.path, ck.kind, ck.model, ck.vocab, metrics, ck.train_config)
        print(f"{shipped.path}: " + ", ".join(f"user_{k} {ck.metrics.get('user_' + k, float('nan')):.3f} -> {v:.3f}"
                                              for k, v in figures.items() if isinstance(v, float)))


if __name__ == "__main__":
    main()
