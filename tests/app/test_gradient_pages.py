"""The gradient pages: ρ moves the curve, extreme settings explain themselves, experiments run in the
background with progress and can be stopped."""
import time

import numpy as np

from tests.app.helpers import figure, open_page, values


def wait_for_job(at, key: str, timeout: float = 120):
    """Rerun the page until this session's job `key` has ended; returns the job."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        job = at.session_state[key]
        if job.done:
            at.run()
            return job
        time.sleep(0.5)
    raise AssertionError(f"{key} did not finish in {timeout} s")


def test_moving_rho_changes_the_gradient_curve():
    at = open_page("pages/gradient_flow.py")
    before = values(figure(at, "flow_norms")["data"][0]["y"])
    at.slider(key="flow_rho").set_value(0.8).run()
    after = values(figure(at, "flow_norms")["data"][0]["y"])
    assert len(before) == len(after) == 200
    assert after[0] < before[0] / 1e3, "a smaller ρ leaves far less gradient at t = 1"
    names = [t["name"] for t in figure(at, "flow_norms")["data"]]
    assert names == ["vanilla RNN (tanh)", "LSTM", "LSTM: ‖∂L/∂c_t‖ (cell state)", "GRU"]
    assert figure(at, "flow_eigs") and figure(at, "flow_mechanism") and figure(at, "lstm_cell")


def test_extreme_settings_show_overflow_with_an_explanation():
    at = open_page("pages/gradient_flow.py")
    at.radio(key="flow_vanilla").set_value("linear").run()
    at.slider(key="flow_rho").set_value(3.0).run()
    at.slider(key="flow_T").set_value(500).run()
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "linear RNN" in warning and "largest float32" in warning
    assert any(m.value.endswith("e+238") for m in at.metric)  # 3^499: float64 still holds it


def test_tbptt_map_follows_the_chunk_length():
    at = open_page("pages/gradient_remedies.py")
    at.slider(key="tbptt_k").set_value(5).run()
    heat = figure(at, "tbptt_map")["data"][0]
    z = [values(row) if isinstance(row, dict) else row for row in heat["z"]] if isinstance(heat["z"], list) \
        else np.array(values(heat["z"])).reshape(40, 40).tolist()
    got = {(t, s) for t in range(40) for s in range(40) if z[t][s] is not None and z[t][s] == z[t][s]}
    assert got == {(t, s) for t in range(40) for s in range(40) if s <= t and s // 5 == t // 5}
    assert "k = 5" in figure(at, "tbptt_diagram")["layout"]["title"]["text"]


def test_a_learning_rate_of_10_without_clipping_is_shown_blowing_up():
    at = open_page("pages/gradient_remedies.py")
    at.select_slider(key="clip_lr").set_value(10.0).run()
    at.button(key="start_clip_job").click().run()
    job = wait_for_job(at, "clip_job")
    assert job.status == "finished"
    assert not at.exception
    outcomes = at.dataframe[0].value["outcome"].tolist()  # (a dataframe without selection has no key in AppTest)
    assert outcomes[0].startswith(("blew up", "diverged")), outcomes
    assert any("exploded" in w.value or "diverged" in w.value for w in at.warning)
    curves = figure(at, "clip_curves")
    kept = at.session_state["clip_figure"]
    assert kept[0] is job
    at.select_slider(key="clip_norm").set_value(3.0).run()  # a move after the run: its figure is not built again
    assert at.session_state["clip_figure"] is kept and figure(at, "clip_curves") == curves
    said = curves["layout"]["meta"]["summary"]  # its words: each run's final loss, as drawn
    finals = [values(t["y"])[-1] for t in curves["data"] if t["type"] == "scatter"]
    assert all(f"final loss {y:.3g}" in said for y in finals if y is not None and np.isfinite(y)), said


def test_memory_training_shows_progress_and_stops():
    at = open_page("pages/memory_task.py")
    at.select_slider(key="mem_lag").set_value(80).run()
    at.select_slider(key="mem_steps").set_value(6000).run()
    at.button(key="start_memory_job").click().run()
    deadline = time.monotonic() + 60
    while not at.session_state["memory_job"].rows and time.monotonic() < deadline:
        time.sleep(0.5)
    at.run()
    assert at.get("progress"), "a progress bar while it trains"
    at.button(key="stop_memory_job").click().run()
    job = wait_for_job(at, "memory_job")
    assert job.status == "stopped" and job.rows[-1]["step"] < 6000
    assert any("was stopped" in w.value for w in at.warning)
    curves = figure(at, "memory_curves")
    said = curves["layout"]["meta"]["summary"]  # its words: each model's last accuracy, as drawn
    accuracy = [t for t in curves["data"] if t.get("showlegend") is not False and t.get("xaxis", "x") == "x"]
    assert accuracy and all(f"accuracy {values(t['y'])[-1]:.0%}" in said for t in accuracy), said


def test_the_gradient_figure_says_in_words_the_numbers_it_draws():
    """Its text alternative (for a screen reader, and shown under it) carries each cell's ‖∂L/∂h₁‖ / ‖∂L/∂h_T‖, the
    numbers the metrics beside it show, and follows ρ."""
    from pages._common import plain

    at = open_page("pages/gradient_flow.py")
    for rho in (None, 0.8):
        if rho is not None:
            at.slider(key="flow_rho").set_value(rho).run()
        said = figure(at, "flow_norms")["layout"]["meta"]["summary"]
        reach = {m.label.split(":")[0]: m.value for m in at.metric if "‖∂L/∂h_1‖" in m.label}
        assert len(reach) == 3 and all(f"{cell} {value}" in said for cell, value in reach.items()), (said, reach)
        assert f"In words: {plain(said)}" in [c.value for c in at.caption]
