"""The shapes world drawn the way people draw it: the same layouts and captions, in many drawing styles.

A student's first upload is a scene of their own, drawn in a paint program or with markers on paper and
photographed. `core.vision.shapes` draws every scene one way (soft gradient, noise, one shade per colour), and
captioners trained only on that learn its backgrounds and noise as much as its shapes and colours. Here the same
layouts (so the true caption is known) are drawn varying everything that is not the caption:

- the canvas: its size (224 to 1,000 px on the long side) and aspect; the encoder pads a non-square image to a
  square (core.vision.images.model_view), so the objects live in the band of the model's 224 × 224 square that the
  canvas fills, and their boxes are given in that square;
- the background: flat light colours (pure white often), two-colour gradients, paper (soft blotches and grain),
  noise at several levels;
- the ink: each named colour in shades a person still calls by that name, from saturated paint to muted marker;
  edges anti-aliased or hard; outlines of a dark colour and any width, or none; hand-drawn wobble;
- afterwards: blur, sensor noise, JPEG compression down to quality 30.

Two main families. "train" draws from all of the above, and also lays objects against the canvas's edge or across it
(a tightly framed drawing) and draws background structure that is not an object, so that the captioner learns to
ignore it: dot-grid paper, diagonal hatching, stray pencil strokes. "test" is the user-style test set: each of its
scenes has at least one kind of variation that training never shows: notebook paper (ruled lines or a squared grid,
level with the canvas, as training's hatching never is), uneven light as in a photo of paper (a vignette and a colour
cast), sketchy doubled outlines, canvases wider or taller than 4:3. A third, "flush", draws as "train" does but lays
half of its objects exactly against one of the canvas's edges, touching it: a drawing can put a shape right at its
border, where (at the border of the model's square) the CNN's features are weakest, and in "train" one lands exactly
there rarely. The same seed and family give the same scene.
"""
from __future__ import annotations

import colorsys
import io
import math
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from core.vision.images import VIEW_MARGIN, view_box
from core.vision.shapes import SIZE, Scene, Thing, describe, layout

FAMILIES = ("train", "test", "flush")
# the border the encoder's view adds to a family's scenes where an object touches the edge (core.vision.images.viewed):
# none for those the shipped models trained on, as they did; the test family is viewed as an upload is
VIEW_MARGINS = {"train": 0.0, "test": VIEW_MARGIN, "flush": 0.0}
_SALT = {"train": 7_919, "test": 104_729, "flush": 15_485_863}  # style generators seeded apart from layouts
# hue (degrees), saturation and value ranges in which a person still names the colour
SHADES = {"red": ((-8, 8), (0.6, 1.0), (0.7, 0.95)), "green": ((95, 145), (0.45, 1.0), (0.45, 0.85)),
          "blue": ((205, 235), (0.5, 1.0), (0.55, 0.95)), "yellow": ((46, 58), (0.6, 1.0), (0.85, 1.0)),
          "purple": ((270, 295), (0.4, 0.9), (0.45, 0.85))}
INKS = ((20, 20, 20), (60, 60, 60), (25, 35, 90), (70, 45, 30), (0, 0, 0))  # outline colours


@dataclass(frozen=True)
class Style:
    """How one scene is drawn. Sizes are canvas pixels."""

    family: str
    width: int
    height: int
    background: str  # "flat", "gradient", "paper"; train only: "dotted", "hatched"; test only: "ruled", "squared"
    paper: tuple[int, int, int]
    paper2: tuple[int, int, int]  # the gradient's other end
    grain: float  # pixel noise (standard deviation, 0-255 scale)
    light: float  # test only: how much darker the corners are (a photo's vignette), 0 for even light
    cast: tuple[float, float, float]  # test only: a photo's colour cast, per channel
    antialias: bool
    outline: int  # width, 0 for none
    ink: tuple[int, int, int]
    doubled: bool  # test only: every outline drawn twice, a little apart, as in a quick sketch
    wobble: float  # how far a hand-drawn edge strays, as a share of the object's radius
    blur: float  # Gaussian blur radius
    jpeg: int | None  # JPEG quality, or None for a lossless file
    edge: float | None = None  # train and flush: how near the canvas's edge a centre may come, in radii (shapes._place)
    strokes: int = 0  # train only: stray pencil strokes on the paper, under the shapes
    flush: float = 0.0  # flush only: the share of objects laid exactly `edge` radii from the canvas's edge
    pen: int = 0  # no family's: each shape drawn only as an outline of its own colour this wide (0: filled)
    scribble: int = 0  # no family's: each shape coloured in with a zigzag of its colour this wide (0: filled)

    def band(self) -> tuple[float, float, float, float]:
        """Where the canvas sits in the model's square once padded (x0, y0, x1, y1 in SIZE pixels)."""
        return view_box(self.width, self.height, 0.0, SIZE)


