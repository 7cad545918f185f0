"""The lecture's "hello" character model, exactly: vocabulary [h, e, l, o], one-hot inputs,
a few hidden units, trained on the one sequence "hello".

    h_t = tanh(W_hh h_{t-1} + W_xh x_t)        y_t = W_hy h_t        p_t = softmax(y_t)

There are no bias terms, as in the lecture's equations. The forward pass records every
intermediate value per time step (for the page to show), and backpropagation through time is
written out by hand (so a student can read it, and a test can check it against finite
differences). Everything runs in float64: the model has 33 numbers and the gradient check needs
the precision.
"""
from __future__ import annotations

import hashlib
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from core.sampling import gumbel_noise, pick_next

WEIGHT_NAMES = ("W_xh", "W_hh", "W_hy")


def hidden_names(hidden_size: int) -> list[str]:
    """Display names of the hidden units: h[0], h[1], ..."""
    return [f"h[{k}]" for k in range(hidden_size)]


def unknown_characters(text: str, vocab: tuple[str, ...]) -> list[str]:
    """The characters of `text` that the vocabulary lacks, sorted."""
    return sorted(set(text) - set(vocab))
MAX_WEIGHT = 100.0  # an edited weight beyond this only saturates tanh further


@dataclass(frozen=True)
class HelloConfig:
    """Everything that defines the toy model; the default is the lecture's."""

    vocab: tuple[str, ...] = ("h", "e", "l", "o")
    hidden_size: int = 3
    text: str = "hello"  # the training sequence: inputs text[:-1], targets text[1:]
    init_std: float = 0.5  # weights start as N(0, init_std^2)
    seed: int = 10  # a seed whose untrained model gets none of the four characters right

    def __post_init__(self) -> None:
        if len(set(self.vocab)) != len(self.vocab) or not self.vocab:
            raise ValueError(f"vocabulary must be distinct characters, got {self.vocab}")
        if self.hidden_size < 1:
            raise ValueError(f"hidden_size must be >= 1, got {self.hidden_size}")
        unknown = unknown_characters(self.text, self.vocab)
        if unknown or len(self.text) < 2:
            raise ValueError(f"training text must be >= 2 characters of {self.vocab}; bad: {unknown}")


@dataclass(frozen=True)
class Trace:
    """Every value of one forward pass, per time step (T steps, V characters, H hidden units)."""

    inputs: torch.Tensor  # (T,) int64 character indices fed in
    targets: torch.Tensor | None  # (T,) int64 indices of the next characters, or None
    x: torch.Tensor  # (T, V) one-hot inputs
    a: torch.Tensor  # (T, H) pre-activations W_hh h_{t-1} + W_xh x_t
    h: torch.Tensor  # (T+1, H) hidden states; h[0] is h_0
    y: torch.Tensor  # (T, V) output scores (logits)
    p: torch.Tensor  # (T, V) softmax probabilities
    losses: torch.Tensor | None  # (T,) cross-entropy -log p_t[target_t], or None

    def correct(self) -> int:
        """How many steps put the highest score on the target character."""
        if self.targets is None:
            raise ValueError("this trace was run without targets")
        return int((self.y.argmax(dim=-1) == self.targets).sum())

    def step_rows(self, vocab: tuple[str, ...]) -> list[dict[str, object]]:
        """One plain row per time step, for a table: input, target, p(target), argmax, loss."""
        rows = []
        for t in range(len(self.inputs)):
            row: dict[str, object] = {"step": t + 1, "input": vocab[int(self.inputs[t])],
                                      "argmax of y_t": vocab[int(self.y[t].argmax())]}
            if self.targets is not None and self.losses is not None:
                target = int(self.targets[t])
                row.update({"target": vocab[target], "p(target)": round(float(self.p[t, target]), 4),
                            "argmax is target": bool(self.y[t].argmax() == target),
                            "loss L_t": round(float(self.losses[t]), 4)})
            rows.append(row)
        return rows

    @property
    def loss(self) -> float:
        """Total loss L = sum_t L_t, as in the lecture."""
        if self.losses is None:
            raise ValueError("this trace was run without targets")
        return float(self.losses.sum())


