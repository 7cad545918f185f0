"""Captioners: shapes, the attention is a distribution, each loss term behaves, and a small model learns."""
import pytest
import torch

from core.vision.captioner import (
    FEATURE_SIZE,
    CaptionConfig,
    Captioner,
    Reinforce,
    advantages,
    beam_caption,
    caption_loss,
    locations,
    pointing_accuracy,
    sample_caption,
)
from core.vision.dataset import GRID, MAX_TOKENS, encode_caption
from core.vision.shapes import VOCAB


def batch(b: int = 3):
    g = torch.Generator().manual_seed(0)
    mid = torch.randn(b, FEATURE_SIZE, GRID, GRID, generator=g)
    pooled = torch.randn(b, 1280, generator=g)
    tokens = torch.tensor([encode_caption("a large red circle".split())] * b)
    return mid, pooled, tokens


def test_locations_append_coordinates():
    v = locations(torch.zeros(2, FEATURE_SIZE, GRID, GRID))
    assert v.shape == (2, GRID * GRID, FEATURE_SIZE + 2)
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
    mid = torch.stack([torch.full((FEATURE_SIZE, GRID, GRID), 1.0), torch.full((FEATURE_SIZE, GRID, GRID), -1.0)])
    pooled = torch.stack([torch.full((1280,), 1.0), torch.full((1280,), -1.0)])
    captions = ["a large red circle".split(), "a small blue square above a large green triangle".split()]
    tokens = torch.tensor([encode_caption(c) for c in captions])
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(1)
    baseline = 0.0
    for _ in range(300):
        parts = caption_loss(model, mid, pooled, tokens, baseline=baseline, generator=g)
        opt.zero_grad()
        parts.total.backward()
        opt.step()
        baseline = 0.9 * baseline + 0.1 * parts.reward
    ids, alphas, _ = sample_caption(model, mid, pooled)
    assert [[VOCAB[i] for i in row] for row in ids] == captions
    assert model.training, "greedy decoding puts the model back in training mode"


def trained_toy_model():
    """The two-caption toy, trained as in the test above (soft attention)."""
    torch.manual_seed(0)
    model = Captioner(CaptionConfig(attention="soft", hidden=32, embed=8, attend=16))
    mid = torch.stack([torch.full((FEATURE_SIZE, GRID, GRID), 1.0), torch.full((FEATURE_SIZE, GRID, GRID), -1.0)])
    pooled = torch.stack([torch.full((1280,), 1.0), torch.full((1280,), -1.0)])
    tokens = torch.tensor([encode_caption(c.split()) for c in ("a large red circle",
                                                               "a small blue square above a large green triangle")])
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(300):
        parts = caption_loss(model, mid, pooled, tokens)
        opt.zero_grad()
        parts.total.backward()
        opt.step()
    return model, mid, pooled, tokens


def test_sampling_is_seeded_and_temperature_zero_is_greedy():
    torch.manual_seed(3)
    model = Captioner(CaptionConfig(attention="soft", hidden=16, embed=8, attend=8))
    mid, pooled, _ = batch(2)
    greedy, _, _ = sample_caption(model, mid, pooled, temperature=0.0, seed=1)
    assert sample_caption(model, mid, pooled, temperature=0.0, seed=99)[0] == greedy
    hot = [sample_caption(model, mid, pooled, temperature=1.5, seed=s, max_len=8)[0] for s in (1, 1, 2)]
    assert hot[0] == hot[1] and hot[0] != hot[2]


