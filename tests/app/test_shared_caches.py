"""The pages' shared caches: a second session reuses what the first computed (nothing is computed again and it is
shown the same figures), and other inputs never get that result. Each test uses settings no other test uses, so
the first session really computes them."""
from core.plots import basics as basics_plots
from core.vision import explain
from core.vision.encoder import Encoder
from pages import _vqa_views
from tests.app.helpers import figure, ok, open_page


def counting(monkeypatch, owner, name: str) -> list:
    """Replace owner.name by a wrapper that records each call; returns the record."""
    calls, real = [], getattr(owner, name)

    def wrapped(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapped)
    return calls


def true_caption(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**True caption:**"))


def test_captioning_a_scene_once_serves_every_session(monkeypatch):
    first, second = open_page("pages/captioning.py", timeout=120), open_page("pages/captioning.py", timeout=120)
    captions, encodes = counting(monkeypatch, explain, "caption_image"), counting(monkeypatch, Encoder, "encode")
    ok(first.number_input(key="cap_scene").set_value(1_000_777).run())
    assert len(captions) == 3 and len(encodes) == 1  # none, soft, hard; one pass of the CNN
    ok(second.number_input(key="cap_scene").set_value(1_000_777).run())
    assert len(captions) == 3 and len(encodes) == 1  # the second student's move computed nothing
    assert true_caption(second) == true_caption(first)
    for key in ("cap_overlay_soft", "cap_overlay_hard", "cap_entropy", "cap_labels", "cap_camfig"):
        assert figure(second, key) == figure(first, key)
    ok(second.number_input(key="cap_scene").set_value(1_000_778).run())  # another scene: its own result
    assert len(captions) == 6 and len(encodes) == 2 and true_caption(second) != true_caption(first)
    assert figure(second, "cap_overlay_soft") != figure(first, "cap_overlay_soft")
    ok(second.radio(key="cap_mode").set_value("beam").run())  # another decoding of the same scene: decoded anew
    assert len(captions) == 9 and len(encodes) == 2
    before = true_caption(second)
    ok(second.selectbox(key="cap_count").set_value(1).run())  # the same seed with another object count: another image
    assert len(encodes) == 3 and true_caption(second) != before


def test_vqa_replies_are_shared_and_keyed_by_the_picture_and_the_question(monkeypatch):
    first, second = open_page("pages/vqa.py", timeout=120), open_page("pages/vqa.py", timeout=120)
    replies = counting(monkeypatch, _vqa_views, "reply")
    for at in (first, second):
        ok(at.number_input(key="vqa_scene").set_value(1_000_778).run())
    assert len(replies) == 4  # four models, once
    assert figure(second, "vqa_hop2") == figure(first, "vqa_hop2")
    ok(second.radio(key="vqa_ask").set_value("Type your own").run())  # its default: how many circles are there?
    assert len(replies) == 8 and figure(second, "vqa_answers") != figure(first, "vqa_answers")
    ok(second.text_input(key="vqa_text").set_value("how many squares are there?").run())
    assert len(replies) == 12
    ok(first.radio(key="vqa_ask").set_value("Type your own").run())  # the first student asks the same: shared
    assert len(replies) == 12 and figure(first, "vqa_answers") != figure(second, "vqa_answers")
    ok(first.text_input(key="vqa_text").set_value("how many squares are there?").run())
    assert len(replies) == 12 and figure(first, "vqa_answers") == figure(second, "vqa_answers")


def test_gradient_flow_settings_are_computed_once_for_the_class(monkeypatch):
    from core.gradients import experiment

    first, second = open_page("pages/gradient_flow.py"), open_page("pages/gradient_flow.py")
    runs = counting(monkeypatch, experiment, "run_flow")
    ok(first.slider(key="flow_rho").set_value(1.23).run())
    assert len(runs) == 3  # tanh RNN, LSTM, GRU
    ok(second.slider(key="flow_rho").set_value(1.23).run())
    assert len(runs) == 3 and figure(second, "flow_norms") == figure(first, "flow_norms")
    assert figure(second, "flow_mechanism") == figure(first, "flow_mechanism")
    ok(second.slider(key="flow_rho").set_value(1.24).run())
    assert len(runs) == 6 and figure(second, "flow_norms") != figure(first, "flow_norms")


def test_hello_figures_follow_the_weights_not_the_session(monkeypatch):
    first, second = open_page("pages/hello_model.py"), open_page("pages/hello_model.py")
    builds = counting(monkeypatch, basics_plots, "hello_steps_figure")
    for at in (first, second):
        ok(at.number_input(key="init_seed").set_value(4242).run())
    assert len(builds) == 1  # the same fresh model in both sessions: one figure
    ok(second.slider(key="lr").set_value(0.7).run())
    assert len(builds) == 1  # the learning rate changes no weight
    ok(second.button(key="train_1").click().run())
    assert len(builds) == 2 and figure(second, "steps") != figure(first, "steps")  # trained: its own figure


def test_graphs_tbptt_maps_and_sample_counts_are_built_once_for_the_class(monkeypatch):
    from core.gradients import remedies

    graphs = counting(monkeypatch, basics_plots, "unrolled_graph_figure")
    maps = counting(monkeypatch, remedies, "tbptt_gradient_map")
    counts = counting(monkeypatch, basics_plots, "sample_diversity_figure")
    for page, slider, values, chart, calls in [
            ("pages/rnn_shapes.py", "output_length", (7, 5), "graph", graphs),
            ("pages/gradient_remedies.py", "tbptt_k", (17, 11), "tbptt_map", maps),
            ("pages/hello_sampling.py", "n_samples", (170, 110), "diversity", counts)]:
        first, second = open_page(page), open_page(page)
        if slider == "output_length":
            for at in (first, second):
                ok(at.radio(key="shape").set_value("seq2seq").run())
        before = len(calls)
        ok(first.slider(key=slider).set_value(values[0]).run())
        assert len(calls) == before + 1, page
        ok(second.slider(key=slider).set_value(values[0]).run())  # the second session: nothing built
        assert len(calls) == before + 1 and figure(second, chart) == figure(first, chart), page
        ok(second.slider(key=slider).set_value(values[1]).run())  # another setting: its own
        assert len(calls) == before + 2 and figure(second, chart) != figure(first, chart), page
