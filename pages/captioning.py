"""Captioning & attention: CNN features into an RNN, and where the RNN looks for every word it says.

What a move costs the server (benchmarks/moves.py): everything below is cached by the picture and the settings and
shared by every session (pages/_caption_views.py). A new scene seed draws the scene, encodes it (~25 ms), decodes
three captions and the hard model's glimpses (~15 ms) and builds the figures (~60 ms); a seed anyone has opened
before costs only the redraw. The word slider and the class picker rerun only their own fragment; the animation is
built only while its expander is open. Measured (2 cores, one session, server CPU): a new seed 0.37 s, a seen one
0.18 s; a word 0.22 s; about 0.15 s of each was
Streamlit's full garbage collection after every rerun, since switched off (.streamlit/config.toml)."""
import streamlit as st

from core.vision import explain as ex
from core.vision.shipped import TITLES
from pages import _caption_views as cv
from pages._common import LINK, chart, page_intro
from pages._links import follows, stop
from pages._vision import Picture, captioners, imagenet_names, pick_image, what_the_models_know

page_intro(
    "Captioning & attention",
    "A frozen CNN turns the image into a 14 × 14 grid of feature vectors $v_i$ (the lecture's L × D features). An "
    "LSTM starts from the ⟨start⟩ token and feeds each word it says back in until it says ⟨end⟩. Without "
    "attention, the image only sets $h_0$. With **soft attention** (Show, Attend and Tell) every step computes a "
    "distribution $a_t$ over the 196 places from $h_{t-1}$ and the word just read, and reads their weighted average "
    "$z_t$; **hard attention** samples one place $s_t$ and reads only it (trained with REINFORCE, since sampling has "
    "no gradient). The LSTM is told only *where* it looked, $p_t$ (the place's x, y); *what* it saw, $z_t$, goes "
    "straight to the word scores, so each word is read off the image when it is said (fed into the LSTM, as in the "
    "paper, $z_t$ let the model say \"circle\" from memory while looking elsewhere).",
    r"a_t = \mathrm{softmax}_i\big(w^\top \tanh(W_v v_i + W_h h_{t-1} + W_e E y_{t-1})\big),\qquad "
    r"z_t^{\text{soft}} = \sum_i a_{ti} v_i,\qquad z_t^{\text{hard}} = v_{s_t},\ s_t \sim a_t",
    r"h_t = \mathrm{LSTM}([E\,y_{t-1};\ p_t],\ h_{t-1}),\qquad \text{scores}_t = W_o\,[h_t;\ z_t]",
)

models = captioners()
if not {"soft", "hard"} <= set(models):
    st.error("The shipped captioners are missing from assets/. Rebuild them with the commands in "
             "assets/reproduce.sh (see the README).")
    stop()

left, right = st.columns([3, 2])
with left:
    picture = pick_image("cap")
with right:
    modes = list(ex.MODES)
    mode = st.radio("Decoding", modes, horizontal=True, index=modes.index("greedy"), key="cap_mode", bind=LINK,
                    help="greedy: the likeliest word each step. sample: draw from softmax(scores / T). beam: keep the "
                         "k likeliest partial captions (stopped at 30 words if ⟨end⟩ never comes).")
    c1, c2 = st.columns(2)
    temperature = c1.slider("Temperature", 0.1, 2.0, value=1.0, key="cap_temperature", bind=LINK, step=0.1,
                            disabled=mode != "sample", help="Only for sampling: below 1 sharper, above 1 flatter.")
    seed = c1.number_input("Sampling seed", 0, 10**6, 0, key="cap_sample_seed", bind=LINK, disabled=mode != "sample",
                           help="The same seed gives the same sampled caption.")
    beam = c2.slider("Beam size", 1, 8, value=3, key="cap_beam", bind=LINK, disabled=mode != "beam",
                     help="How many partial captions beam search keeps; 1 is greedy.")
    smooth = c2.toggle("Smooth maps", value=True, key="cap_smooth", bind=LINK,
                       help="On: the 14 × 14 attention upsampled smoothly. Off: the raw grid cells.")
if picture is None:
    stop()

how = ex.decoding(mode, temperature, int(seed), beam)
captions = cv.captions(picture, how)
scene = picture.scene
soft_user = models["soft"].metrics.get("user_all_named") if "soft" in models else None
what_the_models_know(picture, "captions", None if soft_user is None else f"On drawings in styles it never trained on, "
                     f"the soft-attention model names every object in {soft_user:.0%} of scenes.")
