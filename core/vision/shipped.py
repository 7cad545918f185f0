"""The captioners (one per decoder) and VQA models shipped in assets/ (commands in assets/reproduce.sh)."""
from __future__ import annotations

import json
from pathlib import Path

from core.assets import ASSETS, ShippedModel, available, titles

CAPTIONERS: tuple[ShippedModel, ...] = (
    ShippedModel("soft", "captioner-soft.pt", "soft attention (Show, Attend and Tell)", "shapes"),
    ShippedModel("hard", "captioner-hard.pt", "hard attention (REINFORCE)", "shapes"),
    ShippedModel("none", "captioner-none.pt", "no attention (image sets h₀)", "shapes"),
)

VQA_MODELS: tuple[ShippedModel, ...] = (
    ShippedModel("attention", "vqa-attention.pt", "question-guided attention (2 hops + relation head)", "shapes"),
    ShippedModel("lecture", "vqa-lecture.pt", "the lecture's model (pooled CNN vector × question LSTM)", "shapes"),
    ShippedModel("question", "vqa-question.pt", "question only (ablation: never sees the image)", "shapes"),
    ShippedModel("image", "vqa-image.pt", "image only (ablation: never reads the question)", "shapes"),
)

TITLES, VQA_TITLES = titles(CAPTIONERS), titles(VQA_MODELS)


def available_captioners() -> dict[str, ShippedModel]:
    """The shipped captioners whose file is present, by decoder (the keys of CAPTIONERS)."""
    return available(CAPTIONERS)


def available_vqa_models() -> dict[str, ShippedModel]:
    """The shipped VQA models whose file is present, by kind (the keys of VQA_MODELS)."""
    return available(VQA_MODELS)


HARD_ABLATION = ASSETS / "hard-attention-ablation.json"  # written by benchmarks/hard_attention.py


def load_hard_ablation(path: Path | None = None) -> dict | None:
    """What each REINFORCE change did for hard attention (benchmarks/hard_attention.py): {"setup": str, "rows":
    [{"name", "all_named", "precision", "recall", "pointing", "seconds"}, …]}, or None if the file is missing or not
    such a file (`path`: HARD_ABLATION unless given)."""
    try:
        data = json.loads(Path(path or HARD_ABLATION).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("setup"), str) or not isinstance(data.get("rows"), list):
        return None

    def number(x: object) -> bool:
        return isinstance(x, (int, float)) and not isinstance(x, bool) and x == x

    figures = ("all_named", "precision", "recall", "pointing", "seconds")
    if not data["rows"] or not all(isinstance(r, dict) and isinstance(r.get("name"), str)
                                   and all(number(r.get(k)) for k in figures) for r in data["rows"]):
        return None
    return data


def largest_steps(measured: dict, count: int = 2) -> list[tuple[str, float]]:
    """The `count` rows of an ablation (load_hard_ablation) that added the most to "every object named" over the row
    above, largest first, as (change, points). Rows build on the row above except the last, the whole recipe without
    the warm start, which is left out."""
    rows = measured["rows"][:-1]
    steps = [(b["name"].removeprefix("+ "), 100 * (b["all_named"] - a["all_named"])) for a, b in zip(rows, rows[1:])]
    return sorted(steps, key=lambda step: -step[1])[:count]
