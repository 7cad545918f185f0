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
    drawn = {}
    for shape in ["one_to_one", "one_to_many", "many_to_one", "seq2seq", "aligned"]:
        at.radio(key="shape").set_value(shape).run()
        assert not at.exception
        spec = figure(at, "graph")
        drawn[shape] = (node_count(spec), len(spec["layout"]["annotations"]))
    # nodes and arrows at length 4 (seq2seq: 4 in, 3 out), counted from the unrolled graphs by hand
    assert drawn == {
        "one_to_one": (4, 3),
        "one_to_many": (4 * 4 + 1 + 2, 4 * 4 + 3 + 4 + 1),  # x,h,y,L per step, L, image, h0; 3 fed back
        "many_to_one": (1 + 4 * 2 + 2, 4 * 2 + 2),
        "seq2seq": (1 + 4 * 2 + 3 * 4 + 1, 4 * 2 + 3 * 5 - 1 + 3),
        "aligned": (1 + 4 * 4 + 1, 4 * 4 + 4),
    }
    assert metric(at, "Outputs") == "4"
    at.radio(key="shape").set_value("many_to_one").run()
    assert metric(at, "Outputs") == "1" and metric(at, "Data inputs") == "4"
    at.radio(key="shape").set_value("seq2seq").run()
    legend = {t.get("name") for t in figure(at, "graph")["data"]}
    assert "W_hh: hidden → hidden (decoder)" in legend
    assert at.slider(key="length").disabled is False


def test_one_to_one_disables_the_length_and_encoder_decoder_has_output_length():
    at = open_page(PAGE)
    at.radio(key="shape").set_value("one_to_one").run()
    assert at.slider(key="length").disabled and metric(at, "Uses of W_hh") == "0"
    at.radio(key="shape").set_value("seq2seq").run()
    at.slider(key="output_length").set_value(6).run()
    assert metric(at, "Outputs") == "6" and metric(at, "Data inputs") == "4" and metric(at, "Fed-back inputs") == "6"
    assert metric(at, "Uses of W_hh") == "4 (encoder) + 6 (decoder)"
