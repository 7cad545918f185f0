"""Sampling & temperature: the slider changes the sample, argmax loops, bad priming text gets a message."""
import html
import re

import pytest

from tests.app.helpers import figure, open_page_with, tiny_checkpoint

PAGE = "pages/sampling.py"


@pytest.fixture(scope="module")
def tiny():
    return tiny_checkpoint()


def open_with(tiny):
    at = open_page_with(PAGE, {"my_models": {"tiny": tiny}})
    at.selectbox(key="sample_model").set_value("yours: tiny").run()
    at.text_area(key="prime").set_value("ROMEO:\n").run()
    return at


def sample_text(at) -> str:
    """The generated text itself, read out of the shaded HTML (tags and tooltips removed)."""
    markup = next(m.value for m in at.markdown if m.value.startswith("<div style=\"font-family: monospace"))
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_moving_the_temperature_changes_the_sample(tiny):
    at = open_with(tiny)
    texts = {}
    for t in (0.0, 0.8, 2.0):
        at.slider(key="temperature").set_value(t).run()
        assert not at.exception
        texts[t] = sample_text(at)
    assert len(set(texts.values())) == 3
    at.slider(key="temperature").set_value(0.8).run()
    assert sample_text(at) == texts[0.8], "same seed, same temperature: same text"
    bars = figure(at, "softmax_bars")["data"][0]
    assert bars["marker"]["color"].count("#ff7f0e") == 1, "exactly one bar, the sampled character, is orange"
    assert bars["text"].count("argmax") == 1 and bars["y"][bars["text"].index("argmax")] == max(bars["y"])


def test_side_by_side_table_and_download(tiny):
    at = open_with(tiny)
    table = at.dataframe[0].value
    assert list(table["T"]) == [0.0, 0.5, 0.8, 1.0, 1.5]
    assert table["repetition"].iloc[0] >= table["repetition"].iloc[-1]
    assert at.get("download_button")


def test_characters_the_model_never_saw_get_a_message(tiny):
    at = open_with(tiny)
    at.text_area(key="prime").set_value("Zebra€").run()
    assert not at.exception
    assert any("never saw" in w.value for w in at.warning)
    at.text_area(key="prime").set_value("").run()
    assert any("empty" in w.value for w in at.warning)
