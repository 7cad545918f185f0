"""Training every captioner on cached features (core.vision.dataset), with core.training's loop.

Each epoch shuffles the training scenes (seeded), takes Adam steps on `caption_loss` (gradient norm clipped
at 5; the rate decays along a cosine; for hard attention a moving-average baseline of the reward), then measures on
held-out scenes: the per-word loss, the pointing score of the attention (teacher-forced, so every word is scored against
its own object) and how many greedy captions are exactly right.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from core.seeded import build_seeded
from core.training import EpochTraining, Run, epoch_order, run_loop
from core.vision.captioner import (
    CaptionConfig,
    Captioner,
    Reinforce,
    caption_loss,
    pointing_accuracy,
    sample_caption,
    word_nll,
)
from core.vision.dataset import CaptionData, build_data, decode_caption, load_data, save_data, things_of
from core.vision.encoder import Encoder
from core.vision.scoring import score_objects
from core.vision.shapes import COLOURS, SHAPES, VOCAB


@dataclass(frozen=True)
class CaptionTrainConfig(EpochTraining):
    """How a captioner is trained (the rate follows a cosine down to 5% of lr by the last step)."""

    attention: str = "soft"
    hidden: int = 256
    embed: int = 64
    attend: int = 128
    penalty_weight: float = 0.1  # soft attention's doubly stochastic penalty
    entropy_weight: float = 0.01  # hard attention's entropy bonus
    sharpen_weight: float = 0.0  # soft attention: weight of the attention's entropy in the loss
    feed: str = "context"  # what the LSTM reads from the attention (core.vision.captioner.FEEDS)
    samples: int = 1  # hard attention: location samples per caption (above 1: a leave-one-out baseline)
    word_reward: bool = False  # hard attention: reward each step by its own word's log-probability
    expected_half: bool = False  # hard attention: half of the updates read the expected context (Xu et al.)
    image_state: bool = False  # attention models: the LSTM's h_0, c_0 from the image's pooled vector, not zeros
    init: str = ""  # where the starting weights came from ("" for a fresh model); train_captioner's `start` holds them

    def __post_init__(self) -> None:
        super().__post_init__()
        self.model_config()  # checks the attention, the feed and the sizes
        Reinforce(self.samples)  # checks the samples

    def model_config(self) -> CaptionConfig:
        """The architecture part."""
        return CaptionConfig(self.attention, self.hidden, self.embed, self.attend, feed=self.feed,
                             image_state=self.image_state)

    def reinforce(self, expected: bool) -> Reinforce:
        """How this update trains hard attention's locations."""
        return Reinforce(self.samples, self.word_reward, expected)


WORD_KINDS = {"colour": [VOCAB.index(w) for w in COLOURS], "shape": [VOCAB.index(w) for w in SHAPES]}


@torch.no_grad()
def evaluate_captioner(model: Captioner, data: CaptionData, batch: int = 256) -> dict[str, float]:
    """Held-out per-word loss, pointing score (NaN without attention; also for colour and shape words apart),
    the share of greedy captions that are exactly the true one, and their object-level precision, recall and
    share naming every object."""
    was_training = model.training
    model.eval()
    nll, words, exact, captions = 0.0, 0, 0, []
    hits = dict.fromkeys(["pointing", *WORD_KINDS], 0.0)
    named = dict.fromkeys(hits, 0)
    device = model.out.weight.device  # each batch of `data` (kept on the CPU) is moved to the model's device
    for s in range(0, len(data), batch):
        mid, pooled, tokens = (x[s: s + batch].to(device) for x in (data.mid, data.pooled, data.tokens))
        logits, alphas, _ = model(mid, pooled, tokens)  # in eval mode hard attention takes the likeliest place
        nll_tok, mask = word_nll(logits, tokens)
        count = int(mask.sum())
        nll += float(nll_tok.sum() / mask.sum()) * count  # caption_loss's nll, from the same pass
        words += count
        if alphas is not None:
            cells = data.cells[s: s + batch, : alphas.shape[1]].to(device)
            targets = tokens[:, 1: alphas.shape[1] + 1]
            kinds = {"pointing": cells, **{kind: cells & torch.isin(targets, torch.tensor(ids, device=device))[
                                               ..., None] for kind, ids in WORD_KINDS.items()}}
            for kind, kind_cells in kinds.items():
                share, n = pointing_accuracy(alphas, kind_cells)
                hits[kind], named[kind] = hits[kind] + (share * n if n else 0.0), named[kind] + n
        ids, _, _ = sample_caption(model, mid, pooled)
        said = [[VOCAB[i] for i in row] for row in ids]
        exact += sum(w == decode_caption(t.tolist()) for w, t in zip(said, tokens.cpu()))
        captions += said
    model.train(was_training)
    objects = score_objects(captions, [things_of(int(seed), data.family) for seed in data.seeds])
    pointing = {("pointing" if kind == "pointing" else f"pointing_{kind}"):
                hits[kind] / named[kind] if named[kind] else float("nan") for kind in hits}
    return {"val_loss": nll / max(1, words), **pointing, "exact": exact / len(data), **objects.as_dict()}


