"""What the captioning page shows for one image: the caption, the attention behind every word, and how
well it points.

`caption_image` decodes one image's features greedily, by sampling or by beam search and returns each
word with its attention map; `hard_glimpses` feeds the shown caption to a hard-attention model several
times, sampling the location it looks at, so the page can show where its glimpses land for each word; `word_targets`
links the words of a (generated) caption to the scene's objects, so each colour or shape word can be marked hit or miss.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from core.vision.captioner import MAX_WORDS, Captioner, beam_caption, sample_caption
from core.vision.dataset import GRID, POINTED, box_cells
from core.vision.encoder import Encoder, Features
from core.vision.shapes import COLOURS, SHAPES, SIZES, VOCAB, Thing

MODES = ("greedy", "sample", "beam")


@dataclass(frozen=True)
class Caption:
    """A caption and the attention behind each of its words."""

    words: list[str]
    maps: np.ndarray | None  # (len(words) + 1, GRID, GRID): attention when each word (and then <end>) was chosen
    ended: bool  # False when decoding stopped at the length limit without <end>
    log_prob: float  # log-probability of the words under the model (and of <end>, if reached)


@dataclass(frozen=True)
class Decoding:
    """How a caption is decoded. Build it with `decoding(...)`, which fixes the settings its mode does not use, so
    settings that decode alike are equal (a cache holds one entry for them, not one per unused slider position)."""

    mode: str = "greedy"
    temperature: float = 1.0  # sample only
    seed: int = 0  # sample only
    beam: int = 3  # beam only


def decoding(mode: str = "greedy", temperature: float = 1.0, seed: int = 0, beam: int = 3) -> Decoding:
    """The Decoding for these settings, the unused ones at their defaults (they change nothing in `mode`)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    sample = mode == "sample"
    return Decoding(mode, float(temperature) if sample else 1.0, int(seed) if sample else 0,
                    int(beam) if mode == "beam" else 3)


