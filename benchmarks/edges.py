"""Captioning drawings whose objects touch the picture's edge, viewed three ways side by side on the same drawings:
without a border, with the border core.vision.images.viewed adds where something touches the edge (what the app
does), and with that border on every picture.

    python -m benchmarks.edges [--count 200] [--device auto|cpu|cuda]

Four held-out sets (core.vision.edges): user-style drawings with an object at the edge, the same with half of the
objects flush against it, paint-program drawings (white, upright shapes) with 60% of the objects flush, and the
same kind of drawings with every object inside. For each view and each shipped attention captioner (greedy): every
object named, recall and precision of the objects, and how many drawings got the border. About 6 minutes on 2 cores.
"""
from __future__ import annotations

import argparse

import torch
from PIL import Image

from core.checkpoints import load_checkpoint
from core.flags import add_device_flag, device_from_flags
from core.runtime import configure_torch
from core.vision.edges import edge_drawings, greedy_captions, paint_drawings
from core.vision.encoder import Encoder
from core.vision.images import VIEW_MARGIN, square, viewed
from core.vision.scoring import score_objects
from core.vision.shapes import SIZE
from core.vision.shipped import CAPTIONERS

VIEWS = ("no border", "where touched (app)", "every picture")


def views(images: list[Image.Image], how: str) -> list[Image.Image]:
    """The encoder's input for each image, viewed `how` (one of VIEWS)."""
    if how == VIEWS[0]:
        return [viewed(im, SIZE, 0.0)[0] for im in images]
    if how == VIEWS[1]:
        return [viewed(im, SIZE)[0] for im in images]
    return [square(im, VIEW_MARGIN).resize((SIZE, SIZE), Image.Resampling.BICUBIC) for im in images]


def drawing_flags(description: str, argv: list[str] | None) -> tuple[int, torch.device]:
    """The flags of a benchmark that captions held-out drawings: --count (drawings per set) and --device; torch
    configured."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--count", type=int, default=200, help="drawings per set")
    add_device_flag(parser)
    args = parser.parse_args(argv)
    device = device_from_flags(parser, args)
    configure_torch()
    return args.count, device


def main(argv: list[str] | None = None) -> None:
    count, device = drawing_flags(__doc__.splitlines()[0], argv)
    sets = {"user styles, object at the edge": edge_drawings(count),
            "user styles, half flush": edge_drawings(count, flush=0.5),
            "paint program, 60% flush": paint_drawings(count),
            "paint program, all inside": paint_drawings(count, flush=0.0)}
    models = {m.key: load_checkpoint(m.path).model.to(device) for m in CAPTIONERS
              if m.key in ("soft", "hard") and m.path.exists()}
    encoder = Encoder(device)
    print(f"{count} drawings per set; every object named / recall / precision; border {VIEW_MARGIN} of the side")
    print(f"{'set':32s} {'border':>6s} {'model':5s}" + "".join(f" | {how:20s}" for how in VIEWS))
    for name, (images, things) in sets.items():
        seen = {how: views(images, how) for how in VIEWS}  # a view is its own view: encoded as it is below
        touched = sum(viewed(im, SIZE)[1] > 0 for im in images)
        for key, model in models.items():
            cells = ""
            for how in VIEWS:
                s = score_objects(greedy_captions(model, seen[how], 0.0, encoder), things)
                cells += f" | {s.all_named:5.1%} {s.recall:5.1%} {s.precision:5.1%}"
            print(f"{name:32s} {touched:6d} {key:5s}{cells}")


if __name__ == "__main__":
    main()
