"""The one save / load / build trio for every model of the app.

A checkpoint is plain data: {"kind", "config", "state_dict", "vocab", "metrics", "train_config"}.
It is written atomically (a temporary file, then a rename) and read with
torch.load(..., weights_only=True), so a file can never run code when it is loaded.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import torch
from torch import nn

from core.charlm.model import CharConfig, CharRNN
from core.vision.captioner import CaptionConfig, Captioner
from core.vision.vqa import VQAConfig, VQAModel

MODELS: dict[str, tuple[type, type]] = {  # kind -> (config class, model class)
    "charlm": (CharConfig, CharRNN),
    "captioner": (CaptionConfig, Captioner),
    "vqa": (VQAConfig, VQAModel),
}
# the longest vocabulary entry of each kind (characters or words)
TOKEN_LENGTH = {"charlm": 1, "captioner": 32, "vqa": 32}
REQUIRED = ("kind", "config", "state_dict", "vocab", "metrics")


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message says why."""


@dataclass
class Checkpoint:
    """A loaded model with what was saved beside it."""

    kind: str
    model: nn.Module
    vocab: tuple[str, ...]
    metrics: dict[str, Any] = field(default_factory=dict)
    train_config: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def key(self) -> str:
        """The model's fingerprint, computed once (the model of a checkpoint is never changed after loading): the
        key under which results about this model are cached and shared."""
        return fingerprint(self.model)


def build(kind: str, config: dict[str, Any]) -> nn.Module:
    """A fresh model of `kind` from its config dict."""
    if not isinstance(kind, str) or kind not in MODELS:
        raise CheckpointError(f"unknown model kind {str(kind)[:40]!r}; known: {', '.join(MODELS)}")
    config_cls, model_cls = MODELS[kind]
    try:
        return model_cls(config_cls(**config))
    except (TypeError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"the checkpoint's config does not describe a valid {kind} model: {e}") from None


def save_checkpoint(path: str | Path, kind: str, model: nn.Module, vocab: tuple[str, ...],
                    metrics: dict[str, Any] | None = None, train_config: dict[str, Any] | None = None) -> None:
    """Write a checkpoint atomically: a crash mid-save leaves any previous file at `path` intact."""
    path = Path(path)
    payload = {"kind": kind, "config": model.config.to_dict(), "vocab": list(vocab),
               "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
               "metrics": dict(metrics or {}), "train_config": dict(train_config or {})}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes owner-only files; a checkpoint is ordinary data
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def checkpoint_bytes(kind: str, model: nn.Module, vocab: tuple[str, ...], metrics: dict[str, Any] | None = None,
                     train_config: dict[str, Any] | None = None) -> bytes:
    """The same checkpoint as `save_checkpoint`, as bytes (for a download button)."""
    with tempfile.TemporaryDirectory() as d:
        save_checkpoint(Path(d) / "model.pt", kind, model, vocab, metrics, train_config)
        return (Path(d) / "model.pt").read_bytes()


def fingerprint(model: nn.Module) -> str:
    """A short hash of the model's architecture and weights: the same model gives the same string, any
    change to a weight gives another (a cache key for analyses of models that have no file)."""
    h = hashlib.sha1(repr(getattr(model, "config", type(model).__name__)).encode())
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()[:16]


def _unreadable(e: Exception) -> str:
    """Why torch.load (weights_only) refused a file, in words (torch's own message is a page long)."""
    found = re.search(r"(?:Unsupported global: GLOBAL|unsupported GLOBAL) ([\w.]+)", str(e))
    if found:
        return f"it holds Python objects other than weights and settings ({found.group(1)})"
    return f"the file is damaged, cut short or not a PyTorch file ({type(e).__name__})"


def load_checkpoint(source: str | Path | bytes) -> Checkpoint:
    """Load a checkpoint from a path or bytes, safely (weights_only); CheckpointError says what is wrong."""
    try:
        f = io.BytesIO(source) if isinstance(source, bytes) else source
        payload = torch.load(f, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"no checkpoint at {source}") from None
    except Exception as e:  # truncated, corrupt, or carrying objects that weights_only refuses (pickled code)
        raise CheckpointError(f"not a valid RNN Lab checkpoint: {_unreadable(e)}. RNN Lab opens checkpoints as plain "
                              "weights only, so nothing in the file was run. Upload a .pt file saved by RNN Lab "
                              "(Train your own → Download).") from None
    if not isinstance(payload, dict) or any(k not in payload for k in REQUIRED):
        raise CheckpointError(f"not an RNN Lab checkpoint: it needs the entries {', '.join(REQUIRED)}")
    vocab = payload["vocab"]
    if not (isinstance(payload["kind"], str) and isinstance(payload["config"], dict)
            and isinstance(payload["state_dict"], dict) and isinstance(payload["metrics"], dict)):
        raise CheckpointError("not an RNN Lab checkpoint: its entries have the wrong types")
    longest = TOKEN_LENGTH.get(payload["kind"], 1)
    if not (isinstance(vocab, list) and all(isinstance(c, str) and 1 <= len(c) <= longest for c in vocab)
            and len(set(vocab)) == len(vocab)):
        raise CheckpointError("the vocabulary must be a list of distinct " +
                              ("single characters" if longest == 1 else f"words of at most {longest} characters"))
    metrics = {k: v for k, v in payload["metrics"].items()
               if isinstance(k, str) and isinstance(v, (int, float, str)) and not isinstance(v, bool)}
    model = build(payload["kind"], payload["config"])
    try:
        model.load_state_dict(payload["state_dict"])
    except (RuntimeError, TypeError, AttributeError, ValueError) as e:
        raise CheckpointError(f"the weights do not fit the model the config describes: {str(e)[:300]}") from None
    if len(vocab) != getattr(model.config, "vocab_size", len(vocab)):
        raise CheckpointError(f"the vocabulary has {len(vocab)} characters but the model expects "
                              f"{model.config.vocab_size}")
    model.eval()
    train_config = payload.get("train_config", {})
    return Checkpoint(payload["kind"], model, tuple(vocab), metrics,
                      train_config if isinstance(train_config, dict) else {})
