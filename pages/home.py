"""Home: what RNN Lab teaches, a map of its pages, and how to start."""
import streamlit as st

from pages._common import page_intro
from pages._registry import SECTIONS

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
for pages in SECTIONS.values():
    for info in pages:
        if info.file != "pages/home.py":
            st.page_link(info.file, label=info.title, icon=info.icon, help=info.tooltip)
            st.caption(info.line)

st.subheader("How to start")
st.markdown(
    "1. Open **The recurrence and its shapes** and switch between the five shapes: the same cell, "
    "wired five ways.\n"
    "2. Open **The “hello” model**: before training, the orange boxes (the right next characters) "
    "are not the largest scores. Press **Train** and watch them win.\n"
    "3. Open **Test-time sampling**: press **Resample** a few times and compare with argmax.\n"
    "4. Open **Sampling & temperature** and drag the temperature from 0 to 2.\n"
    "5. Open **Hidden states**: the finder's first unit lights up on every speaker's name.\n"
    "6. Open **Vanishing & exploding gradients** and drag ρ below and above 1; then train both models on "
    "**Long memory** and see which one remembers."
)
