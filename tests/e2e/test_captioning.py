"""Captioning in a real browser: upload an image, see the caption and the overlay, change the word, switch
soft/hard, feed a bad file."""
import io

import numpy as np
from PIL import Image

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.harness import act, exception_texts, open_page, screenshot

OVERLAY = '[data-testid="stPlotlyChart"]'


def chart_title(page) -> str:
    """The title of the first figure (the per-word overlay)."""
    return page.locator(f"{OVERLAY} .gtitle").first.text_content()


def upload(page, name: str, data: bytes, mime: str = "image/png") -> None:
    act(page, lambda: page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        {"name": name, "mimeType": mime, "buffer": data}))


def test_upload_an_image_see_the_caption_and_the_overlay_change_word_and_model(app_url, page):
    open_page(page, app_url, "captioning")
    act(page, lambda: page.get_by_text("Upload an image", exact=True).click())
    picture = np.full((240, 320, 3), 235, np.uint8)
    picture[40:120, 30:110] = (40, 80, 220)  # a blue square on the left
    yy, xx = np.mgrid[0:240, 0:320]
    picture[(yy - 160) ** 2 + (xx - 240) ** 2 < 35**2] = (220, 40, 40)  # a red circle on the right
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="JPEG")
    upload(page, "two-shapes.jpg", buffer.getvalue())
    captions = page.locator('[data-testid="stMarkdownContainer"]', has_text="log p =")
    assert captions.count() == 3 and any("soft attention" in c.inner_text() for c in captions.all())
    soft = next(c.inner_text() for c in captions.all() if "soft attention" in c.inner_text())
    assert all(word in soft for word in ("blue", "square", "red", "circle")), soft  # a drawing of its own, named
    assert page.locator(OVERLAY).first.locator(".heatmaplayer").count() == 1  # the map over the picture
    first = chart_title(page)
    slider = page.locator('[data-testid="stSlider"]', has_text="Word").get_by_role("slider")
    slider.focus()
    act(page, lambda: slider.press("ArrowRight"))
    act(page, lambda: slider.press("ArrowRight"))
    assert chart_title(page) != first
    assert "word 3" in chart_title(page)
    follow = page.locator('[data-testid="stRadio"]', has_text="Follow the caption of")
    act(page, lambda: follow.get_by_text("hard", exact=True).click())
    titles = [t.text_content() for t in page.locator(f"{OVERLAY} .gtitle").all()]
    assert any(t.startswith("How focused the hard attention") for t in titles)
    assert page.locator(f"{OVERLAY} .updatemenu-button").count() == 0  # the animation is built only when asked for
    act(page, lambda: page.get_by_text("▶ Play the hard attention across the whole caption").click())
    page.locator(f"{OVERLAY} .updatemenu-button", has_text="play").wait_for(timeout=30_000)
    screenshot(page, ARTIFACTS / "captioning-upload.png")
    upload(page, "notes.png", b"plain text pretending to be a picture " * 20)
    # replacing a file reruns twice (old file removed, new one in): wait for the second rerun's message
    page.locator('[data-testid="stAlert"]', has_text="not an image this app can read").wait_for(timeout=30_000)
    assert exception_texts(page) == []


def edit_cell(page, row: int, column: int, value: str) -> None:
    """Type `value` into a cell of the composer's table (row and column from 0, not counting the row markers), with
    the keyboard as a user does: click the row's first cell, arrow across, Enter, type, Enter."""
    box = page.locator('[data-testid="stDataFrame"]').first.bounding_box()

    def typing() -> None:
        page.mouse.click(box["x"] + 60, box["y"] + 35 + 35 * row + 17)  # 35 px rows under a 35 px header
        for _ in range(column):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        page.wait_for_timeout(300)
        page.keyboard.press("Control+A")
        page.keyboard.type(value)
        page.wait_for_timeout(300)
        page.keyboard.press("Enter")
    act(page, typing)


def test_compose_a_scene_move_an_object_onto_another_and_back(app_url, page):
    """The composer's scene is captioned with its true caption; moving the square onto the circle gets a message
    saying they overlap (no traceback); moving it away captions the scene again."""
    open_page(page, app_url, "captioning")
    act(page, lambda: page.get_by_text("Compose a scene", exact=True).click())
    truth = page.locator('[data-testid="stMarkdownContainer"]', has_text="True caption:")
    assert "a large red circle to the left of a small blue square" in truth.inner_text()
    edit_cell(page, 1, 3, "30")  # the blue square's "across %": onto the red circle
    page.locator('[data-testid="stAlert"]', has_text="overlap").wait_for(timeout=30_000)
    assert truth.count() == 0 and exception_texts(page) == []
    edit_cell(page, 1, 3, "95")  # against the right edge
    page.locator('[data-testid="stMarkdownContainer"]', has_text="True caption:").wait_for(timeout=30_000)
    assert page.locator('[data-testid="stAlert"]', has_text="overlap").count() == 0
    captions = page.locator('[data-testid="stMarkdownContainer"]', has_text="log p =")
    assert captions.count() == 3 and page.locator(OVERLAY).first.locator(".heatmaplayer").count() == 1
    screenshot(page, ARTIFACTS / "captioning-composed.png")
