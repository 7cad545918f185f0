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


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_the_fused_record_equals_the_hand_written_cells(cell, layers):
    """What the views run (`record`, from the fused layers) is the readable reference (`forward_cells`): every
    hidden state, cell state and gate of every layer and step, and the scores."""
    torch.manual_seed(layers)
    model = CharRNN(CharConfig(vocab_size=12, cell=cell, hidden_size=10, num_layers=layers, embed_size=5)).eval()
    idx = torch.randint(0, 12, (3, 40))
    with torch.no_grad():
        ref_scores, _, ref = model.forward_cells(idx)
        scores, rec = model.record(idx)
    assert torch.allclose(scores, ref_scores, atol=1e-5)
    assert rec.h.shape == ref.h.shape == (layers, 3, 40, 10) and torch.allclose(rec.h, ref.h, atol=1e-5)
    assert (rec.c is None) == (ref.c is None) and (rec.c is None or torch.allclose(rec.c, ref.c, atol=1e-5))
    assert rec.gates.keys() == ref.gates.keys()
    for name in ref.gates:
        assert torch.allclose(rec.gates[name], ref.gates[name], atol=1e-5), name


def test_the_fused_record_equals_the_hand_written_cells_on_a_shipped_model_over_2000_characters():
    from core.charlm.corpus import held_out_slice
    from core.charlm.shipped import SHIPPED
    from core.charlm.vocab import Vocab
    from core.checkpoints import load_checkpoint

    ck = load_checkpoint(SHIPPED[0].path)
    idx = Vocab(ck.vocab).encode(held_out_slice()[:2000])[None]
    with torch.inference_mode():
        ref_scores, _, ref = ck.model.forward_cells(idx)
        scores, rec = ck.model.record(idx)
    assert torch.allclose(scores, ref_scores, atol=1e-3)
    scale = ref.c.abs().max()  # the cell state can grow large: compare relative to its range
    assert torch.allclose(rec.h, ref.h, atol=1e-4) and torch.allclose(rec.c / scale, ref.c / scale, atol=1e-5)
    assert all(torch.allclose(rec.gates[n], ref.gates[n], atol=1e-4) for n in ref.gates)


@pytest.mark.parametrize("steps", [1, 63, 64, 65, 130])
@pytest.mark.parametrize("block", [4, 64])
def test_the_blocked_cell_state_scan_equals_the_step_by_step_recurrence(steps, block):
    from core.charlm.loops import cell_states

    g = torch.Generator().manual_seed(steps * block)
    forget, written = torch.rand(2, steps, 5, generator=g), torch.randn(2, steps, 5, generator=g)
    c0 = torch.randn(2, 5, generator=g)
    c, expected = c0, []
    for t in range(steps):
        c = forget[:, t] * c + written[:, t]
        expected.append(c)
    assert torch.allclose(cell_states(forget, written, c0, block), torch.stack(expected, 1), atol=1e-5)
