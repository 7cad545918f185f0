"""Shaded text in the browser (not a page itself): one small component, two uses.

- `shaded_text`: a text with one value per character (a hidden unit, a gradient norm), shaded and with the value in
  each character's tooltip, in a box that scrolls (by keyboard too). The browser gets the text and the numbers
  (a few kB), not thousands of styled HTML spans to parse.
- `temperature_scrub`: the sampling page's slider, holding the sample of every temperature on its grid, switching
  between them without a round trip to the server; it reports the temperature it came to rest on.

The JavaScript and CSS are in pages/components/. Every character is inserted as text (textContent), never as markup.
"""
from collections.abc import Sequence
from pathlib import Path

import streamlit as st

from core.charlm.sample import TEMPERATURE_GRID, grid_row
from pages._links import read_link, write_link

KEPT_T = "kept:temperature"  # session key: the temperature last chosen, restored when the page is opened again
DEFAULT_T = 0.8
_HERE = Path(__file__).parent / "components"
_view = st.components.v2.component(
    "rnnlab_text_view",
    js=(_HERE / "text_view.js").read_text(encoding="utf-8"),
    css=(_HERE / "text_view.css").read_text(encoding="utf-8"),
)


def shaded_text(text: str, values: Sequence[float], label: str, key: str, signed: bool = False,
                notes: dict[int, str] | None = None, height: int | None = None) -> None:
    """Show `text` with each character's background shaded by its value, in [0, 1] or (`signed`) [-1, 1]; characters
    in `notes` are outlined with the note in their tooltip; `height` (px) makes the box scroll."""
    clip = (lambda v: max(-1.0, min(1.0, v))) if signed else (lambda v: max(0.0, min(1.0, v)))
    _view(key=key, data={"text": text, "values": [round(100 * clip(float(v))) for v in values], "label": label,
                         "signed": signed, "notes": {str(i): n for i, n in (notes or {}).items()}, "height": height})


def temperature_scrub(payload: dict, key: str) -> float:
    """Show the samples of `payload` (core.plots.charlm.scrub_payload) with a temperature slider; returns the
    temperature the user chose, on TEMPERATURE_GRID (a malformed value from the browser keeps the last one). It starts
    where this session left it, else at a link's `?temperature=`, else at DEFAULT_T, and puts the choice in the link."""
    if KEPT_T not in st.session_state:  # the page's first open in this session
        st.session_state[KEPT_T] = read_link("temperature", _on_grid, DEFAULT_T,
                                             f"a temperature from {TEMPERATURE_GRID[0]} to {TEMPERATURE_GRID[-1]}")
    value = st.session_state[KEPT_T]
    state = _view(key=key, data={**payload, "value": value}, default={"temperature": value},
                  on_temperature_change=lambda: None)
    try:
        chosen = _on_grid(str(state.get("temperature", value)))
    except ValueError:
        chosen = value
    st.session_state[KEPT_T] = chosen  # kept across visits to other pages
    write_link("temperature", None if chosen == DEFAULT_T else f"{chosen:g}")
    return chosen


def _on_grid(text: str) -> float:
    """The grid's temperature nearest to `text`; ValueError for a text that is not a number within the grid."""
    t = float(text)
    if not TEMPERATURE_GRID[0] <= t <= TEMPERATURE_GRID[-1]:  # NaN fails this too
        raise ValueError(text)
    return TEMPERATURE_GRID[grid_row(t)]