@dataclass(frozen=True)
class Gradients:
    """dL/dW for each weight matrix, plus dL/dh_t: how much of the loss reaches each step."""

    W_xh: torch.Tensor  # (H, V)
    W_hh: torch.Tensor  # (H, H)
    W_hy: torch.Tensor  # (V, H)
    dh: torch.Tensor  # (T, H) total gradient of L with respect to h_1 .. h_T

    def as_dict(self) -> dict[str, torch.Tensor]:
        """The weight gradients keyed like the model's parameters."""
        return {"W_xh": self.W_xh, "W_hh": self.W_hh, "W_hy": self.W_hy}


class HelloRNN(nn.Module):
    """The lecture's vanilla RNN with three weight matrices and no biases."""

    def __init__(self, config: HelloConfig = HelloConfig()) -> None:  # noqa: B008 (frozen, immutable fields)
        super().__init__()
        self.config = config
        generator = torch.Generator().manual_seed(config.seed)
        H, V = config.hidden_size, len(config.vocab)

        def init(*shape: int) -> nn.Parameter:
            w = torch.randn(*shape, generator=generator, dtype=torch.float64) * config.init_std
            return nn.Parameter(w)

        self.W_xh = init(H, V)  # input -> hidden
        self.W_hh = init(H, H)  # hidden -> hidden, the same matrix at every step
        self.W_hy = init(V, H)  # hidden -> output

    # ---- characters <-> indices -------------------------------------------------------------
    def encode(self, text: str) -> torch.Tensor:
        """Character string -> (T,) int64 indices; a clear error for characters not in the vocab."""
        vocab = self.config.vocab
        unknown = unknown_characters(text, vocab)
        if unknown:
            raise ValueError(f"characters {unknown} are not in the vocabulary {list(vocab)}")
        return torch.tensor([vocab.index(c) for c in text], dtype=torch.int64)

    def decode(self, indices: torch.Tensor | list[int]) -> str:
        """(T,) indices -> string."""
        return "".join(self.config.vocab[int(i)] for i in indices)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Output scores y_t (T, V) for a (T,) sequence of character indices, from h_0 = 0."""
        return self.trace(self.decode(inputs)).y

    # ---- one step and a whole sequence --------------------------------------------------------
    def step(self, h_prev: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One application of the recurrence: (h_{t-1} (..., H), x_t one-hot (..., V)) -> (a_t, h_t, y_t)."""
        a = h_prev @ self.W_hh.T + x @ self.W_xh.T  # (..., H)
        h = torch.tanh(a)  # (..., H)
        y = h @ self.W_hy.T  # (..., V)
        return a, h, y

    def trace(self, inputs: str, targets: str | None = None) -> Trace:
        """Run the recurrence over `inputs` from h_0 = 0 and record every value per step."""
        idx = self.encode(inputs)
        tgt = self.encode(targets) if targets is not None else None
        if tgt is not None and len(tgt) != len(idx):
            raise ValueError("inputs and targets must have the same length")
        V, H = len(self.config.vocab), self.config.hidden_size
        x = nn.functional.one_hot(idx, V).to(torch.float64)  # (T, V)
        hs = [torch.zeros(H, dtype=torch.float64)]
        as_, ys = [], []
        with torch.no_grad():
            for t in range(len(idx)):
                a, h, y = self.step(hs[-1], x[t])
                as_.append(a)
                hs.append(h)
                ys.append(y)
        y = torch.stack(ys)  # (T, V)
        p = torch.softmax(y, dim=-1)  # (T, V)
        log_p = torch.log_softmax(y, dim=-1)  # (T, V), finite even where p underflows to 0
        losses = None if tgt is None else -log_p[torch.arange(len(tgt)), tgt]  # (T,)
        return Trace(idx, tgt, x, torch.stack(as_), torch.stack(hs), y, p, losses)

    def training_trace(self) -> Trace:
        """The forward pass on the training sequence: inputs "hell", targets "ello"."""
        text = self.config.text
        return self.trace(text[:-1], text[1:])

    # ---- learning ------------------------------------------------------------------------------
    def bptt(self, tr: Trace) -> Gradients:
        """Backpropagation through time, by hand: dL/dW for L = sum_t -log p_t[target_t]."""
        if tr.targets is None:
            raise ValueError("backpropagation needs targets")
        W_hh, W_hy = self.W_hh.detach(), self.W_hy.detach()
        T, H = tr.a.shape
        dW_xh, dW_hh, dW_hy = (torch.zeros_like(w) for w in (self.W_xh, W_hh, W_hy))
        dh = torch.zeros(T, H, dtype=torch.float64)
        dh_next = torch.zeros(H, dtype=torch.float64)  # gradient arriving at h_t from step t+1
        for t in reversed(range(T)):
            dy = tr.p[t].clone()  # softmax + cross-entropy: dL_t/dy_t = p_t - onehot(target)
            dy[tr.targets[t]] -= 1.0
            dW_hy += torch.outer(dy, tr.h[t + 1])
            dh[t] = W_hy.T @ dy + dh_next  # from this step's output and from the future
            da = (1.0 - tr.h[t + 1] ** 2) * dh[t]  # through tanh
            dW_xh += torch.outer(da, tr.x[t])
            dW_hh += torch.outer(da, tr.h[t])
            dh_next = W_hh.T @ da  # hand it back to step t-1
        return Gradients(dW_xh, dW_hh, dW_hy, dh)

    def train_steps(self, steps: int, lr: float) -> list[float]:
        """Plain gradient descent on "hello" for `steps` steps; returns the loss before each step."""
        losses = []
        for _ in range(steps):
            tr = self.training_trace()
            losses.append(tr.loss)
            grads = self.bptt(tr).as_dict()
            with torch.no_grad():
                for name, g in grads.items():
                    getattr(self, name).sub_(lr * g)
        return losses

    def perturb(self, scale: float, seed: int) -> None:
        """Add N(0, scale^2) noise to every weight, deterministically for a seed."""
        generator = torch.Generator().manual_seed(int(seed))
        with torch.no_grad():
            for name in WEIGHT_NAMES:
                w = getattr(self, name)
                w.add_(torch.randn(w.shape, generator=generator, dtype=w.dtype) * scale)

    def set_weight(self, name: str, row: int, col: int, value: float) -> None:
        """Set one entry of one weight matrix (the page's editable weights)."""
        if name not in WEIGHT_NAMES:
            raise ValueError(f"unknown weight {name!r}; expected one of {WEIGHT_NAMES}")
        value = float(value)
        if not abs(value) <= MAX_WEIGHT:  # also rejects NaN
            raise ValueError(f"{name}[{row}, {col}] must be a number between -{MAX_WEIGHT:g} and {MAX_WEIGHT:g}, "
                             f"got {value}")
        with torch.no_grad():
            getattr(self, name)[row, col] = float(value)

    def update_from_table(self, name: str, table: list[list[object]]) -> tuple[bool, list[tuple[int, int]]]:
        """Write an edited table of one weight matrix into the model, cell by cell.

        Returns whether any weight changed, and the (row, col) cells that were refused because they
        were empty or not a number within +-MAX_WEIGHT (those keep their old value).
        """
        current = getattr(self, name).detach()
        if (len(table), len(table[0]) if table else 0) != tuple(current.shape):
            raise ValueError(f"{name} is {tuple(current.shape)}, the table is "
                             f"{len(table)}x{len(table[0]) if table else 0}")
        changed, rejected = False, []
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                try:
                    number = float(value)  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    number = float("nan")
                if number == float(current[r, c]):
                    continue
                try:
                    self.set_weight(name, r, c, number)
                    changed = True
                except ValueError:
                    rejected.append((r, c))
        return changed, rejected

    def fingerprint(self) -> str:
        """A digest of the config and the weights: models with the same one compute the same thing (a cache key)."""
        weights = b"".join(getattr(self, name).detach().numpy().tobytes() for name in WEIGHT_NAMES)
        return hashlib.sha1(repr(self.config).encode() + weights).hexdigest()

    def weight_labels(self, name: str) -> tuple[list[str], list[str]]:
        """Row and column names of a weight matrix: hidden units h[k] or vocabulary characters."""
        hidden = hidden_names(self.config.hidden_size)
        vocab = list(self.config.vocab)
        return {"W_xh": (hidden, vocab), "W_hh": (hidden, hidden), "W_hy": (vocab, hidden)}[name]

    # ---- test time -----------------------------------------------------------------------------
    def sample(self, start: str, length: int, temperature: float = 1.0, seed: int = 0, batch: int = 1) -> Samples:
        """Generate `length` characters after `start`, feeding each choice back in as the next input.

        temperature 0 is the argmax; otherwise each step samples softmax(y_t / T) by Gumbel-max with
        noise drawn from `seed`, so the same seed gives the same characters. `batch` independent
        samples run side by side.
        """
        if length < 1:
            raise ValueError(f"length must be >= 1, got {length}")
        V, H = len(self.config.vocab), self.config.hidden_size
        noise = gumbel_noise((length, batch, V), seed)  # (L, B, V)
        h = torch.zeros(batch, H, dtype=torch.float64)  # (B, H)
        current = self.encode(start).repeat(batch, 1)  # (B, len(start))
        with torch.no_grad():
            for t in range(current.shape[1] - 1):  # warm up on the priming characters
                _, h, _ = self.step(h, nn.functional.one_hot(current[:, t], V).to(torch.float64))
            inp = current[:, -1]  # (B,)
            chosen, probs = [], []
            for t in range(length):
                _, h, y = self.step(h, nn.functional.one_hot(inp, V).to(torch.float64))  # y: (B, V)
                inp = pick_next(y, temperature, noise[t])  # (B,)
                chosen.append(inp)
                probs.append(torch.softmax(y, dim=-1))
        return Samples(start, torch.stack(chosen, dim=1), torch.stack(probs, dim=1), self.config.vocab)


