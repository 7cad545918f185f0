"""What a reader knows at each character of a text: the features the hidden-state finder looks for.

Each feature is one number per character position, describing the text *up to and including* that
character (what a left-to-right model could know after reading it), except the two that look ahead
along the current line (the distance to the line's end, the line's indentation), which a model can
only estimate. Karpathy, Johnson & Fei-Fei (2015) found LSTM cells that track several of these.

Conventions, so the tests can pin them down:
- a newline belongs to the line it ends;
- an opening bracket or quote is already *inside*, its closing partner is still inside, the
  character after it is outside;
- brackets count (), [] and {} together; depth never goes below zero (a stray closer is ignored);
- strings are Python's: '...' or "..." or the triple-quoted forms, with backslash escapes; a # outside
  a string starts a comment that runs to the end of the line (its newline excluded);
- a speaker line is a line ending in ":" that follows a blank line or starts the text (the plays'
  format: "HAMLET:" on its own line, then the speech); its newline excluded.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

OPEN, CLOSE = "([{", ")]}"


def _line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, end exclusive and including the line's newline."""
    spans, start = [], 0
    for i, ch in enumerate(text):
        if ch == "\n":
            spans.append((start, i + 1))
            start = i + 1
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def line_position(text: str) -> np.ndarray:
    """How many characters precede this one on its line (0 for a line's first character)."""
    out = np.zeros(len(text))
    for start, end in _line_spans(text):
        out[start:end] = np.arange(end - start)
    return out


def to_line_end(text: str) -> np.ndarray:
    """How many characters lie between this one and the line's newline, counting the newline
    (0 at the newline itself; a last line without one is treated as if it had one)."""
    out = np.zeros(len(text))
    for start, end in _line_spans(text):
        newline = end - 1 if text[end - 1] == "\n" else end
        out[start:end] = newline - np.arange(start, end)
    return out


def bracket_depth(text: str) -> np.ndarray:
    """How many (), [] or {} are open at this character (an opener counts, its closer still counts)."""
    out, depth = np.zeros(len(text)), 0
    for i, ch in enumerate(text):
        if ch in OPEN:
            depth += 1
        out[i] = depth
        if ch in CLOSE:
            depth = max(0, depth - 1)
    return out


def indentation(text: str) -> np.ndarray:
    """Leading spaces of the line this character is on (a tab counts as 4); every character of the line."""
    out = np.zeros(len(text))
    for start, end in _line_spans(text):
        line = text[start:end]
        stripped = line.lstrip(" \t")
        lead = line[: len(line) - len(stripped)]
        out[start:end] = lead.count(" ") + 4 * lead.count("\t")
    return out


def _python_scan(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(inside a string literal, inside a comment) for every character, by a small Python-lexer state machine."""
    in_str, in_com = np.zeros(len(text)), np.zeros(len(text))
    quote, i = "", 0  # quote: the delimiter of the open string ('', ', ", ''' or """)
    while i < len(text):
        ch = text[i]
        if quote and ch == "\n" and len(quote) == 1:  # an unterminated one-line string ends before the newline
            quote = ""
        elif quote:
            in_str[i] = 1
            if ch == "\\" and i + 1 < len(text):  # an escape: the next character is part of the string too
                in_str[i + 1] = 1
                i += 2
                continue
            if text.startswith(quote, i):
                in_str[i: i + len(quote)] = 1
                i += len(quote)
                quote = ""
                continue
        elif ch == "#":
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            in_com[i:end] = 1
            i = end
            continue
        elif ch in "'\"":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            in_str[i: i + len(quote)] = 1
            i += len(quote)
            continue
        i += 1
    return in_str, in_com


def in_string(text: str) -> np.ndarray:
    """1 inside a Python string literal (its quotes included), else 0."""
    return _python_scan(text)[0]


def in_comment(text: str) -> np.ndarray:
    """1 inside a Python comment (from # to the end of the line, the newline excluded), else 0."""
    return _python_scan(text)[1]


def in_double_quotes(text: str) -> np.ndarray:
    """1 between an opening " and its closing " (both included), for prose; else 0."""
    out, inside = np.zeros(len(text)), False
    for i, ch in enumerate(text):
        if ch == '"':
            out[i] = 1
            inside = not inside
        elif inside:
            out[i] = 1
    return out


def speaker_line(text: str) -> np.ndarray:
    """1 on a play's speaker-name line ("HAMLET:" after a blank line), its newline excluded; else 0."""
    out = np.zeros(len(text))
    previous_blank = True
    for start, end in _line_spans(text):
        line = text[start:end].rstrip("\n")
        if previous_blank and line.endswith(":") and len(line) > 1:
            out[start: start + len(line)] = 1
        previous_blank = not line.strip()
    return out


@dataclass(frozen=True)
class Feature:
    """A named per-character feature; `binary` ones are 0/1 and also get a threshold classifier.
    `applies` says which texts it means something in: "all", "code" or "prose"."""

    key: str
    label: str
    binary: bool
    applies: str
    compute: Callable[[str], np.ndarray]


FEATURES: tuple[Feature, ...] = (
    Feature("line_position", "position within the line", False, "all", line_position),
    Feature("to_line_end", "characters left on the line", False, "all", to_line_end),
    Feature("bracket_depth", "bracket depth", False, "all", bracket_depth),
    Feature("indentation", "indentation", False, "code", indentation),
    Feature("in_string", "inside a string literal", True, "code", in_string),
    Feature("in_comment", "inside a comment", True, "code", in_comment),
    Feature("in_quotes", "inside \"double quotes\"", True, "prose", in_double_quotes),
    Feature("speaker_line", "on a speaker-name line", True, "prose", speaker_line),
)


def compute_features(text: str) -> dict[str, np.ndarray]:
    """Every feature of FEATURES for `text`: key -> (T,) float array."""
    return {f.key: f.compute(text) for f in FEATURES}
