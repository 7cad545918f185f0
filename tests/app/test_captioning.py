"""Captioning & attention: captions with per-word maps, the word selector and the soft/hard switch redraw the
map, photos get the CNN's view and a plain warning, and every bad upload gets a message."""
import io
import re

import numpy as np
import pytest
from PIL import Image

from core.plots.export import plain_values
from tests.app.helpers import figure, ok, open_page, values

PAGE = "pages/captioning.py"


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE, timeout=120)


def overlay(at, model: str = "soft") -> dict:
    return figure(at, f"cap_overlay_{model}")


def test_a_held_out_scene_gets_three_captions_and_a_scored_map(page):
    captions = [m.value for m in page.markdown if "· log p =" in m.value]
    assert len(captions) == 3 and "True caption" in " ".join(m.value for m in page.markdown)
    soft = next(c for c in captions if c.startswith("**soft"))
    assert "blue-badge" in soft and "✓]" in soft  # at least one colour/shape word points at its object (mark + colour)
    fig = overlay(page)
    assert fig["data"][1]["type"] == "heatmap" and len(fig["layout"]["shapes"]) >= 1  # true boxes drawn
    field = fig["data"][1]["z"]
    z = np.asarray(plain_values(field)) if isinstance(field, dict) else np.array(field, dtype=float)
    r, c = np.unravel_index(int(np.argmax(z)), z.shape)  # the text alternative says where the map is highest
    said = fig["layout"]["meta"]["summary"]
    assert f"{100 * (c + 0.5) / z.shape[1]:.0f}% of the way across and {100 * (r + 0.5) / z.shape[0]:.0f}%" in said
    assert all(a["text"] in said for a in fig["layout"]["annotations"])  # and every box with its mark
    table = page.dataframe[0].value  # (a dataframe without selection carries no key in AppTest)
    assert len(table) == 3 and table["object recall %"].notna().all()


def test_choosing_another_word_moves_the_map(page):
    first = overlay(page)
    options = page.select_slider(key="cap_word").options
    assert len(options) >= 3
    ok(page.select_slider(key="cap_word").set_value(options[2]).run())
    third = overlay(page)
    assert "word 3: “" in third["layout"]["title"]["text"] and "word 1: “" in first["layout"]["title"]["text"]
    assert values(third["data"][1]["customdata"]) != values(first["data"][1]["customdata"])  # another map
    entropy = figure(page, "cap_entropy")
    assert len(values(entropy["data"][0]["y"])) == len(options)


def test_soft_and_hard_side_by_side_and_the_switch_follows_the_hard_caption(page):
    soft, hard = overlay(page, "soft"), overlay(page, "hard")
    assert soft["layout"]["title"]["text"].startswith("soft attention")
    assert hard["layout"]["title"]["text"].startswith("hard attention")
    glimpses = [t for t in hard["data"] if t.get("name") == "sampled glimpse"]
    assert glimpses and len(values(glimpses[0]["x"])) == 8  # 8 readings of the caption, one glimpse each
    assert not [t for t in soft["data"] if t.get("name") == "sampled glimpse"]
    ok(page.radio(key="cap_view").set_value("hard").run())
    assert "hard attention" in figure(page, "cap_entropy")["layout"]["title"]["text"]
    ok(page.radio(key="cap_view").set_value("soft").run())
    assert "soft attention" in figure(page, "cap_entropy")["layout"]["title"]["text"]


def test_the_animation_is_built_only_while_its_expander_is_open(page):
    assert not [c for c in page.get("plotly_chart") if c.proto.id.endswith("-cap_animation")]  # closed: not sent
    page.session_state["cap_play"] = True  # what opening it in the browser sets (then the fragment reruns)
    ok(page.run())
    frames = figure(page, "cap_animation")["frames"]
    words = page.select_slider(key="cap_word").options
    assert [f["name"] for f in frames] == [str(k) for k in range(len(words))]  # one frame per word of the caption
    page.session_state["cap_play"] = False
    ok(page.run())
    assert not [c for c in page.get("plotly_chart") if c.proto.id.endswith("-cap_animation")]


@pytest.mark.parametrize("mode", ["beam", "sample"])
def test_beam_search_and_sampling_redraw_without_errors(page, mode):
    ok(page.radio(key="cap_mode").set_value(mode).run())
    assert len([m for m in page.markdown if "· log p =" in m.value]) == 3
    ok(page.radio(key="cap_mode").set_value("greedy").run())


