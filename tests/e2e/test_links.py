"""Every view has a link, in Chromium: on every page of the registry but the home page, two controls changed as a
user changes them put their values in the address, and that address opened in a fresh browser context (a new
session) shows the same controls and the same result. The "Copy link to this view" button copies that address, or
shows it in a box when the clipboard is refused; a hostile link gets a one-line notice, shown as text."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

import pytest

from pages._registry import SECTIONS
from tests.e2e.harness import act, exception_texts, open_page

HOME = "pages/home.py"  # the bare address: its only controls lead to other pages
PAGES = [Path(info.file).stem for pages in SECTIONS.values() for info in pages if info.file != HOME]
VIEWPORT = {"width": 1400, "height": 1000}
MAIN = '[data-testid="stMain"]'
NOTICE = "This link's"  # how pages/_links.py starts the notice about a link's unusable values


class Change(NamedTuple):
    """One control to change as a user does: `kind` is slider (a key press), number (type, Enter), radio (click
    `option`) or temperature (the sampling page's own slider, a key press); `label` is the control's label."""

    kind: str
    label: str
    option: str = ""


# Pages where the generic choice (first_two) does not find two controls worth changing.
CHOSEN: dict[str, tuple[Change, ...]] = {
    "rnn_shapes": (Change("radio", "Shape", "many to many (encoder–decoder)"), Change("slider", "Sequence length T")),
    "vqa": (Change("number", "Scene seed"), Change("radio", "Look inside", "lecture's model")),  # no slider
    "sampling": (Change("temperature", "Temperature T"), Change("number", "Seed")),  # the one linked by hand
    "gallery": (),  # no control: it lists every model of the server, so its link is its bare address
}

# What the main area shows, as a user would compare it: every control's value (inputs' values, a slider being an
# <input type="range">; radios' and checkboxes' checked), its text (innerText does not enter the components' shadow
# roots: they are read one by one), the data of every plotly chart (without the uid plotly may add) and the images.
VIEW_JS = """(main) => {
  const controls = [], texts = [main.innerText], media = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll('input, textarea')) {
      const box = el.closest('[data-testid="stElementContainer"]');
      const label = box?.querySelector('[data-testid="stWidgetLabel"]')?.innerText.trim()
                    || el.getAttribute('aria-label') || el.className;
      const value = ['radio', 'checkbox'].includes(el.type) ? `${el.closest('label')?.innerText.trim()}:${el.checked}`
                  : el.value;
      controls.push(`${label} = ${value}`);
    }
    for (const img of root.querySelectorAll('img')) media.push(img.getAttribute('src'));
    for (const host of root.querySelectorAll('*')) {
      if (host.shadowRoot) {
        texts.push(...[...host.shadowRoot.children].map(c => c.innerText || ''));
        visit(host.shadowRoot);
      }
    }
  };
  visit(main);
  const charts = [...main.querySelectorAll('.js-plotly-plot')]
    .map(gd => JSON.stringify(gd.data, (k, v) => k === 'uid' ? undefined : v));
  return {controls, texts, charts, media};
}"""


class View(NamedTuple):
    """What a tab's main area shows (VIEW_JS); charts as digests of their data, to keep a failure readable."""

    controls: list[str]
    texts: list[str]
    charts: list[str]
    media: list[str]


def view(page) -> View:
    """What the main area of `page` shows now."""
    seen = page.locator(MAIN).evaluate(VIEW_JS)
    charts = [hashlib.sha1(c.encode()).hexdigest()[:12] for c in seen["charts"]]
    return View(seen["controls"], seen["texts"], charts, seen["media"])


