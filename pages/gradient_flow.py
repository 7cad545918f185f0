"""Vanishing & exploding gradients: move ρ and watch ‖∂L/∂h_t‖ shrink or blow up on its way back.

What a move costs the server (benchmarks/moves.py): every control sets the experiment, so a move reruns the page, but
what it shows is cached by the settings and shared by every session. Settings nobody has tried yet cost the three
forward and backward passes (~25 ms), the vanilla mechanism (~70 ms: two batched SVDs of T 64 × 64 matrices) and
three figures (~50 ms), computed in a worker process (core.offload: NumPy loops there do not wait for the GIL behind
other sessions); settings seen before cost only the redraw. The LSTM cell diagram is built once per server."""
import streamlit as st

from core.gradients.experiment import Experiment, flow_experiment
from core.gradients.flow import INITS, FlowConfig
from core.plots.frozen import FrozenFigure
from core.plots.gradients import lstm_cell_figure
from pages._common import LINK, chart, check_yourself, download_data, page_intro, workers
from pages._links import stop

page_intro(
    "Vanishing & exploding gradients",
    "Backpropagating from h_T to h_t multiplies the gradient by W_hhᵀ and by the nonlinearity's derivative once "
    "per step. After many steps the product behaves like a power of W_hh: if its largest eigenvalue ρ is below 1 "
    "the gradient **vanishes**, above 1 it **explodes**. The LSTM's cell state offers a second path on which each "
    "step only multiplies by the forget gate, elementwise, with no W_hh in it.",
    r"\frac{\partial L}{\partial h_t} = \Big(\prod_{k=t+1}^{T} \mathrm{diag}\big(\tanh'(a_k)\big)\, "
    r"W_{hh}\Big)^{\!\top}\frac{\partial L}{\partial h_T}, \qquad "
    r"\frac{\partial c_T}{\partial c_t}\Big|_{\text{cell path}} = \prod_{k=t+1}^{T} f_k",
)

def controls() -> tuple[FlowConfig, list[str]]:
    """The knobs: ρ, length, initialisation, the vanilla nonlinearity, which cells, the forget-gate bias, the loss."""
    c1, c2, c3 = st.columns([2, 2, 1])
    rho = c1.slider("Spectral radius ρ of W_hh", 0.5, 3.0, step=0.01, value=1.0, key="flow_rho", bind=LINK,
                    help="W_hh is rescaled so its largest |eigenvalue| is exactly ρ "
                         "(for the LSTM and GRU: each gate's block).")
    steps = c2.slider("Sequence length T", 10, 500, step=10, value=200, key="flow_T", bind=LINK,
                      help="How many steps the gradient travels back.")
    init = c3.selectbox("W_hh drawn as", INITS, index=INITS.index("orthogonal"), key="flow_init", bind=LINK,
                        help="Orthogonal: all singular values equal before rescaling. Gaussian N(0, σ²/H): spread "
                             "out; its scale σ is what ρ sets (by the circular law ρ ≈ σ), so ρ is the one knob. "
                             "Identity: the IRNN initialisation.")
    c4, c5, c6, c7 = st.columns([2, 3, 2, 2])
    vanilla = c4.radio("Vanilla nonlinearity", ["tanh", "relu", "linear"], key="flow_vanilla", bind=LINK,
                       horizontal=True, help="tanh′ ≤ 1 shrinks the gradient further; a linear RNN shows ρ alone.")
    cells = c5.multiselect("Cells", ["vanilla", "lstm", "gru"], default=["vanilla", "lstm", "gru"],
                           key="flow_cells", bind=LINK,
                           format_func=lambda c: {"vanilla": "vanilla RNN", "lstm": "LSTM", "gru": "GRU"}[c],
                           help="Which networks to overlay; all get the same inputs, size and ρ.")
    bias = c6.slider("LSTM forget-gate bias", -2.0, 6.0, step=0.5, value=3.0, key="flow_bias", bind=LINK,
                     help="A large bias keeps f near 1: the cell remembers, and the gradient passes. (1 is a common "
                          "default when training; try it, and 5.)")
    loss = c7.radio("Loss", ["last", "sum"], key="flow_loss", bind=LINK, horizontal=True,
                    format_func=lambda v: {"last": "at T only", "sum": "at every step"}[v],
                    help="At T only: one signal travelling back. Summed: every step adds its own fresh gradient.")
    kinds = [vanilla if c == "vanilla" else c for c in cells]
    return FlowConfig(cell=vanilla, hidden=64, steps=steps, rho=rho, init=init, forget_bias=bias, loss=loss), kinds


