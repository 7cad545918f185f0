"""What an upload is turned into before the models see it, so that a student's own drawing looks like the scenes the
models learned from (every one of them coloured shapes, filled, on light paper), and the page can say what was done:

- `on_light_paper`: coloured shapes drawn on dark paper get white paper, their colours kept;
- `filled_outlines`: a shape drawn as a closed coloured outline (a pen, not a brush) is filled with its colour;
- `filled_scribbles`: a shape coloured in with strokes (scribbled, hatched) is filled solid;
- `zoomed_to_drawing`: a drawing made small on a big canvas is cropped to the drawing, so its shapes are of a size
  the models learned;
- `upload_view`: each where it applies, then core.vision.images.viewed (padded to a square, a border if something
  touches the edge, scaled to 224 px).

A drawing that needs none of them (every scene of the held-out sets: a test) comes through unchanged, so the figures
measured on them are what the app sees.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.morphology import convex_hull_image

from core.vision.images import viewed
from core.vision.pixels import Pixels, closed, grown, holes_filled, opened, pixels, shrunk

# A drawing on dark paper (a paint program's dark canvas, chalk-coloured markers on black card): every scene the models
# learned from is on light paper, and on a black canvas the soft model named every object in 65% of held-out drawings
# (90% on light paper). `on_light_paper` lifts such paper to white and keeps the colours drawn on it. What counts:
DARK_PAPER = 0.35  # the paper (median colour of the outermost pixels) has no channel brighter than this (0-1 scale)
PAPER_SPREAD = 0.12  # three quarters of those pixels lie this close to it (an even border, not a photo's scenery)
PAPER_SHARE = 0.5  # at least this share of all pixels is paper (within 0.15 of its colour)
INK_COLOURED = 0.6  # and this share of what is drawn (further than 0.3 from it) is saturated colour, not grey outlines
#                     (a photo of the night sky, mostly paper too: 41% of Hubble's deep field's stars are saturated)


def on_light_paper(image: Image.Image, px: Pixels | None = None) -> Image.Image | None:
    """`image` (RGB) with its dark paper lifted to white, if it is coloured shapes drawn on dark paper (DARK_PAPER …
    INK_COLOURED above); else None. Each pixel keeps its colour in proportion to how far it is from the paper's
    (fully from 0.3 on; grain within 0.08 of the paper turns white), so anti-aliased edges stay smooth. `px`: the
    image measured (core.vision.pixels), if it was already."""
    v, paper, distance, bright, dull = pixels(image) if px is None else px
    if paper.max() >= DARK_PAPER:
        return None
    ink = distance > 0.3
    if not _on_even_paper(distance, PAPER_SHARE) or not ink.any():
        return None
    if ((bright - dull >= 0.4 * bright) & ink).sum() < INK_COLOURED * ink.sum():
        return None
    kept = np.clip((distance - 0.08) / (0.3 - 0.08), 0.0, 1.0)[..., None]
    return Image.fromarray(np.round(255 * (kept * v + (1 - kept))).astype(np.uint8))


# A shape drawn as an outline in a coloured pen: the models learned only filled shapes, and on 100 held-out layouts
# drawn so (white, 2 to 7 px strokes at 448 px) the soft model named every object in 21% to 67% of them (100% filled).
# `filled_outlines` fills each region a single-coloured outline closes. What counts:
OUTLINE_SATURATED = 0.4  # ink is a colour this saturated (not grey, black or notebook lines, whose blue is 0.35)
INK_DISTANCE = 0.15  # and this far from the paper's colour (0-1 RGB)
HOLE_AREA = (0.002, 0.25)  # a region the outline closes, as a share of the picture's longer side squared
HOLE_WIDTH = 0.02  # and at least this wide everywhere (the smallest shape's inside is 0.1 of the side)
HOLE_PAPER = 0.2  # and what it closes is paper: its median pixel within this of the paper just around the shape
RING_ONE_COLOUR = 0.7  # the share of the outline around it within RING_HUE of its mean hue (one pen, one object)
RING_HUE = np.radians(20)
GAP = 0.004  # gaps in a stroke up to about twice this share of the longer side are closed first


def _hue(rgb: np.ndarray) -> np.ndarray:
    """The hue of each (..., 3) colour in 0-1, in radians."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return np.arctan2(np.sqrt(3) * (g - b), 2 * r - g - b)


