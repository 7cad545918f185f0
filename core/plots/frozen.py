"""Finished figures kept as their JSON text, for caches shared by every session.

A plotly figure object is ~800 Python objects (its template alone is most of them); a full garbage collection walks
each of them (~0.5 µs an object), so a cache holding hundreds of figure objects would slow the collections of the
whole server. A `FrozenFigure` holds one string instead: nothing for the
collector to walk, nothing to validate or convert again when it is drawn, and nothing another session could change.
st.plotly_chart reads a figure through `to_dict()`, which gives a fresh copy of the finished figure every time.
"""
from __future__ import annotations

import json

import plotly.graph_objects as go
import plotly.io as pio


class FrozenFigure(go.Figure):
    """A finished figure, read-only: draw it (st.plotly_chart) or read it back with `to_dict()`. It keeps nothing
    of plotly's object tree (go.Figure.__init__ is not run), so it cannot be updated; indexing it (`.data`,
    `.layout`) fails."""

    def __init__(self, figure: go.Figure | dict) -> None:
        self._frozen_json = pio.to_json(figure, validate=False)
        self._summary = summary_of(figure)  # kept apart from the JSON: read without parsing it

    @property
    def summary(self) -> str | None:
        """The figure's text alternative (core.plots.style.with_summary), or None."""
        return self._summary

    def to_dict(self) -> dict:
        """The finished figure as plain data (a new copy on every call)."""
        return json.loads(self._frozen_json)

    def to_plotly_json(self) -> dict:
        return self.to_dict()

    def to_json(self, *args, **kwargs) -> str:
        """The finished figure as JSON text."""
        return self._frozen_json if not args and not kwargs else pio.to_json(self.to_dict(), *args, **kwargs)

    def __reduce__(self) -> tuple:
        return _thawed, (self._frozen_json, self.summary)  # pickled (to and from a worker process) as its JSON text

    def __repr__(self) -> str:
        return f"FrozenFigure({len(self._frozen_json):,} characters of JSON)"


def summary_of(figure: go.Figure | dict) -> str | None:
    """The text alternative core.plots.style.with_summary gave a figure (a figure, a FrozenFigure or a figure's dict),
    or None."""
    if isinstance(figure, FrozenFigure):
        return figure.summary
    meta = figure.get("layout", {}).get("meta") if isinstance(figure, dict) else figure.layout.meta
    return meta.get("summary") if isinstance(meta, dict) else None


def _thawed(text: str, summary: str | None = None) -> FrozenFigure:
    """The FrozenFigure of this JSON text (unpickling), without parsing it."""
    figure = FrozenFigure.__new__(FrozenFigure)
    figure._frozen_json, figure._summary = text, summary
    return figure
