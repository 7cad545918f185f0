"""Looking inside a character model: run it over a text and record what every unit does.

- `prepare_text` checks a text against the model's vocabulary (empty, too long, unknown characters);
- `analyse` runs the model once (CharRNN.record_layers) and keeps, per step and layer, the hidden state h, the
  LSTM's cell state c, and the top-5 guesses for the next character; `analysis_gates` adds every gate when a view
  shows them (from h, without reading the text again);
- `find_units` ranks units by how well they follow each feature of core.charlm.features
  (Pearson r, and the balanced accuracy of the best one-threshold classifier);
- `gate_saturation` is Karpathy, Johnson & Fei-Fei's (2015) statistic: how often a gate is < 0.1 or > 0.9;
- `connectivity` is the gradient norm ‖∂ y_t / ∂ x_s‖ of one output with respect to every earlier
  input embedding (Distill, "Visualizing memorization in RNNs");
- `span_units` / `span_matches` are LSTMVis's span search (Strobelt et al., 2018).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.charlm.features import FEATURES, compute_features
from core.charlm.model import CharRNN
from core.charlm.vocab import Vocab

MAX_CHARS = 3000  # the longest text one analysis runs over (about 1 s for a 2×512 LSTM on 2 cores)
SIGMOID_GATES = ("input", "forget", "output", "reset", "update")
LOW, HIGH = 0.1, 0.9  # a gate below LOW is left-saturated (nearly shut), above HIGH right-saturated (nearly open)


class AnalysisError(ValueError):
    """A text or request the analysis cannot use; the message says what to change."""


@dataclass(frozen=True)
class PreparedText:
    """A text ready for a model: what is shown, the indices fed, and what had to change."""

    text: str
    ids: torch.Tensor  # (T,) int64
    unknown: tuple[int, ...]  # positions whose character the model does not know (fed as `substitute`)
    substitute: str
    original_length: int  # before truncation

    @property
    def truncated(self) -> bool:
        """Whether the text was cut to MAX_CHARS."""
        return self.original_length > len(self.text)


def prepare_text(text: str, vocab: Vocab, max_chars: int = MAX_CHARS) -> PreparedText:
    """Normalise newlines, cut to `max_chars`, and replace characters the model never saw.

    Unknown characters stay in the shown text but are fed to the model as a space (or, if the model
    has no space, its first character), so one odd character does not stop the analysis.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        raise AnalysisError("the text is empty: paste some text or pick a held-out one")
    original = len(text)
    text = text[:max_chars]
    substitute = " " if " " in vocab.chars else vocab.chars[0]
    known = set(vocab.chars)
    unknown = tuple(i for i, c in enumerate(text) if c not in known)
    fed = "".join(substitute if c not in known else c for c in text)
    return PreparedText(text, vocab.encode(fed), unknown, substitute, original)


@dataclass(frozen=True)
class LayerRecord:
    """One layer's values at every step (T steps, H units), as float32 arrays. Its gates are not kept: only one view
    shows them, and they would triple the memory an analysis takes (analysis_gates computes them)."""

    h: np.ndarray  # (T, H)
    c: np.ndarray | None  # (T, H), the LSTM only


@dataclass(frozen=True)
class Analysis:
    """Everything recorded while a model read a text."""

    text: str
    cell: str
    layers: tuple[LayerRecord, ...]
    top_chars: tuple[tuple[str, ...], ...]  # (T, k): after reading character t, the k likeliest next characters
    top_probs: np.ndarray  # (T, k)
    surprise: np.ndarray  # (T - 1,): -log p(next character) in nats

    def prefix(self, n: int) -> Analysis:
        """The analysis of the first `n` characters: the model reads left to right, so it is a slice of this one
        (copied, so that keeping it does not keep this one's memory)."""
        cut = (lambda a: a[:n].copy())
        return Analysis(self.text[:n], self.cell,
                        tuple(LayerRecord(cut(r.h), None if r.c is None else cut(r.c)) for r in self.layers),
                        self.top_chars[:n], cut(self.top_probs), self.surprise[: max(0, n - 1)].copy())

    @property
    def nbytes(self) -> int:
        """Memory the recorded arrays take (what a shelf of analyses is bounded by)."""
        arrays = [self.top_probs, self.surprise] + [a for r in self.layers for a in (r.h, r.c) if a is not None]
        return sum(a.nbytes for a in arrays) + 64 * len(self.top_chars)

    def signals(self) -> dict[str, np.ndarray]:
        """The activations a unit can be looked at by: name -> (T, H)."""
        out = {}
        for k, layer in enumerate(self.layers, start=1):
            out[f"layer {k} · hidden h"] = layer.h
            if layer.c is not None:
                out[f"layer {k} · cell c"] = layer.c
        return out


