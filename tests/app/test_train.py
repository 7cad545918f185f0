"""Train your own: a run starts, shows progress, survives a page switch, stops on Stop; uploads are checked."""
import time

from core.checkpoints import checkpoint_bytes
from tests.app.helpers import open_page, tiny_checkpoint

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
    assert any("Saved for this session" in c.value for c in at.caption)
    assert at.get("download_button")
    at.switch_page("pages/sampling.py").run()
    assert any(o.startswith("yours: shakespeare") for o in at.selectbox(key="sample_model").options)


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
    at.switch_page("pages/sampling.py").run()
    assert [o for o in at.selectbox(key="sample_model").options if o.startswith("yours:")] == ["yours: tiny.pt"]
