"""The unrolled-graph page redraws for every shape and length."""
from tests.app.helpers import figure, metric, open_page

PAGE = "pages/rnn_shapes.py"


def node_count(spec: dict) -> int:
    return sum(len(t["x"]) for t in spec["data"] if t.get("name", "").endswith(" nodes"))


def test_changing_length_changes_the_graph():
    at = open_page(PAGE)
    before = figure(at, "graph")
    assert metric(at, "Uses of W_hh") == "4"
    at.slider(key="length").set_value(9).run()
    after = figure(at, "graph")
    assert node_count(after) > node_count(before)
    assert len(after["layout"]["annotations"]) > len(before["layout"]["annotations"])
    assert metric(at, "Uses of W_hh") == "9" and metric(at, "Losses") == "9"


def test_changing_shape_changes_the_graph():
    at = open_page(PAGE)
    specs = {}
    for shape in ["one_to_one", "one_to_many", "many_to_one", "seq2seq", "aligned"]:
        at.radio(key="shape").set_value(shape).run()
        assert not at.exception
        specs[shape] = figure(at, "graph")
        assert specs[shape]["layout"]["title"]["text"].startswith("Unrolled RNN")
    titles = {s["layout"]["title"]["text"] for s in specs.values()}
    assert len(titles) == 5
    assert metric(at, "Outputs") == "4"
    at.radio(key="shape").set_value("many_to_one").run()
    assert metric(at, "Outputs") == "1" and metric(at, "Inputs") == "4"
    legend = {t.get("name") for t in specs["seq2seq"]["data"]}
    assert "W_hh: hidden → hidden (decoder)" in legend
    assert at.slider(key="length").disabled is False


def test_one_to_one_disables_the_length_and_encoder_decoder_has_output_length():
    at = open_page(PAGE)
    at.radio(key="shape").set_value("one_to_one").run()
    assert at.slider(key="length").disabled and metric(at, "Uses of W_hh") == "0"
    at.radio(key="shape").set_value("seq2seq").run()
    at.slider(key="output_length").set_value(6).run()
    assert metric(at, "Outputs") == "6" and metric(at, "Inputs") == "10"  # 4 source words + 6 decoder inputs
