"""Class gallery: every model trained or uploaded on this server, scored on the same held-out text."""
import streamlit as st

from core.charlm.gallery import COMMON, SAMPLE_T, Score, common_text, score
from core.charlm.shipped import available_models
from core.checkpoints import CheckpointError
from core.plots.charlm import gallery_figure
from core.store import StoredModel
from pages._common import chart, page_intro
from pages._links import stop
from pages._models import model_store, shipped_checkpoint, stored_checkpoint

page_intro(
    "Class gallery",
    "Every character model trained or uploaded on this server, by everyone who uses it, scored on **the same "
    "held-out text** its corpus has: text none of them trained on. Lower is better. Compare the cells, the "
    "sizes, the chunk lengths and the minutes of training, and open any model with its link.",
)
st.caption("Models on a shared server are visible to all its users: the name shown is the one the student typed on "
           "“Train your own” (or “anonymous”).")

entries = [e for e in model_store().entries() if e.kind == "charlm"]
if not entries:
    st.info("No model has been saved on this server yet. Train one on “Train your own” (or upload a checkpoint "
            "there): it appears here, with everyone else's.")
    stop()


@st.cache_resource(max_entries=256, show_spinner=False)
def scored(model_id: str, corpus: str) -> Score:
    """A saved model's loss on its corpus's common text and its sample (a model's file never changes: by id)."""
    return score(stored_checkpoint(model_id), corpus)


@st.cache_resource(max_entries=4, show_spinner="Scoring the shipped model on the same text…")
def shipped_loss(corpus: str) -> tuple[str, float] | None:
    """The shipped LSTM of `corpus` on the common text: the line to beat."""
    shipped = next((m for m in available_models() if m.corpus == corpus and "LSTM" in m.title), None)
    loss = None if shipped is None else score(shipped_checkpoint(str(shipped.path)), corpus).loss
    return None if loss is None else (f"shipped: {shipped.title}", loss)


progress = st.progress(0.0, text="Scoring the models on the same held-out text…")
scores: dict[str, Score] = {}
for k, entry in enumerate(entries):
    try:
        scores[entry.id] = scored(entry.id, entry.corpus)
    except CheckpointError:  # removed by the size cap, or damaged, since the listing: left out
        pass
    progress.progress((k + 1) / len(entries), text=f"Scored {k + 1} of {len(entries)} models…")
progress.empty()
entries = [e for e in entries if e.id in scores]


def row(entry: StoredModel, rank: int | None) -> dict:
    s = scores[entry.id]
    return {"rank": rank, "model": entry.name, "by": entry.who, "link": f"sampling?model={entry.id}",
            "cell": entry.cell, "layers × units": f"{entry.layers} × {entry.hidden}",
            "held-out loss": None if s.loss is None else round(s.loss, 3),
            "its own validation loss": None if entry.val_loss is None else round(entry.val_loss, 3),
            "sample": s.sample.replace("\n", " ⏎ ")}


columns = {"link": st.column_config.LinkColumn("open", display_text="open", help="Opens the model on “Sampling & "
                                                "temperature”; copy it to share the model."),
           "held-out loss": st.column_config.NumberColumn(help="Nats per character on the common held-out text."),
           "sample": st.column_config.TextColumn(width="large", help=f"What it writes from a new line, T = {SAMPLE_T}, "
                                                 "seed 0.")}
for corpus in (*COMMON, "other"):
    group = [e for e in entries if (e.corpus if e.corpus in COMMON else "other") == corpus]
    if not group:
        continue
    ranked = sorted((e for e in group if scores[e.id].loss is not None), key=lambda e: scores[e.id].loss)
    rest = [e for e in group if scores[e.id].loss is None]
    title = {"shakespeare": "Shakespeare", "python": "Python code", "other": "Uploaded texts"}[corpus]
    st.subheader(f"{title}: {len(group)} model{'s' if len(group) > 1 else ''}")
    if corpus in COMMON:
        st.caption(f"Scored on the same {len(common_text(corpus)):,} held-out characters. A model that does not know "
                   "every character of that text is listed without a score.")
    else:
        st.caption("Each trained on its own text: there is no common text to score them on, so only their own "
                   "validation loss is shown (not comparable between models).")
    if ranked:
        chart(gallery_figure([f"{e.name} · by {e.who} · {e.id[:6]}" for e in ranked],
                             [scores[e.id].loss for e in ranked], shipped_loss(corpus)), f"gallery_{corpus}")
    st.dataframe([row(e, k + 1) for k, e in enumerate(ranked)] + [row(e, None) for e in rest], hide_index=True,
                 column_config=columns, key=f"gallery_table_{corpus}")
