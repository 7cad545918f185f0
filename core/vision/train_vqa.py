"""The one training loop for every VQA model, on the captioners' cached features (core.vision.train_captioner).

Each epoch shuffles the training questions (seeded) and takes Adam steps on the answers' cross-entropy (one-cycle
rate schedule, gradient norm clipped at 5), then measures held-out accuracy per question kind and over the
non-relational and relational questions.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from core.seeded import build_seeded
from core.vision.dataset import CaptionData
from core.vision.questions import KINDS, RELATIONAL
from core.vision.vqa import QUESTION_VOCAB, VQAConfig, VQAData, VQAModel, build_questions


@dataclass(frozen=True)
class VQATrainConfig:
    """How a VQA model is trained."""

    model: str = "attention"
    hidden: int = 128
    embed: int = 32
    epochs: int = 8
    batch: int = 128
    lr: float = 2e-3  # the one-cycle schedule's peak
    look_weight: float = 1.0  # attention model: weight of the hops' supervision (attention mass on the right object)
    seed: int = 0

    def model_config(self) -> VQAConfig:
        """The architecture part."""
        return VQAConfig(self.model, self.hidden, self.embed)

    def to_dict(self) -> dict:
        """Plain data for a checkpoint."""
        return asdict(self)


def look_loss(maps: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Attention supervision: −log(attention mass on the cells a hop should look at), averaged over the hops that
    have a target. maps (B, hops, L) attention, mask (B, hops, L) bool."""
    has = mask.any(-1)
    if not has.any():
        return maps.sum() * 0.0
    mass = (maps * mask).sum(-1)
    return -mass[has].clamp_min(1e-6).log().mean()


@torch.no_grad()
def evaluate_vqa(model: VQAModel, features: CaptionData, data: VQAData, batch: int = 512) -> dict[str, float]:
    """Held-out accuracy: overall, non-relational, relational and per kind ("acc_<kind>"); for the attention model
    also how often each hop's strongest cell lies on the object it should find ("hop1_pointing": the named object;
    "hop2_pointing": the closest / furthest one, over those questions)."""
    was_training = model.training
    model.eval()
    right, peaks = [], []
    for s in range(0, len(data), batch):
        scene = data.scene[s: s + batch]
        out = model(features.mid[scene], features.pooled[scene], data.questions[s: s + batch])
        right.append(out.logits.argmax(-1) == data.answers[s: s + batch])
        if out.maps is not None:
            mask = data.look_mask(torch.arange(s, min(s + batch, len(data))))
            peaks.append(mask.gather(-1, out.maps.argmax(-1, keepdim=True)).squeeze(-1))  # (n, hops)
    model.train(was_training)
    hit = torch.cat(right).float()
    relational = torch.tensor([k in RELATIONAL for k in KINDS])[data.kinds]
    share = (lambda mask: float(hit[mask].mean()) if mask.any() else float("nan"))
    out = {"accuracy": share(torch.ones_like(relational)), "non_relational": share(~relational),
           "relational": share(relational),
           **{f"acc_{kind}": share(data.kinds == k) for k, kind in enumerate(KINDS)}}
    if peaks:
        on = torch.cat(peaks).float()
        named = data.looks[:, 0] >= 0
        related = (data.kinds == KINDS.index("closest")) | (data.kinds == KINDS.index("furthest"))
        out["hop1_pointing"] = float(on[named, 0].mean()) if named.any() else float("nan")
        out["hop2_pointing"] = float(on[related, 1].mean()) if related.any() else float("nan")
    return out


def train_vqa(cfg: VQATrainConfig, train: tuple[CaptionData, VQAData], val: tuple[CaptionData, VQAData],
              on_step: Callable[[int, dict], None] | None = None,
              should_stop: Callable[[], bool] | None = None) -> tuple[VQAModel, list[dict[str, float]]]:
    """Train a VQA model; `on_step(step, row)` after every epoch's evaluation."""
    model = build_seeded(lambda: VQAModel(cfg.model_config()), cfg.seed)  # not the global generator: others share it
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    features, data = train
    total = cfg.epochs * math.ceil(len(data) / cfg.batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=total)
    g = torch.Generator().manual_seed(cfg.seed)
    history, step = [], 0
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        order = torch.randperm(len(data), generator=g)
        for s in range(0, len(data), cfg.batch):
            idx = order[s: s + cfg.batch]
            scene = data.scene[idx]
            out = model(features.mid[scene], features.pooled[scene], data.questions[idx])
            loss = torch.nn.functional.cross_entropy(out.logits, data.answers[idx])
            if out.maps is not None and cfg.look_weight > 0:
                loss = loss + cfg.look_weight * look_loss(out.maps, data.look_mask(idx))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            schedule.step()
            step += 1
            if should_stop is not None and should_stop():
                return model.eval(), history
        row = {"step": step, "epoch": epoch, "loss": float(loss.detach()), **evaluate_vqa(model, *val)}
        history.append(row)
        if on_step is not None:
            on_step(step, row)
    return model.eval(), history