@dataclass(frozen=True)
class Samples:
    """What test-time sampling produced: the chosen characters and the softmax they came from."""

    start: str
    chosen: torch.Tensor  # (B, L) int64
    probs: torch.Tensor  # (B, L, V) softmax at each step (temperature 1)
    vocab: tuple[str, ...]

    def text(self, b: int = 0) -> str:
        """The start followed by sample b's characters."""
        return self.start + "".join(self.vocab[int(i)] for i in self.chosen[b])

    def off_argmax(self, b: int = 0) -> torch.Tensor:
        """(L,) bool: where sample b picked a character that was not the most probable one."""
        return self.chosen[b] != self.probs[b].argmax(dim=-1)


@dataclass
class HelloSession:
    """The toy model a user trains live, with its loss history (kept in one user's session)."""

    model: HelloRNN
    losses: list[float]  # the loss before each gradient step taken so far
    version: int = 0  # bumped whenever weights change, so views keyed on it redraw

    def train(self, steps: int, lr: float) -> None:
        """Take `steps` gradient steps and record their losses."""
        if steps < 1 or not lr > 0:
            raise ValueError("steps must be >= 1 and the learning rate > 0")
        self.losses += self.model.train_steps(steps, lr)
        self.version += 1

    def changed(self) -> None:
        """Note a change of weights made from outside (an edit or a perturbation)."""
        self.version += 1

    def perturb(self, scale: float, seed: int) -> None:
        """Add N(0, scale^2) noise to every weight."""
        self.model.perturb(scale, seed)
        self.changed()

    def apply_tables(self, tables: dict[str, list[list[object]]]) -> list[str]:
        """Write edited weight tables into the model; return the refused cells, e.g. "W_hh[h[0], h[1]]"."""
        refused = []
        for name, table in tables.items():
            changed, bad = self.model.update_from_table(name, table)
            rows, cols = self.model.weight_labels(name)
            refused += [f"{name}[{rows[r]}, {cols[c]}]" for r, c in bad]
            if changed or bad:
                self.changed()
        return refused


def hello_session(store: MutableMapping[str, Any], config: HelloConfig | None = None,
                  fresh: bool = False, key: str = "hello_session") -> HelloSession:
    """The session's toy model: reuse the stored one unless `config` asks for a different model
    or `fresh` asks for a new, untrained one.

    `store` is any mutable mapping (the page passes st.session_state); config None keeps whatever
    model is there, or builds the lecture's default.
    """
    current = store.get(key)
    if fresh and current is not None and config is None:
        config = current.model.config
    if current is None or fresh or (config is not None and current.model.config != config):
        version = 0 if current is None else current.version + 1
        current = HelloSession(HelloRNN(config or HelloConfig()), [], version)
        store[key] = current
    return current
