"""Sampling: seeded, argmax at temperature 0, the same noise at every temperature, filters."""
import pytest
import torch

from core.charlm.model import CharConfig, CharRNN
from core.charlm.sample import entropy, filter_logits, repetition_score, sample
from core.charlm.vocab import Vocab

VOCAB = Vocab(tuple("abcdefghij"))


def model(seed=0):
    torch.manual_seed(seed)
    return CharRNN(CharConfig(vocab_size=10, cell="lstm", hidden_size=16, embed_size=6))


def test_same_seed_same_sample_and_different_seeds_differ():
    m = model()
    a = sample(m, VOCAB, "abc", 40, (1.0,), seed=3)
    assert a.text() == sample(m, VOCAB, "abc", 40, (1.0,), seed=3).text()
    assert len({sample(m, VOCAB, "abc", 40, (1.0,), seed=s).text() for s in range(5)}) > 1
    assert a.probs.shape == (1, 40, 10) and torch.allclose(a.probs.sum(-1), torch.ones(1, 40))


def test_temperature_zero_is_greedy_decoding():
    m = model(1)
    result = sample(m, VOCAB, "ab", 15, (0.0,), seed=9)
    text = "ab"
    for _ in range(15):
        logits, _ = m(VOCAB.encode(text).unsqueeze(0))
        text += VOCAB.decode([logits[0, -1].argmax()])
    assert result.text() == text[2:]


def test_rows_share_noise_so_tiny_temperatures_equal_argmax_and_batching_changes_nothing():
    m = model(2)
    temps = (0.0, 1e-3, 0.7, 1.5)
    batched = sample(m, VOCAB, "hij", 30, temps, seed=4)
    assert batched.text(0) == batched.text(1)
    for row, t in enumerate(temps):
        assert batched.text(row) == sample(m, VOCAB, "hij", 30, (t,), seed=4).text()


def test_entropy_of_the_sampled_distribution_rises_with_temperature():
    m = model(3)
    result = sample(m, VOCAB, "a", 1, (0.25, 0.5, 1.0, 2.0, 4.0), seed=0)
    h = entropy(result.probs[:, 0]).tolist()
    assert h == sorted(h) and h[-1] > h[0]


def test_top_k_and_top_p_keep_only_the_head_of_the_distribution():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    assert torch.isinf(filter_logits(logits, top_k=2)).tolist() == [[False, False, True, True]]
    assert torch.isinf(filter_logits(logits, top_p=0.7)).tolist() == [[False, False, True, True]]
    assert torch.isinf(filter_logits(logits, top_p=0.85)).tolist() == [[False, False, False, True]]
    assert torch.isinf(filter_logits(logits, top_p=0.01)).tolist() == [[False, True, True, True]]
    m = model(4)
    result = sample(m, VOCAB, "abc", 50, (1.0,), seed=1, top_k=1)
    assert result.text() == sample(m, VOCAB, "abc", 50, (0.0,)).text()


def test_bad_arguments_get_messages():
    m = model()
    with pytest.raises(ValueError, match="does not know the characters 'z'"):
        sample(m, VOCAB, "abz", 5)
    with pytest.raises(ValueError, match="empty"):
        sample(m, VOCAB, "", 5)
    with pytest.raises(ValueError, match="temperatures"):
        sample(m, VOCAB, "a", 5, (-1.0,))


def test_repetition_score_flags_loops():
    assert repetition_score("the cat sat on the mat " * 10) > 0.8
    assert repetition_score("abcdefghijklmnopqrstuvwxyz0123456789") == 0.0


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_the_stepper_equals_the_fused_model(cell):
    from core.charlm.sample import Stepper

    torch.manual_seed(5)
    m = CharRNN(CharConfig(vocab_size=10, cell=cell, hidden_size=12, num_layers=2, embed_size=5))
    x = torch.randint(0, 10, (3, 8))
    fused, _ = m(x)
    step = Stepper(m)
    state = step.state_from(m.init_state(3))
    with torch.no_grad():
        by_step = torch.stack([step(x[:, t], state) for t in range(8)], dim=1)
    assert torch.allclose(fused, by_step, atol=1e-5)


def test_sampled_characters_follow_the_model_softmax():
    m = model(6)
    draws = [sample(m, VOCAB, "abc", 1, (1.0,), seed=s) for s in range(800)]
    freq = torch.bincount(torch.stack([d.chosen[0, 0] for d in draws]), minlength=10).float() / 800
    assert torch.allclose(freq, draws[0].probs[0, 0], atol=0.05)
