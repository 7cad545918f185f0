"""Every free-text box of the app, fed the bad-text corpus through the real pages (AppTest): no exception ever, a
message where the text cannot be used, and user text shown as text, never as HTML or Markdown."""
from __future__ import annotations

import re

import pytest

from tests.app.helpers import component_data, ok, open_page
from tests.fuzz.corpus import BAD_TEXTS

# a browser cannot send a lone surrogate (it is not Unicode text); everything else can be typed or pasted
TEXTS = {name: text for name, text in BAD_TEXTS.items() if name != "a lone surrogate"}
PYTHON = "Python code · LSTM 2×512"  # the shipped model that knows every printable ASCII character, "<" and "*" too
MARKUP = ["HTML", "Markdown"]
# What the HTML and Markdown texts would become if a page put them into Markdown unescaped: a tag, bold, a link, a
# colour directive, math, a code span.
RAW = ("<script", "<img", "**bold**", "](javascript", ":red[", "$x^2$", "`code`")
SPECIAL = set("\\`*_{}[]()<>#+-.!|$~")  # characters Streamlit's Markdown gives a meaning to


def shown(at) -> str:
    """Everything the page wrote as Markdown (which Streamlit renders): markdown, captions and alerts."""
    return " ".join(e.value for kind in ("markdown", "caption", "error", "warning", "info", "success")
                    for e in getattr(at, kind))


def assert_no_raw_markup(at) -> None:
    """Nothing the page rendered as Markdown holds user markup unescaped: no raw tag, bold, link, directive, math."""
    rendered = shown(at)
    assert not [m for m in RAW if m in rendered], rendered[-1500:]
    assert not re.search(r"(?<!\\)<", rendered), rendered[-1500:]  # the pages' own Markdown has no "<" either


def literally(value: str, s: str) -> bool:
    """Whether the Markdown `value` shows `s` as typed: `s` is in it with each Markdown-special character escaped by
    a backslash (a colon may be followed by a zero-width space, which keeps ":red[" from becoming a directive)."""
    pattern = "".join(re.escape("\\" + c) if c in SPECIAL else ":\u200b?" if c == ":" else re.escape(c) for c in s)
    return re.search(pattern, value) is not None


def sampled(at) -> dict | None:
    """What the sampling page gave its temperature scrub, or None when it stopped before sampling."""
    try:
        return component_data(at, "temperature_scrub")
    except AssertionError:
        return None


@pytest.fixture(scope="module")
def pages():
    vqa = open_page("pages/vqa.py", timeout=120)
    ok(vqa.radio(key="vqa_ask").set_value("Type your own").run())
    hidden = open_page("pages/hidden_states.py", timeout=120)
    ok(hidden.radio(key="hidden_source").set_value("Your own text").run())
    return {"vqa": vqa, "sampling": open_page("pages/sampling.py", timeout=120), "hidden": hidden}


@pytest.fixture(scope="module")
def vocabularies():
    """Model title -> the characters it knows, from the sampling page's model list."""
    from core.charlm.shipped import available_models
    from core.checkpoints import load_checkpoint

    return {m.title: set(load_checkpoint(str(m.path)).vocab) for m in available_models()}


@pytest.mark.parametrize("name", list(TEXTS))
def test_the_vqa_question_box(pages, name):
    at = ok(pages["vqa"].text_input(key="vqa_text").input(TEXTS[name]).run())
    assert at.error and len(at.error[0].value) < 1000  # none of these is a question: a message says why
    assert_no_raw_markup(at)


@pytest.mark.parametrize("question", ["**how many** circles are _there_? :red[] $ $ `` #",
                                      "<how many circles are there>", "how many circles are there? <!-- -->"])
def test_a_question_wrapped_in_markup_is_answered_and_shown_as_typed(pages, question):
    """The question's words are read (markup is no word), so the page answers, and it repeats the question: as typed,
    not as bold, a tag or a code span."""
    at = ok(pages["vqa"].text_input(key="vqa_text").input(question).run())
    assert not at.error, at.error[0].value
    line = next(m.value for m in at.markdown if m.value.startswith("**Question:**"))
    assert literally(line, question), line
    assert_no_raw_markup(at)
    assert line.count("**") == 2  # the only bold is the page's own label


