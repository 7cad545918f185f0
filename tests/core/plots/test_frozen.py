"""Figures kept for shared caches: the shared template is set without re-validating it and gives the same figure;
a frozen figure draws exactly like the figure it was made from and cannot be changed through it."""
import gc
import json
import pickle

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from PIL import Image

from core.gradients.flow import FlowConfig, mechanism, run_flow
from core.plots.frozen import FrozenFigure
from core.plots.gradients import gradient_norms_figure, lstm_cell_figure, mechanism_figure
from core.plots.style import COLORWAY, TEMPLATE, base_layout
from core.plots.vision import overlay_figure


def plain(fig) -> dict:
    return json.loads(pio.to_json(fig, validate=False))


def test_base_layout_gives_the_figure_that_validating_the_template_gives():
    registered = pio.templates[TEMPLATE].to_plotly_json()
    built = base_layout(go.Figure(go.Bar(x=["a"], y=[1])), "title", 300)
    validated = go.Figure(go.Bar(x=["a"], y=[1])).update_layout(
        template=TEMPLATE, title=dict(text="title", x=0.0, xanchor="left", y=0.98, yanchor="top"), height=300,
        margin=dict(l=60, r=20, t=90, b=50), font=dict(size=13),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1.0))
    assert plain(built) == plain(validated)
    assert built.layout.template.layout.paper_bgcolor == "white"  # plotly's white template
    assert list(built.layout.template.layout.colorway) == COLORWAY  # with the app's colour-blind-safe colours
    built.layout.template.layout.paper_bgcolor = "black"  # a change to one figure's template stays in that figure
    assert pio.templates[TEMPLATE].to_plotly_json() == registered
    assert base_layout(go.Figure(), "t").layout.template.layout.paper_bgcolor == "white"
    assert built.layout._validate  # validation is back on for what the builders set next


def test_a_frozen_figure_draws_like_its_figure_and_is_a_new_copy_each_time():
    flow = run_flow(FlowConfig(steps=20, hidden=8))
    image = Image.new("RGB", (60, 40), (200, 10, 10))
    for fig in [gradient_norms_figure({"tanh": flow}), mechanism_figure(mechanism(flow), None), lstm_cell_figure(),
                overlay_figure(image, np.eye(14), "t", boxes=[((0, 0, 10, 10), True, "x")], points=[(5.0, 5.0)])]:
        frozen = FrozenFigure(fig)
        assert frozen.to_dict() == plain(fig) and json.loads(frozen.to_json()) == plain(fig)
        first = frozen.to_dict()
        first["layout"]["title"] = "changed"
        assert frozen.to_dict() == plain(fig)  # a reader's copy, never the stored figure
    from plotly.tools import return_figure_from_figure_or_data  # what st.plotly_chart reads a figure through

    assert return_figure_from_figure_or_data(frozen, validate_figure=True) == plain(fig)
    assert pickle.loads(pickle.dumps(frozen)).to_dict() == plain(fig) and frozen == FrozenFigure(fig)


def test_a_frozen_figure_is_a_handful_of_objects_for_the_garbage_collector():
    fig = lstm_cell_figure()
    gc.collect()
    before = len(gc.get_objects())
    kept = [FrozenFigure(fig) for _ in range(20)]
    assert (len(gc.get_objects()) - before) / len(kept) < 20  # the figure itself is hundreds
