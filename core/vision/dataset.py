"""Captioning data from the shapes world: frozen-encoder features, token ids, and where each word points.

Encoding images is the slow part of training a captioner on two cores, so the features of a range of
scenes are computed once and saved (plain tensors, loaded with weights_only). Only the image features are
saved: the captions and their ground truth are recomputed from the scenes' layouts on loading (no drawing,
so it is quick), and a change to the caption grammar never leaves a stale cache. For every caption word that
names an object, `cells` marks the grid cells its box covers: the ground truth an attention map is scored
against.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from core.vision.encoder import Encoder
from core.vision.shapes import COLOURS, END, PAD, SHAPES, SIZE, START, VOCAB, Scene, Thing, describe, layout, make_scene

GRID = 14  # the encoder's middle grid is GRID × GRID cells
MAX_TOKENS = 28  # the longest caption (25 words: two pairs joined by "and") with <start> and <end>, padded
POINTED = set(COLOURS) | set(SHAPES)  # the words the pointing game scores: an object's colour and shape
INDEX = {w: i for i, w in enumerate(VOCAB)}


def encode_caption(tokens: Sequence[str]) -> list[int]:
    """Words -> ids with <start> and <end>, padded to MAX_TOKENS."""
    ids = [INDEX[START], *(INDEX[w] for w in tokens), INDEX[END]]
    if len(ids) > MAX_TOKENS:
        raise ValueError(f"a caption of {len(tokens)} words does not fit in {MAX_TOKENS} tokens")
    return ids + [INDEX[PAD]] * (MAX_TOKENS - len(ids))


def decode_caption(ids: Sequence[int]) -> list[str]:
    """Ids -> words, stopping at <end> and leaving out <start> and padding."""
    words = []
    for i in ids:
        word = VOCAB[int(i)]
        if word == END:
            break
        if word not in (START, PAD):
            words.append(word)
    return words


def box_cells(box: tuple[int, int, int, int], grid: int = GRID, tolerance: int = 1) -> torch.Tensor:
    """(grid * grid,) bool: the cells whose centre lies inside the pixel box (or at least the cell of its
    centre), grown by `tolerance` cells on every side: the pointing game's one cell of tolerance."""
    x0, y0, x1, y1 = box
    x0, y0, x1, y1 = x0 - tolerance * SIZE / grid, y0 - tolerance * SIZE / grid, x1 + tolerance * SIZE / grid, \
        y1 + tolerance * SIZE / grid
    centres = (torch.arange(grid) + 0.5) * SIZE / grid  # (grid,) pixel centre of each row / column
    inside_x = (centres >= x0) & (centres <= x1)
    inside_y = (centres >= y0) & (centres <= y1)
    cells = inside_y[:, None] & inside_x[None, :]  # (grid, grid): row = y, column = x
    if not cells.any():
        cx, cy = min(grid - 1, int((x0 + x1) / 2 * grid / SIZE)), min(grid - 1, int((y0 + y1) / 2 * grid / SIZE))
        cells[cy, cx] = True
    return cells.flatten()


def word_cells(things: Sequence[Thing], tokens: Sequence[str], links: Sequence[int | None]) -> torch.Tensor:
    """(MAX_TOKENS, grid²) bool: for each *target* position (the word predicted there) that is an object's
    colour or shape, the cells of that object (one cell of tolerance); all False for other words (sizes
    included: "large" is about the object's extent, not its place), <end> and padding."""
    out = torch.zeros(MAX_TOKENS, GRID * GRID, dtype=torch.bool)
    for position, (word, link) in enumerate(zip(tokens, links)):  # target p predicts word p
        if link is not None and word in POINTED:
            out[position] = box_cells(things[link].box)
    return out


@functools.lru_cache(maxsize=16_384)  # about 25 MB; a scene is laid out again each time its data are loaded or scored
def things_of(seed: int, family: str | None = None) -> tuple[Thing, ...]:
    """The objects of scene `seed` as the model's square holds them: drawn by the shapes world's own renderer (family
    None) or in a style of `family` (core.vision.styles), from the layout alone (nothing is drawn; a styled layout
    takes about 10 ms, so the last few thousand are kept: the objects are frozen)."""
    if family is None:
        return layout(seed)[0]
    from core.vision.styles import styled_layout

    return styled_layout(seed, family)[0]


