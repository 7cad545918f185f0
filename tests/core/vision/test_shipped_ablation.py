"""The hard-attention ablation the captioning page shows (benchmarks/hard_attention.py writes it)."""
import json

import pytest

from core.vision.shipped import HARD_ABLATION, largest_steps, load_hard_ablation


def test_the_shipped_ablation_shows_what_made_hard_attention_learn():
    """Rows in the benchmark's order (benchmarks.hard_attention.ROWS); the warm start and the whole recipe each beat
    the paper's estimator alone, the memory started from the image beats the recipe without it, and the recipe started
    warm beats it started fresh."""
    from benchmarks.hard_attention import ROWS

    measured = load_hard_ablation()
    assert measured is not None, f"{HARD_ABLATION} is missing: run python -m benchmarks.hard_attention --out it"
    assert [r["name"] for r in measured["rows"]] == [name[2:] for name, _, _ in ROWS]
    first, warm, without_image, recipe, cold = (measured["rows"][k]["all_named"] for k in (0, 1, 4, 5, 6))
    assert warm > first and recipe > first and recipe > without_image and recipe > cold
    assert all(0 <= r[k] <= 1 for r in measured["rows"] for k in ("all_named", "precision", "recall", "pointing"))


ROW = '{"name": "x", "all_named": 0.5, "precision": 0.9, "recall": 0.8, "pointing": 0.9, "seconds": 3}'


@pytest.mark.parametrize("text", ["", "not json", "[]", '{"setup": "s", "rows": []}', '{"setup": "s", "rows": 3}',
                                  '{"setup": "s", "rows": [{"name": "x"}]}', '{"rows": [' + ROW + ']}',
                                  '{"setup": "s", "rows": [' + ROW.replace("0.5", '"half"') + ']}',
                                  '{"setup": "s", "rows": [' + ROW.replace("0.5", "true") + ']}'])
def test_a_missing_or_malformed_file_reads_as_not_measured(tmp_path, text):
    path = tmp_path / "ablation.json"
    path.write_text(text)
    assert load_hard_ablation(path) is None
    assert load_hard_ablation(tmp_path / "absent.json") is None
    good = {"setup": "s", "rows": [{"name": "x", "all_named": 0.5, "precision": 0.9, "recall": 0.8, "pointing": 0.9,
                                    "seconds": 3.0}]}
    path.write_text(json.dumps(good))
    assert load_hard_ablation(path) == good


def test_the_largest_steps_are_the_changes_that_added_most_over_the_row_above():
    """The last row (the recipe without the warm start) is not a step; on the shipped file the two largest steps are
    the memory started from the image and the warm start."""
    rows = [{"name": n, "all_named": v} for n, v in (("base", 0.1), ("+ a", 0.3), ("+ b", 0.35), ("+ c", 0.75),
                                                      ("cold", 0.0))]
    assert [(n, round(p, 6)) for n, p in largest_steps({"rows": rows})] == [("c", 40.0), ("a", 20.0)]
    assert [n for n, _ in largest_steps(load_hard_ablation())] == ["first state from the image",
                                                                   "warm start from soft"]
