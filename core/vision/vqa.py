"""Visual question answering over shapes-world scenes: the lecture's model, question-guided attention, ablations.

All models read the frozen encoder's cached features (core.vision.dataset: the pooled vector and the 14 × 14
hypercolumn grid) and an LSTM's summary q of the question, and score the answers of `ANSWERS`.

- "lecture":   the lecture's model: the CNN's pooled image vector and the LSTM's final hidden state, fused
               (projected to one size and multiplied element-wise), then a classifier.
- "attention": two hops of question-guided attention over the grid's cells. Hop 1 scores every cell from its
               features, its (x, y) and q, and reads z₁ (the named object, for most questions). Hop 2 scores every
               cell again, now also from z₁ (its features and where it is) and the cell's squared distance from
               z₁'s place, so "the object closest to the square" can look near where hop 1 looked; it reads z₂. A
               relation head in the manner of Santoro et al. (2017), with the pairs anchored on what hop 1 found:
               r = Σ_j g(v_j, z₁, q) over all cells (sums can count: "how many other objects have the same shape").
               Classifier on [q, z₁, z₂, r] and, once more at gain PLACE_GAIN, where each hop looked.
- "question":  the question alone (how much can be guessed without looking).
- "image":     the pooled image alone (how much can be guessed without reading the question).

The attention maps of both hops are returned, so the page can show where the model looked.
"""
from __future__ import annotations

import threading
import weakref
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from core.runtime import TracedOnce
from core.vision.captioner import FEATURE_SIZE, POOLED_SIZE, locations
from core.vision.dataset import GRID
from core.vision.questions import ANSWERS, QUESTION_WORDS, QuestionError, parse_question

MODELS = ("lecture", "attention", "question", "image")
QUESTION_VOCAB = ("<pad>", *dict.fromkeys(QUESTION_WORDS))
WORD_ID = {w: i for i, w in enumerate(QUESTION_VOCAB)}
PLACE_GAIN = 4.0  # where each hop looked, given to the classifier once more at this gain (left / top questions)
MAX_QUESTION = 16  # words; the longest generated question has 13
FEATURE_SCALE = 5.0  # the grid features' standard deviation (about 4.8): divided out, so a cell's (x, y) in [-1, 1]
                     # is not drowned by them when the classifier reads where hop 1 looked


def encode_question(words: list[str]) -> list[int]:
    """Known words -> ids, padded to MAX_QUESTION (longer questions are cut; the parser caps the characters)."""
    ids = [WORD_ID[w] for w in words][:MAX_QUESTION]
    return ids + [0] * (MAX_QUESTION - len(ids))


def question_ids(text: str) -> torch.Tensor:
    """A typed question as a (1, MAX_QUESTION) tensor; QuestionError (with its message) if it cannot be read or is
    longer than the model reads."""
    words = parse_question(text)
    if len(words) > MAX_QUESTION:
        raise QuestionError(f"That question has {len(words)} words; the models read at most {MAX_QUESTION} "
                            "(the longest generated question has 13). Ask about one thing, for example: what shape "
                            "is the red object?")
    return torch.tensor([encode_question(words)])


@dataclass(frozen=True)
class VQAConfig:
    """Everything that defines a VQA model's architecture."""

    model: str = "attention"
    hidden: int = 128
    embed: int = 32

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {self.model!r}")
        if not (1 <= self.hidden <= 1024 and 1 <= self.embed <= 512):
            raise ValueError("sizes out of range: hidden 1-1024, embed 1-512")

    def to_dict(self) -> dict:
        """Plain data for a checkpoint."""
        return asdict(self)


@dataclass
class Answer:
    """A batch's answer scores and what led to them."""

    logits: torch.Tensor  # (B, len(ANSWERS))
    question: torch.Tensor | None  # (B, H): the LSTM's summary of the question
    image: torch.Tensor | None  # (B, H): the image summary the answer is built from (attention: the relation sum)
    maps: torch.Tensor | None  # (B, hops, L): attention over the grid's cells (attention model)