def _coloured(px: Pixels) -> np.ndarray:
    """Where the picture is coloured ink: a saturated colour, not too dark, away from the paper's colour."""
    return (px.distance > INK_DISTANCE) & (px.bright - px.dull >= OUTLINE_SATURATED * px.bright) & (px.bright >= 0.4)


def _one_colour(ink: np.ndarray) -> bool:
    """Whether RING_ONE_COLOUR of the (N, 3) ink colours lie within RING_HUE of their mean hue: one pen, one object."""
    hue = _hue(ink)
    centre = np.angle(np.exp(1j * hue).mean())  # the mean hue (hue is an angle)
    return bool((np.abs(np.angle(np.exp(1j * (hue - centre)))) < RING_HUE).mean() >= RING_ONE_COLOUR)


def _on_even_paper(distance: np.ndarray, share: float) -> bool:
    """Whether a picture whose pixels lie `distance` (H, W) from its paper's colour is drawn on even paper: three
    quarters of its outermost pixels within PAPER_SPREAD of it, and `share` of all its pixels within INK_DISTANCE."""
    edge = np.concatenate([distance[0], distance[-1], distance[:, 0], distance[:, -1]])
    return bool(np.quantile(edge, 0.75) <= PAPER_SPREAD and (distance < INK_DISTANCE).mean() >= share)


def filled_outlines(image: Image.Image, px: Pixels | None = None) -> tuple[Image.Image, int] | None:
    """`image` (RGB) with every region closed by a single-coloured outline filled with that colour, and how many
    regions that was; None if there are none (nothing is changed)."""
    px = pixels(image) if px is None else px
    v, side = px.v, max(px.v.shape[:2])
    ink = closed(_coloured(px), max(1, round(GAP * side)))  # a faint or broken bit of stroke joined
    enclosed = holes_filled(ink)
    labels, count = ndimage.label(enclosed & ~ink)
    if not count:
        return None
    smallest, largest = (share * side ** 2 for share in HOLE_AREA)
    thin = max(2, round(HOLE_WIDTH * side / 2))
    out, filled, area = v.copy(), 0, np.bincount(labels.ravel())
    area[0], boxes = 0, ndimage.find_objects(labels)  # label 0: not a hole
    for k in np.flatnonzero((area >= smallest) & (area <= largest)):  # of a shape's size
        box = tuple(slice(max(s.start - 2 * thin, 0), s.stop + 2 * thin) for s in boxes[k - 1])
        hole, outside = labels[box] == k, ~enclosed[box]
        if not shrunk(hole, thin).any():
            continue  # a sliver (between a fill and its sketchy outline)
        if not outside.any() or np.linalg.norm(np.median(v[box][hole], axis=0)
                                               - np.median(v[box][outside], axis=0)) > HOLE_PAPER:
            continue  # not the paper around the shape inside it (a dark outline's band between two fills)
        ring = v[box][grown(hole, 3) & ~hole & ink[box]]
        if not len(ring) or not _one_colour(ring):
            continue  # outlined in more than one colour: not one shape
        out[box][hole] = np.median(ring, axis=0)
        filled += 1
    if not filled:
        return None
    return Image.fromarray(np.round(255 * out).astype(np.uint8)), filled