@torch.inference_mode()
def caption_image(model: Captioner, features: Features, mode: str = "greedy", temperature: float = 1.0,
                  seed: int = 0, beam: int = 3) -> Caption:
    """Caption one image ((1, …) features) by `mode`: greedy, sample (with temperature and seed) or beam."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    mid, pooled = features.mid[:1], features.pooled[:1]
    if mode == "beam":
        best = beam_caption(model, mid, pooled, beam=beam)[0]
        ids, alphas, ended, score = best.ids, best.alphas, best.ended, best.log_prob  # beam search scored it already
    else:
        rows, att, _ = sample_caption(model, mid, pooled, temperature if mode == "sample" else 0.0, seed)
        ids, alphas = rows[0], None if att is None else att[0]
        ended = len(ids) < MAX_WORDS
        if alphas is not None:
            alphas = alphas[: len(ids) + 1]  # the batch may have run on; keep this caption's steps
        score = log_prob(model, features, ids, ended)
    maps = None if alphas is None else alphas.reshape(-1, GRID, GRID).cpu().numpy()
    return Caption([VOCAB[i] for i in ids], maps, ended, score)


def caption_tokens(ids: list[int], ended: bool, device: torch.device | None = None) -> torch.Tensor:
    """(1, T) token ids as the model reads them: <start>, the words, and <end> if the caption ended."""
    start, end = VOCAB.index("<start>"), VOCAB.index("<end>")
    return torch.tensor([[start, *ids, *([end] if ended else [])]], device=device)


@torch.inference_mode()
def log_prob(model: Captioner, features: Features, ids: list[int], ended: bool = True) -> float:
    """log p(words [, <end>] | image) under the model, teacher-forced (hard attention at its likeliest places)."""
    tokens = caption_tokens(ids, ended, features.mid.device)
    if tokens.shape[1] < 2:
        return 0.0
    was_training = model.training
    logits, _, _ = model.eval()(features.mid[:1], features.pooled[:1], tokens)
    model.train(was_training)
    return float(torch.log_softmax(logits, -1)[0].gather(1, tokens[0, 1:, None]).sum())


@dataclass(frozen=True)
class Glimpses:
    """Where a hard-attention model looks while it reads a given caption, in several samples."""

    places: list[list[tuple[int, int]]]  # per sample, the (row, column) looked at for each word (and <end>)


@torch.inference_mode()
def hard_glimpses(model: Captioner, features: Features, words: list[str], ended: bool = True, samples: int = 8,
                  seed: int = 0) -> Glimpses:
    """Feed `words` (the caption shown) to a hard-attention model `samples` times, each time sampling the
    place it looks at from a_t (seeds seed, seed + 1, … in one generator): where its glimpses land."""
    if model.config.attention != "hard":
        raise ValueError("only a hard-attention model samples the place it looks at")
    tokens = caption_tokens([VOCAB.index(w) for w in words], ended, features.mid.device)
    if tokens.shape[1] < 2:
        return Glimpses([[] for _ in range(samples)])
    tokens = tokens.expand(samples, -1)  # (S, T)
    was_training = model.training
    model.eval()
    places = torch.Generator(features.mid.device).manual_seed(seed)
    _, _, chosen = model(features.mid[:1].expand(samples, -1, -1, -1), features.pooled[:1].expand(samples, -1),
                         tokens, places)  # chosen: (S, T − 1)
    model.train(was_training)
    return Glimpses([[divmod(int(k), GRID) for k in row] for row in chosen])


def glimpse_points(glimpses: Glimpses, step: int, size: tuple[int, int]) -> list[tuple[float, float]]:
    """The (x, y) pixel centres of the cells the samples looked at, at `step`, on a (width, height) image."""
    width, height = size
    return [((col + 0.5) * width / GRID, (row + 0.5) * height / GRID)
            for places in glimpses.places if step < len(places) for row, col in [places[step]]]


def entropy_bits(maps: np.ndarray) -> np.ndarray:
    """(steps, G, G) attention -> (steps,) entropy in bits; log2(G²) means looking everywhere equally."""
    p = maps.reshape(len(maps), -1).astype(np.float64)
    return -(p * np.log2(np.clip(p, 1e-12, None))).sum(axis=1)


def uniform_bits() -> float:
    """The entropy of attention spread evenly over every location."""
    return math.log2(GRID * GRID)


def sameness(maps: np.ndarray) -> float:
    """How alike the word maps are: 1 − the mean total-variation distance of each map from their mean.
    1 means the same map for every word; n maps on n different single places give 1/n."""
    p = maps.reshape(len(maps), -1)
    if len(p) < 2:
        return float("nan")
    return float(1 - 0.5 * np.abs(p - p.mean(axis=0)).sum(axis=1).mean())


def word_targets(words: list[str], things: tuple[Thing, ...]) -> list[int | None]:
    """For each word of a caption, the object it names, or None: a colour followed by a shape names the
    scene's object of that description (with the size before them when there is one, since a scene may
    hold a large and a small red square); its size, colour and shape words point at it. Words of an object
    the scene does not have, and all other words, get None."""
    out: list[int | None] = [None] * len(words)
    for k, (colour, shape) in enumerate(zip(words, words[1:])):
        if colour not in COLOURS or shape not in SHAPES:
            continue
        size = words[k - 1] if k > 0 and words[k - 1] in SIZES else None
        match = [i for i, t in enumerate(things) if (t.colour, t.shape) == (colour, shape)]
        if size is not None and len(match) > 1:
            match = [i for i in match if things[i].size == size] or match
        if match:
            out[k] = out[k + 1] = match[0]
            if size is not None:
                out[k - 1] = match[0]
    return out


def word_hits(words: list[str], maps: np.ndarray, things: tuple[Thing, ...]) -> list[bool | None]:
    """For each colour or shape word that names one of the scene's objects: does the attention's most
    weighted cell lie on that object (one cell of tolerance, as in the pointing game)? None for other words."""
    hits: list[bool | None] = []
    for t, (word, target) in enumerate(zip(words, word_targets(words, things))):
        if target is None or word not in POINTED:
            hits.append(None)
        else:
            hits.append(bool(box_cells(things[target].box)[int(maps[t].argmax())]))
    return hits


@dataclass(frozen=True)
class Gaze:
    """Where one word's attention map peaks: `on`, the index of the object whose box (one cell of tolerance, as in
    the pointing game) holds the peak cell, or None; `share`, the map's weight inside each object's own box."""

    step: int
    word: str
    on: int | None
    share: tuple[float, ...]


def first_gaze(words: list[str], maps: np.ndarray, things: tuple[Thing, ...]) -> Gaze | None:
    """Where the map of the caption's first shape word that names one of the scene's objects peaks (None when no
    word names one). Among objects whose grown boxes both hold the peak, the one with more of the map's weight."""
    targets = word_targets(words, things)
    step = next((t for t, (w, k) in enumerate(zip(words, targets)) if k is not None and w in SHAPES), None)
    if step is None:
        return None
    flat = np.asarray(maps[step], dtype=np.float64).reshape(-1)
    share = tuple(float(flat[box_cells(t.box, tolerance=0).reshape(-1).numpy()].sum()) for t in things)
    holding = [k for k, t in enumerate(things) if box_cells(t.box)[int(flat.argmax())]]
    on = max(holding, key=lambda k: share[k]) if holding else None
    return Gaze(step, words[step], on, share)