def test_a_photo_says_the_captioner_only_knows_shapes_and_shows_the_cnns_labels(page):
    ok(page.radio(key="cap_source").set_value("Sample photo").run())
    ok(page.selectbox(key="cap_photo").set_value("a cat (Chelsea)").run())
    assert any("This is a photo" in i.value and "do **not** describe it" in i.value for i in page.info)
    labels = figure(page, "cap_labels")["data"][0]["y"]
    assert labels[-1] in ("tabby", "tiger cat", "Egyptian cat")  # likeliest drawn on top
    box = page.selectbox(key="cap_cam")
    assert box.value in (281, 282, 285)  # tabby, tiger cat, Egyptian cat: the top class explained first
    cam = figure(page, "cap_camfig")
    assert cam["data"][1]["type"] == "heatmap"
    second = int(re.search(r"\(class (\d+)\)", box.options[1]).group(1))  # options show "name (class N)"
    ok(box.set_value(second).run())
    other = figure(page, "cap_camfig")
    assert values(other["data"][1]["customdata"]) != values(cam["data"][1]["customdata"])  # another label, another map
    ok(page.radio(key="cap_source").set_value("Generated scene").run())


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("name, data, message", [
    ("empty.png", b"", "empty"),
    ("notes.png", b"this is text, not pixels " * 40, "not an image"),
    ("cut.png", png(Image.new("RGB", (300, 300), (200, 10, 10)))[:400], "damaged or cut short"),
])
def test_bad_uploads_get_a_message_not_a_traceback(page, name, data, message):
    ok(page.radio(key="cap_source").set_value("Upload an image").run())
    ok(page.file_uploader(key="cap_upload").set_value((name, data, "image/png")).run())
    assert any(message in e.value for e in page.error), [e.value for e in page.error]


def test_an_uploaded_image_is_captioned(page):
    ok(page.radio(key="cap_source").set_value("Upload an image").run())
    picture = np.full((200, 300, 3), 230, np.uint8)
    picture[60:140, 40:120] = (220, 40, 40)
    ok(page.file_uploader(key="cap_upload").set_value(("red.png", png(Image.fromarray(picture)), "image/png")).run())
    assert not page.error and overlay(page)["data"][1]["type"] == "heatmap" and overlay(page, "hard")["data"]
    assert len([m for m in page.markdown if "· log p =" in m.value]) == 3
    assert any("padded to a square" in c.value for c in page.caption)  # 300 × 200: what the models see is said
    assert any("The models learned drawn scenes" in i.value and "styles it never trained on" in i.value
               for i in page.info)  # what the shipped soft model scored on the user-style test set


def test_a_composed_scene_is_captioned_and_scored_like_a_generated_one():
    """"Compose a scene": the default table draws three objects; the true caption is shown and the captions' words are
    scored against them, in every look; the model view carries the true boxes."""
    at = open_page(PAGE, timeout=120)
    ok(at.radio(key="cap_source").set_value("Compose a scene").run())
    truth = "a large red circle to the left of a small blue square and a small yellow triangle"
    for look in ("flat paint on white", "pencil outlines on ruled paper"):
        ok(at.selectbox(key="cap_look").set_value(look).run())
        assert any(m.value == f"**True caption:** {truth}" for m in at.markdown)
        soft = next(m.value for m in at.markdown if m.value.startswith("**soft") and "· log p =" in m.value)
        assert "badge[red ✓]" in soft and "badge[circle ✓]" in soft  # scored against the composed objects
        assert len(overlay(at)["layout"]["shapes"]) >= 3  # the three true boxes
    assert not at.error


def test_the_hard_attention_ablation_is_shown_or_how_to_make_it(monkeypatch, tmp_path):
    """The expander shows the measured rows (assets/hard-attention-ablation.json); without the file, the command that
    makes it."""
    import core.vision.shipped as shipped
    from benchmarks.hard_attention import ROWS

    at = open_page(PAGE, timeout=120)
    table = next(d.value for d in at.dataframe if "training" in d.value.columns)
    assert len(table) == len(ROWS) and table["every object named %"].between(0, 100).all()
    said = next(m.value for m in at.markdown if m.value.startswith("**What made the difference:**")).replace("\\", "")
    assert "first state from the image (+25.3 points) and warm start from soft (+23.7 points)" in said, said
    monkeypatch.setattr(shipped, "HARD_ABLATION", tmp_path / "absent.json")
    at = open_page(PAGE, timeout=120)
    assert any("python -m benchmarks.hard_attention" in i.value for i in at.info)
    assert not any("training" in d.value.columns for d in at.dataframe)


