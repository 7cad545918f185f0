"""What the captioning page computes (not a page itself), cached by its inputs and shared by every session: the
captions of a picture for given decoding settings, the hard model's sampled glimpses, and every figure, frozen
(core.plots.frozen). Keys are the picture's key and small settings; the picture travels unhashed (`_picture`).
Bounded, an hour at most: an overlay figure is ~0.3 MB of JSON (the picture alone 0.12 MB), an animation ~1.5 MB, a
caption a few kB; at their limits these caches hold about 50 + 20 + 20 + 15 MB (overlays, maps,
animations, the rest)."""
from __future__ import annotations

import streamlit as st

from core.plots.frozen import FrozenFigure
from core.plots.vision import animation_figure, entropy_figure, labels_figure, overlay_figure
from core.vision import explain as ex
from core.vision.captioner import ATTENTION
from core.vision.encoder import top_labels
from core.vision.shipped import TITLES
from pages._common import check_yourself, plain
from pages._vision import Picture, captioners, encoder, features, imagenet_names, shown

MAP = (112, 112)  # attention maps are drawn upsampled to this many cells
END = "⟨end⟩"


@st.cache_resource(max_entries=512, ttl=3600, show_spinner=False)
def _captions(key: str, how: ex.Decoding, _picture: Picture) -> dict[str, ex.Caption]:
    models = captioners()
    f = features(_picture)
    return {k: ex.caption_image(models[k].model, f, how.mode, how.temperature, how.seed, how.beam)
            for k in ATTENTION if k in models}


def captions(picture: Picture, how: ex.Decoding) -> dict[str, ex.Caption]:
    """Every shipped captioner's caption of `picture` ("none", "soft", "hard"), with a map per word."""
    return _captions(picture.key, how, picture)


def chips(words: list[str], hits: list[bool | None]) -> str:
    """The caption with every scored word marked: ✓ (blue) a hit, ✗ (orange) a miss; the mark, not the colour alone,
    says which (the words come from a fixed vocabulary)."""
    return " ".join(w if h is None else f":{'blue' if h else 'orange'}-badge[{w} {'✓' if h else '✗'}]"
                    for w, h in zip(words, hits))


def steps(caption: ex.Caption) -> list[str]:
    """The words whose choice has a map: the caption's, then ⟨end⟩ if it was said."""
    return [*caption.words, END][: len(caption.maps)]


@st.cache_resource(max_entries=512, ttl=3600, show_spinner=False)
def _glimpses(key: str, words: tuple[str, ...], ended: bool, seed: int, _picture: Picture) -> ex.Glimpses:
    return ex.hard_glimpses(captioners()["hard"].model, features(_picture), list(words), ended, samples=8, seed=seed)


@st.cache_resource(max_entries=160, ttl=3600, show_spinner=False)
def _overlay(key: str, how: ex.Decoding, model: str, word: int, smooth: bool, seed: int,
             _picture: Picture) -> FrozenFigure:
    c = _captions(key, how, _picture)[model]
    scene = _picture.scene
    boxes = [] if scene is None else ex.object_marks(c.words, c.maps, scene.things, word)
    points = [] if model != "hard" else ex.glimpse_points(_glimpses(key, tuple(c.words), c.ended, seed, _picture), word,
                                                          _picture.image.size)
    return FrozenFigure(overlay_figure(shown(_picture), ex.upsample(c.maps[word], MAP, smooth),
                                       f"{model} attention, word {word + 1}: “{[*c.words, END][word]}”",
                                       boxes=boxes, points=points))


def overlay(picture: Picture, how: ex.Decoding, model: str, word: int, smooth: bool, seed: int) -> FrozenFigure:
    """`model`'s attention for its word `word` over the picture, the scene's objects boxed (hit / miss), and for the
    hard model where 8 sampled readings (seeded by `seed`) looked."""
    return _overlay(picture.key, how, model, word, smooth, seed if model == "hard" else 0, picture)


@st.cache_resource(max_entries=256, ttl=3600, show_spinner=False)
def _entropy(key: str, how: ex.Decoding, model: str, word: int, _picture: Picture) -> FrozenFigure:
    c = _captions(key, how, _picture)[model]
    return FrozenFigure(entropy_figure(steps(c), ex.entropy_bits(c.maps), ex.uniform_bits(), word, model))


def entropy(picture: Picture, how: ex.Decoding, model: str, word: int) -> FrozenFigure:
    """How focused `model`'s attention is for each word, word `word` highlighted."""
    return _entropy(picture.key, how, model, word, picture)


@st.cache_resource(max_entries=12, ttl=3600, show_spinner=False)
def _animation(key: str, how: ex.Decoding, model: str, smooth: bool, _picture: Picture) -> FrozenFigure:
    c = _captions(key, how, _picture)[model]
    return FrozenFigure(animation_figure(shown(_picture), [ex.upsample(m, MAP, smooth) for m in c.maps], steps(c)))


