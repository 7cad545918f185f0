"""Figures for the gradient-flow pages: norms through time, eigenvalues, the mechanism, the LSTM cell,
clipping, truncated BPTT and the memory task."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.gradients.flow import Flow, Mechanism
from core.plots.style import HIGHLIGHT, WEIGHT_COLOURS, base_layout, legend_above_panels, with_summary

CELL_COLOURS = {"tanh": WEIGHT_COLOURS["W_hh"], "relu": WEIGHT_COLOURS["feedback"], "linear": WEIGHT_COLOURS["loss"],
                "lstm": WEIGHT_COLOURS["W_xh"], "gru": WEIGHT_COLOURS["W_hy"], "rnn": WEIGHT_COLOURS["W_hh"]}
RUN_COLOURS = [WEIGHT_COLOURS["W_hh"], WEIGHT_COLOURS["W_xh"], WEIGHT_COLOURS["W_hy"], WEIGHT_COLOURS["W_ih"]]


def _finite(values: np.ndarray) -> list[float | None]:
    """Values for a log axis: inf, NaN and 0 become gaps."""
    return [float(v) if np.isfinite(v) and v > 0 else None for v in values]


def gradient_norms_figure(flows: dict[str, Flow]) -> go.Figure:
    """‖∂L/∂h_t‖ against t for each cell, on a log scale."""
    fig = go.Figure()
    for label, flow in flows.items():
        T = flow.config.steps
        colour = CELL_COLOURS.get(flow.config.cell, "#333")
        fig.add_trace(go.Scatter(x=np.arange(1, T + 1), y=_finite(flow.norms), mode="lines", name=label,
                                 line=dict(color=colour, width=2),
                                 hovertemplate="t = %{x}: %{y:.3e}<extra>" + label + "</extra>"))
        if flow.dc is not None:
            fig.add_trace(go.Scatter(x=np.arange(1, T + 1), y=_finite(np.linalg.norm(flow.dc, axis=1)), mode="lines",
                                     name=f"{label}: ‖∂L/∂c_t‖ (cell state)",
                                     line=dict(color=colour, width=2, dash="dot"),
                                     hovertemplate="t = %{x}: %{y:.3e}<extra>cell state</extra>"))
    fig.update_xaxes(title="time step t (the loss is at the right end)")
    fig.update_yaxes(title="‖∂L/∂h_t‖ (log scale)", type="log", exponentformat="power")
    steps = ", ".join(sorted({str(flow.config.steps) for flow in flows.values()}))
    with_summary(fig, f"How much of the gradient at the last of {steps} steps reaches the first, ‖∂L/∂h₁‖ / ‖∂L/∂h_T‖: "
                      + "; ".join(f"{label} {flow.reach}" for label, flow in flows.items()) + ".")
    return base_layout(fig, "The gradient on its way back through time", height=400)


def eigenvalues_figure(eigenvalues: np.ndarray, rho: float) -> go.Figure:
    """Eigenvalues of W_hh in the complex plane, with the unit circle."""
    angle = np.linspace(0, 2 * np.pi, 200)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=np.cos(angle), y=np.sin(angle), mode="lines", name="unit circle",
                             line=dict(color="#888", dash="dot"), hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=eigenvalues.real, y=eigenvalues.imag, mode="markers", name="eigenvalues of W_hh",
                             marker=dict(color=WEIGHT_COLOURS["W_hh"], size=6),
                             hovertemplate="%{x:.3f} %{y:+.3f}i<extra></extra>"))
    lim = max(1.1, rho * 1.1)
    fig.update_xaxes(title="real part", range=[-lim, lim], scaleanchor="y", zeroline=True)
    fig.update_yaxes(title="imaginary part", range=[-lim, lim], zeroline=True)
    size = np.abs(eigenvalues)
    with_summary(fig, f"{len(eigenvalues)} eigenvalues of W_hh; the largest |λ| is {size.max():.3f}, the smallest "
                      f"{size.min():.3f}; {int((size > 1 + 1e-9).sum())} lie outside the unit circle.")
    return base_layout(fig, f"Eigenvalues of W_hh: the largest |λ| is ρ = {rho:g}", height=400)


def mechanism_figure(vanilla: Mechanism | None, lstm: Mechanism | None, vanilla_label: str = "tanh RNN") -> go.Figure:
    """Left: the factor each step multiplies the gradient by; right: the running product back from T."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["one step back: the factor", "k steps back: the product"])
    if vanilla is not None:
        k = np.arange(len(vanilla.step_factor))
        fig.add_trace(go.Scatter(x=k, y=_finite(vanilla.step_factor), name=f"{vanilla_label}: ‖diag(φ′) W_hh‖₂",
                                 line=dict(color=WEIGHT_COLOURS["W_hh"])), row=1, col=1)
        fig.add_trace(go.Scatter(x=k, y=_finite(vanilla.product_max), name=f"{vanilla_label}: largest singular value",
                                 line=dict(color=WEIGHT_COLOURS["W_hh"], width=3)), row=1, col=2)
        fig.add_trace(go.Scatter(x=k, y=_finite(vanilla.product_min), name=f"{vanilla_label}: smallest singular value",
                                 line=dict(color=WEIGHT_COLOURS["W_hh"], dash="dot")), row=1, col=2)
    if lstm is not None:
        k = np.arange(len(lstm.step_factor))
        fig.add_trace(go.Scatter(x=k, y=_finite(lstm.step_factor), name="LSTM cell path: mean forget gate f",
                                 line=dict(color=HIGHLIGHT)), row=1, col=1)
        fig.add_trace(go.Scatter(x=k, y=_finite(lstm.product_mean), name="LSTM: mean over units of ∏ f",
                                 line=dict(color=HIGHLIGHT, width=3)), row=1, col=2)
        fig.add_trace(go.Scatter(x=k, y=_finite(lstm.product_max), name="LSTM: largest ∏ f over units",
                                 line=dict(color=HIGHLIGHT, dash="dot")), row=1, col=2)
    fig.update_xaxes(title="steps back from T (k = T − t)")
    fig.update_yaxes(title="factor", row=1, col=1)
    fig.update_yaxes(title="product (log scale)", type="log", exponentformat="power", row=1, col=2)
    said = []
    if vanilla is not None:
        said.append(f"{vanilla_label}: one step's factor ‖diag(φ′) W_hh‖₂ has median "
                    f"{np.median(vanilla.step_factor):.2f}; after {len(vanilla.product_max) - 1} steps the product's "
                    f"largest singular value is {vanilla.product_max[-1]:.1e}")
    if lstm is not None:
        said.append(f"LSTM cell path: mean forget gate {np.mean(lstm.step_factor):.2f}; the mean product over units "
                    f"after {len(lstm.product_mean) - 1} steps is {lstm.product_mean[-1]:.1e}")
    if said:
        with_summary(fig, "; ".join(said) + ".")
    base_layout(fig, "Why: a product of Jacobians through W_hh, against a product of forget gates", height=430)
    fig.update_layout(legend=dict(y=-0.25, yanchor="top", orientation="h", x=0, xanchor="left"), margin=dict(b=140))
    return fig


