"""Figures for the hidden-state pages: units × time, top-5 guesses, gate saturation, connectivity."""
from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.charlm.analysis import Analysis, downsample
from core.plots.charlm import show_char
from core.plots.style import (
    HIGHLIGHT,
    PROB_SCALE,
    SIGNED_SCALE,
    WEIGHT_COLOURS,
    base_layout,
    legend_above_panels,
    with_summary,
)

GATE_COLOURS = {"input": WEIGHT_COLOURS["W_xh"], "forget": WEIGHT_COLOURS["W_hh"], "output": WEIGHT_COLOURS["W_hy"],
                "reset": WEIGHT_COLOURS["W_ih"], "update": WEIGHT_COLOURS["feedback"]}


def _snippet(text: str, start: int, end: int, limit: int = 24) -> str:
    """Characters [start, end) as a reader sees them, shortened in the middle if long."""
    shown = html.escape("".join(show_char(c) for c in text[start:end]), quote=False)  # plotly reads <b>, <br>
    return shown if len(shown) <= limit else shown[: limit // 2] + "…" + shown[-limit // 2:]


def unit_heatmap_figure(acts: np.ndarray, text: str, units: list[int], title: str, max_columns: int = 400) -> go.Figure:
    """Units (rows) × characters (columns), coloured by activation; long texts are averaged into bins.

    The hover text lives in the axes (one label per column, one per row), not in per-cell strings: the figure the
    browser gets is a few kB of labels and one float array, which Streamlit serialises fast on every rerun.
    """
    binned, spans = downsample(acts[:, units], max_columns)  # (B, U)
    scale = np.abs(binned).max(0)  # (U,): each row is scaled by its own largest |value|, so quiet units show too
    scale[scale == 0] = 1.0
    columns = [f"{s}–{e - 1} '{_snippet(text, s, e)}'" if e - s > 1 else f"{s} '{_snippet(text, s, e)}'"
               for s, e in spans]  # unique (positions differ): the x categories, shown on hover
    rows = [f"unit {u} · max {m:.2f}" for u, m in zip(units, scale)]
    fig = go.Figure(go.Heatmap(
        z=(binned / scale).T, x=columns, y=rows, colorscale=SIGNED_SCALE, zmin=-1, zmax=1,
        colorbar=dict(title="value /<br>row's max"),
        hovertemplate="%{y}<br>position %{x}<br>value / row's max %{z:.2f}<extra></extra>"))
    size = spans[0][1] - spans[0][0]
    ticks = list(range(0, len(spans), max(1, len(spans) // 12)))
    fig.update_xaxes(title="position in the text" + (f" (each column averages {size} characters)" if size > 1 else ""),
                     type="category", tickvals=[columns[k] for k in ticks], ticktext=[str(spans[k][0]) for k in ticks])
    fig.update_yaxes(title="unit", autorange="reversed", tickfont=dict(size=9 if len(units) > 30 else 12))
    ranges = "; ".join(f"unit {u} from {acts[:, u].min():.2f} to {acts[:, u].max():.2f}" for u in units[:5])
    more = "; …" if len(units) > 5 else ""
    with_summary(fig, f"{len(units)} units over {acts.shape[0]} characters: {ranges}{more}.")
    return base_layout(fig, title, height=max(300, min(700, 60 + 12 * len(units))))


def top_guesses_figure(analysis: Analysis, start: int, end: int) -> go.Figure:
    """Under each character of [start, end), the model's five likeliest next characters, shaded by probability."""
    k = analysis.top_probs.shape[1]
    probs = analysis.top_probs[start:end].T  # (k, W)
    guesses = np.array([[_snippet(analysis.top_chars[t][r], 0, 1) for t in range(start, end)] for r in range(k)])
    nxt = [_snippet(analysis.text, t + 1, t + 2) if t + 1 < len(analysis.text) else "end" for t in range(start, end)]
    fig = go.Figure(go.Heatmap(
        z=probs, x=list(range(start, end)), y=[f"guess {r + 1}" for r in range(k)], text=guesses,
        texttemplate="%{text}", colorscale=PROB_SCALE, zmin=0, zmax=1, colorbar=dict(title="p"),
        customdata=np.array([nxt] * k),
        hovertemplate="after position %{x}: '%{text}' with p = %{z:.3f}<br>"
                      "actually next: '%{customdata}'<extra></extra>"))
    fig.update_xaxes(title="the character read (the guesses are for the one after it)",
                     tickvals=list(range(start, end)),
                     ticktext=[_snippet(analysis.text, t, t + 1) for t in range(start, end)], tickangle=0, side="top")
    truth = [(t, r) for t in range(start, min(end, len(analysis.text) - 1)) for r in range(k)
             if analysis.top_chars[t][r] == analysis.text[t + 1]]
    fig.add_trace(go.Scatter(x=[t for t, _ in truth], y=[f"guess {r + 1}" for _, r in truth], mode="markers",
                             marker=dict(symbol="square-open", size=20, color=HIGHLIGHT, line=dict(width=2)),
                             name="the character that came next", hoverinfo="skip"))
    fig.update_yaxes(autorange="reversed")
    shown = min(end, len(analysis.text) - 1) - start
    with_summary(fig, f"Over {end - start} characters from position {start}, the character that came next was among "
                      f"the five guesses {len(truth)} times of {shown}, the first guess "
                      f"{sum(r == 0 for _, r in truth)} times.")
    return base_layout(fig, "The model's five guesses for the next character, after each character", height=330)


def gate_saturation_figure(saturation: list[dict[str, tuple[np.ndarray, np.ndarray]]]) -> go.Figure:
    """One panel per layer: every unit's gates as points (left-saturated fraction, right-saturated fraction)."""
    fig = make_subplots(rows=1, cols=len(saturation), subplot_titles=[f"layer {k + 1}" for k in range(len(saturation))],
                        shared_yaxes=True)
    for k, layer in enumerate(saturation, start=1):
        for name, (left, right) in layer.items():
            fig.add_trace(go.Scatter(
                x=left, y=right, mode="markers", name=f"{name} gate", legendgroup=name, showlegend=k == 1,
                marker=dict(color=GATE_COLOURS.get(name, "#333"), size=5, opacity=0.6),
                customdata=np.arange(len(left)),
                hovertemplate=f"{name} gate of unit %{{customdata}}<br>shut (< 0.1) %{{x:.0%}} of steps<br>"
                              "open (> 0.9) %{y:.0%}<extra></extra>"), row=1, col=k)
        fig.add_trace(go.Scatter(x=[0, 1], y=[1, 0], mode="lines", line=dict(color="#bbb", dash="dot"),
                                 showlegend=False, hoverinfo="skip"), row=1, col=k)
        fig.update_xaxes(title="fraction of steps left-saturated (< 0.1)", range=[-0.02, 1.02], row=1, col=k)
    fig.update_yaxes(title="fraction right-saturated (> 0.9)", range=[-0.02, 1.02], row=1, col=1)
    with_summary(fig, "Share of steps a gate is shut (< 0.1) or open (> 0.9), mean over units: " + "; ".join(
        f"layer {k}: " + ", ".join(f"{name} {float(np.mean(left)):.0%} shut, {float(np.mean(right)):.0%} open"
                                  for name, (left, right) in layer.items())
        for k, layer in enumerate(saturation, start=1)) + ".")
    return legend_above_panels(base_layout(fig, "Gate saturation: each point is one gate of one unit", height=440))


def connectivity_figure(curves: dict[str, np.ndarray]) -> go.Figure:
    """‖∂y_t/∂x_s‖ against the distance t − s, one line per model, on a log scale."""
    fig = go.Figure()
    palette = [HIGHLIGHT, WEIGHT_COLOURS["W_xh"], WEIGHT_COLOURS["W_hy"], WEIGHT_COLOURS["W_hh"]]
    for j, (label, norms) in enumerate(curves.items()):
        distance = np.arange(len(norms))[::-1]  # s = 0 .. t  ->  t - s = t .. 0
        name = html.escape(label)  # a model's name may be a student's text: never markup
        fig.add_trace(go.Scatter(x=distance, y=np.maximum(norms, 1e-30), mode="lines", name=name,
                                 line=dict(color=palette[j % len(palette)], width=2),
                                 hovertemplate="%{x} characters back: %{y:.2e}<extra>" + name + "</extra>"))
    fig.update_xaxes(title="how many characters back (t − s)")
    fig.update_yaxes(title="‖∂y_t / ∂x_s‖ (log scale)", type="log", exponentformat="power")
    with_summary(fig, "‖∂y_t / ∂x_s‖, " + "; ".join(
        f"{label}: " + ", ".join(f"{norms[-1 - d]:.1e} {d} back" for d in (1, 10, 100) if d < len(norms))
        for label, norms in curves.items()) + ".")
    return base_layout(fig, "How strongly the prediction at t depends on each earlier character", height=380)
