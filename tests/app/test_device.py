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


def test_a_shipped_model_is_moved_to_the_servers_device_when_it_is_loaded(monkeypatch):
    """With the server's device replaced by the meta device (no GPU needed), the loaded model is on it: the move
    really happens (on the CPU it would be invisible)."""
    import pages._models as models
    from core.charlm.shipped import available_models

    if not available_models():
        pytest.skip("no shipped character model in this checkout")
    monkeypatch.setattr(models, "device", lambda: torch.device("meta"))
    models.shipped_checkpoint.clear()
    try:
        ck = models.shipped_checkpoint(str(available_models()[0].path))
        assert {p.device for p in ck.model.parameters()} == {torch.device("meta")}
    finally:
        models.shipped_checkpoint.clear()  # the other tests load it again, onto the CPU


def test_a_device_setting_the_server_cannot_use_stops_every_page_with_a_message(monkeypatch, fresh_device):
    from tests.app.helpers import open_page

    monkeypatch.setenv("RNN_LAB_DEVICE", "tpu")
    at = open_page("pages/sampling.py")
    assert not at.exception
    assert any("RNN_LAB_DEVICE is set wrong" in e.value and "unknown device 'tpu'" in e.value for e in at.error)
