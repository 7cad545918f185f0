"""Training a character model with truncated backpropagation through time, as in the lecture.

The training text is cut into `batch_size` contiguous streams. Each step reads the next
`chunk_len` characters of every stream, carries the hidden state over from the previous chunk
(forward in time forever) but detaches it, so gradients flow only inside the chunk. Gradients are
clipped by norm or by value; the norm before clipping is recorded. Losses are in nats per
character (bits = nats / ln 2). A loss that turns NaN or explodes stops the run with a message.

Command line (reproduces the shipped checkpoints; see the README for the exact commands):
    python -m core.charlm.train --corpus shakespeare --cell lstm --hidden 512 --steps 6000 --out assets/x.pt
"""
from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from core.charlm.corpus import Corpus, load_corpus
from core.charlm.model import CharConfig, CharRNN, State
from core.charlm.sample import sample
from core.charlm.vocab import Vocab
from core.checkpoints import load_checkpoint, save_checkpoint
from core.jobs import Job
from core.seeded import build_seeded

LN2 = math.log(2.0)


@dataclass(frozen=True)
class TrainConfig:
    """One training run. The defaults are the in-app defaults (about 3 minutes on 2 CPU cores)."""

    corpus: str = "shakespeare"
    cell: str = "lstm"
    hidden_size: int = 512
    num_layers: int = 1
    embed_size: int = 64
    dropout: float = 0.0
    batch_size: int = 32
    chunk_len: int = 100  # truncated BPTT: gradients flow back at most this many steps
    lr: float = 3e-3
    lr_final: float = 0.1  # cosine decay to this fraction of lr over the run
    clip: str = "norm"  # norm | value | none
    clip_value: float = 5.0
    max_steps: int = 100_000
    max_seconds: float | None = 180.0  # stop after this long (None: run max_steps)
    eval_every: int = 100
    eval_chars: int = 60_000  # validation slice used during training; the final evaluation uses all of it
    sample_every: int = 200
    seed: int = 0

    def __post_init__(self) -> None:
        if self.clip not in ("norm", "value", "none"):
            raise ValueError(f"clip must be 'norm', 'value' or 'none', got {self.clip!r}")
        if self.batch_size < 1 or self.chunk_len < 1 or not self.lr > 0 or self.max_steps < 1:
            raise ValueError("batch_size, chunk_len, max_steps must be >= 1 and lr > 0")


@dataclass
class TrainResult:
    """What a run produced: the model, its vocabulary, its history and how it ended."""

    model: CharRNN
    vocab: Vocab
    history: list[dict[str, float]] = field(default_factory=list)  # one row per step
    evals: list[dict[str, float]] = field(default_factory=list)  # one row per evaluation
    samples: list[tuple[int, str]] = field(default_factory=list)  # (step, sample text)
    status: str = "running"  # finished | stopped | diverged
    message: str = ""

    @property
    def metrics(self) -> dict[str, float]:
        """The latest evaluation, for a checkpoint."""
        return dict(self.evals[-1]) if self.evals else {}


def streams(data: torch.Tensor, batch_size: int) -> torch.Tensor:
    """(N,) indices -> (B, N // B): B contiguous streams read side by side."""
    n = data.numel() // batch_size
    if n < 2:
        raise ValueError(f"the text is too short for {batch_size} streams")
    return data[: n * batch_size].view(batch_size, n)


def detach(state: State) -> State:
    """Cut the graph at a chunk boundary: keep the values, drop the history (truncated BPTT)."""
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def chunk_loss(model: CharRNN, inp: torch.Tensor, tgt: torch.Tensor, state: State | None) -> tuple[torch.Tensor, State]:
    """One chunk of truncated BPTT: the mean loss over (B, T) targets, and the final state, detached.

    The state goes on into the next chunk (forward in time forever) but, detached, lets no gradient
    flow back across the chunk boundary.
    """
    logits, state = model(inp, state)  # (B, T, V)
    loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1))
    return loss, detach(state)


