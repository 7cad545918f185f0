"""Gates, guesses & memory: how an LSTM's gates behave, what it expects next, and how far back it looks."""
import numpy as np
import streamlit as st

from core.charlm.analysis import AnalysisError, analysis_gates, connectivity, gate_saturation, prepare_text, reach
from core.charlm.vocab import Vocab
from core.plots.charlm import show_char
from core.plots.frozen import FrozenFigure
from core.plots.hidden import connectivity_figure, gate_saturation_figure, top_guesses_figure
from pages._common import LINK, chart, check_yourself, download_data, page_intro, plain
from pages._hidden import analysis_of, choose_model_and_text, unknown_notes
from pages._links import follows
from pages._models import all_models
from pages._text_view import shaded_text

page_intro(
    "Gates, guesses & memory",
    "An LSTM decides with three sigmoid **gates** what to write into its cell, what to keep and what to show. Gates "
    "near 0 or 1 act like switches: Karpathy, Johnson & Fei-Fei (2015) found forget gates that stay open, which is "
    "how the cell carries information across long spans. The gradient of one prediction with respect to every "
    "earlier input shows how far back that prediction reaches (Distill, “Visualizing memorization in RNNs”).",
    r"i_t, f_t, o_t = \sigma(W x_t + U h_{t-1} + b), \qquad "
    r"\text{connectivity}(s, t) = \Big\lVert \frac{\partial y_t}{\partial x_s} \Big\rVert",
)

sel = choose_model_and_text()
analysis, _ = analysis_of(sel)
text, T = analysis.text, len(analysis.text)


@st.cache_resource(max_entries=64, ttl=3600, show_spinner=False)
def guesses_figure(key: str, start: int, end: int, _analysis):
    """The top-5 guesses under a window of the text (shared read-only)."""
    return FrozenFigure(top_guesses_figure(_analysis, start, end))


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def saturation_of(key: str, _analysis, _ck, _prepared):
    """Gate saturation per layer and its figure (None for a vanilla RNN)."""
    saturation = gate_saturation(analysis_gates(_ck.model, _analysis, _prepared))
    return saturation, FrozenFigure(gate_saturation_figure(saturation)) if any(saturation) else None


@st.cache_data(max_entries=64, ttl=3600, show_spinner="Back-propagating to every input…")
def _connectivity(key: str, _ck, _prepared, t: int, target: str) -> np.ndarray:
    return connectivity(_ck.model, _prepared, t, target)


@st.fragment
def guesses() -> None:
    """The window of guesses: moving it reruns only this."""
    st.subheader("What the model expects next")
    window = min(T, 40)
    start = st.slider("Window start", 0, T - window, value=0, key="guess_start", bind=LINK,
                      help=f"Which {window} characters to show.") if T > window else 0
    chart(guesses_figure(sel.key, start, start + window, analysis), "top_guesses")
    avg = float(analysis.surprise.mean()) if analysis.surprise.size else float("nan")
    st.caption(f"Dark cells are confident guesses. Inside a word the first guess is usually right; after a space or a "
               f"newline the guesses spread out. Average surprise over this text: {avg:.2f} nats per character.")


guesses()
st.subheader("Gate saturation")
saturation, saturation_figure = saturation_of(sel.key, analysis, sel.checkpoint, sel.prepared)
if saturation_figure is None:
    st.info("A vanilla RNN has no gates: pick an LSTM or GRU model to see them.")
else:
    chart(saturation_figure, "gate_saturation")
    download_data(saturation_figure, "gate_saturation", "the gate saturation")
    forget = [layer["forget"][1] for layer in saturation if "forget" in layer]
    note = (f" In the top layer, {np.mean(forget[-1] > 0.5):.0%} of forget gates are open (> 0.9) on more than half "
            "the steps: those units remember." if forget else "")
    st.caption("Points near the top-left are gates that are almost always open, near the bottom-right almost always "
               "shut, near the origin gates that stay in between; on the dotted line they are always saturated "
               "one way or the other." + note)
    top_layer = {gate: float(high.mean()) for gate, (_, high) in saturation[-1].items()}
    busiest = max(top_layer, key=top_layer.get)
    check_yourself("open_gate", "In the top layer, which gate is fully open (> 0.9) most often, averaged over its "
                   "units and this text?", list(top_layer), busiest, "Share of steps above 0.9: " + ", ".join(
                       f"{gate} {share:.0%}" for gate, share in top_layer.items()) + ".")


@st.fragment
def reach_back() -> None:
    """Connectivity: the position, what is differentiated and the models compared rerun only this."""
    st.subheader("How far back does a prediction reach?")
    if T < 2:
        st.info("Connectivity needs at least two characters: one to predict from and the next one to predict.")
        return
    c1, c2 = st.columns([3, 2])
    t = c1.slider("Prediction at position t", 0, T - 2, value=min(T - 2, 300), key=follows("reach_t", T), bind=LINK,
                  help="The output whose dependence on earlier characters is measured: it predicts character t + 1.") \
        if T > 2 else 0
    target = c2.radio("Differentiate", ["loss", "score"], horizontal=True, key="reach_target", bind=LINK,
                      format_func=lambda v: {"loss": "the loss at t", "score": "the top score at t"}[v],
                      help="The loss of the true next character, or the score of the likeliest one.")
    others = {name: ck for name, ck in all_models().in_memory().items()
              if name != sel.label and not Vocab(ck.vocab).unknown(text[: t + 2])}
    compare = st.multiselect("Compare with", list(others), default=list(others)[:1],
                             key=follows("reach_compare", *others), bind=LINK,
                             help="Other models that know every character of the text up to t + 1.")
    curves = {}
    for name, ck in {sel.label: sel.checkpoint, **{m: others[m] for m in compare}}.items():
        prepared = sel.prepared if name == sel.label else prepare_text(text[: t + 2], Vocab(ck.vocab))
        try:
            curves[name] = _connectivity(f"{ck.key}:{hash(prepared.text)}", ck, prepared, t, target)
        except AnalysisError as e:
            st.warning(f"{plain(name)}: {plain(str(e))}")
            return
    norms = curves[sel.label]
    shaded_text(text[: t + 2], (np.sqrt(norms / norms.max())).tolist() + [0.0], "relative ‖∂y/∂x‖", key="reach_text",
                notes={**unknown_notes(sel.prepared), t + 1: "the character being predicted"}, height=280)
    st.caption(f"Shaded by the square root of ‖∂y_t/∂x_s‖ relative to the largest; the outlined character "
               f"'{plain(show_char(text[t + 1]))}' is the one predicted. "
               + " ".join(f"{plain(name)}: 90% of the gradient comes from the last {reach(n)} characters."
                          for name, n in curves.items()))
    reaching = connectivity_figure(curves)
    chart(reaching, "connectivity")
    download_data(reaching, "connectivity", "the connectivity curves")
    st.caption("On a log scale: a vanilla RNN's line falls steeply (its gradient vanishes within a few dozen "
               "characters); an LSTM's falls more slowly because its cell state passes gradients back through the "
               "forget gates.")


# Cost of a move: model or text: a new analysis (shared by the class) and the page; window start: a fragment with a
# cached figure; position, target or comparison: a fragment and one backward pass per model (cached by its inputs).
reach_back()
