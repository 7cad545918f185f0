"""Each text feature on hand-written strings, position by position."""
import numpy as np

from core.charlm.features import (
    FEATURES,
    bracket_depth,
    compute_features,
    in_comment,
    in_double_quotes,
    in_string,
    indentation,
    line_position,
    speaker_line,
    to_line_end,
)


def marks(text: str, values: np.ndarray) -> str:
    """The characters where a 0/1 feature is 1 (so expectations read as text)."""
    return "".join(c for c, v in zip(text, values) if v)


def test_line_position_and_distance_to_the_line_end():
    text = "ab\ncde\n\nf"
    assert line_position(text).tolist() == [0, 1, 2, 0, 1, 2, 3, 0, 0]
    assert to_line_end(text).tolist() == [2, 1, 0, 3, 2, 1, 0, 0, 1]  # "f": as if a newline followed
    assert to_line_end("ab").tolist() == to_line_end("ab\n")[:2].tolist()


def test_nested_brackets_of_all_three_kinds_and_a_stray_closer():
    text = "f(a[b]{c})x)y("
    #        f  (  a  [  b  ]  {  c  }  )  x  )  y  (
    expect = [0, 1, 1, 2, 2, 2, 2, 2, 2, 1, 0, 0, 0, 1]
    assert bracket_depth(text).tolist() == expect


def test_indentation_counts_leading_spaces_and_tabs_for_the_whole_line():
    text = "def f():\n    x = 1\n\tq\n"
    assert indentation(text).tolist() == [0] * 9 + [4] * 10 + [4] * 3


def test_python_strings_with_both_quotes_escapes_and_hashes_inside():
    text = "a = 'x#y' + \"q\\\"r\" # it's a 'comment'\nb"
    assert marks(text, in_string(text)) == "'x#y'\"q\\\"r\""
    assert marks(text, in_comment(text)) == "# it's a 'comment'"


def test_triple_quoted_strings_span_lines_and_one_line_strings_end_at_the_newline():
    text = 'd = """one\n"two"\n""" + \'open\nz = 1'
    assert marks(text, in_string(text)) == '"""one\n"two"\n"""\'open'
    assert in_string(text)[-1] == 0


def test_double_quotes_in_prose_ignore_apostrophes():
    text = "He said \"'tis so\" and left."
    assert marks(text, in_double_quotes(text)) == "\"'tis so\""


def test_speaker_lines_follow_a_blank_line_or_open_the_text():
    text = "HAMLET:\nTo be: or not.\nNote:\n\nSIR TOBY BELCH:\nAy.\n"
    assert marks(text, speaker_line(text)) == "HAMLET:SIR TOBY BELCH:"


def test_compute_features_gives_one_value_per_character_for_every_feature():
    text = "x = (1, 2)  # pair\n"
    values = compute_features(text)
    assert set(values) == {f.key for f in FEATURES}
    assert all(v.shape == (len(text),) for v in values.values())
    assert all(set(np.unique(values[f.key])) <= {0.0, 1.0} for f in FEATURES if f.binary)
