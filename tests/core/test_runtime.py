"""Thread and device settings."""
import torch

from core.runtime import available_cores, configure_torch, pick_device


def test_configure_torch_uses_at_most_the_available_cores():
    before = torch.get_num_threads()
    try:
        assert configure_torch(max_threads=1) == 1 and torch.get_num_threads() == 1
        n = configure_torch()
        assert n == available_cores() == torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


def test_pick_device_is_cuda_only_when_present(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device() == torch.device("cuda")
