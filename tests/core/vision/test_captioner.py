"""Captioners: shapes, the attention is a distribution, each loss term behaves, and a small model learns."""
import pytest
import torch

from core.vision.captioner import (CaptionConfig, Captioner, caption_loss, greedy_caption, locations,
                                   pointing_accuracy)
from core.vision.dataset import GRID, MAX_TOKENS, encode_caption
from core.vision.shapes import VOCAB


def batch(b: int = 3):
    g = torch.Generator().manual_seed(0)
    mid = torch.randn(b, 112, GRID, GRID, generator=g)
    pooled = torch.randn(b, 1280, generator=g)
    tokens = torch.tensor([encode_caption("a large red circle".split())] * b)
    return mid, pooled, tokens


def test_locations_append_coordinates():
    v = locations(torch.zeros(2, 112, GRID, GRID))
    assert v.shape == (2, GRID * GRID, 114)
    assert v[0, 0, -2:].tolist() == [-1.0, -1.0] and v[0, -1, -2:].tolist() == [1.0, 1.0]  # top-left, bottom-right


@pytest.mark.parametrize("attention", ["none", "soft", "hard"])
def test_forward_shapes_and_attention_is_a_distribution(attention):
    torch.manual_seed(0)
    model = Captioner(CaptionConfig(attention=attention, hidden=32, embed=8, attend=16))
    mid, pooled, tokens = batch()
    logits, alphas, chosen = model(mid, pooled, tokens)
    assert logits.shape == (3, MAX_TOKENS - 1, len(VOCAB))
    if attention == "none":
        assert alphas is None and chosen is None
    else:
        assert alphas.shape == (3, MAX_TOKENS - 1, GRID * GRID)
        assert torch.allclose(alphas.sum(-1), torch.ones(3, MAX_TOKENS - 1), atol=1e-5)
        assert (chosen is None) == (attention == "soft")
    parts = caption_loss(model, mid, pooled, tokens)
    parts.total.backward()
    assert all(p.grad is not None for name, p in model.named_parameters() if not name.startswith("init_")
               or attention == "none")


def test_pointing_accuracy_counts_only_words_that_name_objects():
    alphas = torch.zeros(1, 3, 4)
    alphas[0, 0, 1] = alphas[0, 1, 2] = alphas[0, 2, 0] = 1.0  # looks at cells 1, 2, 0
    cells = torch.zeros(1, 5, 4, dtype=torch.bool)
    cells[0, 0, 1] = True  # word 0 names an object on cell 1: hit
    cells[0, 1, 3] = True  # word 1 names an object on cell 3: miss
    assert pointing_accuracy(alphas, cells) == (0.5, 2)  # word 2 names nothing


@pytest.mark.parametrize("attention", ["none", "soft", "hard"])
def test_a_small_model_learns_two_fixed_captions(attention):
    """Two 'images' (constant feature maps) with two captions: every model must tell them apart."""
    torch.manual_seed(0)
    model = Captioner(CaptionConfig(attention=attention, hidden=32, embed=8, attend=16))
    mid = torch.stack([torch.full((112, GRID, GRID), 1.0), torch.full((112, GRID, GRID), -1.0)])
    pooled = torch.stack([torch.full((1280,), 1.0), torch.full((1280,), -1.0)])
    captions = ["a large red circle".split(), "a small blue square above a large green triangle".split()]
    tokens = torch.tensor([encode_caption(c) for c in captions])
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(1)
    baseline = 0.0
    for _ in range(150):
        parts = caption_loss(model, mid, pooled, tokens, baseline=baseline, generator=g)
        opt.zero_grad()
        parts.total.backward()
        opt.step()
        baseline = 0.9 * baseline + 0.1 * parts.reward
    ids, alphas = greedy_caption(model, mid, pooled)
    assert [[VOCAB[i] for i in row] for row in ids] == captions
    assert model.training, "greedy decoding puts the model back in training mode"