def test_beam_search_scores_are_the_captions_log_probabilities():
    model, mid, pooled, tokens = trained_toy_model()
    beams = beam_caption(model, mid[:1], pooled[:1], beam=3)
    assert 1 <= len(beams) <= 3 and all(a.log_prob >= b.log_prob for a, b in zip(beams, beams[1:]))
    best = beams[0]
    assert best.ended and [VOCAB[i] for i in best.ids] == "a large red circle".split()
    ids = torch.tensor([[VOCAB.index("<start>"), *best.ids, VOCAB.index("<end>")]])
    with torch.no_grad():
        logits, alphas, _ = model.eval()(mid[:1], pooled[:1], ids)
    expected = torch.log_softmax(logits, -1)[0].gather(1, ids[0, 1:, None]).sum()
    assert best.log_prob == pytest.approx(float(expected), abs=1e-4)
    assert torch.allclose(best.alphas, alphas[0], atol=1e-6)
    assert beam_caption(model, mid[:1], pooled[:1], beam=1)[0].ids == sample_caption(model, mid[:1], pooled[:1])[0][0]


def test_beams_that_never_end_stop_at_the_length_limit():
    torch.manual_seed(5)
    model = Captioner(CaptionConfig(attention="none", hidden=16, embed=8))
    mid, pooled, _ = batch(1)
    beams = beam_caption(model, mid, pooled, beam=2, max_len=3)
    assert len(beams) == 2 and not any(b.ended for b in beams)  # an untrained model does not say <end> here
    assert all(len(b.ids) == 3 and b.alphas is None for b in beams)


def test_hard_attention_looks_at_the_likeliest_place_unless_asked_to_sample():
    torch.manual_seed(4)
    model = Captioner(CaptionConfig(attention="hard", hidden=16, embed=8, attend=8)).eval()
    mid, pooled, _ = batch(2)
    ids, alphas, chosen = sample_caption(model, mid, pooled, max_len=6)
    assert chosen.shape == alphas.shape[:2] and torch.equal(chosen, alphas.argmax(-1))
    draws = [sample_caption(model, mid, pooled, max_len=6, location_seed=s)[2] for s in (1, 1, 2)]
    assert torch.equal(draws[0], draws[1]) and not torch.equal(draws[0], draws[2])
    assert all(not torch.equal(d, chosen) for d in draws)  # 196 places: samples are not the argmax
    soft = Captioner(CaptionConfig(attention="soft", hidden=16, embed=8, attend=8))
    assert sample_caption(soft, mid, pooled, max_len=3)[2] is None  # soft attention chooses no single place


def test_where_to_look_comes_from_the_deep_channels_and_what_is_read_from_all():
    from core.vision.captioner import DEEP_CHANNELS

    torch.manual_seed(6)
    model = Captioner(CaptionConfig(attention="soft", hidden=16, embed=8, attend=8)).eval()
    mid, pooled, tokens = batch(1)
    shallow = mid.clone()
    shallow[:, DEEP_CHANNELS:] += 3.0  # only the shallow (colour) channels change
    deep = mid.clone()
    deep[:, :DEEP_CHANNELS] += 3.0
    with torch.no_grad():
        logits, alphas, _ = model(mid, pooled, tokens)
        logits_s, alphas_s, _ = model(shallow, pooled, tokens)
        _, alphas_d, _ = model(deep, pooled, tokens)
    assert torch.allclose(alphas[:, 0], alphas_s[:, 0]) and not torch.allclose(logits[:, 0], logits_s[:, 0])
    assert not torch.allclose(alphas[:, 0], alphas_d[:, 0])
    with pytest.raises(ValueError, match="key_channels"):
        CaptionConfig(key_channels=FEATURE_SIZE + 1)


def test_the_sharpening_term_adds_the_attention_entropy_to_the_loss():
    torch.manual_seed(7)
    model = Captioner(CaptionConfig(attention="soft", hidden=16, embed=8, attend=8))
    mid, pooled, tokens = batch(2)
    plain = caption_loss(model, mid, pooled, tokens, penalty_weight=0.0)
    sharp = caption_loss(model, mid, pooled, tokens, penalty_weight=0.0, sharpen_weight=0.5)
    _, alphas, _ = model(mid, pooled, tokens)
    mask = (tokens[:, 1:] != VOCAB.index("<pad>")).float()
    entropy = (-(alphas * alphas.log()).sum(-1) * mask).sum() / mask.sum()
    assert float((sharp.total - plain.total).detach()) == pytest.approx(0.5 * float(entropy.detach()), rel=1e-4)