def train_captioner(cfg: CaptionTrainConfig, train: CaptionData, val: CaptionData,
                    on_step: Callable[[int, dict], None] | None = None,
                    should_stop: Callable[[], bool] | None = None,
                    start: Captioner | None = None, device: torch.device | str = "cpu") -> Run:
    """Train a captioner (core.training's loop) on `device`, from `start`'s weights when given (a warm start: the same
    sizes; a soft model's weights start a hard one); `on_step(step, row)` after every epoch's evaluation. The data
    stay on the CPU (each minibatch is moved); the weights are drawn on the CPU from the seed, then moved."""
    model = build_seeded(lambda: Captioner(cfg.model_config()), cfg.seed)  # not the global generator: others share it
    if start is not None:
        model.start_from(start)
    device = torch.device(device)
    model = model.to(device)
    g = torch.Generator().manual_seed(cfg.seed)  # the order of the scenes (and the expected-context coin)
    # hard attention's sampled places: the same generator on the CPU; a GPU draws them with a generator of its own
    # (seeded alike, but another stream of numbers, so a GPU run is not the CPU run's twin)
    places = g if device.type == "cpu" else torch.Generator(device).manual_seed(cfg.seed)
    batch_at, per_epoch = epoch_order(len(train), cfg.batch, g), -(-len(train) // cfg.batch)
    kept = {"baseline": 0.0, "nll": float("nan")}

    def batch_loss(step: int) -> torch.Tensor:
        idx = batch_at(step)
        expected = cfg.expected_half and cfg.attention == "hard" and bool(torch.rand((), generator=g) < 0.5)
        mid, pooled, tokens = (x[idx].to(device) for x in (train.mid, train.pooled, train.tokens))
        parts = caption_loss(model, mid, pooled, tokens, kept["baseline"], cfg.penalty_weight, cfg.entropy_weight,
                             places, cfg.sharpen_weight, cfg.reinforce(expected))
        if not expected:  # an update that sampled nothing has no reward to average
            kept["baseline"] = 0.9 * kept["baseline"] + 0.1 * parts.reward
        kept["nll"] = parts.nll
        return parts.total

    def measure(step: int) -> dict:
        return {"epoch": step // per_epoch, "loss": kept["nll"], **evaluate_captioner(model, val)}

    return run_loop(model, torch.optim.Adam(model.parameters(), lr=cfg.lr), cfg.loop(per_epoch), batch_loss, measure,
                    on_eval=on_step, should_stop=should_stop, run=Run(model, config=cfg))


# changes whenever the encoder's features change (v2: hypercolumns; v3: encoded a few images at a time on a CPU, within
# 1e-5 of v2), so no stale cache is read
FEATURES_VERSION = "v3"
# per family of core.vision.styles, changes whenever that family draws differently (train s2: edges, dots, hatching,
# strokes; the test family still draws what it drew at s1; flush is new at s1)
STYLES_VERSION = {"train": "s2", "test": "s3", "flush": "s1"}
CHUNK = 1000  # features are cached in files of this many scenes, so a larger set reuses a smaller one's work


def cached_data(first: int, count: int, cache_dir: Path, on_progress: Callable[[int, int], None] | None = None,
                family: str | None = None, device: torch.device | str = "cpu") -> CaptionData:
    """The encoder features of scenes first … first + count − 1 (drawn by the shapes world's renderer, or in a style
    of `family`: core.vision.styles), computed once (in whole chunks of CHUNK scenes; one chunk of `count` when
    fewer; by the encoder on `device`) and kept in `cache_dir` (CPU tensors)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    chunk = min(CHUNK, count)
    parts, encoder = [], None
    drawn = "" if family is None else f"styled-{family}-{STYLES_VERSION[family]}-"
    for start in range(first, first + count, chunk):
        path = cache_dir / f"shapes-features-{FEATURES_VERSION}-{drawn}{start}-{chunk}.pt"
        if not path.exists():
            encoder = encoder or Encoder(torch.device(device))
            save_data(build_data(range(start, start + chunk), encoder, on_progress=on_progress, family=family), path)
        parts.append(load_data(path))
    return CaptionData.concatenated(parts, family, count)


# scene seeds: training scenes count up from 0, held-out ones from a million (the user-style test set draws the same
# held-out seeds in its own styles), styled training scenes from three million, flush ones from four million
TRAIN_FIRST, VAL_FIRST, STYLED_FIRST, FLUSH_FIRST = 0, 1_000_000, 3_000_000, 4_000_000


@dataclass(frozen=True)
class SceneSets:
    """Which scenes a shapes-world training command trains and is scored on (their features cached in `cache`)."""

    scenes: int = 10_000  # the shapes world's own scenes
    styled_scenes: int = 0  # besides those, scenes drawn in the training styles (core.vision.styles)
    flush_scenes: int = 0  # and scenes in the training styles with objects against the canvas's edge ("flush")
    val_scenes: int = 1000  # held-out scenes, scored after every epoch
    user_scenes: int = 1000  # held-out scenes in the held-out user styles, scored after training (0: skip)
    cache: str = ".cache"

    def __post_init__(self) -> None:
        if self.scenes < 1 or self.val_scenes < 1 or min(self.styled_scenes, self.flush_scenes, self.user_scenes) < 0:
            raise ValueError("--scenes and --val-scenes must be at least 1; "
                             "--styled-scenes, --flush-scenes and --user-scenes 0 or more")


def shapes_command(argv: list[str] | None, description: str, cls: type, helps: dict[str, str],
                   aliases: dict[str, str] | None = None, skip_sets: tuple[str, ...] = ()) -> tuple:
    """How every shapes-world training command starts: flags from the `cls` config and from SceneSets but
    `skip_sets` (core.flags), --out and --device (args.device: the torch.device it names), parsed from `argv`, torch
    configured. Returns (parser, args, config, scene sets)."""
    import argparse

    from core.flags import add_config_flags, add_device_flag, config_from_flags, device_from_flags
    from core.runtime import configure_torch

    p = argparse.ArgumentParser(description=f"{description} Features are cached in --cache.")
    add_config_flags(p, cls, aliases=aliases, helps=helps)
    add_config_flags(p, SceneSets, skip=skip_sets, helps={
        "styled_scenes": "training scenes drawn in varied styles (core.vision.styles), besides --scenes",
        "flush_scenes": "training scenes in those styles with half their objects against the canvas's edge",
        "user_scenes": "held-out scenes in the held-out user styles, scored after training (0: skip)",
        "cache": "where the encoder's features are cached"})
    p.add_argument("--out", type=Path, required=True)
    add_device_flag(p)
    args = p.parse_args(argv)
    args.device = device_from_flags(p, args)
    configure_torch()
    return p, args, config_from_flags(p, cls, args), config_from_flags(p, SceneSets, args)


def _report(done: int, total: int) -> None:
    print(f"encoded {done}/{total} scenes", flush=True)


def joined(parts: list[CaptionData]) -> CaptionData:
    """Several sets of scenes as one (for training: a set of mixed families cannot be scored, so its family says
    "mixed", which things_of refuses)."""
    if len(parts) == 1:
        return parts[0]
    return CaptionData.concatenated(parts, "mixed")


def cached_splits(scenes: int, val_scenes: int, cache_dir: Path, styled_scenes: int = 0, flush_scenes: int = 0,
                  device: torch.device | str = "cpu") -> tuple[CaptionData, CaptionData]:
    """The training scenes (the shapes world's `scenes` and, with `styled_scenes` and `flush_scenes`, that many drawn
    in the training styles of core.vision.styles, and in its "flush" family) and the held-out scenes, their features
    encoded into `cache_dir` the first time (progress printed): what every command line that trains on the shapes
    world starts from (scenes not yet cached are encoded on `device`)."""
    train = [cached_data(TRAIN_FIRST, scenes, cache_dir, _report, device=device)]
    if styled_scenes:
        train.append(cached_data(STYLED_FIRST, styled_scenes, cache_dir, _report, family="train", device=device))
    if flush_scenes:
        train.append(cached_data(FLUSH_FIRST, flush_scenes, cache_dir, _report, family="flush", device=device))
    return joined(train), cached_data(VAL_FIRST, val_scenes, cache_dir, _report, device=device)


def user_style_data(scenes: int, cache_dir: Path, device: torch.device | str = "cpu") -> CaptionData:
    """The user-style test set: held-out scenes drawn in the test styles of core.vision.styles, which no training
    uses (features cached in `cache_dir`; scenes not yet cached are encoded on `device`)."""
    return cached_data(VAL_FIRST, scenes, cache_dir, _report, family="test", device=device)


def warm_start(path: Path, wanted: CaptionConfig, refuse: Callable[[str], None]) -> tuple[Captioner, dict]:
    """The captioner in `path` to start training a `wanted` model from, checked before any scene is encoded: a
    captioner checkpoint of the same sizes and feed, with the same attention or the other of soft and hard (they
    share every weight); `refuse(message)` otherwise. Also what the new checkpoint records of it: the file's sha256
    (its first 16 hex digits, as the model store names models), so that the weights are known even after the file
    is replaced, and the epochs and seconds of training that made them (its own and its warm start's)."""
    from core.checkpoints import CheckpointError, load_checkpoint
    from core.store import content_id

    try:
        ck = load_checkpoint(path)
    except CheckpointError as e:
        refuse(f"--init {path}: {e}")
    if ck.kind != "captioner":
        refuse(f"--init {path} is a {ck.kind} checkpoint, not a captioner")
    have = ck.model.config
    if not (have.attention == wanted.attention or {have.attention, wanted.attention} == {"soft", "hard"}):
        refuse(f"--init {path} has {have.attention} attention; a {wanted.attention} model starts only from its own "
               "kind, or soft from hard and hard from soft")
    if have.to_dict() | {"attention": wanted.attention, "image_state": wanted.image_state} != wanted.to_dict():
        refuse(f"--init {path} has other sizes ({have}); a warm start needs the same hidden, embed, attend and feed")
    if have.image_state and not wanted.image_state:
        refuse(f"--init {path} starts its state from the image; a model that starts from zeros cannot start from it")
    before = {"init_sha256": content_id(path.read_bytes()),
              "epochs_before": ck.metrics.get("epoch", 0) + ck.metrics.get("epochs_before", 0),
              "seconds_before": ck.metrics.get("seconds", 0.0) + ck.metrics.get("seconds_before", 0.0)}
    return ck.model, before


def main(argv: list[str] | None = None) -> None:
    """Command line: train one captioner on cached features and save its checkpoint."""

    from core.checkpoints import save_checkpoint

    p, args, cfg, sets = shapes_command(argv, "Train a shapes-world captioner.", CaptionTrainConfig, {
        "attention": "none, soft or hard",
        "penalty_weight": "soft attention's doubly stochastic penalty weight",
        "sharpen_weight": "soft attention: weight of the attention entropy",
        "feed": "what the LSTM reads from the attention: all of z_t (context, the paper) "
                "or only where it looked (place)",
        "samples": "hard attention: location samples per caption, each judged against the others' mean reward",
        "word_reward": "hard attention: reward each step's location by the log-probability of that step's word",
        "expected_half": "hard attention: half of the updates read the expected context, as soft attention does",
        "image_state": "attention models: the LSTM's first state from the image's pooled vector (as Xu et al.), "
                       "not zeros",
        "init": "a captioner checkpoint of the same sizes to start from (a warm start)"},
        aliases={"penalty_weight": "penalty", "sharpen_weight": "sharpen"})
    initial, before = warm_start(Path(cfg.init), cfg.model_config(), p.error) if cfg.init else (None, {})
    train, val = cached_splits(sets.scenes, sets.val_scenes, Path(sets.cache), sets.styled_scenes, sets.flush_scenes,
                               args.device)
    run = train_captioner(cfg, train, val, start=initial, device=args.device, on_step=lambda step, row: print(
        f"epoch {row['epoch']:2d}  step {step:5d}  loss {row['loss']:.3f}  val {row['val_loss']:.3f}  "
        f"pointing {row['pointing']:.3f}  exact {row['exact']:.3f}  objects: precision {row['precision']:.3f} "
        f"recall {row['recall']:.3f} all named {row['all_named']:.3f}", flush=True))
    if run.status == "diverged":
        p.exit(1, f"{run.message}\n")
    history = run.history
    metrics = {**history[-1], "seconds": run.seconds, "scenes": sets.scenes, "styled_scenes": sets.styled_scenes,
               **({"flush_scenes": sets.flush_scenes} if sets.flush_scenes else {}), **before}
    model = run.model
    if sets.user_scenes:
        user = evaluate_captioner(model, user_style_data(sets.user_scenes, Path(sets.cache), args.device))
        metrics.update({f"user_{k}": v for k, v in user.items()}, user_scenes=sets.user_scenes)
        print("user-style test set: " + ", ".join(f"{k} {v:.3f}" for k, v in user.items()), flush=True)
    save_checkpoint(args.out, "captioner", model, VOCAB, metrics, cfg.to_dict())
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