class VQAModel(nn.Module):
    """Question LSTM + image summary (+ attention and a relation head) -> answer scores."""

    def __init__(self, config: VQAConfig) -> None:
        super().__init__()
        self.config = config
        c, D, H = config, FEATURE_SIZE + 2, config.hidden
        self.embed = nn.Embedding(len(QUESTION_VOCAB), c.embed, padding_idx=0)
        self.lstm = nn.LSTM(c.embed, H, batch_first=True)
        if c.model in ("lecture", "image"):
            self.image = nn.Linear(POOLED_SIZE, H)
        if c.model == "attention":
            self.cells = nn.Linear(D, H)  # a cell's features and place, projected once per image
            self.hop1_q = nn.Linear(H, H, bias=False)
            self.hop1_w = nn.Linear(H, 1)
            self.hop2_q = nn.Linear(H, H, bias=False)
            self.hop2_z = nn.Linear(D, H, bias=False)  # what hop 1 read, including where
            self.hop2_d = nn.Linear(1, H, bias=False)  # each cell's squared distance from where hop 1 looked
            self.hop2_w = nn.Sequential(nn.ReLU(), nn.Linear(H, H), nn.ReLU(), nn.Linear(H, 1))
            self.rel_z = nn.Linear(D, H, bias=False)
            self.rel_q = nn.Linear(H, H, bias=False)
            self.rel_g = nn.Sequential(nn.ReLU(), nn.Linear(H, H), nn.ReLU())
            width = H + 2 * D + H + 4
        else:
            width = H
        self.classify = nn.Sequential(nn.Linear(width, 2 * H), nn.ReLU(), nn.Linear(2 * H, len(ANSWERS)))

    def summary(self, questions: torch.Tensor) -> torch.Tensor:
        """(B, T) ids -> (B, H): the LSTM's hidden state after the question's last word."""
        out, _ = self.lstm(self.embed(questions))
        last = (questions != 0).sum(1).clamp_min(1) - 1
        return out[torch.arange(questions.shape[0], device=questions.device), last]

    def forward(self, mid: torch.Tensor, pooled: torch.Tensor, questions: torch.Tensor) -> Answer:
        """mid (B, FEATURE_SIZE, G, G), pooled (B, POOLED_SIZE), questions (B, T) -> Answer."""
        kind = self.config.model
        q = self.summary(questions)
        if kind == "question":
            return Answer(self.classify(q), q, None, None)
        if kind in ("lecture", "image"):
            image = torch.tanh(self.image(pooled.float()))
            fused = image if kind == "image" else image * q
            return Answer(self.classify(fused), None if kind == "image" else q, image, None)
        v = locations(mid.float() / FEATURE_SCALE)  # (B, L, D)
        pv = self.cells(v)  # (B, L, H)
        a1 = torch.softmax(self.hop1_w(torch.tanh(pv + self.hop1_q(q)[:, None])).squeeze(-1), dim=-1)  # (B, L)
        z1 = torch.einsum("bl,bld->bd", a1, v)
        where = (v[..., -2:] - z1[:, None, -2:]).pow(2).sum(-1, keepdim=True)  # (B, L, 1)
        a2 = torch.softmax(self.hop2_w(pv + self.hop2_q(q)[:, None] + self.hop2_z(z1)[:, None] + self.hop2_d(where))
                           .squeeze(-1), dim=-1)
        z2 = torch.einsum("bl,bld->bd", a2, v)
        r = self.rel_g(pv + self.rel_z(z1)[:, None] + self.rel_q(q)[:, None]).mean(1)  # (B, H): Σ_j g(v_j, z₁, q) / L
        logits = self.classify(torch.cat([q, z1, z2, r, PLACE_GAIN * z1[:, -2:], PLACE_GAIN * z2[:, -2:]], dim=-1))
        return Answer(logits, q, r, torch.stack([a1, a2], dim=1))


@dataclass(frozen=True)
class Reply:
    """A model's answer to one question about one image, with what the page draws."""

    answers: tuple[tuple[str, float], ...]  # every answer with its probability, likeliest first
    maps: np.ndarray | None  # (hops, G, G): where each hop looked (attention model)
    question: np.ndarray | None  # (H,) the LSTM's summary of the question (None: the image-only model)
    image: np.ndarray | None  # (H,) the image summary (None: the question-only model)

    @property
    def best(self) -> str:
        """The answer the model gives."""
        return self.answers[0][0]


class _Answering(nn.Module):
    """A model's forward pass with its Answer as a tuple of the tensors it has (what tracing records)."""

    def __init__(self, model: VQAModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, mid: torch.Tensor, pooled: torch.Tensor, questions: torch.Tensor) -> tuple[torch.Tensor, ...]:
        a = self.model(mid, pooled, questions)
        return tuple(t for t in (a.logits, a.question, a.image, a.maps) if t is not None)


_REPLAYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> its forward pass, traced once
_REPLAYS_LOCK = threading.Lock()


