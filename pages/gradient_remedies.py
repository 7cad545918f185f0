"""Clipping & truncated BPTT: the lecture's two practical fixes, each as an experiment you run.

What a move costs the server (benchmarks/moves.py): the sliders only set up the trainings (which run in the
background when started), so a move reruns the page and draws figures that are cached: the two truncated-BPTT figures
by k, shared by every session (a new k costs the gradient map's 40 backward passes and the two figures, ~50 ms, once
per server); a finished run's figure once per run, kept with this session. Measured (2 cores, one session, server
CPU): a new k 0.25 s, any other move 0.17-0.20 s; about 0.15 s of each was
Streamlit's full garbage collection after every rerun, since switched off (.streamlit/config.toml)."""
from dataclasses import replace

import numpy as np
import streamlit as st

from core.gradients.remedies import EXPLODING, DelayConfig, clipping_runs, tbptt_gradient_map, train_delay
from core.plots.frozen import FrozenFigure
from core.plots.gradients import clipping_figure, delay_curves_figure, tbptt_diagram_figure, tbptt_figure
from pages._common import LINK, chart, download_data, page_intro
from pages._jobs import finished_figure, job_panel, start_button

page_intro(
    "Clipping & truncated BPTT",
    "Two fixes from the lecture. **Gradient clipping**: when the gradient's norm passes a threshold, scale it "
    "back before the step, so one exploding gradient cannot throw the weights away. **Truncated backpropagation "
    "through time**: run forward over the whole sequence but backpropagate only within chunks of k steps; the "
    "hidden state is carried across a chunk boundary, the gradient is not, so nothing that needs a gradient "
    "longer than k can be learned on purpose.",
    r"g \leftarrow \frac{\text{threshold}}{\lVert g \rVert}\, g \quad \text{if } \lVert g \rVert > \text{threshold}",
)

st.subheader("Gradient clipping")
st.markdown(f"The setting: a tanh RNN whose W_hh starts with spectral radius ρ, trained by SGD with momentum "
            f"{EXPLODING.momentum} on the memory task (recall a symbol after {EXPLODING.lag} noise steps) for "
            f"{EXPLODING.steps} steps. The same run, from the same start, three times: unclipped, clipped by norm, "
            "clipped by value.")
c1, c2, c3, c4 = st.columns(4)
lr = c1.select_slider("Learning rate", [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0], value=EXPLODING.lr,
                      key="clip_lr", bind=LINK,
                      help="Larger steps make an exploding gradient do more damage.")
rho = c2.slider("Initial ρ of W_hh", 0.5, 3.0, step=0.1, value=EXPLODING.init_rho, key="clip_rho", bind=LINK,
                help="Above 1 the gradient through time can explode.")
by_norm = c3.select_slider("Norm threshold", [0.1, 0.3, 1.0, 3.0, 10.0], value=1.0, key="clip_norm", bind=LINK,
                           help="Clip by norm: rescale the whole gradient to at most this norm.")
by_value = c4.select_slider("Value threshold", [0.01, 0.03, 0.1, 0.3, 1.0], value=0.1,
                            key="clip_value_threshold", bind=LINK,
                            help="Clip by value: clamp every entry of the gradient to ± this.")
base = replace(EXPLODING, lr=float(lr), init_rho=float(rho))
clips = {"no clipping": (None, "norm"), f"clip by norm ({by_norm:g})": (float(by_norm), "norm"),
         f"clip by value ({by_value:g})": (float(by_value), "value")}