@torch.inference_mode()
def evaluate(model: CharRNN, data: torch.Tensor, batch_size: int = 16, chunk_len: int = 256) -> float:
    """Mean cross-entropy in nats per character of predicting data[1:] from data[:-1]."""
    model.eval()
    x = streams(data, batch_size)  # (B, n)
    total, count, state = 0.0, 0, None
    for start in range(0, x.shape[1] - 1, chunk_len):
        inp = x[:, start: start + chunk_len]
        tgt = x[:, start + 1: start + chunk_len + 1]
        inp = inp[:, : tgt.shape[1]]
        logits, state = model(inp, state)  # (B, T, V)
        total += nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1),
                                             reduction="sum").item()
        count += tgt.numel()
    return total / count


def clip_gradients(model: nn.Module, clip: str, value: float) -> float:
    """Clip in place by norm or by value; return the global gradient norm *before* clipping."""
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])).item()
    if clip == "norm":
        nn.utils.clip_grad_norm_(model.parameters(), value)
    elif clip == "value":
        nn.utils.clip_grad_value_(model.parameters(), value)
    return norm


def train(cfg: TrainConfig, corpus: Corpus | None = None,
          on_step: Callable[[int, dict[str, float]], None] | None = None,
          should_stop: Callable[[], bool] | None = None,
          sampler: Callable[[CharRNN, Vocab], str] | None = None,
          init: tuple[CharRNN, Vocab] | None = None) -> TrainResult:
    """Train a model; `on_step(step, metrics)` after every step, `should_stop()` to end early.

    `sampler(model, vocab)` (if given) writes the sample recorded every `sample_every` steps.
    `init` continues training a model (with its vocabulary) instead of starting from random weights.
    """
    corpus = corpus or load_corpus(cfg.corpus)
    vocab = Vocab.from_text(corpus.train + corpus.val)
    needed = cfg.batch_size * (cfg.chunk_len + 1)
    if len(corpus.train) < needed or len(corpus.val) < 64:
        raise ValueError(f"the text is too short: {cfg.batch_size} streams of {cfg.chunk_len + 1} characters need "
                         f"{needed:,} training characters (this text has {len(corpus.train):,}) and some validation text")
    arch = CharConfig(len(vocab), cfg.cell, cfg.hidden_size, cfg.num_layers, cfg.embed_size, cfg.dropout)
    if init is not None:
        model, init_vocab = init
        if init_vocab != vocab or model.config != arch:
            raise ValueError("the model to continue has another vocabulary or architecture than this run")
        model.train()
    else:
        model = build_seeded(lambda: CharRNN(arch), cfg.seed)  # the global generator is other sessions' too
    result = TrainResult(model, vocab)
    train_x = streams(vocab.encode(corpus.train), cfg.batch_size)  # (B, n)
    val = vocab.encode(corpus.val)
    val_slice = val[: cfg.eval_chars]
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    first_loss, state, pos, start = None, None, 0, time.monotonic()
    for step in range(1, cfg.max_steps + 1):
        elapsed = time.monotonic() - start
        progress = max(step / cfg.max_steps, elapsed / cfg.max_seconds if cfg.max_seconds else 0.0)
        for group in opt.param_groups:
            group["lr"] = cfg.lr * (cfg.lr_final + (1 - cfg.lr_final) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))
        if pos + cfg.chunk_len + 1 > train_x.shape[1]:  # an epoch is over: start the streams again
            pos, state = 0, None
        inp = train_x[:, pos: pos + cfg.chunk_len]  # (B, T)
        tgt = train_x[:, pos + 1: pos + cfg.chunk_len + 1]  # (B, T): the next characters
        pos += cfg.chunk_len
        model.train()
        loss, state = chunk_loss(model, inp, tgt, state)
        loss_value = loss.item()
        first_loss = first_loss or loss_value
        if not math.isfinite(loss_value) or loss_value > 3 * max(first_loss, math.log(len(vocab))):
            result.status = "diverged"
            result.message = (f"training stopped at step {step}: the loss became {loss_value:.3g}. Lower the "
                              "learning rate or clip the gradients.")
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = clip_gradients(model, cfg.clip, cfg.clip_value)
        if not math.isfinite(grad_norm):
            result.status = "diverged"
            result.message = f"training stopped at step {step}: the gradient norm became {grad_norm}. Clip the gradients."
            break
        opt.step()
        row = {"step": step, "loss": loss_value, "grad_norm": grad_norm, "lr": opt.param_groups[0]["lr"],
               "seconds": time.monotonic() - start}
        if step % cfg.eval_every == 0:
            val_loss = evaluate(model, val_slice)
            row["val_loss"] = val_loss
            result.evals.append({"step": step, "val_loss": val_loss, "val_bits": val_loss / LN2, "train_loss": loss_value})
        if sampler is not None and step % cfg.sample_every == 0:
            result.samples.append((step, sampler(model, vocab)))
        result.history.append(row)
        if on_step is not None:
            on_step(step, row)
        if (should_stop is not None and should_stop()) or (cfg.max_seconds and time.monotonic() - start > cfg.max_seconds):
            result.status = "stopped" if should_stop is not None and should_stop() else "finished"
            break
    else:
        result.status = "finished"
    model.eval()
    return result


