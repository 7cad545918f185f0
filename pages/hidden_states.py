"""Hidden states: which units of a trained character model fire where, and what they track."""
import numpy as np
import streamlit as st

from core.charlm.analysis import span_matches, span_units
from core.charlm.features import FEATURES
from core.plots.charlm import show_char
from pages._common import LINK, chart, check_yourself, download_data, page_intro
from pages._hidden import analysis_of, choose_model_and_text, unit_heatmap, unknown_notes
from pages._links import opened_by_link
from pages._text_view import shaded_text

page_intro(
    "Hidden states",
    "A trained character model reads the text one character at a time; after each one, every unit of its hidden "
    "state h (and, in an LSTM, its cell state c) holds a number. Most units look like noise, but some follow "
    "something a reader would track: where the line is, whether a quote or bracket is open, who is speaking "
    "(Karpathy, Johnson & Fei-Fei, 2015). The **finder** ranks units by how closely they follow such features.",
    r"h_t = o_t \odot \tanh(c_t), \qquad c_t = f_t \odot c_{t-1} + i_t \odot g_t",
)

sel = choose_model_and_text()
analysis, ranking = analysis_of(sel)
signals = analysis.signals()
text = analysis.text
LABELS = {f.key: f.label for f in FEATURES}


FOLLOW = "unit_follows_finder"  # True until the student picks a signal or a unit: then the finder's best is shown


def show_unit(signal: str, unit: int) -> None:
    """Callback: make the unit picker show this unit (used by the finder table); a choice, kept for other texts."""
    st.session_state["unit_signal"], st.session_state["unit_index"] = signal, unit
    st.session_state[FOLLOW] = False


def picked_by_hand() -> None:
    """Callback of the signal and unit pickers: from now on they keep what the student chose."""
    st.session_state[FOLLOW] = False


def pick_finder_row() -> None:
    """Callback of the finder table: a selected row becomes the unit shown below."""
    rows = st.session_state["finder_table"].selection.rows
    if rows:
        best = ranking[rows[0]]
        show_unit(best.signal, best.unit)


st.subheader("Units that track something")
if ranking:
    st.dataframe([{"unit": f"{s.signal} #{s.unit}", "follows": LABELS[s.feature], "correlation r": round(s.r, 3),
                   "threshold accuracy": "—" if s.accuracy is None else f"{s.accuracy:.0%}"} for s in ranking],
                 hide_index=True, key="finder_table", on_select=pick_finder_row, selection_mode="single-row",
                 height=260)
    top = ranking[0]
    st.caption(f"Best: {top.signal} #{top.unit} follows “{LABELS[top.feature]}” with r = {top.r:+.2f}. "
               "Select a row to show that unit below. Correlation r is over every character; threshold accuracy is "
               "the balanced accuracy of the best single threshold on the unit (50% is chance), for yes/no features.")
    check_yourself("sign", f"{top.signal} #{top.unit} follows “{LABELS[top.feature]}”. Is it larger where that feature "
                   "is on (or large), or where it is off (or small)?", ["where it is on", "where it is off"],
                   "where it is on" if top.r > 0 else "where it is off",
                   f"Its correlation with the feature is r = {top.r:+.2f}: a unit can carry a feature by going down "
                   "as well as up, and the next layer reads either just as well.")
elif len(text) < 20:
    st.info("The finder needs at least 20 characters of text. Use a longer text to rank the units.")
else:
    st.info("None of the finder's features changes over this text (no line ends, brackets, quotes …), so there "
            "is nothing for a unit to follow. Use a longer or more varied text.")


