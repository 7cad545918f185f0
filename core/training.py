"""The one training loop: every trainer in the lab (character models, captioners, VQA, the memory and delay tasks,
and the in-app jobs that run them) supplies only its batch loss and its evaluation; this module owns the rest.

A step: set the learning rate from the schedule, compute the loss (the trainer's `batch_loss(step)`), stop as
"diverged" if it is not finite (or the trainer's `diverged` rule says so), backpropagate, clip the gradient (its
norm *before* clipping is recorded), stop as "diverged" if that norm is not finite, take the optimiser's step.
Every `eval_every` steps and at the last one, the trainer's `evaluate(step)` row joins the history. `on_step`
hears every step, `on_eval` every evaluation; `should_stop()` and `max_seconds` end a run early.

Schedules (one place for all of them): "constant"; "cosine", from `lr` down to `lr_floor` × lr along the run's
progress (the larger of steps done and time used, when there is a time limit); "onecycle", PyTorch's one-cycle
policy (warm-up to `lr`, then down; it also cycles Adam's β₁), stepped after every update.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

SCHEDULES = ("constant", "cosine", "onecycle")
CLIPS = ("norm", "value", "none")


@dataclass(frozen=True)
class Loop:
    """How long and how a model is trained (what the trainer's own config turns into)."""

    steps: int
    lr: float
    schedule: str = "constant"
    lr_floor: float = 0.0  # cosine: the rate's last value, as a fraction of lr
    clip: str = "none"  # "norm": rescale the whole gradient to norm <= clip_value; "value": clamp each entry
    clip_value: float = 5.0
    eval_every: int = 0  # evaluate every this many steps (0: only after the last step)
    max_seconds: float | None = None  # stop (as finished) once a step ends after this long

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES or self.clip not in CLIPS:
            raise ValueError(f"schedule must be one of {SCHEDULES} and clip one of {CLIPS}")
        if self.steps < 1 or not self.lr > 0 or self.eval_every < 0:
            raise ValueError("steps must be >= 1, lr > 0 and eval_every >= 0")


@dataclass(frozen=True)
class EpochTraining:
    """What every trainer on the shapes world's cached features shares: epochs of seeded minibatches (Adam,
    gradient norm clipped at 5, evaluated after every epoch)."""

    epochs: int = 15
    batch: int = 64
    lr: float = 2e-3  # Adam's rate: the start of the captioners' cosine, the peak of VQA's one cycle
    seed: int = 0
    schedule = "cosine"  # not a field: each trainer's own
    lr_floor = 0.05

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch < 1 or not self.lr > 0:
            raise ValueError(f"epochs and batch must be at least 1 and lr > 0 (got {self.epochs}, {self.batch}, "
                             f"{self.lr})")

    def loop(self, per_epoch: int) -> Loop:
        """The training loop's settings for `per_epoch` minibatches an epoch."""
        return Loop(self.epochs * per_epoch, self.lr, self.schedule, self.lr_floor, "norm", 5.0, per_epoch)

    def to_dict(self) -> dict:
        """Plain data for a checkpoint."""
        return asdict(self)


@dataclass
class Run:
    """What a training run produced, whichever trainer ran it."""

    model: nn.Module
    history: list[dict[str, Any]] = field(default_factory=list)  # one row per evaluation
    steps: list[dict[str, float]] = field(default_factory=list)  # one row per step: step, loss, grad_norm, lr, seconds
    status: str = "running"  # finished | stopped | diverged
    message: str = ""  # why a diverged run stopped
    seconds: float = 0.0
    notes: list[tuple[int, str]] = field(default_factory=list)  # (step, text) the trainer wrote along the way
    final: dict[str, float] = field(default_factory=dict)  # measured once after training (e.g. on fresh data)
    config: Any = None  # the trainer's own config
    vocab: Any = None  # the model's vocabulary, for a model that reads text

    @property
    def losses(self) -> list[float]:
        """Every step's training loss."""
        return [row["loss"] for row in self.steps]

    @property
    def grad_norms(self) -> list[float]:
        """Every step's gradient norm before clipping."""
        return [row["grad_norm"] for row in self.steps]

    @property
    def metrics(self) -> dict[str, Any]:
        """The latest evaluation, for a checkpoint."""
        return dict(self.history[-1]) if self.history else {}

    @property
    def accuracy(self) -> float:
        """The final measurement's accuracy (NaN when there is none, e.g. a diverged run)."""
        return self.final.get("accuracy", float("nan"))


def to_cpu(value: Any) -> Any:
    """`value` with every model and tensor in it on the CPU: a Run (its model moved in place), a module, a tensor, or
    dicts, lists and tuples of them; anything else as it is. What a training job hands back to a process that may
    have no GPU (core.cluster)."""
    if isinstance(value, Run):
        value.model.cpu()
        return value
    if isinstance(value, (nn.Module, torch.Tensor)):
        return value.cpu()
    if isinstance(value, dict):
        return {k: to_cpu(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_cpu(v) for v in value)
    return value


def clip_gradients(params: Iterable[nn.Parameter], mode: str, value: float | None) -> float:
    """Clip the gradients of `params` in place ("norm": rescale them together so their global norm is at most
    `value`; "value": clamp each entry to [−value, value]; "none" or value None: leave them); return the global
    norm before clipping."""
    params = [p for p in params if p.grad is not None]
    if not params:
        return 0.0
    if mode == "norm" and value is not None:
        return float(nn.utils.clip_grad_norm_(params, value))  # it returns the norm it measured before clipping
    norm = float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in params])))
    if mode == "value" and value is not None:
        nn.utils.clip_grad_value_(params, value)
    return norm


