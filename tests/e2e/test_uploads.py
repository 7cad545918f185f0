"""Hostile files through the real upload widgets in the browser: every one is refused with a message, the page
shows no exception, and a pickle payload never runs."""
import io
import os
import pickle
import shlex
import subprocess
import sys

import pytest
import torch

from tests.e2e.harness import EXCEPTION_SELECTOR, act, exception_texts, open_page
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


def code_carrying(marker, how: str) -> bytes:
    """A checkpoint-looking file whose unpickling would run `touch marker`: a bare pickle, or a torch.save zip."""

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {shlex.quote(str(marker))}",))

    if how == "pickle":
        return pickle.dumps({"kind": "charlm", "x": Payload()})
    buffer = io.BytesIO()
    torch.save({"kind": "charlm", "config": {}, "vocab": [], "state_dict": {"w": Payload()}, "metrics": {}}, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("how", ["pickle", "torch.save"])
def test_a_checkpoint_carrying_code_never_runs_it(app_url, page, tmp_path, how):
    """The server loads the upload in its own process on this machine: had the payload run, the file would exist."""
    marker = tmp_path / "pwned"
    data = code_carrying(marker, how)
    open_page(page, app_url, "train")
    upload(page, "model.pt", data)
    alert = page.locator(ALERT, has_text="model.pt")
    alert.or_(page.locator(EXCEPTION_SELECTOR)).first.wait_for(timeout=30_000)  # the page has read the file
    assert not marker.exists(), "unpickling the upload ran its code"
    assert "nothing in the file was run" in alert.inner_text() and exception_texts(page) == []
    # the same bytes do run code when unpickled without the guard: the test can tell
    (tmp_path / "evil.pt").write_bytes(data)
    subprocess.run([sys.executable, "-c", "import sys, torch; torch.load(sys.argv[1], weights_only=False)",
                    str(tmp_path / "evil.pt")], check=False, capture_output=True)
    assert marker.exists()


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
