"""The class gallery's numbers: every saved model scored on the same held-out text, and what it writes.

Models trained on the same corpus are compared on one fixed held-out text (for Shakespeare, the middle 5,000
characters of each of the four held-out plays; for Python, the first 20,000 characters of the held-out modules), so
a class can see which settings won. A model trained on an uploaded text has no common text: it keeps the validation
loss of its own run. Every model also writes one sample from the same start, temperature and seed.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from core.charlm.corpus import held_out_slice, python_corpus
from core.charlm.sample import sample
from core.charlm.train import evaluate
from core.charlm.vocab import Vocab
from core.checkpoints import Checkpoint

COMMON = ("shakespeare", "python")  # the corpora whose models share a held-out text
SAMPLE_CHARS, SAMPLE_T, SAMPLE_SEED = 160, 0.8, 0


@functools.cache
def common_text(corpus: str) -> str:
    """The held-out text every `corpus` model is scored on (module docstring)."""
    if corpus == "shakespeare":
        return held_out_slice(5_000)
    if corpus == "python":
        return python_corpus().val[:20_000]
    raise ValueError(f"no common held-out text for {corpus!r}; known: {', '.join(COMMON)}")


@dataclass(frozen=True)
class Score:
    """One model's line in the gallery."""

    loss: float | None  # nats per character on the common text (None: an uploaded corpus, or unknown characters)
    sample: str


def score(checkpoint: Checkpoint, corpus: str) -> Score:
    """`checkpoint` on its corpus's common held-out text (if it has one and the model knows every character of it),
    and a sample of SAMPLE_CHARS characters at temperature SAMPLE_T, seed SAMPLE_SEED, from a newline (or the
    vocabulary's first character)."""
    vocab = Vocab(checkpoint.vocab)
    loss = None
    if corpus in COMMON and not vocab.unknown(common_text(corpus)):
        loss = evaluate(checkpoint.model, vocab.encode(common_text(corpus)))
    prime = "\n" if "\n" in checkpoint.vocab else checkpoint.vocab[0]
    text = sample(checkpoint.model, vocab, prime, SAMPLE_CHARS, (SAMPLE_T,), SAMPLE_SEED).text()
    return Score(loss, text)
