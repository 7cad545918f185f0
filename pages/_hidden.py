"""What the two hidden-state pages share (not a page itself): the model and text pickers and the cached
analysis. Both pages use the same widget keys, so a model and text chosen on one are there on the other."""
from dataclasses import dataclass

import numpy as np
import streamlit as st

from core.charlm.analysis import (
    MAX_CHARS,
    Analysis,
    AnalysisError,
    AnalysisShelf,
    PreparedText,
    find_units,
    prepare_text,
)
from core.charlm.corpus import CorpusError, held_out_slice, python_corpus
from core.charlm.vocab import Vocab
from core.checkpoints import Checkpoint
from core.plots.charlm import show_char
from core.plots.frozen import FrozenFigure
from core.plots.hidden import unit_heatmap_figure
from pages._common import LINK, plain
from pages._links import stop
from pages._models import all_models, chosen_checkpoint, pick_model

SOURCES = {"Held-out plays (Shakespeare)": "prose", "Held-out Python code": "code", "Your own text": "yours"}
KINDS = {"prose": ("all", "prose"), "code": ("all", "code")}  # which features the finder tries on such text
DEFAULT_TEXT = "def count(words):\n    seen = {}\n    for w in words:  # tally\n        seen[w] = seen.get(w, 0) + 1\n"


@st.cache_data(show_spinner="Reading the held-out text…", max_entries=2)
def held_out_text(kind: str) -> str:
    """Validation text the shipped models never trained on: four whole plays, or every tenth stdlib module."""
    return held_out_slice() if kind == "prose" else python_corpus().val


@dataclass(frozen=True)
class Selection:
    """The model and the text the page looks at."""

    label: str
    checkpoint: Checkpoint
    prepared: PreparedText
    kinds: tuple[str, ...]  # which features mean something in this text

    @property
    def key(self) -> str:
        """Identifies model and text, for caches."""
        return f"{self.checkpoint.key}:{hash(self.prepared.text)}"


def choose_model_and_text() -> Selection:
    """The model, the text source and the text; stops the page with a message when the text is unusable."""
    models = all_models()
    if not models:
        st.error("No model is available: the shipped checkpoints are missing from assets/ and you have not trained "
                 "one. Train one on “Train your own”, or restore assets/ (see the README).")
        stop()
    c1, c2 = st.columns([1, 1])
    label = pick_model(c1, "hidden_model", models, "A shipped model, one you trained on “Train your own”, or one "
                       "saved on this server by anyone who uses it.")
    ck = chosen_checkpoint(models, label)
    source = c2.radio("Text", list(SOURCES), horizontal=True,
                      key="hidden_source", bind=LINK,
                      help="Held-out text was never seen in training. Your own text may contain anything.")
    kind = SOURCES[source]
    if kind == "yours":
        c3, c4 = st.columns([4, 1])
        text = c3.text_area("Your text", value=DEFAULT_TEXT, key="hidden_text", bind=LINK, height=120,
                            help=f"Paste anything; the first {MAX_CHARS:,} characters are analysed.")
        kind = c4.radio("It is", ["code", "prose"], key="hidden_text_kind", bind=LINK,
                        help="Which features the finder looks for: code (strings, comments, indentation) or prose "
                             "(double quotes, speaker names). Line position and brackets are tried on both.")
    else:
        try:
            full = held_out_text(kind)
        except CorpusError as e:
            st.error(f"The held-out text cannot be read: {e}")
            stop()
        c3, c4 = st.columns(2)
        start = c3.number_input("Start at character", 0, max(0, len(full) - 100), step=500,
                                value=0, key=f"hidden_start_{kind}", bind=LINK,
                                help=f"Where in the {len(full):,} held-out characters the text begins.")
        length = c4.slider("Length (characters)", 100, MAX_CHARS, step=100, value=2000, key="hidden_length", bind=LINK,
                           help="Longer texts give the finder more evidence. Shortening the text reuses the analysis; "
                                "lengthening it reads only the characters added.")
        text = full[int(start): int(start) + length]
    try:
        prepared = prepare_text(text, Vocab(ck.vocab))
    except AnalysisError as e:
        st.warning(f"Nothing to analyse: {e}.")
        stop()
    if prepared.truncated:
        st.warning(f"The text has {prepared.original_length:,} characters; only the first {MAX_CHARS:,} are analysed.")
    if prepared.unknown:
        odd = sorted({prepared.text[i] for i in prepared.unknown})
        st.warning(f"{len(prepared.unknown)} character(s) are not in this model's vocabulary: "
                   f"{plain(', '.join(repr(show_char(c)) for c in odd[:10]))}{' …' if len(odd) > 10 else ''}. "
                   f"They are shown outlined and fed to the model as {show_char(prepared.substitute)!r}.")
    return Selection(label, ck, prepared, KINDS[kind])


@st.cache_resource
def shelf() -> AnalysisShelf:
    """The server's recent analyses, shared read-only by every session: moving the length slider cuts or continues
    one of them instead of reading the text again (core.charlm.analysis.AnalysisShelf). 1.5 GB: about 90 analyses of
    2,000 characters by the shipped LSTM, so that a class reading different parts of the plays shares more of them."""
    return AnalysisShelf(megabytes=1536)


@st.cache_resource(max_entries=48, ttl=3600, show_spinner="Ranking the units…")
def _ranking(key: str, _analysis: Analysis, kinds: tuple[str, ...]) -> list:
    """The finder's ranking of one analysis (keyed by model and text)."""
    return find_units(_analysis, kinds) if len(_analysis.text) >= 20 else []


def analysis_of(selection: Selection) -> tuple[Analysis, list]:
    """The analysis of the selection (from the shelf when it can be) and its finder ranking (empty for texts under 20
    characters)."""
    with st.spinner("Running the model over the text…", show_time=True):
        analysis, _ = shelf().get(selection.checkpoint.key, selection.checkpoint.model,
                                  Vocab(selection.checkpoint.vocab), selection.prepared)
    return analysis, _ranking(selection.key, analysis, selection.kinds)


def unknown_notes(prepared: PreparedText) -> dict[int, str]:
    """Tooltips for characters the model does not know."""
    return {i: f"not in the model's vocabulary, read as {show_char(prepared.substitute)!r}" for i in prepared.unknown}


@st.cache_resource(max_entries=64, ttl=3600, show_spinner=False)
def unit_heatmap(key: str, signal: str, unit: int, _acts: np.ndarray, _text: str):
    """The units × time heatmap with `unit` first (shared read-only by every session looking at the same thing)."""
    order = np.argsort(-_acts.std(0))[:48].tolist()
    shown = sorted(set(order) | {unit}, key=lambda u: (u != unit, order.index(u) if u in order else -1))
    return FrozenFigure(unit_heatmap_figure(_acts, _text, shown,
                                            f"{signal}: the unit above, then the 48 most variable units"))