def test_a_drawing_on_dark_paper_is_captioned_on_white_and_says_so(page):
    """A dark-mode drawing: the models see it on white paper (core.vision.drawings.upload_view), the note says why, and
    the caption names what is drawn."""
    ok(page.radio(key="cap_source").set_value("Upload an image").run())
    picture = np.full((300, 400, 3), 12, np.uint8)
    picture[100:200, 60:160] = (40, 80, 220)  # a large blue square on black
    ok(page.file_uploader(key="cap_upload").set_value(("dark.png", png(Image.fromarray(picture)), "image/png")).run())
    assert any("dark paper" in c.value for c in page.caption)
    soft = next(m.value for m in page.markdown if m.value.startswith("**soft attention"))
    assert "blue" in soft and "square" in soft, soft


def test_a_drawing_in_outline_is_captioned_filled_and_says_so(page):
    """Shapes drawn only as coloured outlines: the models see them filled (core.vision.drawings.upload_view) and the
    note says so."""
    from PIL import ImageDraw

    ok(page.radio(key="cap_source").set_value("Upload an image").run())
    picture = Image.new("RGB", (400, 300), (250, 250, 250))
    ImageDraw.Draw(picture).line([(60, 100), (160, 100), (160, 200), (60, 200), (60, 100)], fill=(220, 40, 40),
                                 width=6, joint="curve")  # a large red square, in outline
    ok(page.file_uploader(key="cap_upload").set_value(("pen.png", png(picture), "image/png")).run())
    assert any("drawn in outline, so the 1 shape the outlines close is filled" in c.value for c in page.caption)
    soft = next(m.value for m in page.markdown if m.value.startswith("**soft attention"))
    assert "red" in soft and "square" in soft, soft


def test_a_small_drawing_on_a_big_page_is_zoomed_onto_and_says_so(page):
    """Two shapes drawn small in a corner of a 1600 × 900 page: the models see the drawing zoomed in
    (core.vision.drawings.upload_view), the note says so, and the caption names both."""
    from PIL import ImageDraw

    ok(page.radio(key="cap_source").set_value("Upload an image").run())
    picture = Image.new("RGB", (1600, 900), (255, 255, 255))
    pen = ImageDraw.Draw(picture)
    pen.rectangle([1300, 120, 1370, 190], fill=(220, 40, 40))  # a red square, 4% of the page's width
    pen.ellipse([1420, 200, 1500, 280], fill=(40, 80, 220))  # a blue circle
    ok(page.file_uploader(key="cap_upload").set_value(("page.png", png(picture), "image/png")).run())
    assert any("drawn small on a big page, so the view is zoomed in" in c.value for c in page.caption)
    soft = next(m.value for m in page.markdown if m.value.startswith("**soft attention"))
    assert "red square" in soft and "blue circle" in soft, soft


def test_a_drawing_coloured_in_with_strokes_is_captioned_filled_and_says_so(page):
    """A square coloured in with a zigzag of red marker, paper between the strokes: the models see it solid
    (core.vision.drawings.upload_view) and the note says so."""
    from PIL import ImageDraw

    ok(page.radio(key="cap_source").set_value("Upload an image").run())
    picture = Image.new("RGB", (400, 300), (250, 250, 250))
    ImageDraw.Draw(picture).line([(60 + 10 * k, 100 if k % 2 else 200) for k in range(11)], fill=(220, 40, 40),
                                 width=5, joint="curve")  # a large red square, scribbled in
    ok(page.file_uploader(key="cap_upload").set_value(("scribble.png", png(picture), "image/png")).run())
    assert any("coloured in with strokes" in c.value for c in page.caption)
    soft = next(m.value for m in page.markdown if m.value.startswith("**soft attention"))
    assert "red" in soft and "square" in soft, soft
