"""Colours and layout defaults shared by every figure, so one idea has one colour across pages."""
from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

# Okabe & Ito's eight colours ("Color Universal Design", 2008): chosen to stay apart for the common colour-vision
# deficiencies (tests/core/plots/test_palettes.py simulates protanopia, deuteranopia and tritanopia and checks every
# categorical palette below). Every categorical colour in the app's figures comes from here.
OKABE_ITO = {"blue": "#0072B2", "vermillion": "#D55E00", "bluish green": "#009E73", "reddish purple": "#CC79A7",
             "orange": "#E69F00", "sky blue": "#56B4E9", "black": "#000000", "yellow": "#F0E442"}
# One colour per weight matrix / role, used in every figure that shows it.
WEIGHT_COLOURS = {
    "W_xh": OKABE_ITO["blue"],  # input -> hidden
    "W_hh": OKABE_ITO["vermillion"],  # hidden -> hidden (the recurrence)
    "W_hy": OKABE_ITO["bluish green"],  # hidden -> output
    "W_ih": OKABE_ITO["reddish purple"],  # fixed input -> h_0
    "loss": OKABE_ITO["black"],
    "sum": OKABE_ITO["sky blue"],  # the losses summed into one
    "feedback": OKABE_ITO["orange"],
}
# Fills of a graph's nodes by kind; every node also carries its name (x_t, h_t, y_t, L), so colour is never the only
# cue there.
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
HIGHLIGHT = OKABE_ITO["orange"]  # the chosen / sampled item
BAR = OKABE_ITO["sky blue"]  # a bar that is none of the above (a word's probability, a class's score)
# The order plotly gives traces without a colour of their own (the template's colorway): yellow last, it is faint on
# white.
COLORWAY = list(OKABE_ITO.values())
PROB_SCALE = "Blues"
SIGNED_SCALE = "RdBu_r"


TEMPLATE = "rnnlab"
_template = go.layout.Template(pio.templates["plotly_white"])  # plotly's white template with our colorway
_template.layout.colorway = COLORWAY
pio.templates[TEMPLATE] = _template


def use_template(fig: go.Figure, name: str = TEMPLATE) -> go.Figure:
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


def with_summary(fig: go.Figure, text: str) -> go.Figure:
    """Give `fig` its text alternative: what it shows, in words and its live numbers, for a screen reader and for
    anyone who would rather read than look. Kept in the figure's layout.meta, so it travels with the figure into caches
    and downloads (core.plots.frozen.summary_of reads it; pages/_common.chart shows it under the figure)."""
    fig.update_layout(meta={"summary": text})
    return fig


def legend_above_panels(fig: go.Figure) -> go.Figure:
    """Lift the legend above the panel titles of a figure made with make_subplots (returns the figure)."""
    fig.update_layout(legend=dict(y=1.14), margin=dict(t=110))
    return fig
