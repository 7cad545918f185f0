"""Home: what RNN Lab teaches, a map of its pages, and how to start."""
import streamlit as st

from pages._common import page_intro

page_intro(
    "RNN Lab",
    "An interactive companion to **Lecture 10 of Stanford's CS231n: recurrent neural networks**. "
    "Every figure here is computed live from a real PyTorch model that the page trains or runs in "
    "front of you: change a weight, a length or a seed and watch the numbers follow. "
    "Nothing is a pre-rendered picture.",
    r"h_t = \tanh(W_{hh}\,h_{t-1} + W_{xh}\,x_t) \qquad y_t = W_{hy}\,h_t",
)
st.markdown(
    "One recurrence, the same three weight matrices at every time step: the whole lecture grows "
    "out of this line."
)

st.subheader("The pages")
PAGES = [  # (file, title, icon, tooltip, one line on what you do there)
    ("pages/rnn_shapes.py", "The recurrence and its shapes", ":material/replay:",
     "Unrolled computational graphs for one-to-one, one-to-many, many-to-one and many-to-many RNNs.",
     "Pick a shape (captioning, sentiment, translation, video) and a length; the unrolled graph redraws, showing "
     "where inputs enter, where outputs and losses leave, and what h₀ and h_T are."),
    ("pages/hello_model.py", "The “hello” model", ":material/abc:",
     "The lecture's character-level model with vocabulary [h, e, l, o], trained live.",
     "Train the lecture's 3-unit character model on “hello” step by step, watch every layer at every time step, "
     "and edit its weights by hand."),
    ("pages/hello_sampling.py", "Test-time sampling", ":material/casino:",
     "Generate from the “hello” model: sample from the softmax or take the argmax, seeded.",
     "Start from “h” and feed each choice back in. See when a sample picks a character that is not the most "
     "probable one, and why sampling gives diverse text where argmax always writes the same."),
    ("pages/sampling.py", "Sampling & temperature", ":material/thermostat:",
     "A character model trained on Shakespeare or Python code writes; you move the temperature.",
     "Move the temperature and watch the same random numbers give argmax loops, plausible text or noise; see the "
     "softmax behind each character and compare the LSTM with a vanilla RNN."),
    ("pages/train.py", "Train your own", ":material/model_training:",
     "Train an RNN, LSTM or GRU on Shakespeare, Python or your own text, in the background.",
     "Pick a corpus (or upload one), a cell and its size, the chunk length of truncated backpropagation and the "
     "clipping; watch the loss fall and the samples turn from noise into words."),
]
for page, title, icon, tooltip, line in PAGES:
    st.page_link(page, label=title, icon=icon, help=tooltip)
    st.caption(line)

st.subheader("How to start")
st.markdown(
    "1. Open **The recurrence and its shapes** and switch between the five shapes: the same cell, "
    "wired five ways.\n"
    "2. Open **The “hello” model**: before training, the orange boxes (the right next characters) "
    "are not the largest scores. Press **Train** and watch them win.\n"
    "3. Open **Test-time sampling**: press **Resample** a few times and compare with argmax.\n"
    "4. Open **Sampling & temperature** and drag the temperature from 0 to 2."
)
