"""The captioner's decoding step and its decoding loop, compiled with TorchScript (core.runtime.compiled).

Run from Python, one step is about twenty small tensor operations, and a caption of fifteen words by three models,
with the glimpses and scores the page shows, about two thousand; each hands Python's GIL back and waits to get it
again. Beside one busy Python thread (another session building its page) a scene's captions took 1.5-7.8 s instead
of 0.1 s (benchmarks/captioning.py). Compiled, a step is one call and a whole greedy or sampled caption is one call,
and neither holds the GIL while it runs. core.vision.captioner.Captioner keeps the weights and calls these; its
docstring says what each model computes.

No `from __future__ import annotations` here: TorchScript reads the annotations as types.
"""

import torch
from torch import Tensor
from torch.nn.functional import linear

from core.runtime import compiled


@compiled
def caption_step(attention: str, feed: str, word: Tensor, v: Tensor, pv: Tensor | None, h: Tensor, c: Tensor,
                 weights: list[Tensor], never: Tensor, sample_place: bool, generator: torch.Generator | None
                 ) -> tuple[Tensor, Tensor | None, Tensor | None, Tensor, Tensor]:
    """Read the previous word (B,), attend over the locations v (B, L, D) (pv: their projection for attention),
    update the LSTM state (h, c), score the next word: (logits (B, V), attention (B, L) or None, the location looked
    at (B,) or None (hard attention only), h, c).

    weights: the embedding, the cell's W_ih, W_hh, b_ih, b_hh, the output layer's weight and bias, then with
    attention att_h, att_e, and att_w's weight and bias. Hard attention samples its place from a_t (with `generator`)
    when `sample_place`, else takes the likeliest one."""
    x = torch.embedding(weights[0], word)  # (B, E)
    alpha: Tensor | None = None
    chosen: Tensor | None = None
    z = x  # replaced below wherever it is read (the model without attention has no context)
    if attention != "none":
        assert pv is not None
        query = linear(h, weights[7]) + linear(x, weights[8])  # (B, A): from h_{t-1} and the word just read
        a = torch.softmax(linear(torch.tanh(pv + query[:, None]), weights[9], weights[10]).squeeze(-1), dim=-1)
        if attention == "soft":
            z = torch.einsum("bl,bld->bd", a, v)  # (B, D): the expected location vector
        else:
            if sample_place:
                place = torch.multinomial(a.detach(), 1, generator=generator).squeeze(1)
            else:
                place = a.argmax(-1)
            z = v[torch.arange(v.shape[0], device=v.device), place]  # (B, D)
            chosen = place
        alpha = a
        x = torch.cat([x, z if feed == "context" else z[:, -2:]], dim=-1)  # (x, y) come last
    h, c = torch.lstm_cell(x, [h, c], weights[1], weights[2], weights[3], weights[4])
    out = h if attention == "none" else torch.cat([h, z], dim=-1)
    logits = linear(out, weights[5], weights[6]).masked_fill(never, float("-inf"))  # (B, V)
    return logits, alpha, chosen, h, c


@compiled
def caption_decode(attention: str, feed: str, v: Tensor, pv: Tensor | None, h: Tensor, c: Tensor,
                   weights: list[Tensor], never: Tensor, noise: Tensor, temperature: float, start_id: int,
                   end_id: int, generator: torch.Generator | None
                   ) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """Feed each chosen word back in from <start> until every row has said <end>, or for len(noise) steps. A word is
    argmax(y + T g) with the step's Gumbel noise g (noise (steps, B, V); the argmax at T = 0). Hard attention samples
    its places with `generator` when one is given. Returns the word ids (B, steps), the attention (B, steps, L) and
    the places looked at (B, steps), the last two None where they do not apply."""
    B = v.shape[0]
    word = torch.full([B], start_id, dtype=torch.long, device=v.device)
    done = torch.zeros([B], dtype=torch.bool, device=v.device)
    ids: list[Tensor] = []
    alphas: list[Tensor] = []
    places: list[Tensor] = []
    for t in range(noise.shape[0]):
        logits, alpha, place, h, c = caption_step(attention, feed, word, v, pv, h, c, weights, never,
                                                  generator is not None, generator)
        word = (logits.float() + temperature * noise[t]).argmax(dim=-1)
        ids.append(word)
        if alpha is not None:
            alphas.append(alpha)
        if place is not None:
            places.append(place)
        done = done | (word == end_id)
        if bool(done.all()):
            break
    return (torch.stack(ids, dim=1), torch.stack(alphas, dim=1) if len(alphas) > 0 else None,
            torch.stack(places, dim=1) if len(places) > 0 else None)


@compiled
def caption_forward(attention: str, feed: str, v: Tensor, pv: Tensor | None, h: Tensor, c: Tensor, tokens: Tensor,
                    weights: list[Tensor], never: Tensor, sample_place: bool, generator: torch.Generator | None
                    ) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """Teacher forcing over (B, T) tokens: the scores (B, T−1, V), the attention (B, T−1, L) and the places looked at
    (B, T−1), the last two None where they do not apply (the same steps as `caption_step`, gradients included)."""
    logits: list[Tensor] = []
    alphas: list[Tensor] = []
    places: list[Tensor] = []
    for t in range(tokens.shape[1] - 1):
        scores, alpha, place, h, c = caption_step(attention, feed, tokens[:, t], v, pv, h, c, weights, never,
                                                  sample_place, generator)
        logits.append(scores)
        if alpha is not None:
            alphas.append(alpha)
        if place is not None:
            places.append(place)
    return (torch.stack(logits, dim=1), torch.stack(alphas, dim=1) if len(alphas) > 0 else None,
            torch.stack(places, dim=1) if len(places) > 0 else None)


@compiled
def locations(mid: Tensor) -> Tensor:
    """(B, D, G, G) grid -> (B, G², D + 2) location vectors: the features and the cell's (x, y) in [−1, 1]."""
    B, G = mid.shape[0], mid.shape[2]
    v = mid.float().flatten(2).transpose(1, 2)  # (B, G², D)
    coords = torch.linspace(-1, 1, G, device=mid.device)
    grids = torch.meshgrid([coords, coords], indexing="ij")
    xy = torch.stack([grids[1].flatten(), grids[0].flatten()], dim=-1).expand(B, G * G, 2)  # (B, G², 2)
    return torch.cat([v, xy], dim=-1)
