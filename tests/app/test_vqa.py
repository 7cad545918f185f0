"""Visual question answering: a generated question gets every model's answer with the true one, the top-5 chart,
both hop maps and the summary vectors; typed questions are answered, and an empty one, an unknown word and a
10,000-character one each get a message, never an exception."""
import pytest

from core.vision.questions import ANSWERS
from tests.app.helpers import figure, ok, open_page, values

PAGE = "pages/vqa.py"


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE, timeout=120)


def answers_table(at):
    return next(d.value for d in at.dataframe if "answer" in d.value.columns)


def test_a_generated_question_gets_every_models_answer_and_the_true_one(page):
    shown = " ".join(m.value for m in page.markdown)
    assert "**Question:**" in shown and "**True answer:**" in shown
    table = answers_table(page)
    assert len(table) == 4 and set(table["answer"]) <= set(ANSWERS) and set(table["right?"]) <= {"✓", "✗"}
    bars = figure(page, "vqa_answers")["data"][0]
    assert len(values(bars["x"])) == 5 and {y.removesuffix(" ✓").removesuffix(" ✗") for y in bars["y"]} <= set(ANSWERS)
    said = figure(page, "vqa_answers")["layout"]["meta"]["summary"]  # the text alternative: every bar's number
    shown = zip(values(bars["x"]), bars["y"])
    assert all(f"{y.removesuffix(' ✓').removesuffix(' ✗')} {x:.1%}" in said for x, y in shown)
    for hop in (1, 2):
        fig = figure(page, f"vqa_hop{hop}")
        assert fig["data"][1]["type"] == "heatmap" and fig["layout"]["title"]["text"].startswith(f"hop {hop}")
    vectors = figure(page, "vqa_vectors")
    assert len(vectors["data"]) == 2 and len(values(vectors["data"][0]["y"])) == 128  # q and the image summary


def test_a_relational_question_marks_the_object_each_hop_should_find(page):
    picked = page.selectbox(key="vqa_pick")
    closest = next(o for o in picked.options if o.startswith("[closest]"))
    ok(picked.set_value(closest.split("] ", 1)[1]).run())
    truth = next(m.value for m in page.markdown if "**True answer:**" in m.value).rsplit(" ", 1)[1]
    assert truth in ("circle", "square", "triangle")
    for hop, label in ((1, "named"), (2, "answer's")):
        fig = figure(page, f"vqa_hop{hop}")
        mark, _, text = fig["layout"]["annotations"][0]["text"].partition(" ")
        assert len(fig["layout"]["shapes"]) == 1 and text == label and mark in "✓✗"  # judged by mark, not colour only


def test_each_model_can_be_looked_inside(page):
    for key, rows in (("lecture", 2), ("question", 1), ("image", 1), ("attention", 2)):
        ok(page.radio(key="vqa_model").set_value(key).run())
        assert len(figure(page, "vqa_vectors")["data"]) == rows, key
    table = page.dataframe[-1].value
    assert len(table) == 4 and table["relational %"].notna().all()
    assert table["user styles: relational %"].iloc[0] >= 93  # the attention model, on styles no training used


@pytest.mark.parametrize("text, message", [
    ("", "Type a question first"),
    ("what colour is the large cirkle?", "did you mean “circle”"),
    (("what shape is it? " * 600)[:10_000], "10,000 characters long"),
])
def test_bad_typed_questions_get_a_message(page, text, message):
    ok(page.radio(key="vqa_ask").set_value("Type your own").run())
    ok(page.text_input(key="vqa_text").input(text).run())
    assert any(message in e.value for e in page.error), [e.value for e in page.error]


def test_a_typed_question_is_answered(page):
    ok(page.radio(key="vqa_ask").set_value("Type your own").run())
    ok(page.text_input(key="vqa_text").input("How many circles are there?").run())
    assert not page.error
    counts = figure(page, "vqa_answers")["data"][0]["y"]
    assert counts[-1] in ("0", "1", "2", "3", "4")  # the likeliest answer (drawn on top) is a count
    ok(page.radio(key="vqa_ask").set_value("Pick a generated question").run())


def test_questions_are_generated_for_a_composed_scene():
    """A composed scene's objects are known, so the page generates questions about it with their true answers."""
    at = open_page(PAGE, timeout=120)
    ok(at.radio(key="vqa_source").set_value("Compose a scene").run())
    shown = " ".join(m.value for m in at.markdown)
    assert "**True answer:**" in shown and len(answers_table(at)) == 4
    count = next(t for t in at.selectbox(key="vqa_pick").options if "how many" in t and "circles" in t)
    ok(at.selectbox(key="vqa_pick").set_value(count.split("] ", 1)[1]).run())
    assert "**True answer:** 1" in " ".join(m.value for m in at.markdown)  # the table's one circle
