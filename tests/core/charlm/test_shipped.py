"""Quality of the shipped checkpoints, evaluated on held-out text in seconds (no retraining)."""
import pytest

from core.charlm.corpus import load_corpus
from core.charlm.shipped import SHIPPED
from core.charlm.train import evaluate
from core.charlm.vocab import Vocab
from core.checkpoints import load_checkpoint

SLICE = 150_000  # characters of held-out text: a fixed slice, evaluated in a few seconds


@pytest.fixture(scope="module")
def held_out():
    return {name: load_corpus(name).val[:SLICE] for name in ("shakespeare", "python")}


def slice_loss(key, held_out):
    model = next(m for m in SHIPPED if m.key == key)
    assert model.path.exists(), f"{model.path.name} is missing from assets/: run assets/reproduce.sh"
    ck = load_checkpoint(model.path)
    return ck, evaluate(ck.model, Vocab(ck.vocab).encode(held_out[model.corpus]))


def test_shakespeare_lstm_scores_at_most_1_40_nats_per_char_on_held_out_plays(held_out):
    ck, loss = slice_loss("shakespeare-lstm", held_out)
    assert loss <= 1.40, f"held-out slice: {loss:.4f} nats/char"
    assert ck.metrics["val_loss"] <= 1.40 and ck.metrics["corpus"] == "shakespeare"


def test_vanilla_rnn_is_measured_and_worse_than_the_lstm(held_out):
    _, lstm = slice_loss("shakespeare-lstm", held_out)
    ck, rnn = slice_loss("shakespeare-rnn", held_out)
    assert ck.model.config.cell == "rnn" and ck.model.config.hidden_size == 512
    assert lstm < rnn < 2.5 and abs(ck.metrics["val_loss"] - rnn) < 0.1


def test_python_lstm_has_learned_code(held_out):
    ck, loss = slice_loss("python-lstm", held_out)
    assert loss < 1.6 and ck.metrics["corpus"] == "python"
