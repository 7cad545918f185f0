"""Models that outlive the tab: a model trained in the browser is still there after a reload and after a server
restart, and its `?model=` link opens the same model (the same held-out loss) in a fresh browser."""
import re

from tests.e2e.harness import act, exception_texts, open_page, serve_app
from tests.e2e.test_sessions import start_small_training


def loss_caption(page) -> str:
    """The sampling page's line naming the chosen model and its held-out loss."""
    return page.get_by_text(re.compile(r"validation loss \d\.\d{3} nats/char")).first.inner_text()


def test_a_trained_model_survives_a_reload_a_restart_and_opens_from_its_link(browser, tmp_path):
    env = {"RNN_LAB_MODEL_STORE": str(tmp_path / "store")}
    with serve_app(env=env) as url:
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        open_page(page, url, "train")
        name = page.get_by_label("Your name", exact=True).and_(page.get_by_role("textbox"))
        act(page, lambda: (name.fill("Ada <b>L</b>"), name.press("Enter")))
        minutes = page.locator('[data-testid="stSlider"]', has_text="Minutes").get_by_role("slider")
        minutes.focus()
        act(page, lambda: [minutes.press("ArrowLeft") for _ in range(5)])  # 3 -> 0.5 minutes
        start_small_training(page)
        link = page.get_by_role("link", name=re.compile(r"sampling\?model="))
        link.wait_for(timeout=150_000)  # trained for 30 s, then saved
        model_id = re.search(r"model=([0-9a-f]{16})", link.get_attribute("href")).group(1)
        assert exception_texts(page) == []

        page.reload()  # a new session: the model is listed for it all the same
        open_page(page, url, "sampling")
        picker = page.locator('[data-testid="stSelectbox"]').filter(has=page.get_by_text("Model")).first
        picker.locator("input").click()
        option = page.get_by_role("option", name="saved: shakespeare · lstm 1×64 · by Ada <b>L</b>")
        option.wait_for(timeout=10_000)
        act(page, lambda: option.click())
        shown = loss_caption(page)
        assert "by Ada <b>L</b>" in shown and not page.locator("b", has_text="L").count()  # a name is text

    with serve_app(env=env) as url:  # a restart, and a browser that has never seen the lab
        fresh = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        open_page(fresh, url, f"sampling?model={model_id}")
        assert loss_caption(fresh) == shown  # the same model, the same held-out loss
        assert f"model={model_id}" in fresh.url and exception_texts(fresh) == []
        open_page(fresh, url, "sampling?model=%3Cscript%3Ealert(1)%3C%2Fscript%3E")  # a link to nothing
        fresh.get_by_text("is not a model this server has", exact=False).wait_for(timeout=10_000)
        assert exception_texts(fresh) == [] and "Shakespeare · LSTM 2×512" in loss_caption(fresh)
