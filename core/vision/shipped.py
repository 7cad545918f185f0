"""The captioners shipped in assets/ (one per decoder; commands in assets/reproduce.sh)."""
from __future__ import annotations

from core.assets import ShippedModel, present

CAPTIONERS: tuple[ShippedModel, ...] = (
    ShippedModel("soft", "captioner-soft.pt", "soft attention (Show, Attend and Tell)", "shapes"),
    ShippedModel("hard", "captioner-hard.pt", "hard attention (REINFORCE)", "shapes"),
    ShippedModel("none", "captioner-none.pt", "no attention (image sets h₀)", "shapes"),
)

TITLES = {m.key: m.title for m in CAPTIONERS}


def available_captioners() -> dict[str, ShippedModel]:
    """The shipped captioners whose file is present, by decoder ("soft", "hard", "none")."""
    return {m.key: m for m in present(CAPTIONERS)}