def cosine_rate(lr: float, floor: float, done: int, total: int, time_used: float = 0.0) -> float:
    """The cosine schedule's rate after `done` of `total` steps (or `time_used` of the time limit, as a fraction,
    when that is further along): lr at the start, floor × lr at the end."""
    angle = max(math.pi * min(done, total) / total, math.pi * min(1.0, time_used))
    return lr * (floor + (1 - floor) * 0.5 * (1 + math.cos(angle)))


def run_loop(model: nn.Module, optimizer: torch.optim.Optimizer, loop: Loop,
             batch_loss: Callable[[int], torch.Tensor],
             evaluate: Callable[[int], dict[str, Any]] | None = None,
             on_step: Callable[[int, dict], None] | None = None,
             on_eval: Callable[[int, dict], None] | None = None,
             should_stop: Callable[[], bool] | None = None,
             diverged: Callable[[int, float], str | None] | None = None,
             run: Run | None = None) -> Run:
    """Train `model` for `loop.steps` steps (module docstring); returns `run` (a new Run if None) filled in.
    `batch_loss(step)` gives step `step`'s loss (steps count from 1); `diverged(step, loss)` may return a message
    that ends the run (beside a loss that is not finite)."""
    run = run if run is not None else Run(model)
    onecycle = (torch.optim.lr_scheduler.OneCycleLR(optimizer, loop.lr, total_steps=loop.steps)
                if loop.schedule == "onecycle" else None)
    start = time.perf_counter()
    for step in range(1, loop.steps + 1):
        if loop.schedule == "cosine":
            used = (time.perf_counter() - start) / loop.max_seconds if loop.max_seconds else 0.0
            for group in optimizer.param_groups:
                group["lr"] = cosine_rate(loop.lr, loop.lr_floor, step - 1, loop.steps, used)
        elif loop.schedule == "constant":
            for group in optimizer.param_groups:
                group["lr"] = loop.lr
        model.train()
        loss = batch_loss(step)
        value = float(loss.detach())
        why = (f"the loss became {value:.3g}" if not math.isfinite(value)
               else diverged(step, value) if diverged is not None else None)
        if why is None:
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            norm = clip_gradients(model.parameters(), loop.clip, loop.clip_value)
            why = None if math.isfinite(norm) else f"the gradient norm became {norm}"
        if why is not None:
            run.status = "diverged"
            run.message = (f"training stopped at step {step}: {why}. Lower the learning rate or clip the "
                           "gradients.")
            break
        lr = optimizer.param_groups[0]["lr"]
        optimizer.step()
        if onecycle is not None:
            onecycle.step()
        row = {"step": step, "loss": value, "grad_norm": norm, "lr": lr, "seconds": time.perf_counter() - start}
        run.steps.append(row)
        if evaluate is not None and (step == loop.steps or (loop.eval_every and step % loop.eval_every == 0)):
            evaluation = {"step": step, "loss": value, **evaluate(step), "seconds": time.perf_counter() - start}
            run.history.append(evaluation)
            row = {**row, **{k: v for k, v in evaluation.items() if k not in row}}
            if on_eval is not None:
                on_eval(step, evaluation)
        if on_step is not None:
            on_step(step, row)
        if should_stop is not None and should_stop():
            run.status = "stopped"
            break
        if loop.max_seconds and time.perf_counter() - start > loop.max_seconds:
            break
    if run.status == "running":
        run.status = "finished"
    run.seconds = time.perf_counter() - start
    model.eval()
    return run


def epoch_order(size: int, batch: int, generator: torch.Generator) -> Callable[[int], torch.Tensor]:
    """Minibatches over `size` examples, reshuffled (from `generator`) at the start of every epoch:
    `batch_at(step)` gives step `step`'s indices (steps count from 1; an epoch is ⌈size / batch⌉ steps)."""
    per_epoch = -(-size // batch)
    order = torch.empty(0, dtype=torch.long)

    def batch_at(step: int) -> torch.Tensor:
        nonlocal order
        k = (step - 1) % per_epoch
        if k == 0:
            order = torch.randperm(size, generator=generator)
        return order[k * batch: (k + 1) * batch]

    return batch_at
