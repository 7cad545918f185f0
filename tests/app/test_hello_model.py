"""The "hello" page: training lowers the loss shown; weights can be perturbed, edited and reset."""
from tests.app.helpers import figure, metric, open_page

PAGE = "pages/hello_model.py"


def test_training_lowers_the_loss_shown_and_learns_hello():
    at = open_page(PAGE)
    loss0 = float(metric(at, "Total loss L"))
    assert metric(at, "Right argmax") == "0 / 4"
    at.button(key="train_1").click().run()
    loss1 = float(metric(at, "Total loss L"))
    assert loss1 < loss0 and metric(at, "Steps trained") == "1"
    at.slider(key="n_steps").set_value(200).run()
    at.button(key="train_n").click().run()
    assert float(metric(at, "Total loss L")) < loss1 / 4
    assert metric(at, "Right argmax") == "4 / 4" and metric(at, "Steps trained") == "201"
    assert len(figure(at, "loss_curve")["data"][0]["y"]) == 202
    table = at.dataframe[0].value
    assert list(table["argmax of y_t"]) == list("ello")


def test_reset_and_new_config_start_an_untrained_model():
    at = open_page(PAGE)
    loss0 = metric(at, "Total loss L")
    at.button(key="train_n").click().run()
    at.button(key="reset").click().run()
    assert metric(at, "Total loss L") == loss0 and metric(at, "Steps trained") == "0"
    at.select_slider(key="hidden").set_value(1).run()
    assert metric(at, "Total loss L") != loss0
    assert len(figure(at, "steps")["data"][2]["z"]) == 1  # one hidden unit drawn


def test_perturbing_and_editing_weights_recompute_everything():
    at = open_page(PAGE)
    loss0 = metric(at, "Total loss L")
    at.button(key="perturb").click().run()
    assert metric(at, "Total loss L") != loss0
    loss1 = metric(at, "Total loss L")
    editor = at.data_editor[2]  # W_hy
    at.session_state[editor.key] = {"edited_rows": {1: {"h[0]": 5.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert metric(at, "Total loss L") != loss1
    assert at.data_editor[2].value.iloc[1, 0] == 5.0


def test_a_non_numeric_edit_is_refused_with_a_message():
    at = open_page(PAGE)
    loss0 = metric(at, "Total loss L")
    editor = at.data_editor[1]  # W_hh
    at.session_state[editor.key] = {"edited_rows": {0: {"h[1]": None}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    assert any("Kept the old value of W_hh[h[0], h[1]]" in w.value for w in at.warning)
    assert metric(at, "Total loss L") == loss0


def test_the_model_and_controls_survive_a_visit_to_another_page():
    at = open_page(PAGE)
    at.select_slider(key="hidden").set_value(2).run()
    at.slider(key="lr").set_value(0.5).run()
    at.button(key="train_n").click().run()
    loss = metric(at, "Total loss L")
    at.switch_page("pages/hello_sampling.py").run()
    assert "2 hidden units, 50 training steps" in at.info[0].value
    at.switch_page(PAGE).run()
    assert at.select_slider(key="hidden").value == 2 and at.slider(key="lr").value == 0.5
    assert metric(at, "Steps trained") == "50" and metric(at, "Total loss L") == loss