def lstm_cell_figure() -> go.Figure:
    """The LSTM cell as in the lecture, with the cell-state path c_{t-1} → c_t drawn thick in orange."""
    fig = go.Figure()
    shapes, notes = [], []  # set once at the end: adding them one by one re-validates all of them each time
    boxes = {"σ  (f)": (2.0, 1.0), "σ  (i)": (3.2, 1.0), "tanh  (g)": (4.4, 1.0), "σ  (o)": (5.6, 1.0)}
    for name, (x, y) in boxes.items():
        shapes.append(dict(type="rect", x0=x - 0.5, x1=x + 0.5, y0=y - 0.3, y1=y + 0.3, fillcolor="#fdf2c4",
                           line=dict(color="#888")))
        notes.append(dict(x=x, y=y, text=name, showarrow=False))
    ops = {"×": (2.0, 3.0), "+": (3.8, 3.0), "× ": (3.8, 2.0), "tanh": (6.4, 2.4), "×  ": (5.6, 1.9)}
    for name, (x, y) in ops.items():
        shapes.append(dict(type="circle", x0=x - 0.25, x1=x + 0.25, y0=y - 0.25, y1=y + 0.25, fillcolor="white",
                           line=dict(color=HIGHLIGHT if y == 3.0 else "#888", width=3 if y == 3.0 else 1)))
        notes.append(dict(x=x, y=y, text=name.strip(), showarrow=False, font=dict(size=15)))

    def arrow(x0, y0, x1, y1, colour="#888", width=1.5):
        notes.append(dict(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", showarrow=True,
                          arrowhead=2, arrowwidth=width, arrowcolor=colour, text=""))

    arrow(0.2, 3.0, 1.75, 3.0, HIGHLIGHT, 5)
    arrow(2.25, 3.0, 3.55, 3.0, HIGHLIGHT, 5)
    arrow(4.05, 3.0, 7.6, 3.0, HIGHLIGHT, 5)
    arrow(2.0, 1.3, 2.0, 2.75)
    arrow(3.2, 1.3, 3.6, 1.85)
    arrow(4.4, 1.3, 4.0, 1.85)
    arrow(3.8, 2.25, 3.8, 2.75)
    arrow(6.4, 3.0, 6.4, 2.65)
    arrow(6.4, 2.15, 5.85, 1.95)
    arrow(5.6, 1.3, 5.6, 1.65)
    arrow(5.35, 1.9, 7.6, 0.4)
    arrow(0.2, 0.4, 1.5, 0.8)
    for text, x, y in [("c<sub>t−1</sub>", 0.05, 3.3), ("c<sub>t</sub>", 7.7, 3.3),
                       ("h<sub>t−1</sub>, x<sub>t</sub>", 0.2, 0.2), ("h<sub>t</sub>", 7.7, 0.3),
                       ("∂c<sub>t</sub>/∂c<sub>t−1</sub> = f<sub>t</sub>: no W, no tanh", 4.8, 3.45)]:
        notes.append(dict(x=x, y=y, text=text, showarrow=False,
                          font=dict(size=14, color=HIGHLIGHT if "∂" in text else "#333")))
    fig.update_layout(shapes=shapes, annotations=notes)
    fig.update_xaxes(visible=False, range=[-0.2, 8.2])
    fig.update_yaxes(visible=False, range=[-0.1, 3.8])
    with_summary(fig, "The LSTM cell: four gates from x_t and h_{t−1} (forget f, input i, candidate g, output o); "
                      "c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t). Along the cell path from c_{t−1} to c_t the "
                      "gradient is only multiplied by f, elementwise: no W, no tanh′.")
    return base_layout(fig, "The LSTM cell: the uninterrupted path (orange)", height=330)


