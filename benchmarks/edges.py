"""Captioning drawings whose objects touch the picture's edge, viewed with and without the border that
core.vision.images.model_view adds all round (VIEW_MARGIN), side by side on the same drawings.

    python -m benchmarks.edges [--count 200] [--margins 0,0.015,0.03]

Three held-out sets (core.vision.edges): user-style drawings with an object at the edge, the same with half of the
objects flush against it, and paint-program drawings (white, upright shapes, 60% flush). For each border and each
shipped attention captioner (greedy): every object named, recall and precision of the objects. About 4 minutes on
2 cores.
"""
from __future__ import annotations

import argparse

from core.checkpoints import load_checkpoint
from core.runtime import configure_torch
from core.vision.edges import edge_drawings, greedy_captions, paint_drawings
from core.vision.encoder import Encoder
from core.vision.images import VIEW_MARGIN
from core.vision.scoring import score_objects
from core.vision.shipped import CAPTIONERS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="drawings per set")
    parser.add_argument("--margins", default=f"0,{VIEW_MARGIN},0.03", help="borders to compare, comma-separated")
    args = parser.parse_args()
    configure_torch()
    sets = {"user styles, object at the edge": edge_drawings(args.count),
            "user styles, half flush": edge_drawings(args.count, flush=0.5),
            "paint program, 60% flush": paint_drawings(args.count)}
    models = {m.key: load_checkpoint(m.path).model for m in CAPTIONERS if m.key in ("soft", "hard") and m.path.exists()}
    encoder = Encoder()
    print(f"{args.count} drawings per set; every object named / recall / precision; the app uses {VIEW_MARGIN}")
    print(f"{'set':34s} {'model':5s}" + "".join(f" | border {m:<14s}" for m in args.margins.split(",")))
    for name, (images, things) in sets.items():
        for key, model in models.items():
            cells = ""
            for margin in (float(m) for m in args.margins.split(",")):
                s = score_objects(greedy_captions(model, images, margin, encoder), things)
                cells += f" | {s.all_named:5.1%} {s.recall:5.1%} {s.precision:5.1%}"
            print(f"{name:34s} {key:5s}{cells}")


if __name__ == "__main__":
    main()
