"""Links with bad values: every parameter a page keeps in its address (each bound widget, found from what the page
draws, and the few that are not widgets: the model, the temperature, a composed scene) is fed an empty, huge,
wrong-type, markup and unicode value, all at once, through the real router (AppTest). The page never raises, never
renders the value as markup, shows each control either at its default or at the text it was given (a text box may
take any text), and names in its one-line notice every parameter it did not take."""
from __future__ import annotations

import re

import pytest

from pages._common import plain
from pages._registry import SECTIONS
from tests.app.helpers import open_page_with
from tests.fuzz.corpus import BAD_TEXTS
from tests.fuzz.test_pages import RAW, shown

BAD = {
    "empty": "",
    "huge": "9" * 20_000,  # per parameter; Streamlit drops a whole query string over 512 KiB before the page sees it
    "wrong type": "abc",
    "markup": BAD_TEXTS["HTML"] + BAD_TEXTS["Markdown"],
    "unicode": BAD_TEXTS["right-to-left"] + "e\u0301Z\u0336🙂\u200b",
}
# Links that show the controls a page draws only for some choices (a text box of your own, a composed scene, …).
REVEALS = {
    "pages/hidden_states.py": [{"hidden_source": "Your own text"}],
    "pages/hidden_memory.py": [{"hidden_source": "Your own text"}],
    "pages/captioning.py": [{"cap_mode": "sample"}, {"cap_source": "Compose a scene"}, {"cap_source": "Sample photo"}],
    "pages/vqa.py": [{"vqa_ask": "Type your own"}, {"vqa_source": "Compose a scene"}],
}
# Parameters a page keeps in its address that are not widgets (pages/_links.py read_link, pages/_models.py), with the
# link that makes the page read them (None: every link).
NOT_WIDGETS = {
    "pages/sampling.py": {"model": None, "temperature": None},
    "pages/hidden_states.py": {"model": None},
    "pages/hidden_memory.py": {"model": None},
    "pages/captioning.py": {"cap_objects": {"cap_source": "Compose a scene"}},
    "pages/vqa.py": {"vqa_objects": {"vqa_source": "Compose a scene"}},
}
PAGES = [p.file for pages in SECTIONS.values() for p in pages]


def walk(node):
    """Every element of an AppTest tree."""
    yield node
    children = getattr(node, "children", None) or {}
    for child in children.values() if isinstance(children, dict) else children:
        yield from walk(child)


def bound(at) -> dict[str, object]:
    """{parameter: value} of every widget the page bound to its address."""
    return {node.proto.query_param_key: node.value for node in walk(at._tree)
            if getattr(getattr(node, "proto", None), "query_param_key", "")}


def text_boxes(at) -> set[str]:
    """The parameters of the page's text boxes (which take any text: what the page then does with it is the free-text
    fuzz suite's subject, tests/fuzz/test_pages.py)."""
    return {node.proto.query_param_key for node in walk(at._tree)
            if type(node).__name__ in ("TextArea", "TextInput") and node.proto.query_param_key}


def assert_shown_as_text(at) -> None:
    """Nothing the page rendered as Markdown holds the link's markup unescaped. The notice quotes a refused value,
    escaped: a tag arrives as "\\<script\\>", which shows as text, so a tag counts only where its "<" has no
    backslash (a page's own text may say "d < k")."""
    rendered = shown(at)
    assert not [m for m in RAW if not m.startswith("<") and m in rendered], rendered[-1500:]
    assert not re.search(r"(?<!\\)<(script|img)", rendered), rendered[-1500:]


@pytest.fixture(scope="module")
def defaults() -> dict:
    """Filled by `controls`: per page and reveal, the bound widgets and their values when that link alone opens it."""
    return {}


def controls(page: str, reveal: dict, cache: dict) -> tuple[dict[str, object], set[str]]:
    """The page's bound widgets and their values, and which of them are text boxes, when the link `reveal` alone
    opens it (asked once per module)."""
    key = (page, tuple(reveal.items()))
    if key not in cache:
        at = open_page_with(page, {}, query=reveal, timeout=180)
        cache[key] = bound(at), text_boxes(at)
    return cache[key]


@pytest.mark.parametrize("kind", list(BAD))
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.removeprefix("pages/").removesuffix(".py"))
def test_a_link_with_bad_values_opens_the_page_with_defaults_and_a_notice(page, kind, defaults):
    """Every parameter but the text boxes at once (a text taken would change the defaults that follow from it, such
    as the finder's best unit), then the text boxes."""
    bad = BAD[kind]
    for reveal in [{}, *REVEALS.get(page, [])]:
        clean, texts = controls(page, reveal, defaults)
        others = [n for n in [*clean, *NOT_WIDGETS.get(page, {})] if n not in reveal and n not in texts]
        read = [n for n, needs in NOT_WIDGETS.get(page, {}).items() if needs in (None, reveal)]
        for names in (others, [n for n in texts if n not in reveal]):
            if names:
                check_link(page, reveal, {n: bad for n in names}, clean, [n for n in read if n in names])


def check_link(page: str, reveal: dict, query: dict[str, str], clean: dict[str, object], read: list[str]) -> None:
    """Open `page` by the link `reveal` + `query` (bad values) and check it as the module docstring says (`read`: the
    parameters that are not widgets which the page reads from this link; the bad values are none they can take)."""
    at = open_page_with(page, {}, query={**reveal, **query}, timeout=180)
    assert not at.exception, (reveal, [e.value for e in at.exception])
    assert_shown_as_text(at)
    notice = " ".join(i.value for i in at.info if i.value.startswith("This link's"))
    for name, value in bound(at).items():
        if name not in query:
            continue
        bad = query[name]
        taken = (isinstance(value, str) and value != clean[name] and bad.startswith(value)  # text, maybe trimmed
                 or value == [] and bad == "")  # an empty list: a multiselect with nothing chosen
        assert value == clean[name] or taken, (reveal, name, value)
        if not taken and bad != str(clean[name]):
            assert named(name, notice), (reveal, name, notice)
    for name in read:
        assert named(name, notice), (reveal, name, notice)


def named(name: str, notice: str) -> bool:
    """Whether the notice quotes the parameter `name` (as `name=…`, not inside a longer name such as output_length)."""
    return re.search(rf"(^|[ ;']){re.escape(plain(name))}=", notice) is not None


def test_a_parameter_given_twice_is_named_with_the_value_shown():
    """`?seed=1&seed=2` for a control that takes one value: the page shows one of them and says which; a control that
    takes several (a multiselect, written as its labels, one parameter each) takes them all, with nothing to say."""
    at = open_page_with("pages/hello_sampling.py", {}, query={"sample_seed": ["1", "2"]})
    shown_seed = at.number_input(key="sample_seed").value
    notice = " ".join(i.value for i in at.info if i.value.startswith("This link's"))
    assert shown_seed in (1, 2) and f"{plain('sample_seed')} is given 2 times (1, 2): showing {shown_seed}" in notice
    at = open_page_with("pages/sampling.py", {}, query={"temperature": ["0.5", "1.5"]})
    notice = " ".join(i.value for i in at.info if i.value.startswith("This link's")).replace("\\", "")  # unescaped
    assert re.search(r"temperature is given 2 times \(0\.5, 1\.5\): showing (0\.5|1\.5)\b", notice), notice
    at = open_page_with("pages/gradient_flow.py", {}, query={"flow_cells": ["LSTM", "GRU"]})  # as Streamlit writes it
    assert at.multiselect(key="flow_cells").value == ["lstm", "gru"]
    assert not [i.value for i in at.info if i.value.startswith("This link's")]
