"""Checkpoints: plain data, atomic writes, and refusal of anything that is not one."""
import io
import os
import pickle
import random
import subprocess
import sys
import time

import pytest
import torch

from core.charlm.model import CharConfig, CharRNN
from core.checkpoints import CheckpointError, checkpoint_bytes, load_checkpoint, save_checkpoint

VOCAB = tuple("abcdefg")


def small_model(seed=0):
    torch.manual_seed(seed)
    return CharRNN(CharConfig(vocab_size=7, cell="gru", hidden_size=6, num_layers=2, embed_size=3))


def test_round_trip_keeps_weights_config_vocab_and_metrics(tmp_path):
    model = small_model()
    save_checkpoint(tmp_path / "m.pt", "charlm", model, VOCAB, {"val_loss": 1.5}, {"lr": 0.003})
    ck = load_checkpoint(tmp_path / "m.pt")
    assert ck.vocab == VOCAB and ck.metrics == {"val_loss": 1.5} and ck.train_config == {"lr": 0.003}
    assert ck.model.config == model.config and not ck.model.training
    x = torch.randint(0, 7, (2, 5))
    assert torch.equal(ck.model(x)[0], model(x)[0])
    assert load_checkpoint(checkpoint_bytes("charlm", model, VOCAB)).model.config == model.config


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_a_pickle_payload_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    (tmp_path / "evil.pt").write_bytes(pickle.dumps({"kind": "charlm", "x": Payload()}))
    with pytest.raises(CheckpointError, match="not a valid RNN Lab checkpoint"):
        load_checkpoint(tmp_path / "evil.pt")
    assert not marker.exists()
    # the same file does run code when unpickled without the guard: the test can tell
    subprocess.run([sys.executable, "-c", f"import pickle; pickle.load(open({str(tmp_path / 'evil.pt')!r}, 'rb'))"],
                   check=False)
    assert marker.exists()


def test_a_torch_file_carrying_code_is_refused_by_name_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    buffer = io.BytesIO()
    torch.save({"kind": "charlm", "config": {}, "vocab": [], "state_dict": {"w": Payload()}, "metrics": {}}, buffer)
    with pytest.raises(CheckpointError, match=r"holds Python objects other than weights .*system.*nothing in the file "
                                              r"was run"):
        load_checkpoint(buffer.getvalue())
    assert not marker.exists()


def test_truncated_files_are_refused_at_every_byte():
    data = checkpoint_bytes("charlm", small_model(), VOCAB)
    for cut in range(len(data)):  # 6,274 cuts, under a second
        with pytest.raises(CheckpointError):
            load_checkpoint(data[:cut])


def test_wrong_contents_are_named(tmp_path):
    torch.save({"hello": 1}, tmp_path / "a.pt")
    with pytest.raises(CheckpointError, match="needs the entries"):
        load_checkpoint(tmp_path / "a.pt")
    good = torch.load(__import__("io").BytesIO(checkpoint_bytes("charlm", small_model(), VOCAB)), weights_only=True)
    torch.save({**good, "kind": "transformer"}, tmp_path / "b.pt")
    with pytest.raises(CheckpointError, match="unknown model kind"):
        load_checkpoint(tmp_path / "b.pt")
    torch.save({**good, "vocab": list("ab")}, tmp_path / "c.pt")
    with pytest.raises(CheckpointError, match="vocabulary"):
        load_checkpoint(tmp_path / "c.pt")
    torch.save({**good, "config": {**good["config"], "hidden_size": 9}}, tmp_path / "d.pt")
    with pytest.raises(CheckpointError, match="do not fit"):
        load_checkpoint(tmp_path / "d.pt")
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")


def test_a_failed_save_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "m.pt"
    save_checkpoint(path, "charlm", small_model(0), VOCAB, {"v": 1})
    original = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed mid-save")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, "charlm", small_model(1), VOCAB, {"v": 2})
    assert path.read_bytes() == original and load_checkpoint(path).metrics == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"], "no temporary file is left behind"