@torch.inference_mode()
def analyse(model: CharRNN, vocab: Vocab, prepared: PreparedText, top: int = 5,
            after: Analysis | None = None) -> Analysis:
    """Run `model` (in eval mode) over the text and record every step's h and c (the fused path of `CharRNN.record`,
    which a test holds equal to the hand-written cells; without the gates, which analysis_gates adds). With `after`,
    an analysis of a prefix of this text by the same model, only the rest is run, from where `after` ended: the
    result equals analysing the whole text."""
    ids = prepared.ids.to(model.head.weight.device)[None]  # (1, T)
    start = 0 if after is None else len(after.text)
    if after is not None and (not prepared.text.startswith(after.text) or not 0 < start < len(prepared.text)):
        raise AnalysisError("an analysis can only be continued by a longer text that starts with its text")
    state = None if after is None else [
        (torch.from_numpy(r.h[-1:]).to(ids.device), None if r.c is None else torch.from_numpy(r.c[-1:]).to(ids.device))
        for r in after.layers]  # per layer (1, H): where the first part ended
    # (1, T', V); per layer (h, c) (1, T', H)
    logits, layers = model.record_layers(ids[:, start:], state, with_gates=False)
    if after is not None:  # the first new character's surprise comes from the last score of the first part
        logits = torch.cat([model.head(state[-1][0])[:, None], logits], dim=1)  # (1, T' + 1, V)
    probs = torch.softmax(logits[0].float(), dim=-1)  # (T' [+1], V)
    p, idx = probs.topk(min(top, probs.shape[-1]), dim=-1)  # (T' [+1], k)
    nxt = ids[0, max(0, start - 1) + 1:, None]  # the characters those scores predict
    surprise = -torch.log(probs[:-1].gather(1, nxt).squeeze(1).clamp_min(1e-12)).cpu().numpy()
    records = tuple(LayerRecord(h[0].float().cpu().numpy(), None if c is None else c[0].float().cpu().numpy())
                    for h, c, _ in layers)
    first = 0 if after is None else 1  # with `after`, row 0 of the scores belongs to its last character
    top_chars = tuple(tuple(vocab.chars[i] for i in row) for row in idx[first:].tolist())
    new = Analysis(prepared.text, model.config.cell, records, top_chars, p[first:].cpu().numpy(), surprise)
    return new if after is None else _joined(after, new)


def _joined(first: Analysis, rest: Analysis) -> Analysis:
    """`first`'s records followed by `rest`'s (whose text and surprise already cover the whole text)."""
    layers = tuple(LayerRecord(np.concatenate([a.h, b.h]), None if a.c is None else np.concatenate([a.c, b.c]))
                   for a, b in zip(first.layers, rest.layers))
    return Analysis(rest.text, rest.cell, layers, first.top_chars + rest.top_chars,
                    np.concatenate([first.top_probs, rest.top_probs]), np.concatenate([first.surprise, rest.surprise]))


class AnalysisShelf:
    """The most recent analyses, up to `megabytes` of them (and at least the newest one), shared by every session: a
    text already analysed, a prefix of one (a slice), or a longer text that starts with one (only the rest is run)
    costs little or nothing. An LSTM 2×512's analysis of 2,000 characters takes ~16 MB (h and c per layer and step).
    Thread-safe."""

    def __init__(self, megabytes: float = 1024) -> None:
        import threading
        from collections import OrderedDict

        # the shelf: (model, text) -> Analysis
        self.budget, self.lock, self.shelf = megabytes * 2**20, threading.Lock(), OrderedDict()

    def get(self, model_key: str, model: CharRNN, vocab: Vocab, prepared: PreparedText) -> tuple[Analysis, str]:
        """The analysis of `prepared` by `model` and how it was had: "kept", "cut" (a slice of a longer one),
        "continued" (a shorter one extended) or "new"."""
        text = prepared.text
        with self.lock:
            if (model_key, text) in self.shelf:
                self.shelf.move_to_end((model_key, text))
                return self.shelf[(model_key, text)], "kept"
            mine = [(t, a) for (k, t), a in self.shelf.items() if k == model_key]
        longer = [a for t, a in mine if len(t) > len(text) and t.startswith(text)]
        shorter = [a for t, a in mine if len(t) < len(text) and text.startswith(t)]
        if longer:
            found, how = longer[0].prefix(len(text)), "cut"
        elif shorter:
            found, how = analyse(model, vocab, prepared, after=max(shorter, key=lambda a: len(a.text))), "continued"
        else:
            found, how = analyse(model, vocab, prepared), "new"
        with self.lock:
            self.shelf[(model_key, text)] = found
            while len(self.shelf) > 1 and sum(a.nbytes for a in self.shelf.values()) > self.budget:
                self.shelf.popitem(last=False)
        return found, how


