"""The sampling page's temperature scrub (not a page itself): a small browser component that holds the sample of
every temperature on the slider's grid and switches between them without a round trip to the server.

Its JavaScript and CSS are in pages/components/. It inserts every character as text (textContent), never as
markup. It reports the temperature it came to rest on, so the figures that need the server can follow.
"""
import math
from pathlib import Path

import streamlit as st

from core.charlm.sample import TEMPERATURE_GRID, grid_row

_HERE = Path(__file__).parent / "components"
_scrub = st.components.v2.component(
    "rnnlab_temperature_scrub",
    js=(_HERE / "temperature_scrub.js").read_text(encoding="utf-8"),
    css=(_HERE / "temperature_scrub.css").read_text(encoding="utf-8"),
)


def temperature_scrub(payload: dict, value: float, key: str) -> float:
    """Show the samples of `payload` (core.plots.charlm.scrub_payload) with a temperature slider starting at `value`;
    returns the temperature the user chose, on TEMPERATURE_GRID (a malformed value from the browser gives `value`)."""
    state = _scrub(key=key, data={**payload, "value": value}, default={"temperature": value},
                   on_temperature_change=lambda: None)
    try:
        chosen = float(state.get("temperature", value))
    except (TypeError, ValueError):
        chosen = value
    if not math.isfinite(chosen):
        chosen = value
    return TEMPERATURE_GRID[grid_row(chosen)]
