"""Sampling & temperature: the slider changes the sample, argmax loops, bad priming text gets a message."""
import pytest

import core.charlm.sample as sampling_module
from core.charlm.sample import TEMPERATURE_GRID, repetition_score, sample
from core.charlm.vocab import Vocab
from core.plots.charlm import show_char
from core.plots.style import HIGHLIGHT
from tests.app.helpers import component_data, figure, open_page_with, tiny_checkpoint

PAGE = "pages/sampling.py"


@pytest.fixture(scope="module")
def tiny():
    return tiny_checkpoint()


def open_with(tiny):
    at = open_page_with(PAGE, {"my_models": {"tiny": tiny}})
    at.selectbox(key="sample_model").set_value("yours: tiny").run()
    at.text_area(key="prime").set_value("ROMEO:\n").run()
    return at


def scrub(at) -> dict:
    """What the temperature scrub was given: the sample of every temperature on the slider's grid."""
    return component_data(at, "temperature_scrub")


def set_temperature(at, t: float):
    """What the browser does when the slider comes to rest: the component's state says the temperature."""
    at.session_state["temperature_scrub"] = {"temperature": t}
    return at.run()


def test_every_temperature_is_sampled_up_front_and_the_figures_follow_the_chosen_one(tiny):
    at = open_with(tiny)
    data = scrub(at)
    assert data["grid"] == list(TEMPERATURE_GRID) and data["value"] == 0.8 and data["prime"] == "ROMEO:\n"
    texts = {t: row["text"] for t, row in zip(data["grid"], data["rows"])}
    assert len({texts[0.0], texts[0.8], texts[2.0]}) == 3
    for t in (0.8, 2.0):  # the same seed gives the same text at every temperature as sampling it alone
        alone = sample(tiny.model, Vocab(tiny.vocab), "ROMEO:\n", 300, (t,), seed=0)
        assert texts[t] == alone.text()
    for t in (0.0, 2.0, 0.8):
        set_temperature(at, t)
        assert not at.exception
        assert scrub(at)["rows"] == data["rows"], "moving the temperature samples nothing new"
        bars = figure(at, "softmax_bars")
        assert bars["layout"]["title"]["text"].endswith(f"chose '{show_char(texts[t][0])}'")
    bars = figure(at, "softmax_bars")["data"][0]
    assert bars["marker"]["color"].count(HIGHLIGHT) == 1, "exactly one bar, the sampled character, is highlighted"
    assert bars["text"].count("argmax") == 1 and bars["y"][bars["text"].index("argmax")] == max(bars["y"])
    said, chosen = figure(at, "softmax_bars")["layout"]["meta"]["summary"], bars["marker"]["color"].index(HIGHLIGHT)
    assert f"Sampled ‘{bars['x'][chosen]}’, which had probability {bars['y'][chosen]:.3f}" in said  # in words too
    set_temperature(at, "not a number")  # a hostile or broken client: the last good temperature stays
    assert not at.exception and at.session_state["kept:temperature"] == 0.8


def test_a_second_session_reuses_the_first_sessions_samples_and_other_settings_do_not(tiny):
    first = open_with(tiny)
    calls = []
    original = sampling_module.sample
    try:
        sampling_module.sample = lambda *a, **k: calls.append(a) or original(*a, **k)
        second = open_with(tiny)  # same model, text, length and seed: nothing is sampled again
        assert calls == [] and scrub(second) == scrub(first)
        second.number_input(key="lm_seed").set_value(7).run()
        assert len(calls) == 1 and scrub(second)["rows"] != scrub(first)["rows"]
    finally:
        sampling_module.sample = original


def test_side_by_side_table_comes_from_the_same_samples(tiny):
    at = open_with(tiny)
    table = at.dataframe[0].value
    assert list(table["T"]) == [0.0, 0.5, 0.8, 1.0, 1.5]
    rows = dict(zip(scrub(at)["grid"], scrub(at)["rows"]))
    assert [t.replace(" ⏎ ", "\n") for t in table["text"]] == [rows[t]["text"] for t in table["T"]]
    assert list(table["repetition"]) == [round(repetition_score(rows[t]["text"][:300]), 2) for t in table["T"]]
    argmax, hottest = table["repetition"].iloc[0], table["repetition"].iloc[-1]
    assert argmax >= 0.5, f"the argmax row should loop, repetition {argmax}"  # the tiny model's argmax: 0.99
    assert argmax - hottest >= 0.3, (argmax, hottest)  # and T = 1.5 much less (0.0 for the tiny model)


def test_characters_the_model_never_saw_get_a_message(tiny):
    at = open_with(tiny)
    at.text_area(key="prime").set_value("Zebra€").run()
    assert not at.exception
    assert any("never saw" in w.value and "…" not in w.value for w in at.warning)  # the whole list: one character
    at.text_area(key="prime").set_value("€£¥₩₹₽¢¤§¶").run()  # ten the model never saw: eight named, and "…"
    (warning,) = at.warning
    assert warning.value.count("'") == 16 and "' … in training" in warning.value, warning.value
    at.text_area(key="prime").set_value("").run()
    assert any("empty" in w.value for w in at.warning)
