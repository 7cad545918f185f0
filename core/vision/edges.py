"""Drawings with objects at the picture's edge, the case where captioning an upload goes wrong most: held-out sets
that the tests and `benchmarks/edges.py` score the shipped captioners on.

- `edge_drawings`: in the user (test) styles, layouts that reach the canvas's edge: an object touching it or crossing
  it by up to 20% of its radius (seeds from 6,000,000); with `flush`, that share of the objects lies exactly against
  an edge, and at least one does (seeds from 7,000,000).
- `paint_drawings`: as a paint program draws them: white canvases of six common shapes (4:3, 3:4, 16:9, square, 3:2,
  5:7), flat colours, upright squares and triangles, no outline or a plain black one, 60% of the objects exactly
  against an edge (seeds from 8,000,000), or with `flush` 0 anywhere inside (seeds from 9,000,000).
- `dark_drawings`: in the user (test) styles, on a flat dark canvas of any hue (a paint program's dark mode, black
  card), which no training draws (seeds from 10,000,000).
- `outline_drawings`: in the user (test) styles, every shape drawn only as an outline in its colour (a pen, not a
  brush), which no training draws (seeds from 11,000,000).
- `small_drawings`: in the user (test) styles on flat paper, the whole drawing made a third to a sixth of the size of a
  big page and put anywhere on it (a few shapes in the middle of a paint program's page; seeds from 12,000,000).
- `scribble_drawings`: in the user (test) styles, every shape coloured in with a zigzag of strokes of its colour
  rather than filled (seeds from 13,000,000).

None of these seeds is trained on.
"""
from __future__ import annotations

import colorsys
from dataclasses import replace

import numpy as np
from PIL import Image

from core.vision.images import VIEW_MARGIN
from core.vision.shapes import Thing, layout
from core.vision.styles import Style, render, styled_layout

PAINT_CANVASES = ((640, 480), (480, 640), (800, 450), (600, 600), (900, 600), (500, 700))
PAGES = ((1600, 900), (1200, 900), (1000, 1000), (900, 1200))  # small_drawings' pages


def _touches(things: tuple[Thing, ...], band: tuple[float, float, float, float]) -> bool:
    """Whether an object reaches the band's edge (touches or crosses it)."""
    x0, y0, x1, y1 = band
    return any(min(t.centre[0] - x0, x1 - t.centre[0], t.centre[1] - y0, y1 - t.centre[1]) <= t.radius + 1e-6
               for t in things)


def edge_drawings(count: int = 200, flush: float = 0.0) -> tuple[list[Image.Image], list[tuple[Thing, ...]]]:
    """`count` held-out drawings in the user styles with an object at the canvas's edge, and their objects."""
    things_of, images = [], []
    seed = 7_000_000 if flush else 6_000_000
    while len(images) < count:
        _, style, rng = styled_layout(seed, "test")
        things, _ = layout(seed, bounds=style.band(), edge=1.0 if flush else 0.8, flush=flush)
        if _touches(things, style.band()):
            things_of.append(things)
            images.append(render(things, style, rng))
        seed += 1
    return images, things_of


def paint_drawings(count: int = 200, flush: float = 0.6) -> tuple[list[Image.Image], list[tuple[Thing, ...]]]:
    """`count` paint-program drawings with that share of objects flush against the canvas's edges, and their
    objects."""
    things_of, images = [], []
    first = 8_000_000 if flush else 9_000_000
    for k in range(count):
        rng = np.random.default_rng([first + k, 1])
        width, height = PAINT_CANVASES[k % len(PAINT_CANVASES)]
        style = Style("test", width, height, "flat", (255, 255, 255), (255, 255, 255), grain=0.0, light=0.0,
                      cast=(1.0, 1.0, 1.0), antialias=True, outline=int(rng.choice([0, 0, 2, 3])), ink=(0, 0, 0),
                      doubled=False, wobble=0.0, blur=0.0, jpeg=None)
        things, _ = layout(first + k, bounds=style.band(), edge=1.0 if flush else None, flush=flush)
        things = tuple(replace(t, angle=0.0) for t in things)  # a paint program's shapes stand upright
        things_of.append(things)
        images.append(render(things, style, rng))
    return images, things_of