def user_style_vqa(model: VQAModel, scenes: int, cache_dir: Path) -> dict[str, float]:
    """`model` on the questions of the user-style test set (held-out scenes in the held-out user styles)."""
    from core.vision.train_captioner import user_style_data

    features = user_style_data(scenes, cache_dir)
    return evaluate_vqa(model, features, build_questions(features.seeds.tolist(), features.family))


def main(argv: list[str] | None = None) -> None:
    """Command line: train one VQA model on cached features and save its checkpoint."""
    import argparse

    from core.checkpoints import save_checkpoint
    from core.runtime import configure_torch
    from core.vision.train_captioner import STYLED_FIRST, TRAIN_FIRST, cached_splits

    p = argparse.ArgumentParser(description="Train a shapes-world VQA model (features cached in --cache).")
    p.add_argument("--model", choices=["lecture", "attention", "question", "image"], default="attention")
    p.add_argument("--scenes", type=int, default=10000)
    p.add_argument("--val-scenes", type=int, default=1000)
    p.add_argument("--styled-scenes", type=int, default=0,
                   help="training scenes drawn in varied styles (core.vision.styles), besides --scenes")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--look", type=float, default=1.0,
                   help="attention model: weight of the attention supervision (0: learn where to look from answers)")
    p.add_argument("--user-scenes", type=int, default=1000,
                   help="held-out scenes in the held-out user styles (core.vision.styles), scored after training (0: skip)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache", type=Path, default=Path(".cache"))
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    configure_torch()
    train, val = cached_splits(args.scenes, args.val_scenes, args.cache, args.styled_scenes)
    train_q = VQAData.joined([build_questions(list(range(TRAIN_FIRST, TRAIN_FIRST + args.scenes)))] + (
        [build_questions(list(range(STYLED_FIRST, STYLED_FIRST + args.styled_scenes)), "train")]
        if args.styled_scenes else []))  # in the order cached_splits joins the features
    val_q = build_questions(val.seeds.tolist())
    print(f"{len(train_q):,} training questions, {len(val_q):,} held-out", flush=True)
    cfg = VQATrainConfig(model=args.model, hidden=args.hidden, epochs=args.epochs, lr=args.lr, look_weight=args.look,
                          seed=args.seed)
    start = time.perf_counter()
    model, history = train_vqa(cfg, (train, train_q), (val, val_q), on_step=lambda step, row: print(
        f"epoch {row['epoch']:2d}  step {step:6d}  loss {row['loss']:.3f}  held-out accuracy {row['accuracy']:.3f}  "
        f"non-relational {row['non_relational']:.3f}  relational {row['relational']:.3f}  "
        + "  ".join(f"{kind} {row['acc_' + kind]:.3f}" for kind in KINDS)
        + (f"  hop 1 on the named object {row['hop1_pointing']:.3f}  hop 2 on the answer's {row['hop2_pointing']:.3f}"
           if "hop1_pointing" in row else ""), flush=True))
    metrics = {**history[-1], "seconds": time.perf_counter() - start, "scenes": args.scenes,
               "styled_scenes": args.styled_scenes, "questions": len(train_q), "held_out_questions": len(val_q)}
    if args.user_scenes:
        metrics.update({f"user_{k}": v for k, v in user_style_vqa(model, args.user_scenes, args.cache).items()})
        print("user-style test set: " + ", ".join(f"{k} {metrics['user_' + k]:.3f}"
                                                  for k in ("accuracy", "non_relational", "relational")), flush=True)
    save_checkpoint(args.out, "vqa", model, QUESTION_VOCAB, metrics, cfg.to_dict())
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