@pytest.mark.parametrize("attention", ["soft", "hard"])
def test_feeding_the_place_keeps_what_was_read_out_of_the_lstm(attention):
    """feed="place": the LSTM reads only where the model looked; what was there reaches the word scores alone.
    Changing the shallow channels (not used for choosing where to look) changes this step's scores but not the
    state the next step starts from; with feed="context" (the paper) it changes both."""
    from core.vision.captioner import DEEP_CHANNELS

    mid, pooled, tokens = batch(1)
    other = mid.clone()
    other[:, DEEP_CHANNELS:] += 3.0
    for feed in ("place", "context"):
        torch.manual_seed(8)
        model = Captioner(CaptionConfig(attention=attention, hidden=16, embed=8, attend=8, feed=feed)).eval()
        with torch.no_grad():
            steps = []
            for m in (mid, other):
                v, pv, state = model.start(m, pooled)
                steps.append(model.step(tokens[:, 0], v, pv, state))
        assert not torch.allclose(steps[0].logits, steps[1].logits)
        same_state = torch.allclose(steps[0].state[0], steps[1].state[0])
        assert same_state == (feed == "place"), feed
    with pytest.raises(ValueError, match="feed"):
        CaptionConfig(feed="everything")


@pytest.mark.parametrize("attention, feed", [("none", "context"), ("soft", "context"), ("soft", "place"),
                                             ("hard", "context")])
def test_the_compiled_loops_compute_what_the_step_computes_word_by_word(attention, feed):
    """forward (teacher forcing) and sample_caption each run their loop as one TorchScript call; driving
    Captioner.step word by word from Python must give the same numbers and words."""
    from core.sampling import gumbel_noise, pick_next

    torch.manual_seed(3)
    model = Captioner(CaptionConfig(attention=attention, hidden=32, embed=8, attend=16, feed=feed)).eval()
    mid, pooled, tokens = batch(2)
    with torch.no_grad():
        logits, alphas, _ = model(mid, pooled, tokens)
        v, pv, state = model.start(mid, pooled)
        for t in range(tokens.shape[1] - 1):
            s = model.step(tokens[:, t], v, pv, state)
            state = s.state
            assert torch.equal(s.logits, logits[:, t])
            assert s.alpha is None if alphas is None else torch.equal(s.alpha, alphas[:, t])
        ids, _, _ = sample_caption(model, mid, pooled, temperature=0.7, seed=4, max_len=12)
        noise = gumbel_noise((12, 2, model.config.vocab_size), 4, dtype=torch.float32)
        v, pv, state = model.start(mid, pooled)
        word, by_step = torch.full((2,), VOCAB.index("<start>")), []
        for t in range(12):
            s = model.step(word, v, pv, state)
            state, word = s.state, pick_next(s.logits, 0.7, noise[t])
            by_step.append(word.tolist())
    end = VOCAB.index("<end>")
    for row, got in enumerate(ids):
        said = [w[row] for w in by_step]
        assert got == (said[: said.index(end)] if end in said else said)


def test_the_leave_one_out_advantage_compares_each_sample_with_the_others_of_its_caption():
    rewards = torch.tensor([[1.0, 0.0], [2.0, 0.0], [6.0, 3.0],  # caption 1: three samples, two words each
                            [-1.0, 5.0], [-1.0, 5.0], [-1.0, 5.0]])  # caption 2: three equal samples
    adv = advantages(rewards, 3)
    assert torch.allclose(adv[0], torch.tensor([1.0 - 4.0, 0.0 - 1.5]))  # minus the mean of rows 1 and 2
    assert torch.allclose(adv.reshape(2, 3, 2).sum(1), torch.zeros(2, 2))  # each caption's advantages sum to 0
    assert torch.equal(adv[3:], torch.zeros(3, 2))  # samples that did equally well teach nothing
    assert torch.equal(advantages(rewards, 1, baseline=0.5), rewards - 0.5)  # one sample: the moving average