# A shape coloured in with strokes (scribbled, hatched, crayoned) rather than filled: the models learned only solid
# shapes, and on my own renderer's scribbled scenes the soft model named every object in 37% of them (solid: 98%).
# `filled_scribbles` fills the paper left between a shape's strokes. What counts:
SCRIBBLE_GAP = 0.015  # gaps between strokes up to about twice this share of the longer side are closed
HAIRLINE = 0.001  # lines up to about twice this share of the longer side wide are no strokes (a notebook's ruling)
GAP_PIECE = 0.005  # most of the paper between strokes is in pieces of this share of the longer side squared (16 px)
SCRIBBLE_INK = (0.3, 0.85)  # and the shape closed so is this share ink: coloured in, neither solid nor an outline
BLEND = 0.1  # and between its strokes is paper, or paper tinted by them (narrow gaps, blur): this near such a blend,
BLENDED = 0.8  # for this share of the pixels between them (a notebook's ruling may cross them; a dark outline may not)
LIGHT_PAPER = 0.5  # drawn on light paper: no channel of the paper's colour darker than this (a photo's often is)


def _off_blend(c: np.ndarray, paper: np.ndarray, ink: np.ndarray) -> np.ndarray:
    """How far each colour of `c` (N, 3) is from every blend of `paper` and `ink` (0-1 RGB): (N,)."""
    d = ink - paper
    t = np.clip((c - paper) @ d / max(float(d @ d), 1e-9), 0.0, 1.0)  # (N,)
    return np.linalg.norm(c - (paper + t[:, None] * d), axis=-1)


def filled_scribbles(image: Image.Image, px: Pixels | None = None) -> tuple[Image.Image, int] | None:
    """`image` (RGB) with every shape coloured in by strokes of one colour filled solid (the paper between its strokes,
    up to the convex hull of them, given their colour), and how many shapes that was; None if there are none (nothing
    is changed). A shape is a patch of coloured ink on light paper once hairlines are dropped and gaps of up to
    2 SCRIBBLE_GAP closed, of a shape's size and width (HOLE_AREA, HOLE_WIDTH), with paper around it, SCRIBBLE_INK of it
    ink, all of one colour, with paper between its strokes (BLEND, BLENDED), in several pieces, most of it in pieces
    larger than specks (GAP_PIECE) and none of them half of it (one piece is the inside of an outline)."""
    px = pixels(image) if px is None else px
    v, paper = px.v, px.paper
    if paper.min() < LIGHT_PAPER or (px.distance < 0.25).mean() < PAPER_SHARE:
        return None  # not drawn on light paper (a photo; dark paper is lifted before this)
    side = max(v.shape[:2])
    ink = _coloured(px)
    # where the shapes are: a notebook's ruling, grid or margin is ink too, hairlines gone once the ink is opened
    shapes = opened(ink, max(1, round(HAIRLINE * side)), "chessboard")
    enclosed = holes_filled(closed(shapes, max(1, round(SCRIBBLE_GAP * side)), "chessboard"))
    labels, count = ndimage.label(enclosed)
    if not count:
        return None
    smallest, largest = (share * side ** 2 for share in HOLE_AREA)
    out, filled, area = v.copy(), 0, np.bincount(labels.ravel())
    area[0], boxes = 0, ndimage.find_objects(labels)
    margin, thin = max(2, round(SCRIBBLE_GAP * side)), max(2, round(HOLE_WIDTH * side / 2))
    for k in np.flatnonzero((area >= smallest) & (area <= largest)):
        box = tuple(slice(max(s.start - margin, 0), s.stop + margin) for s in boxes[k - 1])
        shape = labels[box] == k
        if not shrunk(shape, thin).any():
            continue  # a line (a notebook's margin), not a shape
        strokes, gaps = shape & ink[box], shape & ~ink[box]
        around = grown(shape, margin) & ~enclosed[box]
        if not around.any() or np.linalg.norm(np.median(v[box][around], axis=0) - paper) > HOLE_PAPER:
            continue  # not a shape on the paper (a photo's patch of colour)
        if not SCRIBBLE_INK[0] <= strokes.sum() / shape.sum() <= SCRIBBLE_INK[1]:
            continue  # solid already, or a thin outline
        pieces, n = ndimage.label(gaps)
        sizes = np.bincount(pieces.ravel())[1:]
        if n < 2 or sizes.max() > gaps.sum() / 2:
            continue  # the paper inside is mostly one piece: an outline (filled_outlines' case), not strokes
        if sizes[sizes >= max(16, (GAP_PIECE * side) ** 2)].sum() < gaps.sum() / 2:
            continue  # mostly specks: a solid shape's grain, not paper between strokes
        colour = np.median(v[box][strokes], axis=0)
        if (_off_blend(v[box][gaps], paper, colour) > BLEND).mean() > 1 - BLENDED or not _one_colour(v[box][strokes]):
            continue  # something else between the strokes (a dark outline, another colour), or two shapes joined
        hull = convex_hull_image(shape)  # every shape the models know is convex: the zigzag's turns lie on its edge
        out[box][hull & ~ink[box]] = colour
        filled += 1
    if not filled:
        return None
    return Image.fromarray(np.round(255 * out).astype(np.uint8)), filled


