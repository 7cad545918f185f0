"""The sampling page's temperature scrub in the browser: the sample switches without a round trip, the figures
follow once the slider rests, and markup in the priming text or in the model's output is shown as text."""
import re

import pytest

from tests.e2e.harness import act, exception_texts, open_page, wait_for_script
from tests.e2e.test_uploads import upload

SAMPLE = ".rnnlab-sample"  # Playwright's CSS selectors reach into the component's (open) shadow root
SLIDER = "input.rnnlab-temperature"
MARKUP = "<script>alert('t')</script><img src=x onerror=alert(1)><b>bold</b> &amp; <a href=#>link</a>\n"


def shown(page) -> tuple[str, str]:
    sample = page.locator(SAMPLE)
    return sample.get_attribute("data-t"), sample.inner_text()


def test_the_sample_switches_in_the_browser_and_the_figures_follow(app_url, page):
    open_page(page, app_url, "sampling")
    t, text = shown(page)
    assert t == "0.80" and len(text) > 100
    slider = page.locator(SLIDER)
    slider.focus()
    slider.press("End")  # no waiting for the server: the component has every temperature already
    assert shown(page)[0] == "2.00" and shown(page)[1] != text
    hot = shown(page)[1]
    slider.press("Home")
    assert shown(page)[0] == "0.00" and shown(page)[1] not in (text, hot)
    first = shown(page)[1][0].replace("\n", "⏎").replace(" ", "␣")
    # once the slider rests the server reruns the figures for T = 0: the softmax that chose the first character
    page.locator('[data-testid="stPlotlyChart"]', has_text=f"chose '{first}'").first.wait_for(timeout=30_000)
    wait_for_script(page)
    assert shown(page)[0] == "0.00", "the server's rerun does not move the slider back"
    assert exception_texts(page) == []


@pytest.fixture(scope="module")
def markup_model() -> bytes:
    """A small model trained on markup: whatever it writes is full of tags, quotes and ampersands."""
    from core.charlm.corpus import Corpus
    from core.charlm.train import TrainConfig, train
    from core.checkpoints import checkpoint_bytes

    text = MARKUP * 60
    cfg = TrainConfig(hidden_size=48, embed_size=8, batch_size=8, chunk_len=40, max_steps=150, max_seconds=None,
                      eval_every=75)
    result = train(cfg, Corpus("markup", text, text[:600], "markup"))
    return checkpoint_bytes("charlm", result.model, result.vocab.chars, result.metrics)


def test_markup_in_the_priming_text_and_the_models_output_is_shown_as_text(app_url, page, markup_model):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_page(page, app_url, "train")
    upload(page, "markup.pt", markup_model)
    page.get_by_text("Loaded as “markup.pt”").wait_for(timeout=30_000)
    act(page, lambda: page.get_by_role("link", name="Sampling & temperature").click())  # same session
    act(page, lambda: page.locator('[data-testid="stSelectbox"]', has_text="Model").click())
    act(page, lambda: page.get_by_role("option", name="yours: markup.pt").click())
    box = page.locator('[data-testid="stTextArea"] textarea')
    box.fill("<script>alert('p')</script><b>")
    act(page, lambda: box.press("Control+Enter"))
    slider = page.locator(SLIDER)
    slider.focus()
    for key in ("Home", "ArrowRight", "End"):
        slider.press(key)
        text = shown(page)[1]
        assert re.search(r"<[a-z/]+", text), f"the model's markup is shown as text: {text[:80]!r}"
    tags = page.evaluate("""() => { const host = [...document.querySelectorAll('*')].find(e => e.shadowRoot
                                        && e.shadowRoot.querySelector('.rnnlab-sample'));
                                    return [...host.shadowRoot.querySelectorAll(
                                              'script, img, b, a:not(.rnnlab-download)')]
                                           .map(e => e.tagName); }""")
    assert tags == [], "no element was made from the text"
    page.wait_for_timeout(500)
    assert dialogs == [] and exception_texts(page) == []
