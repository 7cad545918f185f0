"""Make the README's screenshots by driving the real app in headless Chromium.

    python -m tests.e2e.make_screenshots        # writes docs/screenshot-*.png
"""
from __future__ import annotations

from tests.e2e.harness import ROOT, act, chromium, open_page, serve_app

DOCS = ROOT / "docs"


def main() -> None:
    """Open the pages a newcomer sees first, use them a little, and save what the browser shows."""
    DOCS.mkdir(exist_ok=True)
    with serve_app() as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1500})
        open_page(page, url, "hello_model")
        act(page, lambda: page.get_by_role("button", name="Train 50 steps").click())
        page.screenshot(path=str(DOCS / "screenshot-hello.png"))
        page.set_viewport_size({"width": 1400, "height": 1100})
        open_page(page, url, "rnn_shapes")
        act(page, lambda: page.get_by_text("many to many (encoder–decoder)", exact=True).click())
        page.screenshot(path=str(DOCS / "screenshot-shapes.png"))
        page.set_viewport_size({"width": 1400, "height": 1400})
        open_page(page, url, "sampling")
        page.screenshot(path=str(DOCS / "screenshot-sampling.png"))
        page.set_viewport_size({"width": 1400, "height": 1250})
        open_page(page, url, "hidden_states")
        page.screenshot(path=str(DOCS / "screenshot-hidden.png"))
        page.set_viewport_size({"width": 1400, "height": 1600})
        open_page(page, url, "captioning")
        page.screenshot(path=str(DOCS / "screenshot-captioning.png"))
        page.set_viewport_size({"width": 1400, "height": 1700})
        open_page(page, url, "vqa")
        page.screenshot(path=str(DOCS / "screenshot-vqa.png"))
    print(f"wrote {sorted(p.name for p in DOCS.glob('screenshot-*.png'))} in {DOCS}")


if __name__ == "__main__":
    main()
