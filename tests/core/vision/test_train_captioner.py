"""The captioner training loop: it learns a tiny set, reports every epoch, and stops when asked."""
import hashlib
import math

import pytest
import torch

from core.vision.captioner import FEATURE_SIZE
from core.vision.dataset import GRID, MAX_TOKENS, CaptionData, encode_caption
from core.vision.train_captioner import CaptionTrainConfig, evaluate_captioner, train_captioner


def toy_data() -> CaptionData:
    """Two distinguishable 'images', each with its caption, repeated; word 1 ('large') names cells 0-3."""
    captions = ["a large red circle".split(), "a small blue square".split()]
    n = 16
    mid = torch.stack([torch.full((FEATURE_SIZE, GRID, GRID), 1.0 if k % 2 else -1.0) for k in range(n)]).half()
    pooled = torch.stack([torch.full((1280,), 1.0 if k % 2 else -1.0) for k in range(n)])
    tokens = torch.tensor([encode_caption(captions[k % 2]) for k in range(n)])
    cells = torch.zeros(n, MAX_TOKENS, GRID * GRID, dtype=torch.bool)
    cells[:, 1, :4] = True
    return CaptionData(torch.arange(n), mid, pooled, tokens, cells)


def test_training_learns_the_toy_captions_and_reports_each_epoch():
    data = toy_data()
    rows = []
    run = train_captioner(CaptionTrainConfig(attention="soft", hidden=32, embed=8, attend=16, epochs=60,
                                             batch=8, lr=1e-2),
                          data, data, on_step=lambda s, r: rows.append(r))
    model, history = run.model, run.history
    assert len(history) == 60 and rows == history and history[-1]["step"] == 120
    assert history[-1]["exact"] == 1.0 and history[-1]["val_loss"] < history[0]["val_loss"]
    assert 0.0 <= history[-1]["pointing"] <= 1.0
    assert evaluate_captioner(model, data)["exact"] == 1.0


def test_the_model_without_attention_has_no_pointing_score_and_stop_works():
    data = toy_data()
    history = train_captioner(CaptionTrainConfig(attention="none", hidden=16, embed=8, epochs=2, batch=8), data,
                              data).history
    assert math.isnan(history[-1]["pointing"])
    calls = []
    stopped = train_captioner(CaptionTrainConfig(attention="hard", hidden=16, embed=8, epochs=5, batch=8), data, data,
                                 should_stop=lambda: calls.append(1) or len(calls) >= 3)
    # two steps per epoch: stopped in the second epoch
    assert stopped.status == "stopped" and len(stopped.history) == 1 and len(calls) == 3


def test_the_command_line_trains_and_saves_a_loadable_checkpoint(tmp_path):
    from core.checkpoints import load_checkpoint
    from core.vision.train_captioner import main

    main(["--attention", "soft", "--scenes", "24", "--styled-scenes", "6", "--flush-scenes", "3", "--val-scenes", "8",
          "--user-scenes", "4",
          "--epochs", "1", "--hidden", "16", "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "cap.pt")])
    ck = load_checkpoint(tmp_path / "cap.pt")
    assert ck.kind == "captioner" and ck.model.config.attention == "soft" and ck.metrics["scenes"] == 24
    assert ck.metrics["styled_scenes"] == 6 and ck.metrics["flush_scenes"] == 3
    assert 0 <= ck.metrics["user_all_named"] <= 1  # scored on the user styles
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [
        "shapes-features-v3-0-24.pt", "shapes-features-v3-1000000-8.pt",
        "shapes-features-v3-styled-flush-s1-4000000-3.pt", "shapes-features-v3-styled-test-s3-1000000-4.pt",
        "shapes-features-v3-styled-train-s2-3000000-6.pt"]
    # a hard-attention model started from the soft one's weights, with the REINFORCE options and its memory started
    # from the image
    main(["--attention", "hard", "--init", str(tmp_path / "cap.pt"), "--scenes", "24", "--val-scenes", "8",
          "--user-scenes", "0", "--samples", "2", "--word-reward", "--expected-half", "--image-state", "--epochs", "1",
          "--hidden", "16", "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "hard.pt")])
    hard = load_checkpoint(tmp_path / "hard.pt")
    assert hard.model.config.attention == "hard" and hard.train_config["init"] == str(tmp_path / "cap.pt")
    assert hard.train_config["samples"] == 2 and hard.train_config["word_reward"] and hard.train_config["expected_half"]
    assert hard.model.config.image_state and not ck.model.config.image_state
    assert hard.metrics["init_sha256"] == hashlib.sha256((tmp_path / "cap.pt").read_bytes()).hexdigest()[:16]
    assert hard.metrics["epochs_before"] == 1 and hard.metrics["seconds_before"] == ck.metrics["seconds"]
    refused = [["--init", str(tmp_path / "cap.pt"), "--hidden", "8"],  # a warm start needs the same sizes
               ["--init", str(tmp_path / "hard.pt")]]  # and a memory started from the image cannot go back to zeros
    for flags in refused:
        with pytest.raises(SystemExit):
            main(["--attention", "soft", *flags, "--scenes", "24", "--val-scenes", "8", "--user-scenes", "0",
                  "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "bad.pt")])
    assert not (tmp_path / "bad.pt").exists()


def test_cached_features_are_reused_chunk_by_chunk(tmp_path, monkeypatch):
    import core.vision.train_captioner as tc

    monkeypatch.setattr(tc, "CHUNK", 4)
    first = tc.cached_data(10, 6, tmp_path)  # chunks 10-13 and 14-17, cut to 6 scenes
    assert first.seeds.tolist() == list(range(10, 16)) and first.mid.shape[0] == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shapes-features-v3-10-4.pt",
                                                          "shapes-features-v3-14-4.pt"]
    monkeypatch.setattr(tc, "build_data", lambda *a, **k: (_ for _ in ()).throw(AssertionError("re-encoded")))
    again = tc.cached_data(10, 8, tmp_path)  # everything is in the cache now
    assert again.seeds.tolist() == list(range(10, 18)) and torch.equal(again.mid[:6], first.mid)


def test_pointing_is_also_scored_for_colour_and_shape_words_apart():
    """A model that looks at the named object for colour words and away from it for shape words scores 1 and 0."""
    from core.vision.captioner import CaptionConfig, Captioner
    from core.vision.shapes import VOCAB

    data = toy_data()
    data.cells[:, 2, 4:8] = True  # target 2 is the colour ("red"/"blue"), target 3 the shape: both on cells 4-7
    data.cells[:, 3, 4:8] = True

    class LooksAtColoursOnly(Captioner):
        def forward(self, mid, pooled, tokens, generator=None, expected=False):
            logits, alphas, chosen = super().forward(mid, pooled, tokens, generator, expected)
            looks = torch.zeros_like(alphas)
            looks[..., 100] = 1.0  # far from cells 0-7
            colour = torch.isin(tokens[:, 1:], torch.tensor([VOCAB.index("red"), VOCAB.index("blue")]))
            looks[colour] = 0.0
            looks[..., 5][colour] = 1.0  # on the object for colour words
            return logits, looks, chosen

    figures = evaluate_captioner(LooksAtColoursOnly(CaptionConfig(hidden=8, embed=4, attend=4)), data)
    assert figures["pointing_colour"] == 1.0 and figures["pointing_shape"] == 0.0
    assert figures["pointing"] == 1 / 3  # "large" (cells 0-3): missed too; 1 hit of 3 named words per caption