def test_an_expected_context_update_is_the_soft_models_loss_with_the_same_weights():
    torch.manual_seed(4)
    hard = Captioner(CaptionConfig(attention="hard", hidden=16, embed=8, attend=8, feed="place")).train()
    soft = Captioner(CaptionConfig(attention="soft", hidden=16, embed=8, attend=8, feed="place")).train()
    soft.load_state_dict(hard.state_dict())
    mid, pooled = torch.randn(2, FEATURE_SIZE, GRID, GRID), torch.randn(2, 1280)
    tokens = torch.tensor([encode_caption("a large red circle".split())] * 2)
    expected = caption_loss(hard, mid, pooled, tokens, generator=torch.Generator().manual_seed(0),
                            reinforce=Reinforce(expected=True))
    assert torch.allclose(expected.total, caption_loss(soft, mid, pooled, tokens, penalty_weight=0.0).total)
    assert expected.reward == 0.0  # nothing was sampled, so nothing is rewarded


def test_a_reward_per_word_is_each_words_log_probability_and_several_samples_share_one_caption():
    torch.manual_seed(5)
    model = Captioner(CaptionConfig(attention="hard", hidden=16, embed=8, attend=8)).train()
    mid, pooled = torch.randn(2, FEATURE_SIZE, GRID, GRID), torch.randn(2, 1280)
    tokens = torch.tensor([encode_caption(c.split()) for c in ("a large red circle", "a small blue square")])
    per_word = caption_loss(model, mid, pooled, tokens, generator=torch.Generator().manual_seed(0),
                            reinforce=Reinforce(word_reward=True))
    assert per_word.reward == pytest.approx(-per_word.nll, rel=1e-5)  # the mean word log-likelihood
    per_caption = caption_loss(model, mid, pooled, tokens, generator=torch.Generator().manual_seed(0))
    assert per_caption.reward == pytest.approx(-per_caption.nll * 5, rel=1e-5)  # 5 targets each: 4 words and <end>
    several = caption_loss(model, mid, pooled, tokens, generator=torch.Generator().manual_seed(0),
                           reinforce=Reinforce(samples=4))
    several.total.backward()  # four sampled readings of each caption, one loss
    assert all(p.grad is not None for p in model.att_w.parameters())


def test_an_image_state_starts_the_memory_from_the_pooled_vector_and_a_warm_start_begins_as_the_model_it_took():
    """image_state: an attention model's h_0 and c_0 come from the pooled vector (zeros without it), so two images
    with the same grid but different pooled vectors start differently. A hard model with it, warm-started from a soft
    one without it, begins with zero weights into h_0 and c_0: at first it scores every caption exactly as the soft
    model does with the expected context; training then learns what the pooled vector adds."""
    mid, pooled, tokens = batch(2)
    torch.manual_seed(3)
    soft = Captioner(CaptionConfig(attention="soft", hidden=16, embed=8, attend=8, feed="place"))
    hard = Captioner(CaptionConfig(attention="hard", hidden=16, embed=8, attend=8, feed="place", image_state=True))
    for model in (soft, hard):
        starts = [model.start(mid, p)[2][0] for p in (pooled, -pooled)]
        assert torch.equal(starts[0], starts[1]) == (model is soft)
        assert bool(starts[0].abs().sum() == 0) == (model is soft)
    hard.start_from(soft)
    with torch.no_grad():
        assert float(hard.init_h.weight.abs().sum() + hard.init_c.bias.abs().sum()) == 0.0
        assert torch.equal(hard(mid, pooled, tokens, expected=True)[0], soft(mid, pooled, tokens)[0])
