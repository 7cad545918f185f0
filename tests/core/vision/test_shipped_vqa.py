"""The shipped VQA models on the questions of the 1,000 held-out scenes (seeds 1,000,000–1,000,999, never trained
on), and the same scenes drawn in the held-out user styles: the issues' bars for the attention model, the lecture's
model and the ablations measured the same way, and every checkpoint's stored figures (the page's table) re-measured.

The frozen encoder's features of those scenes are cached in .cache/ (about a minute to make on 2 cores)."""
from pathlib import Path

import pytest

from core.checkpoints import load_checkpoint
from core.vision.questions import KINDS
from core.vision.shipped import VQA_MODELS
from core.vision.train_captioner import VAL_FIRST, cached_data
from core.vision.train_vqa import evaluate_vqa
from core.vision.vqa import build_questions

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def measured():
    features = cached_data(VAL_FIRST, 1000, ROOT / ".cache")
    questions = build_questions(features.seeds.tolist())
    assert len(questions) >= 2000  # the issue: at least 2,000 generated questions
    return {m.key: (load_checkpoint(m.path), evaluate_vqa(load_checkpoint(m.path).model, features, questions))
            for m in VQA_MODELS}


def test_the_attention_model_meets_the_issues_bars(measured):
    """≥ 95% on non-relational and ≥ 85% on relational questions (measured: see docs/measured.md)."""
    _, att = measured["attention"]
    assert att["non_relational"] >= 0.95, att
    assert att["relational"] >= 0.85, att
    assert att["hop1_pointing"] >= 0.95 and att["hop2_pointing"] >= 0.85, att  # it looks where the page says


def test_looking_beats_guessing(measured):
    """The attention model is right far more often than the lecture's model on relational questions, and both
    models that see the image and the question beat each ablation."""
    figures = {key: f for key, (_, f) in measured.items()}
    assert figures["attention"]["relational"] > figures["lecture"]["relational"] + 0.1, figures
    for seeing in ("attention", "lecture"):
        for ablation in ("question", "image"):
            assert figures[seeing]["accuracy"] > figures[ablation]["accuracy"] + 0.1, figures


@pytest.mark.parametrize("key", [m.key for m in VQA_MODELS])
def test_each_checkpoint_carries_the_figures_the_page_shows(measured, key):
    ck, figures = measured[key]
    assert ck.kind == "vqa" and ck.model.config.model == key
    names = ["accuracy", "non_relational", "relational", *(f"acc_{kind}" for kind in KINDS)]
    if key == "attention":
        names += ["hop1_pointing", "hop2_pointing"]
    for name in names:
        assert ck.metrics[name] == pytest.approx(figures[name], abs=1e-3), name


def test_the_attention_model_on_the_user_style_scenes():
    """The same held-out scenes drawn in the held-out user styles (core.vision.styles, family "test"): issue 16's bars,
    ≥ 97% on non-relational and ≥ 93% on relational questions (measured: 99.8% and 99.1%, trained on 10,000 plain and
    10,000 styled scenes; 97.1% and 91.9% when it trained on plain scenes only)."""
    from core.vision.train_vqa import user_style_vqa

    attention = next(m for m in VQA_MODELS if m.key == "attention")
    figures = user_style_vqa(load_checkpoint(attention.path).model, 1000, ROOT / ".cache")
    assert figures["non_relational"] >= 0.97 and figures["relational"] >= 0.93, figures
    assert load_checkpoint(attention.path).metrics["user_relational"] == pytest.approx(figures["relational"], abs=1e-3)