def _light_colour(rng: np.random.Generator) -> tuple[int, int, int]:
    """White half the time, else a light tint."""
    if rng.random() < 0.5:
        return (255, 255, 255)
    return tuple(int(v) for v in rng.uniform(205, 255, 3))


def draw_style(rng: np.random.Generator, family: str) -> Style:
    """A random style of `family`."""
    if family not in FAMILIES:
        raise ValueError(f"family is one of {FAMILIES}, not {family!r}")
    test = family == "test"
    held_out = rng.choice(["paper", "light", "doubled", "aspect"]) if test else None  # at least this one
    aspect = float(np.exp(rng.uniform(math.log(0.75), math.log(4 / 3))))  # width / height, 3:4 to 4:3
    if held_out == "aspect" or (test and rng.random() < 0.3):
        aspect = float(rng.choice([1.5, 2 / 3, 1.6, 0.625]))
    long_side = int(rng.uniform(224, 1000))
    width, height = (long_side, max(64, round(long_side / aspect))) if aspect >= 1 else \
        (max(64, round(long_side * aspect)), long_side)
    if test and (held_out == "paper" or rng.random() < 0.3):
        background = str(rng.choice(["ruled", "squared"]))
    else:
        background = str(rng.choice(["flat", "flat", "gradient", "paper"] + ([] if test else ["dotted", "hatched"])))
    light = float(rng.uniform(0.15, 0.4)) if test and (held_out == "light" or rng.random() < 0.3) else 0.0
    cast = tuple(float(c) for c in rng.uniform(0.88, 1.04, 3)) if light else (1.0, 1.0, 1.0)
    outline = int(rng.choice([0, 0, 1, 2, 3, 4, 6]) * max(1, long_side // 300))
    doubled = test and (held_out == "doubled" or rng.random() < 0.3)
    if doubled:
        outline = max(outline, max(1, long_side // 300))
    style = Style(family, width, height, background, _light_colour(rng), _light_colour(rng),
                  grain=float(rng.choice([0.0, 2.0, 5.0, 9.0])), light=light, cast=cast,
                  antialias=bool(rng.random() < 0.7), outline=outline, ink=INKS[rng.integers(len(INKS))],
                  doubled=doubled, wobble=float(rng.choice([0.0, 0.02, 0.05, 0.08])),
                  blur=float(rng.choice([0.0, 0.0, 0.5, 1.0])) * long_side / SIZE,
                  jpeg=int(rng.uniform(30, 95)) if rng.random() < 0.6 else None)
    if test:  # the test family draws nothing more: its scenes stay those its seeds always drew
        return style
    style = replace(style, edge=float(rng.uniform(0.6, 1.0)) if rng.random() < 0.4 else None,
                    strokes=int(rng.integers(1, 6)) if rng.random() < 0.25 else 0)
    return style if family == "train" else replace(style, edge=1.0, flush=0.5)


def shade(colour: str, rng: np.random.Generator) -> tuple[int, int, int]:
    """One shade of a named colour, as RGB."""
    (h0, h1), (s0, s1), (v0, v1) = SHADES[colour]
    r, g, b = colorsys.hsv_to_rgb((rng.uniform(h0, h1) % 360) / 360, rng.uniform(s0, s1), rng.uniform(v0, v1))
    return round(r * 255), round(g * 255), round(b * 255)


def _background(style: Style, rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """(h, w, 3) float: the paper or screen the shapes are drawn on, before the shapes."""
    paper = np.asarray(style.paper, dtype=np.float32)
    canvas = np.broadcast_to(paper, (h, w, 3)).copy()
    ys, xs = np.mgrid[0:h, 0:w]
    if style.background == "gradient":
        angle = rng.uniform(0, 2 * math.pi)
        t = np.clip(0.5 + (xs / w - 0.5) * math.cos(angle) + (ys / h - 0.5) * math.sin(angle), 0, 1)[..., None]
        canvas = paper * (1 - t) + np.asarray(style.paper2, dtype=np.float32) * t
    elif style.background == "paper":  # soft blotches: coarse noise, enlarged smoothly
        coarse = rng.normal(0, rng.uniform(4, 12), (6, 6, 3))
        blotches = np.asarray(Image.fromarray(((coarse + 128).clip(0, 255)).astype(np.uint8)).resize(
            (w, h), Image.Resampling.BICUBIC), dtype=np.float32) - 128
        canvas = canvas + blotches
    elif style.background == "dotted":  # dot-grid paper
        gap, dot = max(6, int(min(w, h) * rng.uniform(0.04, 0.08))), max(1, min(w, h) // 250)
        near = (np.minimum(ys % gap, gap - ys % gap) < dot) & (np.minimum(xs % gap, gap - xs % gap) < dot)
        canvas[near] = rng.uniform(120, 200, 3)
    elif style.background == "hatched":  # parallel lines (crossed, sometimes) at a slant, never level or upright
        thick, colour = max(1, min(w, h) // 300), rng.uniform(130, 215, 3)
        gap = max(6, int(min(w, h) * rng.uniform(0.04, 0.1)))
        angle = math.radians(rng.choice([-1, 1]) * rng.uniform(25, 65))
        for a in [angle] if rng.random() < 0.6 else [angle, -angle]:
            canvas[(ys * math.cos(a) - xs * math.sin(a)) % gap < thick] = colour
    elif style.background in ("ruled", "squared"):
        gap = max(6, int(min(w, h) * rng.uniform(0.05, 0.09)))
        line = np.asarray(rng.choice([(150, 180, 230), (170, 200, 235), (190, 190, 190)]), dtype=np.float32)
        thick = max(1, min(w, h) // 300)
        rows = (ys % gap) < thick
        grid = rows | ((xs % gap) < thick) if style.background == "squared" else rows
        canvas[grid] = line
        if style.background == "ruled":  # the red margin
            margin = int(w * rng.uniform(0.08, 0.15))
            canvas[:, margin: margin + thick + 1] = (225, 110, 110)
    return canvas


def _outline(points: list[tuple[float, float]], wobble: float, radius: float, rng: np.random.Generator
             ) -> list[tuple[float, float]]:
    """A closed outline through `points`, each edge cut into pieces pushed sideways by a smooth random wave."""
    if wobble <= 0:
        return points
    out = []
    phase, freq = rng.uniform(0, 2 * math.pi, 2), rng.uniform(1.5, 4.0, 2)
    n = len(points)
    for k in range(n):
        (x0, y0), (x1, y1) = points[k], points[(k + 1) % n]
        length = math.hypot(x1 - x0, y1 - y0) or 1.0
        nx, ny = -(y1 - y0) / length, (x1 - x0) / length
        pieces = max(2, int(length / max(2.0, radius / 6)))
        for j in range(pieces):
            t = j / pieces
            u = (k + t) / n * 2 * math.pi
            push = wobble * radius * 0.5 * (math.sin(freq[0] * u + phase[0]) + math.sin(freq[1] * u + phase[1]))
            out.append((x0 + (x1 - x0) * t + nx * push, y0 + (y1 - y0) * t + ny * push))
    return out


def _corners(thing: Thing, x: float, y: float, r: float) -> list[tuple[float, float]]:
    """The outline of `thing` centred at (x, y) with radius r (canvas pixels): 64 points for a circle."""
    if thing.shape == "circle":
        return [(x + r * math.cos(2 * math.pi * k / 64), y + r * math.sin(2 * math.pi * k / 64)) for k in range(64)]
    corners = 4 if thing.shape == "square" else 3
    start = math.radians(thing.angle) + (math.pi / 4 if corners == 4 else -math.pi / 2)
    reach = r * (math.sqrt(2) if corners == 4 else 1.0)
    return [(x + reach * math.cos(start + 2 * math.pi * k / corners),
             y + reach * math.sin(start + 2 * math.pi * k / corners)) for k in range(corners)]


def _strokes(canvas: Image.Image, count: int, rng: np.random.Generator) -> None:
    """`count` stray pencil strokes across `canvas` (in place): smooth open curves, thin, grey or blue."""
    w, h = canvas.size
    pen = ImageDraw.Draw(canvas)
    for _ in range(count):
        points = rng.uniform(0, 1, (int(rng.integers(3, 7)), 2)) * (w, h)
        for _ in range(3):  # Chaikin's corner cutting: a smooth curve through the random points
            points = np.concatenate([[points[0]], *[[0.75 * a + 0.25 * b, 0.25 * a + 0.75 * b]
                                                    for a, b in zip(points[:-1], points[1:])], [points[-1]]])
        grey = rng.uniform(90, 190)
        colour = ((int(grey), int(grey), int(grey)) if rng.random() < 0.6
                  else (int(grey * 0.6), int(grey * 0.7), int(grey)))
        pen.line([tuple(p) for p in points], fill=colour, width=max(1, round(min(w, h) / rng.uniform(150, 400))))


RENDER_SIDE = 512  # a larger canvas is drawn at this size and enlarged (the encoder looks at 224 px anyway)


def _scribble(layer: Image.Image, points: list[tuple[float, float]], circle: tuple[float, float, float],
              colour: tuple[int, int, int], width: int, rng: np.random.Generator) -> None:
    """Colour in the shape `points` (centre and radius `circle`) on the RGBA `layer` as a hand does with a marker: a
    zigzag of `width`-wide strokes at a random angle, 1.5 to 2.5 widths apart, kept inside the shape, and in half
    the drawings the shape's outline in the same stroke."""
    x, y, r = circle
    inside, strokes = Image.new("L", layer.size, 0), Image.new("L", layer.size, 0)
    ImageDraw.Draw(inside).polygon(points, fill=255)
    angle = rng.uniform(0, math.pi)
    ux, uy = math.cos(angle), math.sin(angle)
    across = np.arange(-1.5 * r, 1.5 * r, width * rng.uniform(1.5, 2.5))
    ImageDraw.Draw(strokes).line([(x + ux * 1.5 * r * (-1) ** k - uy * s, y + uy * 1.5 * r * (-1) ** k + ux * s)
                                  for k, s in enumerate(across)], fill=255, width=width, joint="curve")
    layer.paste((*colour, 255), (0, 0), Image.fromarray(np.minimum(np.asarray(strokes), np.asarray(inside))))
    if rng.random() < 0.5:
        ImageDraw.Draw(layer).line(points + points[:1], fill=colour, width=width, joint="curve")


def render(things: tuple[Thing, ...], style: Style, rng: np.random.Generator) -> Image.Image:
    """`things` (placed in the model's square, inside style.band()) drawn on a style.width × style.height canvas."""
    shrink = min(1.0, RENDER_SIDE / max(style.width, style.height))
    w, h = max(1, round(style.width * shrink)), max(1, round(style.height * shrink))
    scale = 2 if style.antialias else 1  # the shapes are drawn this much larger and scaled down: soft edges
    x0, y0, x1, y1 = style.band()
    kx, ky = w * scale / (x1 - x0), h * scale / (y1 - y0)  # drawing pixels per model pixel, across and down
    layer = Image.new("RGBA", (w * scale, h * scale), (0, 0, 0, 0))
    pen = ImageDraw.Draw(layer)
    line = max(1, round(style.outline * shrink * scale))
    for t in things:
        x, y, r = (t.centre[0] - x0) * kx, (t.centre[1] - y0) * ky, t.radius * (kx + ky) / 2
        points = _outline(_corners(t, x, y, r), style.wobble, r, rng)
        if style.scribble:  # coloured in with a zigzag, paper left between its strokes; half inside an outline
            _scribble(layer, points, (x, y, r), shade(t.colour, rng), max(1, round(style.scribble * shrink * scale)),
                      rng)
            continue
        if style.pen:  # a coloured pen's outline, nothing filled
            pen.line(points + points[:1], fill=shade(t.colour, rng), width=max(1, round(style.pen * shrink * scale)),
                     joint="curve")
            continue
        pen.polygon(points, fill=shade(t.colour, rng))
        for copy in range(2 if style.doubled else 1 if style.outline else 0):
            dx, dy = (rng.normal(0, line * 0.8, 2) if copy else (0.0, 0.0))
            pen.line([(px + dx, py + dy) for px, py in points + points[:1]], fill=style.ink, width=line, joint="curve")
    if scale > 1:
        layer = layer.resize((w, h), Image.Resampling.LANCZOS)
    canvas = Image.fromarray(np.clip(_background(style, rng, w, h), 0, 255).astype(np.uint8)).convert("RGBA")
    _strokes(canvas, style.strokes, rng)
    pixels = np.asarray(Image.alpha_composite(canvas, layer).convert("RGB"), dtype=np.float32)
    if style.light:  # darker towards the corners, around a point near the middle, and tinted
        ys, xs = np.mgrid[0:h, 0:w]
        cx, cy = rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h
        d = ((xs - cx) / w) ** 2 + ((ys - cy) / h) ** 2
        pixels = pixels * (1 - style.light * d / d.max())[..., None] * np.asarray(style.cast, dtype=np.float32)
    if style.grain:
        pixels = pixels + rng.normal(0, style.grain, pixels.shape).astype(np.float32)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if style.blur:
        image = image.filter(ImageFilter.GaussianBlur(style.blur * shrink))
    if (w, h) != (style.width, style.height):
        image = image.resize((style.width, style.height), Image.Resampling.BICUBIC)
    if style.jpeg is not None:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=style.jpeg)
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return image


def styled_layout(seed: int, family: str) -> tuple[tuple[Thing, ...], Style, np.random.Generator]:
    """The objects and the style of styled scene `seed` of `family` (without drawing it), and the generator that
    draws the rest."""
    rng = np.random.default_rng([seed, _SALT.get(family, 0)])
    style = draw_style(rng, family)
    things, _ = layout(seed, bounds=style.band(), edge=style.edge, flush=style.flush)
    return things, style, rng


def styled_scene(seed: int, family: str) -> Scene:
    """Scene `seed` drawn in a style of `family`. Its image is the canvas (any size and aspect); its objects' boxes
    are in the model's SIZE × SIZE square that the canvas becomes once padded (core.vision.images.square)."""
    things, style, rng = styled_layout(seed, family)
    return Scene(render(things, style, rng), things, *describe(things))
