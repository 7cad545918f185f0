"""Links that rebuild a view (not a page itself).

Every control that decides what a page shows is bound to the address's query string: a widget drawn with
`key=NAME, bind=LINK` (pages._common.LINK) keeps its value in `?NAME=…`. Streamlit's own binding puts the
value into the URL as it changes, reads a link's value when the page opens, leaves out a value equal to the
widget's default, and keeps the value through a visit to another page. State that is not a Streamlit widget
(the sampling page's temperature) is linked by `read_link`/`write_link`; the model picker by `?model=<id>`.

A link can carry anything: Streamlit drops a value its widget cannot take (wrong type, not an option, out of range)
and trims one it can (a text longer than the box allows); the page then opens with the default. `run_linked`, the
router's way of running a page, compares what the address asked for with what the page took and says so in one
line at the top: which parameter, shown as text, never as markup; a parameter given twice (`?seed=1&seed=2`) for a
control that takes one value is named there too, with the value the page shows. A page that stops early calls `stop()`
here instead of st.stop(), so that the notice is shown first (nothing can be drawn after st.stop()).
"""
import contextlib
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, TypeVar

import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.state import get_session_state

from pages._common import plain

_OPENED = "links:opened"  # session key: the pages this session has opened (their links are checked once)
_OPENING = "links:opening"  # session key: the Opening of the page this run opens, until its link is checked
SHOWN = 40  # characters of a refused value quoted in the notice
T = TypeVar("T")


class Opening(NamedTuple):
    """A page being opened: where its notice goes (the top of the page), what its link asked for, the notices that
    read_link and refuse gave ({parameter: words}) and the values read_link took ({parameter: value})."""

    page: str
    top: object
    asked: dict[str, list[str]]
    notes: dict[str, str]
    taken: dict[str, object]


def run_linked(page) -> None:
    """Run `page` (an st.Page); on the session's first run of it, say which of the link's values it could not use."""
    first = page.url_path not in st.session_state.setdefault(_OPENED, set())
    asked = {k: st.query_params.get_all(k) for k in st.query_params} if first else {}
    top = st.container()  # on every run, so that the page's elements keep their places from run to run
    st.session_state[_OPENING] = Opening(page.url_path, top, asked, {}, {}) if first else None
    for name, raw in asked.items():
        if name != "model" and any(_infinite(v) for v in raw):  # Streamlit 1.67 raises on these in a whole-number
            # box: drop them first (a model's id is hex, e.g. 3e45…, never a number)
            _drop(name)
            refuse(name, raw[0], "a value this page can show")
    page.run()  # st.rerun() and st.stop() leave from here: a page that stops calls stop() below instead
    check_link()


def stop() -> None:
    """st.stop(), after saying which of the link's values the page could not use (nothing can be shown after it)."""
    check_link()
    st.stop()


def check_link() -> None:
    """If this run opens the page, say at its top which of the link's values it did not take (once)."""
    opening = st.session_state.get(_OPENING)
    if opening is None:
        return
    st.session_state[_OPENING] = None
    st.session_state[_OPENED].add(opening.page)
    asked = {k: v for k, v in opening.asked.items() if k not in opening.notes}
    notes = [*opening.notes.values(), *_refused(asked, opening.taken)]
    if notes:
        opening.top.info("This link's " + "; ".join(notes) + ".", icon=":material/link_off:")


def _drop(name: str) -> None:
    """Take `name` out of the address before any widget reads it. A bound widget is seeded from Streamlit's copy of
    the address as this run began, which Streamlit 1.67 offers no public way to change: it goes from there too."""
    with get_session_state().query_params() as params, contextlib.suppress(StreamlitAPIException):
        getattr(params, "_initial_query_params", {}).pop(name, None)
        del params[name]  # (a parameter that a widget of this session already holds cannot be dropped)


def _infinite(text: str) -> bool:
    """Whether `text` is a number written out that is too large for a float ("1e999", 400 nines, "inf")."""
    number = re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?inf(inity)?", text.strip(), re.IGNORECASE)
    return number is not None and math.isinf(float(text))


def opened_by_link(tests: dict[str, Callable[[str], bool]]) -> bool:
    """Whether this run opens the page (the session's first run of it) from a link that gives one of the parameters
    in `tests` a value its test accepts (a test that raises ValueError does not)."""
    opening = st.session_state.get(_OPENING)
    return opening is not None and any(name in opening.asked and _passes(test, opening.asked[name][0])
                                       for name, test in tests.items())


