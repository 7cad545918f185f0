"""Figures for the "RNN basics" pages: unrolled graphs, the "hello" model per time step,
its loss curve and backward pass, and test-time sampling."""
from __future__ import annotations

from collections import Counter

import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from core.basics.hello import Samples, Trace, hidden_names
from core.basics.unrolled import ROW_HIDDEN, ROW_INPUT, ROW_LOSS, ROW_OUTPUT, ROW_TOTAL, SHAPES, UnrolledGraph
from core.plots.style import (
    HIGHLIGHT,
    NODE_COLOURS,
    PROB_SCALE,
    SIGNED_SCALE,
    WEIGHT_COLOURS,
    base_layout,
    with_summary,
)

_EDGE_NAMES = {
    "W_xh": "W_xh: input → hidden",
    "W_hh": "W_hh: hidden → hidden",
    "W_hy": "W_hy: hidden → output",
    "W_ih": "W_ih: image features → h₀",
    "loss": "loss of an output",
    "sum": "sum of the losses",
    "feedback": "test time: sampled word fed back as next input",
}


def unrolled_graph_figure(graph: UnrolledGraph) -> go.Figure:
    """Draw an unrolled graph: one coloured line style per weight matrix, arrows along the flow."""
    pos = {n.id: (n.col, n.row) for n in graph.nodes}
    fig = go.Figure()
    groups: dict[tuple[str, str], list] = {}
    for e in graph.edges:
        groups.setdefault((e.weight, e.part), []).append(e)
    arrows = []  # set once at the end: adding annotations one by one re-validates all of them each time
    for (weight, part), edges in groups.items():
        xs, ys = [], []
        for e in edges:
            (x0, y0), (x1, y1) = pos[e.src], pos[e.dst]
            xs += [x0, x1, None]
            ys += [y0, y1, None]
            arrows.append(dict(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="",
                               showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=1.6,
                               arrowcolor=WEIGHT_COLOURS[weight], standoff=19, startstandoff=19))
        name = _EDGE_NAMES[weight] + (f" ({part})" if part else "")
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", name=name, hoverinfo="skip",
            line=dict(color=WEIGHT_COLOURS[weight], width=2.5 if weight.startswith("W_") else 1.5,
                      dash="dot" if (weight == "feedback" or part == "decoder") else "solid"),
        ))
    for kind in NODE_COLOURS:
        nodes = [n for n in graph.nodes if n.kind == kind]
        if not nodes:
            continue
        fig.add_trace(go.Scatter(
            x=[n.col for n in nodes], y=[n.row for n in nodes], mode="markers+text",
            text=[n.label for n in nodes], textposition="middle center", textfont=dict(size=14),
            hovertext=[n.note for n in nodes],
            hoverinfo="text", name=f"{kind} nodes", showlegend=False,
            marker=dict(size=[46 if n.summary else 38 for n in nodes], color=NODE_COLOURS[kind], symbol="circle",
                        opacity=1, line=dict(width=[4 if n.summary else 1 for n in nodes],
                                             color=[HIGHLIGHT if n.summary else "#555" for n in nodes])),
        ))
    captioned = [n for n in graph.nodes if n.caption]
    if captioned:  # small words under some nodes; invisible markers of node size push the text below them
        fig.add_trace(go.Scatter(
            x=[n.col for n in captioned], y=[n.row for n in captioned], mode="markers+text", name="captions",
            text=[n.caption for n in captioned], textfont=dict(size=12, color="#444"),
            textposition=["middle right" if n.kind == "total" else "bottom center" for n in captioned],
            marker=dict(size=44, opacity=0), hoverinfo="skip", showlegend=False,
        ))
    if any(n.summary for n in graph.nodes):  # a legend entry for the ring
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="final state h_T: the summary of the input",
                                 marker=dict(size=14, color=NODE_COLOURS["hidden"],
                                             line=dict(width=3, color=HIGHLIGHT))))
    fig.update_layout(annotations=arrows)
    cols = [n.col for n in graph.nodes]
    rows = sorted({n.row for n in graph.nodes})
    names = {ROW_INPUT: "inputs x", ROW_HIDDEN: "hidden h", ROW_OUTPUT: "outputs y", ROW_LOSS: "losses",
             ROW_TOTAL: "total"}
    axis = {"one_to_one": "no time steps: one pass through the network",
            "seq2seq": "time step: t in the encoder, then t′ in the decoder"}.get(graph.shape, "time step t")
    fig.update_xaxes(title=axis, range=[min(cols) - 0.6, max(cols) + 0.6], zeroline=False, showgrid=False,
                     tickvals=[c for c, _ in graph.ticks], ticktext=[t for _, t in graph.ticks])
    fig.update_yaxes(title="", range=[-0.95, max(rows) + 0.5], tickvals=rows, ticktext=[names[r] for r in rows],
                     zeroline=False, showgrid=False)
    base_layout(fig, f"Unrolled RNN, {SHAPES[graph.shape].title}", height=560)
    fig.update_layout(plot_bgcolor="white", legend=dict(y=-0.25, yanchor="top", x=0, xanchor="left"))
    fig.update_layout(margin=dict(b=120))
    counted = ", ".join(f"{label.lower()}: {value}" for label, value in graph.counts().items())
    return with_summary(fig, f"The {graph.shape} graph, unrolled; {counted}.")


