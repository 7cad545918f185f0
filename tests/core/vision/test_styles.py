"""Scenes drawn in users' styles (core.vision.styles) and the padding that turns any upload into a square."""
import colorsys

import numpy as np
import pytest
from PIL import Image

from core.vision.images import VIEW_MARGIN, edge_touched, model_view, square, view_box, viewed
from core.vision.shapes import SIZE, describe
from core.vision.styles import FAMILIES, SHADES, VIEW_MARGINS, draw_style, shade, styled_layout, styled_scene


def test_the_same_seed_and_family_draw_the_same_scene_and_families_differ():
    a, b = styled_scene(1_000_003, "train"), styled_scene(1_000_003, "train")
    assert a.caption == b.caption and np.array_equal(np.asarray(a.image), np.asarray(b.image))
    assert not np.array_equal(np.asarray(styled_scene(1_000_003, "test").image), np.asarray(a.image))
    with pytest.raises(ValueError, match="family"):
        styled_scene(1, "photos")


def test_the_caption_is_the_layouts_and_objects_lie_in_the_canvas_band_or_across_its_edge_in_training():
    """Test scenes keep every object inside the canvas; training scenes sometimes put one against the edge or
    across it, but never more than 40% of its radius outside."""
    crossing = 0
    for seed in range(60):
        for family in FAMILIES:
            things, style, _ = styled_layout(seed, family)
            x0, y0, x1, y1 = style.band()
            outside = max(max(x0 - (t.centre[0] - t.radius), t.centre[0] + t.radius - x1,
                              y0 - (t.centre[1] - t.radius), t.centre[1] + t.radius - y1) / t.radius for t in things)
            assert outside <= (0.0 if style.edge is None else 0.4 + 1e-9), (seed, family, outside)
            crossing += outside > 0
            assert (family != "test") or style.edge is None
            assert styled_scene(seed, family).tokens == describe(things)[0]
    assert crossing >= 5


def test_the_flush_family_lays_about_half_of_its_objects_exactly_against_the_canvas_edge():
    """"flush" draws in the training styles with about half of the objects touching one of the canvas's four edges
    (a centre exactly one radius in) and none across it; "train" rarely puts one exactly there."""
    def touching(family: str) -> tuple[int, int, set]:
        count = touch = 0
        sides = set()
        for seed in range(4_000_000, 4_000_150):
            things, style, _ = styled_layout(seed, family)
            x0, y0, x1, y1 = style.band()
            for t in things:
                gaps = (t.centre[0] - x0, x1 - t.centre[0], t.centre[1] - y0, y1 - t.centre[1])
                assert family != "flush" or min(gaps) >= t.radius - 1e-9  # no centre nearer than one radius
                hit = [k for k, gap in enumerate(gaps) if abs(gap - t.radius) < 1e-6]
                touch, count = touch + bool(hit), count + 1
                sides |= set(hit)
        return touch, count, sides

    touch, count, sides = touching("flush")
    assert 0.4 <= touch / count <= 0.6 and sides == {0, 1, 2, 3}, (touch, count, sides)
    touch, count, _ = touching("train")
    assert touch / count < 0.05


def test_each_test_scene_has_a_variation_that_training_never_draws():
    rng = np.random.default_rng(0)
    train = [draw_style(rng, "train") for _ in range(300)]
    test = [draw_style(rng, "test") for _ in range(300)]

    def held_out(s) -> bool:
        aspect = s.width / s.height
        return s.background in ("ruled", "squared") or s.light > 0 or s.doubled or not 0.74 <= aspect <= 1.34
    assert not any(held_out(s) for s in train)
    assert all(held_out(s) for s in test)
    assert {s.background for s in train} == {"flat", "gradient", "paper", "dotted", "hatched"}
    assert {s.background for s in test} == {"flat", "gradient", "paper", "ruled", "squared"}
    assert any(s.strokes for s in train) and not any(s.strokes or s.edge is not None for s in test)
    assert any(s.jpeg and s.jpeg < 40 for s in train) and any(s.blur for s in train) and any(s.wobble for s in train)
    assert any(s.paper == (255, 255, 255) for s in train) and any(s.outline for s in train)
    assert any(not s.antialias for s in train) and any(max(s.width, s.height) > 800 for s in train)


def test_every_shade_is_still_called_by_its_name():
    """A shade's hue stays nearer its own colour's hue range than any other's."""
    rng = np.random.default_rng(1)
    centre = {name: np.mean(h) % 360 for name, (h, _, _) in SHADES.items()}
    for name in SHADES:
        for _ in range(50):
            r, g, b = shade(name, rng)
            hue = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)[0] * 360
            nearest = min(centre, key=lambda c: min(abs(hue - centre[c]), 360 - abs(hue - centre[c])))
            assert nearest == name


@pytest.mark.parametrize("family", FAMILIES)
def test_objects_sit_where_their_boxes_say_in_the_encoders_view(family):
    """The encoder pads the canvas to a square, with the border its family is viewed with; each object's centre (model
    pixels) lands on the object's colour."""
    checked = 0
    for seed in range(30):
        scene = styled_scene(seed, family)
        view = np.asarray(model_view(scene.image, SIZE, VIEW_MARGINS[family]), dtype=float)
        for t in scene.things:
            x, y = (int(round(v)) for v in t.centre)
            r, g, b = view[y - 1: y + 2, x - 1: x + 2].reshape(-1, 3).mean(0) / 255
            hue, sat, _ = colorsys.rgb_to_hsv(r, g, b)
            (h0, h1), _, _ = SHADES[t.colour]
            inside = ((h0 - 12) % 360 <= hue * 360 <= (h1 + 12) % 360 if h0 >= 0
                      else hue * 360 >= 348 or hue * 360 <= h1 + 12)
            assert sat > 0.25 and inside, (seed, t)
            checked += 1
    assert checked > 50


