"""Training every VQA model on the captioners' cached features (core.vision.train_captioner), with core.training's
loop.

Each epoch shuffles the training questions (seeded) and takes Adam steps on the answers' cross-entropy (one-cycle
rate schedule, gradient norm clipped at 5), then measures held-out accuracy per question kind and over the
non-relational and relational questions.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from core.seeded import build_seeded
from core.training import EpochTraining, Run, epoch_order, run_loop
from core.vision.dataset import CaptionData
from core.vision.questions import KINDS, RELATIONAL
from core.vision.vqa import QUESTION_VOCAB, VQAConfig, VQAData, VQAModel, build_questions


@dataclass(frozen=True)
class VQATrainConfig(EpochTraining):
    """How a VQA model is trained (a one-cycle schedule peaking at lr)."""

    epochs: int = 8
    batch: int = 128
    model: str = "attention"
    hidden: int = 128
    embed: int = 32
    look_weight: float = 1.0  # attention model: weight of the hops' supervision (attention mass on the right object)
    schedule = "onecycle"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.model_config()  # checks the model and its sizes

    def model_config(self) -> VQAConfig:
        """The architecture part."""
        return VQAConfig(self.model, self.hidden, self.embed)


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
    device = model.classify[0].weight.device  # each batch goes to the model's device; what it answers comes back
    right, peaks = [], []
    for s in range(0, len(data), batch):
        scene = data.scene[s: s + batch]
        inputs = (features.mid[scene], features.pooled[scene], data.questions[s: s + batch])
        out = model(*(x.to(device) for x in inputs))
        right.append(out.logits.argmax(-1).cpu() == data.answers[s: s + batch])
        if out.maps is not None:
            mask = data.look_mask(torch.arange(s, min(s + batch, len(data))))
            peaks.append(mask.gather(-1, out.maps.argmax(-1, keepdim=True).cpu()).squeeze(-1))  # (n, hops)
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
              should_stop: Callable[[], bool] | None = None, device: torch.device | str = "cpu") -> Run:
    """Train a VQA model (core.training's loop) on `device`; `on_step(step, row)` after every epoch's evaluation. The
    data stay on the CPU (each minibatch is moved); the weights are drawn on the CPU from the seed, then moved."""
    model = build_seeded(lambda: VQAModel(cfg.model_config()), cfg.seed)  # not the global generator: others share it
    device = torch.device(device)
    model = model.to(device)
    features, data = train
    batch_at, per_epoch = epoch_order(len(data), cfg.batch, torch.Generator().manual_seed(cfg.seed)), \
        -(-len(data) // cfg.batch)

    def batch_loss(step: int) -> torch.Tensor:
        idx = batch_at(step)
        scene = data.scene[idx]
        out = model(*(x.to(device) for x in (features.mid[scene], features.pooled[scene], data.questions[idx])))
        loss = torch.nn.functional.cross_entropy(out.logits, data.answers[idx].to(device))
        if out.maps is not None and cfg.look_weight > 0:
            loss = loss + cfg.look_weight * look_loss(out.maps, data.look_mask(idx).to(device))
        return loss

    return run_loop(model, torch.optim.Adam(model.parameters(), lr=cfg.lr), cfg.loop(per_epoch), batch_loss,
                    lambda step: {"epoch": step // per_epoch, **evaluate_vqa(model, *val)}, on_eval=on_step,
                    should_stop=should_stop, run=Run(model, config=cfg))


def user_style_vqa(model: VQAModel, scenes: int, cache_dir: Path,
                   device: torch.device | str = "cpu") -> dict[str, float]:
    """`model` on the questions of the user-style test set (held-out scenes in the held-out user styles; scenes not yet
    cached are encoded on `device`)."""
    from core.vision.train_captioner import user_style_data

    features = user_style_data(scenes, cache_dir, device)
    return evaluate_vqa(model, features, build_questions(features.seeds.tolist(), features.family))


def main(argv: list[str] | None = None) -> None:
    """Command line: train one VQA model on cached features and save its checkpoint."""

    from core.checkpoints import save_checkpoint
    from core.vision.train_captioner import STYLED_FIRST, TRAIN_FIRST, cached_splits, shapes_command

    p, args, cfg, sets = shapes_command(argv, "Train a shapes-world VQA model.", VQATrainConfig, {
        "model": "lecture, attention, question or image",
        "lr": "the one-cycle schedule's peak rate",
        "look_weight": "attention model: weight of the attention supervision (0: learn where to look from answers)"},
        aliases={"look_weight": "look"}, skip_sets=("flush_scenes",))  # the captioners' extra scenes
    train, val = cached_splits(sets.scenes, sets.val_scenes, Path(sets.cache), sets.styled_scenes,
                               device=args.device)
    train_q = VQAData.joined([build_questions(list(range(TRAIN_FIRST, TRAIN_FIRST + sets.scenes)))] + (
        [build_questions(list(range(STYLED_FIRST, STYLED_FIRST + sets.styled_scenes)), "train")]
        if sets.styled_scenes else []))  # in the order cached_splits joins the features
    val_q = build_questions(val.seeds.tolist())
    print(f"{len(train_q):,} training questions, {len(val_q):,} held-out", flush=True)
    run = train_vqa(cfg, (train, train_q), (val, val_q), on_step=lambda step, row: print(
        f"epoch {row['epoch']:2d}  step {step:6d}  loss {row['loss']:.3f}  held-out accuracy {row['accuracy']:.3f}  "
        f"non-relational {row['non_relational']:.3f}  relational {row['relational']:.3f}  "
        + "  ".join(f"{kind} {row['acc_' + kind]:.3f}" for kind in KINDS)
        + (f"  hop 1 on the named object {row['hop1_pointing']:.3f}  hop 2 on the answer's {row['hop2_pointing']:.3f}"
           if "hop1_pointing" in row else ""), flush=True), device=args.device)
    if run.status == "diverged":
        p.exit(1, f"{run.message}\n")
    model = run.model
    metrics = {**run.history[-1], "seconds": run.seconds, "scenes": sets.scenes, "styled_scenes": sets.styled_scenes,
               "questions": len(train_q), "held_out_questions": len(val_q)}
    if sets.user_scenes:
        metrics.update({f"user_{k}": v for k, v in user_style_vqa(model, sets.user_scenes, Path(sets.cache),
                                                                  args.device).items()})
        print("user-style test set: " + ", ".join(f"{k} {metrics['user_' + k]:.3f}"
                                                  for k in ("accuracy", "non_relational", "relational")), flush=True)
    save_checkpoint(args.out, "vqa", model, QUESTION_VOCAB, metrics, cfg.to_dict())
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
