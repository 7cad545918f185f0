"""Several browser sessions on one server: training is capped across them, and closing a tab stops its training
and hands the slot to the next session in line."""
from tests.e2e.harness import act, exception_texts, open_page, serve_app, start_small_training

GRACE = 2  # seconds a closed tab's session is given to come back (30 in the app); shortened here


def test_closing_a_tab_stops_its_training_and_the_next_session_starts(browser):
    with serve_app(env={"RNN_LAB_DISCONNECT_GRACE": str(GRACE)}) as url:  # a server of its own: a short grace
        tabs = [browser.new_context(viewport={"width": 1400, "height": 1000}).new_page() for _ in range(3)]
        for tab in tabs:
            open_page(tab, url, "train")
            start_small_training(tab)
        tabs[0].locator('[data-testid="stMetric"]', has_text="Step").wait_for(timeout=60_000)  # the first runs
        tabs[1].get_by_text("place 1 in the server's training queue").wait_for(timeout=60_000)  # the cap holds
        tabs[2].get_by_text("place 2 in the server's training queue").wait_for(timeout=60_000)
        tabs[0].context.close()  # the first student closes the tab mid-training
        tabs[1].locator('[data-testid="stMetric"]', has_text="Step").wait_for(timeout=GRACE * 1000 + 90_000)
        tabs[2].get_by_text("place 1 in the server's training queue").wait_for(timeout=60_000)
        for tab, button in ((tabs[2], "Cancel"), (tabs[1], "Stop")):  # the queued one first, so it stays queued
            assert exception_texts(tab) == []
            act(tab, lambda tab=tab, button=button: tab.get_by_test_id("stMainBlockContainer").get_by_role(
                "button", name=button).click())  # not the header's Stop (the script-running one)
