"""Figures for the image pages: an image with an attention (or activation) map over it, the same across every
word as an animation, the entropy of each word's map, the CNN's top-5 labels, a VQA model's top-5 answers and its
summary vectors."""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from core.plots.style import BAR, HIGHLIGHT, OKABE_ITO, base_layout, with_summary

# Transparent where the map is low, so the picture stays visible; opaque red-yellow where it is high.
HEAT_SCALE = [[0.0, "rgba(255,255,0,0)"], [0.35, "rgba(255,200,0,0.35)"], [1.0, "rgba(220,0,0,0.85)"]]
# found / missed / not judged: Okabe–Ito blue and vermillion (apart under colour-vision deficiencies), and never
# colour alone: a missed box is dashed and every box's label starts with its mark
HIT, MISS, NEUTRAL = OKABE_ITO["blue"], OKABE_ITO["vermillion"], "#6b6b6b"
MARKS = {True: "✓", False: "✗", None: "?"}
DISPLAY_SIDE = 448  # images are shown at most this wide or tall (the figure JSON stays small)


def image_uri(image: Image.Image) -> tuple[str, int, int]:
    """A PNG data URI of the image scaled to at most DISPLAY_SIDE, and its shown (width, height)."""
    shown = image.copy()
    shown.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE))
    buffer = io.BytesIO()
    shown.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode(), *shown.size


@dataclass(frozen=True)
class ShownImage:
    """An image as the figures embed it: its PNG data URI, the shown size and the original width (boxes and points
    come in the original's pixels). Encoding costs more than the rest of an overlay figure: do it once per image."""

    uri: str
    width: int
    height: int
    original_width: int

    @property
    def scale(self) -> float:
        """Shown pixels per original pixel."""
        return self.width / self.original_width


def shown_image(image: Image.Image | ShownImage) -> ShownImage:
    """`image` encoded for display (an already encoded one as it is)."""
    if isinstance(image, ShownImage):
        return image
    uri, width, height = image_uri(image)
    return ShownImage(uri, width, height, image.width)


def _heatmap(heat: np.ndarray, width: int, height: int, name: str, hover: bool = True) -> go.Heatmap:
    """A map laid over a width × height picture; values scaled so the map's maximum is fully coloured (float32,
    to keep the figure small); with `hover`, the raw values show on hover."""
    heat = np.asarray(heat, dtype=np.float32)
    rows, cols = heat.shape
    top = float(heat.max()) or 1.0
    return go.Heatmap(z=heat / top, customdata=heat if hover else None, x0=width / cols / 2, dx=width / cols,
                      y0=height / rows / 2, dy=height / rows, zmin=0, zmax=1, colorscale=HEAT_SCALE, showscale=False,
                      name=name, hoverinfo=None if hover else "skip",
                      hovertemplate=f"{name}: %{{customdata:.3f}}<extra></extra>" if hover else None)


