"""Every upload path and every free-text parser, fed the bad-input corpus: each input is refused with the path's own
error and a short, plain message, or accepted as what it is; nothing else ever escapes, and no payload runs."""
from __future__ import annotations

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


@pytest.mark.parametrize("name", list(BAD_TEXTS))
def test_pasted_texts_are_analysed_or_refused_with_a_message(name):
    vocab = Vocab(tuple("abcdefghijklmnopqrstuvwxyz \n.,"))
    text = BAD_TEXTS[name]
    try:
        prepared = prepare_text(text, vocab)
    except AnalysisError as e:
        clear(str(e))
        return
    assert prepared.text and len(prepared.text) <= 20_000  # cut to the analysis limit, never the whole megabyte
    assert len(prepared.ids) == len(prepared.text) and int(prepared.ids.max()) < len(vocab)  # every id is one it knows
    assert all(prepared.text[i] not in vocab.chars for i in prepared.unknown)


@pytest.mark.parametrize("name", list(BAD_TEXTS))
def test_text_shown_as_html_is_escaped(name):
    text = BAD_TEXTS[name][:2_000]
    html = coloured_text_html(text, [0.5] * len(text), "probability")
    assert "<script" not in html and "<img" not in html and "onerror=" not in html.replace("onerror=alert", "")


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
