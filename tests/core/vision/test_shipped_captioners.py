"""The shipped captioners on 1,000 held-out scenes (seeds 1,000,000–1,000,999, never trained on), drawn by the shapes
world's renderer and in the held-out user styles (core.vision.styles, family "test"): the issues' bars, and every
model's stored figures (the page's comparison table) re-measured; and a drawing of another shape than a square,
objects at its edges, captioned whole.

The frozen encoder's features of those scenes are cached in .cache/ (about a minute to make on 2 cores for the
standard scenes, two for the user-style ones)."""
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
def user_style():
    """The soft model on the 1,000 held-out scenes drawn in the held-out user styles."""
    soft = next(m for m in CAPTIONERS if m.key == "soft")
    ck = load_checkpoint(soft.path)
    return ck, evaluate_captioner(ck.model, user_style_data(1000, ROOT / ".cache"))


def test_soft_attention_on_the_user_style_scenes(user_style):
    """Drawn in styles no training used (ruled or squared paper, uneven light, sketchy outlines, wide or tall
    canvases). Issue 16's bars are every object named in ≥ 90% of scenes, precision and recall ≥ 94%, pointing ≥ 85%;
    the model trained on 10,000 styled scenes beside 10,000 plain ones reaches pointing and recall but not yet the
    rest (measured: every object named 59.1%, precision 84.2%, recall 95.5%, pointing 86.8%; 7%, 52%, 85% and 84%
    before it saw any styled scene). This holds what it reaches, and the checkpoint carries the same figures (the
    page's table)."""
    ck, user = user_style
    assert user["pointing"] >= 0.85 and user["recall"] >= 0.94, user
    assert user["all_named"] >= 0.55 and user["precision"] >= 0.80, user
    for name in ("all_named", "precision", "recall", "pointing"):
        assert ck.metrics[f"user_{name}"] == pytest.approx(user[name], abs=1e-3), name


@pytest.mark.xfail(strict=True, reason="issue 16, open: no training scene has an object touching the canvas's edge "
                                       "(the layouts keep a margin), and the model names the edge object wrongly")
def test_a_wide_drawing_with_objects_at_its_edges_is_captioned_whole():
    """A 4:3 drawing, white, flat colours, one object touching the left edge, one the right and one the top: padded
    (not cropped or squeezed) to the model's square, every object is named."""
    from core.vision.captioner import sample_caption
    from core.vision.encoder import Encoder
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
    soft = load_checkpoint(next(m for m in CAPTIONERS if m.key == "soft").path).model
    f = Encoder().encode([image])
    ids, _, _ = sample_caption(soft, f.mid, f.pooled)
    words = [VOCAB[i] for i in ids[0]]
    assert score_objects([words], [things]).all_named == 1.0, " ".join(words)


def test_soft_attention_meets_the_issues_bars(measured):
    """Every object named in ≥ 95% of scenes, object precision and recall ≥ 97%, pointing game ≥ 85%
    (measured: 97.0%, 98.9%, 98.9%, 94.5%)."""
    _, soft = measured["soft"]
    assert soft["all_named"] >= 0.95, soft
    assert soft["precision"] >= 0.97 and soft["recall"] >= 0.97, soft
    assert soft["pointing"] >= 0.85, soft


def test_soft_attention_reads_shape_words_where_it_says_them(measured):
    """The LSTM is fed only where it looked, so a shape word cannot come from memory: its attention peaks on the
    object (measured 97.9%; 63% when the whole context went into the LSTM), as colour words' do (91.1%)."""
    _, soft = measured["soft"]
    assert soft["pointing_shape"] >= 0.93 and soft["pointing_colour"] >= 0.85, soft


def test_hard_attention_points_at_what_it_names(measured):
    """Issue 16's bars for hard attention on the plain held-out scenes: pointing ≥ 80% (measured 96.2%: met) and every
    object named in ≥ 85% of scenes (measured 66.3%: not met yet; 16.7% for the model trained from scratch before).
    This holds what it reaches."""
    _, hard = measured["hard"]
    assert hard["pointing"] >= 0.80, hard
    assert hard["all_named"] >= 0.60 and hard["precision"] >= 0.90, hard


@pytest.mark.parametrize("key", [m.key for m in CAPTIONERS])
def test_each_checkpoint_carries_the_figures_the_page_shows(measured, key):
    ck, figures = measured[key]
    assert ck.kind == "captioner" and ck.model.config.attention == key
    for name in ("all_named", "precision", "recall", "exact", "val_loss"):
        assert ck.metrics[name] == pytest.approx(figures[name], abs=1e-3), name
    if key == "none":
        assert figures["pointing"] != figures["pointing"]  # NaN: nothing to point with
    else:
        assert ck.metrics["pointing"] == pytest.approx(figures["pointing"], abs=1e-3)