def overlay_figure(image: Image.Image | ShownImage, heat: np.ndarray, title: str, name: str = "attention",
                   boxes: list[tuple[tuple[float, float, float, float], bool | None, str]] = (),
                   points: list[tuple[float, float]] = (), height: int = 460) -> go.Figure:
    """`image` (or its `shown_image`) with `heat` (any grid, stretched over it) laid on top; `boxes` are
    (x0, y0, x1, y1) in the original image's pixels, each with hit (blue, ✓), miss (vermillion, dashed, ✗) or None
    (grey, ?) and a label; `points` are (x, y) pixels marked as glimpses."""
    shown = shown_image(image)
    width, shown_height, scale = shown.width, shown.height, shown.scale
    traces = [go.Image(source=shown.uri, x0=0.5, y0=0.5, hoverinfo="skip"),  # pixel centres: it spans [0, width]
              _heatmap(heat, width, shown_height, name)]
    if points:
        xs, ys = zip(*[(x * scale, y * scale) for x, y in points])
        traces.append(go.Scatter(x=xs, y=ys, mode="markers", name="sampled glimpse",
                                 marker=dict(symbol="x", size=13, color=HIGHLIGHT, line=dict(width=2, color="black")),
                                 hovertemplate="glimpse at (%{x:.0f}, %{y:.0f}) px<extra></extra>"))
    shapes, labels = [], []  # given at once: adding them one by one re-validates all of them each time
    for (x0, y0, x1, y1), hit, label in boxes:
        colour = NEUTRAL if hit is None else (HIT if hit else MISS)
        shapes.append(dict(type="rect", x0=x0 * scale, y0=y0 * scale, x1=x1 * scale, y1=y1 * scale,
                           line=dict(color=colour, width=3, dash="dash" if hit is False else "solid")))
        labels.append(dict(x=x0 * scale, y=y0 * scale, text=f"{MARKS[hit]} {label}", showarrow=False, xanchor="left",
                           yanchor="bottom", font=dict(color="white", size=12), bgcolor=colour))
    fig = go.Figure(traces, layout=dict(xaxis=dict(visible=False, range=[0, width]),
                                        yaxis=dict(visible=False, range=[shown_height, 0], scaleanchor="x"),
                                        **(dict(shapes=shapes, annotations=labels) if boxes else {})))
    grid = np.asarray(heat, dtype=np.float32)
    r, c = np.unravel_index(int(np.argmax(grid)), grid.shape)
    judged = "; ".join(f"{MARKS[hit]} {label}" for _, hit, label in boxes)
    with_summary(fig, f"{title}: the map is highest {100 * (c + 0.5) / grid.shape[1]:.0f}% of the way across and "
                      f"{100 * (r + 0.5) / grid.shape[0]:.0f}% of the way down the picture"
                      + (f"; boxes: {judged}" if boxes else "") + ".")
    base_layout(fig, title, height)
    fig.update_layout(margin=dict(l=10, r=10, t=60, b=10), showlegend=bool(points))
    return fig


def animation_figure(image: Image.Image | ShownImage, heats: list[np.ndarray], words: list[str],
                     height: int = 480) -> go.Figure:
    """One frame per word: the attention map moving over the image as the caption is spoken (▶ plays it).
    Frames carry only the map (trace 1), so the picture is sent once."""
    shown = shown_image(image)
    fig = overlay_figure(shown, heats[0], f"word 1: “{words[0]}”", height=height)
    fig.data[1].update(customdata=None, hoverinfo="skip", hovertemplate=None)
    width, shown_height = shown.width, shown.height
    fig.frames = [go.Frame(data=[_heatmap(h, width, shown_height, "attention", hover=False)], traces=[1], name=str(k),
                           layout=go.Layout(title_text=f"word {k + 1}: “{w}”"))
                  for k, (h, w) in enumerate(zip(heats, words))]
    fig.update_layout(
        updatemenus=[dict(type="buttons", x=0.0, y=-0.02, xanchor="left", yanchor="top", direction="left", buttons=[
            dict(label="▶ play", method="animate", args=[None, dict(frame=dict(duration=700, redraw=True),
                                                                    fromcurrent=True, transition=dict(duration=0))]),
            dict(label="❚❚ pause", method="animate", args=[[None], dict(mode="immediate", frame=dict(duration=0))])])],
        sliders=[dict(active=0, x=0.2, len=0.8, y=-0.02, currentvalue=dict(prefix="word: "), steps=[
            dict(label=w, method="animate",
                 args=[[str(k)], dict(mode="immediate", frame=dict(duration=0, redraw=True))])
            for k, w in enumerate(words)])],
        margin=dict(l=10, r=10, t=60, b=90))
    return with_summary(fig, f"An animation, one frame per word, of where the model looks: {' '.join(words)}.")


def entropy_figure(words: list[str], bits: np.ndarray, uniform: float, selected: int | None = None,
                   model: str = "") -> go.Figure:
    """The entropy of each word's attention, in bits, against attention spread evenly everywhere."""
    colours = [HIGHLIGHT if k == selected else BAR for k in range(len(words))]
    labels = [f"{k + 1}. {w}" for k, w in enumerate(words)]
    fig = go.Figure(go.Bar(x=labels, y=bits, marker_color=colours, hovertemplate="%{x}: %{y:.2f} bits<extra></extra>"),
                    layout=dict(  # the line at `uniform` as add_hline(annotation_position="top left") draws it
                        shapes=[dict(type="line", x0=0, x1=1, xref="x domain", y0=uniform, y1=uniform, yref="y",
                                     line=dict(dash="dash", color="#7f7f7f"))],
                        annotations=[dict(text=f"looking everywhere equally ({uniform:.1f} bits)", showarrow=False,
                                          x=0, xanchor="left", xref="x domain", y=uniform, yanchor="bottom", yref="y")],
                        yaxis=dict(title_text="attention entropy (bits)", range=[0, uniform * 1.12]),
                        xaxis=dict(title_text="word of the caption", tickangle=-45)))
    with_summary(fig, f"Attention entropy per word (looking everywhere equally: {uniform:.1f} bits): " + ", ".join(
        f"{w} {float(b):.1f}" for w, b in zip(words, bits)) + " bits.")
    return base_layout(fig, f"How focused the {model + ' ' if model else ''}attention is, word by word", 340)


