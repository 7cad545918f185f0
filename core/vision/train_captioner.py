"""The one training loop for every captioner, on cached features (core.vision.dataset).

Each epoch shuffles the training scenes (seeded), takes Adam steps on `caption_loss` (gradient norm clipped
at 5; for hard attention a moving-average baseline of the reward), then measures on held-out scenes: the
per-word loss, the pointing score of the attention (teacher-forced, so every word is scored against its
own object) and how many greedy captions are exactly right.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch

from core.vision.captioner import (PAD_ID, CaptionConfig, Captioner, caption_loss, sample_caption,
                                   pointing_accuracy)
from core.vision.dataset import CaptionData, decode_caption
from core.vision.shapes import VOCAB


@dataclass(frozen=True)
class CaptionTrainConfig:
    """How a captioner is trained."""

    attention: str = "soft"
    hidden: int = 256
    embed: int = 64
    attend: int = 128
    epochs: int = 15
    batch: int = 64
    lr: float = 2e-3
    penalty_weight: float = 0.1  # soft attention's doubly stochastic penalty
    entropy_weight: float = 0.01  # hard attention's entropy bonus
    seed: int = 0

    def model_config(self) -> CaptionConfig:
        """The architecture part."""
        return CaptionConfig(self.attention, self.hidden, self.embed, self.attend)

    def to_dict(self) -> dict:
        """Plain data for a checkpoint."""
        return asdict(self)


@torch.no_grad()
def evaluate_captioner(model: Captioner, data: CaptionData, batch: int = 256) -> dict[str, float]:
    """Held-out per-word loss, pointing score (NaN without attention) and the share of exact greedy captions."""
    was_training = model.training
    model.eval()
    nll, words, hits, named, exact = 0.0, 0, 0.0, 0, 0
    for s in range(0, len(data), batch):
        mid, pooled, tokens = data.mid[s: s + batch], data.pooled[s: s + batch], data.tokens[s: s + batch]
        count = int((tokens[:, 1:] != PAD_ID).sum())
        nll += caption_loss(model, mid, pooled, tokens).nll * count
        words += count
        _, alphas, _ = model(mid, pooled, tokens)
        if alphas is not None:
            share, n = pointing_accuracy(alphas, data.cells[s: s + batch])
            hits, named = hits + (share * n if n else 0.0), named + n
        ids, _ = sample_caption(model, mid, pooled)
        exact += sum([VOCAB[i] for i in row] == decode_caption(t.tolist()) for row, t in zip(ids, tokens))
    model.train(was_training)
    return {"val_loss": nll / max(1, words), "pointing": hits / named if named else float("nan"),
            "exact": exact / len(data)}


def train_captioner(cfg: CaptionTrainConfig, train: CaptionData, val: CaptionData,
                    on_step: Callable[[int, dict], None] | None = None,
                    should_stop: Callable[[], bool] | None = None) -> tuple[Captioner, list[dict[str, float]]]:
    """Train a captioner; `on_step(step, row)` after every epoch's evaluation (and row["loss"] every step)."""
    torch.manual_seed(cfg.seed)
    model = Captioner(cfg.model_config())
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    g = torch.Generator().manual_seed(cfg.seed)
    history, baseline, step = [], 0.0, 0
    for epoch in range(1, cfg.epochs + 1):
        order = torch.randperm(len(train), generator=g)
        for s in range(0, len(train), cfg.batch):
            idx = order[s: s + cfg.batch]
            parts = caption_loss(model, train.mid[idx], train.pooled[idx], train.tokens[idx], baseline,
                                 cfg.penalty_weight, cfg.entropy_weight, g)
            opt.zero_grad(set_to_none=True)
            parts.total.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            baseline = 0.9 * baseline + 0.1 * parts.reward
            step += 1
            if should_stop is not None and should_stop():
                return model.eval(), history
        row = {"step": step, "epoch": epoch, "loss": parts.nll, **evaluate_captioner(model, val)}
        history.append(row)
        if on_step is not None:
            on_step(step, row)
    return model.eval(), history