# A drawing made small on a big canvas (a few shapes in the middle of a paint program's 1920 × 1080 page): the models
# learned shapes whose radius is 7-20% of the picture's side (16-44 px of 224), and a shape much smaller is often not
# named. `zoomed_to_drawing` crops such a drawing to a square around its shapes. What counts (shares of the side of
# the square the picture is padded to; a shape's size is half the longer side of its box):
SPECK = 20  # a patch of fewer pixels than this is grain, not a shape
LINE = 0.1  # nor one whose area is less than this share of its box's longer side squared: a line (a notebook's margin,
#             handwriting), where a shape's patch fills 0.4 (a triangle) to 1 (a square) of it
FRAGMENT = 0.1  # nor, in deciding, one of less than this share of the largest's area (a JPEG's ringing, a piece of a
#                 shape its outline cut off); the crop keeps it all the same
TOO_SMALL = 11 / 224  # zoom in if a shape is smaller than this (the smallest the models learned is 12.8 or more)
LARGEST = 44 / 224  # but only so far that no shape grows past the largest the models learned
ZOOM_ROOM = 0.1  # paper kept on each side of the drawing, as a share of the crop's side
MIN_ZOOM = 1.25  # a smaller zoom changes nothing worth it
DRAWING_PAPER = 0.8  # the picture is a drawing: this share of its pixels is the even paper (a photo's is not)


def zoomed_to_drawing(image: Image.Image, px: Pixels | None = None) -> tuple[Image.Image, float] | None:
    """`image` (RGB) cropped to a square around its coloured shapes, padded with its paper where the square passes the
    picture's edge, and the zoom (the side of the padded picture over the crop's), if it is a drawing on even paper
    with a shape too small for the models that zooming in can enlarge (SPECK … DRAWING_PAPER above); else None. The
    square holds the whole drawing with ZOOM_ROOM of paper around it, and is never so small that a shape grows past
    LARGEST: shapes keep their proportions, so a small one next to a large one stays the smaller."""
    v, paper, distance, bright, dull = pixels(image) if px is None else px
    if not _on_even_paper(distance, DRAWING_PAPER):
        return None
    full = max(v.shape[:2])  # the side of the square the picture is padded to
    # shapes: their colour and any dark outline, hairlines dropped (a notebook's ruling would join shapes it crosses)
    coloured = (distance > INK_DISTANCE) & (bright - dull >= OUTLINE_SATURATED * bright) & (bright >= 0.3)
    ink = (distance > 0.3) | coloured
    labels, count = ndimage.label(opened(ink, max(1, round(HAIRLINE * full)), "chessboard"))
    area = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    boxes = [(box, a) for box, a in zip(ndimage.find_objects(labels), area)
             if a >= SPECK and a >= LINE * max(s.stop - s.start for s in box) ** 2]
    if not boxes:
        return None
    largest_area = max(a for _, a in boxes)
    sizes = [max(s.stop - s.start for s in box) / 2 for box, a in boxes if a >= FRAGMENT * largest_area]
    boxes = [box for box, _ in boxes]
    if min(sizes) >= TOO_SMALL * full:
        return None
    top, left = min(box[0].start for box in boxes), min(box[1].start for box in boxes)
    bottom, right = max(box[0].stop for box in boxes), max(box[1].stop for box in boxes)
    side = round(max(max(bottom - top, right - left) / (1 - 2 * ZOOM_ROOM), max(sizes) / LARGEST))
    if side * MIN_ZOOM > full:
        return None
    x0, y0 = (left + right - side) // 2, (top + bottom - side) // 2  # the crop's corner, maybe outside the picture
    out = Image.new("RGB", (side, side), tuple(int(round(255 * c)) for c in paper))
    inside = (max(x0, 0), max(y0, 0), min(x0 + side, image.width), min(y0 + side, image.height))
    out.paste(image.crop(inside), (inside[0] - x0, inside[1] - y0))
    return out, full / side


