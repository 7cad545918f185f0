"""Figures carry a text alternative built from the numbers they draw (core.plots.style.with_summary), which survives
freezing, pickling (to and from a worker process) and the figure's JSON."""
import pickle

import plotly.graph_objects as go
import torch

from core.plots.charlm import softmax_bars_figure, training_curves_figure
from core.plots.frozen import FrozenFigure, summary_of
from core.plots.style import with_summary
from core.plots.vision import answers_figure


def test_a_summary_travels_with_the_figure_wherever_it_goes():
    fig = with_summary(go.Figure(go.Bar(x=["a"], y=[2.0])), "one bar, 2.0 high")
    frozen = FrozenFigure(fig)
    assert summary_of(fig) == summary_of(frozen) == summary_of(frozen.to_dict()) == "one bar, 2.0 high"
    assert pickle.loads(pickle.dumps(frozen)).summary == "one bar, 2.0 high"
    assert summary_of(go.Figure()) is None and FrozenFigure(go.Figure()).summary is None


def test_the_training_curves_say_the_last_losses():
    rows = [{"step": 1, "loss": 4.2}, {"step": 2, "loss": 3.9, "val_loss": 4.05}, {"step": 3, "loss": 3.71234}]
    said = summary_of(training_curves_figure(rows))
    assert said == ("After 3 steps: training loss 3.712 nats per character on the last chunk; validation loss 4.050 "
                    "at step 2.")
    assert summary_of(training_curves_figure([])) is None  # nothing drawn, nothing said


def test_the_softmax_bars_say_what_was_sampled_and_what_was_likeliest():
    probs = torch.tensor([0.1, 0.6, 0.3])
    said = summary_of(softmax_bars_figure(probs, ("a", "b", " "), chosen=2))
    assert said.startswith("Sampled ‘␣’, which had probability 0.300; the most probable was ‘b’ (0.600).")
    assert "‘b’ 0.600, ‘␣’ 0.300, ‘a’ 0.100" in said


def test_the_answer_bars_say_each_answer_and_the_true_one():
    said = summary_of(answers_figure([("circle", 0.5), ("square", 0.25)], "square", "attention model"))
    assert said == "attention model: circle 50.0%, square 25.0%. The true answer: square."


def test_the_gallery_says_the_best_model_and_the_shipped_one():
    from core.plots.charlm import gallery_figure

    said = summary_of(gallery_figure(["ada's", "bo's"], [1.5, 1.2], ("shipped LSTM", 1.389)))
    assert said == "2 models on the same held-out text; the best: bo's, 1.200 nats per character; shipped LSTM: 1.389."


def test_the_connectivity_curves_say_the_dependence_1_10_and_100_back():
    import numpy as np

    from core.plots.hidden import connectivity_figure

    norms = 10.0 ** -np.arange(200)[::-1]  # s = 0 .. t: the nearest character (t − s = 0) last
    said = summary_of(connectivity_figure({"LSTM": norms}))
    assert said == "‖∂y_t / ∂x_s‖, LSTM: 1.0e-01 1 back, 1.0e-10 10 back, 1.0e-100 100 back."
