"""Sampling: seeded, argmax at temperature 0, the same noise at every temperature, filters."""
import json

import pytest
import torch

from core.charlm.model import CharConfig, CharRNN
from core.charlm.sample import TEMPERATURE_GRID, entropy, filter_logits, grid_row, repetition_score, sample
from core.charlm.vocab import Vocab
from core.plots.charlm import scrub_payload

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


# A distribution far from uniform, every expected count over 5 in 2,000 draws: a sampler that ignored the model would
# give chi-square ~ 2,000 against it.
PEAKED = torch.tensor([0.46, 0.2, 0.12, 0.07, 0.05, 0.035, 0.025, 0.02, 0.012, 0.008])
CHI2_9_DOF_99_9 = 27.88  # the 99.9% point of chi-square with 9 degrees of freedom


def test_sampled_characters_follow_the_model_softmax():
    """A model whose output is PEAKED whatever it reads (head weights zero, bias log p): 2,000 characters drawn in
    one seeded sample are a fixed draw whose counts a chi-square test holds to p."""
    m = model(6)
    with torch.no_grad():
        m.head.weight.zero_()
        m.head.bias.copy_(PEAKED.log() + 1.5)  # softmax ignores the shift; the scores are not the log-probs themselves
    result = sample(m, VOCAB, "abc", 2000, (1.0,), seed=11)
    assert torch.allclose(result.probs[0], PEAKED.expand(2000, 10), atol=1e-5)  # the distribution it drew from
    counts = torch.bincount(result.chosen[0], minlength=10).double()
    expected = 2000 * PEAKED.double()
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < CHI2_9_DOF_99_9, (chi2, counts.tolist())
    uniform = torch.full((10,), 200.0, dtype=torch.float64)  # what a sampler ignoring the model would average
    assert float(((uniform - expected) ** 2 / expected).sum()) > 50 * CHI2_9_DOF_99_9  # the test can tell


def test_the_temperature_grid_gives_the_same_text_at_every_temperature_as_sampling_it_alone():
    """The sampling page samples the whole slider grid in one batch: each row must be exactly what that temperature
    writes alone with the same seed (and top-k / top-p), and a longer sample starts with the shorter one."""
    m = model(3)
    for top_k, top_p in ((None, None), (4, None), (None, 0.8)):
        grid = sample(m, VOCAB, "abc", 60, TEMPERATURE_GRID, seed=11, top_k=top_k, top_p=top_p)
        for row, t in enumerate(TEMPERATURE_GRID):
            alone = sample(m, VOCAB, "abc", 60, (t,), seed=11, top_k=top_k, top_p=top_p)
            assert grid.text(row) == alone.text(), (t, top_k, top_p)
            assert torch.allclose(grid.probs[row], alone.probs[0], atol=1e-5)
    grid = sample(m, VOCAB, "abc", 60, TEMPERATURE_GRID, seed=11)
    longer = sample(m, VOCAB, "abc", 90, TEMPERATURE_GRID, seed=11)
    assert all(longer.text(r)[:60] == grid.text(r) for r in range(len(TEMPERATURE_GRID)))
    assert len({grid.text(r) for r in range(len(TEMPERATURE_GRID))}) > 5


def test_grid_row_snaps_any_temperature_to_the_nearest_slider_value():
    assert (TEMPERATURE_GRID[0] == 0.0 and TEMPERATURE_GRID[-1] == 2.0
            and 0.8 in TEMPERATURE_GRID and 1.5 in TEMPERATURE_GRID)
    assert list(TEMPERATURE_GRID) == sorted(set(TEMPERATURE_GRID))
    assert [TEMPERATURE_GRID[grid_row(t)] for t in (0.8, 0.84, 1.3, 1.4, -5.0, 99.0)] == [0.8, 0.8, 1.25, 1.5, 0.0, 2.0]


def test_the_browser_payload_carries_each_rows_text_raw_with_its_shading():
    m = model(4)
    result = sample(m, VOCAB, "ab", 25, TEMPERATURE_GRID, seed=2)
    payload = scrub_payload(result, seed=2)
    assert payload["grid"] == list(TEMPERATURE_GRID) and payload["prime"] == "ab" and payload["seed"] == 2
    for k, row in enumerate(payload["rows"]):
        assert row["text"] == result.text(k)  # raw text: the browser inserts it as text, so nothing is escaped here
        assert row["p"] == [round(100 * v) for v in result.chosen_probs(k)] and all(0 <= v <= 100 for v in row["e"])
        assert row["repetition"] == round(repetition_score(row["text"]), 2)
    assert set(payload["rows"][0]["p"]) == {100}  # T = 0 is the argmax: every choice had probability 1
    json.dumps(payload)  # plain data


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("top_k, top_p", [(None, None), (3, None), (None, 0.8), (4, 0.9)])
def test_the_compiled_loop_samples_what_a_step_by_step_python_loop_samples(cell, top_k, top_p):
    """sample() runs its loop as one TorchScript call (no GIL); driving the same steps from Python, with
    core.sampling.pick_next and the filter, must choose the same characters from the same scores."""
    from core.charlm.sample import Stepper
    from core.sampling import gumbel_noise, pick_next

    torch.manual_seed(6)
    m = CharRNN(CharConfig(vocab_size=10, cell=cell, hidden_size=12, num_layers=2, embed_size=5)).eval()
    vocab = Vocab(tuple("abcdefghij"))
    temps = (0.0, 0.5, 1.0, 2.0)
    got = sample(m, vocab, "abc", 25, temps, seed=9, top_k=top_k, top_p=top_p)
    with torch.no_grad():
        logits, state = m(vocab.encode("abc").unsqueeze(0).repeat(len(temps), 1))
        stepper, col = Stepper(m), torch.tensor(temps).unsqueeze(1)
        state, last, chosen = stepper.state_from(state), logits[:, -1], []
        for g in gumbel_noise((25, 1, 10), 9, dtype=torch.float32):
            assert torch.allclose(last, got.logits[:, len(chosen)], atol=1e-5)
            if top_k or top_p:
                last = last.masked_fill(torch.isinf(filter_logits(last / col.clamp(min=1e-6), top_k, top_p)),
                                        float("-inf"))
            chosen.append(pick_next(last, col, g))
            last = stepper(chosen[-1], state)
    assert torch.equal(torch.stack(chosen, 1), got.chosen)
