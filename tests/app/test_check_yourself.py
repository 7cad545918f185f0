"""Check yourself: predict, reveal, and an answer computed from the live model and controls, which changes when the
controls change the maths."""
import re

import pytest

from tests.app.helpers import open_page, open_page_with, tiny_checkpoint


def reveal(at, key: str, pick: str) -> str:
    at.radio(key=f"check_{key}").set_value(pick).run()
    at.button(key=f"reveal_{key}").click().run()
    shown = [m.value for m in [*at.success, *at.warning] if "**" in m.value]
    assert len(shown) == 1, shown
    return shown[0]


def test_every_temperature_writes_the_same_text_exactly_when_top_k_is_one():
    at = open_page_with("pages/sampling.py", {"my_models": {"tiny": tiny_checkpoint()}})
    at.selectbox(key="sample_model").set_value("yours: tiny").run()
    assert at.button(key="reveal_same_text").disabled  # predict first
    told = reveal(at, "same_text", "yes, every one")
    assert told.startswith("Not this time: **no, they differ**") and "different texts across" in told
    at.number_input(key="top_k").set_value(1).run()  # only the likeliest character can be drawn
    assert not [m for m in at.warning if "**" in m.value]  # the controls changed: the old reveal is gone
    told = reveal(at, "same_text", "yes, every one")
    assert told.startswith("Right: **yes, every one**") and "1 different text across" in told
    assert not at.exception


def test_the_repetition_answer_quotes_the_scores_it_is_computed_from():
    at = open_page_with("pages/sampling.py", {"my_models": {"tiny": tiny_checkpoint()}})
    at.selectbox(key="sample_model").set_value("yours: tiny").run()
    told = reveal(at, "repeats", "T = 0.2")
    low, high = (float(x) for x in re.findall(r"(\d\.\d{3}) at T = [01]\.2", told))
    right = "the same" if low == high else "T = 0.2" if low > high else "T = 1.2"
    assert f"**{right}**" in told, told


def test_the_gaze_answer_is_the_object_under_the_peak_and_moves_with_the_scene():
    answers = {}
    for seed in ("1000000", "1000003"):  # held-out scenes: three objects (two of them circles), then one square
        at = open_page_with("pages/captioning.py", {}, query={"cap_scene": seed}, timeout=120)
        options = at.radio(key="check_gaze").options
        told = reveal(at, "gaze", options[-1])
        answer = re.search(r"\*\*(.+?)\*\*", told).group(1)
        shares = dict(re.findall(r"(the [^,]+?) (\d+)%", told.split("box: ")[1]))
        assert answer in options and set(shares) == set(options[:-1]), (options, told)  # every object's share
        answers[seed] = answer  # which object is under the peak: tests/core/vision/test_explain.py
    assert answers["1000000"] != answers["1000003"], answers


@pytest.mark.parametrize("rho, fate", [(0.8, "it vanishes"), (1.0, "it stays within 100×"), (1.5, "it explodes")])
def test_the_gradient_question_follows_rho(rho, fate):
    at = open_page("pages/gradient_flow.py")
    at.radio(key="flow_vanilla").set_value("linear").run()  # a linear RNN: the factor is ρ^T (orthogonal W_hh)
    at.slider(key="flow_T").set_value(50).run()
    at.slider(key="flow_rho").set_value(rho).run()
    told = reveal(at, "fate", "it stays within 100× of where it started")
    assert f"**{fate}" in told, told  # ρ^50: 1.4e-5, 1, 6.4e8
    assert not at.exception


@pytest.mark.parametrize("lag, regime, who", [(5, "sgd", "both"), (20, "sgd", "only the LSTM"),
                                              (80, "sgd", "neither")])
def test_the_memory_question_follows_the_measured_runs_at_the_chosen_lag(lag, regime, who):
    at = open_page("pages/memory_task.py")
    at.select_slider(key="mem_lag").set_value(lag).run()
    at.radio(key="mem_regime").set_value(regime).run()
    told = reveal(at, "who_learns", "both")
    assert f"**{who}**" in told and "Accuracy per seed" in told, told


def test_the_finder_question_follows_the_sign_of_the_best_units_correlation():
    at = open_page("pages/hidden_states.py")
    top = at.dataframe(key="finder_table").value.to_dict("records")[0]
    told = reveal(at, "sign", "where it is on")
    assert f"**{'where it is on' if top['correlation r'] > 0 else 'where it is off'}**" in told
    assert f"r = {top['correlation r']:+.2f}" in told


def test_the_gate_question_names_the_gate_open_most_often():
    import re

    at = open_page("pages/hidden_memory.py")
    told = reveal(at, "open_gate", "input")
    shares = {gate: int(p) for gate, p in re.findall(r"(\w+) (\d+)%", told.split("above 0.9:")[1])}
    assert len(shares) == 3 and f"**{max(shares, key=shares.get)}**" in told, told
