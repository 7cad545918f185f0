"""RNN Lab: the router. Pages live in pages/ (thin: widgets, one call into core, figures);
all logic lives in core/."""
import streamlit as st

from core.runtime import configure_torch

st.set_page_config(page_title="RNN Lab", page_icon=":material/replay:", layout="wide")
st.cache_resource(configure_torch)()  # once per server process, shared by every session

PAGES = {
    "Start": [st.Page("pages/home.py", title="Home", icon=":material/home:", default=True)],
    "RNN basics": [
        st.Page("pages/rnn_shapes.py", title="The recurrence and its shapes", icon=":material/replay:"),
        st.Page("pages/hello_model.py", title="The “hello” model", icon=":material/abc:"),
        st.Page("pages/hello_sampling.py", title="Test-time sampling", icon=":material/casino:"),
    ],
    "Language models": [
        st.Page("pages/sampling.py", title="Sampling & temperature", icon=":material/thermostat:"),
        st.Page("pages/train.py", title="Train your own", icon=":material/model_training:"),
    ],
    "Inside the model": [
        st.Page("pages/hidden_states.py", title="Hidden states", icon=":material/grid_on:"),
        st.Page("pages/hidden_memory.py", title="Gates, guesses & memory", icon=":material/memory:"),
    ],
}
st.navigation(PAGES).run()
