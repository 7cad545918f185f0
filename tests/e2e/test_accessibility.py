"""WCAG 2.1 AA on every page: axe-core (the WCAG 2.0 and 2.1 A and AA rules) in Chromium on each page of the registry,
as it opens and after one of its controls moved, finds nothing in the app's own content.

axe-core comes with the axe-playwright-python package (its bundled axe.min.js, injected into the page); nothing is
downloaded. What Streamlit itself draws and the app cannot change is allowed by rule and element, listed in FRAMEWORK
and in docs/accessibility.md; anything else fails the test with the rule, the element and axe's reason.
"""
from importlib.resources import files

import pytest

from pages._registry import SECTIONS
from tests.e2e.harness import act, open_page, wait_for_script

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# rule id -> (CSS selector of the framework's element that a violating node lies in, why it is allowed)
FRAMEWORK = {
    "list": ('[data-testid="stSidebarNav"]', "Streamlit's page navigation puts <div>s between its <ul> and <li>s"),
    "listitem": ('[data-testid="stSidebarNav"]', "the same navigation's <li>s, whose parent is then not a list"),
}
# WCAG 1.4.3 sets no contrast for "text that is part of an inactive user interface component": a disabled widget's
# label (Streamlit greys it out) is allowed, and the test checks that the widget really is disabled
INACTIVE = '[data-testid="stWidgetLabel"]'
RUN = """async ([tags, allowed, inactive]) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.flatMap(v => v.nodes.map(n => {
    const el = document.querySelector(n.target[0]);
    const box = el === null ? null : el.closest('.stElementContainer, [data-testid="stElementContainer"]');
    return {rule: v.id, target: n.target.join(' '), html: n.html.slice(0, 200),
            why: (n.failureSummary || '').slice(0, 300),
            inside: el !== null && allowed.some(([rule, sel]) => rule === v.id && el.closest(sel) !== null),
            inactive: el !== null && el.closest(inactive) !== null && box !== null
                      && box.querySelector('input:disabled, button:disabled, [aria-disabled="true"]') !== null};
  }));
}"""
PAGES = [info.file.removeprefix("pages/").removesuffix(".py") for infos in SECTIONS.values() for info in infos]


def own_violations(page) -> list[dict]:
    """axe's violations on the page as it is now, less the framework's allowed ones."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(content=(files("axe_playwright_python") / "axe.min.js").read_text())
    allowed = [[rule, selector] for rule, (selector, _) in FRAMEWORK.items()]
    found = page.evaluate(RUN, [TAGS, allowed, INACTIVE])
    return [v for v in found if not v["inside"] and not (v["rule"] == "color-contrast" and v["inactive"])]


def move_a_control(page) -> bool:
    """Move one of the page's controls with the keyboard (a real change: the page reruns): its first slider one step,
    else its first radio group to the next option; False if it has neither."""
    main = page.get_by_test_id("stMain")
    for controls, key in ((main.get_by_role("slider"), "ArrowRight"), (main.get_by_role("radio", checked=True),
                                                                      "ArrowRight")):
        if controls.count():
            controls.first.focus()
            act(page, lambda control=controls.first, key=key: control.press(key))
            return True
    return False


NO_CONTROLS = {"home", "gallery"}  # a map of the pages; a ranking of the server's models (nothing to move)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_meets_wcag_aa_in_its_own_content(app_url, page, path):
    open_page(page, app_url, "" if path == "home" else path)
    page.wait_for_timeout(500)  # figures and components settle
    assert own_violations(page) == [], f"{path}, as it opens"
    moved = move_a_control(page)
    assert moved or path in NO_CONTROLS, f"{path}: no control was moved"
    if moved:
        wait_for_script(page)
        page.wait_for_timeout(500)
        assert own_violations(page) == [], f"{path}, after a control moved"


def test_the_check_finds_what_it_is_meant_to_find(app_url, page):
    """A caption drawn in the old grey (3.9:1 on white) is a violation: the test above can fail."""
    open_page(page, app_url, "gradient_flow")
    page.evaluate("""() => { const p = document.querySelector('[data-testid="stCaptionContainer"]');
                             for (const e of [p, ...p.querySelectorAll('*')]) e.style.color = '#828180'; }""")
    assert any(v["rule"] == "color-contrast" for v in own_violations(page))
