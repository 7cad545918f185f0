"""Questions about shapes-world scenes, in the style of Sort-of-CLEVR (Santoro et al. 2017), and the parser
that turns a typed question into words a model knows.

Non-relational questions ask about one named object, or count a shape: its colour, its shape, whether it is on
the left or at the top, how many circles there are. Relational ones need the other objects too: the shape of
the object closest to / furthest from a named one (scenes of 3 or more objects), how many other objects share
its shape. An object is named by the shortest description that picks it out, never by the attribute asked
about, and in relational questions never by its shape (which would give the answer away): "what colour is the
large circle?", "what shape is the red object?", "what shape is the object closest to the small blue object?". Every
answer is one word of `ANSWERS`. A question whose answer would be a near tie (two objects almost equally close or far,
an object almost exactly in the middle) is not asked, so every answer can be read off the picture. The same scene seed
gives the same questions.
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from core.vision.shapes import COLOURS, SHAPES, SIZE, SIZES, Thing

KINDS = ("colour", "shape", "left", "top", "count", "closest", "furthest", "same shape")
RELATIONAL = frozenset({"closest", "furthest", "same shape"})
COUNTS = ("0", "1", "2", "3", "4")
ANSWERS = (*COLOURS, *SHAPES, "yes", "no", *COUNTS)
PLURAL = {shape: shape + "s" for shape in SHAPES}
QUESTION_WORDS = ("what", "colour", "shape", "is", "the", "object", "on", "left", "at", "top", "how", "many", "are",
                  "there", "closest", "to", "furthest", "from", "other", "objects", "have", "same", "as",
                  *SIZES, *COLOURS, *SHAPES, *PLURAL.values())
ALIASES = {"color": "colour", "big": "large", "little": "small"}  # read as the word the model knows
MAX_CHARS = 200
MARGIN = 8.0  # pixels: distances or positions closer than this to a tie are not asked about


@dataclass(frozen=True)
class Question:
    """One question about a scene, with its answer, the object it names and the object the answer is read off
    (both None for counting questions; `target` None for "how many other objects have the same shape")."""

    text: str
    answer: str
    kind: str
    subject: int | None  # index into the scene's things of the object the question names
    target: int | None = None  # the object whose colour / shape / place is the answer (closest: the closest one)

    @property
    def relational(self) -> bool:
        """Whether answering needs the other objects as well as the named one."""
        return self.kind in RELATIONAL

    @property
    def words(self) -> list[str]:
        """The question as the model reads it."""
        return parse_question(self.text)


def name(things: tuple[Thing, ...], k: int, avoid: str | None = None) -> str | None:
    """The shortest description that picks out object k among `things` ("large circle", "red object", "small red
    square"), without the attribute `avoid` ("colour", "shape" or "size"); None if none does."""
    attributes = [a for a in ("size", "colour", "shape") if a != avoid]
    candidates = [c for n in range(1, len(attributes) + 1) for c in combinations(attributes, n)]
    for chosen in sorted(candidates, key=lambda c: (len(c), "shape" not in c)):  # shortest; a shape noun first
        mine = [getattr(things[k], a) for a in chosen]
        if all([getattr(t, a) for a in chosen] != mine for j, t in enumerate(things) if j != k):
            return " ".join(mine if "shape" in chosen else [*mine, "object"])
    return None


def _answer_about(things: tuple[Thing, ...], k: int, kind: str) -> tuple[str, str, int | None] | None:
    """(question text, answer, the object the answer is read off) of `kind` about object k, or None when it cannot
    be asked without ambiguity."""
    t = things[k]
    if kind in ("colour", "shape"):
        ref = name(things, k, avoid=kind)
        return None if ref is None else (f"what {kind} is the {ref}?", getattr(t, kind), k)
    # relational questions never name the object by its shape: "the square" would say that no other square
    # exists (the same-shape count would be 0 from the words alone, and "square" could not be the closest)
    ref = name(things, k, avoid=None if kind in ("left", "top") else "shape")
    if ref is None:
        return None
    if kind in ("left", "top"):
        position = t.centre[0] if kind == "left" else t.centre[1]
        if abs(position - SIZE / 2) < MARGIN:
            return None
        text = f"is the {ref} on the left?" if kind == "left" else f"is the {ref} at the top?"
        return text, "yes" if position < SIZE / 2 else "no", k
    others = [j for j in range(len(things)) if j != k]
    if kind == "same shape":
        return (f"how many other objects have the same shape as the {ref}?",
                COUNTS[sum(things[j].shape == t.shape for j in others)], None)
    if len(others) < 2:  # with one other object, closest and furthest are the same one: not a relation
        return None
    by_distance = sorted(others, key=lambda j: math.dist(things[j].centre, t.centre))
    pick = by_distance[0] if kind == "closest" else by_distance[-1]
    runner = by_distance[1] if kind == "closest" else by_distance[-2]  # must be clearly further (closer)
    if abs(math.dist(things[runner].centre, t.centre) - math.dist(things[pick].centre, t.centre)) < MARGIN:
        return None
    word = "closest to" if kind == "closest" else "furthest from"
    return f"what shape is the object {word} the {ref}?", things[pick].shape, pick


def questions_about(things: tuple[Thing, ...], seed: int) -> list[Question]:
    """One question of every kind that can be asked about this scene (kinds about an object ask about a randomly
    chosen one), in the order of `KINDS`; the same seed gives the same questions."""
    rng = np.random.default_rng([seed, 7])
    out = []
    for kind in KINDS:
        if kind == "count":
            shape = SHAPES[int(rng.integers(len(SHAPES)))]
            out.append(Question(f"how many {PLURAL[shape]} are there?", COUNTS[sum(t.shape == shape for t in things)],
                                kind, None))
            continue
        for k in rng.permutation(len(things)).tolist():  # the first object it can be asked about
            asked = _answer_about(things, k, kind)
            if asked is not None:
                out.append(Question(*asked[:2], kind, k, asked[2]))
                break
    return out


def every_question(things: tuple[Thing, ...]) -> list[Question]:
    """Every question that can be asked about this scene: each kind about each object it can be asked about, and
    how many of each shape, in the order of `KINDS` (what `questions_about` draws one of per kind from)."""
    out = []
    for kind in KINDS:
        if kind == "count":
            out += [Question(f"how many {PLURAL[shape]} are there?", COUNTS[sum(t.shape == shape for t in things)],
                             kind, None) for shape in SHAPES]
            continue
        for k in range(len(things)):
            asked = _answer_about(things, k, kind)
            if asked is not None:
                out.append(Question(*asked[:2], kind, k, asked[2]))
    return out


class QuestionError(ValueError):
    """A typed question the model cannot read; the message says why and what to do."""


def parse_question(text: str, known: tuple[str, ...] = QUESTION_WORDS) -> list[str]:
    """Lower-case words of `text` (punctuation and other characters separate words), every one of them known;
    otherwise QuestionError with a message naming the problem, the nearest known word and the words known."""
    if not isinstance(text, str) or not text.strip():
        raise QuestionError("Type a question first, for example: what colour is the large circle?")
    if len(text) > MAX_CHARS:
        raise QuestionError(f"That question is {len(text):,} characters long; questions here are at most {MAX_CHARS}. "
                            "Ask about one thing, for example: what shape is the red object?")
    words = [ALIASES.get(w, w) for w in re.findall(r"[a-z]+", text.lower())]
    if not words:
        raise QuestionError("That question has no words in it. Try: how many circles are there?")
    unknown = list(dict.fromkeys(w for w in words if w not in known))
    if unknown:
        hints = []
        for w in unknown[:5]:
            near = difflib.get_close_matches(w, known, n=1, cutoff=0.6)
            hints.append(f"“{w}” (did you mean “{near[0]}”?)" if near else f"“{w}”")
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise QuestionError(f"The model does not know {', '.join(hints)}{more}. It understands only these words: "
                            f"{', '.join(sorted(set(known)))}.")
    return words
