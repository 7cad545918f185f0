"""The shapes world: generated scenes whose captions say exactly where each named thing is.

A scene has 1 to 4 objects (a circle, square or triangle; one of five colours; small or large; placed
without overlap, squares and triangles slightly rotated, edges soft) on a varied background with noise.
Its caption names every object, from left to right, in a small grammar: objects in pairs, each pair with
the relation between them, "a large red circle to the left of a small blue square and a small green
triangle"; the fixed order makes the caption a function of the picture, so a model can learn it exactly;
every content word (size, colour, shape) is linked to the object it names, with the object's box, so
an attention map can be scored by whether it points at the right object. The same seed gives the same
scene.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SIZE = 224
SHAPES = ("circle", "square", "triangle")
COLOURS = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 220), "yellow": (235, 200, 30),
           "purple": (150, 60, 190)}
SIZES = {"small": (16, 24), "large": (32, 44)}  # radius range in pixels (half the side of a square)
RELATIONS = ("to the left of", "to the right of", "above", "below")
START, END, PAD = "<start>", "<end>", "<pad>"
VOCAB = (PAD, START, END, "a", "and", "of", "to", "the", "left", "right", "above", "below",
         *SIZES, *COLOURS, *SHAPES)


@dataclass(frozen=True)
class Thing:
    """One object of a scene."""

    shape: str
    colour: str
    size: str
    centre: tuple[float, float]  # (x, y) in pixels
    radius: float
    angle: float  # degrees, squares and triangles only

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) in pixels, covering the shape whatever its rotation."""
        x, y = self.centre
        r = self.radius * (math.sqrt(2) if self.shape == "square" else 1.0)
        return (max(0, int(x - r)), max(0, int(y - r)),
                min(SIZE, int(math.ceil(x + r))), min(SIZE, int(math.ceil(y + r))))

    def words(self) -> tuple[str, str, str]:
        """How the caption names it: size, colour, shape."""
        return self.size, self.colour, self.shape


@dataclass(frozen=True)
class Scene:
    """An image with its objects, its caption and which object each caption word names."""

    image: Image.Image  # RGB, SIZE × SIZE (core.vision.styles: any canvas, which padding turns into that square)
    things: tuple[Thing, ...]
    tokens: tuple[str, ...]  # the caption's words, without start/end tokens
    links: tuple[int | None, ...]  # for each token: the index of the object it names, or None
    pairs: tuple[tuple[int, int, str], ...]  # (i, j, relation): the caption says object i is <relation> object j

    @property
    def caption(self) -> str:
        """The caption as text."""
        return " ".join(self.tokens)


def relation(a: Thing, b: Thing) -> str:
    """Where a is with respect to b, by the larger of the horizontal and vertical offsets of their centres."""
    dx, dy = a.centre[0] - b.centre[0], a.centre[1] - b.centre[1]
    if abs(dx) >= abs(dy):
        return "to the left of" if dx < 0 else "to the right of"
    return "above" if dy < 0 else "below"


def _place(rng: np.random.Generator, count: int, bounds: tuple[float, float, float, float] = (0, 0, SIZE, SIZE),
           edge: float | None = None, flush: float = 0.0) -> list[Thing]:
    """`count` objects with distinct descriptions that do not overlap, inside `bounds` (x0, y0, x1, y1) (rejection
    sampling; in a narrow band the scene starts again, and after many tries has one object fewer). Each centre stays
    its reach (its corners' distance and 4 px) inside the bounds, or with `edge`, that many radii: 1 lets a circle or
    an upright square's side touch the edge (a triangle's or a turned square's corners may cross it), less lets the
    edge cut the object, as in a tightly framed drawing. `flush`: the chance that an object is laid exactly that near
    one of the four edges (picked at random), not anywhere in between (it draws more numbers only when above 0, so the
    scenes drawn without it stay the same)."""
    x0, y0, x1, y1 = bounds
    if min(x1 - x0, y1 - y0) <= 2 * (SIZES["small"][0] * math.sqrt(2) + 4):
        raise ValueError(f"bounds {bounds} are too small for even one small object")
    limit = None if bounds == (0, 0, SIZE, SIZE) else 2000  # the whole square keeps the scenes its seeds always drew
    things: list[Thing] = []
    tries = 0
    while len(things) < count:
        tries += 1
        # a band too narrow for these objects: start again, smaller if it keeps failing
        if limit is not None and tries > limit:
            things, tries, count = [], 0, count - 1 if count > 1 and rng.random() < 0.2 else count
        shape, colour = SHAPES[rng.integers(3)], list(COLOURS)[rng.integers(len(COLOURS))]
        size = list(SIZES)[rng.integers(2)]
        radius = float(rng.uniform(*SIZES[size]))
        reach = radius * math.sqrt(2) + 4
        inset = reach if edge is None else edge * radius
        if x1 - x0 <= 2 * inset or y1 - y0 <= 2 * inset:
            continue
        centre = (float(rng.uniform(x0 + inset, x1 - inset)), float(rng.uniform(y0 + inset, y1 - inset)))
        if flush and rng.random() < flush:
            side = int(rng.integers(4))  # left, right, top, bottom
            centre = ((x0 + inset, x1 - inset)[side], centre[1]) if side < 2 else \
                (centre[0], (y0 + inset, y1 - inset)[side - 2])
        angle = float(rng.uniform(-15, 15)) if shape != "circle" else 0.0
        candidate = Thing(shape, colour, size, centre, radius, angle)
        clear = all(math.dist(centre, t.centre) > reach + t.radius * math.sqrt(2) + 4 for t in things)
        unique = all(t.words() != candidate.words() for t in things)
        if clear and unique:
            things.append(candidate)
    return things


