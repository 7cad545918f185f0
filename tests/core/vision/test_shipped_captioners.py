"""The shipped captioners on 1,000 held-out scenes (seeds 1,000,000–1,000,999, never trained on), drawn by the shapes
world's renderer and in the held-out user styles (core.vision.styles, family "test"): the issues' bars, and every
model's stored figures (the page's comparison table) re-measured; and a drawing of another shape than a square,
objects at its edges, captioned whole.

The frozen encoder's features of those scenes are cached in .cache/ (on 2 cores about a minute for the 1,000
user-style scenes, most of it drawing them; less for the standard ones)."""
from pathlib import Path

import numpy as np
import pytest

from core.checkpoints import load_checkpoint
from core.vision.shipped import CAPTIONERS
from core.vision.train_captioner import VAL_FIRST, cached_data, evaluate_captioner, user_style_data

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def held_out():
    return cached_data(VAL_FIRST, 1000, ROOT / ".cache")


@pytest.fixture(scope="module")
def measured(held_out):
    return {m.key: (load_checkpoint(m.path), evaluate_captioner(load_checkpoint(m.path).model, held_out))
            for m in CAPTIONERS}


@pytest.fixture(scope="module")
def user_style(measured):
    """The attention models' figures on the 1,000 held-out scenes drawn in the held-out user styles, by key."""
    data = user_style_data(1000, ROOT / ".cache")
    return {key: evaluate_captioner(ck.model, data) for key, (ck, _) in measured.items() if key != "none"}


def test_soft_attention_on_the_user_style_scenes(user_style):
    """Drawn in styles no training used (ruled or squared paper, uneven light, sketchy outlines, wide or tall
    canvases): issue 16's bars, every object named in ≥ 90% of scenes, precision and recall ≥ 94%, pointing ≥ 85%
    (measured: 92.9%, 97.4%, 97.7%, 93.8%, viewed as uploads are: one scene of the 1,000 touches its edge and gets the
    border; 93.0% when none did; 92.1%, 97.2%, 97.4%, 92.9% before the flush scenes; 59.1%, 84.2%, 95.5% and 86.8%
    before training showed edges, dot grids, hatching and strokes; 7%, 52%, 85% and 84% before it saw any styled
    scene)."""
    user = user_style["soft"]
    assert user["all_named"] >= 0.90 and user["pointing"] >= 0.85, user
    assert user["precision"] >= 0.94 and user["recall"] >= 0.94, user


@pytest.fixture(scope="module")
def edge_set():
    """core.vision.edges.edge_drawings(): the 200 drawings with objects at their edges and their objects, drawn once
    for the tests that caption them and the one that checks they come through unchanged."""
    from core.vision.edges import edge_drawings

    return edge_drawings()


@pytest.fixture(scope="module")
def paint_set():
    """core.vision.edges.paint_drawings(), drawn once for this module likewise."""
    from core.vision.edges import paint_drawings

    return paint_drawings()


def soft_captions(images: list) -> list[list[str]]:
    """The shipped soft model's greedy captions of `images`, viewed as uploads are."""
    from core.vision.edges import greedy_captions

    return greedy_captions(load_checkpoint(next(m for m in CAPTIONERS if m.key == "soft").path).model, images)


def test_drawings_with_objects_at_their_edges_are_captioned_whole(edge_set):
    """Uploads are padded, not cropped, so an object at the edge of a wide or tall drawing stays in the picture, and
    training drew objects against and across the edge: on 200 such drawings in the user styles, every object is
    named in 90.0% of them and recall is 96.7% (measured; 108 of them touch the edge and get the border; 90.0% and
    96.8% with no border, `python -m benchmarks.edges`). This holds 88% and 95%."""
    from core.vision.scoring import score_objects

    images, things = edge_set
    score = score_objects(soft_captions(images), things)
    assert score.all_named >= 0.88 and score.recall >= 0.95, score


def test_drawings_with_objects_flush_against_their_edges_are_captioned_whole():
    """Objects laid exactly against the canvas's edge (half of them; at least one per drawing), in the user styles no
    training used: every object named in 89.5% of 200 drawings, recall 97.3% (89.0% and 96.7% with no border; 86.5%
    and 96.2% before the soft model trained on the "flush" scenes). This holds 87% and 95%."""
    from core.vision.edges import edge_drawings
    from core.vision.scoring import score_objects

    images, things = edge_drawings(flush=0.5)
    score = score_objects(soft_captions(images), things)
    assert score.all_named >= 0.87 and score.recall >= 0.95, score