def one_unit() -> str:
    """Signal and unit: the coloured text and the heatmap; returns the signal."""
    st.subheader("One unit, over the text")
    units = max(a.shape[1] for a in signals.values())  # a link's unit is read only if it could be one
    if opened_by_link({"unit_signal": signals.__contains__, "unit_index": lambda u: u.isdigit() and len(u) < 5
                       and int(u) < units}):
        st.session_state[FOLLOW] = False  # the link chose the unit
    if ranking and st.session_state.get(FOLLOW, True):  # nobody chose: show the best unit of this text
        st.session_state["unit_signal"], st.session_state["unit_index"] = ranking[0].signal, ranking[0].unit
    c1, c2 = st.columns([2, 1])
    signal = c1.selectbox("Signal", list(signals), key="unit_signal", bind=LINK, on_change=picked_by_hand,
                          help="Hidden state h of a layer, or (LSTM) its cell state c, which is not squashed by tanh.")
    acts = signals[signal]
    unit = int(c2.number_input("Unit", 0, acts.shape[1] - 1,
                               value=ranking[0].unit if ranking else 0, key="unit_index", bind=LINK,
                               on_change=picked_by_hand,
                               help="Which unit to colour the text by. Picking a row of the finder table sets it."))
    values = acts[:, unit]
    scale = float(np.abs(values).max()) or 1.0
    shaded_text(text, (values / scale).tolist(), f"{signal} #{unit}", key="unit_text", signed=True,
                notes=unknown_notes(sel.prepared), height=360)
    st.caption(f"Red: positive, blue: negative, scaled by this unit's largest |value| {scale:.2f}. "
               "Hover a character for its value. Look for a pattern a reader would recognise.")
    st.subheader("Every unit over time")
    heatmap = unit_heatmap(sel.key, signal, unit, acts, text)
    chart(heatmap, "unit_heatmap")
    download_data(heatmap, "unit_activations", "the units' values")
    st.caption("Each row is one unit, each column a character (or the average over a few, for long texts). Hover shows "
               "the characters and the value. Each row is scaled by its own largest |value|. Rows that change colour "
               "at line ends or brackets are worth a closer look.")
    return signal


def span_search(signal: str) -> None:
    """LSTMVis's span search over the signal picked above."""
    st.subheader("Span search (as in LSTMVis)")
    st.markdown("Mark a stretch of text: the search finds units that stay **on** (above the threshold) all through it "
                "and are off just before and after, then looks for other places where those units switch on together.")
    acts = signals[signal]
    c1, c2 = st.columns([3, 1])
    if "span" in st.session_state:  # a shorter text came: keep the span inside it
        st.session_state["span"] = tuple(min(v, len(text)) for v in st.session_state["span"])
    span = c1.slider("Span (character positions)", 0, len(text), value=(0, min(len(text), 8)), key="span", bind=LINK,
                     help="Start and end of the stretch; the end is not included.")
    level = c2.slider("Threshold", -0.9, 0.9, step=0.05, value=0.3, key="span_threshold", bind=LINK,
                      help="A unit is on where its value is above this fraction of the signal's largest |value| "
                           "(for h that is about 1; the cell state c can grow much larger).")
    threshold = level * float(np.abs(acts).max())
    start, end = span
    if start >= end:
        st.info("The span is empty: move the end of the slider past its start.")
        return
    st.text(f"Span: {''.join(show_char(c) for c in text[start:end])[:120]}")
    found = span_units(acts, start, end, threshold)
    if found.size == 0:
        st.info(f"No unit of {signal} stays above {threshold:+.2f} ({level:+.2f} of its largest value) "
                "through the span and below it just outside. Try a lower threshold, another signal, or a span that "
                "ends where something ends (a word, a line, a bracket).")
        return
    st.write(f"**{found.size} unit(s)** switch on for the span: {', '.join(map(str, found[:40].tolist()))}")
    matches = span_matches(acts, found, threshold, min_length=min(2, end - start))
    st.dataframe([{"from": s, "to": e, "text": "".join(show_char(c) for c in text[s:e])[:80],
                   "units on": f"{share:.0%}", "the span you marked": (s, e) == (start, end)}
                  for s, e, share in matches], hide_index=True, key="span_matches")
    st.caption("Stretches where all of those units are on together, longest first (at most 10).")


@st.fragment
def unit_views() -> None:
    """Everything that depends on the signal, the unit, the span and the threshold: moving any of them reruns only
    this (the finder table's selection reruns the page, which sets the signal and unit)."""
    span_search(one_unit())


# Cost of a move: model, text, start or length: a new analysis (about 0.55 s of one core for 2,000 characters, shared
# by every session reading the same text) and the page; signal, unit, span or threshold: a fragment (the text's
# numbers, a cached heatmap, two numpy scans).
unit_views()
