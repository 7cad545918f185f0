"""Each page's main figure says in words what it draws (its text alternative, shown under it as "In words: …"), and
the words carry the figure's own numbers: each check below reads the number from the figure's data, or from the
metrics beside it, and finds it in the words. (The gradient-flow, sampling, captioning and VQA figures are checked in
their pages' own tests.)"""
import json

import numpy as np
import pytest

from core.plots.export import plain_values
from pages._common import plain
from pages._registry import SECTIONS
from tests.app.helpers import figure, open_page, values


def words(at, key: str) -> str:
    """The figure's text alternative, after checking that the page shows it under the figure."""
    said = figure(at, key)["layout"]["meta"]["summary"]
    assert f"In words: {plain(said)}" in [c.value for c in at.caption], key
    return said


def grid(field) -> np.ndarray:
    return np.asarray(plain_values(field), dtype=float) if isinstance(field, dict) else np.array(field, dtype=float)


def test_the_unrolled_graph_says_what_it_counts():
    at = open_page("pages/rnn_shapes.py")
    said = words(at, "graph")
    assert all(f"{m.label.lower()}: {m.value}" in said for m in at.metric), said


def test_the_hello_loss_curve_says_its_last_loss():
    at = open_page("pages/hello_model.py")
    y = values(figure(at, "loss_curve")["data"][0]["y"])
    assert f"{y[-1]:.3f} nats" in words(at, "loss_curve")


def test_the_diversity_count_says_the_commonest_strings():
    at = open_page("pages/hello_sampling.py")
    bars = figure(at, "diversity")["data"][0]
    said = words(at, "diversity")
    assert f"‘{bars['x'][0]}’ {values(bars['y'])[0]} times" in said
    assert f"in {at.slider(key='n_samples').value} samples" in said


def test_the_unit_heatmap_says_how_many_units_over_how_much_text():
    at = open_page("pages/hidden_states.py", timeout=120)
    rows = figure(at, "unit_heatmap")["data"][0]["y"]
    assert words(at, "unit_heatmap").startswith(f"{len(rows)} units over ")


def test_the_truncated_bptt_map_says_how_many_pairs_get_gradient():
    at = open_page("pages/gradient_remedies.py")
    z = grid(figure(at, "tbptt_map")["data"][0]["z"])
    assert f", {int(np.isfinite(z).sum())} of the " in words(at, "tbptt_map")


def test_the_measured_lag_curves_say_the_accuracy_at_the_longest_lag():
    at = open_page("pages/memory_task.py")
    try:
        data = figure(at, "lag_curves")["data"]
    except (KeyError, StopIteration, AssertionError):
        pytest.skip("no measured lag results in this checkout")
    lstm = next(t for t in data if t.get("name") == "LSTM" and t.get("mode") == "lines+markers")
    x, y = values(lstm["x"]), values(lstm["y"])
    said = words(at, "lag_curves")
    assert f"at lag {max(x)}: " in said and f"LSTM {y[int(np.argmax(x))]:.0%}" in said


@pytest.mark.parametrize("path", [info.file for infos in SECTIONS.values() for info in infos])
def test_every_figure_on_every_page_has_words_shown_under_it(path):
    at = open_page(path, timeout=120)
    shown = [c.value for c in at.caption]
    for drawn in at.get("plotly_chart"):
        said = json.loads(drawn.proto.spec)["layout"].get("meta", {}).get("summary")
        assert said, f"{path}: the figure {drawn.proto.id} has no text alternative"
        assert f"In words: {plain(said)}" in shown, f"{path}: {drawn.proto.id}'s words are not shown"
