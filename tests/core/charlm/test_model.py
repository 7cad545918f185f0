"""Models: the hand-written cells and the fused layers compute the same thing."""
import pytest
import torch

from core.charlm.model import CharConfig, CharRNN


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_hand_written_cells_equal_the_fused_layers(cell, layers):
    torch.manual_seed(0)
    model = CharRNN(CharConfig(vocab_size=11, cell=cell, hidden_size=16, num_layers=layers, embed_size=8))
    idx = torch.randint(0, 11, (3, 9))
    state0 = model.init_state(3)
    fused, fused_state = model(idx, state0)
    hand, hand_state, record = model.forward_cells(idx, state0)
    assert torch.allclose(fused, hand, atol=1e-5)
    for a, b in zip(*(s if isinstance(s, tuple) else (s,) for s in (fused_state, hand_state))):
        assert torch.allclose(a, b, atol=1e-5)
    assert record.h.shape == (layers, 3, 9, 16)
    # the recorded top-layer states are what the read-out sees
    assert torch.allclose(model.head(record.h[-1]), hand, atol=1e-6)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_cells_continue_from_a_given_state(cell):
    torch.manual_seed(1)
    model = CharRNN(CharConfig(vocab_size=7, cell=cell, hidden_size=5, num_layers=2, embed_size=4, dropout=0.3)).eval()
    idx = torch.randint(0, 7, (2, 12))
    full, _ = model(idx)
    _, mid_state = model(idx[:, :5])
    rest, _, _ = model.forward_cells(idx[:, 5:], mid_state)
    assert torch.allclose(full[:, 5:], rest, atol=1e-5)


def test_cells_record_gates():
    torch.manual_seed(1)
    model = CharRNN(CharConfig(vocab_size=7, cell="lstm", hidden_size=5, num_layers=2, embed_size=4))
    idx = torch.randint(0, 7, (2, 12))
    rest, _, record = model.forward_cells(idx[:, 5:])
    assert set(record.gates) == {"input", "forget", "output", "candidate"}
    assert record.c.shape == (2, 2, 7, 5)
    f = record.gates["forget"]
    assert (f > 0).all() and (f < 1).all()
    gru = CharRNN(CharConfig(vocab_size=7, cell="gru", hidden_size=5, embed_size=4))
    assert set(gru.forward_cells(idx)[2].gates) == {"reset", "update", "candidate"}


def test_bad_configs_are_refused():
    with pytest.raises(ValueError, match="cell"):
        CharConfig(vocab_size=5, cell="transformer")
    with pytest.raises(ValueError, match="num_layers"):
        CharConfig(vocab_size=5, num_layers=4)


def test_dropout_acts_only_in_training():
    torch.manual_seed(2)
    model = CharRNN(CharConfig(vocab_size=7, hidden_size=8, num_layers=2, embed_size=4, dropout=0.5))
    idx = torch.randint(0, 7, (2, 6))
    model.train()
    assert not torch.allclose(model(idx)[0], model(idx)[0])
    model.eval()
    assert torch.equal(model(idx)[0], model(idx)[0])
