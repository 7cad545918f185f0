"""The real app in headless Chromium: every page loads, the controls work, nothing raises."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from pages._registry import SECTIONS
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.harness import (
    act,
    exception_texts,
    metric_value,
    open_page,
    screenshot,
    wait_for_metric,
    wait_for_script,
)

HOME = "pages/home.py"  # the default page: served at the bare address, headed with the app's name
PAGES = {  # url path -> the heading the page must show: the title the sidebar gives it (pages/_registry.py)
    ("" if info.file == HOME else Path(info.file).stem): ("RNN Lab" if info.file == HOME else info.title)
    for pages in SECTIONS.values() for info in pages
}


@pytest.mark.parametrize("url_path", list(PAGES))
def test_every_page_loads_without_exception(app_url, page, url_path):
    open_page(page, app_url, url_path)
    assert page.get_by_role("heading", name=PAGES[url_path]).first.is_visible()
    # train: no run yet; gallery: this server's store is empty (it says how to fill it)
    assert page.locator(".js-plotly-plot").count() >= (0 if url_path in ("", "train", "gallery") else 1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot(page, ARTIFACTS / f"page-{url_path or 'home'}.png")
    assert exception_texts(page) == []


def test_sequence_length_slider_redraws_the_graph(app_url, page):
    open_page(page, app_url, "rnn_shapes")
    assert metric_value(page, "Uses of W_hh") == "4"
    thumb = page.locator('[data-testid="stSlider"]', has_text="Sequence length T").get_by_role("slider")
    thumb.focus()
    act(page, lambda: [thumb.press("ArrowRight") for _ in range(3)])
    wait_for_metric(page, "Uses of W_hh", "7")
    assert metric_value(page, "Uses of W_hh") == "7"
    assert exception_texts(page) == []


def test_train_button_lowers_the_loss(app_url, page):
    open_page(page, app_url, "hello_model")
    before = float(metric_value(page, "Total loss L"))
    act(page, lambda: page.get_by_role("button", name="Train 50 steps").click())
    wait_for_metric(page, "Steps trained", "50")
    assert float(metric_value(page, "Total loss L")) < before
    assert metric_value(page, "Right argmax") == "4 / 4"
    assert exception_texts(page) == []


def test_resample_and_argmax_on_the_sampling_page(app_url, page):
    open_page(page, app_url, "hello_sampling")
    caption = page.locator('[data-testid="stCaptionContainer"]', has_text="Generated text:").first
    first = caption.inner_text()
    seen = {first}
    for _ in range(4):
        act(page, lambda: page.get_by_role("button", name="Resample").click())
        seen.add(caption.inner_text())
    assert len(seen) > 1, "resampling with new seeds changes the text"
    act(page, lambda: page.get_by_text("argmax", exact=True).click())
    assert page.get_by_role("button", name="Resample").is_disabled()
    assert exception_texts(page) == []


def test_bad_seed_input_gets_a_message_not_a_traceback(app_url, page):
    open_page(page, app_url, "hello_sampling")
    caption = page.locator('[data-testid="stCaptionContainer"]', has_text="Generated text:").first
    before = caption.inner_text()
    widget = page.locator('[data-testid="stNumberInput"]', has_text="Seed")
    box = widget.locator("input")
    box.fill("-5")
    act(page, lambda: box.press("Enter"))
    assert "outside the allowed range" in widget.get_by_role("alert").inner_text()
    assert caption.inner_text() == before, "the refused seed did not change the sample"
    assert exception_texts(page) == []


@pytest.mark.slow
def test_a_deep_link_opened_first_on_a_fresh_server_runs_inside_the_router(browser):
    """Streamlit serves a pages/ file without app.py until app.py has run once; the pages guard it."""
    from tests.e2e.harness import serve_app

    with serve_app() as fresh_url:
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            open_page(tab, fresh_url, "hello_model")
            assert tab.locator("h1").first.inner_text() == PAGES["hello_model"]
            nav = tab.locator('[data-testid="stSidebarNav"]').inner_text()
            assert "RNN basics" in nav and "The recurrence and its shapes" in nav, nav
            assert exception_texts(tab) == []
        finally:
            tab.close()


def edit_first_cell(page, table_index: int, text: str) -> None:
    """Type `text` into the first data cell of the table_index-th table (a canvas grid) and press Enter."""
    wait_for_script(page)
    grid = page.locator('[data-testid="stDataFrame"]').nth(table_index)
    for attempt in range(3):  # the grid can be replaced while a rerun paints: look it up again and retry
        try:
            grid.scroll_into_view_if_needed()
            break
        except PlaywrightError:
            if attempt == 2:
                raise
            page.wait_for_timeout(500)
    page.wait_for_timeout(300)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + 35 + 17)  # below the 35 px header row
    page.wait_for_timeout(300)
    page.keyboard.type(text, delay=50)
    page.wait_for_timeout(300)  # let the cell editor take the last keystroke before Enter commits it
    act(page, lambda: page.keyboard.press("Enter"))


def test_editing_a_weight_recomputes_and_a_bad_weight_gets_a_message(app_url, page):
    open_page(page, app_url, "hello_model")
    before = metric_value(page, "Total loss L")
    edit_first_cell(page, 3, "2")  # table 0 is the per-step table; 1-3 are W_xh, W_hh, W_hy
    page.wait_for_function(
        """(before) => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m =>
               m.innerText.includes('Total loss L')
               && m.querySelector('[data-testid="stMetricValue"]').innerText.trim() !== before)""",
        arg=before, timeout=30_000)
    edited = metric_value(page, "Total loss L")
    edit_first_cell(page, 3, "500")
    alert = page.locator('[data-testid="stAlert"]', has_text="Kept the old value")
    alert.wait_for(timeout=30_000)
    assert "between -100 and 100" in alert.inner_text()
    assert metric_value(page, "Total loss L") == edited
    assert exception_texts(page) == []



def test_training_runs_in_the_background_survives_a_page_switch_and_stops(app_url, page):
    open_page(page, app_url, "train")
    thumb = page.locator('[data-testid="stSlider"]', has_text="Hidden units").get_by_role("slider")
    thumb.focus()
    act(page, lambda: [thumb.press("ArrowLeft") for _ in range(3)])  # 512 -> 64 units: quick steps
    act(page, lambda: page.get_by_role("button", name="Start training").click())
    page.locator('[data-testid="stMetric"]', has_text="Step").wait_for(timeout=60_000)
    act(page, lambda: page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Home").click())
    page.wait_for_timeout(2000)
    act(page, lambda: page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Train your own").click())
    first = int(metric_value(page, "Step"))
    page.wait_for_function(
        """(first) => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m => m.innerText.includes('Step')
               && parseInt(m.querySelector('[data-testid="stMetricValue"]').innerText) > first)""",
        arg=first, timeout=60_000)
    page.get_by_role("button", name="Stop").click()
    page.get_by_text("stopped after").wait_for(timeout=60_000)
    assert exception_texts(page) == []
