"""Figure data as CSV: every point of every trace, the same for a figure and its frozen copy."""
import csv
import io

import numpy as np
import plotly.graph_objects as go

from core.plots.export import figure_csv, plain_values
from core.plots.frozen import FrozenFigure


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_every_point_of_lines_bars_and_heatmaps_is_a_row():
    fig = go.Figure([go.Scatter(x=[1, 2, 3], y=[0.5, 0.25, 0.125], name="RNN"),
                     go.Bar(x=["a", "b"], y=[3, 4]),
                     go.Heatmap(z=np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), x=["p", "q"], name="map")])
    got = rows(figure_csv(fig))
    assert got[0] == ["trace", "kind", "x", "y", "value"]
    assert got[1:4] == [["RNN", "scatter", "1", "0.5", ""], ["RNN", "scatter", "2", "0.25", ""],
                        ["RNN", "scatter", "3", "0.125", ""]]
    assert got[4:6] == [["trace 2", "bar", "a", "3", ""], ["trace 2", "bar", "b", "4", ""]]
    assert got[6:] == [["map", "heatmap", "p", "0", "1.0"], ["map", "heatmap", "q", "0", "2.0"],
                       ["map", "heatmap", "p", "1", "3.0"], ["map", "heatmap", "q", "1", "4.0"],
                       ["map", "heatmap", "p", "2", "5.0"], ["map", "heatmap", "q", "2", "6.0"]]
    assert figure_csv(FrozenFigure(fig)) == figure_csv(fig)  # numpy arrays travel as typed binary data in the JSON


def test_typed_binary_arrays_are_decoded_with_their_shape():
    spec = FrozenFigure(go.Figure(go.Heatmap(z=np.arange(6, dtype=np.float32).reshape(2, 3)))).to_dict()
    assert plain_values(spec["data"][0]["z"]) == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert plain_values(None) == [] and plain_values((1, 2)) == [1, 2]


def test_a_diagram_without_data_gives_only_the_header():
    fig = go.Figure()
    fig.add_shape(type="rect", x0=0, x1=1, y0=0, y1=1)
    assert rows(figure_csv(fig)) == [["trace", "kind", "x", "y", "value"]]