def _step_labels(trace: Trace, vocab: tuple[str, ...]) -> list[str]:
    labels = []
    for t, i in enumerate(trace.inputs.tolist()):
        target = "" if trace.targets is None else f" → '{vocab[int(trace.targets[t])]}'"
        labels.append(f"t={t + 1}: '{vocab[i]}'{target}")
    return labels


def hello_steps_figure(trace: Trace, vocab: tuple[str, ...]) -> go.Figure:
    """The lecture's picture of the "hello" model, live: per step the one-hot input, the hidden
    layer, the output scores and the softmax, with the target character boxed."""
    steps = _step_labels(trace, vocab)
    panels = [  # (title, values (rows, T): a quantity per row, a time step per column, row names, scale, signed)
        ("softmax p<sub>t</sub>", trace.p.T, list(vocab), PROB_SCALE, False),
        ("output scores y<sub>t</sub> = W<sub>hy</sub> h<sub>t</sub>", trace.y.T, list(vocab), SIGNED_SCALE, True),
        ("hidden layer h<sub>t</sub> = tanh(W<sub>hh</sub> h<sub>t−1</sub> + W<sub>xh</sub> x<sub>t</sub>)",
         trace.h[1:].T, hidden_names(trace.h.shape[1]), SIGNED_SCALE, True),
        ("input layer x<sub>t</sub> (one-hot)", trace.x.T, list(vocab), PROB_SCALE, False),
    ]
    fig = make_subplots(rows=4, cols=1, shared_xaxes=True, vertical_spacing=0.07,
                        subplot_titles=[p[0] for p in panels],
                        row_heights=[len(p[2]) for p in panels])
    for r, (_, z, names, scale, signed) in enumerate(panels, start=1):
        z = z.tolist()
        zmax = max(1e-9, max(abs(v) for row in z for v in row)) if signed else 1.0
        fig.add_trace(go.Heatmap(
            z=z, x=steps, y=names, colorscale=scale, zmin=-zmax if signed else 0.0, zmax=zmax, showscale=False,
            text=[[f"{v:.2f}" for v in row] for row in z], texttemplate="%{text}", textfont=dict(size=13),
            hovertemplate="%{x}<br>%{y}: %{z:.4f}<extra></extra>", xgap=2, ygap=2,
        ), row=r, col=1)
        fig.update_yaxes(autorange="reversed", row=r, col=1)
    if trace.targets is not None:  # box the target character in the scores and the softmax
        for r in (1, 2):
            for t, target in enumerate(trace.targets.tolist()):
                fig.add_shape(type="rect", x0=t - 0.5, x1=t + 0.5, y0=target - 0.5, y1=target + 0.5,
                              line=dict(color=HIGHLIGHT, width=3), row=r, col=1)
    base_layout(fig, "The “hello” model at each time step (orange box: the character it should predict)", height=640)
    fig.update_xaxes(title="time step: input character → target character", row=4, col=1)
    if trace.targets is not None:
        got = [float(trace.p[t, int(c)]) for t, c in enumerate(trace.targets.tolist())]
        with_summary(fig, "The probability the model gives the right next character at each step: " + ", ".join(
            f"{label.split(': ', 1)[1]} {p:.2f}" for label, p in zip(steps, got)) + ".")
    return fig


def loss_curve_figure(losses: list[float]) -> go.Figure:
    """Total training loss against gradient step."""
    fig = go.Figure(go.Scatter(x=list(range(len(losses))), y=losses,
                               mode="lines+markers" if len(losses) < 60 else "lines",
                               name="loss", line=dict(color=WEIGHT_COLOURS["W_hh"])))
    fig.update_xaxes(title="gradient step", range=[0, max(10, len(losses) - 1)])
    fig.update_yaxes(title="total loss L = Σ<sub>t</sub> L<sub>t</sub> (nats)", rangemode="tozero")
    if losses:
        with_summary(fig, f"Total loss after {len(losses) - 1} gradient steps: {losses[-1]:.3f} nats (it started at "
                          f"{losses[0]:.3f}).")
    return base_layout(fig, "Training loss on “hello”", height=320)


