"""Figures and text views for the character-model pages: softmax bars, temperature panels,
probability-coloured text, training curves."""
from __future__ import annotations

import html

import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from core.charlm.sample import SampleResult, repetition_score
from core.plots.style import HIGHLIGHT, WEIGHT_COLOURS, base_layout, with_summary
from core.sampling import softmax_with_temperature


def show_char(c: str) -> str:
    """A character as a reader can see it: newline, space and tab spelled out."""
    return {"\n": "⏎", " ": "␣", "\t": "⇥"}.get(c, c)


def softmax_bars_figure(probs: torch.Tensor, vocab: tuple[str, ...], chosen: int, top: int = 15,
                        title: str = "Softmax at this step") -> go.Figure:
    """The most probable next characters as bars: the sampled one in orange, the argmax marked."""
    p, order = torch.sort(probs, descending=True)  # (V,)
    keep = order[:top].tolist()
    if chosen not in keep:
        keep[-1] = chosen
    names = [show_char(vocab[i]) for i in keep]
    colours = [HIGHLIGHT if i == chosen else WEIGHT_COLOURS["W_xh"] for i in keep]
    text = ["argmax" if i == int(probs.argmax()) else "" for i in keep]
    fig = go.Figure(go.Bar(x=names, y=[float(probs[i]) for i in keep], marker_color=colours, text=text,
                           textposition="outside", hovertemplate="'%{x}': p = %{y:.4f}<extra></extra>"))
    fig.update_xaxes(title="next character (orange: the one sampled)", type="category")
    fig.update_yaxes(title="probability", range=[0, 1.08])
    best = int(probs.argmax())
    likeliest = ", ".join(f"‘{show_char(vocab[i])}’ {float(probs[i]):.3f}" for i in keep[:5])
    with_summary(fig, f"Sampled ‘{show_char(vocab[chosen])}’, which had probability {float(probs[chosen]):.3f}; the "
                      f"most probable was ‘{show_char(vocab[best])}’ ({float(probs[best]):.3f}). The likeliest: "
                      f"{likeliest}.")
    return base_layout(fig, title, height=330)


def temperature_panels_figure(logits: torch.Tensor, vocab: tuple[str, ...], temperatures: list[float],
                              top: int = 10) -> go.Figure:
    """The same scores through softmax(y / T) for several T: low T sharpens, high T flattens."""
    order = torch.argsort(logits, descending=True)[:top].tolist()
    names = [show_char(vocab[i]) for i in order]
    fig = make_subplots(rows=1, cols=len(temperatures), shared_yaxes=True,
                        subplot_titles=[f"T = {t:g}" for t in temperatures])
    for k, t in enumerate(temperatures, start=1):
        p = softmax_with_temperature(logits.double(), t)
        fig.add_trace(go.Bar(x=names, y=[float(p[i]) for i in order], marker_color=WEIGHT_COLOURS["W_xh"],
                             showlegend=False, hovertemplate="'%{x}': %{y:.3f}<extra></extra>"), row=1, col=k)
        fig.update_xaxes(type="category", row=1, col=k)
    fig.update_yaxes(title="probability", range=[0, 1.05], row=1, col=1)
    first = order[0]
    with_summary(fig, f"The likeliest next character, ‘{names[0]}’, gets probability " + ", ".join(
        f"{float(softmax_with_temperature(logits.double(), t)[first]):.3f} at T = {t:g}" for t in temperatures) + ".")
    return base_layout(fig, "The same scores at several temperatures: softmax(y / T)", height=300)


def coloured_text_html(text: str, values: list[float], label: str, signed: bool = False,
                       notes: dict[int, str] | None = None) -> str:
    """The text with each character's background shaded by its value (escaped: safe to render).

    Values are in [0, 1] (orange, darker is larger) or, with `signed`, in [-1, 1] (red positive, blue
    negative, as in Karpathy's figures). Characters in `notes` get an outline and the note in their tooltip.
    """
    notes = notes or {}
    spans = []
    for i, (c, v) in enumerate(zip(text, values)):
        shown = "⏎<br>" if c == "\n" else html.escape(c).replace(" ", "&nbsp;")
        v = max(-1.0, min(1.0, v)) if signed else max(0.0, min(1.0, v))
        alpha = (0.08 if not signed else 0.0) + 0.75 * abs(v)
        rgb = ("214,39,40" if v >= 0 else "31,119,180") if signed else "255,127,14"
        tip = f"{label} {v:+.2f}" if signed else f"{label} {v:.2f}"
        extra = ""
        if i in notes:
            tip += f" · {notes[i]}"
            extra = "; outline: 2px dashed #444"
        spans.append(f'<span title="{html.escape(tip)}" style="background: rgba({rgb},{alpha:.2f}){extra}">'
                     f'{shown}</span>')
    return ('<div style="font-family: monospace; font-size: 15px; line-height: 1.6; white-space: normal">'
            + "".join(spans) + "</div>")


