"""Training a character model with truncated backpropagation through time, as in the lecture.

The training text is cut into `batch_size` contiguous streams. Each step reads the next
`chunk_len` characters of every stream, carries the hidden state over from the previous chunk
(forward in time forever) but detaches it, so gradients flow only inside the chunk. Gradients are
clipped by norm or by value; the norm before clipping is recorded. Losses are in nats per
character (bits = nats / ln 2). A loss that turns NaN or explodes stops the run with a message.

Command line (reproduces the shipped checkpoints; see the README for the exact commands):
    python -m core.charlm.train --corpus shakespeare --cell lstm --hidden 512 --steps 6000 --max-seconds none \
        --out assets/x.pt
Every field of TrainConfig is a flag (core.flags); without --max-seconds a run stops after the in-app 3 minutes.
--device auto|cpu|cuda picks where it trains (auto: CUDA when present); the checkpoint is the same plain data.
"""
from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
from torch import nn

from core.charlm.corpus import Corpus, load_corpus
from core.charlm.model import CELLS, CharConfig, CharRNN, State
from core.charlm.sample import sample
from core.charlm.vocab import Vocab
from core.checkpoints import load_checkpoint, save_checkpoint
from core.flags import add_config_flags, add_device_flag, config_from_flags, device_from_flags
from core.jobs import Job
from core.seeded import build_seeded
from core.training import CLIPS, Loop, Run, run_loop

LN2 = math.log(2.0)
# the short flags the recorded commands use (assets/reproduce.sh), kept beside each field's own --field-name
FLAG_ALIASES = {"hidden_size": "hidden", "num_layers": "layers", "embed_size": "embed", "batch_size": "batch",
                "chunk_len": "chunk", "max_steps": "steps"}


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
        if self.clip not in CLIPS:
            raise ValueError(f"clip must be one of {CLIPS}, got {self.clip!r}")
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {self.cell!r}")
        if not (self.clip_value > 0 and 0 <= self.lr_final <= 1 and self.eval_every >= 1 and self.sample_every >= 1):
            raise ValueError("clip_value must be > 0, lr_final in [0, 1], eval_every and sample_every >= 1")
        if self.batch_size < 1 or self.chunk_len < 1 or not self.lr > 0 or self.max_steps < 1:
            raise ValueError("batch_size, chunk_len, max_steps must be >= 1 and lr > 0")

    def loop(self) -> Loop:
        """The training loop's settings (core.training): a cosine decay to lr_final × lr over the run."""
        return Loop(self.max_steps, self.lr, "cosine", self.lr_final, self.clip, self.clip_value, self.eval_every,
                    self.max_seconds)


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
    """Mean cross-entropy in nats per character of predicting data[1:] from data[:-1] (on the model's device)."""
    model.eval()
    x = streams(data.to(model.head.weight.device), batch_size)  # (B, n)
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


def train(cfg: TrainConfig, corpus: Corpus | None = None,
          on_step: Callable[[int, dict[str, float]], None] | None = None,
          should_stop: Callable[[], bool] | None = None,
          sampler: Callable[[CharRNN, Vocab], str] | None = None,
          init: tuple[CharRNN, Vocab] | None = None, device: torch.device | str = "cpu") -> Run:
    """Train a model (core.training's loop); `on_step(step, row)` after every step, `should_stop()` to end early.

    `sampler(model, vocab)` (if given) writes the sample kept in the run's notes every `sample_every` steps.
    `init` continues training a model (with its vocabulary) instead of starting from random weights; it is moved to
    `device` (in place), where the run trains (the text and the state go there too; the weights are drawn on the CPU
    from the seed first, so a seed starts from the same weights on every device).
    The run's history holds the evaluations on the validation slice; its vocab, the vocabulary.
    """
    corpus = corpus or load_corpus(cfg.corpus)
    vocab = Vocab.from_text(corpus.train + corpus.val)
    needed = cfg.batch_size * (cfg.chunk_len + 1)
    if len(corpus.train) < needed or len(corpus.val) < 64:
        raise ValueError(f"the text is too short: {cfg.batch_size} streams of {cfg.chunk_len + 1} characters need "
                         f"{needed:,} training characters (this text has {len(corpus.train):,}) "
                         "and some validation text")
    arch = CharConfig(len(vocab), cfg.cell, cfg.hidden_size, cfg.num_layers, cfg.embed_size, cfg.dropout)
    if init is not None:
        model, init_vocab = init
        if init_vocab != vocab or model.config != arch:
            raise ValueError("the model to continue has another vocabulary or architecture than this run")
    else:
        model = build_seeded(lambda: CharRNN(arch), cfg.seed)  # the global generator is other sessions' too
    device = torch.device(device)
    model = model.to(device)
    run = Run(model, config=cfg, vocab=vocab)
    train_x = streams(vocab.encode(corpus.train).to(device), cfg.batch_size)  # (B, n)
    val_slice = vocab.encode(corpus.val)[: cfg.eval_chars].to(device)
    reading = {"pos": 0, "state": None, "first": None}

    def batch_loss(step: int) -> torch.Tensor:
        pos = reading["pos"]
        if pos + cfg.chunk_len + 1 > train_x.shape[1]:  # an epoch is over: start the streams again
            pos, reading["state"] = 0, None
        inp = train_x[:, pos: pos + cfg.chunk_len]  # (B, T)
        tgt = train_x[:, pos + 1: pos + cfg.chunk_len + 1]  # (B, T): the next characters
        reading["pos"] = pos + cfg.chunk_len
        loss, reading["state"] = chunk_loss(model, inp, tgt, reading["state"])
        return loss

    def exploded(step: int, loss: float) -> str | None:
        reading["first"] = reading["first"] or loss
        return f"the loss became {loss:.3g}" if loss > 3 * max(reading["first"], math.log(len(vocab))) else None

    def evaluate_slice(step: int) -> dict[str, float]:
        val_loss = evaluate(model, val_slice)
        return {"val_loss": val_loss, "val_bits": val_loss / LN2}

    def after_step(step: int, row: dict) -> None:
        if sampler is not None and step % cfg.sample_every == 0:
            run.notes.append((step, sampler(model, vocab)))
        if on_step is not None:
            on_step(step, row)

    return run_loop(model, torch.optim.Adam(model.parameters(), lr=cfg.lr), cfg.loop(), batch_loss, evaluate_slice,
                    after_step, should_stop=should_stop, diverged=exploded, run=run)


