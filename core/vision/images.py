"""The one way an uploaded image comes in: checked, decoded safely, turned into plain 8-bit RGB.

`model_view` is what the encoder looks at: the image padded to a square (`square`) and scaled to 224 px, so nothing
near the edge of a wide or tall picture is cut off or squeezed out of shape; when something is drawn right against the
picture's edge (`edge_touched`), with a thin border of the background's colour all round, so that the object has a
little background around it, as in every scene the models learned from. (An upload is first made to look like what
the models learned from: core.vision.drawings.upload_view.)

`load_image` refuses what cannot be used with a message that names the problem (empty, too large a file,
not an image, damaged, a decompression bomb) and repairs what can be repaired, saying what it did: the
first frame of an animation, the EXIF orientation applied, palette / transparency / grayscale / CMYK /
16-bit and float images converted to RGB (transparent parts on white), very large images scaled down.
The pixel-count check happens before any pixel is decoded, so a small file that claims to be enormous
costs nothing; Pillow's global limits are left as they are.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 20_000_000  # the largest file accepted
FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF")  # what Pillow may open (not EPS, which runs Ghostscript)
MAX_PIXELS = 50_000_000  # width × height, checked before decoding (a decompression bomb claims far more)
MAX_SIDE = 1024  # larger images are scaled down to this longest side (the encoder looks at 224 px)
SMALL_SIDE = 32  # below this, the image is kept but the notes warn that it will look blurry
# The border `model_view` adds on every side when a stroke runs along the picture's edge, as a share of the padded
# square's side. An object drawn flush against an upload's edge was often left out of its caption: the encoder's
# convolutions pad with zeros past the edge, and the models learned from scenes whose objects have background around
# them. With the border, on 200 paint-program drawings (white, upright shapes, 60% of objects flush against an edge;
# `python -m benchmarks.edges`) the soft model names every object in 95% of them (88.5% without). Added to every
# picture it cost 1 to 2 points on drawings whose objects stay inside (benchmarks.edges), hence only where needed.
VIEW_MARGIN = 0.015


class ImageError(ValueError):
    """An upload that cannot be used as an image; the message says why and what to do."""


@dataclass(frozen=True)
class LoadedImage:
    """A decoded upload as 8-bit RGB, with what was done to it."""

    image: Image.Image  # mode "RGB"
    original_size: tuple[int, int]  # (width, height) as stored in the file
    format: str  # as Pillow names it: "PNG", "JPEG", "GIF", …
    notes: tuple[str, ...]  # what was repaired or should be known, in plain words


def _on_white(image: Image.Image) -> Image.Image:
    """RGB with transparent parts composited onto white."""
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _to_rgb(image: Image.Image) -> tuple[Image.Image, str | None]:
    """Any Pillow mode -> 8-bit RGB, and a note when the conversion was more than a relabelling."""
    mode = image.mode
    if mode == "RGB":
        return image, None
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in image.info):
        return _on_white(image), "transparent parts were placed on white"
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") else float(values.max())
        bottom = 0.0 if mode.startswith("I;16") else float(values.min())
        scaled = (values - bottom) / (top - bottom) * 255 if top > bottom else np.zeros_like(values)
        grey = Image.fromarray(np.clip(np.round(scaled), 0, 255).astype(np.uint8), mode="L")
        return grey.convert("RGB"), f"{'16-bit' if mode.startswith('I;16') else mode + '-mode'} values scaled to 8 bits"
    note = {"CMYK": "converted from CMYK", "L": None, "1": "black-and-white image",
            "P": None}.get(mode, f"converted from {mode}")
    return image.convert("RGB"), note


def load_image(data: bytes, name: str = "upload", max_side: int = MAX_SIDE) -> LoadedImage:
    """Decode an uploaded file into RGB; ImageError (with a message for the user) if it cannot be used."""
    if not data:
        raise ImageError(f"{name} is empty. Choose an image file (PNG, JPEG, GIF, WebP, BMP, TIFF).")
    if len(data) > MAX_BYTES:
        raise ImageError(f"{name} is {len(data) / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB. "
                         "Save a smaller version (a photo of 2,000 pixels across is plenty).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)  # reads the header only
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(f"{name} says it is {width:,} × {height:,} pixels ({width * height / 1e6:,.0f} "
                                 f"megapixels); the limit is {MAX_PIXELS / 1e6:.0f}. Scale it down first.")
            if width < 1 or height < 1:
                raise ImageError(f"{name} has no pixels ({width} × {height}).")
            notes = []
            frames = getattr(image, "n_frames", 1)
            if frames > 1:
                image.seek(0)
                notes.append(f"animated ({frames} frames): the first frame is used")
            fmt = image.format or "unknown"
            if fmt == "JPEG" and max(width, height) > 2 * max_side:
                image.draft("RGB", (max_side, max_side))  # let the decoder skip detail we would throw away
            image.load()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{name} decodes to far more pixels than its size suggests (a decompression bomb); "
                         "it was not opened.") from None
    except UnidentifiedImageError:
        raise ImageError(f"{name} is not an image this app can read. Use PNG, JPEG, GIF, WebP, BMP or TIFF.") from None
    except (OSError, ValueError, SyntaxError, EOFError) as e:  # truncated or corrupt data inside a known format
        raise ImageError(f"{name} looks like an image but its data is damaged or cut short "
                         f"({type(e).__name__}). Export it again.") from None
    if image.getexif().get(0x0112, 1) != 1:  # the camera's orientation tag: 1 is upright
        image = ImageOps.exif_transpose(image)
        notes.append("turned upright using the camera's orientation tag (EXIF)")
    image, note = _to_rgb(image)
    if note:
        notes.append(note)
    if max(image.size) > max_side:
        before = image.size
        image = image.copy()
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        notes.append(f"scaled down from {before[0]} × {before[1]} to {image.size[0]} × {image.size[1]}")
    if min(image.size) < SMALL_SIDE:
        notes.append(f"very small ({image.size[0]} × {image.size[1]} pixels): it will be enlarged and look blurry")
    return LoadedImage(image, (width, height), fmt, tuple(notes))


def square(image: Image.Image, margin: float = 0.0) -> Image.Image:
    """`image` (RGB) centred on a square of the median colour of its outermost pixels, with a border of `margin` times
    the square's side on every side: padded, not cropped or stretched, so a circle stays round and an object at the
    edge stays in the picture. A square image without a margin is returned as it is."""
    width, height = image.size
    border = _border(max(width, height), margin)
    if width == height and not border:
        return image
    pixels = np.asarray(image)
    edge = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    side = max(width, height) + 2 * border
    out = Image.new("RGB", (side, side), tuple(int(v) for v in np.median(edge, axis=0)))
    out.paste(image, ((side - width) // 2, (side - height) // 2))
    return out


def _border(side: int, margin: float) -> int:
    """The border `square` adds on each side of a `side`-pixel square."""
    return round(side * margin)


def view_box(width: int, height: int, margin: float, side: int) -> tuple[float, float, float, float]:
    """Where a width × height picture lands in its `side`-pixel view (`model_view` with `margin`): (x0, y0, x1, y1)."""
    big = max(width, height) + 2 * _border(max(width, height), margin)
    x0, y0 = (big - width) // 2 * side / big, (big - height) // 2 * side / big
    return x0, y0, x0 + width * side / big, y0 + height * side / big


def edge_touched(image: Image.Image, depth: int = 3, run: int = 6) -> bool:
    """Whether something drawn runs along the edge of the picture's square view (224 px; for a wide picture its left
    and right edges, since padding lies above and below): `run` pixels in a row along one side, within `depth` pixels
    of it, that are ink (a saturated colour or a dark stroke, far from the median colour of the edge). Paper's
    ruling, grain, a gradient or uneven light are not ink; the shapes world's own scenes never touch their edge."""
    v = np.asarray(square(image).resize((224, 224), Image.Resampling.BILINEAR), dtype=np.float32) / 255
    paper = np.median(np.concatenate([v[0], v[-1], v[:, 0], v[:, -1]]), axis=0)
    strips = np.stack([v[:depth], v[-depth:], v[:, :depth].transpose(1, 0, 2), v[:, -depth:].transpose(1, 0, 2)])
    bright, dull = strips.max(axis=-1), strips.min(axis=-1)  # (4 sides, depth, 224)
    saturation = (bright - dull) / np.maximum(bright, 1e-6)
    ink = (np.linalg.norm(strips - paper, axis=-1) > 0.3) & (((saturation >= 0.4) & (bright >= 0.25)) | (bright < 0.35))
    sides = ink.any(axis=1)  # (4, 224): ink within `depth` of the side, along it
    in_a_row = np.cumsum(np.pad(sides, ((0, 0), (1, 0))), axis=1)  # ink pixels up to each place, per side
    return bool((in_a_row[:, run:] - in_a_row[:, :-run] == run).any())  # some window of `run` all ink


def viewed(image: Image.Image, side: int = 224, margin: float = VIEW_MARGIN) -> tuple[Image.Image, float]:
    """What the encoder looks at, and the border it has: `image` (RGB) padded to a square and scaled to side × side,
    with a border of `margin` all round if `edge_touched` (else 0.0). A picture already of that size that touches
    nothing is returned unchanged (the shapes world's own scenes, which the models learned from, and a view made
    before), so encoding a view or its original gives the same features. With `margin` 0 nothing is checked."""
    if margin and edge_touched(image):
        return square(image, margin).resize((side, side), Image.Resampling.BICUBIC), margin
    if image.size == (side, side):
        return image, 0.0
    return square(image).resize((side, side), Image.Resampling.BICUBIC), 0.0


def model_view(image: Image.Image, side: int = 224, margin: float = VIEW_MARGIN) -> Image.Image:
    """The image the encoder looks at (`viewed`)."""
    return viewed(image, side, margin)[0]
