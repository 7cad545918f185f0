"""The image loader: every common way an upload can be odd is repaired or refused with a clear message."""
import io
import time

import numpy as np
import pytest
from PIL import Image, ImageDraw

from core.vision.drawings import (
    LARGEST,
    filled_outlines,
    filled_scribbles,
    on_light_paper,
    upload_view,
    zoomed_to_drawing,
)
from core.vision.images import MAX_SIDE, ImageError, load_image, viewed


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def test_plain_rgb_png_comes_back_unchanged():
    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8))
    loaded = load_image(encode(image, "PNG"))
    assert loaded.image.mode == "RGB" and loaded.image.size == (60, 40) and loaded.format == "PNG"
    assert np.array_equal(np.asarray(loaded.image), np.asarray(image)) and loaded.notes == ()


def test_transparency_is_placed_on_white():
    rgba = Image.new("RGBA", (40, 40), (255, 0, 0, 0))  # fully transparent red
    rgba.paste((0, 0, 255, 255), (0, 0, 20, 40))  # left half opaque blue
    loaded = load_image(encode(rgba, "PNG"))
    pixels = np.asarray(loaded.image)
    assert pixels[10, 5].tolist() == [0, 0, 255] and pixels[10, 30].tolist() == [255, 255, 255]
    assert any("white" in n for n in loaded.notes)


def test_palette_with_transparency_and_grey_with_alpha():
    palette = Image.new("P", (40, 40), 0)
    palette.putpalette([0, 255, 0] + [0, 0, 0] * 255)
    loaded = load_image(encode(palette, "PNG", transparency=0))
    assert np.asarray(loaded.image)[0, 0].tolist() == [255, 255, 255]
    la = Image.new("LA", (40, 40), (100, 255))
    assert np.asarray(load_image(encode(la, "PNG")).image)[0, 0].tolist() == [100, 100, 100]


def test_grayscale_cmyk_and_sixteen_bit_become_rgb():
    grey = load_image(encode(Image.new("L", (40, 40), 77), "PNG"))
    assert np.asarray(grey.image)[0, 0].tolist() == [77, 77, 77]
    cmyk = load_image(encode(Image.new("CMYK", (40, 40), (0, 255, 255, 0)), "JPEG"))  # red in CMYK
    r, g, b = np.asarray(cmyk.image)[20, 20].tolist()
    assert r > 200 and g < 60 and b < 60 and "CMYK" in " ".join(cmyk.notes)
    sixteen = Image.fromarray(np.full((40, 40), 32768, dtype=np.uint16))  # half of 65535
    loaded = load_image(encode(sixteen, "PNG"))
    assert abs(np.asarray(loaded.image)[0, 0, 0] - 128) <= 1 and "16-bit" in " ".join(loaded.notes)


def test_an_animation_gives_its_first_frame():
    frames = [Image.new("RGB", (40, 40), colour) for colour in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    loaded = load_image(data)
    r, g, b = np.asarray(loaded.image)[20, 20].tolist()
    assert r > 200 and b < 60 and "3 frames" in " ".join(loaded.notes)


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (60, 40), (255, 255, 255))
    image.paste((255, 0, 0), (0, 0, 10, 40))  # a red stripe on the left edge
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    loaded = load_image(encode(image, "JPEG", exif=exif.tobytes(), quality=95))
    pixels = np.asarray(loaded.image)
    assert loaded.image.size == (40, 60)  # portrait now
    assert pixels[2, 20, 0] > 200 and pixels[2, 20, 1] < 80  # the left edge went to the top
    assert any("EXIF" in n for n in loaded.notes)


def test_huge_images_are_scaled_down_and_tiny_ones_kept_with_a_note():
    big = load_image(encode(Image.new("RGB", (4000, 1000), (9, 9, 9)), "PNG"))
    assert big.image.size == (MAX_SIDE, 256) and big.original_size == (4000, 1000)
    tiny = load_image(encode(Image.new("RGB", (1, 1), (1, 2, 3)), "PNG"))
    assert tiny.image.size == (1, 1) and any("very small" in n for n in tiny.notes)