def bars_figure(names: list[str], probs: list[float], title: str, x_title: str, y_title: str,
                colours: list[str] | None = None, height: int = 300) -> go.Figure:
    """Probabilities as horizontal bars, the first name on top."""
    fig = go.Figure(go.Bar(x=probs[::-1], y=names[::-1], orientation="h",
                           marker_color=(colours or [BAR] * len(names))[::-1],
                           hovertemplate="%{y}: %{x:.1%}<extra></extra>"))
    fig.update_xaxes(title_text=x_title, range=[0, 1], tickformat=".0%")
    fig.update_yaxes(title_text=y_title)
    with_summary(fig, f"{title}: " + ", ".join(f"{name} {p:.1%}" for name, p in zip(names, probs)) + ".")
    return base_layout(fig, title, height)


def labels_figure(labels: list[tuple[int, str, float]]) -> go.Figure:
    """The CNN's top ImageNet classes with their probabilities, likeliest on top (a name ImageNet uses for two
    classes, such as "crane", gets its class number)."""
    names = [name if [n for _, n, _ in labels].count(name) == 1 else f"{name} (class {i})" for i, name, _ in labels]
    return bars_figure(names, [p for _, _, p in labels], "What the CNN sees: its top-5 ImageNet labels",
                       "probability (softmax over 1,000 ImageNet classes)", "ImageNet class")


def answers_figure(answers: list[tuple[str, float]], truth: str | None, model: str) -> go.Figure:
    """A VQA model's five likeliest answers, likeliest on top; the true answer (when known) in blue and marked ✓, a
    wrong top answer in vermillion and marked ✗."""
    top = list(answers[:5])
    judged = [True if name == truth else (None if truth is None or k else False) for k, (name, _) in enumerate(top)]
    colours = [BAR if hit is None else (HIT if hit else MISS) for hit in judged]
    names = [name if hit is None else f"{name} {MARKS[hit]}" for (name, _), hit in zip(top, judged)]
    fig = bars_figure(names, [p for _, p in top], f"The five likeliest answers: {model}",
                      "probability (softmax over the answers)", "answer", colours)
    truth_said = "" if truth is None else f" The true answer: {truth}."
    return with_summary(fig, f"{model}: " + ", ".join(f"{name} {p:.1%}" for name, p in top) + "." + truth_said)


def vectors_figure(vectors: dict[str, np.ndarray]) -> go.Figure:
    """Summary vectors drawn as bars, one row each, unit by unit (the lecture's "image summary" and
    "question summary" before they are fused)."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=len(vectors), cols=1, shared_xaxes=True, subplot_titles=list(vectors),
                        vertical_spacing=0.18)
    for row, (name, v) in enumerate(vectors.items(), start=1):
        v = np.asarray(v, dtype=np.float32)
        fig.add_trace(go.Bar(x=np.arange(len(v)), y=v, name=name,
                             marker_color=np.where(v >= 0, BAR, OKABE_ITO["vermillion"]),
                             hovertemplate="unit %{x}: %{y:.3f}<extra></extra>"), row=row, col=1)
    fig.update_xaxes(title_text="unit", row=len(vectors), col=1)
    with_summary(fig, "; ".join(f"{name}: {len(v)} units from {float(np.min(v)):.2f} to {float(np.max(v)):.2f}"
                                for name, v in vectors.items()) + ".")
    base_layout(fig, "The two summaries, unit by unit", 170 + 150 * len(vectors))
    fig.update_layout(showlegend=False)
    return fig
