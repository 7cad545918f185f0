"""RNN basics, part 2: the lecture's "hello" character model, trained live, with editable weights.

What a move costs the server (benchmarks/moves.py): the model is this session's own, but its figures are a function
of its weights (and the loss curve of its loss history), so they are cached by a digest of those and shared by every
session whose model is the same (every fresh model of a seed, every model trained alike). The learning-rate, steps, σ
and noise-seed controls change no weight: a move costs only the redraw. Training or an edit builds the three figures
anew (~40 ms). Measured (2 cores, one session, server CPU): 0.2 s a move; about 0.15 s of each is the full garbage
collection Streamlit runs after every rerun."""
import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from core.basics.hello import MAX_WEIGHT, WEIGHT_NAMES, HelloConfig, HelloRNN, hello_session
from core.plots.basics import gradient_through_time_figure, hello_steps_figure, loss_curve_figure
from core.plots.frozen import FrozenFigure
from pages._common import LINK, chart, page_intro

page_intro(
    "The “hello” model",
    "The lecture's first language model: a vocabulary of four characters **[h, e, l, o]**, each fed in "
    "as a one-hot vector, and an RNN with **3 hidden units** that must predict the next character of "
    "the training sequence **“hello”**. Inputs are “h e l l”, targets “e l l o”: note that the input "
    "“l” must lead to “l” once and to “o” once, so the hidden state has to remember what came before.",
    r"h_t = \tanh(W_{hh}h_{t-1} + W_{xh}x_t),\quad y_t = W_{hy}h_t,\quad "
    r"p_t = \mathrm{softmax}(y_t),\quad L = \sum_t -\log p_t[\text{target}_t]",
)


def controls() -> HelloConfig:
    """Which model: its number of hidden units and the seed of its random initial weights."""
    c1, c2 = st.columns(2)
    hidden = c1.select_slider("Hidden units", options=[1, 2, 3, 4, 6, 8], value=3, key="hidden", bind=LINK,
                              help="The lecture uses 3. Try 1: can one unit tell the first 'l' from the second?")
    seed = c2.number_input("Initial-weight seed", 0, 10_000, value=HelloConfig().seed, key="init_seed", bind=LINK,
                           help="Seed of the random N(0, 0.5²) starting weights. "
                                "Changing it (or the hidden units) starts a new model.")
    return HelloConfig(hidden_size=hidden, seed=int(seed))


@st.cache_resource(max_entries=256, ttl=3600, show_spinner=False)
def model_figures(fingerprint: str, _model: HelloRNN) -> tuple[FrozenFigure, FrozenFigure]:
    """The per-step picture and the backward pass of the model with this fingerprint, frozen and shared."""
    trace = _model.training_trace()
    return (FrozenFigure(hello_steps_figure(trace, _model.config.vocab)),
            FrozenFigure(gradient_through_time_figure(_model.bptt(trace).dh)))


@st.cache_resource(max_entries=256, ttl=3600, show_spinner=False)
def loss_figure(digest: str, _losses: tuple[float, ...]) -> FrozenFigure:
    """The loss curve of the history with this digest, frozen and shared."""
    return FrozenFigure(loss_curve_figure(list(_losses)))


def losses_digest(losses: list[float]) -> str:
    """A digest of a loss history (its float64 values)."""
    return hashlib.sha1(np.asarray(losses, dtype=np.float64).tobytes()).hexdigest()


session = hello_session(st.session_state, controls())
model = session.model

c1, c2, c3, c4, c5 = st.columns([2, 2, 1, 1, 1], vertical_alignment="bottom")
lr = c1.slider("Learning rate", 0.01, 2.0, value=0.1, key="lr", bind=LINK,
               help="Step size of plain gradient descent: W ← W − lr · dL/dW.")
n = c2.slider("Steps per press", 1, 500, value=50, key="n_steps", bind=LINK,
              help="How many gradient steps “Train N steps” takes.")
if c3.button("Train 1 step", key="train_1", help="One forward pass, one backward pass, one update."):
    session.train(1, lr)
if c4.button(f"Train {n} steps", key="train_n", type="primary", help="Repeat the step N times."):
    session.train(n, lr)