def object_marks(words: list[str], maps: np.ndarray, things: tuple[Thing, ...], step: int
                 ) -> list[tuple[tuple[int, int, int, int], bool | None, str]]:
    """Every object's box with a label, and for the object the word at `step` names, whether the map's peak
    lies on it (hit or miss); None for the others."""
    targets = word_targets(words, things) + [None]  # the last step, <end>, names nothing
    hit = word_hits(words, maps, things)[step] if step < len(words) else None
    return [(t.box, hit if k == targets[step] else None,
             " ".join(t.words()) + (("  ✓" if hit else "  ✗") if k == targets[step] and hit is not None else ""))
            for k, t in enumerate(things)]


def activation_map(encoder: Encoder, features: Features, label: int) -> np.ndarray:
    """(7, 7) class activation map of ImageNet class `label` for one image, negative evidence set to 0."""
    with torch.inference_mode():
        return encoder.class_activation_map(features.grid[0], label).clamp_min(0).cpu().numpy()


def upsample(grid_map: np.ndarray, size: tuple[int, int], smooth: bool = True) -> np.ndarray:
    """A (G, G) map stretched to (height, width): bilinear when `smooth`, else blocks (the raw cells)."""
    t = torch.from_numpy(np.asarray(grid_map, dtype=np.float32))[None, None]  # (1, 1, G, G)
    height, width = size
    if smooth:
        out = torch.nn.functional.interpolate(t, size=(height, width), mode="bilinear", align_corners=False)
    else:
        out = torch.nn.functional.interpolate(t, size=(height, width), mode="nearest")
    return out[0, 0].numpy()


def _percent(metrics: dict, name: str) -> float | None:
    """A held-out share as a percentage; None if unmeasured (missing, or NaN: no attention to score)."""
    value = metrics.get(name)
    return None if value is None or value != value else round(100 * value, 1)


def vqa_row(metrics: dict) -> dict[str, object]:
    """One row of the VQA comparison: a checkpoint's held-out accuracy, overall and per kind of question, in %."""
    from core.vision.questions import KINDS

    return {"non-relational %": _percent(metrics, "non_relational"), "relational %": _percent(metrics, "relational"),
            **{f"{kind} %": _percent(metrics, f"acc_{kind}") for kind in KINDS},
            "hop 2 peak on the closest / furthest object %": _percent(metrics, "hop2_pointing"),
            "user styles: non-relational %": _percent(metrics, "user_non_relational"),
            "user styles: relational %": _percent(metrics, "user_relational"),
            "training scenes": None if "scenes" not in metrics else metrics["scenes"] + metrics.get("styled_scenes", 0),
            "epochs": metrics.get("epoch"),
            "training minutes": None if "seconds" not in metrics else round(metrics["seconds"] / 60, 1)}


def decoder_row(metrics: dict) -> dict[str, object]:
    """One row of the decoder comparison: a checkpoint's held-out figures as percentages (None if unmeasured)."""
    percent = (lambda name: _percent(metrics, name))
    return {"all objects named %": percent("all_named"), "object precision %": percent("precision"),
            "object recall %": percent("recall"), "pointing game %": percent("pointing"),
            "exact caption %": percent("exact"),
            "user styles: all named %": percent("user_all_named"), "user styles: pointing %": percent("user_pointing"),
            "loss per word": None if metrics.get("val_loss") is None else round(metrics["val_loss"], 3),
            "training scenes": None if "scenes" not in metrics else
            metrics["scenes"] + metrics.get("styled_scenes", 0) + metrics.get("flush_scenes", 0),
            # a warm-started model's cost includes the training of the weights it started from
            "epochs": None if "epoch" not in metrics else metrics["epoch"] + metrics.get("epochs_before", 0),
            "training minutes": None if "seconds" not in metrics else
            round((metrics["seconds"] + metrics.get("seconds_before", 0.0)) / 60, 1)}
