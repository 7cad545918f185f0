"""Unrolled graphs: each shape has the inputs, outputs, losses and shared weights the lecture says."""
import pytest

from core.basics.unrolled import SHAPES, unrolled_graph


def node(graph, node_id):
    return next(n for n in graph.nodes if n.id == node_id)


@pytest.mark.parametrize("length", [1, 3, 7])
def test_counts_per_shape(length):
    g = {s: unrolled_graph(s, length) for s in SHAPES}
    assert ((g["one_to_one"].count("input"), g["one_to_one"].count("output"), g["one_to_one"].count("hidden"))
            == (1, 1, 1))
    assert g["one_to_many"].count("fixed") == 1 and g["one_to_many"].count("output") == length
    assert g["one_to_many"].count("input") == 0 and g["one_to_many"].count("token") == length
    assert g["many_to_one"].count("input") == length and g["many_to_one"].count("output") == 1
    assert g["aligned"].count("input") == length and g["aligned"].count("loss") == length
    assert g["seq2seq"].count("input") == length and g["seq2seq"].count("token") == length
    assert g["seq2seq"].count("output") == length


def test_the_same_w_hh_is_used_once_per_step():
    assert unrolled_graph("aligned", 6).weight_uses() == {"W_hh": 6, "W_xh": 6, "W_hy": 6}
    assert unrolled_graph("many_to_one", 5).weight_uses() == {"W_hh": 5, "W_xh": 5, "W_hy": 1}
    uses = unrolled_graph("seq2seq", 4, 2).weight_uses()
    assert uses["W_hh (encoder)"] == 4 and uses["W_hh (decoder)"] == 2 and "W_hy (encoder)" not in uses
    assert "W_hh" not in unrolled_graph("one_to_one", 5).weight_uses()


def test_initial_state_comes_from_zeros_or_the_fixed_input():
    assert node(unrolled_graph("many_to_one", 3), "h0").caption == "zeros"
    captioning = unrolled_graph("one_to_many", 3)
    assert any(e.src == "img" and e.dst == "h0" and e.weight == "W_ih" for e in captioning.edges)
    assert "START" in node(captioning, "x1").caption and node(captioning, "x2").caption == "prev. word"
    assert "teacher forcing" in node(captioning, "x2").note and "sampled" in node(captioning, "x2").note
    # at test time each output is the next input
    assert {(e.src, e.dst) for e in captioning.edges if e.weight == "feedback"} == {("y1", "x2"), ("y2", "x3")}


def test_final_state_summarises_for_many_to_one_and_the_encoder():
    assert [n.id for n in unrolled_graph("many_to_one", 5).nodes if n.summary] == ["h5"]
    seq = unrolled_graph("seq2seq", 4, 3)
    assert [n.id for n in seq.nodes if n.summary] == ["eh4"]
    assert any(e.src == "eh4" and e.dst == "dh1" for e in seq.edges), "the decoder starts from the encoder's h_T"
    assert not any(n.summary for n in unrolled_graph("aligned", 4).nodes)


def test_total_loss_sums_every_step_loss():
    g = unrolled_graph("aligned", 5)
    assert sorted(e.src for e in g.edges if e.dst == "L") == sorted(n.id for n in g.nodes if n.kind == "loss")


def test_every_edge_joins_existing_nodes_and_ids_are_unique():
    for shape in SHAPES:
        g = unrolled_graph(shape, 4, 3)
        ids = [n.id for n in g.nodes]
        assert len(ids) == len(set(ids))
        assert all(e.src in ids and e.dst in ids for e in g.edges)


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown shape"):
        unrolled_graph("two_to_three", 3)
    with pytest.raises(ValueError, match="at least 1"):
        unrolled_graph("aligned", 0)


def test_counts_separate_data_from_fed_back_inputs_and_encoder_from_decoder():
    assert unrolled_graph("one_to_many", 4).counts() == {
        "Data inputs": "1", "Fed-back inputs": "4", "Outputs": "4", "Losses": "4", "Uses of W_hh": "4"}
    seq = unrolled_graph("seq2seq", 4, 6).counts()
    assert seq["Data inputs"] == "4" and seq["Fed-back inputs"] == "6"
    assert seq["Uses of W_hh"] == "4 (encoder) + 6 (decoder)"
    assert unrolled_graph("one_to_one", 3).counts()["Uses of W_hh"] == "0"


def test_time_axis_ticks_name_each_step():
    assert unrolled_graph("aligned", 3).ticks == ((0, "0"), (1, "1"), (2, "2"), (3, "3"))
    assert [t for _, t in unrolled_graph("seq2seq", 2, 2).ticks] == ["0", "1", "2", "1′", "2′"]
    assert unrolled_graph("one_to_one", 1).ticks == ()