def test_structurally_bad_checkpoints_are_refused_before_building_anything(tmp_path):
    good = torch.load(io.BytesIO(checkpoint_bytes("charlm", small_model(), VOCAB)), weights_only=True)
    bad = {
        "kind_list": {**good, "kind": ["charlm"]},
        "vocab_words": {**good, "vocab": ["ab", "c", "d", "e", "f", "g", "h"]},
        "vocab_repeats": {**good, "vocab": list("aacdefg")},
        "metrics_list": {**good, "metrics": [1, 2]},
        "huge": {**good, "config": {**good["config"], "hidden_size": 10_000_000}},
    }
    for name, payload in bad.items():
        torch.save(payload, tmp_path / f"{name}.pt")
        with pytest.raises(CheckpointError):
            load_checkpoint(tmp_path / f"{name}.pt")
    torch.save({**good, "metrics": {"val_loss": "oops", "ok": 1.0, "bad": [1]}}, tmp_path / "m.pt")
    assert load_checkpoint(tmp_path / "m.pt").metrics == {"val_loss": "oops", "ok": 1.0}


def test_saved_checkpoints_are_readable_by_others(tmp_path):
    save_checkpoint(tmp_path / "m.pt", "charlm", small_model(), VOCAB)
    assert (tmp_path / "m.pt").stat().st_mode & 0o777 == 0o644


def test_a_captioner_round_trips_with_its_word_vocabulary(tmp_path):
    from core.vision.captioner import CaptionConfig, Captioner
    from core.vision.shapes import VOCAB

    torch.manual_seed(0)
    model = Captioner(CaptionConfig(attention="hard", hidden=8, embed=4, attend=4)).eval()
    save_checkpoint(tmp_path / "cap.pt", "captioner", model, VOCAB, {"pointing": 0.9})
    ck = load_checkpoint(tmp_path / "cap.pt")
    assert ck.kind == "captioner" and ck.vocab == VOCAB and ck.model.config == model.config
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), ck.model.state_dict().values()))
    charlm_with_words = checkpoint_bytes("charlm", small_model(), tuple(f"w{i}" for i in range(7)))
    with pytest.raises(CheckpointError, match="single characters"):
        load_checkpoint(charlm_with_words)


KILLED_SAVER = """
import os, sys, time
import torch
sys.path.insert(0, {root!r})
from tests.core.test_checkpoints import VOCAB, small_model
from core.checkpoints import save_checkpoint
if sys.argv[1] == "pause":  # stop between writing the temporary file and renaming it: killed there
    real_fsync = os.fsync
    def fsync(fd):
        real_fsync(fd)
        print("written", flush=True)
        time.sleep(60)
    os.fsync = fsync
    save_checkpoint(sys.argv[2], "charlm", small_model(1), VOCAB, {{"v": 2}})
else:  # save new versions as fast as it can until killed
    print("saving", flush=True)
    for v in range(3, 10**6):
        save_checkpoint(sys.argv[2], "charlm", small_model(v % 5), VOCAB, {{"v": v}})
"""


def killed_saver(mode, path):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return subprocess.Popen([sys.executable, "-c", KILLED_SAVER.format(root=root), mode, str(path)],
                            stdout=subprocess.PIPE, text=True)


def test_killing_the_process_mid_save_leaves_the_previous_checkpoint_intact(tmp_path):
    """A real SIGKILL (no Python cleanup runs) after the new file is written but before it replaces the old one."""
    path = tmp_path / "m.pt"
    save_checkpoint(path, "charlm", small_model(0), VOCAB, {"v": 1})
    original = path.read_bytes()
    child = killed_saver("pause", path)
    assert child.stdout.readline().strip() == "written"
    child.kill()
    child.wait(10)
    assert path.read_bytes() == original and load_checkpoint(path).metrics == {"v": 1}
    assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())  # the killed save's leftover, never read


def test_killed_at_random_moments_the_checkpoint_is_always_a_whole_one(tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(path, "charlm", small_model(0), VOCAB, {"v": 1})
    rng = random.Random(0)
    seen = set()
    for _ in range(5):
        child = killed_saver("loop", path)
        assert child.stdout.readline().strip() == "saving"
        time.sleep(rng.uniform(0.05, 0.4))
        child.kill()
        child.wait(10)
        seen.add(load_checkpoint(path).metrics["v"])  # old or new, never a torn file
    assert len(seen) > 1, "the saver never got a save through: the test did not exercise anything"
