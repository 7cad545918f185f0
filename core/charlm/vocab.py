"""The character vocabulary: sorted distinct characters of a corpus, and index <-> text."""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Vocab:
    """A fixed ordered set of characters."""

    chars: tuple[str, ...]

    @classmethod
    def from_text(cls, text: str) -> Vocab:
        """Every distinct character of `text`, sorted."""
        return cls(tuple(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def unknown(self, text: str) -> list[str]:
        """Characters of `text` the vocabulary lacks, sorted."""
        return sorted(set(text) - set(self.chars))

    def encode(self, text: str) -> torch.Tensor:
        """text -> (T,) int64 indices; a ValueError naming any characters the model does not know."""
        unknown = self.unknown(text)
        if unknown:
            shown = ", ".join(repr(c) for c in unknown[:10])
            raise ValueError(f"the model does not know the characters {shown}; use only characters from its "
                             f"training text")
        index = {c: i for i, c in enumerate(self.chars)}
        return torch.tensor([index[c] for c in text], dtype=torch.int64)

    def decode(self, indices: torch.Tensor | list[int]) -> str:
        """(T,) indices -> text."""
        return "".join(self.chars[int(i)] for i in indices)
