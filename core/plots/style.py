"""Colours and layout defaults shared by every figure, so one idea has one colour across pages."""
from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

# One colour per weight matrix / role, used in every figure that shows it.
WEIGHT_COLOURS = {
    "W_xh": "#1f77b4",  # input -> hidden
    "W_hh": "#d62728",  # hidden -> hidden (the recurrence)
    "W_hy": "#2ca02c",  # hidden -> output
    "W_ih": "#9467bd",  # fixed input -> h_0
    "loss": "#7f7f7f",
    "sum": "#bbbbbb",
    "feedback": "#8c564b",
}
NODE_COLOURS = {
    "input": "#c6dbef",
    "token": "#fdf2c4",
    "hidden": "#fcbba1",
    "output": "#c7e9c0",
    "loss": "#e0e0e0",
    "total": "#bdbdbd",
    "init": "#fde0dd",
    "fixed": "#dadaeb",
}
HIGHLIGHT = "#ff7f0e"  # the chosen / sampled item
PROB_SCALE = "Blues"
SIGNED_SCALE = "RdBu_r"


def use_template(fig: go.Figure, name: str = "plotly_white") -> go.Figure:
    """Give `fig` plotly's registered template `name`, the way plotly gives every new figure its default one: the
    registered template is valid already, so it is not validated (and copied object by object) again. Setting it
    through update_layout(template=...) costs ~10 ms a figure, most of a simple figure's build; the result is the
    same figure (tests/core/plots/test_frozen.py)."""
    layout = fig.layout
    validate = getattr(layout, "_validate", True)  # plotly's own switch (BaseFigure._initialize_layout_template)
    layout._validate = False
    try:
        layout.template = pio.templates[name]
    finally:
        layout._validate = validate
    return fig


def base_layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    """Apply the shared template, title, margins and font; returns the same figure for chaining."""
    use_template(fig)
    fig.update_layout(
        title=dict(text=title, x=0.0, xanchor="left", y=0.98, yanchor="top"),
        height=height,
        margin=dict(l=60, r=20, t=90, b=50),
        font=dict(size=13),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1.0),
    )
    return fig


def legend_above_panels(fig: go.Figure) -> go.Figure:
    """Lift the legend above the panel titles of a figure made with make_subplots (returns the figure)."""
    fig.update_layout(legend=dict(y=1.14), margin=dict(t=110))
    return fig