def scrub_payload(result: SampleResult, seed: int) -> dict:
    """Everything the browser needs to show the sample of every row of `result` (one row per temperature) without
    asking the server again: per row the text, each character's probability and its step's entropy (as whole
    percent: the shading and tooltips show two decimals), and the repetition score. Plain data (JSON): the
    browser inserts the text as text, never as markup."""
    rows = []
    for k in range(len(result.temperatures)):
        text = result.text(k)
        rows.append({"text": text,
                     "p": [round(100 * v) for v in result.chosen_probs(k)],
                     "e": [round(100 * min(1.0, max(0.0, e / 2.0))) for e in result.entropies(k)],  # 2 nats = darkest
                     "repetition": round(repetition_score(text), 2)})
    return {"grid": list(result.temperatures), "rows": rows, "prime": result.prime, "seed": int(seed)}


def training_curves_figure(rows: list[dict[str, float]], reference: float | None = None) -> go.Figure:
    """Training loss per step and validation loss at each evaluation, in nats per character."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[r["step"] for r in rows], y=[r["loss"] for r in rows], mode="lines",
                             name="train (chunk)", line=dict(color=WEIGHT_COLOURS["W_xh"], width=1)))
    evals = [r for r in rows if "val_loss" in r]
    fig.add_trace(go.Scatter(x=[r["step"] for r in evals], y=[r["val_loss"] for r in evals], mode="lines+markers",
                             name="validation", line=dict(color=HIGHLIGHT, width=3)))
    if reference is not None:
        fig.add_hline(y=reference, line_dash="dot", annotation_text=f"shipped LSTM {reference:.2f}")
    fig.update_xaxes(title="training step")
    fig.update_yaxes(title="loss (nats / character)")
    if rows:
        last = rows[-1]
        held_out = f"; validation loss {evals[-1]['val_loss']:.3f} at step {evals[-1]['step']:.0f}" if evals else ""
        with_summary(fig, f"After {last['step']:.0f} steps: training loss {last['loss']:.3f} nats per character on "
                          f"the last chunk{held_out}.")
    return base_layout(fig, "Loss while training", height=360)


def gallery_figure(names: list[str], losses: list[float], reference: tuple[str, float] | None = None) -> go.Figure:
    """Each model's loss on the same held-out text, best at the top (names are user text: escaped, never markup),
    with a shipped model's loss as a dotted line when given."""
    order = sorted(range(len(names)), key=lambda k: -losses[k])  # plotly draws the first bar at the bottom
    fig = go.Figure(go.Bar(x=[losses[k] for k in order], y=[html.escape(names[k]) for k in order], orientation="h",
                           marker_color=WEIGHT_COLOURS["W_xh"],
                           hovertemplate="%{y}: %{x:.3f} nats/char<extra></extra>"))
    if reference is not None:
        fig.add_vline(x=reference[1], line_dash="dot", annotation_position="top", annotation_yanchor="bottom",
                      annotation_text=f"{html.escape(reference[0])} {reference[1]:.2f}")  # above the bars
    fig.update_xaxes(title="loss on the same held-out text (nats / character; lower is better)")
    fig.update_yaxes(automargin=True)
    if names:
        best = min(range(len(names)), key=lambda k: losses[k])
        shipped = "" if reference is None else f"; {reference[0]}: {reference[1]:.3f}"
        with_summary(fig, f"{len(names)} models on the same held-out text; the best: {names[best]}, "
                          f"{losses[best]:.3f} nats per character{shipped}.")
    return base_layout(fig, "Which settings won", height=max(240, 60 + 34 * len(names)))
