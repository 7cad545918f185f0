"""The app's one device choice: RNN_LAB_DEVICE (auto|cpu|cuda|cuda:N; default auto), read once per server process by
pages/_common.device and passed to core explicitly; the shipped models are moved there when they are loaded."""
import pytest
import torch

from pages._common import device


@pytest.fixture
def fresh_device():
    device.clear()  # read again in this test (st.cache_resource keeps one value per process)
    yield
    device.clear()


@pytest.mark.parametrize("setting", [None, "", "auto", "cpu", " CPU "])
def test_the_app_runs_its_models_where_rnn_lab_device_says(setting, monkeypatch, fresh_device):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # as in CI, also on a machine with a GPU
    if setting is None:
        monkeypatch.delenv("RNN_LAB_DEVICE", raising=False)
    else:
        monkeypatch.setenv("RNN_LAB_DEVICE", setting)
    assert device() == torch.device("cpu")


def test_auto_is_the_gpu_when_there_is_one(monkeypatch, fresh_device):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.delenv("RNN_LAB_DEVICE", raising=False)
    assert device() == torch.device("cuda")


@pytest.mark.parametrize("setting, problem", [("cuda", "no CUDA GPU"), ("tpu", "unknown device")])
def test_a_device_the_server_cannot_use_is_said_in_words(setting, problem, monkeypatch, fresh_device):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("RNN_LAB_DEVICE", setting)
    with pytest.raises(ValueError, match=problem):
        device()


def test_a_shipped_model_is_loaded_onto_the_servers_device(monkeypatch, fresh_device):
    from core.charlm.shipped import available_models
    from pages._models import shipped_checkpoint

    if not available_models():
        pytest.skip("no shipped character model in this checkout")
    monkeypatch.setenv("RNN_LAB_DEVICE", "cpu")
    ck = shipped_checkpoint(str(available_models()[0].path))
    assert {p.device for p in ck.model.parameters()} == {torch.device("cpu")}