def test_paint_program_drawings_with_objects_against_their_edges_are_captioned_whole(paint_set):
    """What a student makes in a paint program: white canvases of six common shapes, flat colours, upright shapes,
    60% of the objects flush against an edge (core.vision.edges.paint_drawings). Viewed as uploads are (111 of the
    200 touch the edge and get the border), every object is named in 95.0% of them, recall 97.9%; with no border
    89.5% and 95.4%: the case the border is for (`python -m benchmarks.edges`). This holds 90% and 96%."""
    from core.vision.scoring import score_objects

    images, things = paint_set
    score = score_objects(soft_captions(images), things)
    assert score.all_named >= 0.90 and score.recall >= 0.96, score


def test_a_wide_drawing_with_objects_flush_against_its_edges_is_captioned_whole():
    """A 4:3 drawing, white, flat colours, one object touching the left edge, one the right and one the top: padded
    (not cropped or squeezed) to the model's square, with a thin border since objects touch its edge, as every such
    upload is: every object is named. (Without the border the upright square against the right edge was left out and
    the triangle named twice.)"""
    from core.vision.captioner import sample_caption
    from core.vision.encoder import Encoder
    from core.vision.images import edge_touched
    from core.vision.scoring import score_objects
    from core.vision.shapes import VOCAB, Thing
    from core.vision.styles import Style, render

    style = Style("test", 640, 480, "flat", (255, 255, 255), (255, 255, 255), 0.0, 0.0, (1.0, 1.0, 1.0), True, 0,
                  (0, 0, 0), False, 0.0, 0.0, None)
    x0, y0, x1, y1 = style.band()  # (0, 28, 224, 196): where the canvas sits in the model's square
    things = (Thing("circle", "red", "large", (x0 + 36, 112.0), 36.0, 0.0),  # touching the left edge
              Thing("triangle", "green", "small", (112.0, y0 + 20), 20.0, 0.0),  # touching the top
              Thing("square", "blue", "small", (x1 - 20, 150.0), 20.0, 0.0))  # touching the right edge
    image = render(things, style, np.random.default_rng(0))
    assert edge_touched(image)
    soft = load_checkpoint(next(m for m in CAPTIONERS if m.key == "soft").path).model
    f = Encoder().encode([image])
    ids, _, _ = sample_caption(soft, f.mid, f.pooled)
    words = [VOCAB[i] for i in ids[0]]
    assert score_objects([words], [things]).all_named == 1.0, " ".join(words)


def test_soft_attention_meets_the_issues_bars(measured):
    """Every object named in ≥ 95% of scenes, object precision and recall ≥ 97%, pointing game ≥ 85%
    (measured: 98.4%, 99.5%, 99.4%, 96.7%; 97.2%, 99.2%, 98.9%, 96.5% before the flush scenes)."""
    _, soft = measured["soft"]
    assert soft["all_named"] >= 0.95, soft
    assert soft["precision"] >= 0.97 and soft["recall"] >= 0.97, soft
    assert soft["pointing"] >= 0.85, soft


def test_soft_attention_reads_shape_words_where_it_says_them(measured):
    """The LSTM is fed only where it looked, so a shape word cannot come from memory: its attention peaks on the
    object (measured 99.0%; 63% when the whole context went into the LSTM), as colour words' do (94.4%)."""
    _, soft = measured["soft"]
    assert soft["pointing_shape"] >= 0.93 and soft["pointing_colour"] >= 0.85, soft


def test_hard_attention_meets_the_issues_bars(measured):
    """Issue 16's bars for hard attention on the plain held-out scenes: every object named in ≥ 85% of scenes and
    pointing ≥ 80% (measured: 93.3% and 98.1%; 75.1% and 97.7% for the model shipped before, whose memory started at
    zeros, and 16.7% named for the one trained from scratch before that)."""
    _, hard = measured["hard"]
    assert hard["all_named"] >= 0.85 and hard["pointing"] >= 0.80, hard
    assert hard["precision"] >= 0.95 and hard["recall"] >= 0.95, hard


def test_hard_attention_on_the_user_style_scenes(user_style):
    """Measured on the user-style set too (the issue sets no bar there for hard attention): 77.9% named whole,
    pointing 95.9% (63.8% and 95.7% for the model shipped before). This holds 70% and 90%."""
    user = user_style["hard"]
    assert user["all_named"] >= 0.70 and user["pointing"] >= 0.90, user


@pytest.mark.parametrize("key", [m.key for m in CAPTIONERS])
def test_each_checkpoint_carries_the_figures_the_page_shows(measured, user_style, key):
    """The page's table reads the checkpoints' figures: re-measured, on the plain held-out scenes and, for the
    attention models, on the user-style set."""
    ck, figures = measured[key]
    for name in ("all_named", "precision", "recall", "pointing") if key != "none" else ():
        assert ck.metrics[f"user_{name}"] == pytest.approx(user_style[key][name], abs=1e-3), name
    assert ck.kind == "captioner" and ck.model.config.attention == key
    for name in ("all_named", "precision", "recall", "exact", "val_loss"):
        assert ck.metrics[name] == pytest.approx(figures[name], abs=1e-3), name
    if key == "none":
        assert figures["pointing"] != figures["pointing"]  # NaN: nothing to point with
    else:
        assert ck.metrics["pointing"] == pytest.approx(figures["pointing"], abs=1e-3)


