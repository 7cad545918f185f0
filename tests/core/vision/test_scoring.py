"""Object-level scoring of captions: what a caption names and how much of it is true."""
import pytest

from core.vision.scoring import mentions, score_objects
from core.vision.shapes import Thing, make_scene

RED_CIRCLE = Thing("circle", "red", "small", (50, 50), 20, 0)
BLUE_SQUARE = Thing("square", "blue", "large", (150, 50), 30, 0)


def test_mentions_are_colour_then_shape():
    words = "a small red circle to the left of a large blue square".split()
    assert mentions(words) == [("red", "circle"), ("blue", "square")]
    assert mentions("a red and a circle".split()) == []  # a colour not followed by a shape names nothing


def test_the_true_captions_score_perfectly():
    scenes = [make_scene(s) for s in range(30)]
    score = score_objects([s.tokens for s in scenes], [s.things for s in scenes])
    assert (score.precision, score.recall, score.all_named, score.scenes) == (1.0, 1.0, 1.0, 30)


@pytest.mark.parametrize("caption, precision, recall, perfect", [
    ("a small red circle to the left of a large blue square", 1.0, 1.0, 1.0),
    ("a small red circle", 1.0, 0.5, 0.0),  # one object missing
    ("a small red circle to the left of a large green square", 0.5, 0.5, 0.0),  # a wrong colour
    ("a small red circle to the left of a small red circle", 0.5, 0.5, 0.0),  # the same object twice
    ("a small red circle to the left of a large blue square and a small blue square", 2 / 3, 1.0, 0.0),
    ("a", 0.0, 0.0, 0.0),  # names nothing
])
def test_wrong_missing_and_repeated_objects_count_against_a_caption(caption, precision, recall, perfect):
    score = score_objects([caption.split()], [(RED_CIRCLE, BLUE_SQUARE)])
    assert score.precision == pytest.approx(precision) and score.recall == pytest.approx(recall)
    assert score.all_named == perfect


def test_scores_pool_objects_over_scenes():
    score = score_objects([["a", "red", "circle"], ["a", "red", "circle"]], [(RED_CIRCLE,), (RED_CIRCLE, BLUE_SQUARE)])
    assert score.recall == pytest.approx(2 / 3) and score.precision == 1.0 and score.all_named == 0.5
