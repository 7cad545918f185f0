"""The long-memory task: remember the first symbol through a lag of noise, vanilla RNN against LSTM.

Each sequence is one of 8 symbols, then `lag` noise tokens (two kinds, random), then a query token;
the model must name the first symbol at the query. Chance is 1/8. The only way to learn it is a
gradient that reaches back `lag + 1` steps to the first input: we record ‖∂L/∂x_1‖ over training.

Whether the vanilla RNN learns depends on the optimiser, so both regimes are first-class settings:
plain SGD with momentum (no clipping), and Adam with gradient-norm clipping.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
from torch import nn

from core.seeded import reseed
from core.training import Loop, Run, run_loop

SYMBOLS, NOISE = 8, 2
QUERY = SYMBOLS + NOISE  # token ids: 0-7 symbols, 8-9 noise, 10 query
VOCAB = SYMBOLS + NOISE + 1
CHANCE = 1 / SYMBOLS
LAG_RESULTS = Path(__file__).resolve().parents[2] / "assets" / "memory-lag-results.json"  # benchmarks/memory_lag.py
REGIMES = {  # the two optimiser settings the page and benchmarks/memory_lag.py compare
    "sgd": {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "clip": None},
    "adam": {"optimizer": "adam", "lr": 3e-3, "clip": 1.0},  # clipped by the gradient's global norm
}


def make_batch(batch: int, lag: int, generator: torch.Generator,
               noise: int = NOISE) -> tuple[torch.Tensor, torch.Tensor]:
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
        if (self.cell not in ("rnn", "lstm") or self.optimizer not in ("sgd", "adam")
                or self.clip_mode not in ("norm", "value")):
            raise ValueError("cell 'rnn' or 'lstm'; optimizer 'sgd' or 'adam'; clip_mode 'norm' or 'value'")
        if not (1 <= self.noise <= NOISE and 0 <= self.lag <= 1000 and 1 <= self.hidden <= 1024
                and 1 <= self.steps <= 100_000 and self.lr > 0):
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


def evaluate(model: MemoryNet, cfg: MemoryConfig, n: int = 2048) -> tuple[float, float, float]:
    """(accuracy, mean loss, ‖∂L/∂x_1‖) on `n` fresh sequences from a fixed seed."""
    g = torch.Generator().manual_seed(10_000 + cfg.seed)
    device = model.head.weight.device  # drawn on the CPU from the seed, read where the model is
    tokens, target = (t.to(device) for t in make_batch(n, cfg.lag, g, cfg.noise))
    x = nn.functional.one_hot(tokens, VOCAB).float().requires_grad_(True)  # (n, T, VOCAB)
    with torch.enable_grad():
        scores = model(x)
        loss = nn.functional.cross_entropy(scores, target)
        (grad,) = torch.autograd.grad(loss * n, x)  # per-sequence losses summed: each row is its own gradient
    grad_first = float(grad[:, 0].norm(dim=1).mean())
    return float((scores.argmax(1) == target).float().mean()), float(loss.detach()), grad_first


def train_memory(cfg: MemoryConfig, on_step: Callable[[int, dict], None] | None = None,
                 should_stop: Callable[[], bool] | None = None, device: torch.device | str = "cpu") -> Run:
    """Train one model on the task (core.training's loop) on `device`; `on_step` gets each evaluation row; a loss that
    is not finite stops it ("diverged"). The run's `accuracy` is measured on 2,048 fresh sequences at the end (NaN if
    it diverged). Weights and batches are drawn on the CPU from the seed, then moved."""
    device = torch.device(device)
    model = MemoryNet(cfg).to(device)
    opt = (torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum) if cfg.optimizer == "sgd"
           else torch.optim.Adam(model.parameters(), lr=cfg.lr))
    g = torch.Generator().manual_seed(cfg.seed)

    def batch_loss(step: int) -> torch.Tensor:
        tokens, target = (t.to(device) for t in make_batch(cfg.batch, cfg.lag, g, cfg.noise))
        return nn.functional.cross_entropy(model(nn.functional.one_hot(tokens, VOCAB).float()), target)

    def measure(step: int) -> dict[str, float]:
        acc, _, grad_first = evaluate(model, cfg, n=512)
        return {"accuracy": acc, "grad_first": grad_first}

    loop = Loop(cfg.steps, cfg.lr, clip="none" if cfg.clip is None else cfg.clip_mode,
                clip_value=cfg.clip or 0.0, eval_every=cfg.eval_every)
    run = run_loop(model, opt, loop, batch_loss, measure, on_eval=on_step, should_stop=should_stop,
                   run=Run(model, config=cfg))
    if run.status != "diverged":
        run.final["accuracy"] = evaluate(model, cfg)[0]
    return run


MODEL_NAMES = {"rnn": "vanilla RNN", "lstm": "LSTM"}


def train_both(cfg: MemoryConfig, on_step: Callable[[str, int, dict], None] | None = None,
               should_stop: Callable[[], bool] | None = None, device: torch.device | str = "cpu") -> dict[str, Run]:
    """The same settings for the vanilla RNN, then the LSTM, on `device`; `on_step(model name, step, row)`."""
    results = {}
    for cell, name in MODEL_NAMES.items():
        if should_stop is not None and should_stop():
            break
        report = None if on_step is None else (lambda step, row, name=name: on_step(name, step, row))
        results[name] = train_memory(replace(cfg, cell=cell), report, should_stop, device)
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
