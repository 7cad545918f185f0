"""Gumbel-max picking: exact softmax samples, argmax at temperature 0, the same noise for every temperature."""
import pytest
import torch

from core.sampling import gumbel_noise, pick_next, softmax_with_temperature

LOGITS = torch.tensor([2.0, 1.0, 0.0, -1.0], dtype=torch.float64)


def test_noise_is_deterministic_per_seed():
    assert torch.equal(gumbel_noise((3, 4), 7), gumbel_noise((3, 4), 7))
    assert not torch.equal(gumbel_noise((3, 4), 7), gumbel_noise((3, 4), 8))
    assert torch.isfinite(gumbel_noise((10_000, 4), 0)).all()


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0])
def test_frequencies_match_softmax_at_temperature(temperature):
    n = 40_000
    noise = gumbel_noise((n, 4), seed=1)
    picks = pick_next(LOGITS.expand(n, 4), temperature, noise)
    freq = torch.bincount(picks, minlength=4).double() / n
    assert torch.allclose(freq, softmax_with_temperature(LOGITS, temperature), atol=0.01)


def test_temperature_zero_is_argmax_whatever_the_noise():
    noise = gumbel_noise((100, 4), seed=3) * 10
    assert (pick_next(LOGITS.expand(100, 4), 0.0, noise) == 0).all()
    assert torch.equal(softmax_with_temperature(LOGITS, 0.0), torch.tensor([1.0, 0, 0, 0], dtype=torch.float64))


def test_low_temperature_approaches_argmax_with_the_same_noise():
    noise = gumbel_noise((2_000, 4), seed=4)
    picks = {t: pick_next(LOGITS.expand(2_000, 4), t, noise) for t in (0.01, 1.0)}
    assert (picks[0.01] == 0).float().mean() > 0.999
    assert (picks[1.0] == 0).float().mean() < 0.8


def test_entropy_rises_with_temperature():
    def entropy(p):
        return float(-(p * p.clamp_min(1e-300).log()).sum())

    entropies = [entropy(softmax_with_temperature(LOGITS, t)) for t in (0.25, 0.5, 1.0, 2.0, 4.0)]
    assert entropies == sorted(entropies) and entropies[0] < entropies[-1]


def test_negative_temperature_is_refused():
    with pytest.raises(ValueError, match="temperature"):
        pick_next(LOGITS, -1.0, torch.zeros(4))
    with pytest.raises(ValueError, match="temperature"):
        softmax_with_temperature(LOGITS, -0.1)
