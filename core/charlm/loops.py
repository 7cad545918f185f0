"""The character model's loops, compiled with TorchScript so that they run outside Python: sampling, and the
analysis's per-layer recording (the fused reading, the gates again, the LSTM's cell-state recurrence).

A sample is a loop of a few hundred steps, each a dozen small tensor operations. Run from Python, every operation
hands Python's global interpreter lock (GIL) back and asks for it again; on a server where other sessions' threads
run Python (building pages, figures), each of those asks waits for its turn, and a sample that takes 1 s alone took
30 s under a class's load (benchmarks/load.py). Compiled, the whole loop is one call that holds no GIL, so it costs
the same beside a busy server as alone. The operations and their order are those of the Python loop they replace.

The same holds for any Python loop over small tensor (or NumPy) operations: the analysis's cell-state recurrence, a
NumPy loop of 2,000 steps, took 7 ms alone and 1.2 s beside a thread running Python; compiled, 11 and 29 ms. The
sampling loop's numbers are the same as the Python loop's (tests/core/charlm/test_sample.py); the analysis's gates
and cell states agree with the eager path to about 1e-5, since TorchScript's matrix product rounds differently.

This module has no `from __future__ import annotations`: TorchScript reads the annotations as types.
"""
from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor

from core.runtime import compiled


@compiled
def filter_logits(logits: Tensor, top_k: Optional[int] = None, top_p: Optional[float] = None) -> Tensor:
    """Set to -inf every score outside the top k, and outside the smallest set whose softmax mass reaches p.

    logits (..., V) -> (..., V). top_p is applied to softmax(logits): pass logits already divided by
    the temperature. The most probable character always survives.
    """
    out = logits.clone()
    if top_k is not None:
        if 0 < top_k < logits.shape[-1]:
            kth = torch.topk(out, top_k, dim=-1).values[..., -1:]  # (..., 1)
            out = out.masked_fill(out < kth, float("-inf"))
    if top_p is not None:
        if 0.0 < top_p < 1.0:
            sorted_logits, order = torch.sort(out, dim=-1, descending=True)
            mass_before = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1) - torch.softmax(sorted_logits, dim=-1)
            drop_sorted = mass_before >= top_p  # keep a character while the mass before it is < p
            drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
            out = out.masked_fill(drop, float("-inf"))
    return out


@compiled
def _lstm(gates: Tensor, c: Tensor) -> Tuple[Tensor, Tensor]:
    """Pointwise LSTM update from (B, 4H) gate pre-activations in (i, f, o, g) order: (h, c)."""
    H = c.shape[1]
    ifo = torch.sigmoid(gates[:, : 3 * H])  # (B, 3H)
    c = torch.addcmul(ifo[:, H: 2 * H] * c, ifo[:, :H], torch.tanh(gates[:, 3 * H:]))  # f*c + i*g
    return ifo[:, 2 * H:] * torch.tanh(c), c  # h = o * tanh(c)


@compiled
def step(cell: str, tokens: Tensor, hs: List[Tensor], cs: List[Tensor], weights: List[Tensor],
         head_w: Tensor, head_b: Tensor) -> Tuple[Tensor, List[Tensor], List[Tensor]]:
    """Feed (B,) tokens: ((B, V) next-character scores, the new per-layer h, the new per-layer c).

    weights, as core.charlm.sample.Stepper prepares them: for the LSTM, the first layer's token -> gate table (V, 4H)
    and its W_hh (4H, H), then per upper layer [W_ih | W_hh] (4H, 2H) and the summed biases (4H,), gate rows in
    (i, f, o, g) order; for the RNN and GRU, the embedding (V, E), then per layer W_ih, W_hh, b_ih, b_hh. `cs` is
    empty but for the LSTM.
    """
    new_h: List[Tensor] = []
    new_c: List[Tensor] = []
    if cell == "lstm":
        h, c = _lstm(torch.addmm(weights[0][tokens], hs[0], weights[1].t()), cs[0])
        new_h.append(h)
        new_c.append(c)
        for k in range(1, len(hs)):
            w, b = weights[2 * k], weights[2 * k + 1]
            h, c = _lstm(torch.addmm(b, torch.cat([h, hs[k]], dim=1), w.t()), cs[k])
            new_h.append(h)
            new_c.append(c)
    else:
        x = weights[0][tokens]  # (B, E)
        for k in range(len(hs)):
            w_ih, w_hh, b_ih, b_hh = weights[1 + 4 * k], weights[2 + 4 * k], weights[3 + 4 * k], weights[4 + 4 * k]
            if cell == "gru":
                x = torch.gru_cell(x, hs[k], w_ih, w_hh, b_ih, b_hh)
            else:
                x = torch.rnn_tanh_cell(x, hs[k], w_ih, w_hh, b_ih, b_hh)
            new_h.append(x)
    return torch.addmm(head_b, new_h[-1], head_w.t()), new_h, new_c