def test_square_pads_with_the_border_colour_and_keeps_every_pixel():
    wide = np.full((60, 100, 3), 250, dtype=np.uint8)
    wide[:, :5] = (200, 30, 30)  # a red object touching the left edge
    wide[-4:, 90:] = (30, 30, 200)  # a blue one in the bottom-right corner
    out = np.asarray(square(Image.fromarray(wide)))
    assert out.shape == (100, 100, 3)
    assert np.array_equal(out[20:80], wide)  # centred, nothing cropped or stretched
    assert (out[:20] == 250).all() and (out[80:] == 250).all()  # padded with the border's median colour
    tall = Image.fromarray(np.zeros((40, 10, 3), dtype=np.uint8))
    assert square(tall).size == (40, 40)
    same = Image.fromarray(wide[:60, :60])
    assert square(same) is same


@pytest.mark.parametrize("size", [(100, 60), (60, 100), (90, 90), (640, 480), (300, 301)])
def test_a_border_all_round_and_view_box_says_where_the_picture_lands(size):
    """`square` with a margin adds a border of the edge's colour (that share of the square's side, every side); the
    picture fills exactly view_box."""
    width, height = size
    picture = np.full((height, width, 3), 240, dtype=np.uint8)
    picture[1:-1, 1:-1] = (200, 30, 30)  # red, inside a one-pixel light frame: the edge colour
    big = np.asarray(square(Image.fromarray(picture), VIEW_MARGIN))
    border = round(max(size) * VIEW_MARGIN)
    assert border >= 1 and big.shape[0] == big.shape[1] == max(size) + 2 * border
    assert (big[:border] == 240).all() and (big[:, :border] == 240).all()  # the border, in the edge's colour
    x0, y0, x1, y1 = (v * big.shape[0] / SIZE for v in view_box(width, height, VIEW_MARGIN, SIZE))
    assert np.array_equal(big[round(y0): round(y1), round(x0): round(x1)], picture)  # every pixel, in the box


def test_the_view_adds_the_border_only_where_something_touches_the_edge():
    """Ink along the picture's edge (a saturated colour or a dark stroke) gets the border; the shapes world's own
    scenes, the user-style test scenes (ruled and squared paper, uneven light, grain) and a flat picture do not, and
    a view is its own view."""
    from core.vision.shapes import make_scene

    wide = np.full((300, 400, 3), 250, dtype=np.uint8)
    wide[100:160, 340:400] = (40, 80, 220)  # a blue square against the right edge
    touching = Image.fromarray(wide)
    view, margin = viewed(touching)
    assert edge_touched(touching) and margin == VIEW_MARGIN and view.size == (SIZE, SIZE)
    assert viewed(view) == (view, 0.0)  # the border keeps the square off the edge now
    wide[100:160, 300:] = wide[0, 0]
    wide[100:160, 300:360] = (40, 80, 220)  # the same square, 40 px in
    assert viewed(Image.fromarray(wide))[1] == 0.0
    outlined = np.full((300, 400, 3), 250, dtype=np.uint8)
    outlined[0:3, 150:220] = (20, 20, 20)  # a pencil outline along the top: padding lies above it in the square
    assert not edge_touched(Image.fromarray(outlined))
    outlined[120:190, 0:3] = (20, 20, 20)  # and one along the left edge, which is the square's
    assert edge_touched(Image.fromarray(outlined))
    assert not any(edge_touched(make_scene(1_000_000 + k).image) for k in range(40))
    assert not any(edge_touched(styled_scene(1_000_000 + k, "test").image) for k in range(60))
    plain = make_scene(1_000_000).image
    assert viewed(plain) == (plain, 0.0) and model_view(plain) is plain


def test_every_style_keeps_the_band_it_always_had():
    """The styles' bands (and so their layouts) are the canvas padded to a square, without a border: the shipped
    models trained on them so."""
    for seed in range(20):
        for family in FAMILIES:
            _, style, _ = styled_layout(seed, family)
            side = max(style.width, style.height)
            x0 = (side - style.width) // 2 * SIZE / side
            y0 = (side - style.height) // 2 * SIZE / side
            assert style.band() == (x0, y0, x0 + style.width * SIZE / side, y0 + style.height * SIZE / side)


def test_training_hatching_is_slanted_and_ruled_paper_is_level():
    """Training's hatched paper never draws a level or upright line, so the test family's ruled and squared paper stay
    a kind of background that training never showed: every row of a hatched canvas changes along its length."""
    from core.vision.styles import Style, _background

    for seed in range(12):
        rng = np.random.default_rng(seed)
        style = Style("train", 300, 200, "hatched", (255, 255, 255), (255, 255, 255), 0.0, 0.0, (1.0, 1.0, 1.0),
                      True, 0, (0, 0, 0), False, 0.0, 0.0, None)
        canvas = _background(style, rng, 300, 200)
        lined = canvas.min(axis=2) < 250
        assert lined.any()
        assert not lined.all(axis=1).any() and not lined.all(axis=0).any()
