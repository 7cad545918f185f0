"""Every upload path and every free-text parser, fed the bad-input corpus: each input is refused with the path's own
error and a short, plain message, or accepted as what it is; nothing else ever escapes, and no payload runs."""
from __future__ import annotations

import re
from html import unescape

import pytest

from core.charlm.analysis import AnalysisError, prepare_text
from core.charlm.corpus import CorpusError, text_from_upload
from core.charlm.vocab import Vocab
from core.checkpoints import CheckpointError, load_checkpoint
from core.plots.charlm import coloured_text_html
from core.vision.images import ImageError, load_image
from core.vision.questions import QuestionError
from core.vision.vqa import question_ids
from tests.fuzz.corpus import BAD_FILES, BAD_TEXTS, HUGE


def clear(message: str) -> None:
    """A message a student can act on: some words, not a traceback or a dump of the input."""
    assert 10 <= len(message) <= 600, message[:700]
    assert "Traceback" not in message and "\x00" not in message and "https://" not in message, message[:300]


@pytest.mark.parametrize("name", [*BAD_FILES, "6 MB of random bytes"])
def test_uploaded_images_are_refused_with_a_message(name):
    data = BAD_FILES.get(name, HUGE)
    with pytest.raises(ImageError) as e:
        load_image(data, "upload.png")
    clear(str(e.value))


@pytest.mark.parametrize("name", [*BAD_FILES, "6 MB of random bytes"])
def test_uploaded_checkpoints_are_refused_with_a_message(name, capsys):
    data = BAD_FILES.get(name, HUGE)
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(data)
    clear(str(e.value))
    assert "pwned" not in capsys.readouterr().out  # the pickle's payload never ran


@pytest.mark.parametrize("name", [*BAD_FILES, "6 MB of random bytes"])
def test_uploaded_training_texts_are_refused_with_a_message(name):
    data = BAD_FILES.get(name, HUGE)
    if name == "HTML":  # 11 kB of valid UTF-8: a text like any other (and never rendered as HTML)
        assert text_from_upload(data, "page.html").train
        return
    with pytest.raises(CorpusError) as e:
        text_from_upload(data, "upload.txt")
    clear(str(e.value))


@pytest.mark.parametrize("name", list(BAD_TEXTS))
def test_typed_questions_are_read_or_refused_with_a_message(name):
    text = BAD_TEXTS[name]
    with pytest.raises(QuestionError) as e:  # none of these is a question in the models' words
        question_ids(text)
    clear(str(e.value))


# What prepare_text makes of each bad text, for a model that knows only "abcdefghijklmnopqrstuvwxyz \n.,": None where it
# is refused, else (what the model is fed, how many characters it did not know, the length before the cut to
# MAX_CHARS). Unknown characters are fed as a space, "\r" becomes "\n", and only the first 3,000 characters are read.
PREPARED = {
    "empty": None,
    "spaces": ("      ", 1, 6),  # the tab
    "one newline": ("\n", 0, 1),
    "control characters": (" " * 10 + "\n" + " " * 2 + "\n" + " " * 23 + "mred" + " " * 3 + "m", 38, 45),
    "NUL": (" " * 100, 100, 100),
    "emoji": (" " * 150, 150, 150),
    "combining marks": ("e " * 100 + " " * 120, 220, 320),
    "right-to-left": (" olleh" + " " * 11, 10, 17),
    "a lone surrogate": ("abc def", 1, 7),
    "HTML": (" script alert  x    script  img src x onerror alert    ", 16, 55),
    "Markdown": ("  bold    link  javascript alert      red red   x     code    heading", 22, 69),
    "long": (("what shape is it  " * 200)[:3000], 166, 10_800),
    "huge": ("a" * 3000, 0, 1_000_000),
}


def test_every_bad_text_has_an_expected_outcome():
    assert set(PREPARED) == set(BAD_TEXTS)


@pytest.mark.parametrize("name", list(BAD_TEXTS))
def test_pasted_texts_are_analysed_or_refused_with_a_message(name):
    vocab = Vocab(tuple("abcdefghijklmnopqrstuvwxyz \n.,"))
    text, expected = BAD_TEXTS[name], PREPARED[name]
    if expected is None:
        with pytest.raises(AnalysisError, match="empty") as refused:
            prepare_text(text, vocab)
        clear(str(refused.value))
        return
    fed, n_unknown, original = expected
    prepared = prepare_text(text, vocab)
    assert vocab.decode(prepared.ids) == fed and len(prepared.unknown) == n_unknown
    assert prepared.original_length == original and prepared.truncated == (original > 3000)
    assert prepared.text == text.replace("\r", "\n")[:3000]  # shown as typed (newlines normalised), cut to the limit
    assert prepared.substitute == " " and all(prepared.text[i] not in vocab.chars for i in prepared.unknown)


def outside_own_markup(html: str) -> str:
    """`html` without the markup coloured_text_html writes itself: its div, one span per character (with a title and
    a style), and the <br> after a newline. What is left is the characters of the text, as escaped."""
    html = re.sub(r'^<div style="[^"<>]*">|</div>$', "", html)
    return re.sub(r'<span title="[^"<>]*" style="[^"<>]*">|</span>|(?<=⏎)<br>(?=</span>)', "", html)


@pytest.mark.parametrize("name", list(BAD_TEXTS))
def test_text_shown_as_html_is_escaped(name):
    text = BAD_TEXTS[name][:2_000]
    html = coloured_text_html(text, [0.5] * len(text), "probability")
    shown = outside_own_markup(html)
    assert "<" not in shown and ">" not in shown and '"' not in shown, shown[:300]
    assert html.count("&lt;") == text.count("<") and html.count("&gt;") == text.count(">")
    assert html.count("<span ") == len(text)  # one span per character: none was dropped, none made by the text
    assert unescape(shown.replace("&nbsp;", " ")).replace("⏎", "\n") == text  # and it reads as the text


@pytest.mark.parametrize("name", list(BAD_TEXTS))
def test_composed_scenes_with_hostile_cells_are_drawn_or_refused_with_a_message(name):
    """Whatever a client sends for a cell of the composer's table (the widget limits the choices, a crafted message
    does not), the composition is drawn or refused with a CompositionError whose message repeats no text it was sent."""
    from core.vision.compose import CompositionError, Placed, compose

    text = BAD_TEXTS[name]
    for placed in ([Placed(text, "red", "small", 50, 50)], [Placed("circle", text, "small", 50, 50)],
                   [Placed("circle", "red", text, 50, 50)], [Placed("circle", "red", "small", float("inf"), 50)],
                   [Placed("circle", "red", "small", 50, -1e308)]):
        with pytest.raises(CompositionError) as refused:
            compose(placed, "flat paint on white")
        assert not text.strip() or text.strip() not in str(refused.value)
    with pytest.raises(CompositionError):
        compose([Placed("circle", "red", "small", 50, 50)], text)
