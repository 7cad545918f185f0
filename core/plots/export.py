"""The data a figure draws, as CSV, for the "Download the data" buttons (the plotly toolbar already gives a PNG).

Works on a figure's plain data (`to_dict()`), so a FrozenFigure exports the same as the figure it was made from.
"""
from __future__ import annotations

import base64
import csv
import io

import numpy as np


def plain_values(field: object) -> list:
    """A figure field as a list (nested for 2-D), whether plotly holds it as a list or as typed binary data."""
    if isinstance(field, dict) and "bdata" in field:
        flat = np.frombuffer(base64.b64decode(field["bdata"]), dtype=field["dtype"])
        shape = field.get("shape")
        if isinstance(shape, str):
            flat = flat.reshape([int(n) for n in shape.split(",")])
        return flat.tolist()
    if hasattr(field, "tolist"):
        return field.tolist()
    return list(field) if field is not None else []


def figure_csv(figure) -> str:
    """One row per point a figure draws: the trace's name and kind, then x, y and (for heatmaps) the value z. Traces
    with no data (diagrams drawn from shapes) add nothing."""
    spec = figure if isinstance(figure, dict) else figure.to_dict()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["trace", "kind", "x", "y", "value"])
    for k, trace in enumerate(spec.get("data", [])):
        name = trace.get("name") or f"trace {k + 1}"
        kind = trace.get("type", "scatter")
        if "z" in trace:
            z = plain_values(trace["z"])
            xs, ys = plain_values(trace.get("x")), plain_values(trace.get("y"))
            for i, row in enumerate(z):
                for j, value in enumerate(row if isinstance(row, list) else [row]):
                    writer.writerow([name, kind, xs[j] if j < len(xs) else j, ys[i] if i < len(ys) else i, value])
            continue
        xs, ys = plain_values(trace.get("x")), plain_values(trace.get("y"))
        for i in range(max(len(xs), len(ys))):
            writer.writerow([name, kind, xs[i] if i < len(xs) else i, ys[i] if i < len(ys) else "", ""])
    return out.getvalue()