@compiled
def generate(cell: str, last: Tensor, hs: List[Tensor], cs: List[Tensor], weights: List[Tensor], head_w: Tensor,
             head_b: Tensor, noise: Tensor, temperatures: Tensor, top_k: Optional[int],
             top_p: Optional[float]) -> Tuple[Tensor, Tensor]:
    """`len(noise)` steps from the scores `last` (B, V) and state (hs, cs): ((B, L) chosen indices, (B, L, V) the raw
    scores each was chosen from). Each step draws argmax(y + T g) with the step's Gumbel noise g (1, V), the same in
    every row (core.sampling.pick_next); with top-k / top-p, the mask is decided on softmax(y / T) and applied to y."""
    chosen: List[Tensor] = []
    raw: List[Tensor] = []
    filtering = top_k is not None or top_p is not None
    for t in range(noise.shape[0]):
        raw.append(last)
        if filtering:
            mask = torch.isinf(filter_logits(last / temperatures.clamp(min=1e-6), top_k, top_p))
            last = last.masked_fill(mask, float("-inf"))
        nxt = torch.addcmul(last, temperatures, noise[t]).argmax(dim=-1)  # (B,)
        chosen.append(nxt)
        last, hs, cs = step(cell, nxt, hs, cs, weights, head_w, head_b)
    return torch.stack(chosen, 1), torch.stack(raw, 1)


@compiled
def cell_states(forget: Tensor, written: Tensor, c0: Tensor) -> Tensor:
    """c_t = f_t c_{t-1} + w_t from c0 (B, H), for (B, T, H) forget gates and writes (i_t g_t): the LSTM's only
    sequential part once its gates are known, elementwise. (B, T, H)."""
    f, w = forget.unbind(1), written.unbind(1)
    out: List[Tensor] = []
    c = c0
    for t in range(len(w)):
        c = w[t] + f[t] * c
        out.append(c)
    return torch.stack(out, 1)


@compiled
def record_layer(cell: str, x: Tensor, h0: Tensor, c0: Tensor, weights: List[Tensor], embed: Optional[Tensor],
                 idx: Tensor) -> Tuple[Tensor, Optional[Tensor], Dict[str, Tensor]]:
    """One layer of CharRNN.record_layers: read x (B, T, in) from (h0, c0) (B, H) with the fused layer, then every
    step's gates again from h_{t-1} in one matrix product, and (LSTM) c: (h, c or None, gates), each (B, T, H).
    weights: W_ih, W_hh, b_ih, b_hh. With `embed` (the first layer) the input half of the gates is a row of the table
    embed W_ihᵀ + b_ih, picked by the token ids `idx` (B, T)."""
    B, T, H = x.shape[0], x.shape[1], h0.shape[1]
    W_ih, W_hh, b_ih, b_hh = weights[0], weights[1], weights[2], weights[3]
    if cell == "lstm":
        h = torch.lstm(x, [h0[None], c0[None]], weights, True, 1, 0.0, False, False, True)[0]
    elif cell == "gru":
        h = torch.gru(x, h0[None], weights, True, 1, 0.0, False, False, True)[0]
    else:
        h = torch.rnn_tanh(x, h0[None], weights, True, 1, 0.0, False, False, True)[0]
    gates: Dict[str, Tensor] = {}
    if cell == "rnn":  # no gates to record
        return h, None, gates
    h_prev = torch.cat([h0[:, None], h[:, :-1]], dim=1).reshape(B * T, H)  # h_{t-1}
    if embed is not None:
        xs = (embed @ W_ih.t() + b_ih)[idx].reshape(B * T, -1)  # (B*T, G*H)
    else:
        xs = torch.addmm(b_ih, x.reshape(B * T, -1), W_ih.t())  # (B*T, G*H)
    if cell == "gru":  # the candidate's recurrent half is gated by r, so it stays apart
        xr, xz, xn = xs.reshape(B, T, -1).chunk(3, dim=-1)
        hr, hz, hn = torch.addmm(b_hh, h_prev, W_hh.t()).reshape(B, T, -1).chunk(3, dim=-1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        gates["reset"], gates["update"], gates["candidate"] = r, z, torch.tanh(xn + r * hn)
        return h, None, gates
    i, f, g, o = torch.addmm(xs + b_hh, h_prev, W_hh.t()).reshape(B, T, -1).chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    gates["input"], gates["forget"], gates["output"], gates["candidate"] = i, f, o, g
    return h, cell_states(f, i * g, c0), gates
