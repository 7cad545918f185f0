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


VQA_MODELS: tuple[ShippedModel, ...] = (
    ShippedModel("attention", "vqa-attention.pt", "question-guided attention (2 hops + relation head)", "shapes"),
    ShippedModel("lecture", "vqa-lecture.pt", "the lecture's model (pooled CNN vector × question LSTM)", "shapes"),
    ShippedModel("question", "vqa-question.pt", "question only (ablation: never sees the image)", "shapes"),
    ShippedModel("image", "vqa-image.pt", "image only (ablation: never reads the question)", "shapes"),
)

VQA_TITLES = {m.key: m.title for m in VQA_MODELS}


def available_vqa_models() -> dict[str, ShippedModel]:
    """The shipped VQA models whose file is present, by kind ("attention", "lecture", "question", "image")."""
    return {m.key: m for m in present(VQA_MODELS)}
