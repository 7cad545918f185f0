"""Gates, guesses & memory: the guesses, the saturation scatter, connectivity for two models, odd texts."""
import pytest

from tests.app.helpers import figure, open_page, values

PAGE = "pages/hidden_memory.py"


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE, timeout=120)


def test_top_guesses_and_gate_saturation_are_drawn(page):
    guesses = figure(page, "top_guesses")["data"][0]
    assert len(guesses["y"]) == 5 and len(values(guesses["x"])) == 40
    sat = figure(page, "gate_saturation")["data"]
    assert {t["name"] for t in sat if t.get("showlegend", True)} >= {"input gate", "forget gate", "output gate"}
    assert all(0 <= v <= 1 for t in sat for v in values(t["x"]))


def test_connectivity_compares_the_lstm_with_the_vanilla_rnn(page):
    page.slider(key="reach_t").set_value(400).run()
    lines = figure(page, "connectivity")["data"]
    assert [line["name"] for line in lines] == ["Shakespeare · LSTM 2×512", "Shakespeare · vanilla RNN 2×512"]
    lstm, rnn = (values(line["y"]) for line in lines)
    assert len(lstm) == len(rnn) == 401
    assert sum(lstm[:100]) > sum(rnn[:100]), "300 to 400 characters back, the LSTM's gradient is larger"


def test_the_vanilla_rnn_has_no_gates_and_a_one_character_text_has_no_connectivity():
    at = open_page(PAGE, timeout=120)
    at.selectbox(key="hidden_model").set_value("Shakespeare · vanilla RNN 2×512").run()
    assert any("no gates" in i.value for i in at.info)
    at.radio(key="hidden_source").set_value("Your own text").run()
    at.text_area(key="hidden_text").input("x").run()
    assert not at.exception
    assert any("at least two characters" in i.value for i in at.info)
    at.text_area(key="hidden_text").input("ab").run()  # one prediction: position 0, no slider
    assert not at.exception and figure(at, "connectivity")