def scene_of(seed: int, family: str | None = None) -> Scene:
    """Scene `seed`, drawn by the shapes world's renderer (family None) or in a style of `family`."""
    if family is None:
        return make_scene(seed)
    from core.vision.styles import styled_scene

    return styled_scene(seed, family)


def view_margin(family: str | None) -> float:
    """The border the encoder's view adds to scenes of `family` (core.vision.styles.VIEW_MARGINS; the shapes world's
    scenes are views already)."""
    from core.vision.styles import VIEW_MARGINS

    return 0.0 if family is None else VIEW_MARGINS[family]


def annotate(seeds: Sequence[int], family: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids (N, MAX_TOKENS) and pointing ground truth (N, MAX_TOKENS, GRID²) of the scenes of `seeds` (drawn as
    `family` draws them), from their layouts alone."""
    return annotated([things_of(int(seed), family) for seed in seeds])


def annotated(scenes: Sequence[Sequence[Thing]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids (N, MAX_TOKENS) and pointing ground truth (N, MAX_TOKENS, GRID²) of scenes of these objects."""
    tokens, cells = [], []
    for things in scenes:
        words, links, _ = describe(things)
        tokens.append(encode_caption(words))
        cells.append(word_cells(things, words, links))
    return torch.tensor(tokens, dtype=torch.int64).reshape(-1, MAX_TOKENS), \
        torch.stack(cells) if cells else torch.zeros(0, MAX_TOKENS, GRID * GRID, dtype=torch.bool)


@dataclass(frozen=True)
class CaptionData:
    """N scenes ready for training: features, captions and attention ground truth."""

    seeds: torch.Tensor  # (N,) int64
    mid: torch.Tensor  # (N, 152, GRID, GRID) float16: the encoder's middle grid
    pooled: torch.Tensor  # (N, 1280) float32: the encoder's summary vector
    tokens: torch.Tensor  # (N, MAX_TOKENS) int64: <start> words <end> <pad>…
    cells: torch.Tensor  # (N, MAX_TOKENS, GRID²) bool
    family: str | None = None  # how the scenes were drawn: None by core.vision.shapes, else a core.vision.styles family

    def __len__(self) -> int:
        return len(self.seeds)

    @staticmethod
    def concatenated(parts: Sequence[CaptionData], family: str | None, count: int | None = None) -> CaptionData:
        """`parts` one after another (the first `count` scenes), as scenes of `family`."""
        names = ("seeds", "mid", "pooled", "tokens", "cells")
        return CaptionData(*(torch.cat([getattr(p, name) for p in parts])[:count] for name in names), family)

    def features(self) -> dict[str, torch.Tensor]:
        """The image features as plain tensors, for torch.save (captions are recomputed on loading)."""
        return {"seeds": self.seeds, "mid": self.mid, "pooled": self.pooled,
                **({} if self.family is None else {"family": self.family})}


def build_data(seeds: Sequence[int], encoder: Encoder, batch: int = 64,
               on_progress: Callable[[int, int], None] | None = None, family: str | None = None) -> CaptionData:
    """Render (as `family` draws them), encode and annotate the scenes of `seeds`; `on_progress(done, total)` after
    each batch."""
    mids, pooled, things = [], [], []
    for start in range(0, len(seeds), batch):
        scenes = [scene_of(int(s), family) for s in seeds[start: start + batch]]
        f = encoder.encode([scene.image for scene in scenes], view_margin(family))
        mids.append(f.mid.half().cpu())  # kept (and cached) on the CPU, whichever device encoded them
        pooled.append(f.pooled.cpu())
        things += [scene.things for scene in scenes]
        if on_progress is not None:
            on_progress(min(len(seeds), start + batch), len(seeds))
    return CaptionData(torch.tensor(list(seeds), dtype=torch.int64), torch.cat(mids), torch.cat(pooled),
                       *annotated(things), family)


def save_data(data: CaptionData, path: str | Path) -> None:
    """Write the features to `path` (written whole, then renamed, so a crash leaves no half file)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(data.features(), tmp)
    tmp.replace(path)


def load_data(path: str | Path) -> CaptionData:
    """Read features written by `save_data` (weights_only: plain tensors, no code) and annotate them."""
    d = torch.load(path, map_location="cpu", weights_only=True)
    family = d.get("family")
    return CaptionData(d["seeds"], d["mid"], d["pooled"], *annotate(d["seeds"].tolist(), family), family)
