"""Visual question answering in a real browser: type a question, see the answer and the attention map; an empty
question, an unknown word and a 10,000-character question each get a clear message and no exception."""
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.harness import act, exception_texts, open_page, screenshot

ALERT = '[data-testid="stAlert"]'


def ask(page, text: str) -> None:
    box = page.get_by_label("Your question", exact=True).and_(page.get_by_test_id("stTextInputField"))
    box.fill(text)
    act(page, lambda: box.press("Enter"))


def test_type_a_question_see_the_answer_and_the_map_and_bad_questions_get_messages(app_url, page):
    open_page(page, app_url, "vqa")
    act(page, lambda: page.get_by_text("Type your own", exact=True).click())
    ask(page, "What shape is the object furthest from the small object?")
    answer = page.locator('[data-testid="stMarkdownContainer"]', has_text="Question:").first.inner_text()
    assert "furthest from the small object" in answer
    charts = page.locator('[data-testid="stPlotlyChart"]')
    assert charts.locator(".gtitle", has_text="five likeliest answers").count() == 1
    hop = charts.filter(has=page.locator(".gtitle", has_text="hop 2"))
    assert hop.locator(".heatmaplayer").count() == 1  # the map over the picture
    assert page.locator(ALERT).filter(has_text="does not know").count() == 0
    screenshot(page, ARTIFACTS / "vqa-typed.png")
    for text, message in (("", "Type a question first"),
                          ("what colour is the larg circle?", "did you mean “large”"),
                          ("x" * 10_000, "10,000 characters long")):
        ask(page, text)
        page.locator(ALERT, has_text=message).wait_for(timeout=30_000)
        assert exception_texts(page) == []
    screenshot(page, ARTIFACTS / "vqa-too-long.png")
