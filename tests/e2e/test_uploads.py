"""Hostile files through the real upload widgets in the browser: every one is refused with a message, the page
shows no exception, and the pickle payload never runs."""
import pytest

from tests.e2e.harness import act, exception_texts, open_page
from tests.fuzz.corpus import BAD_FILES

ALERT = '[data-testid="stAlert"]'
FILES = ["random 1 kB", "PNG header then junk", "zip (torch) header then junk", "a pickle that runs code",
         "UTF-16 text with a BOM"]


def upload(page, name: str, data: bytes, nth: int = 0) -> None:
    act(page, lambda: page.locator('[data-testid="stFileUploader"] input[type="file"]').nth(nth).set_input_files(
        {"name": name, "mimeType": "application/octet-stream", "buffer": data}))


@pytest.mark.parametrize("kind", FILES)
def test_hostile_images_are_refused(app_url, page, kind):
    open_page(page, app_url, "captioning")
    act(page, lambda: page.get_by_text("Upload an image", exact=True).click())
    upload(page, "picture.png", BAD_FILES[kind])
    page.locator(ALERT, has_text="picture.png").wait_for(timeout=30_000)
    assert exception_texts(page) == []


@pytest.mark.parametrize("kind", FILES)
def test_hostile_checkpoints_are_refused(app_url, page, kind):
    open_page(page, app_url, "train")
    upload(page, "model.pt", BAD_FILES[kind])
    page.locator(ALERT, has_text="not a valid RNN Lab checkpoint").wait_for(timeout=30_000)
    assert exception_texts(page) == []
    assert "pwned" not in page.content()


@pytest.mark.parametrize("kind", ["random 1 kB", "UTF-16 text with a BOM", "Latin-1 text", "empty"])
def test_hostile_training_texts_are_refused(app_url, page, kind):
    open_page(page, app_url, "train")
    box = page.locator('[data-testid="stSelectbox"]', has_text="Corpus")
    act(page, lambda: box.click())
    act(page, lambda: page.get_by_role("option", name="upload").click())
    upload(page, "notes.txt", BAD_FILES[kind])
    act(page, lambda: page.get_by_role("button", name="Start training").click())
    page.locator(ALERT, has_text="notes.txt").wait_for(timeout=30_000)
    assert exception_texts(page) == []