def _background(rng: np.random.Generator) -> np.ndarray:
    """A light two-colour gradient with pixel noise: (SIZE, SIZE, 3) float."""
    a, b = rng.uniform(170, 250, 3), rng.uniform(170, 250, 3)
    angle = rng.uniform(0, 2 * math.pi)
    ys, xs = np.mgrid[0:SIZE, 0:SIZE] / (SIZE - 1)
    t = np.clip(0.5 + (xs - 0.5) * math.cos(angle) + (ys - 0.5) * math.sin(angle), 0, 1)[..., None]
    return a * (1 - t) + b * t + rng.normal(0, 6, (SIZE, SIZE, 3))


def _draw(things: list[Thing], rng: np.random.Generator) -> Image.Image:
    """Render at twice the size and scale down (soft edges), then a light blur and noise."""
    scale = 2
    canvas = Image.fromarray(np.clip(np.kron(_background(rng), np.ones((scale, scale, 1))), 0, 255).astype(np.uint8))
    pen = ImageDraw.Draw(canvas)
    for t in things:
        x, y, r = t.centre[0] * scale, t.centre[1] * scale, t.radius * scale
        colour = tuple(int(np.clip(c + rng.normal(0, 12), 0, 255)) for c in COLOURS[t.colour])
        if t.shape == "circle":
            pen.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        else:
            corners = 4 if t.shape == "square" else 3
            start = math.radians(t.angle) + (math.pi / 4 if corners == 4 else -math.pi / 2)
            reach = r * (math.sqrt(2) if corners == 4 else 1.0)
            pen.polygon([(x + reach * math.cos(start + 2 * math.pi * k / corners),
                          y + reach * math.sin(start + 2 * math.pi * k / corners)) for k in range(corners)],
                        fill=colour)
    small = canvas.resize((SIZE, SIZE), Image.Resampling.LANCZOS).filter(ImageFilter.GaussianBlur(0.6))
    noisy = np.asarray(small, dtype=np.float64) + rng.normal(0, 4, (SIZE, SIZE, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def layout(seed: int, count: int | None = None, bounds: tuple[float, float, float, float] = (0, 0, SIZE, SIZE),
           edge: float | None = None, flush: float = 0.0) -> tuple[tuple[Thing, ...], np.random.Generator]:
    """The objects of scene `seed` (without drawing it), inside `bounds` of the SIZE × SIZE square (all of it but for
    the non-square canvases of core.vision.styles), as near its edges as `edge` allows, a share `flush` of them
    exactly that near (_place), and the generator, ready to draw the rest."""
    rng = np.random.default_rng(seed)
    count = int(rng.integers(1, 5)) if count is None else count
    if not 1 <= count <= 4:
        raise ValueError(f"a scene has 1 to 4 objects, not {count}")
    return tuple(_place(rng, count, bounds, edge, flush)), rng


def describe(things: tuple[Thing, ...]
             ) -> tuple[tuple[str, ...], tuple[int | None, ...], tuple[tuple[int, int, str], ...]]:
    """The caption of `things`: its words, the object each word names, and the (i, j, relation) pairs.
    Objects are named from left to right (by the x of their centres)."""
    order = sorted(range(len(things)), key=lambda k: things[k].centre)
    tokens: list[str] = []
    links: list[int | None] = []
    pairs = []
    for start in range(0, len(order), 2):
        if tokens:
            tokens.append("and")
            links.append(None)
        i = order[start]
        tokens += ["a", *things[i].words()]
        links += [None, i, i, i]
        if start + 1 < len(order):
            j = order[start + 1]
            words = relation(things[i], things[j]).split()
            tokens += [*words, "a", *things[j].words()]
            links += [None] * (len(words) + 1) + [j, j, j]
            pairs.append((i, j, " ".join(words)))
    return tuple(tokens), tuple(links), tuple(pairs)


def make_scene(seed: int, count: int | None = None) -> Scene:
    """The scene of `seed` with `count` objects (1-4; drawn from the seed when None)."""
    things, rng = layout(seed, count)
    return Scene(_draw(list(things), rng), things, *describe(things))
