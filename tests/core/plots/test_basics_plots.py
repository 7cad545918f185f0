"""Figure builders draw what they are given: node and edge counts, values, highlighted choices."""
from collections import Counter

from core.basics.hello import HelloConfig, HelloRNN
from core.basics.unrolled import unrolled_graph
from core.plots.basics import (
    gradient_through_time_figure,
    hello_steps_figure,
    loss_curve_figure,
    sample_diversity_figure,
    sampling_steps_figure,
    unrolled_graph_figure,
)
from core.plots.style import HIGHLIGHT


def marker_points(fig):
    return sum(len(t.x) for t in fig.data if t.name.endswith(" nodes"))


def test_graph_figure_draws_every_node_and_one_arrow_per_edge():
    for length in (2, 6):
        g = unrolled_graph("aligned", length)
        fig = unrolled_graph_figure(g)
        assert marker_points(fig) == len(g.nodes)
        assert len(fig.layout.annotations) == len(g.edges)
    names = {t.name for t in unrolled_graph_figure(unrolled_graph("seq2seq", 3)).data}
    assert "W_hh: hidden → hidden (encoder)" in names and "W_hh: hidden → hidden (decoder)" in names


def test_hello_steps_figure_shows_the_trace_values_and_boxes_targets():
    model = HelloRNN(HelloConfig())
    tr = model.training_trace()
    fig = hello_steps_figure(tr, model.config.vocab)
    softmax, scores, hidden, onehot = fig.data
    assert [list(r) for r in softmax.z] == tr.p.T.tolist()
    assert [list(r) for r in hidden.z] == tr.h[1:].T.tolist()
    boxes = {(shape.xref, shape.yref, shape.x0, shape.y0) for shape in fig.layout.shapes}
    assert len(boxes) == 2 * len(tr.inputs)
    for t, target in enumerate(tr.targets.tolist()):  # column t, row of the target character
        for axes in (("x", "y"), ("x2", "y2")):  # softmax and scores panels
            assert (*axes, t - 0.5, target - 0.5) in boxes
    assert list(softmax.x)[0] == "t=1: 'h' → 'e'"


def test_loss_and_gradient_figures_carry_the_numbers():
    assert list(loss_curve_figure([3.0, 2.0, 1.0]).data[0].y) == [3.0, 2.0, 1.0]
    model = HelloRNN(HelloConfig())
    dh = model.bptt(model.training_trace()).dh
    assert list(gradient_through_time_figure(dh).data[0].y) == dh.norm(dim=1).tolist()


def test_sampling_figures_mark_choices_and_count_strings():
    model = HelloRNN(HelloConfig(seed=1))
    s = model.sample("h", 5, 1.0, seed=3)
    fig = sampling_steps_figure(s)
    chosen, off = fig.data[1], fig.data[2]
    assert list(chosen.y) == list(s.text()[1:])
    assert len(off.x) == int(s.off_argmax().sum())
    many = model.sample("h", 4, 1.0, seed=0, batch=300)
    argmax_text = model.sample("h", 4, 0.0).text()
    bars = sample_diversity_figure(many, argmax_text).data[0]
    counts = Counter(many.text(b) for b in range(300))
    assert dict(zip(bars.x, bars.y)) == dict(counts.most_common(12))
    assert [c == HIGHLIGHT for c in bars.marker.color] == [s == argmax_text for s in bars.x]
