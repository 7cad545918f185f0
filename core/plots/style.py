"""Colours and layout defaults shared by every figure, so one idea has one colour across pages."""
from __future__ import annotations

import plotly.graph_objects as go

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


def base_layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    """Apply the shared title, margins and font; returns the same figure for chaining."""
    fig.update_layout(
        template="plotly_white",
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
