"""The shapes world: deterministic scenes, captions that are true of the picture, words linked to objects."""
import math

import numpy as np
import pytest

from core.vision.shapes import COLOURS, SHAPES, SIZE, SIZES, VOCAB, make_scene, relation


def test_the_same_seed_gives_the_same_scene_and_another_seed_another():
    a, b, c = make_scene(7), make_scene(7), make_scene(8)
    assert a.tokens == b.tokens and np.array_equal(np.asarray(a.image), np.asarray(b.image))
    assert not np.array_equal(np.asarray(a.image), np.asarray(c.image))


@pytest.mark.parametrize("seed", range(40))
def test_every_scene_is_well_formed(seed):
    scene = make_scene(seed)
    assert scene.image.size == (SIZE, SIZE) and scene.image.mode == "RGB"
    assert 1 <= len(scene.things) <= 4 and set(scene.tokens) <= set(VOCAB)
    assert len({t.words() for t in scene.things}) == len(scene.things)  # every description names one object
    for t in scene.things:
        x0, y0, x1, y1 = t.box
        assert 0 <= x0 < x1 <= SIZE and 0 <= y0 < y1 <= SIZE
        r, g, b = np.asarray(scene.image)[int(t.centre[1]), int(t.centre[0])].astype(int)
        assert np.abs(np.array([r, g, b]) - COLOURS[t.colour]).max() < 70, (t, (r, g, b))
    for a in scene.things:
        for b in scene.things:
            if a is not b:
                assert math.dist(a.centre, b.centre) > (a.radius + b.radius) * math.sqrt(2)  # no overlap


@pytest.mark.parametrize("seed", range(40))
def test_content_words_are_linked_to_the_object_they_describe(seed):
    scene = make_scene(seed)
    for word, link in zip(scene.tokens, scene.links):
        if word in SIZES or word in COLOURS or word in SHAPES:
            assert link is not None and word in scene.things[link].words()
        else:
            assert link is None
    assert set(scene.links) - {None} == set(range(len(scene.things)))  # every object is named
    for i, j, words in scene.pairs:
        assert words == relation(scene.things[i], scene.things[j])
        assert f"{' '.join(scene.things[i].words())} {words} a {' '.join(scene.things[j].words())}" in scene.caption


def test_relations_follow_the_larger_offset():
    from core.vision.shapes import Thing

    left, right = Thing("circle", "red", "small", (50, 100), 20, 0), Thing("square", "blue", "large", (150, 110), 30, 0)
    top = Thing("triangle", "green", "small", (140, 20), 20, 0)
    assert relation(left, right) == "to the left of" and relation(right, left) == "to the right of"
    assert relation(top, right) == "above" and relation(right, top) == "below"


def test_captions_follow_the_grammar_for_every_count():
    shapes = {n: make_scene(21, count=n).caption.split() for n in (1, 2, 3, 4)}
    assert len(shapes[1]) == 4 and "and" not in shapes[1]
    assert shapes[3].count("and") == 1 and shapes[4].count("and") == 1
    assert shapes[4].count("a") == 4


def test_counts_shapes_and_colours_are_all_used_and_the_count_can_be_chosen():
    scenes = [make_scene(s) for s in range(200)]
    assert {len(s.things) for s in scenes} == {1, 2, 3, 4}
    things = [t for s in scenes for t in s.things]
    assert {t.shape for t in things} == set(SHAPES) and {t.colour for t in things} == set(COLOURS)
    assert len(make_scene(3, count=4).things) == 4
    with pytest.raises(ValueError, match="1 to 4"):
        make_scene(3, count=5)


@pytest.mark.parametrize("seed", range(20))
def test_captions_name_the_objects_from_left_to_right(seed):
    scene = make_scene(seed)
    named = list(dict.fromkeys(link for link in scene.links if link is not None))  # objects in caption order
    xs = [scene.things[k].centre[0] for k in named]
    assert xs == sorted(xs)