class UploadView(NamedTuple):
    """What the models look at for an upload (`upload_view`), and what was done to make it."""

    image: Image.Image  # side × side
    border: float  # the border `viewed` added (0.0: none)
    lifted: bool  # whether its dark paper was lifted to white (`on_light_paper`)
    filled: int  # how many outlined shapes were filled (`filled_outlines`)
    zoom: float = 1.0  # how far the view was zoomed onto a small drawing (`zoomed_to_drawing`; 1.0: not)
    coloured_in: int = 0  # how many shapes coloured in with strokes were filled solid (`filled_scribbles`)

    @property
    def changed(self) -> bool:
        """Whether the drawing was changed before being viewed (lifted, filled, coloured in or zoomed)."""
        return self.lifted or self.filled > 0 or self.zoom != 1.0 or self.coloured_in > 0

    def notes(self) -> list[str]:
        """What was done to the drawing and why, one phrase each, for the note under the picture."""
        notes = []
        if self.lifted:
            notes.append("drawn on dark paper, which the models never saw, so the paper is turned white and the "
                         "colours drawn on it kept")
        if self.filled:
            notes.append(f"drawn in outline, so {_shapes(self.filled)} the outlines close "
                         f"{'are' if self.filled > 1 else 'is'} filled with {'their' if self.filled > 1 else 'its'} "
                         "colour: the models learned filled shapes")
        if self.coloured_in:
            notes.append(f"coloured in with strokes, so the paper between them in {_shapes(self.coloured_in)} drawn so "
                         "is given their colour: the models learned solid shapes")
        if self.zoom != 1.0:
            notes.append(f"drawn small on a big page, so the view is zoomed in {self.zoom:.1f}× onto the drawing (the "
                         "paper around it is cut off): the models learned shapes whose radius is 7% to 20% of the "
                         "picture's side")
        return notes


def _shapes(count: int) -> str:
    """"the 1 shape", "the 3 shapes"."""
    return f"the {count} shape{'s' if count > 1 else ''}"


def upload_view(image: Image.Image, side: int = 224) -> UploadView:
    """The one way an upload (RGB) becomes the models' view: dark paper lifted to white (`on_light_paper`), shapes
    coloured in with strokes filled solid (`filled_scribbles`; first, since the paper between strokes and an outline
    would pass for outlined shapes), closed coloured outlines filled (`filled_outlines`), a small drawing zoomed onto
    (`zoomed_to_drawing`), then core.vision.images.viewed."""
    px = pixels(image)  # measured once, and again only after a conversion changed the picture
    lifted, coloured_in, count = on_light_paper(image, px), 0, 0
    if lifted is not None:
        image, px = lifted, pixels(lifted)
    scribbled = filled_scribbles(image, px)
    if scribbled is not None:
        image, coloured_in = scribbled
        px = pixels(image)
    filled = filled_outlines(image, px)
    if filled is not None:
        image, count = filled
        px = pixels(image)
    zoomed = zoomed_to_drawing(image, px)
    image, zoom = (image, 1.0) if zoomed is None else zoomed
    view, border = viewed(image, side)
    return UploadView(view, border, lifted is not None, count, zoom, coloured_in)