start_button("Run the three trainings", "clip_job",
             (f"clipping · lr {lr:g} · ρ {rho:g}",
              lambda job: clipping_runs(base, clips, lambda label, step, row: job.report({"run": label, **row}),
                                        lambda: job.stop_requested, job.device)),
             {"lr": lr, "rho": rho, "evaluations": 3 * base.steps // base.eval_every},
             help=f"About 10 s on two cores: three runs of {base.steps} steps.")


def show_clipping(job) -> None:
    """The curves and a table once the runs are done."""
    if not job.done or not job.result:
        return
    chart(finished_figure(job, "clip_figure", lambda: clipping_figure(job.result)), "clip_curves")
    rows, blown = [], []
    for label, r in job.result.items():
        final = float(np.mean(r.losses[-20:])) if r.losses else float("nan")
        if r.status == "diverged":
            outcome = f"diverged at step {len(r.losses) + 1}: the numbers became NaN/inf"  # that step is not kept
        elif final > 3 * np.log(8):
            outcome = f"blew up: loss {final:.3g}, {final / np.log(8):.0f}× what guessing costs"
            blown.append(label)
        else:
            outcome = r.status
        largest = f"{np.nanmax(r.grad_norms):.3g}" if r.grad_norms else "—"  # a run may diverge at its first step
        rows.append({"run": label, "accuracy": "—" if np.isnan(r.accuracy) else f"{r.accuracy:.0%}",
                     "final loss": f"{final:.3g}", "largest gradient norm": largest,
                     "outcome": outcome})
    st.dataframe(rows, hide_index=True, key="clip_table")
    if any(r.status == "diverged" for r in job.result.values()):
        st.warning("A run diverged: one step was so large that the weights overflowed and every later number is "
                   "NaN. That is what an exploding gradient does unchecked; clipping bounds every step.")
    if blown:
        st.warning(f"{', '.join(blown)}: the loss exploded. Steps of learning rate × gradient this large throw the "
                   "weights so far that the tanh units saturate (their gradient vanishes, so the recurrence cannot "
                   "recover) while the read-out weights keep growing: confident, wrong answers at a huge loss. "
                   "Clipping keeps every step bounded.")
    st.caption("The unclipped run's loss jumps by orders of magnitude whenever a large gradient hits; the clipped "
               "runs take bounded steps and learn. Right: how often each gradient size occurred, before clipping.")


job_panel("clip_job", lambda job: len(job.rows) / job.meta["evaluations"], show_clipping)


@st.cache_resource(max_entries=32, show_spinner=False)
def tbptt_figures(k: int) -> tuple[FrozenFigure, FrozenFigure]:
    """The chunk diagram and the gradient map for chunks of k, frozen and shared."""
    return FrozenFigure(tbptt_diagram_figure(24, k)), FrozenFigure(tbptt_figure(tbptt_gradient_map(40, k), k))


st.subheader("Truncated backpropagation through time")
k = st.slider("Chunk length k", 2, 20, value=8, key="tbptt_k", bind=LINK,
              help="The sequence is cut into chunks of k steps; backpropagation stays inside a chunk.")
diagram, grid = tbptt_figures(int(k))
chart(diagram, "tbptt_diagram")
chart(grid, "tbptt_map")
download_data(grid, "tbptt_gradient_map", "the gradient map")
st.caption("Each row is the loss at one step t, each column an input x_s. Blue cells got gradient; blank cells got "
           "none. Within a chunk the gradient reaches back to the chunk's first step and no further, however much "
           "the forward pass carried across the boundary in the hidden state.")

st.markdown("**The consequence.** A stream of random symbols; at every step the model must output the symbol it "
            "read d steps earlier. Trained with chunks of k: when d < k some answers have a gradient path to their "
            "symbol; when d ≥ k none has, and whatever the model gets right can only come from what its recurrence "
            "happens to carry across the cut.")
c1, c2 = st.columns(2)
short = c1.slider("Short delay", 1, 20, value=3, key="delay_short", bind=LINK, help="Steps back to recall; try d < k.")
long = c2.slider("Long delay", 1, 40, value=12, key="delay_long", bind=LINK, help="Try d ≥ k.")
delays = sorted({short, long})
start_button(f"Train with k = {k} for d = {' and '.join(map(str, delays))}", "delay_job",
             (f"delay task, k = {k}",
              lambda job: {d: train_delay(DelayConfig(delay=d, chunk=k),
                                          lambda step, row, d=d: job.report({"d": d, **row}),
                                          lambda: job.stop_requested, job.device) for d in delays}),
             {"k": k, "evaluations": len(delays) * DelayConfig().steps // 100},
             help="An LSTM with 64 units, 1,200 chunk updates per delay: about 15 s on two cores.")


def show_delay(job) -> None:
    """Accuracy over training for each delay."""
    if job.rows:
        figure = (finished_figure(job, "delay_figure", lambda: delay_curves_figure(list(job.rows), job.meta["k"]))
                  if job.done else delay_curves_figure(list(job.rows), job.meta["k"]))  # a running one grows
        chart(figure, "delay_curves")
        download_data(figure, "delay_curves", "the accuracy curves")
        st.caption("With d ≥ k no gradient ever connects an answer to its symbol: the accuracy stays at or near "
                   "chance (for very short delays, a little above: the untrained recurrence still carries some of "
                   "the last symbols across the cut). A delay just under k learns slowly: only k − d of every k "
                   "answers have a path.")


job_panel("delay_job", lambda job: len(job.rows) / job.meta["evaluations"], show_delay, overview=False)
