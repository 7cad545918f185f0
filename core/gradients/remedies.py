"""The lecture's remedies, as experiments: gradient clipping, and truncated backpropagation through time.

- `clipping_runs`: one exploding setting (a tanh RNN whose W_hh starts with spectral radius 1.5, SGD
  with a large step) trained three times on the memory task: unclipped, clipped by norm, clipped by value.
- `tbptt_gradient_map`: which inputs x_s the loss at step t can send gradient to when the sequence is cut
  into chunks of k steps: the hidden state is carried forward across a cut, the gradient is not.
- `train_delay`: a stream task whose answer at t is the symbol seen d steps earlier, trained with truncated
  BPTT of chunk length k. With d < k some positions have a gradient path from answer to symbol and the
  model learns; with d ≥ k none has: whatever it gets right must come from what the untrained recurrence
  happens to carry across the cut (a little, for the shortest delays), so it stays at or near chance.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from core.gradients.memory import MemoryConfig, train_memory
from core.seeded import reseed
from core.training import Loop, Run, run_loop

# gradients explode without clipping (measured: see the tests)
EXPLODING = MemoryConfig(cell="rnn", lag=4, hidden=64, optimizer="sgd", lr=0.3, momentum=0.9, init_rho=1.5,
                         input_scale=1.0, steps=600, eval_every=100)
CLIPS = {"no clipping": (None, "norm"), "clip by norm (1.0)": (1.0, "norm"), "clip by value (0.1)": (0.1, "value")}


def clipping_runs(base: MemoryConfig = EXPLODING, clips: dict[str, tuple[float | None, str]] = CLIPS,
                  on_step: Callable[[str, int, dict], None] | None = None,
                  should_stop: Callable[[], bool] | None = None, device: torch.device | str = "cpu") -> dict[str, Run]:
    """The same run (same seed, data and initial weights) once per clipping setting, on `device`; `on_step(label,
    step, row)`."""
    results = {}
    for label, (clip, mode) in clips.items():
        if should_stop is not None and should_stop():
            break
        report = None if on_step is None else (lambda step, row, label=label: on_step(label, step, row))
        results[label] = train_memory(replace(base, clip=clip, clip_mode=mode), report, should_stop, device)
    return results


def _run_chunks(cell: nn.Module, x: torch.Tensor, chunk: int) -> list[torch.Tensor]:
    """Hidden states h_t for t = 0 .. T-1 of a one-sequence LSTMCell, with the graph cut every `chunk` steps."""
    H = cell.hidden_size
    h = c = torch.zeros(1, H, dtype=x.dtype)
    hs = []
    for t in range(x.shape[0]):
        if t % chunk == 0:  # a chunk boundary: carry the values forward, not the gradient
            h, c = h.detach(), c.detach()
        h, c = cell(x[t][None], (h, c))
        hs.append(h[0])
    return hs


def tbptt_gradient_map(steps: int, chunk: int, hidden: int = 16, seed: int = 0) -> np.ndarray:
    """(T, T) matrix: entry [t, s] = ‖∂L_t/∂x_s‖ under truncated BPTT with chunks of `chunk` steps, where
    L_t = u·h_t. Zero above the diagonal (the future) and across every cut."""
    cell = nn.LSTMCell(4, hidden).double()
    reseed(cell, seed)
    g = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(steps, 4, dtype=torch.float64, generator=g).requires_grad_(True)
    u = torch.randn(hidden, dtype=torch.float64, generator=g)
    hs = _run_chunks(cell, x, chunk)
    grid = np.zeros((steps, steps))
    for t, h in enumerate(hs):
        (g,) = torch.autograd.grad(u @ h, x, retain_graph=True)
        grid[t] = g.norm(dim=1).numpy()
    return grid


@dataclass(frozen=True)
class DelayConfig:
    """The delay task: answer at every step t ≥ d with the symbol read at t − d."""

    delay: int = 5
    chunk: int = 10  # truncated-BPTT chunk length k
    symbols: int = 8
    hidden: int = 64
    batch: int = 32
    chunks_per_stream: int = 6
    lr: float = 3e-3
    steps: int = 1200
    seed: int = 0

    def __post_init__(self) -> None:
        if not (1 <= self.delay <= 200 and 1 <= self.chunk <= 200 and 1 <= self.steps <= 100_000):
            raise ValueError("delay 1-200, chunk 1-200, steps 1-100000")


class DelayNet(nn.Module):
    """One-hot symbols -> LSTM -> the symbol d steps back."""

    def __init__(self, cfg: DelayConfig) -> None:
        super().__init__()
        self.symbols = cfg.symbols
        self.rnn = nn.LSTM(cfg.symbols, cfg.hidden, batch_first=True)
        self.head = nn.Linear(cfg.hidden, cfg.symbols)
        reseed(self, cfg.seed)

    def forward(self, tokens: torch.Tensor, state=None):
        """(B, T) symbols -> (B, T, symbols) scores and the state to carry on."""
        out, state = self.rnn(nn.functional.one_hot(tokens, self.symbols).float(), state)
        return self.head(out), state


def _delay_accuracy(model: DelayNet, cfg: DelayConfig, generator: torch.Generator, length: int = 400) -> float:
    tokens = torch.randint(0, cfg.symbols, (256, length), generator=generator).to(model.head.weight.device)
    with torch.no_grad():
        scores, _ = model(tokens)  # read the whole stream at once: no truncation at test time
    return float((scores[:, cfg.delay:].argmax(-1) == tokens[:, : length - cfg.delay]).float().mean())


def train_delay(cfg: DelayConfig, on_step: Callable[[int, dict], None] | None = None,
                should_stop: Callable[[], bool] | None = None, device: torch.device | str = "cpu") -> Run:
    """Train with truncated BPTT (core.training's loop) on `device`: each update is one chunk of k steps; the state is
    carried across chunks. `on_step` gets each evaluation row; the run's `accuracy` is measured on a fresh stream.
    Weights and streams are drawn on the CPU from the seed, then moved."""
    device = torch.device(device)
    model = DelayNet(cfg).to(device)
    g = torch.Generator().manual_seed(cfg.seed)
    L = cfg.chunk * cfg.chunks_per_stream
    reading: dict = {"stream": None, "state": None, "pos": 0}

    def batch_loss(step: int) -> torch.Tensor:
        if reading["stream"] is None or reading["pos"] >= L:  # a fresh batch of streams, from a zero state
            reading.update(stream=torch.randint(0, cfg.symbols, (cfg.batch, L), generator=g).to(device), state=None,
                           pos=0)
        stream, pos = reading["stream"], reading["pos"]
        scores, state = model(stream[:, pos: pos + cfg.chunk], reading["state"])  # (B, k, symbols)
        reading["state"] = tuple(s.detach() for s in state)  # the cut: values go on, gradients stop here
        reading["pos"] = pos + cfg.chunk
        t = torch.arange(pos, pos + cfg.chunk, device=device)
        valid = t >= cfg.delay  # positions that have an answer
        target = stream[:, (t - cfg.delay).clamp_min(0)]
        if not valid.any():
            return scores.sum() * 0
        return nn.functional.cross_entropy(scores[:, valid].reshape(-1, cfg.symbols), target[:, valid].reshape(-1))

    def measure(step: int) -> dict[str, float]:
        return {"accuracy": _delay_accuracy(model, cfg, torch.Generator().manual_seed(99))}

    run = run_loop(model, torch.optim.Adam(model.parameters(), lr=cfg.lr), Loop(cfg.steps, cfg.lr, eval_every=100),
                   batch_loss, measure, on_eval=on_step, should_stop=should_stop, run=Run(model, config=cfg))
    run.final["accuracy"] = _delay_accuracy(model, cfg, torch.Generator().manual_seed(12345), length=600)
    return run
