"""Training: truncated BPTT carries the state and cuts the gradient, clipping bounds the norm,
divergence stops cleanly, a step updates the parameters, evaluation is the mean loss."""
import math

import pytest
import torch
from torch import nn

from core.charlm.corpus import Corpus
from core.charlm.model import CharConfig, CharRNN
from core.charlm.train import TrainConfig, chunk_loss, evaluate, streams, train
from core.training import clip_gradients

TEXT = "the quick brown fox jumps over the lazy dog. " * 60
SMALL = dict(hidden_size=24, embed_size=8, batch_size=4, chunk_len=16, max_seconds=None, eval_every=10)


def corpus() -> Corpus:
    return Corpus("tiny", TEXT, TEXT[:400], "test text")


def test_streams_are_contiguous_rows():
    x = streams(torch.arange(10), 3)
    assert x.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_state_is_carried_across_chunks(cell):
    torch.manual_seed(0)
    model = CharRNN(CharConfig(vocab_size=5, cell=cell, hidden_size=6, embed_size=3))
    x = torch.randint(0, 5, (2, 21))
    full_logits, full_state = model(x[:, :20])
    _, s1 = chunk_loss(model, x[:, :10], x[:, 1:11], None)
    logits2, _ = model(x[:, 10:20], s1)  # the state at the start of chunk 2 is the state at the end of chunk 1
    assert torch.allclose(logits2, full_logits[:, 10:20], atol=1e-5)


def test_no_gradient_crosses_a_chunk_boundary():
    torch.manual_seed(0)
    model = CharRNN(CharConfig(vocab_size=4, cell="lstm", hidden_size=6, embed_size=3))
    chunk1 = torch.zeros(2, 8, dtype=torch.int64)  # only character 0 appears in chunk 1
    chunk2 = torch.randint(1, 4, (2, 9))  # never character 0
    _, s1 = chunk_loss(model, chunk1, chunk1, None)
    assert not any(t.requires_grad for t in s1)
    loss2, _ = chunk_loss(model, chunk2[:, :8], chunk2[:, 1:], s1)
    loss2.backward()
    assert torch.all(model.embed.weight.grad[0] == 0), "chunk 1's input got gradient from chunk 2's loss"
    # without the cut the gradient does reach chunk 1: the test can tell the difference
    model.zero_grad()
    _, s1_attached = model(chunk1)
    logits, _ = model(chunk2[:, :8], s1_attached)
    nn.functional.cross_entropy(logits.reshape(-1, 4), chunk2[:, 1:].reshape(-1)).backward()
    assert model.embed.weight.grad[0].abs().sum() > 0


@pytest.mark.parametrize("how,limit", [("norm", 0.5), ("value", 0.01)])
def test_clipping_bounds_the_gradient_and_reports_the_norm_before(how, limit):
    torch.manual_seed(0)
    model = CharRNN(CharConfig(vocab_size=5, hidden_size=8, embed_size=4))
    x = torch.randint(0, 5, (3, 12))
    loss, _ = chunk_loss(model, x[:, :-1], x[:, 1:], None)
    (loss * 100).backward()
    before = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters()])).item()
    reported = clip_gradients(model.parameters(), how, limit)
    assert reported == pytest.approx(before, rel=1e-5) and before > limit
    grads = [p.grad for p in model.parameters()]
    if how == "norm":
        assert torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])) <= limit * 1.0001
    else:
        assert max(g.abs().max() for g in grads) <= limit


def test_one_step_updates_every_parameter_and_training_lowers_the_loss():
    cfg = TrainConfig(cell="gru", max_steps=1, **SMALL)
    torch.manual_seed(cfg.seed)
    before = {k: v.clone() for k, v in CharRNN(CharConfig(28, "gru", 24, 1, 8)).state_dict().items()}
    result = train(cfg, corpus())
    after = result.model.state_dict()
    assert len(result.vocab) == 28 and all(not torch.equal(before[k], after[k]) for k in before)
    long = train(TrainConfig(cell="lstm", max_steps=150, lr=1e-2, **SMALL), corpus())
    assert long.status == "finished" and long.history[-1]["val_loss"] < 0.5 * math.log(28)
    assert {"loss", "grad_norm", "lr"} <= set(long.steps[0]) and long.history[0]["val_bits"] > 0


def test_on_step_callback_and_stop_request():
    seen = []
    result = train(TrainConfig(max_steps=50, **SMALL), corpus(), on_step=lambda s, m: seen.append(s),
                   should_stop=lambda: len(seen) >= 3)
    assert seen == [1, 2, 3] and result.status == "stopped"


def test_an_exploding_run_stops_cleanly_with_a_message():
    result = train(TrainConfig(cell="rnn", lr=50.0, clip="none", max_steps=200, **SMALL), corpus())
    assert result.status == "diverged"
    assert "Lower the learning rate" in result.message or "Clip the gradients" in result.message
    assert len(result.steps) < 200


def test_evaluate_is_the_mean_next_character_loss():
    torch.manual_seed(0)
    model = CharRNN(CharConfig(vocab_size=6, hidden_size=8, embed_size=4))
    data = torch.randint(0, 6, (41,))
    x = streams(data, 2)  # (2, 20)
    logits, _ = model(x[:, :-1])
    expected = nn.functional.cross_entropy(logits.reshape(-1, 6), x[:, 1:].reshape(-1)).item()
    assert evaluate(model, data, batch_size=2, chunk_len=7) == pytest.approx(expected, rel=1e-5)


def test_training_can_continue_from_a_model():
    first = train(TrainConfig(max_steps=40, lr=1e-2, **SMALL), corpus())
    before = first.history[-1]["val_loss"]
    more = train(TrainConfig(max_steps=40, lr=3e-3, **SMALL), corpus(), init=(first.model, first.vocab))
    assert more.model is first.model and more.history[-1]["val_loss"] < before
    with pytest.raises(ValueError, match="vocabulary"):
        train(TrainConfig(max_steps=1, **SMALL), Corpus("other", "xyz" * 400, "xyz" * 40, ""),
              init=(first.model, first.vocab))


def test_a_text_too_short_for_the_batch_gets_a_message():
    with pytest.raises(ValueError, match="too short"):
        train(TrainConfig(max_steps=1, **{**SMALL, "chunk_len": 200}), Corpus("s", "abc" * 100, "abc" * 30, ""))