def gradient_through_time_figure(dh: torch.Tensor) -> go.Figure:
    """‖∂L/∂h_t‖ per time step: how much of the loss reaches each hidden state in the backward pass."""
    norms = dh.norm(dim=1).tolist()  # (T, H) -> (T,)
    fig = go.Figure(go.Bar(x=[f"h{t + 1}" for t in range(len(norms))], y=norms, marker_color=WEIGHT_COLOURS["W_hh"],
                           text=[f"{v:.3f}" for v in norms], textposition="outside"))
    fig.update_xaxes(title="hidden state")
    fig.update_yaxes(title="‖∂L/∂h<sub>t</sub>‖")
    with_summary(fig, "‖∂L/∂h_t‖: " + ", ".join(f"h{t + 1} {v:.3f}" for t, v in enumerate(norms)) + ".")
    return base_layout(fig, "Backward pass: gradient reaching each hidden state", height=320)


def sampling_steps_figure(samples: Samples, b: int = 0) -> go.Figure:
    """The softmax at each generation step (columns), with the chosen character ringed and the
    argmax marked, so a choice that is not the most probable character stands out."""
    probs = samples.probs[b].T.tolist()  # (L, V) -> (V, L): a character per row, a step per column
    chosen = samples.chosen[b].tolist()
    argmax = samples.probs[b].argmax(dim=-1).tolist()  # (L,)
    text = samples.text(b)
    steps = [f"{k + 1}: after '{text[len(samples.start) + k - 1]}'" for k in range(len(chosen))]
    vocab = list(samples.vocab)
    fig = go.Figure(go.Heatmap(z=probs, x=steps, y=vocab, colorscale=PROB_SCALE, zmin=0, zmax=1, xgap=2, ygap=2,
                               text=[[f"{v:.2f}" for v in row] for row in probs], texttemplate="%{text}",
                               colorbar=dict(title="p"),
                               hovertemplate="step %{x}<br>p('%{y}') = %{z:.3f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[steps[k] for k in range(len(chosen))], y=[vocab[c] for c in chosen], mode="markers",
                             name="chosen",
                             marker=dict(symbol="circle-open", size=34, color=HIGHLIGHT, line=dict(width=3))))
    off = samples.off_argmax(b).nonzero().flatten().tolist()
    fig.add_trace(go.Scatter(x=[steps[k] for k in off], y=[vocab[argmax[k]] for k in off], mode="markers",
                             name="argmax (not chosen)",
                             marker=dict(symbol="x-thin-open", size=26, color="#333", line=dict(width=2))))
    fig.update_xaxes(title="generation step (the input is the previous choice)")
    fig.update_yaxes(title="next character", autorange="reversed")
    with_summary(fig, f"Generated ‘{text}’; at each step the chosen character had probability " + ", ".join(
        f"{samples.probs[b][k, c]:.2f}" for k, c in enumerate(chosen)) + f"; {len(off)} of {len(chosen)} choices "
        "were not the most probable character.")
    return base_layout(fig, "Softmax at each step of generation (ring: chosen; ×: argmax where a sample differs)",
                       height=380)


def sample_diversity_figure(samples: Samples, argmax_text: str, top: int = 12) -> go.Figure:
    """How often each distinct string came out of many samples; the argmax string is one fixed bar."""
    counts = Counter(samples.text(b) for b in range(samples.chosen.shape[0]))
    items = counts.most_common(top)
    colours = [HIGHLIGHT if s == argmax_text else WEIGHT_COLOURS["W_xh"] for s, _ in items]
    fig = go.Figure(go.Bar(x=[s for s, _ in items], y=[c for _, c in items], marker_color=colours,
                           text=[c for _, c in items], textposition="outside"))
    fig.update_xaxes(title=f"generated string ({len(counts)} distinct in {samples.chosen.shape[0]} samples; "
                           "orange = argmax string)")
    fig.update_yaxes(title="how many samples")
    commonest = ", ".join(f"‘{s}’ {c} times" for s, c in items[:3])
    with_summary(fig, f"{len(counts)} distinct strings in {samples.chosen.shape[0]} samples; the commonest: "
                      f"{commonest}; the argmax string ‘{argmax_text}’ came up {counts.get(argmax_text, 0)} times.")
    return base_layout(fig, "Sampling gives diversity; argmax always gives the same string", height=360)