def _passes(test: Callable[[str], bool], raw: str) -> bool:
    try:
        return bool(test(raw))
    except ValueError:
        return False


def _refused(asked: dict[str, list[str]], taken: dict) -> list[str]:
    """What the page did not take as asked: a bound value Streamlit dropped (the page shows its default) or changed
    (`taken`: the values that read_link took, for parameters that are not widgets)."""
    notes = []
    for name, raw in asked.items():
        now = st.query_params.get_all(name)
        if now == raw:
            value = taken[name] if name in taken else st.session_state.get(name)
            if len(raw) > 1 and value is not None and not isinstance(value, list | tuple):  # one value, asked twice
                notes.append(f"{_quote(name)} is given {len(raw)} times ({_quote(', '.join(raw))}): showing "
                             f"{_quote(str(value))}")
            continue
        quoted = f"{_quote(name)}={_quote(','.join(raw))}"
        if now:
            notes.append(f"{quoted} was adjusted to {_quote(','.join(now))}")
        elif name in taken and not _means(raw, taken[name]):  # read, then left out as the default
            notes.append(f"{quoted} was read as {_quote(str(taken[name]))}")
        elif name not in taken and not _means(raw, st.session_state.get(name)):  # dropped as the default is no news
            notes.append(f"{quoted} is not a value this page can show: showing the default")
    return notes


def _quote(text: str) -> str:
    """Link text as the notice quotes it: on one line (every run of spaces, newlines and control characters one
    space), cut to SHOWN characters, shown as text (pages._common.plain)."""
    return plain(" ".join("".join(c if c.isprintable() else " " for c in text).split())[:SHOWN])


def _means(raw: list[str], value: object) -> bool:
    """Whether the address's `raw` value(s) stand for `value` (the widget's value now)."""
    values = list(value) if isinstance(value, list | tuple) else [value]
    if len(raw) == 1 and len(values) != 1:
        raw = raw[0].split(",")
    return len(raw) == len(values) and all(_same(r, v) for r, v in zip(raw, values))


def _same(raw: str, value: object) -> bool:
    if isinstance(value, bool):
        return raw.strip().lower() == str(value).lower()
    if isinstance(value, int | float):
        try:
            return float(raw) == float(value)
        except ValueError:
            return False
    return raw == str(value)


def read_link(name: str, parse: Callable[[str], T], default: T, what: str) -> T:
    """The value the address gives `name`, parsed by `parse`, or `default` when it gives none. `parse` raises
    ValueError for a value the page cannot use: then `default`, and a notice at the top says it must be `what`.
    Read it when the page opens, not on every run (the caller keeps the value)."""
    raw = st.query_params.get(name)
    if raw is None:
        return default
    opening = st.session_state.get(_OPENING)
    try:
        value = parse(raw)
    except ValueError:
        refuse(name, raw, what)
        return default
    if opening is not None:
        opening.taken[name] = value
    return value


def refuse(name: str, raw: str, what: str) -> None:
    """Say at the top of the page that the link's `name=raw` is not `what`, so the default is shown (when the page
    is being opened: later, the link is old news)."""
    opening = st.session_state.get(_OPENING)
    if opening is not None:
        opening.notes[name] = f"{_quote(name)}={_quote(raw)} is not {what}: showing the default"


def follows(key: str, *inputs: object) -> str:
    """`key`, for a bound widget whose options or default follow from `inputs`: when they change, the widget lets its
    value go and takes the default that follows from the new inputs, as a link that names no value for it would.
    (Streamlit keeps a keyed widget's value while its options change, and leaves a value out of the address when it
    equals the widget's default now: a value kept from an earlier default would be missing from the link.)"""
    seen, now = f"follows:{key}", hash(inputs)
    if st.session_state.get(seen, now) != now:
        st.session_state.pop(key, None)
    st.session_state[seen] = now
    return key


def write_link(name: str, value: str | None) -> None:
    """Put `value` in the address under `name` (None: take it out), so the URL reopens what is on screen."""
    if value is None:
        st.query_params.pop(name, None)
    elif st.query_params.get(name) != value:
        st.query_params[name] = value


_HERE = Path(__file__).parent / "components"
_copy = st.components.v2.component("rnnlab_copy_link", js=(_HERE / "copy_link.js").read_text(encoding="utf-8"),
                                   css=(_HERE / "copy_link.css").read_text(encoding="utf-8"))


def copy_link() -> None:
    """The "Copy link to this view" button (it copies the browser's address, where the controls are)."""
    _copy(key="copy_link")