def test_drawings_on_dark_paper_are_captioned_as_on_white():
    """A drawing on a dark canvas (a paint program's dark mode, black card; core.vision.edges.dark_drawings: user
    styles on flat dark paper of any hue, which no training draws), viewed as the app views an upload
    (core.vision.drawings.upload_view: the paper lifted to white): every object named in 96.5% of 200 drawings, recall
    and precision 98.7%; as drawn, 82.5%, 96.1% and 91.8% (`python -m benchmarks.drawings`). On the first 100 this
    holds 93% named and 97% precision."""
    from core.vision.drawings import upload_view
    from core.vision.edges import dark_drawings
    from core.vision.scoring import score_objects

    images, things = dark_drawings(100)
    views = [upload_view(im) for im in images]
    assert all(v.lifted for v in views)
    score = score_objects(soft_captions([v.image for v in views]), things)
    assert score.all_named >= 0.93 and score.precision >= 0.97, score


def test_drawings_in_outline_are_captioned_once_filled():
    """Every shape drawn only as an outline of its colour, nothing filled (core.vision.edges.outline_drawings: user
    styles, pens 0.6-2% of the canvas wide), viewed as the app views an upload (core.vision.drawings.upload_view: the
    shapes the outlines close filled): every object named in 79.0% of 200 drawings, recall 89.5%, precision 93.5%; as
    drawn, 26.5%, 49.9% and 65.4% (`python -m benchmarks.drawings`). On the first 100 this holds 72% named and 90%
    precision."""
    from core.vision.drawings import upload_view
    from core.vision.edges import outline_drawings
    from core.vision.scoring import score_objects

    images, things = outline_drawings(100)
    score = score_objects(soft_captions([upload_view(im).image for im in images]), things)
    assert score.all_named >= 0.72 and score.precision >= 0.90, score


def test_drawings_coloured_in_with_strokes_are_captioned_better_once_filled():
    """Every shape coloured in with a zigzag of marker strokes (core.vision.edges.scribble_drawings: user styles,
    strokes 0.8-2% of the canvas wide), viewed as the app views an upload (core.vision.drawings.upload_view: the paper
    between the strokes given their colour): every object named in 47.5% of 200 drawings, recall 70.5%, precision
    79.0%; as drawn, 26%, 53.7% and 71.2% (`python -m benchmarks.drawings`). On the first 100 the view holds 40% named
    and 76% precision, and names more drawings whole than the drawings as they are."""
    from core.vision.drawings import upload_view
    from core.vision.edges import scribble_drawings
    from core.vision.scoring import score_objects

    images, things = scribble_drawings(100)
    score = score_objects(soft_captions([upload_view(im).image for im in images]), things)
    assert score.all_named >= 0.40 and score.precision >= 0.76, score
    assert score.all_named >= score_objects(soft_captions(images), things).all_named + 0.1


def test_small_drawings_on_a_big_page_are_captioned_once_zoomed_onto():
    """A drawing a third to a sixth of the size of a big page, anywhere on it (core.vision.edges.small_drawings: user
    styles on flat paper), viewed as the app views an upload (core.vision.drawings.upload_view: zoomed onto the
    drawing): every object named in 96.5% of 200, recall and precision 98.2%; as drawn 14%, 26.7% and 82.9% (`python -m
    benchmarks.drawings`). On the first 100 this holds 92% named and 96% precision."""
    from core.vision.drawings import upload_view
    from core.vision.edges import small_drawings
    from core.vision.scoring import score_objects

    images, things = small_drawings(100)
    score = score_objects(soft_captions([upload_view(im).image for im in images]), things)
    assert score.all_named >= 0.92 and score.precision >= 0.96, score


def test_no_drawing_of_the_held_out_sets_is_changed(edge_set, paint_set):
    """The lift, the fills and the zoom are for dark paper, outlines, scribbles and small drawings only: none of 500
    held-out user-style scenes (ruled and squared paper, vignettes, colour casts and sketchy doubled outlines among
    them), 200 paint-program drawings or 200 drawings with objects at their edges is changed, so their figures are what
    the app sees."""
    from core.vision.drawings import upload_view
    from core.vision.styles import styled_scene

    drawn = [styled_scene(VAL_FIRST + k, "test").image for k in range(500)] + paint_set[0] + edge_set[0]
    assert [k for k, im in enumerate(drawn) if upload_view(im).changed] == []
