"""Shapes-world questions: answers right on hand-built scenes, the same seed gives the same questions, and a typed
question is read or refused with a message that helps."""
from collections import Counter

import pytest

from core.vision.questions import (
    ANSWERS,
    KINDS,
    MAX_CHARS,
    QUESTION_WORDS,
    QuestionError,
    every_question,
    name,
    parse_question,
    questions_about,
)
from core.vision.shapes import Thing, layout


def thing(shape, colour, size, x, y):
    return Thing(shape, colour, size, (float(x), float(y)), 20.0 if size == "small" else 36.0, 0.0)


# a large red circle top left, a small red square top right, a small blue circle bottom right (close to the square),
# a large green triangle bottom left
SCENE = (thing("circle", "red", "large", 40, 40), thing("square", "red", "small", 180, 40),
         thing("circle", "blue", "small", 180, 110 + 40), thing("triangle", "green", "large", 50, 190))


def asked(things, seed=0):
    return {q.kind: q for q in questions_about(things, seed)}


def test_an_object_is_named_by_its_shortest_unique_description_without_the_attribute_asked_about():
    assert name(SCENE, 0) == "large circle"  # "circle" alone is not unique, "large" alone is not either
    assert name(SCENE, 0, avoid="size") == "red circle"
    assert name(SCENE, 1) == "square"
    assert name(SCENE, 1, avoid="shape") == "small red object"
    assert name(SCENE, 3, avoid="colour") == "triangle"
    twins = (thing("circle", "red", "large", 40, 40), thing("circle", "blue", "large", 180, 40))
    assert name(twins, 0, avoid="colour") is None  # the same size and shape: only the colour tells them apart


def test_answers_on_a_hand_built_scene():
    for seed in range(40):  # whichever object each seed picks, the answer must be the true one
        for q in questions_about(SCENE, seed):
            t = None if q.subject is None else SCENE[q.subject]
            if q.kind == "colour":
                assert q.answer == t.colour and t.colour not in q.text
            elif q.kind == "shape":
                assert q.answer == t.shape and t.shape not in q.text
            elif q.kind == "left":
                assert q.answer == ("yes" if t.centre[0] < 112 else "no")
            elif q.kind == "top":
                assert q.answer == ("yes" if t.centre[1] < 112 else "no")
            elif q.kind == "count":
                shape = q.text.split()[2][:-1]  # "how many circles are there?"
                assert q.answer == str(sum(s.shape == shape for s in SCENE))
            elif q.kind == "same shape":
                assert q.answer == str(sum(s.shape == t.shape for s in SCENE) - 1)
    by_subject = {(q.kind, q.subject): q.answer for seed in range(40) for q in questions_about(SCENE, seed)}
    assert by_subject[("closest", 1)] == "circle"  # the small red square's neighbour is the blue circle below it
    assert by_subject[("furthest", 1)] == "triangle"  # and the green triangle is furthest away
    assert by_subject[("closest", 0)] == "square"  # from the large red circle: the square (140 px; the triangle 150)
    assert by_subject[("furthest", 3)] == "square"
    targets = {(q.kind, q.subject): q.target for seed in range(40) for q in questions_about(SCENE, seed)}
    assert targets[("closest", 1)] == 2 and targets[("furthest", 1)] == 3  # the object the answer is read off
    assert targets[("closest", 0)] == 1 and targets[("furthest", 3)] == 1
    for (kind, subject), target in targets.items():
        if kind in ("colour", "shape", "left", "top"):
            assert target == subject  # read off the named object itself
        elif kind in ("count", "same shape"):
            assert target is None  # no one object holds the answer


def test_near_ties_are_not_asked():
    # the square is exactly as far from the circle as the triangle is: no closest/furthest question about the circle
    tie = (thing("circle", "red", "large", 112 - 60, 60), thing("square", "blue", "small", 112 + 60, 60),
           thing("triangle", "green", "small", 112 - 60, 180))
    for seed in range(30):
        for q in questions_about(tie, seed):
            assert not (q.kind in ("closest", "furthest") and q.subject == 0), q
    middle = (thing("circle", "red", "large", 112, 112),)
    assert {q.kind for q in questions_about(middle, 0)} == {"colour", "shape", "count", "same shape"}


def test_the_same_seed_gives_the_same_questions_and_every_answer_is_in_the_vocabulary():
    qs = [q for seed in range(300) for q in questions_about(layout(seed)[0], seed)]
    assert qs == [q for seed in range(300) for q in questions_about(layout(seed)[0], seed)]
    assert all(q.answer in ANSWERS for q in qs)
    assert set(Counter(q.kind for q in qs)) == set(KINDS)
    assert (len({q.answer for q in qs if q.kind == "colour"}) == 5
            and len({q.answer for q in qs if q.kind == "left"}) == 2)
    assert all(set(q.words) <= set(QUESTION_WORDS) for q in qs)  # every generated question is readable
    assert sum(q.relational for q in qs) > 0.2 * len(qs)


def test_typed_questions_are_read_loosely():
    assert parse_question("What COLOR is the big circle??") == ["what", "colour", "is", "the", "large", "circle"]
    assert parse_question("  how many\tcircles are there ") == ["how", "many", "circles", "are", "there"]


@pytest.mark.parametrize("text, message", [
    ("", "Type a question first"),
    ("   \n", "Type a question first"),
    ("?!", "no words"),
    ("x" * 10_000, "10,000 characters long"),
    ("what colur is the circle?", "“colur” (did you mean “colour”?)"),
    ("what size is the zebra?", "“size”"),
    ("is the red circle \x00\x1b[31m on the left?", "“m”"),
])
def test_questions_the_model_cannot_read_get_a_message(text, message):
    with pytest.raises(QuestionError) as error:
        parse_question(text)
    assert message in str(error.value)
    if "does not know" in str(error.value):
        assert "above" not in str(error.value)  # the question words are listed, not the captions' words
        assert "circle" in str(error.value) and "colour" in str(error.value)
    assert len(str(error.value)) < 1000 + MAX_CHARS


def test_relational_questions_do_not_give_their_answer_away():
    """Naming the object by its shape would say no other object has it ("the square": the same-shape count is 0);
    closest and furthest with only one other object need no relation at all."""
    from core.vision.shapes import SHAPES

    for seed in range(300):
        things = layout(seed)[0]
        for q in questions_about(things, seed):
            if q.relational:
                assert not set(q.words) & set(SHAPES), q.text
            if q.kind in ("closest", "furthest"):
                assert len(things) >= 3, q.text


def test_every_question_holds_every_drawn_one_and_nothing_else():
    for seed in (3, 1_000_000, 1_000_006):
        things = layout(seed)[0]
        every = every_question(things)
        assert len({q.text for q in every}) == len(every)  # no question twice
        drawn = {q for draw in range(60) for q in questions_about(things, draw)}
        assert drawn <= set(every) and {q.kind for q in every} == {q.kind for q in drawn}
        assert [q.kind for q in every] == sorted((q.kind for q in every), key=KINDS.index)
    # circles, squares, triangles
    assert [q.answer for q in every_question(SCENE) if q.kind == "count"] == ["2", "1", "1"]