def run_training_job(job: Job, cfg: TrainConfig, corpus: Corpus, device: torch.device | str = "cpu") -> Run:
    """The body of a background training job on `device`: progress rows and samples go to `job`; Stop ends it.

    A run that diverges returns normally with status "diverged" and its message.
    """
    prime = "\n" if "\n" in corpus.train else corpus.train[0]

    def sampler(model: CharRNN, vocab: Vocab) -> str:
        text = sample(model, vocab, prime, 200, (0.8,), seed=0).text()
        job.note(text)
        return text

    return train(cfg, corpus, on_step=lambda step, row: job.report(row), should_stop=lambda: job.stop_requested,
                 sampler=sampler, device=device)


def parse_command(argv: list[str] | None = None) -> tuple[argparse.Namespace, TrainConfig]:
    """The command line's flags (every TrainConfig field, core.flags) and the config they describe."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_flags(p, TrainConfig, aliases=FLAG_ALIASES, helps={
        "max_seconds": "stop after this many seconds (none: run all the steps)",
        "clip": "norm, value or none", "lr_final": "the cosine schedule ends at this fraction of lr"})
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: the machine's cores)")
    p.add_argument("--init", default=None, help="continue training this checkpoint instead of starting afresh")
    p.add_argument("--out", required=True)
    add_device_flag(p)
    a = p.parse_args(argv)
    a.device = device_from_flags(p, a)
    return a, config_from_flags(p, TrainConfig, a)


def main(argv: list[str] | None = None) -> None:
    """Train from the command line and save a checkpoint evaluated on the whole validation text."""
    a, cfg = parse_command(argv)
    if a.threads:
        torch.set_num_threads(a.threads)

    def report(step: int, row: dict[str, float]) -> None:
        if "val_loss" in row:
            print(f"step {step:6d}  {row['seconds']:7.0f}s  train {row['loss']:.3f}  val(slice) {row['val_loss']:.3f}"
                  f"  |g| {row['grad_norm']:.2f}  lr {row['lr']:.2e}", flush=True)

    corpus = load_corpus(cfg.corpus)
    init = None
    if a.init:
        ck = load_checkpoint(a.init)
        init = (ck.model, Vocab(ck.vocab))
    result = train(cfg, corpus, on_step=report, init=init, device=a.device)
    val_loss = evaluate(result.model, result.vocab.encode(corpus.val))
    metrics = {"val_loss": val_loss, "val_bits": val_loss / LN2, "steps": len(result.steps), "seconds": result.seconds,
               "parameters": result.model.num_parameters(), "corpus": cfg.corpus, "status": result.status}
    save_checkpoint(a.out, "charlm", result.model, result.vocab.chars, metrics, asdict(cfg))
    print(f"{result.status}: {metrics['steps']} steps, full validation {val_loss:.4f} nats/char "
          f"({val_loss / LN2:.4f} bits/char) -> {a.out}", flush=True)


if __name__ == "__main__":
    main()