# The default model (Shakespeare) knows every character of these, as the box keeps them (500 characters).
READABLE_BY_SHAKESPEARE = {"one newline", "long", "huge"}


@pytest.mark.parametrize("name", list(TEXTS))
def test_the_priming_text(pages, vocabularies, name):
    at = ok(pages["sampling"].text_area(key="prime").input(TEXTS[name][:500]).run())  # the box takes 500 characters
    prime, model = TEXTS[name][:500], at.selectbox(key="sample_model").value
    unknown = sorted({c for c in prime if c not in vocabularies[model]})
    assert (name in READABLE_BY_SHAKESPEARE) == (bool(prime) and not unknown)
    if name in READABLE_BY_SHAKESPEARE:  # every temperature was sampled after it, and nothing warned
        assert not at.warning, at.warning[0].value
        data = sampled(at)
        assert data["prime"] == prime and len(data["rows"]) == len(data["grid"])
    else:  # a message says what is wrong, naming the characters as they are, and nothing was sampled
        assert len(at.warning) == 1 and sampled(at) is None
        message = at.warning[0].value
        if not prime:
            assert "empty" in message
        else:
            assert "never saw" in message
            assert all(literally(message, repr(c)) for c in unknown[:8]), message
    assert_no_raw_markup(at)


@pytest.mark.parametrize("name", MARKUP)
def test_markup_in_the_priming_text_is_read_by_a_model_that_knows_it_and_never_rendered(pages, vocabularies, name):
    at = pages["sampling"]
    ok(at.selectbox(key="sample_model").set_value(PYTHON).run())
    try:
        at = ok(at.text_area(key="prime").input(TEXTS[name]).run())
        assert set(TEXTS[name]) <= vocabularies[PYTHON] and not at.warning
        data = sampled(at)  # the prime goes to the browser as data, inserted there as text
        assert data["prime"] == TEXTS[name] and len(data["rows"]) == len(data["grid"])
        assert_no_raw_markup(at)
    finally:
        ok(at.selectbox(key="sample_model").set_value(at.selectbox(key="sample_model").options[0]).run())


@pytest.mark.slow
@pytest.mark.parametrize("name", list(TEXTS))
def test_the_pasted_text_of_the_hidden_states_page(pages, vocabularies, name):
    at = ok(pages["hidden"].text_area(key="hidden_text").input(TEXTS[name]).run())
    text = TEXTS[name].replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        assert [w.value for w in at.warning] == ["Nothing to analyse: the text is empty: paste some text or pick a "
                                                 "held-out one."]
        assert_no_raw_markup(at)
        return
    assert component_data(at, "unit_text")["text"] == text[:3000]  # as data, drawn as text by the browser
    show = {"\n": "⏎", " ": "␣", "\t": "⇥"}
    unknown = sorted({c for c in text[:3000] if c not in vocabularies[at.selectbox(key="hidden_model").value]})
    warnings = [w.value for w in at.warning if "not in this model's vocabulary" in w.value]
    assert bool(warnings) == bool(unknown)
    assert all(literally(warnings[0], repr(show.get(c, c))) for c in unknown[:10]), warnings
    assert_no_raw_markup(at)


@pytest.mark.slow
@pytest.mark.parametrize("name", MARKUP)
def test_markup_pasted_for_a_model_that_knows_it_is_analysed_and_shown_as_text(pages, name):
    at = pages["hidden"]
    ok(at.selectbox(key="hidden_model").set_value(PYTHON).run())
    try:
        at = ok(at.text_area(key="hidden_text").input(TEXTS[name]).run())
        at = ok(at.slider(key="span").set_value((0, 8)).run())  # an earlier, shorter text may have shortened it
        assert not at.warning, at.warning[0].value
        assert component_data(at, "unit_text")["text"] == TEXTS[name]
        assert f"Span: {TEXTS[name][:8].replace(' ', '␣')}" in [t.value for t in at.text]  # plain text, not Markdown
        assert_no_raw_markup(at)
    finally:
        ok(at.selectbox(key="hidden_model").set_value(at.selectbox(key="hidden_model").options[0]).run())