def test_a_decompression_bomb_is_refused_before_decoding():
    bomb = encode(Image.new("1", (20_000, 20_000), 0), "PNG")  # 400 megapixels in a few hundred kB
    assert len(bomb) < 2_000_000
    start = time.perf_counter()
    with pytest.raises(ImageError, match="megapixels|decompression bomb"):
        load_image(bomb, "bomb.png")
    assert time.perf_counter() - start < 1.0, "refused from the header, not by decoding"
    below_pillow = encode(Image.new("1", (8000, 7500), 0), "PNG")  # 60 Mpx: over our limit, under Pillow's warning
    with pytest.raises(ImageError, match="8,000 × 7,500 pixels"):
        load_image(below_pillow, "big.png")


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"\x00\x01garbage" * 100, "not an image"),
    (b"plain text, not a picture", "not an image"),
])
def test_unusable_files_get_a_message_naming_the_problem(data, words):
    with pytest.raises(ImageError, match=words):
        load_image(data, "upload.bin")


def test_a_truncated_file_is_reported_as_damaged():
    image = Image.fromarray(np.random.default_rng(1).integers(0, 256, (200, 200, 3), dtype=np.uint8))
    data = encode(image, "PNG")
    with pytest.raises(ImageError, match="damaged or cut short"):
        load_image(data[: len(data) // 2], "half.png")


def test_too_large_a_file_is_refused_before_it_is_opened():
    with pytest.raises(ImageError, match="MB; the limit"):
        load_image(b"\x89PNG" + b"\x00" * 20_000_001, "huge.png")


@pytest.mark.parametrize("fmt", ["WEBP", "TIFF", "BMP"])
def test_webp_tiff_and_bmp_load(fmt):
    image = Image.new("RGB", (48, 32), (10, 200, 30))
    loaded = load_image(encode(image, fmt, **({"lossless": True} if fmt == "WEBP" else {})))
    assert loaded.format == fmt and loaded.image.size == (48, 32)
    assert np.abs(np.asarray(loaded.image)[5, 5].astype(int) - [10, 200, 30]).max() <= 2


def test_a_30000_square_png_header_is_refused():
    """A PNG whose header claims 30000 × 30000 pixels: refused from the header alone."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0))
    data = b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b"")
    with pytest.raises(ImageError, match="megapixels|decompression bomb"):
        load_image(data, "bomb.png")


def test_a_truncated_jpeg_is_reported_as_damaged():
    image = Image.fromarray(np.random.default_rng(2).integers(0, 256, (300, 300, 3), dtype=np.uint8))
    data = encode(image, "JPEG", quality=90)
    with pytest.raises(ImageError, match="damaged or cut short"):
        load_image(data[: len(data) // 3], "cut.jpg")


def test_a_text_file_named_png_is_not_an_image():
    with pytest.raises(ImageError, match="not an image"):
        load_image(b"this is a text file pretending to be a picture\n" * 10, "notes.png")


def test_formats_outside_the_list_are_refused_even_when_pillow_could_open_them():
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    ico = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 200, 10)).save(ico, format="ICO")
    for data in (eps, ico.getvalue()):
        with pytest.raises(ImageError, match="not an image this app can read"):
            load_image(data, "picture.png")


def dark_drawing(paper=(12, 12, 16), ink=((40, 80, 220), (220, 40, 40))) -> Image.Image:
    """Two flat shapes on a flat dark canvas, 400 × 300."""
    picture = np.full((300, 400, 3), paper, np.uint8)
    picture[60:160, 40:140] = ink[0]
    picture[150:250, 250:350] = ink[1]
    return Image.fromarray(picture)


@pytest.mark.parametrize("paper", [(12, 12, 16), (50, 50, 55), (15, 20, 55), (45, 30, 20)])
def test_dark_paper_is_lifted_to_white_and_the_colours_drawn_on_it_kept(paper):
    lifted = np.asarray(on_light_paper(dark_drawing(paper)))
    assert lifted[5, 5].tolist() == [255, 255, 255] and lifted[280, 200].tolist() == [255, 255, 255]
    assert lifted[110, 90].tolist() == [40, 80, 220] and lifted[200, 300].tolist() == [220, 40, 40]
    view = upload_view(dark_drawing(paper))
    assert view.lifted and np.asarray(view.image)[0, 0].tolist() == [255, 255, 255]  # padded with the lifted paper


def test_light_paper_photos_and_pale_ink_are_not_lifted():
    """Only coloured drawing on even dark paper: not light paper, not a photo (scikit-image's, the night sky of the
    Hubble deep field among them), not white chalk on a blackboard (no colour the models could name)."""
    import skimage.data

    light = dark_drawing(paper=(250, 250, 245))
    assert on_light_paper(light) is None
    view = upload_view(light)
    assert not view.lifted and np.array_equal(np.asarray(view.image), np.asarray(viewed(light)[0]))
    for name in ("chelsea", "coffee", "astronaut", "rocket", "hubble_deep_field"):
        assert on_light_paper(Image.fromarray(getattr(skimage.data, name)()).convert("RGB")) is None, name
    assert on_light_paper(dark_drawing(ink=((235, 235, 235), (200, 200, 200)))) is None  # chalk


def outlined(shapes, size=(400, 300), paper=(250, 250, 250), width=5) -> Image.Image:
    """Closed outlines (ImageDraw polygons: (points, colour)) on paper."""
    image = Image.new("RGB", size, paper)
    for points, colour in shapes:
        ImageDraw.Draw(image).line(points + points[:1], fill=colour, width=width, joint="curve")
    return image


SQUARE = [(40, 40), (160, 40), (160, 160), (40, 160)]
TRIANGLE = [(300, 60), (370, 200), (230, 200)]


def test_shapes_drawn_in_outline_are_filled_with_their_colour():
    drawing = outlined([(SQUARE, (220, 40, 40)), (TRIANGLE, (40, 80, 220))])
    image, count = filled_outlines(drawing)
    pixels = np.asarray(image)
    assert count == 2 and pixels[100, 100].tolist() == [220, 40, 40] and pixels[160, 300].tolist() == [40, 80, 220]
    assert pixels[250, 20].tolist() == [250, 250, 250]  # the paper outside stays
    assert upload_view(drawing).filled == 2


def test_filled_shapes_grids_grey_outlines_and_two_colour_outlines_are_left_alone():
    filled = np.full((300, 400, 3), 250, np.uint8)
    filled[40:160, 40:160] = (220, 40, 40)
    assert filled_outlines(Image.fromarray(filled)) is None
    grid = np.full((300, 400, 3), 250, np.uint8)
    grid[::20], grid[:, ::20] = (150, 180, 230), (150, 180, 230)  # squared notebook paper
    assert filled_outlines(Image.fromarray(grid)) is None
    assert filled_outlines(outlined([(SQUARE, (60, 60, 60))])) is None  # a pencil outline: no colour to fill with
    half = Image.new("RGB", (400, 300), (250, 250, 250))
    ImageDraw.Draw(half).line(SQUARE[:3], fill=(220, 40, 40), width=5)  # top and right sides red,
    ImageDraw.Draw(half).line(SQUARE[2:] + SQUARE[:1], fill=(40, 80, 220), width=5)  # bottom and left blue
    assert filled_outlines(half) is None  # two colours around it: not one shape


def small_drawing(page=(1600, 900), paper=(255, 255, 255), at=(1380, 40)) -> Image.Image:
    """A red square (70 px) and a blue circle (40 px across) drawn small on a big page, near its top right corner."""
    image = Image.new("RGB", page, paper)
    pen = ImageDraw.Draw(image)
    pen.rectangle([at[0], at[1], at[0] + 70, at[1] + 70], fill=(220, 40, 40))
    pen.ellipse([at[0] + 120, at[1] + 80, at[0] + 160, at[1] + 120], fill=(40, 80, 220))
    return image


def colour_pixels(image: Image.Image, colour) -> int:
    return int((np.abs(np.asarray(image, dtype=int) - colour).sum(-1) < 30).sum())


def test_a_small_drawing_on_a_big_page_is_cropped_to_it_whole_with_its_proportions():
    drawing = small_drawing()
    crop, zoom = zoomed_to_drawing(drawing)
    assert crop.width == crop.height and zoom == pytest.approx(1600 / crop.width)
    assert zoom > 2
    # the whole drawing is in the crop, the paper around it too, padded with the paper past the page's edge
    assert colour_pixels(crop, (220, 40, 40)) == colour_pixels(drawing, (220, 40, 40))
    assert colour_pixels(crop, (40, 80, 220)) == colour_pixels(drawing, (40, 80, 220))
    pixels = np.asarray(crop)
    assert pixels[0].tolist() == pixels[-1].tolist() == [[255, 255, 255]] * crop.width
    # no shape grows past the largest the models learned, and the square stays the larger shape
    assert 70 / crop.width <= 2 * LARGEST + 1e-9
    view = upload_view(drawing)
    assert view.zoom == pytest.approx(zoom) and view.changed and not view.lifted and not view.filled
    v = np.asarray(view.image, dtype=int)
    red, blue = ((np.abs(v - c).sum(-1) < 60).sum() for c in ((220, 40, 40), (40, 80, 220)))
    assert red > 2.5 * blue > 0  # 70² against π 20²: 3.9×


def test_a_small_drawing_on_notebook_paper_is_zoomed_onto_past_its_ruling_and_margin():
    """The ruling and the red margin line of a notebook's page span it, but they are lines, not shapes (the ruling
    hairlines, dropped; the margin a patch far thinner than it is long): the view still zooms onto the small drawing
    (it did not while they counted as shapes), and the crop holds the drawing."""
    drawing = small_drawing(paper=(252, 252, 246), at=(700, 400))
    pen = ImageDraw.Draw(drawing)
    for y in range(30, 900, 32):
        pen.line([(0, y), (1600, y)], fill=(170, 195, 225), width=2)
    pen.line([(150, 0), (150, 900)], fill=(225, 110, 110), width=6)  # a margin too thick to be a hairline
    view = upload_view(drawing)
    assert view.zoom > 2 and not view.filled and not view.coloured_in, view[1:]
    v = np.asarray(view.image, dtype=int)
    assert (np.abs(v - (220, 40, 40)).sum(-1) < 60).sum() > 2.5 * (np.abs(v - (40, 80, 220)).sum(-1) < 60).sum() > 0


def test_drawings_of_the_models_size_photos_and_empty_pages_are_not_zoomed():
    """Shapes of a size the models learned (even a lone small one), photos, a blank or specked page: left alone."""
    import skimage.data

    assert zoomed_to_drawing(dark_drawing(paper=(250, 250, 245))) is None  # shapes a quarter of the page
    lone = Image.new("RGB", (448, 448), (255, 255, 255))
    ImageDraw.Draw(lone).regular_polygon((224, 224, 32), 3, fill=(40, 160, 60))  # the smallest triangle trained on
    assert zoomed_to_drawing(lone) is None
    spread = small_drawing(at=(20, 20))
    ImageDraw.Draw(spread).rectangle([1500, 800, 1570, 870], fill=(220, 200, 30))  # a third shape across the page
    assert zoomed_to_drawing(spread) is None  # nothing to zoom onto: the drawing fills the page
    for name in ("chelsea", "coffee", "astronaut", "rocket", "hubble_deep_field"):
        assert zoomed_to_drawing(Image.fromarray(getattr(skimage.data, name)()).convert("RGB")) is None, name
    assert zoomed_to_drawing(Image.new("RGB", (800, 600), (250, 250, 250))) is None
    specks = np.full((600, 800, 3), 250, np.uint8)
    specks[np.random.default_rng(0).random((600, 800)) < 0.002] = (220, 40, 40)  # one-pixel specks
    assert zoomed_to_drawing(Image.fromarray(specks)) is None


def scribbled(paper=(250, 250, 250)) -> Image.Image:
    """A red square coloured in with a zigzag inside its outline, and a blue circle hatched with parallel strokes."""
    image = Image.new("RGB", (400, 300), paper)
    pen = ImageDraw.Draw(image)
    zigzag = [(40 + 12 * k, 40 if k % 2 else 160) for k in range(11)]
    pen.line(zigzag, fill=(220, 40, 40), width=5, joint="curve")
    pen.line(SQUARE + SQUARE[:1], fill=(220, 40, 40), width=3)
    hatching = Image.new("L", image.size, 0)
    for x in range(200, 380, 9):
        ImageDraw.Draw(hatching).line([(x, 60), (x + 60, 240)], fill=255, width=4)
    disc = Image.new("L", image.size, 0)
    ImageDraw.Draw(disc).ellipse([230, 80, 350, 200], fill=255)
    image.paste((40, 80, 220), (0, 0), Image.fromarray(np.minimum(np.asarray(hatching), np.asarray(disc))))
    pen.ellipse([230, 80, 350, 200], outline=(40, 80, 220), width=3)
    return image


def test_shapes_coloured_in_with_strokes_are_filled_solid():
    drawing = scribbled()
    image, count = filled_scribbles(drawing)
    pixels, before = np.asarray(image), np.asarray(drawing)
    assert count == 2
    assert (before[60:140, 60:140] == 250).all(-1).mean() > 0.3  # paper between the strokes before,
    assert (np.abs(pixels[60:140, 60:140].astype(int) - (220, 40, 40)).sum(-1) < 30).mean() > 0.97  # red after
    assert (np.abs(pixels[110:170, 260:320].astype(int) - (40, 80, 220)).sum(-1) < 30).mean() > 0.97
    assert pixels[250, 20].tolist() == [250, 250, 250] and pixels[20, 200].tolist() == [250, 250, 250]  # paper stays
    view = upload_view(drawing)
    assert view.coloured_in == 2 and view.changed and "coloured in with strokes" in " ".join(view.notes())


def test_solid_shapes_outlines_photos_and_grids_are_not_taken_for_scribbles():
    """A solid shape, a shape drawn in outline only (filled_outlines' case), two colours scribbled side by side as one
    patch, notebook paper, a solid shape with grain and photos: nothing to colour in."""
    import skimage.data

    assert filled_scribbles(dark_drawing(paper=(250, 250, 245))) is None
    assert filled_scribbles(outlined([(SQUARE, (220, 40, 40))])) is None
    mixed = Image.new("RGB", (400, 300), (250, 250, 250))
    for k in range(11):
        ImageDraw.Draw(mixed).line([(40 + 12 * k, 40), (40 + 12 * k, 160)], fill=(220, 40, 40) if k % 2 else
                                   (40, 80, 220), width=5)
    assert filled_scribbles(mixed) is None
    grid = np.full((300, 400, 3), 250, np.uint8)
    grid[::20], grid[:, ::20] = (150, 180, 230), (150, 180, 230)
    assert filled_scribbles(Image.fromarray(grid)) is None
    grainy = np.full((300, 400, 3), 235.0)
    ys, xs = np.mgrid[:300, :400]
    grainy[(ys - 150) ** 2 + (xs - 200) ** 2 < 80**2] = (74, 140, 92)  # a muted green disc, solid
    grainy += np.random.default_rng(0).normal(0, 10, grainy.shape)  # grain: specks of it lose their colour
    assert filled_scribbles(Image.fromarray(np.clip(grainy, 0, 255).astype(np.uint8))) is None
    for name in ("chelsea", "coffee", "astronaut", "rocket", "hubble_deep_field"):
        assert filled_scribbles(Image.fromarray(getattr(skimage.data, name)()).convert("RGB")) is None, name