def run_training_job(job: Job, cfg: TrainConfig, corpus: Corpus) -> TrainResult:
    """The body of a background training job: progress rows and samples go to `job`; Stop ends it.

    A run that diverges returns normally with status "diverged" and its message.
    """
    prime = "\n" if "\n" in corpus.train else corpus.train[0]

    def sampler(model: CharRNN, vocab: Vocab) -> str:
        text = sample(model, vocab, prime, 200, (0.8,), seed=0).text()
        job.note(text)
        return text

    return train(cfg, corpus, on_step=lambda step, row: job.report(row), should_stop=lambda: job.stop_requested,
                 sampler=sampler)


def main(argv: list[str] | None = None) -> None:
    """Train from the command line and save a checkpoint evaluated on the whole validation text."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", default="shakespeare")
    p.add_argument("--cell", default="lstm")
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--chunk", type=int, default=100)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--clip", default="norm")
    p.add_argument("--clip-value", type=float, default=5.0)
    p.add_argument("--steps", type=int, default=6000)
    p.add_argument("--minutes", type=float, default=None, help="stop after this long instead of --steps")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--init", default=None, help="continue training this checkpoint instead of starting afresh")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    cfg = TrainConfig(a.corpus, a.cell, a.hidden, a.layers, a.embed, a.dropout, a.batch, a.chunk, a.lr, clip=a.clip,
                      clip_value=a.clip_value, max_steps=a.steps,
                      max_seconds=a.minutes * 60 if a.minutes else None, eval_every=250, seed=a.seed)

    def report(step: int, row: dict[str, float]) -> None:
        if "val_loss" in row:
            print(f"step {step:6d}  {row['seconds']:7.0f}s  train {row['loss']:.3f}  val(slice) {row['val_loss']:.3f}"
                  f"  |g| {row['grad_norm']:.2f}  lr {row['lr']:.2e}", flush=True)

    corpus = load_corpus(cfg.corpus)
    init = None
    if a.init:
        ck = load_checkpoint(a.init)
        init = (ck.model, Vocab(ck.vocab))
    result = train(cfg, corpus, on_step=report, init=init)
    val_loss = evaluate(result.model, result.vocab.encode(corpus.val))
    metrics = {"val_loss": val_loss, "val_bits": val_loss / LN2, "steps": len(result.history),
               "seconds": result.history[-1]["seconds"] if result.history else 0.0,
               "parameters": result.model.num_parameters(), "corpus": cfg.corpus, "status": result.status}
    save_checkpoint(a.out, "charlm", result.model, result.vocab.chars, metrics, asdict(cfg))
    print(f"{result.status}: {metrics['steps']} steps, full validation {val_loss:.4f} nats/char "
          f"({val_loss / LN2:.4f} bits/char) -> {a.out}", flush=True)


if __name__ == "__main__":
    main()
