"""What the VQA page computes (not a page itself), cached by its inputs and shared by every session: every model's
reply to a question about a picture, and the figures, frozen (core.plots.frozen). Keys are the picture's key, the
question's text and small settings; the picture travels unhashed (`_picture`). A question the models cannot read
raises QuestionError, which is not cached. Bounded, an hour at most: a hop figure is ~0.3 MB of JSON (the picture
alone 0.12 MB), the rest a few kB; at their limits these caches hold about 40 + 10 MB."""
from __future__ import annotations

import streamlit as st

from core.plots.frozen import FrozenFigure
from core.plots.vision import answers_figure, overlay_figure, vectors_figure
from core.vision import explain as ex
from core.vision.vqa import Reply, reply
from pages._vision import Picture, features, shown, vqa_models

NAMES = {"attention": "attention model", "lecture": "lecture's model", "question": "question only",
         "image": "image only"}
HOPS = {1: "the object the question names", 2: "the object the answer is read off"}


@st.cache_resource(max_entries=512, ttl=3600, show_spinner=False)
def _replies(key: str, text: str, _picture: Picture) -> dict[str, Reply]:
    f = features(_picture)
    return {k: reply(m.model, f.mid, f.pooled, text) for k, m in vqa_models().items()}


def replies(picture: Picture, text: str) -> dict[str, Reply]:
    """Every shipped model's reply to `text` about `picture` (QuestionError if the question cannot be read)."""
    return _replies(picture.key, text, picture)


@st.cache_resource(max_entries=256, ttl=3600, show_spinner=False)
def _answers(key: str, text: str, model: str, truth: str | None, _picture: Picture) -> FrozenFigure:
    return FrozenFigure(answers_figure(list(_replies(key, text, _picture)[model].answers), truth, NAMES[model]))


def answers(picture: Picture, text: str, model: str, truth: str | None) -> FrozenFigure:
    """`model`'s five likeliest answers, the true one (when known) marked ✓, a wrong top answer ✗."""
    return _answers(picture.key, text, model, truth, picture)


@st.cache_resource(max_entries=256, ttl=3600, show_spinner=False)
def _vectors(key: str, text: str, model: str, _picture: Picture) -> FrozenFigure:
    chosen = _replies(key, text, _picture)[model]
    vectors = {}
    if chosen.question is not None:
        vectors["question summary q: the LSTM's last hidden state"] = chosen.question
    if chosen.image is not None:
        vectors["image summary: " + ("relation sum r = Σ g(v_j, z₁, q) / L" if model == "attention" else
                                     "tanh(W_i · pooled CNN vector)")] = chosen.image
    return FrozenFigure(vectors_figure(vectors))


def vectors(picture: Picture, text: str, model: str) -> FrozenFigure:
    """The summary vectors `model`'s classifier reads, unit by unit."""
    return _vectors(picture.key, text, model, picture)


@st.cache_resource(max_entries=128, ttl=3600, show_spinner=False)
def _hop(key: str, text: str, hop: int, thing: int | None, _picture: Picture) -> FrozenFigure:
    heat = _replies(key, text, _picture)["attention"].maps[hop - 1]
    box = None if thing is None else _picture.scene.things[thing].box
    boxes = [] if box is None else [(box, bool(ex.box_cells(box)[int(heat.argmax())]), "named" if hop == 1 else
                                     "answer's")]
    return FrozenFigure(overlay_figure(shown(_picture), ex.upsample(heat, (112, 112)), f"hop {hop}: {HOPS[hop]}",
                                       boxes=boxes))


def hop(picture: Picture, text: str, hop: int, thing: int | None) -> FrozenFigure:
    """Where the attention model's hop `hop` (1 or 2) looks; `thing`: the scene object it should find, boxed ✓ (blue)
    when the map's peak lies on it (one cell of tolerance), ✗ (vermillion, dashed) when not."""
    return _hop(picture.key, text, hop, thing, picture)
