"""The hidden-state pages in a real browser: picking a unit recolours the text; odd texts get messages."""
from tests.e2e.harness import act, exception_texts, open_page

UNIT_TEXT = ".rnnlab-text"  # the shaded-text component (Playwright's CSS selectors reach into its shadow root)


def colours(page) -> list[str]:
    """The background of every character of the unit-coloured text."""
    return page.locator(f"{UNIT_TEXT} span").evaluate_all("spans => spans.map(s => s.style.background)")


def tooltip(page) -> str:
    return page.locator(f"{UNIT_TEXT} span").first.get_attribute("title")


def alert_texts(page) -> str:
    return " ".join(a.inner_text() for a in page.locator('[data-testid="stAlert"]').all())


def paste(page, text: str) -> None:
    """Type `text` into the "Your own text" box and commit it (Ctrl+Enter), waiting for the rerun."""
    box = page.locator('[data-testid="stTextArea"] textarea')
    # as a paste does: the whole value at once (typing 100,000 characters through fill() takes minutes)
    box.evaluate("""(el, v) => {
                      Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set.call(el, v);
                      el.dispatchEvent(new Event('input', {bubbles: true})); }""", text)
    act(page, lambda: box.press("Control+Enter"))


def test_choosing_a_unit_recolours_the_text_and_the_heatmap_draws(app_url, page):
    open_page(page, app_url, "hidden_states")
    assert page.locator('[data-testid="stPlotlyChart"] .main-svg').count() >= 1
    page.locator(f"{UNIT_TEXT} span").first.wait_for(timeout=30_000)  # the component draws after the page's run ends
    before = colours(page)
    assert len(before) == 2000
    box = page.locator('[data-testid="stNumberInput"]', has_text="Unit").locator("input")
    box.fill("5")
    act(page, lambda: box.press("Enter"))
    page.locator(f"{UNIT_TEXT} span[title*='#5 ']").first.wait_for(timeout=30_000)
    after = colours(page)
    assert sum(a != b for a, b in zip(before, after)) > len(before) // 2
    assert "#5 " in tooltip(page)
    assert exception_texts(page) == []


def test_odd_texts_get_messages_not_tracebacks(app_url, page):
    open_page(page, app_url, "hidden_states")
    act(page, lambda: page.get_by_text("Your own text", exact=True).click())
    paste(page, "All the world's a stage.\n" * 4000)  # 100,000 characters
    assert "only the first 3,000 are analysed" in alert_texts(page)
    paste(page, "Ünïcödé — “quoted” 日本")
    assert "not in this model's vocabulary" in alert_texts(page)
    paste(page, "x")
    assert "at least 20 characters" in alert_texts(page)
    paste(page, "")
    assert "the text is empty" in alert_texts(page)
    assert exception_texts(page) == []


def test_selecting_a_row_of_the_finder_table_shows_that_unit(app_url, page):
    open_page(page, app_url, "hidden_states")
    unit_box = page.locator('[data-testid="stNumberInput"]', has_text="Unit").locator("input")
    before = unit_box.input_value()
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    box = grid.bounding_box()
    act(page, lambda: page.mouse.click(box["x"] + 18, box["y"] + 35 + 35 + 17))  # the second row's checkbox
    page.wait_for_function("([sel, before]) => document.querySelector(sel).value !== before",
                           arg=['[data-testid="stNumberInput"] input[aria-label="Unit"]', before], timeout=30_000)
    second = unit_box.input_value()
    assert second != before
    page.locator(f"{UNIT_TEXT} span[title*='#{second} ']").first.wait_for(timeout=30_000)
    assert exception_texts(page) == []
