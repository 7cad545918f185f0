"""RNN basics, part 3: test-time sampling from the "hello" model, and sampling versus argmax.

What a move costs the server (benchmarks/moves.py): the samples and figures are a function of the model's weights and
the controls, so they are cached by the model's fingerprint and those settings and shared by every session with the
same model. A new seed or length samples twice (1 and n strings, ~5 ms) and builds both figures (~30 ms); the
"Samples to draw" slider reruns only its own fragment; settings seen before cost only the redraw. Measured (2 cores,
one session, server CPU): 0.16-0.19 s a move; about 0.15 s of each was
Streamlit's full garbage collection after every rerun, since switched off (.streamlit/config.toml)."""
from dataclasses import dataclass

import streamlit as st

from core.basics.hello import HelloRNN, Samples, hello_session
from core.plots.basics import sample_diversity_figure, sampling_steps_figure
from core.plots.frozen import FrozenFigure
from pages._common import LINK, chart, page_intro

page_intro(
    "Test-time sampling",
    "At test time the model writes on its own: give it “h”, take the softmax over the next character, "
    "**choose** one, and feed that choice back in as the next input. Choosing the most probable "
    "character (argmax) always gives the same text and can get stuck; **sampling** from the softmax "
    "sometimes picks a less likely character, which is where the diversity of generated text comes from.",
    r"p_t = \mathrm{softmax}(W_{hy} h_t), \qquad c_{t+1} \sim p_t \;\;\text{(sampling)}\quad"
    r"\text{or}\quad c_{t+1} = \arg\max_c\, p_t[c] \;\;\text{(argmax)}, \qquad x_{t+1} = \text{onehot}(c_{t+1})",
)

session = hello_session(st.session_state)
model = session.model
trace = model.training_trace()
st.info(f"Sampling from the model of the “hello” page: {model.config.hidden_size} hidden units, "
        f"{len(session.losses)} training steps, loss {trace.loss:.3f}. Train it there and come back: "
        "an untrained model writes noise, a trained one writes “hello”.")
st.page_link("pages/hello_model.py", label="Train the model on the “hello” page", icon=":material/abc:")


MAX_SEED = 1_000_000


def resample() -> None:
    """Next seed, wrapping to 0 after the largest (a callback: runs before the widgets are drawn)."""
    st.session_state["sample_seed"] = (int(st.session_state["sample_seed"]) + 1) % (MAX_SEED + 1)


@dataclass(frozen=True)
class SamplingControls:
    temperature: float  # 1: sample from the softmax; 0: argmax
    seed: int
    length: int


def controls() -> SamplingControls:
    """The widgets: how to choose, which random numbers, how many characters."""
    c1, c2, c3, c4 = st.columns([2, 1, 2, 1], vertical_alignment="bottom")
    mode = c1.radio("Choose the next character by", ["sampling", "argmax"], key="mode", bind=LINK,
                    horizontal=True,
                    help="Sampling draws from the softmax; argmax always takes the most probable character.")
    seed = c2.number_input("Seed", 0, MAX_SEED, value=0, key="sample_seed", bind=LINK,
                           help="The random numbers a sample uses. The same seed always gives the same text.")
    length = c3.slider("Characters to generate", 1, 12, value=4, key="sample_length", bind=LINK,
                       help="How many characters to write after the starting “h”. “hello” needs 4.")
    c4.button("Resample", key="resample", on_click=resample, disabled=mode == "argmax",
              help="Draw again with the next seed (after the largest seed, back to 0).")
    return SamplingControls(1.0 if mode == "sampling" else 0.0, int(seed), length)


@st.cache_resource(max_entries=256, ttl=3600, show_spinner=False)
def sampled(fingerprint: str, cfg: SamplingControls, _model: HelloRNN) -> tuple[Samples, FrozenFigure]:
    """One sample of the model with this fingerprint and its step-by-step figure, shared read-only."""
    samples = _model.sample("h", cfg.length, temperature=cfg.temperature, seed=cfg.seed)
    return samples, FrozenFigure(sampling_steps_figure(samples))


@st.cache_resource(max_entries=256, ttl=3600, show_spinner=False)
def diversity(fingerprint: str, length: int, seed: int, n: int, _model: HelloRNN) -> tuple[str, FrozenFigure]:
    """The argmax string and how often each string came out of n samples, shared read-only."""
    argmax_text = _model.sample("h", length, temperature=0.0).text()
    many = _model.sample("h", length, temperature=1.0, seed=seed, batch=n)
    return argmax_text, FrozenFigure(sample_diversity_figure(many, argmax_text))


cfg = controls()
samples, steps_figure = sampled(model.fingerprint(), cfg, model)
text, off = samples.text(), samples.off_argmax().tolist()
marked = "h" + "".join(f":orange[**{c}**]" if o else c for c, o in zip(text[1:], off))
st.markdown(f"### Generated: {marked}")
st.caption(f"Generated text: `{text}`. Characters in orange were sampled although another character had a "
           f"higher probability ({sum(off)} of {len(off)} here).")
chart(steps_figure, "sampling_steps")
st.caption("Each column is one step: the softmax given everything generated so far. The ring is the character "
           "chosen and fed back in; a × marks the argmax wherever the sample chose something else.")


@st.fragment
def why_sample(fingerprint: str, length: int, seed: int, model: HelloRNN) -> None:
    """The diversity count: its slider reruns only this."""
    st.subheader("Why sample? Diversity")
    n = st.slider("Samples to draw", 10, 1000, step=10, value=200, key="n_samples", bind=LINK,
                  help="How many independent samples (all from the seed above) to draw and count.")
    argmax_text, figure = diversity(fingerprint, length, seed, n, model)
    chart(figure, "diversity")
    st.caption(f"Argmax writes `{argmax_text}` every time. Sampling the same model {n} times gives many strings, each "
               "about as often as the model finds it probable. Untrained, that is a spread of noise; after training, "
               "most samples are “hello”, but not all.")


why_sample(model.fingerprint(), cfg.length, cfg.seed, model)
