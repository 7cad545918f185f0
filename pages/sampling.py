"""Sampling & temperature: a real character model writes, and the temperature slider reshapes it live."""
import math
from dataclasses import dataclass

import streamlit as st

from core.charlm.sample import TEMPERATURE_GRID, SampleResult, grid_row, repetition_score, sample
from core.charlm.shipped import describe
from core.charlm.vocab import Vocab
from core.checkpoints import Checkpoint
from core.plots.charlm import scrub_payload, show_char, softmax_bars_figure, temperature_panels_figure
from core.plots.frozen import FrozenFigure
from pages._common import LINK, chart, check_yourself, download_data, page_intro, plain
from pages._links import stop
from pages._models import all_models, chosen_checkpoint, pick_model
from pages._text_view import temperature_scrub

page_intro(
    "Sampling & temperature",
    "A character-level language model trained on real text predicts a softmax over the next character; at "
    "test time we draw from it and feed the draw back in. Dividing the scores by a **temperature** T before "
    "the softmax trades safety for variety: T → 0 is the argmax (confident, repetitive), T = 1 samples the "
    "model's own distribution, large T approaches uniform noise. For a given seed every temperature uses the "
    "*same* random numbers, so moving the slider shows the effect of temperature alone.",
    r"p_t = \mathrm{softmax}(y_t / T), \qquad c_{t+1} = \arg\max_c \big(y_t[c]/T + g_t[c]\big),"
    r"\quad g_t[c] \sim \mathrm{Gumbel}(0,1)",
)

models = all_models()
if not models:
    st.error("No model is available: the shipped checkpoints are missing from assets/ and you have not trained one. "
             "Train one on the “Train your own” page, or restore assets/ (see the README).")
    stop()


@dataclass(frozen=True)
class SampleControls:
    model: str
    prime: str
    length: int
    seed: int
    top_k: int | None
    top_p: float | None


def controls() -> SampleControls:
    """The widgets that define what is sampled (the temperature lives in the live view below)."""
    c1, c2 = st.columns([1, 2])
    model = pick_model(c1, "sample_model", models, "A shipped model, one you trained or uploaded on “Train your "
                       "own”, or one saved on this server by anyone who uses it.")
    prime = c2.text_area("Priming text", value="ROMEO:\n", key="prime", bind=LINK, max_chars=500, height=68,
                          help="The model reads this first, then continues it. Use characters it has seen in training.")
    c3, c4, c5, c6 = st.columns(4)
    length = c3.slider("Characters", 50, 1000, value=300, key="sample_chars", bind=LINK, step=50,
                       help="How many characters to generate.")
    seed = c4.number_input("Seed", 0, 1_000_000, value=0, key="lm_seed", bind=LINK,
                           help="The random numbers used. The same seed gives the same text at the same settings.")
    top_k = c5.number_input("Top-k (0 = off)", 0, 200, value=0, key="top_k", bind=LINK,
                            help="Sample only among the k most probable characters.")
    top_p = c6.slider("Top-p (1 = off)", 0.05, 1.0, value=1.0, key="top_p", bind=LINK, step=0.05,
                      help="Sample only among the most probable characters whose probabilities add up to p.")
    return SampleControls(model, prime, length, int(seed), int(top_k) or None, None if top_p >= 1.0 else top_p)


cfg = controls()
ck = chosen_checkpoint(models, cfg.model)
unknown = [c for c in cfg.prime if c not in ck.vocab]
if unknown or not cfg.prime:
    st.warning("The priming text is empty: type at least one character." if not cfg.prime else
               f"This model never saw {plain(', '.join(repr(c) for c in sorted(set(unknown))[:8]))}"
               f"{' …' if len(set(unknown)) > 8 else ''} in training. "
               "Remove those characters from the priming text.")
    stop()
st.caption(f"{plain(cfg.model)}: validation loss {ck.metrics.get('val_loss', float('nan')):.3f} nats/char "
           f"({ck.metrics.get('val_bits', ck.metrics.get('val_loss', float('nan')) / math.log(2)):.3f} bits/char) "
           "on held-out text.")


# 64 sweeps: a class trying seeds finds most of them sampled already. One holds the 15 rows' scores and distributions,
# ~3 MB for 300 characters and ~10 MB for the longest (1,000), so at most ~0.6 GB.
@st.cache_resource(max_entries=64, ttl=3600, show_spinner="Sampling every temperature on the slider…")
def sweep_of(key: tuple, _ck: Checkpoint, prime: str, length: int, seed: int, top_k: int | None,
             top_p: float | None) -> tuple[SampleResult, dict]:
    """What every temperature of the slider writes (one batched pass, the same random numbers in every row), and
    the browser's copy of it; shared by every session that asks for the same model, text and settings."""
    result = sample(_ck.model, Vocab(_ck.vocab), prime, length, TEMPERATURE_GRID, seed, top_k, top_p)
    return result, scrub_payload(result, seed)


