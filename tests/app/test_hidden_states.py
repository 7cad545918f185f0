"""Hidden states: the finder shows a unit that follows a feature, picking a unit recolours the text,
the heatmap draws, and odd texts (empty, one character, unknown characters, a huge paste) get messages."""
import pytest

from tests.app.helpers import component_data, figure, open_page, values

PAGE = "pages/hidden_states.py"


def coloured_text(at) -> dict:
    """The unit-coloured text as the browser gets it: the text, one value per character, the label, the notes."""
    return component_data(at, "unit_text")


def paste(at, text: str):
    at.radio(key="hidden_source").set_value("Your own text").run()
    at.text_area(key="hidden_text").input(text).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE, timeout=120)


def test_the_finder_shows_a_unit_that_follows_a_feature_on_held_out_plays(page):
    table = page.dataframe(key="finder_table").value
    best = table.iloc[0]
    assert abs(best["correlation r"]) >= 0.6, best
    assert "Best:" in page.caption[0].value
    assert (page.selectbox(key="unit_signal").value in best["unit"]
            and best["unit"].endswith(f"#{page.number_input(key='unit_index').value}"))


def test_choosing_a_unit_recolours_the_text(page):
    before = coloured_text(page)["values"]
    page.number_input(key="unit_index").set_value(3).run()
    shown = coloured_text(page)
    after = shown["values"]
    assert len(after) == len(before) == len(shown["text"]) == 2000 and shown["signed"]
    assert all(-100 <= v <= 100 for v in after) and max(map(abs, after)) == 100  # scaled by the unit's largest |value|
    changed = sum(a != b for a, b in zip(before, after))
    assert changed > 1000, f"only {changed} of 2000 characters changed colour"
    assert shown["label"].endswith("#3")  # tooltips name the unit
    heat = figure(page, "unit_heatmap")["data"][0]
    assert heat["type"] == "heatmap" and heat["y"][0].startswith("unit 3 · max ")  # the chosen unit is the first row
    assert len(values(heat["x"])) <= 400


def test_span_search_finds_the_units_core_finds_and_says_so_when_there_are_none(page):
    import numpy as np

    from core.charlm.analysis import analyse, prepare_text, span_matches, span_units
    from core.charlm.shipped import SHIPPED
    from core.charlm.vocab import Vocab
    from core.plots.charlm import show_char
    from pages._hidden import held_out_text
    from pages._models import shipped_checkpoint

    ck = shipped_checkpoint(str(SHIPPED[0].path))
    text = held_out_text("prose")[:2000]
    signal, level = "layer 2 · cell c", 0.3
    acts = analyse(ck.model, Vocab(ck.vocab), prepare_text(text, Vocab(ck.vocab))).signals()[signal]
    scale = float(np.abs(acts).max())
    threshold = level * scale

    def clear_run(unit: int, s: int, e: int) -> bool:
        """A run of `unit` above the threshold that no rounding between this analysis and the page's could change."""
        inside, outside = acts[s:e, unit], acts[[i for i in (s - 1, e) if 0 <= i < len(text)], unit]
        return bool(inside.min() > threshold + 1e-4 * scale and (outside <= threshold - 1e-4 * scale).all())

    # A span the search must find units for: a stretch where some unit switches on and off again (its whole run above
    # the threshold), the longest such stretch that is one of the matches the page lists.
    on = acts > threshold
    runs = []
    for u in range(acts.shape[1]):
        edges = np.flatnonzero(np.diff(np.concatenate([[0], on[:, u].astype(np.int8), [0]])))
        runs += [(int(s), int(e), u) for s, e in zip(edges[::2], edges[1::2]) if e - s >= 2 and clear_run(u, s, e)]
    start, end = next((s, e) for s, e, _ in sorted(runs, key=lambda r: r[0] - r[1])
                      if (s, e) in [m[:2] for m in span_matches(acts, span_units(acts, s, e, threshold), threshold)])
    expected = span_units(acts, start, end, threshold)
    assert expected.size >= 1
    page.selectbox(key="unit_signal").set_value(signal).run()
    page.slider(key="span_threshold").set_value(level).run()
    page.slider(key="span").set_value((start, end)).run()
    assert not page.exception and not any("No unit" in i.value for i in page.info)
    assert f"Span: {''.join(show_char(c) for c in text[start:end])[:120]}" in [t.value for t in page.text]
    found = [m.value for m in page.markdown if "switch on for the span" in m.value]
    units = ", ".join(map(str, expected[:40].tolist()))
    assert found == [f"**{expected.size} unit(s)** switch on for the span: {units}"]
    # (a dataframe without selection gets no element id, so AppTest cannot find it by its key: found by its columns)
    table = next(d.value for d in page.dataframe if "units on" in d.value.columns)
    matches = span_matches(acts, expected, threshold, min_length=2)
    assert [tuple(r) for r in table[["from", "to"]].itertuples(index=False)] == [m[:2] for m in matches]
    assert list(table["units on"]) == [f"{share:.0%}" for _, _, share in matches]
    assert table.loc[table["the span you marked"], ["from", "to"]].values.tolist() == [[start, end]]
    assert list(table["text"]) == ["".join(show_char(c) for c in text[s:e])[:80] for s, e, _ in matches]

    # A span no unit stays on through: the whole text (every unit is off somewhere in it).
    assert span_units(acts, 0, len(text), threshold).size == 0
    page.slider(key="span").set_value((0, len(text))).run()
    assert any(i.value.startswith(f"No unit of {signal} stays above {threshold:+.2f}") for i in page.info)
    assert not [m for m in page.markdown if "switch on for the span" in m.value]
    page.slider(key="span").set_value((start, start)).run()
    assert any("The span is empty" in i.value for i in page.info)


