"""Every free-text box of the app, fed the bad-text corpus through the real pages (AppTest): no exception ever, a
message where the text cannot be used, and user text shown as text, never as HTML or Markdown."""
from __future__ import annotations

import pytest

from tests.app.helpers import component_data, ok, open_page
from tests.fuzz.corpus import BAD_TEXTS

# a browser cannot send a lone surrogate (it is not Unicode text); everything else can be typed or pasted
TEXTS = {name: text for name, text in BAD_TEXTS.items() if name != "a lone surrogate"}


def shown(at) -> str:
    """Everything the page wrote as text: markdown, captions and alerts."""
    return " ".join(e.value for kind in ("markdown", "caption", "error", "warning", "info", "success")
                    for e in getattr(at, kind))


@pytest.fixture(scope="module")
def pages():
    vqa = open_page("pages/vqa.py", timeout=120)
    ok(vqa.radio(key="vqa_ask").set_value("Type your own").run())
    hidden = open_page("pages/hidden_states.py", timeout=120)
    ok(hidden.radio(key="hidden_source").set_value("Your own text").run())
    return {"vqa": vqa, "sampling": open_page("pages/sampling.py", timeout=120), "hidden": hidden}


@pytest.mark.parametrize("name", list(TEXTS))
def test_the_vqa_question_box(pages, name):
    at = ok(pages["vqa"].text_input(key="vqa_text").input(TEXTS[name]).run())
    assert at.error and len(at.error[0].value) < 1000  # none of these is a question: a message says why
    assert "<script" not in shown(at)


@pytest.mark.parametrize("name", list(TEXTS))
def test_the_priming_text(pages, name):
    at = ok(pages["sampling"].text_area(key="prime").input(TEXTS[name][:500]).run())  # the box takes 500 characters
    if not at.warning:  # a prime the model can read (spaces, one newline): every temperature was sampled after it
        data = component_data(at, "temperature_scrub")
        assert data["prime"] == TEXTS[name][:500] and len(data["rows"]) == len(data["grid"])
    assert "<script" not in shown(at) and "<img" not in shown(at)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(TEXTS))
def test_the_pasted_text_of_the_hidden_states_page(pages, name):
    at = ok(pages["hidden"].text_area(key="hidden_text").input(TEXTS[name]).run())
    assert at.warning or at.get("plotly_chart")  # a message, or the analysis of what could be read
    assert "<script" not in shown(at) and "<img" not in shown(at)