def animation(picture: Picture, how: ex.Decoding, model: str, smooth: bool) -> FrozenFigure:
    """`model`'s attention word after word, as frames to play."""
    return _animation(picture.key, how, model, smooth, picture)


@st.cache_resource(max_entries=256, ttl=3600, show_spinner=False)
def _labels(key: str, _picture: Picture) -> tuple[list[tuple[int, str, float]], FrozenFigure]:
    top = top_labels(features(_picture).logits[0], imagenet_names())
    return top, FrozenFigure(labels_figure(top))


def labels(picture: Picture) -> tuple[list[tuple[int, str, float]], FrozenFigure]:
    """The CNN's top-5 ImageNet classes (index, name, probability) and their bar chart."""
    return _labels(picture.key, picture)


@st.cache_resource(max_entries=64, ttl=3600, show_spinner=False)
def _activation(key: str, label: int, smooth: bool, _picture: Picture) -> FrozenFigure:
    heat = ex.upsample(ex.activation_map(encoder(), features(_picture), label), MAP, smooth)
    return FrozenFigure(overlay_figure(shown(_picture), heat, f"Where “{imagenet_names()[label]}” comes from",
                                       name="activation", height=380))


def activation(picture: Picture, label: int, smooth: bool) -> FrozenFigure:
    """The class activation map of ImageNet class `label` over the picture."""
    return _activation(picture.key, int(label), smooth, picture)


def check_gaze(caption: ex.Caption, scene) -> None:
    """Check yourself: where will the soft model look when it names the first object of its caption? Asked only of
    scenes whose objects are known, when the caption names one of them (core.vision.explain.first_gaze)."""
    gaze = None if scene is None or caption.maps is None else ex.first_gaze(caption.words, caption.maps, scene.things)
    if gaze is None:
        return
    names = [f"the {' '.join(t.words())}" + (f" (object {k + 1})" if [u.words() for u in scene.things].count(
        t.words()) > 1 else "") for k, t in enumerate(scene.things)]
    options = [*names, "none of them"]
    answer = options[-1] if gaze.on is None else names[gaze.on]
    check_yourself("gaze", f"The soft-attention model captions this scene “{' '.join(caption.words)}”. When it says "
                   f"“{gaze.word}” (word {gaze.step + 1}), on which object will its attention peak?", options, answer,
                   f"The map of word {gaze.step + 1} peaks on {answer} (one cell of tolerance, as in the pointing "
                   "game). Its weight inside each object's box: "
                   + ", ".join(f"{name} {share:.0%}" for name, share in zip(names, gaze.share)) + ".")


def decoders_table(models: dict) -> None:
    """The three decoders measured on the held-out scenes (greedy), with how to rerun the measurement."""
    st.dataframe([{"decoder": TITLES[k], **ex.decoder_row(models[k].metrics)} for k in models],
                 hide_index=True, key="cap_table")
    st.caption("Measured on scenes 1,000,000–1,000,999 (never trained on), greedy decoding; “user styles”: the same "
               "scenes drawn in styles no training used (ruled or squared paper, uneven light, sketchy outlines, wide "
               "or tall canvases). Pointing game: the share of colour and shape words whose attention peak lies on "
               "the named object. Rerun: python -m pytest tests/core/vision/test_shipped_captioners.py")


def how_hard_attention_learned() -> None:
    """The REINFORCE changes measured like for like (assets/hard-attention-ablation.json), in an expander; a note
    saying how to make the file when it is missing."""
    from core.vision.shipped import largest_steps, load_hard_ablation

    with st.expander("What made hard attention learn: each REINFORCE change measured like for like"):
        measured = load_hard_ablation()
        if measured is None:
            st.info("Not measured on this server: run `python -m benchmarks.hard_attention --out "
                    "assets/hard-attention-ablation.json` (about 15 minutes on two cores).")
            return
        st.dataframe([{"training": r["name"], "every object named %": round(100 * r["all_named"], 1),
                       "precision %": round(100 * r["precision"], 1), "recall %": round(100 * r["recall"], 1),
                       "pointing %": round(100 * r["pointing"], 1), "seconds": round(r["seconds"])}
                      for r in measured["rows"]], hide_index=True, key="cap_ablation")
        steps = " and ".join(f"{name} (+{points:.1f} points)" for name, points in largest_steps(measured) if points > 0)
        if steps:
            st.markdown(f"**What made the difference:** {plain(steps)}, in every object named.")
        st.caption(f"Each row adds one change to the row above; the last row is the whole recipe without the warm "
                   f"start. Setup: {plain(measured['setup'])}. Rerun: python -m benchmarks.hard_attention")
