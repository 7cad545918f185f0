"""Corpora: the Shakespeare split holds out whole plays; uploads get clear messages."""
import pytest

from core.charlm.corpus import (
    HELD_OUT_PLAYS,
    MAX_UPLOAD_BYTES,
    CorpusError,
    held_out_slice,
    load_corpus,
    play_to_text,
    text_from_upload,
)

PLAY = """# A Play

## ACT I

### SCENE I. A room.

_Enter ALICE and BOB_

**ALICE**  
Good morrow, _sir_\\[s]!  
How now?

**BOB**  
Well \u2014 well.

_Exeunt_
"""  # noqa: W291 (the trailing spaces are Markdown hard line breaks in the fixture)


def test_play_markdown_becomes_speaker_colon_speech_blocks():
    assert play_to_text(PLAY) == "ALICE:\nGood morrow, sir[s]!\nHow now?\n\nBOB:\nWell -- well.\n"


def test_shakespeare_split_holds_out_four_whole_plays():
    c = load_corpus("shakespeare")
    assert len(c.train) > 3_000_000 and 300_000 < len(c.val) < 1_000_000
    assert c.val.startswith("DUKE ORSINO:\nIf music be the food of love")  # Twelfth Night, alphabetically first
    for line in ("To be, or not to be: that is the question:", "We are such stuff", "Friends, Romans, countrymen"):
        assert line in c.val and line not in c.train
    assert "Now is the winter of our discontent" in c.train  # Richard III is trained on
    assert len(HELD_OUT_PLAYS) == 4 and set(c.val) <= set(c.train)


def test_python_corpus_comes_from_the_standard_library():
    c = load_corpus("python")
    assert "def " in c.train and "import " in c.val and len(c.train) > 10 * len(c.val) / 2


def test_unknown_corpus_is_named():
    with pytest.raises(CorpusError, match="unknown corpus 'klingon'"):
        load_corpus("klingon")


@pytest.mark.parametrize("data,message", [
    (b"", "empty"),
    (b"   \n ", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
    ("caf\u00e9 ".encode("latin-1") * 1000, "not UTF-8"),
    (b"short text", "only 10 characters"),
    (b"\x01\x02\x03" * 2000, "control characters"),
    (b"a" * (MAX_UPLOAD_BYTES + 1), "limit is 5 MB"),
])
def test_bad_uploads_get_clear_messages(data, message):
    with pytest.raises(CorpusError, match=message):
        text_from_upload(data, "mine.txt")


def test_a_good_upload_is_split_ninety_ten():
    text = ("It was the best of times, it was the worst of times.\r\n" * 200).encode("utf-8-sig")
    c = text_from_upload(text, "dickens.txt")
    assert c.name == "dickens" and "\r" not in c.train
    assert abs(len(c.train) - 9 * len(c.val)) < 20


def test_the_quick_held_out_slice_samples_every_held_out_play():
    """Four pieces of 1,000 characters joined by newlines: the middle of each held-out play, one piece per play."""
    from core.charlm.corpus import _plays_dir

    s = held_out_slice(1000)
    c = load_corpus("shakespeare")
    assert len(s) == 4 * 1000 + 3 and [s[1000], s[2001], s[3002]] == ["\n"] * 3
    pieces = [s[k * 1001: k * 1001 + 1000] for k in range(4)]
    plays = {f.stem: play_to_text(f.read_text(encoding="utf-8")) for f in _plays_dir().glob("*/*.md")}
    for piece in pieces:
        assert piece in c.val and piece not in c.train
        (source,) = [name for name, text in plays.items() if piece in text]  # one play holds it
        middle = (len(plays[source]) - 1000) // 2
        assert source in HELD_OUT_PLAYS and plays[source][middle: middle + 1000] == piece
    assert {name for name, text in plays.items() for piece in pieces if piece in text} == set(HELD_OUT_PLAYS)
