"""Captioning drawings made unlike any the models learned from, as they are and as the app views an upload
(core.vision.drawings.upload_view: dark paper lifted to white, shapes coloured in with strokes filled solid, closed
coloured outlines filled, a small drawing on a big page zoomed onto), side by side on the same drawings; and how many
drawings of the held-out sets the models were measured on it changes (it should change none, so their figures stay
what the app sees).

    python -m benchmarks.drawings [--count 200] [--device auto|cpu|cuda]

Four held-out sets (core.vision.edges; seeds no training uses), in the user styles: on a flat dark canvas of any hue
(`dark_drawings`), with every shape drawn as an outline of its colour, nothing filled (`outline_drawings`), coloured
in with a zigzag of strokes (`scribble_drawings`), and the whole drawing a third to a sixth of the size of a big page
(`small_drawings`). For
each shipped attention captioner (greedy): every object named, recall and precision of the objects. About 8 minutes
on 2 cores.
"""
from __future__ import annotations

from benchmarks.edges import drawing_flags
from core.checkpoints import load_checkpoint
from core.vision.drawings import upload_view
from core.vision.edges import (
    dark_drawings,
    edge_drawings,
    greedy_captions,
    outline_drawings,
    paint_drawings,
    scribble_drawings,
    small_drawings,
)
from core.vision.encoder import Encoder
from core.vision.scoring import score_objects
from core.vision.shipped import CAPTIONERS
from core.vision.styles import styled_scene
from core.vision.train_captioner import VAL_FIRST


def main(argv: list[str] | None = None) -> None:
    count, device = drawing_flags(__doc__.splitlines()[0], argv)
    encoder = Encoder(device)
    models = {m.key: load_checkpoint(m.path).model.to(device) for m in CAPTIONERS
              if m.key in ("soft", "hard") and m.path.exists()}
    print(f"{count} drawings per set; every object named / recall / precision")
    for name, (images, things) in {"on dark paper": dark_drawings(count),
                                   "outlines, nothing filled": outline_drawings(count),
                                   "coloured in with strokes": scribble_drawings(count),
                                   "small on a big page": small_drawings(count)}.items():
        views = [upload_view(im) for im in images]
        changed = sum(v.changed for v in views)
        for key, model in models.items():
            before = score_objects(greedy_captions(model, images, encoder=encoder), things)
            # a view is its own view: encoded as it is
            after = score_objects(greedy_captions(model, [v.image for v in views], 0.0, encoder), things)
            print(f"{name:26s} {key:5s} as drawn {before.all_named:6.1%} {before.recall:6.1%} {before.precision:6.1%}"
                  f"   | as the app views it {after.all_named:6.1%} {after.recall:6.1%} {after.precision:6.1%}"
                  f"   ({changed} changed)")
    light = {"user styles (held out)": [styled_scene(VAL_FIRST + k, "test").image for k in range(count)],
             "user styles, object at the edge": edge_drawings(count)[0],
             "paint program, 60% flush": paint_drawings(count)[0]}
    for name, drawn in light.items():
        changed = sum(upload_view(im).changed for im in drawn)
        print(f"held-out set '{name}': {changed} of {len(drawn)} changed")


if __name__ == "__main__":
    main()