if scene is not None:
    st.markdown(f"**True caption:** {scene.caption}")

cv.check_gaze(captions["soft"], scene)  # before the captions, whose marks would give the answer away
st.subheader("The captions")
for key, c in captions.items():
    hits = (ex.word_hits(c.words, c.maps, scene.things) if scene is not None and c.maps is not None
            else [None] * len(c.words))
    scored = [h for h in hits if h is not None]
    st.markdown(f"**{TITLES[key]}** · log p = {c.log_prob:.2f}"
                f"{'' if c.ended else ' · stopped at the length limit'}  \n{cv.chips(c.words, hits) or '(no words)'}"
                + (f"  \n{sum(scored)} of {len(scored)} colour/shape words point at their object" if scored else ""))

st.subheader("Where it looks, word by word: soft and hard side by side")
view = st.radio("Follow the caption of", ["soft", "hard"], key="cap_view", bind=LINK,
                horizontal=True, help="Whose words the word slider steps through, and whose entropy and animation are "
                                      "shown below. Soft reads a weighted average of all places; hard reads one "
                                      "sampled place.")


@st.fragment
def where_it_looks(picture: Picture, how: ex.Decoding, view: str, smooth: bool, seed: int) -> None:
    """The word slider and what follows it: a word move reruns only this."""
    captions = cv.captions(picture, how)
    chosen = captions[view]
    labels = [f"{k + 1}. {w}" for k, w in enumerate(cv.steps(chosen))]
    if len(labels) > 1:
        word = labels.index(st.select_slider("Word", labels, value=labels[0], key=follows("cap_word", *labels),
                                             bind=LINK, help="The word whose attention map is drawn (the map of the "
                                                             "step that chose it)."))
    else:
        word = 0
        st.caption(f"The {view}-attention caption has no words: the only map is the one that chose ⟨end⟩.")
    for column, key in zip(st.columns(2), ("soft", "hard")):
        if word >= len(captions[key].maps):
            column.info(f"The {key}-attention caption ends before word {word + 1}.")
            continue
        chart(cv.overlay(picture, how, key, word, smooth, seed), f"cap_overlay_{key}", column)
    st.caption("Red-yellow: where each model looks for this word. On generated scenes the boxes are the true objects; "
               "the named object's box is marked ✓ (solid blue) when the map's peak lies on it (one cell of "
               "tolerance), ✗ (dashed vermillion) when not. ✕: where the hard model looked in 8 readings of its "
               "caption that sample the place from a_t instead of taking the likeliest.")
    a, b = st.columns(2)
    chart(cv.entropy(picture, how, view, word), "cap_entropy", a)
    a.caption("Low bars: the model looks at one place for that word; the dashed line is attention spread evenly.")
    alike = ex.sameness(chosen.maps)
    if alike > 0.8:
        a.warning(f"The {view} maps are nearly the same for every word (sameness {alike:.2f}): the model is not "
                  "looking anywhere in particular, typical for images nothing like its training scenes.")
    play = b.expander(f"▶ Play the {view} attention across the whole caption", key="cap_play", on_change="rerun")
    if play.open:  # built and sent only while open
        chart(cv.animation(picture, how, view, smooth), "cap_animation", play)
        play.caption("Press ▶ or drag the slider: the map of each word in turn, as the caption is spoken.")


where_it_looks(picture, how, view, smooth, int(seed))


@st.fragment
def what_the_cnn_sees(picture: Picture, smooth: bool) -> None:
    """The CNN's own labels and a class activation map: the class picker reruns only this."""
    names = imagenet_names()
    top, bars = cv.labels(picture)
    c, d = st.columns(2)
    chart(bars, "cap_labels", c)
    c.caption("The pretrained CNN's own task: 1,000 ImageNet classes. The captioners read its features, not these "
              "labels.")
    classes = [i for i, _, _ in top]
    label = d.selectbox("Class activation map for", classes, format_func=lambda i: f"{names[i]} (class {i})",
                        key=follows("cap_cam", picture.key), bind=LINK,
                        help="Which of the top-5 labels to explain: the map shows which places add most to its score.")
    chart(cv.activation(picture, label, smooth), "cap_camfig", d)
    d.caption("Class activation map (Zhou et al. 2016): each of the last layer's 7 × 7 cells weighted by the label's "
              "classifier weights; red where the evidence for the label is.")


st.subheader("What the CNN sees")
what_the_cnn_sees(picture, smooth)

st.subheader("The three decoders on 1,000 held-out scenes")
cv.decoders_table(models)
cv.how_hard_attention_learned()