# ----------------------------------------------------------------------------- the interpretable-unit finder

@dataclass(frozen=True)
class UnitScore:
    """How well one unit follows one feature."""

    signal: str
    unit: int
    feature: str  # a Feature.key
    r: float  # Pearson correlation over the text's positions
    accuracy: float | None  # balanced accuracy of the best threshold on the unit (binary features only)


def correlations(acts: np.ndarray, feature: np.ndarray, centred: tuple[np.ndarray, np.ndarray] | None = None
                 ) -> np.ndarray:
    """Pearson r of every column of `acts` (T, N) with `feature` (T,); 0 where either is constant. `centred`, from
    `centre(acts)`, saves centring the same activations again for every feature."""
    a, sq = centre(acts) if centred is None else centred  # (T, N), (N,)
    f = feature - feature.mean()
    denom = np.sqrt(sq * (f * f).sum())  # (N,)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (f @ a) / denom
    return np.where(denom > 1e-12, r, 0.0)


def centre(acts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`acts` (T, N) minus each column's mean, and each centred column's sum of squares (N,)."""
    a = acts - acts.mean(0)
    return a, (a * a).sum(0)


def threshold_accuracy(acts: np.ndarray, target: np.ndarray) -> np.ndarray:
    """For each column of `acts` (T, N): the best balanced accuracy of "target is 1 iff the unit is above θ"
    (or below θ), over every threshold θ between two distinct activations. 0.5 is chance."""
    T, N = acts.shape
    pos = target.astype(bool)
    P, Q = pos.sum(), T - pos.sum()
    if P == 0 or Q == 0:
        return np.full(N, 0.5)
    order = np.argsort(acts, axis=0, kind="stable")  # (T, N)
    sorted_acts = np.take_along_axis(acts, order, axis=0)
    pos_below = np.vstack([np.zeros((1, N)), np.cumsum(pos[order], axis=0)])  # (T+1, N): positives among the k lowest
    k = np.arange(T + 1)[:, None]
    balanced = ((P - pos_below) / P + (k - pos_below) / Q) / 2  # (T+1, N): predict 1 above the cut
    valid = np.ones((T + 1, N), dtype=bool)
    valid[1:T] = sorted_acts[1:] > sorted_acts[:-1]  # a cut between equal values is not a threshold
    balanced = np.where(valid, np.maximum(balanced, 1 - balanced), 0.5)  # either direction
    return balanced.max(0)


def find_units(analysis: Analysis, kinds: tuple[str, ...] = ("all", "code", "prose"),
               per_feature: int = 5) -> list[UnitScore]:
    """The `per_feature` units that follow each feature best (by |r|), over every signal; best first.

    Features constant on this text (no quotes in it, say) are skipped: nothing can follow them.
    """
    features = {f.key: f for f in FEATURES if f.applies in kinds}
    values = {k: v for k, v in compute_features(analysis.text).items() if k in features and v.std() > 0}
    signals = analysis.signals()
    names = [(name, u) for name, acts in signals.items() for u in range(acts.shape[1])]
    stacked = np.concatenate(list(signals.values()), axis=1).astype(np.float64)  # (T, S*H)
    rows, centred = [], centre(stacked)
    for key, feature in values.items():
        r = correlations(stacked, feature, centred)
        best = np.argsort(-np.abs(r))[:per_feature]
        acc = threshold_accuracy(stacked[:, best], feature) if features[key].binary else None
        for j, b in enumerate(best):
            rows.append(UnitScore(names[b][0], names[b][1], key, float(r[b]), None if acc is None else float(acc[j])))
    return sorted(rows, key=lambda s: -abs(s.r))


# ----------------------------------------------------------------------------- gates

@torch.inference_mode()
def analysis_gates(model: CharRNN, analysis: Analysis, prepared: PreparedText) -> list[dict[str, np.ndarray]]:
    """Every gate of every layer at every step of `analysis` (of `prepared` by `model`), from its recorded h: per
    layer, name -> (T, H) (LSTM input, forget, output, candidate; GRU reset, update, candidate; none for a vanilla
    RNN). One matrix product a layer: nothing is read step by step again."""
    if prepared.text != analysis.text:
        raise AnalysisError("the gates need the text the analysis read")
    device = model.head.weight.device
    hs = [torch.from_numpy(r.h)[None].to(device) for r in analysis.layers]
    return [{name: g[0].float().cpu().numpy() for name, g in layer.items()}
            for layer in model.gates_from_outputs(prepared.ids.to(device)[None], hs)]


def gate_saturation(gates: list[dict[str, np.ndarray]]) -> list[dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Per layer, per sigmoid gate (of analysis_gates): (fraction of steps < LOW, fraction of steps > HIGH), each
    (H,)."""
    return [{name: ((g < LOW).mean(0), (g > HIGH).mean(0)) for name, g in layer.items() if name in SIGMOID_GATES}
            for layer in gates]


# ----------------------------------------------------------------------------- connectivity

def connectivity(model: CharRNN, prepared: PreparedText, t: int, target: str = "loss") -> np.ndarray:
    """‖∂ y / ∂ x_s‖ for every input s ≤ t, where x_s is the embedding of character s and y is the
    loss of predicting character t + 1 ("loss") or the score of the likeliest next character ("score").

    Runs the fused layers in eval mode; the model's parameters are not touched (no .grad is written).
    """
    T = len(prepared.ids)
    if not 0 <= t < T:
        raise AnalysisError(f"position {t} is outside the text (0 to {T - 1})")
    if target == "loss" and t == T - 1:
        raise AnalysisError("the last character has no next character to predict, so no loss: pick an earlier "
                            "position or the score of the likeliest character")
    if target not in ("loss", "score"):
        raise AnalysisError(f"target must be 'loss' or 'score', got {target!r}")
    if model.training:
        raise ValueError("connectivity needs the model in eval mode (dropout off): call model.eval() first")
    ids = prepared.ids.to(model.head.weight.device)
    with torch.enable_grad():
        x = model.embed(ids[None, : t + 1]).detach().requires_grad_(True)  # (1, t+1, E)
        out, _ = model.rnn(x)  # (1, t+1, H)
        scores = model.head(out[0, t])  # (V,)
        y = (torch.nn.functional.cross_entropy(scores[None], ids[t + 1: t + 2]) if target == "loss"
             else scores.max())
        (grad,) = torch.autograd.grad(y, x)
    return grad[0].norm(dim=-1).detach().cpu().double().numpy()  # (t+1,)


def reach(norms: np.ndarray, share: float = 0.9) -> int:
    """How many characters back (counting the last one as 1) hold `share` of the total gradient norm."""
    total = float(norms.sum())
    if total <= 0:
        return 0
    from_the_end = np.cumsum(norms[::-1])  # the last k inputs' share, k = 1 ..
    return int(np.searchsorted(from_the_end, share * total - 1e-12) + 1)


# ----------------------------------------------------------------------------- span search (LSTMVis)

def span_units(acts: np.ndarray, start: int, end: int, threshold: float, margin: int = 1) -> np.ndarray:
    """Units (columns of `acts` (T, N)) above `threshold` at every position of [start, end) and at or
    below it for `margin` positions on each side (where the text has them)."""
    T = acts.shape[0]
    if not 0 <= start < end <= T:
        raise AnalysisError(f"the span must lie inside the text: 0 ≤ start < end ≤ {T}, got {start} to {end}")
    on = (acts[start:end] > threshold).all(0)
    before = (acts[max(0, start - margin): start] <= threshold).all(0)
    after = (acts[end: end + margin] <= threshold).all(0)
    return np.flatnonzero(on & before & after)


def span_matches(acts: np.ndarray, units: np.ndarray, threshold: float, min_share: float = 1.0,
                 min_length: int = 2, top: int = 10) -> list[tuple[int, int, float]]:
    """Stretches [start, end) where at least `min_share` of `units` are above `threshold` together,
    longest first: (start, end, mean share of the units on)."""
    if len(units) == 0:
        return []
    share = (acts[:, units] > threshold).mean(1)  # (T,)
    on = np.concatenate([[False], share >= min_share - 1e-9, [False]])
    edges = np.flatnonzero(on[1:] != on[:-1])  # alternating starts and ends
    runs = [(int(s), int(e), float(share[s:e].mean())) for s, e in zip(edges[::2], edges[1::2]) if e - s >= min_length]
    return sorted(runs, key=lambda r: (-(r[1] - r[0]), r[0]))[:top]


def downsample(acts: np.ndarray, max_columns: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Average `acts` (T, N) over consecutive bins so at most `max_columns` remain: ((B, N), bin spans)."""
    T = acts.shape[0]
    size = max(1, -(-T // max_columns))  # ceil
    spans = [(s, min(T, s + size)) for s in range(0, T, size)]
    return np.stack([acts[s:e].mean(0) for s, e in spans]), spans
