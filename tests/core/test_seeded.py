"""Seeded initial weights from a generator of its own equal torch.manual_seed's, and leave the global one alone."""
import pytest
import torch

from core.charlm.model import CharConfig, CharRNN
from core.seeded import build_seeded
from core.vision.captioner import CaptionConfig, Captioner
from core.vision.vqa import VQAConfig, VQAModel

FACTORIES = {
    "charlm lstm 2 layers": lambda: CharRNN(CharConfig(vocab_size=30, cell="lstm", hidden_size=24, num_layers=2)),
    "charlm gru": lambda: CharRNN(CharConfig(vocab_size=30, cell="gru", hidden_size=16, embed_size=8)),
    "charlm rnn": lambda: CharRNN(CharConfig(vocab_size=30, cell="rnn", hidden_size=16, num_layers=3)),
    "captioner": lambda: Captioner(CaptionConfig()),
    "vqa": lambda: VQAModel(VQAConfig()),
}


@pytest.mark.parametrize("name", list(FACTORIES))
def test_the_same_weights_as_seeding_the_global_generator(name):
    torch.manual_seed(7)
    expected = FACTORIES[name]().state_dict()
    torch.manual_seed(123)
    got_model = build_seeded(FACTORIES[name], 7)
    got = got_model.state_dict()
    after = torch.rand(3)
    torch.manual_seed(123)
    FACTORIES[name]()
    assert torch.equal(after, torch.rand(3)), "the global generator was not reseeded: it went on as usual"
    assert all(torch.equal(a, b) for a, b in zip(got_model.buffers(), FACTORIES[name]().buffers()))
    assert got.keys() == expected.keys()
    assert all(torch.equal(got[k], expected[k]) for k in expected)
    assert not all(torch.equal(got[k], build_seeded(FACTORIES[name], 8).state_dict()[k]) for k in expected)


def test_a_layer_it_does_not_know_is_refused():
    with pytest.raises(TypeError, match="Conv1d"):
        build_seeded(lambda: torch.nn.Conv1d(2, 2, 3), 0)
