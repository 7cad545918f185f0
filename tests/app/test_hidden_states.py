"""Hidden states: the finder shows a unit that follows a feature, picking a unit recolours the text,
the heatmap draws, and odd texts (empty, one character, unknown characters, a huge paste) get messages."""
import re

import pytest

from tests.app.helpers import figure, open_page, values

PAGE = "pages/hidden_states.py"


def coloured_text(at) -> str:
    """The markup of the unit-coloured text."""
    return next(m.value for m in at.markdown if m.value.startswith('<div style="font-family: monospace'))


def paste(at, text: str):
    at.radio(key="hidden_source").set_value("Your own text").run()
    at.text_area(key="hidden_text").input(text).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE, timeout=120)


def test_the_finder_shows_a_unit_that_follows_a_feature_on_held_out_plays(page):
    table = page.dataframe(key="finder_table").value
    best = table.iloc[0]
    assert abs(best["correlation r"]) >= 0.6, best
    assert "Best:" in page.caption[0].value
    assert page.selectbox(key="unit_signal").value in best["unit"] and best["unit"].endswith(f"#{page.number_input(key='unit_index').value}")


def test_choosing_a_unit_recolours_the_text(page):
    before = coloured_text(page)
    page.number_input(key="unit_index").set_value(3).run()
    after = coloured_text(page)
    assert before != after
    assert "#3 " in after  # tooltips name the unit
    heat = figure(page, "unit_heatmap")["data"][0]
    assert heat["type"] == "heatmap" and heat["y"][0] == "unit 3"  # the chosen unit is the first row
    assert len(values(heat["x"])) <= 400


def test_span_search_lists_units_or_says_why_not(page):
    page.slider(key="span").set_value((0, 5)).run()
    assert not page.exception
    found = [m.value for m in page.markdown if "switch on for the span" in m.value]
    none = [i.value for i in page.info if "No unit" in i.value]
    assert found or none


def test_empty_text_gets_a_message():
    at = paste(open_page(PAGE, timeout=120), "")
    assert any("empty" in w.value for w in at.warning)


def test_a_single_character_is_analysed_without_the_finder():
    at = paste(open_page(PAGE, timeout=120), "a")
    assert any("at least 20 characters" in i.value for i in at.info)
    assert "a" in re.sub(r"<[^>]+>", "", coloured_text(at))


def test_unknown_characters_are_shown_and_reported():
    at = paste(open_page(PAGE, timeout=120), "To be, or not — to be: “that” is the question.\n" * 3)
    warning = next(w.value for w in at.warning if "vocabulary" in w.value)
    assert "'—'" in warning and "'“'" in warning
    assert "not in the model&#x27;s vocabulary" in coloured_text(at) and "—" in coloured_text(at)


def test_a_huge_paste_is_truncated_with_a_message():
    at = paste(open_page(PAGE, timeout=120), "All the world's a stage.\n" * 4000)  # 100,000 characters
    assert any("100,000 characters; only the first 3,000" in w.value for w in at.warning)
    assert at.dataframe(key="finder_table").value.shape[0] > 0
