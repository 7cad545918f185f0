"""RNN basics, part 1: the vanilla recurrence and its unrolled graph for every input/output shape.

What a move costs the server (benchmarks/moves.py): each control picks another graph; the graph and its figure are
cached by (shape, T, T′) and shared by every session (181 settings in all), so a move costs only the redraw once
anyone has seen that graph (a first one ~25 ms to build). Measured (2 cores, one session, server CPU): a new graph
0.23 s, a seen one 0.19 s; about 0.15 s of each was
Streamlit's full garbage collection after every rerun, since switched off (.streamlit/config.toml)."""
from dataclasses import dataclass

import streamlit as st

from core.basics.unrolled import SHAPES, UnrolledGraph, unrolled_graph
from core.plots.basics import unrolled_graph_figure
from core.plots.frozen import FrozenFigure
from pages._common import LINK, chart, page_intro

page_intro(
    "The recurrence and its shapes",
    "A recurrent network reads a sequence one step at a time and keeps a hidden state h_t that "
    "carries what it has seen. **The same function with the same weights** is applied at every "
    "step, so one small cell handles sequences of any length. Unrolled in time, it becomes a "
    "deep computational graph, and how inputs and outputs attach to it gives the lecture's "
    "shapes: one to many, many to one, many to many.",
    r"h_t = f_W(h_{t-1}, x_t) = \tanh\!\left(W_{hh}\,h_{t-1} + W_{xh}\,x_t\right)"
    r"\qquad y_t = W_{hy}\,h_t \qquad L = \textstyle\sum_t L_t",
)


@dataclass(frozen=True)
class ShapeControls:
    shape: str
    length: int
    output_length: int | None


def controls() -> ShapeControls:
    """The widgets: which shape, and how long its sequences are."""
    c1, c2, c3 = st.columns([2, 1, 1])
    shape = c1.radio("Shape", list(SHAPES), format_func=lambda k: SHAPES[k].title, index=list(SHAPES).index("aligned"),
                     key="shape", bind=LINK,
                     horizontal=True,
                     help="How inputs and outputs attach to the unrolled RNN. "
                          "Each shape is one of the lecture's examples.")
    recurrent = SHAPES[shape].recurrent
    length = c2.slider("Sequence length T", 1, 12, value=4, key="length", bind=LINK, disabled=not recurrent,
                       help="How many time steps to unroll (input steps for the encoder–decoder, output steps "
                            "for one-to-many). One-to-one has no sequence, so it is always 1.")
    output_length = None
    if shape == "seq2seq":
        output_length = c3.slider("Output length T′", 1, 12, value=3, key="output_length", bind=LINK,
                                  help="How many words the decoder writes: "
                                       "a translation need not be as long as its source.")
    return ShapeControls(shape, length if recurrent else 1, output_length)


@st.cache_resource(max_entries=256, show_spinner=False)
def graph_of(shape: str, length: int, output_length: int | None) -> tuple[UnrolledGraph, FrozenFigure]:
    """The unrolled graph and its figure, built once per setting and shared."""
    graph = unrolled_graph(shape, length, output_length)
    return graph, FrozenFigure(unrolled_graph_figure(graph))


cfg = controls()
graph, figure = graph_of(cfg.shape, cfg.length, cfg.output_length)
chart(figure, "graph")
st.caption(f"**{SHAPES[cfg.shape].title}**: {SHAPES[cfg.shape].example}. Each colour is one weight matrix: "
           "every arrow of a colour applies the *same* matrix. Hover a node to read what it is.")

HELP = {
    "Data inputs": "Values that bring data into the graph: one per input step, or one fixed input (image features).",
    "Fed-back inputs": "The <START> token and the previous words the network writes for itself.",
    "Outputs": "Nodes where the network makes a prediction.",
    "Losses": "One loss per output; the total loss sums them.",
    "Uses of W_hh": "How many times the recurrent matrix is applied: once per step, the same matrix every time "
                    "(the encoder and decoder each have their own).",
}
for col, (label, value) in zip(st.columns(5), graph.counts().items()):
    col.metric(label, value, help=HELP[label])
st.info(SHAPES[cfg.shape].how)
uses = graph.weight_uses()
with st.expander("Weight matrices and how often each is used"):
    st.table({"weight matrix": list(uses), "times applied in this graph": list(uses.values())})
    st.caption("Gradients of a shared matrix add up over every place it is used: backpropagation through time "
               "sums dL/dW_hh over all steps.")