if c5.button("Reset", key="reset", help="Back to the untrained starting weights of this seed."):
    session = hello_session(st.session_state, fresh=True)
    model = session.model

trace = model.training_trace()
m1, m2, m3 = st.columns(3)
m1.metric("Total loss L", f"{trace.loss:.4f}",
          help="Sum over the 4 steps of −log p(target). ln 4 ≈ 1.386 per step is guessing.")
m2.metric("Right argmax", f"{trace.correct()} / {len(trace.inputs)}",
          help="Steps whose highest score is the target character.")
m3.metric("Steps trained", len(session.losses), help="Gradient steps taken since this model was created.")
steps_figure, bptt_figure = model_figures(model.fingerprint(), model)
chart(steps_figure, "steps")
st.caption("Read each column bottom-up, as in the lecture's slide: one-hot input → hidden layer → scores → softmax. "
           "Untrained, the orange boxes (the right answers) are rarely the largest score; after training they are.")

left, right = st.columns(2)
with left:
    history = session.losses + [trace.loss]
    chart(loss_figure(losses_digest(history), tuple(history)), "loss_curve")
    st.caption("Each press of Train extends the curve; the loss falls toward 0 as p(target) → 1.")
with right:
    st.dataframe(pd.DataFrame(trace.step_rows(model.config.vocab)), hide_index=True, key="step_table")
    st.caption("Per step: what went in, what should come out, and how much probability the model gives it.")

with st.expander("Backward pass: backpropagation through time"):
    st.latex(r"\frac{\partial L}{\partial h_t} = W_{hy}^\top (p_t - \mathbb{1}_{\text{target}_t}) + "
             r"W_{hh}^\top\!\left[(1-h_{t+1}^2)\odot\frac{\partial L}{\partial h_{t+1}}\right]")
    chart(bptt_figure, "bptt")
    st.caption("Each hidden state gets gradient from its own output and from every later step, carried back "
               "through W_hh and tanh′. Later pages show what happens to that flow over hundreds of steps.")

st.header("Edit the weights")
st.markdown("Type a new value into any cell (Enter to apply) and every number above recomputes at once.")


version = session.version
tables = {}
for col, name in zip(st.columns(3), WEIGHT_NAMES):
    rows, cols = model.weight_labels(name)
    col.markdown(f"**{name}** ({len(rows)}×{len(cols)})")
    tables[name] = col.data_editor(
        pd.DataFrame(getattr(model, name).detach().numpy(), index=rows, columns=cols), key=f"edit_{name}_{version}",
        column_config={c: st.column_config.NumberColumn(
            c, format="%.3f", step=0.001, help=f"{name} entry for column {c}: type a number between ±{MAX_WEIGHT:g}")
            for c in cols})
if "weight_error" in st.session_state:
    st.warning(st.session_state.pop("weight_error"))
refused = session.apply_tables({name: table.to_numpy().tolist() for name, table in tables.items()})
if refused:
    st.session_state["weight_error"] = (f"Kept the old value of {', '.join(refused)}: a weight must be a number "
                                        f"between -{MAX_WEIGHT:g} and {MAX_WEIGHT:g}.")
if session.version != version:  # an edit landed after the figures above were drawn: draw them again
    st.rerun()

p1, p2, p3 = st.columns([2, 1, 1], vertical_alignment="bottom")
scale = p1.slider("Perturbation size σ", 0.01, 2.0, value=0.3, key="perturb_scale", bind=LINK,
                  help="Standard deviation of the noise added to every weight.")
noise_seed = p2.number_input("Noise seed", 0, 10_000, value=0, key="perturb_seed", bind=LINK,
                             help="The same seed adds the same noise.")


def perturb() -> None:
    """Add the chosen noise to every weight (a callback: runs before the page redraws)."""
    hello_session(st.session_state).perturb(st.session_state["perturb_scale"], int(st.session_state["perturb_seed"]))


p3.button("Perturb all weights", key="perturb", on_click=perturb,
          help="Add N(0, σ²) noise to every entry of W_xh, W_hh and W_hy.")