def query(url: str) -> dict[str, list[str]]:
    """The query parameters of `url`."""
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def widget(page, testid: str, label: str):
    """The main area's widget of kind `testid` (stSlider, stRadio, …) labelled exactly `label`."""
    exact = re.compile(rf"^\s*{re.escape(label)}\s*$")
    return page.locator(MAIN).locator(f'[data-testid="{testid}"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=exact))


def first_two(page) -> tuple[Change, ...]:
    """The generic choice: the main area's first two enabled sliders or number inputs, in the order drawn."""
    changes = []
    for w in page.locator(MAIN).locator('[data-testid="stSlider"], [data-testid="stNumberInput"]').all():
        slider = w.get_attribute("data-testid") == "stSlider"
        control = w.get_by_role("slider").first if slider else w.locator("input")
        if control.get_attribute("aria-disabled") == "true" or control.is_disabled():
            continue
        label = w.locator('[data-testid="stWidgetLabel"]').inner_text().strip()
        changes.append(Change("slider" if slider else "number", label))
        if len(changes) == 2:
            break
    return tuple(changes)


def change(page, c: Change) -> None:
    """Change one control as a user does, and wait for the rerun it starts."""
    if c.kind == "temperature":
        slider = page.locator(MAIN).locator("input.rnnlab-temperature")
        slider.focus()
        act(page, lambda: slider.press("End"))  # the component tells the server 150 ms after the slider rests…
        page.wait_for_url(re.compile(r"[?&]temperature="), timeout=10_000)  # …and its rerun writes the address
    elif c.kind == "radio":
        act(page, lambda: widget(page, "stRadio", c.label).get_by_text(c.option, exact=True).click())
    elif c.kind == "slider":
        thumb = widget(page, "stSlider", c.label).get_by_role("slider").first
        at_end = float(thumb.input_value()) >= float(thumb.get_attribute("max"))  # an <input type="range">
        thumb.focus()
        act(page, lambda: thumb.press("ArrowLeft" if at_end else "ArrowRight"))
    else:
        box = widget(page, "stNumberInput", c.label).locator("input")
        box.fill(str(int(float(box.input_value())) + 1))
        act(page, lambda: box.press("Enter"))


@pytest.mark.parametrize("url_path", PAGES)
def test_two_changed_controls_reopen_from_the_address_in_a_fresh_browser(app_url, browser, page, url_path):
    open_page(page, app_url, url_path)
    changes = CHOSEN[url_path] if url_path in CHOSEN else first_two(page)
    assert len(changes) == (0 if url_path == "gallery" else 2), f"two controls to change: {changes}"
    for c in changes:
        address, controls = query(page.url), view(page).controls
        change(page, c)
        assert view(page).controls != controls, f"{c.label}: the control did not change"
        assert query(page.url) != address, f"{c.label}: the address does not carry the change ({page.url})"
    shown = view(page)
    fresh = browser.new_context(viewport=VIEWPORT).new_page()  # no cookie, no session: only the address
    try:
        open_page(fresh, app_url, page.url.removeprefix(f"{app_url}/"))
        again = view(fresh)
        assert query(fresh.url) == query(page.url), "the page took the link as it is"
        assert again.controls == shown.controls
        assert again.texts == shown.texts
        assert again.charts == shown.charts
        assert again.media == shown.media
        assert not fresh.locator(MAIN).get_by_text(NOTICE).count(), "the page's own link is taken whole"
        assert exception_texts(page) == [] and exception_texts(fresh) == []
    finally:
        fresh.context.close()


def test_copy_link_copies_the_address_of_the_view(app_url, browser):
    context = browser.new_context(viewport=VIEWPORT, permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        open_page(page, app_url, "sampling")
        change(page, Change("number", "Seed"))
        assert query(page.url)["lm_seed"] == ["1"]
        page.get_by_role("button", name="Copy link to this view").click()
        page.get_by_role("status").filter(has_text="Copied.").wait_for(timeout=5_000)
        assert page.evaluate("navigator.clipboard.readText()") == page.url
        assert not page.get_by_label("Link to this view").is_visible()
        assert exception_texts(page) == []
    finally:
        context.close()


def test_a_refused_clipboard_shows_the_address_in_a_box(app_url, browser):
    context = browser.new_context(viewport=VIEWPORT)  # no clipboard permission…
    # …and headless Chromium may let a page write to it all the same: refuse it as a browser that says no does
    context.add_init_script("navigator.clipboard.writeText = () => "
                            "Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError'));")
    try:
        page = context.new_page()
        open_page(page, app_url, "sampling")
        change(page, Change("number", "Seed"))
        page.get_by_role("button", name="Copy link to this view").click()
        box = page.get_by_label("Link to this view")
        box.wait_for(state="visible", timeout=5_000)
        assert box.input_value() == page.url and "lm_seed=1" in page.url
        assert "Copy it from the box" in page.locator(".rnnlab-link-status").inner_text()
        assert exception_texts(page) == []
    finally:
        context.close()


def test_a_hostile_link_gets_a_one_line_notice_as_text_and_the_defaults(app_url, page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_page(page, app_url, "sampling?lm_seed=abc&sample_chars=%3Cscript%3Ealert(1)%3C%2Fscript%3E&temperature=nan")
    notice = page.locator(MAIN).locator('[data-testid="stAlert"]', has_text=NOTICE)
    assert notice.count() == 1
    text = notice.locator('[data-testid="stMarkdownContainer"]').inner_text()  # without its icon's name
    assert "lm_seed=abc" in text and "temperature=nan" in text, text
    assert "sample_chars=<script>alert(1)</script>" in text, "the value is quoted as text"
    assert len(text.strip().splitlines()) == 1, text
    scripts = page.locator(MAIN).evaluate("""(main) => { const found = [];
        const visit = (root) => { found.push(...root.querySelectorAll('script'));
            for (const el of root.querySelectorAll('*')) if (el.shadowRoot) visit(el.shadowRoot); };
        visit(main); return found.length; }""")
    assert scripts == 0, "no element was made from the link"
    assert widget(page, "stNumberInput", "Seed").locator("input").input_value() == "0"
    assert widget(page, "stSlider", "Characters").get_by_role("slider").input_value() == "300"
    assert page.locator(MAIN).locator("input.rnnlab-temperature").get_attribute("aria-valuetext") == "T = 0.80"
    page.wait_for_timeout(300)
    assert dialogs == [] and exception_texts(page) == []
