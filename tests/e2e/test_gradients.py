"""The gradient pages in a real browser: ρ moves the curve, extremes explain themselves, training stops."""
from tests.e2e.harness import act, exception_texts, metric_value, open_page

RATIO = "vanilla RNN (tanh): ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖"


def press(page, label: str, key: str, times: int = 1) -> None:
    """Focus the slider with this label and press a key on it, then wait for the rerun."""
    thumb = page.locator('[data-testid="stSlider"]', has_text=label).get_by_role("slider")
    thumb.focus()
    act(page, lambda: [thumb.press(key) for _ in range(times)])


def test_moving_rho_changes_the_gradient_and_extremes_get_an_explanation(app_url, page):
    open_page(page, app_url, "gradient_flow")
    before = metric_value(page, RATIO)
    press(page, "Spectral radius ρ of W_hh", "ArrowLeft", 10)  # ρ 1.00 -> 0.90
    page.wait_for_function(
        """([label, before]) => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m =>
               m.innerText.includes(label) &&
               m.querySelector('[data-testid="stMetricValue"]').innerText.trim() !== before)""",
        arg=[RATIO, before], timeout=30_000)
    assert float(metric_value(page, RATIO)) < float(before)
    act(page, lambda: page.get_by_text("linear", exact=True).click())
    press(page, "Spectral radius ρ of W_hh", "End")
    press(page, "Sequence length T", "End")
    warning = page.locator('[data-testid="stAlert"]', has_text="largest float32")
    warning.wait_for(timeout=30_000)
    assert "exploding gradient" in warning.inner_text()
    assert exception_texts(page) == []


def test_memory_training_shows_progress_and_can_be_stopped(app_url, page):
    open_page(page, app_url, "memory_task")
    act(page, lambda: page.get_by_role("button", name="Train both models").click())
    page.locator('[data-testid="stProgress"]').wait_for(timeout=60_000)
    page.get_by_role("button", name="Stop").click()
    page.get_by_text("was stopped after").wait_for(timeout=60_000)
    page.wait_for_function("""() => [...document.querySelectorAll('button')].some(b =>
        b.innerText.includes('Train both models') && !b.disabled)""", timeout=30_000)  # the page reruns once more
    assert exception_texts(page) == []