def clipping_figure(runs: dict) -> go.Figure:
    """Left: training loss per step for each clipping setting; right: the distribution of pre-clip norms."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["training loss", "gradient norm before clipping"],
                        column_widths=[0.6, 0.4])
    for j, (label, result) in enumerate(runs.items()):
        colour = RUN_COLOURS[j % len(RUN_COLOURS)]
        fig.add_trace(go.Scatter(x=np.arange(1, len(result.losses) + 1), y=_finite(np.array(result.losses)),
                                 mode="lines", name=label, line=dict(color=colour, width=1.5), legendgroup=label),
                      row=1, col=1)
        norms = np.array(result.grad_norms)
        fig.add_trace(go.Histogram(x=np.log10(norms[np.isfinite(norms) & (norms > 0)]), name=label, opacity=0.55,
                                   marker_color=colour, nbinsx=40, showlegend=False, legendgroup=label), row=1, col=2)
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title="step", row=1, col=1)
    fig.update_yaxes(title="cross-entropy (log scale)", type="log", row=1, col=1)
    fig.update_xaxes(title="log₁₀ ‖g‖ before clipping", row=1, col=2)
    fig.update_yaxes(title="steps", row=1, col=2)
    with_summary(fig, "; ".join(f"{label}: final loss {result.losses[-1]:.3g}, largest gradient norm "
                                f"{np.nanmax(np.array(result.grad_norms, dtype=float)):.3g}" if result.losses else
                                f"{label}: no steps" for label, result in runs.items()) + ".")
    return legend_above_panels(base_layout(fig, "The same run, unclipped and clipped", height=420))


def tbptt_figure(grid: np.ndarray, chunk: int) -> go.Figure:
    """Which input x_s gets gradient from the loss at step t, with chunk boundaries drawn."""
    T = grid.shape[0]
    z = np.where(grid > 0, np.log10(np.where(grid > 0, grid, 1)), np.nan)
    fig = go.Figure(go.Heatmap(z=z, x=np.arange(T), y=np.arange(T), colorscale="Blues", reversescale=False,
                               colorbar=dict(title="log₁₀ ‖∂L_t/∂x_s‖"),
                               hovertemplate="loss at t = %{y}, input s = %{x}: 10^%{z:.2f}<extra></extra>"))
    fig.update_layout(shapes=[dict(type="line", x0=b - 0.5 if axis == "x" else -0.5,
                                   x1=b - 0.5 if axis == "x" else T - 0.5, y0=-0.5 if axis == "x" else b - 0.5,
                                   y1=T - 0.5 if axis == "x" else b - 0.5,
                                   line=dict(color=HIGHLIGHT, dash="dash", width=2))
                              for b in range(chunk, T, chunk) for axis in ("x", "y")])
    fig.update_xaxes(title="input step s (orange: a chunk boundary, where the gradient is cut)")
    fig.update_yaxes(title="loss at step t", autorange="reversed")
    back = int(T - 1 - np.flatnonzero(grid[-1] > 0).min()) if (grid[-1] > 0).any() else 0
    with_summary(fig, f"With chunks of {chunk} over {T} steps, {int((grid > 0).sum())} of the {T * (T + 1) // 2} pairs "
                      f"(loss at t, input at s ≤ t) get gradient; the last step's loss reaches {back} steps back.")
    return base_layout(fig, f"Truncated BPTT with chunks of {chunk}: gradient reaches only back to its chunk's start",
                       height=430)


def delay_curves_figure(rows: list[dict], chunk: int) -> go.Figure:
    """Accuracy over training on the delay task, one line per delay d, against the chunk length k."""
    fig = go.Figure()
    for j, d in enumerate(dict.fromkeys(r["d"] for r in rows)):
        mine = [r for r in rows if r["d"] == d]
        fig.add_trace(go.Scatter(x=[r["step"] for r in mine], y=[r["accuracy"] for r in mine], mode="lines+markers",
                                 name=f"d = {d:g} ({'<' if d < chunk else '≥'} k = {chunk})",
                                 line=dict(color=RUN_COLOURS[j % len(RUN_COLOURS)])))
    fig.add_hline(y=1 / 8, line_dash="dot", annotation_text="chance")
    fig.update_xaxes(title="chunk updates")
    fig.update_yaxes(title="accuracy on a fresh stream", range=[0, 1.05])
    last = {r["d"]: r for r in rows}  # each delay's latest evaluation
    reached = "; ".join(f"d = {d:g}, accuracy {r['accuracy']:.0%} after {r['step']} chunk updates"
                        for d, r in last.items())
    with_summary(fig, f"Chunks of {chunk}: {reached} (chance: 1 in 8).")
    return base_layout(fig, "Recalling the symbol d steps back, trained with truncated BPTT", height=360)


def tbptt_diagram_figure(steps: int, chunk: int) -> go.Figure:
    """Hidden states in chunks of k: the forward arrows (state carried) cross every boundary; the backward
    arrows (gradient) stay inside a chunk and are cut (✂) at its start."""
    fig = go.Figure()
    shapes, notes = [], []  # set once at the end: adding them one by one re-validates all of them each time
    for start in range(0, steps, chunk):
        end = min(steps, start + chunk) - 1
        shapes.append(dict(type="rect", x0=start - 0.4, x1=end + 0.4, y0=-0.55, y1=0.55, line=dict(color="#bbb"),
                           fillcolor="rgba(200,200,200,0.12)"))
        if start > 0:
            notes.append(dict(x=start - 0.5, y=-0.85, text="✂", showarrow=False, font=dict(size=18, color=HIGHLIGHT)))
    for t in range(steps - 1):
        notes.append(dict(x=t + 0.78, y=0.2, ax=t + 0.22, ay=0.2, xref="x", yref="y", axref="x", ayref="y",
                          showarrow=True, arrowhead=2, arrowwidth=1.5, arrowcolor="#333", text=""))
        if (t + 1) % chunk:  # the gradient flows back only inside a chunk
            notes.append(dict(x=t + 0.22, y=-0.2, ax=t + 0.78, ay=-0.2, xref="x", yref="y", axref="x", ayref="y",
                              showarrow=True, arrowhead=2, arrowwidth=2, arrowcolor=HIGHLIGHT, text=""))
    fig.update_layout(shapes=shapes, annotations=notes)
    fig.add_trace(go.Scatter(x=list(range(steps)), y=[0] * steps, mode="markers+text",
                             text=[f"h{t + 1}" for t in range(steps)],
                             textposition="top center", marker=dict(size=14, color=WEIGHT_COLOURS["W_hh"]),
                             hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color="#333"),
                             name="forward: state carried on"))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=HIGHLIGHT, width=3),
                             name="backward: gradient, inside a chunk only"))
    fig.update_xaxes(visible=False, range=[-0.8, steps - 0.2])
    fig.update_yaxes(visible=False, range=[-1.1, 0.9])
    with_summary(fig, f"{steps} hidden states in chunks of {chunk} ({-(-steps // chunk)} chunks): the state is carried "
                      f"forward across all {-(-steps // chunk) - 1} cuts, the gradient flows back only inside a chunk.")
    return base_layout(fig, f"Chunks of k = {chunk}: the state goes forward across a cut, the gradient does not",
                       height=230)


def memory_training_figure(rows: list[dict]) -> go.Figure:
    """Accuracy and ‖∂L/∂x_1‖ over training, one line per model."""
    fig = make_subplots(rows=1, cols=2,
                        subplot_titles=["accuracy on fresh sequences", "gradient reaching the first input"])
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == model]
        colour = CELL_COLOURS["lstm" if "LSTM" in model else "rnn"]
        steps = [r["step"] for r in mine]
        fig.add_trace(go.Scatter(x=steps, y=[r["accuracy"] for r in mine], name=model, line=dict(color=colour),
                                 legendgroup=model), row=1, col=1)
        fig.add_trace(go.Scatter(x=steps, y=_finite(np.array([r["grad_first"] for r in mine])), name=model,
                                 line=dict(color=colour), showlegend=False, legendgroup=model), row=1, col=2)
    fig.add_hline(y=1 / 8, line_dash="dot", annotation_text="chance", row=1, col=1)
    fig.update_xaxes(title="training step")
    fig.update_yaxes(title="accuracy", range=[0, 1.05], row=1, col=1)
    fig.update_yaxes(title="‖∂L/∂x_1‖ (log scale)", type="log", exponentformat="power", row=1, col=2)
    last = {r["model"]: r for r in rows}
    with_summary(fig, "; ".join(f"{model} after {r['step']} steps: accuracy {r['accuracy']:.0%}, ‖∂L/∂x₁‖ "
                                f"{r['grad_first']:.1e}" for model, r in last.items()) + " (chance: 1 in 8).")
    return legend_above_panels(base_layout(fig, "Who learns to remember?", height=400))


def accuracy_vs_lag_figure(runs: list[dict], regimes: dict[str, str]) -> go.Figure:
    """Measured accuracy against lag: one panel per optimiser regime; the mean over seeds, each seed a dot."""
    fig = make_subplots(rows=1, cols=len(regimes), subplot_titles=list(regimes.values()), shared_yaxes=True)
    for col, regime in enumerate(regimes, start=1):
        for cell, label in (("rnn", "vanilla RNN"), ("lstm", "LSTM")):
            mine = [r for r in runs if r["regime"] == regime and r["cell"] == cell]
            lags = sorted({r["lag"] for r in mine})
            means = [float(np.mean([r["accuracy"] for r in mine if r["lag"] == lag])) for lag in lags]
            colour = CELL_COLOURS[cell]
            fig.add_trace(go.Scatter(x=lags, y=means, mode="lines+markers", name=label,
                                     line=dict(color=colour, width=3), showlegend=col == 1, legendgroup=cell),
                          row=1, col=col)
            fig.add_trace(go.Scatter(x=[r["lag"] for r in mine], y=[r["accuracy"] for r in mine], mode="markers",
                                     marker=dict(color=colour, size=6, opacity=0.4), showlegend=False, legendgroup=cell,
                                     hovertemplate="lag %{x}: %{y:.1%} (one seed)<extra>" + label + "</extra>"),
                          row=1, col=col)
        fig.add_hline(y=1 / 8, line_dash="dot", annotation_text="chance", row=1, col=col)
        fig.update_xaxes(title="lag (noise steps between the symbol and the question)", type="log", row=1, col=col,
                         tickvals=sorted({r["lag"] for r in runs}))
    fig.update_yaxes(title="accuracy (mean of seeds; dots: each seed)", range=[0, 1.05], row=1, col=1)
    said = []
    for regime, title in regimes.items():
        mine = [r for r in runs if r["regime"] == regime]
        if mine:
            lag = max(r["lag"] for r in mine)
            mean = {cell: np.mean([r["accuracy"] for r in mine if r["lag"] == lag and r["cell"] == cell] or [np.nan])
                    for cell in ("rnn", "lstm")}
            said.append(f"{title}, at lag {lag}: vanilla RNN {mean['rnn']:.0%}, LSTM {mean['lstm']:.0%}")
    with_summary(fig, "; ".join(said) + " (chance: 1 in 8).")
    return legend_above_panels(base_layout(fig, "Measured: accuracy against lag, same budget for every run",
                                           height=420))

