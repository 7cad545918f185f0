"""Each main figure has a button that downloads the data it draws as CSV (built from the very figure drawn)."""
import csv
import io

import pytest

from core.plots.export import figure_csv
from tests.app.helpers import figure, open_page

MAIN_FIGURES = [  # page, chart key, download key
    ("pages/gradient_flow.py", "flow_norms", "gradient_norms"),
    ("pages/gradient_remedies.py", "tbptt_map", "tbptt_gradient_map"),
    ("pages/memory_task.py", "lag_curves", "accuracy_vs_lag"),
    ("pages/sampling.py", "softmax_bars", "softmax"),
    ("pages/hidden_states.py", "unit_heatmap", "unit_activations"),
    ("pages/hidden_memory.py", "gate_saturation", "gate_saturation"),
]


@pytest.mark.parametrize("page, chart, name", MAIN_FIGURES)
def test_a_main_figure_has_its_data_as_csv(page, chart, name):
    at = open_page(page)
    buttons = [b for b in at.get("download_button") if b.proto.id.endswith(f"-csv_{name}")]
    assert len(buttons) == 1 and "(CSV)" in buttons[0].proto.label
    rows = list(csv.reader(io.StringIO(figure_csv(figure(at, chart)))))
    assert rows[0] == ["trace", "kind", "x", "y", "value"] and len(rows) > 5  # every point, not an empty file
