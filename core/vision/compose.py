"""A scene a student composes: which objects, where, drawn in one of a few looks, with its true caption known.

Students test a captioner on scenes of their own. An upload has no known objects, so its caption cannot be scored;
a composed scene can: the student picks each object's shape, colour, size and place (as percentages across and down
a 4:3 canvas), and the scene is drawn by core.vision.styles like the user-style scenes, so the page marks every
word hit or miss and shows the true boxes. A composition the models' world cannot hold (no objects, more than four,
two objects overlapping, two with the same description, a value outside its range) raises CompositionError with a
message saying what to change.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from core.vision.images import view_box, viewed
from core.vision.shapes import COLOURS, SHAPES, SIZE, SIZES, Scene, Thing, describe
from core.vision.styles import Style, render

MAX_OBJECTS = 4
CANVAS = (640, 480)  # a paint program's default 4:3 canvas; the encoder pads it to a square
_PLAIN = dict(grain=0.0, light=0.0, cast=(1.0, 1.0, 1.0), doubled=False, blur=0.0, jpeg=None)
LOOKS = {  # how a composed scene is drawn
    "flat paint on white": Style("composed", *CANVAS, "flat", (255, 255, 255), (255, 255, 255), antialias=True,
                                 outline=0, ink=(0, 0, 0), wobble=0.0, **_PLAIN),
    "markers on paper": Style("composed", *CANVAS, "paper", (246, 242, 230), (246, 242, 230), antialias=True,
                              outline=4, ink=(25, 25, 25), wobble=0.05, **_PLAIN | {"grain": 3.0, "jpeg": 80}),
    "pencil outlines on ruled paper": Style("composed", *CANVAS, "ruled", (252, 252, 248), (252, 252, 248),
                                            antialias=True, outline=2, ink=(60, 60, 60), wobble=0.03, **_PLAIN),
}


class CompositionError(ValueError):
    """A composition that cannot be drawn as a scene of the models' world; the message says what to change."""


@dataclass(frozen=True)
class Placed:
    """One object as the student places it: `across` and `down` are its centre in percent of the canvas."""

    shape: str
    colour: str
    size: str
    across: float
    down: float

    def words(self) -> str:
        return f"{self.size} {self.colour} {self.shape}"


def _checked(k: int, p: Placed) -> Placed:
    for value, allowed, what in ((p.shape, SHAPES, "shape"), (p.colour, tuple(COLOURS), "colour"),
                                 (p.size, tuple(SIZES), "size")):
        if value not in allowed:
            raise CompositionError(f"Object {k}: choose a {what} ({', '.join(allowed)}).")
    for value, what in ((p.across, "across"), (p.down, "down")):
        if not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 <= value <= 100:
            raise CompositionError(f"Object {k} ({p.words()}): “{what}” is a percentage of the canvas, from 0 to 100.")
    return p


def things_of(placed: Sequence[Placed], look: str) -> tuple[Thing, ...]:
    """The objects of the composition, in the model's square (the canvas padded to it), checked."""
    if look not in LOOKS:
        raise CompositionError(f"The look is one of: {', '.join(LOOKS)}.")
    if not 1 <= len(placed) <= MAX_OBJECTS:
        raise CompositionError(f"A scene has 1 to {MAX_OBJECTS} objects; this one has {len(placed)}. "
                               + ("Add a row." if not placed else "Delete a row."))
    x0, y0, x1, y1 = LOOKS[look].band()
    things = []
    for k, p in enumerate(placed, 1):
        _checked(k, p)
        centre = (x0 + p.across / 100 * (x1 - x0), y0 + p.down / 100 * (y1 - y0))
        things.append(Thing(p.shape, p.colour, p.size, centre, float(np.mean(SIZES[p.size])), 0.0))
    for i, a in enumerate(things):
        for j in range(i):
            b = things[j]
            if a.words() == b.words():
                raise CompositionError(f"Objects {j + 1} and {i + 1} are both a {placed[i].words()}: a caption names "
                                       "each object by size, colour and shape, so make them differ.")
            reach = [t.radius * (math.sqrt(2) if t.shape == "square" else 1.0) for t in (a, b)]
            if math.dist(a.centre, b.centre) < sum(reach) + 2:
                raise CompositionError(f"Objects {j + 1} ({placed[j].words()}) and {i + 1} ({placed[i].words()}) "
                                       "overlap: move one of them (in the models' scenes objects never touch).")
    return tuple(things)


def compose(placed: Sequence[Placed], look: str) -> Scene:
    """The composition drawn in `look`: its image (the 4:3 canvas), objects, true caption and word links. The same
    composition and look always draw the same picture."""
    things = things_of(placed, look)
    digest = hashlib.sha1(repr((things, look)).encode()).digest()
    image = render(things, LOOKS[look], np.random.default_rng(int.from_bytes(digest[:8], "little")))
    return Scene(image, things, *describe(things))


def as_viewed(scene: Scene) -> Scene:
    """`scene` as the models see it: its image the encoder's view (core.vision.images.viewed) and its objects where they
    land in that view; when the view has a border (an object touches the canvas's edge), they move in and shrink with
    the picture. The caption does not change: every object moves alike."""
    view, margin = viewed(scene.image, SIZE)
    if not margin:
        return replace(scene, image=view)
    (x0, y0, x1, _), (u0, v0, u1, _) = (view_box(*scene.image.size, m, SIZE) for m in (0.0, margin))
    scale = (u1 - u0) / (x1 - x0)
    things = tuple(replace(t, centre=(u0 + (t.centre[0] - x0) * scale, v0 + (t.centre[1] - y0) * scale),
                           radius=t.radius * scale) for t in scene.things)
    return replace(scene, image=view, things=things)