@st.cache_resource(max_entries=64, ttl=3600, show_spinner=False)
def experiment(base: FlowConfig, kinds: tuple[str, ...]) -> Experiment:
    """The experiment for one setting (core.gradients.experiment), computed in a worker process (a loop of small
    NumPy operations, which on a busy server would wait for the GIL at each) and shared by every session (a few
    hundred kB each)."""
    return workers().run(flow_experiment, base, kinds)


@st.cache_resource(show_spinner=False)
def lstm_cell() -> FrozenFigure:
    """The LSTM cell diagram (the same for every setting)."""
    return FrozenFigure(lstm_cell_figure())


base, kinds = controls()
if not kinds:
    st.info("Pick at least one cell above.")
    stop()
shown = experiment(base, tuple(kinds))
chart(shown.norms, "flow_norms")
download_data(shown.norms, "gradient_norms", "the gradient norms")
for col, (label, reach) in zip(st.columns(len(shown.reach)), shown.reach.items()):
    col.metric(f"{label}: ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖", reach,
               help="How much of the gradient at the last step reaches the first one.")
vanilla_label = next((label for label in shown.reach if "RNN" in label), None)  # vanilla (tanh, ReLU) or linear
if vanilla_label is not None:
    ratio = float("inf") if shown.reach[vanilla_label] == "overflow" else float(shown.reach[vanilla_label])
    fate = "it vanishes (100× smaller or less)" if ratio <= 1e-2 else \
        "it explodes (100× larger or more)" if ratio >= 1e2 else "it stays within 100× of where it started"
    check_yourself("fate", f"At ρ = {base.rho:.2f} and T = {base.steps}, what happens to the {vanilla_label}'s "
                   "gradient on its way back from h_T to h_1?",
                   ["it vanishes (100× smaller or less)", "it stays within 100× of where it started",
                    "it explodes (100× larger or more)"], fate,
                   f"‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ = {shown.reach[vanilla_label]}: each step back multiplies by W_hhᵀ (and "
                   "the nonlinearity's slope), so over T steps the factor is roughly ρ^T, damped by tanh′ ≤ 1.")
broken = shown.broken
if broken:
    st.warning(f"{', '.join(broken)}: the numbers passed 3.4 × 10³⁸, the largest float32 (the precision networks train "
               "in), so a training run here would hit inf and then NaN; past 1.8 × 10³⁰⁸ even this float64 curve "
               "stops. That is an exploding gradient: with ρ > 1 every step back can multiply the gradient by up to ρ "
               "(tanh′ ≤ 1 damps it, but not enough when ρ is large). Lower ρ or T, or clip the gradient (next page).")
st.caption("A straight line on this log scale means a fixed factor per step. With ρ < 1 the vanilla RNN's line "
           "falls (vanishing); move ρ above 1 with a linear or ReLU RNN and it rises (exploding). tanh′ ≤ 1 pulls "
           "the tanh RNN down even for ρ a little above 1. Raise the LSTM's forget bias and its lines flatten; "
           "its dotted line is the gradient on the cell state, the path the lecture calls uninterrupted.")

c1, c2 = st.columns(2)
with c1:
    chart(shown.eigenvalues, "flow_eigs")
    st.caption("Repeated multiplication by W_hh scales each eigen-direction by its |λ|ᵏ: outside the circle it "
               "grows, inside it dies out.")
with c2:
    chart(lstm_cell(), "lstm_cell")
    st.caption("Backpropagating from c_t to c_{t−1} only multiplies by f_t, elementwise: no matrix multiply by W, "
               "no tanh′. When f stays near 1 the gradient flows back almost untouched.")

st.subheader("The mechanism, step by step")
if shown.mechanism is None:
    st.info("Add the vanilla RNN or the LSTM above to see its mechanism (the GRU's mixes both kinds of path).")
else:
    chart(shown.mechanism, "flow_mechanism")
    st.caption("Vanilla: each step back multiplies by the Jacobian diag(φ′(a_t)) W_hh; the singular values of their "
               "product bound how much gradient survives. LSTM: along the cell path each step multiplies by f_t; the "
               "running product ∏ f decays only as fast as the forget gates leak.")