def answer(model: VQAModel, mid: torch.Tensor, pooled: torch.Tensor, questions: torch.Tensor) -> Answer:
    """`model`'s Answer through its forward pass traced once (core.runtime.TracedOnce): the same numbers
    as calling it, as one call that holds no GIL (four models' answers beside a thread running Python: ~1.6 s called
    from Python, ~60 ms traced). The trace holds the model's parameters, not copies, so later training shows."""
    with _REPLAYS_LOCK:
        replay = _REPLAYS.get(model)
        if replay is None:
            replay = _REPLAYS[model] = TracedOnce(_Answering(model))
    parts = iter(replay(mid, pooled, questions))
    kind = model.config.model
    logits = next(parts)
    question = None if kind == "image" else next(parts)
    summary = None if kind == "question" else next(parts)
    return Answer(logits, question, summary, next(parts) if kind == "attention" else None)


@torch.inference_mode()
def reply(model: VQAModel, mid: torch.Tensor, pooled: torch.Tensor, text: str) -> Reply:
    """`model`'s answer to the typed question `text` about one image's features (mid (1, FEATURE_SIZE, G, G), pooled
    (1, POOLED_SIZE)), computed on the model's device; QuestionError, with its message, if the question cannot be
    read."""
    device = model.classify[0].weight.device  # the features and the question go where the model is
    out = answer(model, mid[:1].to(device), pooled[:1].to(device), question_ids(text).to(device))
    probs = torch.softmax(out.logits[0].float(), -1).cpu()
    order = probs.argsort(descending=True).tolist()
    maps = None if out.maps is None else out.maps[0].reshape(out.maps.shape[1], GRID, GRID).cpu().numpy()
    vector = (lambda t: None if t is None else t[0].cpu().numpy())
    return Reply(tuple((ANSWERS[i], float(probs[i])) for i in order), maps, vector(out.question), vector(out.image))


@dataclass
class VQAData:
    """Questions about cached scenes: each row points at its scene's features (so they are stored once)."""

    scene: torch.Tensor  # (N,) index into the feature tensors
    questions: torch.Tensor  # (N, MAX_QUESTION) word ids
    answers: torch.Tensor  # (N,) index into ANSWERS
    kinds: torch.Tensor  # (N,) index into KINDS
    looks: torch.Tensor  # (N, 2): the object each hop should find (hop 1 the named one, hop 2 the one the answer is
                         # read off), index into the scene's objects; -1 where there is none (counting questions)
    cells: torch.Tensor  # (S, 4, L) bool: the grid cells each scene's objects cover (all False past its last)

    def look_mask(self, idx: torch.Tensor) -> torch.Tensor:
        """(len(idx), 2, L) bool: the cells each hop should look at for questions `idx` (all False: no target)."""
        looks = self.looks[idx]
        scene_cells = self.cells[self.scene[idx]]  # (n, 4, L)
        picked = scene_cells.gather(1, looks.clamp_min(0)[..., None].expand(-1, -1, scene_cells.shape[-1]))
        return picked & (looks >= 0)[..., None]

    def __len__(self) -> int:
        return len(self.answers)

    @staticmethod
    def joined(parts: list[VQAData]) -> VQAData:
        """The questions of several sets of scenes, in the order their features are joined (each part's scene
        indices moved past the scenes of the parts before it)."""
        offsets = [0]
        for part in parts[:-1]:
            offsets.append(offsets[-1] + part.cells.shape[0])
        return VQAData(torch.cat([part.scene + offset for part, offset in zip(parts, offsets)]),
                       *(torch.cat([getattr(part, name) for part in parts])
                         for name in ("questions", "answers", "kinds", "looks", "cells")))


def build_questions(seeds: list[int], family: str | None = None) -> VQAData:
    """Every question `questions_about` asks of each scene (by its seed; drawn as `family` draws it, see
    core.vision.dataset.things_of), in order, with where each hop should look."""
    from core.vision.dataset import box_cells, things_of
    from core.vision.questions import KINDS, questions_about

    rows, cells = [], torch.zeros(len(seeds), 4, GRID * GRID, dtype=torch.bool)
    for k, seed in enumerate(seeds):
        things = things_of(int(seed), family)
        for j, thing in enumerate(things):
            cells[k, j] = box_cells(thing.box, tolerance=0)
        rows += [(k, q) for q in questions_about(things, int(seed))]
    no = (lambda obj: -1 if obj is None else obj)
    return VQAData(torch.tensor([k for k, _ in rows]), torch.tensor([encode_question(q.words) for _, q in rows]),
                   torch.tensor([ANSWERS.index(q.answer) for _, q in rows]),
                   torch.tensor([KINDS.index(q.kind) for _, q in rows]),
                   torch.tensor([[no(q.subject), no(q.target)] for _, q in rows]).reshape(-1, 2), cells)
