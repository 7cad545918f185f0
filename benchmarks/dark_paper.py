"""Captioning drawings on dark paper, as they are and as the app views an upload (core.vision.images.upload_view: dark
paper lifted to white, colours kept), side by side on the same drawings; and how many drawings of the light held-out
sets the lift touches (it should touch none, so their figures stay as they are).

    python -m benchmarks.dark_paper [--count 200] [--device auto|cpu|cuda]

Dark drawings: core.vision.edges.dark_drawings (user styles on a flat dark canvas of any hue; seeds no training
uses). For each shipped attention captioner (greedy): every object named, recall and precision of the objects.
About 2 minutes on 2 cores.
"""
from __future__ import annotations

from benchmarks.edges import drawing_flags
from core.checkpoints import load_checkpoint
from core.vision.edges import dark_drawings, edge_drawings, greedy_captions, paint_drawings
from core.vision.encoder import Encoder
from core.vision.images import on_light_paper, upload_view
from core.vision.scoring import score_objects
from core.vision.shipped import CAPTIONERS
from core.vision.styles import styled_scene
from core.vision.train_captioner import VAL_FIRST


def main(argv: list[str] | None = None) -> None:
    count, device = drawing_flags(__doc__.splitlines()[0], argv)
    images, things = dark_drawings(count)
    views = [upload_view(im).image for im in images]
    lifted = sum(upload_view(im).lifted for im in images)
    encoder = Encoder(device)
    print(f"{count} drawings on dark paper, {lifted} of them lifted; every object named / recall / precision")
    for m in CAPTIONERS:
        if m.key not in ("soft", "hard") or not m.path.exists():
            continue
        model = load_checkpoint(m.path).model.to(device)
        before = score_objects(greedy_captions(model, images, encoder=encoder), things)
        after = score_objects(greedy_captions(model, views, 0.0, encoder), things)  # a view is its own view
        print(f"{m.key:5s} as drawn {before.all_named:6.1%} {before.recall:6.1%} {before.precision:6.1%}"
              f"   | lifted (app) {after.all_named:6.1%} {after.recall:6.1%} {after.precision:6.1%}")
    light = {"user styles (held out)": [styled_scene(VAL_FIRST + k, "test").image for k in range(count)],
             "user styles, object at the edge": edge_drawings(count)[0],
             "paint program, 60% flush": paint_drawings(count)[0]}
    for name, drawn in light.items():
        print(f"light set '{name}': {sum(on_light_paper(im) is not None for im in drawn)} of {len(drawn)} lifted")


if __name__ == "__main__":
    main()
