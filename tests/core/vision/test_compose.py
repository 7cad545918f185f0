"""A scene a student composes: drawn where they placed it, captioned by the world's grammar, refused with a reason when
the world cannot hold it."""
import numpy as np
import pytest

from core.vision.compose import CANVAS, LOOKS, CompositionError, Placed, as_viewed, compose, things_of
from core.vision.images import model_view
from core.vision.shapes import SIZE

THREE = (Placed("circle", "red", "large", 25, 50), Placed("square", "blue", "small", 72, 28),
         Placed("triangle", "yellow", "small", 72, 75))


@pytest.mark.parametrize("look", list(LOOKS))
def test_a_composition_is_drawn_where_it_was_placed_and_captioned_by_the_grammar(look):
    scene = compose(THREE, look)
    assert scene.image.size == CANVAS
    assert scene.caption == "a large red circle to the left of a small blue square and a small yellow triangle"
    view = np.asarray(model_view(scene.image), dtype=float)  # the model's square: the 4:3 canvas padded
    for thing in scene.things:  # the model's view is red, blue and yellow at the three centres
        x, y = (int(round(v)) for v in thing.centre)
        r, g, b = view[y, x]
        if thing.colour == "red":
            assert r > 150 and g < 110 and b < 110
        elif thing.colour == "blue":
            assert b > 150 and r < 120
        else:
            assert r > 180 and g > 150 and b < 120
    assert np.array_equal(np.asarray(compose(THREE, look).image), np.asarray(scene.image))  # the same every time


@pytest.mark.parametrize("look", list(LOOKS))
def test_a_composition_against_the_edge_is_viewed_with_a_border_and_its_boxes_follow(look):
    """A square pushed against the canvas's right edge: the view gets the border (core.vision.images.viewed) and every
    object's centre moves with the picture, so it still lands on the object's colour; away from the edge, nothing
    moves."""
    edge = (Placed("circle", "red", "large", 25, 50), Placed("square", "blue", "small", 100 - 100 * 20 / 224, 40))
    scene, seen = compose(edge, look), as_viewed(compose(edge, look))
    assert seen.image.size == (SIZE, SIZE) and seen.caption == scene.caption
    assert seen.things[1].centre[0] < scene.things[1].centre[0] - 2  # moved in, with the picture
    for thing in seen.things:
        x, y = (int(round(v)) for v in thing.centre)
        r, g, b = np.asarray(seen.image, dtype=float)[y, x]
        assert (r > 150 and g < 110) if thing.colour == "red" else (b > 150 and r < 120), (look, thing)
    inside = as_viewed(compose(THREE, look))
    assert inside.things == compose(THREE, look).things


def test_places_are_percentages_of_the_canvas_in_the_models_square():
    x0, y0, x1, y1 = LOOKS["flat paint on white"].band()
    corner = things_of([Placed("circle", "green", "small", 0, 100)], "flat paint on white")[0]
    assert corner.centre == (x0, y1) and (x0, y1) == (0, SIZE * 0.5 + SIZE * 3 / 8)


@pytest.mark.parametrize("placed, message", [
    ((), "1 to 4 objects; this one has 0"),
    (THREE + (Placed("circle", "green", "small", 5, 5), Placed("circle", "purple", "small", 95, 5)), "has 5"),
    ((THREE[0], Placed("circle", "red", "large", 80, 50)), "both a large red circle"),
    ((THREE[0], Placed("square", "green", "small", 35, 50)), "overlap"),
    ((Placed("hexagon", "red", "small", 50, 50),), "choose a shape"),
    ((Placed("circle", "None", "small", 50, 50),), "choose a colour"),
    ((Placed("circle", "red", "small", float("nan"), 50),), "from 0 to 100"),
    ((Placed("circle", "red", "small", 50, 130),), "“down” is a percentage"),
])
def test_a_composition_the_world_cannot_hold_is_refused_with_what_to_change(placed, message):
    with pytest.raises(CompositionError, match=message):
        compose(placed, "markers on paper")
    with pytest.raises(CompositionError, match="look is one of"):
        compose(THREE, "oil on canvas")


def test_the_model_view_encodes_as_the_original_does():
    """The pages show (and cache features of) the model's view of a composed scene: encoding it gives the features
    of the 640 × 480 drawing itself, since the encoder pads and scales the same way."""
    import torch

    from core.vision.encoder import Encoder

    image = compose(THREE, "markers on paper").image
    enc = Encoder()
    assert torch.equal(enc.preprocess([image]), enc.preprocess([model_view(image)]))
