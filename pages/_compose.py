"""The image picker's "Compose a scene" (not a page itself): a table of up to four objects (shape, colour, size, place)
and a look to draw them in (core.vision.compose). The composed scene's objects are known, so the pages score its
captions and answers as they do a generated scene's."""
from __future__ import annotations

import hashlib
import math

import streamlit as st

from core.vision.compose import LOOKS, MAX_OBJECTS, CompositionError, Placed, as_viewed, compose
from core.vision.shapes import COLOURS, SHAPES, SIZES, Scene
from pages._common import LINK
from pages._links import read_link, write_link

START = [{"shape": "circle", "colour": "red", "size": "large", "across": 25, "down": 50},
         {"shape": "square", "colour": "blue", "size": "small", "across": 72, "down": 28},
         {"shape": "triangle", "colour": "yellow", "size": "small", "across": 72, "down": 75}]


@st.cache_resource(max_entries=64, ttl=3600, show_spinner=False)
def composed(placed: tuple[Placed, ...], look: str) -> Scene:
    """The composition drawn (~30 ms), shared read-only, as the models see it (core.vision.compose.as_viewed: the canvas
    padded to a square and scaled to SIZE), so the true boxes sit on it as on a generated scene (CompositionError is
    not cached)."""
    return as_viewed(compose(placed, look))


def _number(value: object) -> float:
    """A table cell as a number (NaN when empty or not a number: compose says what is wrong)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def link_text(rows: list[dict]) -> str:
    """The objects as a link writes them: `shape-colour-size-across-down`, joined by `;`."""
    return ";".join("-".join(_place(r[k]) if k in ("across", "down") else str(r[k]) for k in START[0]) for r in rows)


def _place(value: float) -> str:
    """A percentage as a link writes it: fixed point, at most two decimals, no sign or exponent (0 ≤ value ≤ 100)."""
    return f"{float(value) + 0.0:.2f}".rstrip("0").rstrip(".")  # + 0.0: -0.0 becomes 0.0


def from_link(text: str) -> list[dict]:
    """The objects a link names (link_text's form); ValueError when it names something the composer does not have."""
    rows = []
    for item in text.split(";")[: MAX_OBJECTS + 1]:
        shape, colour, size, across, down = item.split("-")  # ValueError for any other number of parts
        if shape not in SHAPES or colour not in COLOURS or size not in SIZES:
            raise ValueError(item)
        place = float(across), float(down)
        if not all(0 <= v <= 100 for v in place):  # NaN fails this too
            raise ValueError(item)
        rows.append({"shape": shape, "colour": colour, "size": size, "across": place[0], "down": place[1]})
    if not 1 <= len(rows) <= MAX_OBJECTS:
        raise ValueError(text)
    return rows


def compose_scene(prefix: str) -> tuple[Scene, str] | None:
    """The composer's widgets; the composed scene and its cache key, or None (with the reason shown). The objects are
    kept in the link as `?{prefix}_objects=` (the table itself cannot be bound to it)."""
    link, first = f"{prefix}_objects", f"{prefix}_first_objects"
    if first not in st.session_state:  # the table starts from the link's objects, else from START
        st.session_state[first] = read_link(link, from_link, START, f"a list of up to {MAX_OBJECTS} objects "
                                            "(shape-colour-size-across-down, joined by semicolons)")
    looks = list(LOOKS)
    look = st.selectbox("Drawn as", looks, key=f"{prefix}_look", bind=LINK,
                        help="How the objects are drawn on a 640 × 480 canvas (padded to a square for the CNN). The "
                             "ruled paper is a background no training scene had.")
    rows = st.data_editor(
        st.session_state[first], num_rows="dynamic", hide_index=True, key=f"{prefix}_compose",
        column_config={
            "shape": st.column_config.SelectboxColumn("shape", options=list(SHAPES), required=True),
            "colour": st.column_config.SelectboxColumn("colour", options=list(COLOURS), required=True),
            "size": st.column_config.SelectboxColumn("size", options=list(SIZES), required=True),
            "across": st.column_config.NumberColumn("across %", min_value=0, max_value=100, step=1, required=True,
                                                    help="The centre's distance from the left edge, in percent."),
            "down": st.column_config.NumberColumn("down %", min_value=0, max_value=100, step=1, required=True,
                                                  help="The centre's distance from the top edge, in percent.")})
    st.caption(f"One to {MAX_OBJECTS} objects, each described differently, not overlapping. Add or delete rows at the "
               "table's bottom and left.")
    placed = tuple(Placed(str(r.get("shape")), str(r.get("colour")), str(r.get("size")), _number(r.get("across")),
                          _number(r.get("down"))) for r in rows)
    try:
        scene = composed(placed, look)
    except CompositionError as e:
        st.error(str(e))
        return None
    write_link(link, None if rows == START else link_text(rows))
    return scene, "composed:" + hashlib.sha1(repr((placed, look)).encode()).hexdigest()[:16]