@st.cache_resource(max_entries=256, ttl=3600, show_spinner=False)
def step_figures(key: tuple, row: int, step: int, _result: SampleResult, _vocab: tuple[str, ...]) -> tuple:
    """The softmax that chose one character and its scores at four temperatures (figures are only read)."""
    probs, scores, chosen = _result.at_step(step, row)
    char = show_char(_result.text(row)[step])
    return (FrozenFigure(softmax_bars_figure(probs, _vocab, chosen,
                                             title=f"Step {step + 1}: the softmax that chose '{char}'")),
            FrozenFigure(temperature_panels_figure(scores, _vocab, [0.25, 0.5, 1.0, 2.0])))


# Cost of a move: temperature, shading: none on the server (the browser switches between finished samples), then
# one fragment rerun from cached figures when the slider rests; inspect step: a fragment rerun (two cached figures);
# model, priming text, length, seed, top-k, top-p: one batched sample of all 15 temperatures (about 1 s of one
# core for the shipped 2x512 LSTM and 300 characters, benchmarks/sampling.py; one compiled call that holds no GIL, so
# it costs the same under a class's load), shared by the class.
key = (ck.key, cfg.prime, cfg.length, cfg.seed, cfg.top_k, cfg.top_p)
result, payload = sweep_of(key, ck, cfg.prime, cfg.length, cfg.seed, cfg.top_k, cfg.top_p)


@st.fragment
def live_view() -> None:
    """The temperature and what depends on it: the sample switches in the browser; the figures rerun only this."""
    t = temperature_scrub(payload, key="temperature_scrub")  # also kept in the link and across pages
    row = grid_row(t)
    step = st.slider("Inspect step", 1, cfg.length, value=1, key="inspect_step", bind=LINK,
                     help="Which generated character to look at below.") - 1
    bars, panels = step_figures(key, row, step, result, ck.vocab)
    chart(bars, "softmax_bars")
    download_data(bars, "softmax", "this softmax")
    chart(panels, "temperature_panels")
    st.caption("The same scores y_t at four temperatures: dividing by a small T makes the largest score dominate; "
               "a large T flattens the distribution toward uniform.")


live_view()

st.subheader("Several temperatures side by side")
shown = min(cfg.length, 300)
side = [(t, result.text(grid_row(t))[:shown]) for t in (0.0, 0.5, 0.8, 1.0, 1.5)]
st.dataframe([{"T": t, "repetition": round(repetition_score(text), 2), "text": text.replace("\n", " ⏎ ")}
              for t, text in side], hide_index=True, key="side_by_side")
st.caption("All five come from the same batched pass with the same random numbers. T = 0 is the argmax: watch it loop.")
low, high = (repetition_score(result.text(grid_row(t))[:shown]) for t in (0.2, 1.2))
check_yourself("repeats", "With this model, priming text and seed, which writes the more repetitive text: T = 0.2 or "
               "T = 1.2?", ["T = 0.2", "T = 1.2", "the same"],
               "the same" if round(low, 3) == round(high, 3) else "T = 0.2" if low > high else "T = 1.2",
               f"Repetition score (share of 20-character windows seen before): {low:.3f} at T = 0.2, {high:.3f} at "
               "T = 1.2. A low temperature sharpens the softmax toward the argmax, which falls into loops.")
texts = {result.text(row) for row in range(len(TEMPERATURE_GRID))}
check_yourself("same_text", "Do all 15 temperatures on the slider write the same text with these settings?",
               ["yes, every one", "no, they differ"], "yes, every one" if len(texts) == 1 else "no, they differ",
               f"{len(texts)} different text{'s' if len(texts) > 1 else ''} across the 15 temperatures. With top-k = 1 "
               "only the likeliest character can be drawn, so the temperature has nothing left to change.")
with st.expander("How good is each model? Loss on held-out text"):
    st.dataframe([describe(name, c.metrics, c.model.config.to_dict()) for name, c in models.in_memory().items()],
                 hide_index=True, key="model_table")
    st.caption("Cross-entropy on text the model never trained on (for Shakespeare: four whole plays), in nats per "
               "character and bits per character. Lower is better; ln 78 ≈ 4.36 would be guessing uniformly. "
               "The LSTM and the vanilla RNN have the same width and data: compare their rows.")
