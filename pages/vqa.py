"""Visual question answering: a CNN's summary of the image and an RNN's summary of the question, fused into an
answer; question-guided attention shows where the model looked.

What a move costs the server (benchmarks/moves.py): the replies and figures are cached by the picture, the question
and the model shown, and shared by every session (pages/_vqa_views.py). A new scene seed draws and encodes the scene
(~40 ms), runs the four models (~5 ms) and builds four figures (~50 ms); a new question on a known picture skips the
encoder; anything seen before costs only the redraw. Measured (2 cores, one session, server CPU): a new seed 0.25 s,
a seen one 0.19 s; about 0.15 s of each was
Streamlit's full garbage collection after every rerun, since switched off (.streamlit/config.toml)."""
import streamlit as st

from core.vision import explain as ex
from core.vision.questions import QuestionError, every_question
from core.vision.shipped import VQA_TITLES
from pages import _vqa_views as vv
from pages._common import LINK, chart, page_intro, plain
from pages._links import follows, stop
from pages._vision import pick_image, vqa_models, what_the_models_know

SOURCES = ("Pick a generated question", "Type your own")
NAMES = vv.NAMES

page_intro(
    "Visual question answering",
    "The lecture's last application: a CNN summarises the image, an LSTM reads the question word by word and its "
    "final hidden state $q$ summarises it, and a classifier scores a fixed set of answers from the two. The "
    "**lecture's model** fuses the CNN's pooled vector with $q$. The **attention model** lets $q$ choose where to "
    "look over the 14 × 14 grid: hop 1 finds the object the question names, hop 2 (which also knows where hop 1 "
    "looked) finds the one the answer is read off (\"the object closest to …\"), and a relation head sums over "
    "every place paired with what hop 1 found (Santoro et al. 2017) to count; the classifier also reads where each hop "
    "looked ($p_1, p_2$, the x, y of $z_1, z_2$). Two ablations show how much can be "
    "guessed without looking at the image, or without reading the question.",
    r"q = h_T^{\text{LSTM}}(w_1,\dots,w_T),\qquad \text{lecture: } p(\text{answer}) = "
    r"\mathrm{softmax}\big(f(\tanh(W_i\,\bar v) \odot q)\big)",
    r"a^{(1)} = \mathrm{softmax}_i\big(w^\top \tanh(W_v v_i + W_q q)\big),\qquad z_1 = \textstyle\sum_i a^{(1)}_i v_i",
    r"a^{(2)} = \mathrm{softmax}_i\big(g(v_i, q, z_1, \lVert x_i - x_{z_1}\rVert^2)\big),\qquad "
    r"r = \tfrac{1}{L}\textstyle\sum_j g_\theta(v_j, z_1, q)",
    r"\text{attention: } p(\text{answer}) = \mathrm{softmax}\big(f([q;\ z_1;\ z_2;\ r;\ 4p_1;\ 4p_2])\big)",
)

models = vqa_models()
if "attention" not in models:
    st.error("The shipped VQA models are missing from assets/. Rebuild them with the commands in assets/reproduce.sh "
             "(see the README).")
    stop()

left, right = st.columns([3, 2])
with left:
    picture = pick_image("vqa", seed=1_000_006, trained="0–9,999")  # held out, four objects: every kind of question
if picture is None:
    stop()
scene = picture.scene
with right:
    source = st.radio("Question", SOURCES, horizontal=True, disabled=scene is None,
                      key="vqa_ask", bind=LINK,
                      help="Pick one of the questions generated for this scene (its true answer is known), or type "
                           "your own in the words the models know.")
    asked = None
    if scene is not None and source == SOURCES[0]:
        pool = every_question(scene.things)
        texts = [q.text for q in pool]
        first = next((q.text for q in pool if q.kind == "furthest"), texts[0])  # a relational one to start with
        text = st.selectbox("Generated question", texts, index=texts.index(first), key=follows("vqa_pick", *texts),
                            bind=LINK,
                            format_func=lambda t: f"[{next(q.kind for q in pool if q.text == t)}] {t}",
                            help="Every question the generator asks about this scene, by kind; the relational ones "
                                 "(closest, furthest, same shape) need the other objects too.")
        asked = next(q for q in pool if q.text == text)
    else:
        if scene is None:
            st.caption("Questions are generated only for shapes-world scenes (their objects are known); type one.")
        text = st.text_input("Your question", value="how many circles are there?", key="vqa_text", bind=LINK,
                             help="Lower or upper case, with or without “?”. The models know only the words of the "
                                  "generated questions; an unknown word gets the nearest known one suggested "
                                  "when there is one close enough, and the list of words the models know.")
    look = st.radio("Look inside", list(models), horizontal=True, index=list(models).index("attention"),
                    key="vqa_model", bind=LINK,
                    format_func=NAMES.get,
                    help="Whose answer distribution and summary vectors are drawn below.")

try:
    replies = vv.replies(picture, text)
except QuestionError as e:
    st.error(plain(str(e)))
    st.image(picture.image, caption=plain(picture.name), width=320)
    stop()

truth = None if asked is None else asked.answer
st.markdown(f"**Question:** {plain(text)}" + ("" if truth is None else f"  \n**True answer:** {truth}"))
vqa_user = models["attention"].metrics.get("user_accuracy")
what_the_models_know(picture, "answers",
                     None if vqa_user is None else f"On drawings in styles it never trained on, the "
                                                   f"attention model answers {vqa_user:.0%} of the questions right.")
st.dataframe([{"model": VQA_TITLES[k], "answer": r.best, "probability %": round(100 * r.answers[0][1], 1),
               **({} if truth is None else {"right?": "✓" if r.best == truth else "✗"})} for k, r in replies.items()],
             hide_index=True)

a, b = st.columns(2)
chart(vv.answers(picture, text, look, truth), "vqa_answers", a)
a.caption("✓ (blue): the true answer (when the question was generated); ✗ (vermillion): a wrong top answer.")
chart(vv.vectors(picture, text, look), "vqa_vectors", b)
b.caption("The vectors the classifier reads (the attention model also reads z₁ and z₂, what its two hops saw). "
          "The lecture's model multiplies the two, unit by unit.")

st.subheader("Where the attention model looks")
marks = {} if asked is None else {1: asked.subject, 2: asked.target}
for column, hop in zip(st.columns(2), (1, 2)):
    chart(vv.hop(picture, text, hop, marks.get(hop)), f"vqa_hop{hop}", column)
st.caption("Red-yellow: the attention of each hop over the 14 × 14 grid. For a generated question the box is the "
           "object that hop should find, ✓ (solid blue) when the map's peak lies on it (one cell of tolerance), "
           "✗ (dashed vermillion) when not. "
           "Hops were trained to look there (attention supervision from the generator) as well as to answer.")

st.subheader("Held-out accuracy per kind of question")
st.dataframe([{"model": VQA_TITLES[k], **ex.vqa_row(m.metrics)} for k, m in models.items()], hide_index=True,
             key="vqa_table")
st.caption("Measured on the questions of scenes 1,000,000–1,000,999 (never trained on). The ablations show what can "
           "be guessed: the question alone knows the answers' priors; the image alone cannot tell what is asked. The "
           "hop 2 column: how often hop 2's strongest cell lies on the closest / furthest object itself (no tolerance; "
           "the boxes above allow one cell). “User styles”: the same scenes drawn in styles no training used (measured "
           "for the attention model). Rerun: python -m pytest tests/core/vision/test_shipped_vqa.py")
