"""Thread and device settings."""
import torch

from core.runtime import available_cores, configure_torch, freeze_startup_objects, import_everything, pick_device


def test_configure_torch_uses_at_most_the_available_cores():
    before = torch.get_num_threads()
    try:
        assert configure_torch(max_threads=1) == 1 and torch.get_num_threads() == 1
        n = configure_torch()
        assert n == available_cores() == torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


def test_a_deployment_can_cap_the_threads_from_the_environment(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("RNN_LAB_TORCH_THREADS", "1")
        assert configure_torch() == 1 and torch.get_num_threads() == 1
        assert configure_torch(max_threads=available_cores()) == available_cores()  # an explicit cap wins
        monkeypatch.setenv("RNN_LAB_TORCH_THREADS", "many")  # not a number: ignored, one per core
        assert configure_torch() == available_cores()
    finally:
        torch.set_num_threads(before)


def test_a_server_uses_one_thread_unless_the_deployment_says_otherwise(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("RNN_LAB_TORCH_THREADS", raising=False)
        assert configure_torch(serving=True) == 1 and torch.get_num_threads() == 1
        monkeypatch.setenv("RNN_LAB_TORCH_THREADS", str(available_cores()))
        assert configure_torch(serving=True) == available_cores()
    finally:
        torch.set_num_threads(before)


def test_freezing_the_startup_objects_takes_them_out_of_the_collectors_sight():
    import gc

    try:
        frozen = freeze_startup_objects()
        assert frozen > 1000 and gc.get_freeze_count() == frozen
        gc.collect()  # later garbage is still collected
    finally:
        gc.unfreeze()


def test_pick_device_is_cuda_only_when_present(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device() == torch.device("cuda")


def test_everything_the_pages_use_is_imported_up_front():
    import sys

    names = import_everything()
    assert {"core.vision.vqa", "core.charlm.analysis", "core.plots.vision", "core.gradients.flow"} <= set(names)
    assert all(name in sys.modules for name in [*names, "pandas", "plotly.graph_objects"])
