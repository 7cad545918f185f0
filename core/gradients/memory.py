"""The long-memory task: remember the first symbol through a lag of noise, vanilla RNN against LSTM.

Each sequence is one of 8 symbols, then `lag` noise tokens (two kinds, random), then a query token;
the model must name the first symbol at the query. Chance is 1/8. The only way to learn it is a
gradient that reaches back `lag + 1` steps to the first input: we record ‖∂L/∂x_1‖ over training.

Whether the vanilla RNN learns depends on the optimiser, so both regimes are first-class settings:
plain SGD with momentum (no clipping), and Adam with gradient-norm clipping.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from core.seeded import reseed

SYMBOLS, NOISE = 8, 2
QUERY = SYMBOLS + NOISE  # token ids: 0-7 symbols, 8-9 noise, 10 query
VOCAB = SYMBOLS + NOISE + 1
CHANCE = 1 / SYMBOLS
LAG_RESULTS = Path(__file__).resolve().parents[2] / "assets" / "memory-lag-results.json"  # benchmarks/memory_lag.py
REGIMES = {  # the two optimiser settings the page and benchmarks/memory_lag.py compare
    "sgd": {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "clip": None},
    "adam": {"optimizer": "adam", "lr": 3e-3, "clip": 1.0},  # clipped by the gradient's global norm
}


def make_batch(batch: int, lag: int, generator: torch.Generator, noise: int = NOISE) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, lag + 2) token ids and (B,) targets: symbol, lag noise tokens (of `noise` kinds), the query."""
    first = torch.randint(0, SYMBOLS, (batch, 1), generator=generator)
    noise = torch.randint(SYMBOLS, SYMBOLS + noise, (batch, lag), generator=generator)
    query = torch.full((batch, 1), QUERY)
    return torch.cat([first, noise, query], dim=1), first[:, 0]


@dataclass(frozen=True)
class MemoryConfig:
    """One training run of the memory task."""

    cell: str = "lstm"  # "rnn" (tanh) or "lstm"
    lag: int = 20
    hidden: int = 64
    batch: int = 64
    optimizer: str = "sgd"  # "sgd" (with momentum) or "adam"
    lr: float = 0.1
    momentum: float = 0.9
    clip: float | None = None  # clip the gradient to this threshold (None: no clipping)
    clip_mode: str = "norm"  # "norm": rescale the whole gradient to norm <= clip; "value": each entry to [-clip, clip]
    init_rho: float | None = None  # vanilla RNN: rescale W_hh at initialisation to this spectral radius
    noise: int = NOISE  # kinds of noise token in the lag: 1 is a constant blank, 2 a random one of two
    input_scale: float = 5.0  # the one-hot inputs are multiplied by this (PyTorch's default weights are ±1/√H,
    # so unscaled one-hot inputs barely move an LSTM's gates; measured: at lag 20 with SGD, scale 1 and bias 1
    # learned on 1 seed of 3 in 12,000 steps, scale 5 and bias 2 on all 3 within 500)
    forget_bias: float = 2.0  # LSTM: start with the forget gate mostly open (σ(2) ≈ 0.88)
    steps: int = 3000
    eval_every: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        if self.cell not in ("rnn", "lstm") or self.optimizer not in ("sgd", "adam") or self.clip_mode not in ("norm", "value"):
            raise ValueError("cell 'rnn' or 'lstm'; optimizer 'sgd' or 'adam'; clip_mode 'norm' or 'value'")
        if not (1 <= self.noise <= NOISE and 0 <= self.lag <= 1000 and 1 <= self.hidden <= 1024 and 1 <= self.steps <= 100_000 and self.lr > 0):
            raise ValueError(f"noise 1-{NOISE}, lag 0-1000, hidden 1-1024, steps 1-100000, lr > 0")

    def to_dict(self) -> dict:
        """Plain data (for a results file)."""
        return asdict(self)