def test_empty_text_gets_a_message():
    at = paste(open_page(PAGE, timeout=120), "")
    assert any("empty" in w.value for w in at.warning)


def test_a_text_with_nothing_to_follow_says_so():
    at = paste(open_page(PAGE, timeout=120), "\n" * 30)  # every feature is constant
    assert any("None of the finder's features changes" in i.value for i in at.info)


def test_a_single_character_is_analysed_without_the_finder():
    at = paste(open_page(PAGE, timeout=120), "a")
    assert any("at least 20 characters" in i.value for i in at.info)
    assert coloured_text(at)["text"] == "a"


def test_unknown_characters_are_shown_and_reported():
    at = paste(open_page(PAGE, timeout=120), "To be, or not — to be: “that” is the question.\n" * 3)
    warning = next(w.value for w in at.warning if "vocabulary" in w.value)
    assert "'—'" in warning and "'“'" in warning
    shown = coloured_text(at)
    assert ("—" in shown["text"]
            and shown["notes"][str(shown["text"].index("—"))].startswith("not in the model's vocabulary"))


def test_a_huge_paste_is_truncated_with_a_message():
    at = paste(open_page(PAGE, timeout=120), "All the world's a stage.\n" * 4000)  # 100,000 characters
    assert any("100,000 characters; only the first 3,000" in w.value for w in at.warning)
    assert at.dataframe(key="finder_table").value.shape[0] > 0


def test_a_second_session_and_the_length_slider_reuse_the_analysis_and_new_text_does_not(monkeypatch):
    import core.charlm.analysis as analysis_module

    calls = []
    original = analysis_module.analyse
    monkeypatch.setattr(analysis_module, "analyse",
                        lambda *a, **k: calls.append(k.get("after") is not None) or original(*a, **k))
    first = open_page(PAGE, timeout=120)
    calls.clear()
    second = open_page(PAGE, timeout=120)  # the same model and text: nothing is run again
    assert calls == [] and coloured_text(second) == coloured_text(first)
    second.slider(key="hidden_length").set_value(1000).run()  # a prefix: cut from the analysis of 2,000
    assert calls == [] and coloured_text(second)["text"] == coloured_text(first)["text"][:1000]
    second.slider(key="hidden_length").set_value(2500).run()  # longer: only the last 500 characters are read
    assert calls == [True] and coloured_text(second)["text"][:2000] == coloured_text(first)["text"]
    second.number_input(key="hidden_start_prose").set_value(500).run()  # another text: a new analysis
    assert calls == [True, False] and coloured_text(second)["text"] != coloured_text(first)["text"]


def test_the_unit_shown_follows_the_finder_until_the_student_picks_one():
    at = open_page(PAGE, timeout=120)

    def shown() -> str:
        return f"{at.selectbox(key='unit_signal').value} #{at.number_input(key='unit_index').value}"

    def best() -> str:
        return at.dataframe(key="finder_table").value.iloc[0]["unit"]

    assert shown() == best()
    paste(at, "def greet(name):\n    # say hello\n    print('hello, ' + name)\n\n"
              "for n in ['ada', 'alan']:\n    greet(n)\n")
    assert shown() == best()  # a new text: its own best unit, not the last text's
    at.number_input(key="unit_index").set_value(7).run()
    paste(at, "if x:\n    y = [1, 2, (3, 4)]\n    print(y)  # done\n" * 3)
    assert at.number_input(key="unit_index").value == 7  # picked by hand: kept for the next text
