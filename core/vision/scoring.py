"""Scoring captions against the scene they describe: which objects a caption names, and how many of them
are really there.

A caption "names" an object when it says a colour followed by a shape ("… red circle …"); sizes and
relations are scored separately. Each true object can be matched once, so saying the same object twice
counts the second as a wrong mention.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from core.vision.shapes import COLOURS, SHAPES, Thing


def mentions(words: Sequence[str]) -> list[tuple[str, str]]:
    """The (colour, shape) of every object the words name, in order."""
    return [(a, b) for a, b in zip(words, words[1:]) if a in COLOURS and b in SHAPES]


@dataclass(frozen=True)
class ObjectScore:
    """How a set of captions does on their scenes' objects."""

    precision: float  # share of named objects that are in the scene
    recall: float  # share of the scenes' objects that are named
    all_named: float  # share of scenes whose caption names every object and nothing else
    scenes: int

    def as_dict(self) -> dict[str, float]:
        """Plain numbers, for tables and checkpoints."""
        return {"precision": self.precision, "recall": self.recall, "all_named": self.all_named}


def score_objects(captions: Sequence[Sequence[str]], scenes: Sequence[Sequence[Thing]]) -> ObjectScore:
    """Object-level precision and recall of `captions` (word lists), each against its scene's objects."""
    said = right = true = perfect = 0
    for words, things in zip(captions, scenes, strict=True):
        named, real = Counter(mentions(words)), Counter((t.colour, t.shape) for t in things)
        matched = sum((named & real).values())
        said, right, true = said + sum(named.values()), right + matched, true + len(things)
        perfect += named == real
    return ObjectScore(right / said if said else 0.0, right / true if true else float("nan"),
                       perfect / len(captions) if captions else float("nan"), len(captions))