class MemoryNet(nn.Module):
    """One-hot tokens -> one recurrent layer -> a read-out of the symbol at the last step."""

    def __init__(self, cfg: MemoryConfig) -> None:
        super().__init__()
        self.input_scale = cfg.input_scale
        layer = nn.LSTM if cfg.cell == "lstm" else nn.RNN
        self.rnn = layer(VOCAB, cfg.hidden, batch_first=True)
        self.head = nn.Linear(cfg.hidden, SYMBOLS)
        reseed(self, cfg.seed)  # the global generator is other sessions' too
        if cfg.cell == "lstm":
            with torch.no_grad():  # gate order i, f, g, o: the forget block is the second
                self.rnn.bias_ih_l0[cfg.hidden: 2 * cfg.hidden] = cfg.forget_bias
                self.rnn.bias_hh_l0[cfg.hidden: 2 * cfg.hidden] = 0.0
        elif cfg.init_rho is not None:
            with torch.no_grad():
                W = self.rnn.weight_hh_l0
                W.mul_(cfg.init_rho / torch.linalg.eigvals(W).abs().max())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, VOCAB) one-hot inputs -> (B, SYMBOLS) scores at the last step."""
        out, _ = self.rnn(x * self.input_scale)  # (B, T, H)
        return self.head(out[:, -1])


@dataclass
class MemoryResult:
    """What a run measured."""

    config: MemoryConfig
    history: list[dict[str, float]] = field(default_factory=list)  # per evaluation: step, loss, accuracy, grad_first
    losses: list[float] = field(default_factory=list)  # every step's training loss
    grad_norms: list[float] = field(default_factory=list)  # every step's gradient norm before clipping
    accuracy: float = float("nan")  # on 2,048 fresh sequences at the end (NaN if the run diverged)
    seconds: float = 0.0
    status: str = "running"  # "finished", "stopped" or "diverged"


def report(result: Any, step: int, row: dict | None, on_step: Callable[[int, dict], None] | None,
           should_stop: Callable[[], bool] | None) -> bool:
    """A training loop's bookkeeping after a step: keep the evaluation row (if any), pass it to `on_step`,
    and return True (marking the result "stopped") when asked to stop. `result` needs history and status."""
    if row is not None:
        result.history.append(row)
        if on_step is not None:
            on_step(step, row)
    if should_stop is not None and should_stop():
        result.status = "stopped"
        return True
    return False


def clip_gradients(params, mode: str, threshold: float | None) -> float:
    """Clip the gradients of `params` in place ("norm": rescale all together so their global norm is at most
    `threshold`; "value": clamp each entry to [-threshold, threshold]); returns the global norm before."""
    params = [p for p in params if p.grad is not None]
    norm = float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in params])))
    if threshold is not None and mode == "norm":
        nn.utils.clip_grad_norm_(params, threshold)
    elif threshold is not None:
        nn.utils.clip_grad_value_(params, threshold)
    return norm


def evaluate(model: MemoryNet, cfg: MemoryConfig, n: int = 2048) -> tuple[float, float, float]:
    """(accuracy, mean loss, ‖∂L/∂x_1‖) on `n` fresh sequences from a fixed seed."""
    g = torch.Generator().manual_seed(10_000 + cfg.seed)
    tokens, target = make_batch(n, cfg.lag, g, cfg.noise)
    x = nn.functional.one_hot(tokens, VOCAB).float().requires_grad_(True)  # (n, T, VOCAB)
    with torch.enable_grad():
        scores = model(x)
        loss = nn.functional.cross_entropy(scores, target)
        (grad,) = torch.autograd.grad(loss * n, x)  # per-sequence losses summed: each row is its own gradient
    grad_first = float(grad[:, 0].norm(dim=1).mean())
    return float((scores.argmax(1) == target).float().mean()), float(loss.detach()), grad_first


def train_memory(cfg: MemoryConfig, on_step: Callable[[int, dict], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> MemoryResult:
    """Train one model on the task; `on_step` gets each evaluation row; stops early on NaN (diverged)."""
    model = MemoryNet(cfg)
    opt = (torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum) if cfg.optimizer == "sgd"
           else torch.optim.Adam(model.parameters(), lr=cfg.lr))
    g = torch.Generator().manual_seed(cfg.seed)
    result, start = MemoryResult(cfg), time.perf_counter()
    for step in range(1, cfg.steps + 1):
        tokens, target = make_batch(cfg.batch, cfg.lag, g, cfg.noise)
        loss = nn.functional.cross_entropy(model(nn.functional.one_hot(tokens, VOCAB).float()), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        result.grad_norms.append(clip_gradients(model.parameters(), cfg.clip_mode, cfg.clip))
        result.losses.append(float(loss.detach()))
        opt.step()
        if not (torch.isfinite(loss.detach()) and all(torch.isfinite(p).all() for p in model.parameters())):
            result.status = "diverged"
            break
        row = None
        if step % cfg.eval_every == 0 or step == cfg.steps:
            acc, _, grad_first = evaluate(model, cfg, n=512)
            row = {"step": step, "loss": float(loss.detach()), "accuracy": acc, "grad_first": grad_first,
                   "seconds": time.perf_counter() - start}
        if report(result, step, row, on_step, should_stop):
            break
    if result.status == "running":
        result.status = "finished"
    if result.status != "diverged":
        result.accuracy = evaluate(model, cfg)[0]
    result.seconds = time.perf_counter() - start
    return result


MODEL_NAMES = {"rnn": "vanilla RNN", "lstm": "LSTM"}


def train_both(cfg: MemoryConfig, on_step: Callable[[str, int, dict], None] | None = None,
               should_stop: Callable[[], bool] | None = None) -> dict[str, MemoryResult]:
    """The same settings for the vanilla RNN, then the LSTM; `on_step(model name, step, row)`."""
    results = {}
    for cell, name in MODEL_NAMES.items():
        if should_stop is not None and should_stop():
            break
        report = None if on_step is None else (lambda step, row, name=name: on_step(name, step, row))
        results[name] = train_memory(replace(cfg, cell=cell), report, should_stop)
    return results


def load_lag_results(path: str | Path) -> dict | None:
    """The measured accuracy-vs-lag runs written by benchmarks/memory_lag.py, or None if the file is missing
    or not such a file."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("runs"), list):
        return None
    return data
