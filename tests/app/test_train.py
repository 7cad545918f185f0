"""Train your own: a run starts, shows progress, survives a page switch, stops on Stop; uploads are checked."""
import re
import time

from core.checkpoints import checkpoint_bytes
from pages._models import TRAIN_JOB
from tests.app.helpers import open_page, open_page_with, tiny_checkpoint

PAGE = "pages/train.py"


def wait_for(at, condition, timeout=60.0):
    end = time.monotonic() + timeout
    while not condition(at):
        assert time.monotonic() < end, "timed out"
        time.sleep(1.0)
        at.run()


def steps_shown(at) -> int:
    return next((int(m.value) for m in at.metric if m.label == "Step"), 0)


def test_a_run_starts_shows_progress_survives_a_page_switch_and_stops():
    at = open_page(PAGE)
    at.select_slider(key="hidden_size").set_value(64).run()
    at.button(key="start_train_job").click().run()
    assert not at.exception
    wait_for(at, lambda a: steps_shown(a) > 0)
    at.switch_page("pages/home.py").run()
    time.sleep(2)
    at.switch_page(PAGE).run()
    assert at.select_slider(key="hidden_size").value == 64
    before = steps_shown(at)
    wait_for(at, lambda a: steps_shown(a) > before)  # still training after the visit elsewhere
    at.button(key="stop_train_job").click().run()
    wait_for(at, lambda a: any("stopped after" in s.value for s in a.success))
    assert any("Saved on this server as" in m.value for m in at.markdown)
    assert at.get("download_button")
    at.switch_page("pages/sampling.py").run()
    assert any(o.startswith("yours: shakespeare") for o in at.selectbox(key="sample_model").options)
    refreshed = open_page("pages/sampling.py")  # a reload is a new session: the model is still on the server
    options = refreshed.selectbox(key="sample_model").options
    assert any(o.startswith("saved: shakespeare · lstm 1×64 · by anonymous") for o in options), options


def test_bad_uploads_get_messages():
    at = open_page(PAGE)
    at.selectbox(key="corpus").set_value("upload").run()
    at.button(key="start_train_job").click().run()
    assert any("choose a text file" in e.value for e in at.error)
    at.file_uploader(key="corpus_upload").set_value(("notes.txt", b"far too short", "text/plain")).run()
    at.button(key="start_train_job").click().run()
    assert any("only 13 characters" in e.value for e in at.error) and not at.exception
    at.file_uploader(key="corpus_upload").set_value(("latin.txt", "caf\u00e9 ".encode("latin-1") * 900,
                                                     "text/plain")).run()
    at.button(key="start_train_job").click().run()
    assert any("not UTF-8" in e.value for e in at.error)


def test_an_uploaded_checkpoint_is_validated_and_added():
    at = open_page(PAGE)
    at.file_uploader(key="ckpt_upload").set_value(("junk.pt", b"not a checkpoint at all",
                                                   "application/octet-stream")).run()
    assert any("Could not use junk\\.pt" in e.value for e in at.error) and not at.exception  # markdown-escaped
    tiny = tiny_checkpoint()
    data = checkpoint_bytes("charlm", tiny.model, tiny.vocab, tiny.metrics)
    at.file_uploader(key="ckpt_upload").set_value(("tiny.pt", data, "application/octet-stream")).run()
    at.run()  # a rerun must not add it twice
    assert any("Loaded as “tiny\\.pt”" in s.value for s in at.success)
    link = next(m.value for m in at.markdown if "Saved on this server" in m.value)
    model_id = re.search(r"\?model=([0-9a-f]{16})", link).group(1)
    at.switch_page("pages/sampling.py").run()
    assert [o for o in at.selectbox(key="sample_model").options if o.startswith("yours:")] == ["yours: tiny.pt"]
    assert at.selectbox(key="sample_model").value != "yours: tiny.pt"
    # its link, in another browser: the same model, with the same held-out loss
    other = open_page_with("pages/sampling.py", {}, query={"model": model_id})
    chosen = other.selectbox(key="sample_model").value
    assert chosen.startswith("saved: tiny.pt · by anonymous") and other.query_params["model"] == model_id
    assert any(f"validation loss {tiny.metrics['val_loss']:.3f}" in c.value for c in other.caption)
    for bad in ("0" * 16, "<b>x</b>", "../etc"):  # a link to nothing: the default model and a one-line notice
        page = open_page_with("pages/sampling.py", {}, query={"model": bad})
        assert page.selectbox(key="sample_model").value == page.selectbox(key="sample_model").options[0]
        assert any("is not a model this server has" in i.value for i in page.info) and not page.exception


def test_a_link_opens_an_older_saved_model_and_names_stay_text(monkeypatch):
    from core.store import ModelStore
    from pages import _models

    store = ModelStore.from_environment()  # the test run's own store, which the pages use
    old = store.save(checkpoint_bytes("charlm", tiny_checkpoint().model, tiny_checkpoint().vocab, {"val_loss": 2.5}),
                     "[click](https://evil.example) $x$ **bold**", "Ada")
    for k in range(2):  # newer models push it out of the pickers' newest
        model = tiny_checkpoint().model
        with __import__("torch").no_grad():
            model.head.bias.add_(k + 1.0)
        store.save(checkpoint_bytes("charlm", model, tiny_checkpoint().vocab, {"val_loss": 3.0 + k}), f"newer {k}")
    monkeypatch.setattr(_models, "LISTED", 1)
    at = open_page_with("pages/sampling.py", {}, query={"model": old.id})
    assert at.selectbox(key="sample_model").value.startswith("saved: [click](https://evil.example) $x$ **bold**")
    caption = next(c.value for c in at.caption if "validation loss 2.500" in c.value)
    assert "\\[click\\]\\(https:" in caption and "\\$x\\$ \\*\\*bold\\*\\*" in caption  # Markdown-escaped
    assert "[click](" not in caption and "bits/char" in caption and "nan" not in caption


def test_only_character_models_are_taken():
    from core.vision.shipped import CAPTIONERS

    at = open_page(PAGE)
    data = CAPTIONERS[0].path.read_bytes()
    at.file_uploader(key="ckpt_upload").set_value(("captioner.pt", data, "application/octet-stream")).run()
    assert any("this page takes character models" in e.value for e in at.error) and not at.exception


def test_a_cluster_that_cannot_be_reached_is_said_on_the_page_and_start_starts_nothing(monkeypatch):
    """RNN_LAB_RAY_ADDRESS names a Ray cluster where nothing answers: the queue and Start say so in words (whether Ray
    is installed or not), and the page works on."""
    monkeypatch.setenv("RNN_LAB_RAY_ADDRESS", "127.0.0.1:1")
    at = open_page(PAGE)
    at.button(key="start_train_job").click().run()
    assert not at.exception
    said = [e.value for e in at.error]
    assert any("Training is not available now" in text and "127.0.0.1:1" in text for text in said), said
    assert TRAIN_JOB not in at.session_state  # nothing was queued
