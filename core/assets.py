"""The assets/ folder and the shipped checkpoints' entries: each model module lists its own (character
models in core.charlm.shipped, captioners in core.vision.shipped); the commands that reproduce them are in
assets/reproduce.sh."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[1] / "assets"


@dataclass(frozen=True)
class ShippedModel:
    """A checkpoint file in assets/ and what it is."""

    key: str
    filename: str
    title: str
    corpus: str  # the data it learned from

    @property
    def path(self) -> Path:
        """Where the checkpoint lives."""
        return ASSETS / self.filename


def present(models: tuple[ShippedModel, ...]) -> list[ShippedModel]:
    """The models whose checkpoint file is present."""
    return [m for m in models if m.path.exists()]


def available(models: tuple[ShippedModel, ...]) -> dict[str, ShippedModel]:
    """The models whose checkpoint file is present, by key."""
    return {m.key: m for m in present(models)}


def titles(models: tuple[ShippedModel, ...]) -> dict[str, str]:
    """Each model's title, by key."""
    return {m.key: m.title for m in models}