def dark_drawings(count: int = 200) -> tuple[list[Image.Image], list[tuple[Thing, ...]]]:
    """`count` held-out drawings in the user styles on a flat dark canvas (value 3-25%, any hue, saturation up to 60%,
    even light), and their objects."""
    things_of, images = [], []
    for k in range(count):
        things, style, rng = styled_layout(10_000_000 + k, "test")
        paper = tuple(round(255 * c) for c in colorsys.hsv_to_rgb(rng.random(), rng.uniform(0, 0.6),
                                                                    rng.uniform(0.03, 0.25)))
        style = replace(style, background="flat", paper=paper, paper2=paper, light=0.0, cast=(1.0, 1.0, 1.0))
        things_of.append(things)
        images.append(render(things, style, rng))
    return images, things_of


def outline_drawings(count: int = 200) -> tuple[list[Image.Image], list[tuple[Thing, ...]]]:
    """`count` held-out drawings in the user styles whose shapes are outlines of their colour, 0.6-2% of the canvas's
    longer side wide, nothing filled; and their objects."""
    return _stroked(count, 11_000_000, "pen", (0.006, 0.02))


def scribble_drawings(count: int = 200) -> tuple[list[Image.Image], list[tuple[Thing, ...]]]:
    """`count` held-out drawings in the user styles whose shapes are coloured in with strokes 0.8-2% of the canvas's
    longer side wide (core.vision.styles.Style.scribble), no dark outline; and their objects."""
    return _stroked(count, 13_000_000, "scribble", (0.008, 0.02))


def _stroked(count: int, first: int, how: str, widths: tuple[float, float]
             ) -> tuple[list[Image.Image], list[tuple[Thing, ...]]]:
    """`count` user-style drawings from seed `first` on, each shape drawn with strokes of its colour as Style field
    `how` says, widths[0]-widths[1] of the canvas's longer side wide, no dark outline; and their objects."""
    things_of, images = [], []
    for k in range(count):
        things, style, rng = styled_layout(first + k, "test")
        stroke = max(1, round(max(style.width, style.height) * rng.uniform(*widths)))
        things_of.append(things)
        images.append(render(things, replace(style, outline=0, doubled=False, **{how: stroke}), rng))
    return images, things_of


def small_drawings(count: int = 200) -> tuple[list[Image.Image], list[tuple[Thing, ...]]]:
    """`count` held-out drawings in the user styles on flat paper, each made 1/3 to 1/6 of the size of a page of
    PAGES and put anywhere on it, and their objects."""
    things_of, images = [], []
    for k in range(count):
        things, style, rng = styled_layout(12_000_000 + k, "test")
        style = replace(style, background="flat", paper2=style.paper, light=0.0, cast=(1.0, 1.0, 1.0), grain=0.0)
        drawing = render(things, style, rng)
        page = PAGES[k % len(PAGES)]
        scale = max(page) / rng.uniform(3, 6) / max(drawing.size)
        drawing = drawing.resize((max(1, round(drawing.width * scale)), max(1, round(drawing.height * scale))),
                                 Image.Resampling.LANCZOS)
        canvas = Image.new("RGB", page, style.paper)
        canvas.paste(drawing, (int(rng.integers(0, page[0] - drawing.width + 1)),
                               int(rng.integers(0, page[1] - drawing.height + 1))))
        things_of.append(things)
        images.append(canvas)
    return images, things_of


def greedy_captions(model, images: list[Image.Image], margin: float = VIEW_MARGIN, encoder=None) -> list[list[str]]:
    """A captioner's greedy captions of `images`, as words, viewed with `margin` (core.vision.images.viewed's border
    where something touches the edge; 0: none)."""
    from core.vision.captioner import sample_caption
    from core.vision.encoder import Encoder
    from core.vision.shapes import VOCAB

    encoder, said = encoder or Encoder(), []
    for k in range(0, len(images), 50):
        f = encoder.encode(images[k: k + 50], margin)
        said += [[VOCAB[i] for i in row] for row in sample_caption(model, f.mid, f.pooled)[0]]
    return said
