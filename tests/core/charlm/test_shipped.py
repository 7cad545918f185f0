"""Quality of the shipped checkpoints, evaluated on held-out text in seconds (no retraining)."""
import functools

import pytest

from core.charlm.corpus import held_out_slice, load_corpus
from core.charlm.shipped import SHIPPED
from core.charlm.train import evaluate
from core.charlm.vocab import Vocab
from core.checkpoints import load_checkpoint


@functools.cache
def held_out(corpus: str) -> str:
    """Fixed held-out text: 40,000 characters from the middle of each of the four held-out plays, or the
    first 60,000 characters of the held-out Python modules."""
    return held_out_slice() if corpus == "shakespeare" else load_corpus(corpus).val[:60_000]


@functools.cache
def slice_loss(key: str):
    model = next(m for m in SHIPPED if m.key == key)
    assert model.path.exists(), f"{model.path.name} is missing from assets/: run assets/reproduce.sh"
    ck = load_checkpoint(model.path)
    return ck, evaluate(ck.model, Vocab(ck.vocab).encode(held_out(model.corpus)))


def test_shakespeare_lstm_scores_at_most_1_40_nats_per_char_on_held_out_plays():
    ck, loss = slice_loss("shakespeare-lstm")
    assert loss <= 1.40, f"held-out slice: {loss:.4f} nats/char"
    assert ck.metrics["val_loss"] <= 1.40 and ck.metrics["corpus"] == "shakespeare"  # on all four plays


def test_vanilla_rnn_is_measured_and_worse_than_the_lstm():
    _, lstm = slice_loss("shakespeare-lstm")
    ck, rnn = slice_loss("shakespeare-rnn")
    assert ck.model.config.cell == "rnn" and ck.model.config.hidden_size == 512
    assert lstm < rnn < 2.5 and abs(ck.metrics["val_loss"] - rnn) < 0.1


def test_python_lstm_has_learned_code():
    ck, loss = slice_loss("python-lstm")
    assert loss < 1.6 and ck.metrics["corpus"] == "python"


@pytest.mark.parametrize("model", SHIPPED, ids=lambda m: m.key)
def test_every_shipped_checkpoint_records_how_it_was_made(model):
    ck = load_checkpoint(model.path)
    assert ck.train_config["corpus"] == model.corpus and ck.metrics["steps"] == ck.train_config["max_steps"]


@pytest.mark.parametrize("key, kinds, start", [("shakespeare-lstm", ("all", "prose"), 0),
                                               ("python-lstm", ("all", "code"), 30_000)])
def test_the_finder_reports_a_unit_that_follows_a_feature_on_held_out_text(key, kinds, start):
    from core.charlm.analysis import analyse, find_units, prepare_text

    ck, _ = slice_loss(key)
    text = held_out(next(m for m in SHIPPED if m.key == key).corpus)[start: start + 2000]
    best = find_units(analyse(ck.model, Vocab(ck.vocab), prepare_text(text, Vocab(ck.vocab))), kinds)[0]
    assert abs(best.r) >= 0.6, best
