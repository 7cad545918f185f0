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

import torch
from torch import Tensor

from core.runtime import compiled


@compiled
def filter_logits(logits: Tensor, top_k: int | None = None, top_p: float | None = None) -> Tensor:
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
def _lstm(gates: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
    """Pointwise LSTM update from (B, 4H) gate pre-activations in (i, f, o, g) order: (h, c)."""
    H = c.shape[1]
    ifo = torch.sigmoid(gates[:, : 3 * H])  # (B, 3H)
    c = torch.addcmul(ifo[:, H: 2 * H] * c, ifo[:, :H], torch.tanh(gates[:, 3 * H:]))  # f*c + i*g
    return ifo[:, 2 * H:] * torch.tanh(c), c  # h = o * tanh(c)


@compiled
def step(cell: str, tokens: Tensor, hs: list[Tensor], cs: list[Tensor], weights: list[Tensor],
         head_w: Tensor, head_b: Tensor) -> tuple[Tensor, list[Tensor], list[Tensor]]:
    """Feed (B,) tokens: ((B, V) next-character scores, the new per-layer h, the new per-layer c).

    weights, as core.charlm.sample.Stepper prepares them: for the LSTM, the first layer's token -> gate table (V, 4H)
    and its W_hh (4H, H), then per upper layer [W_ih | W_hh] (4H, 2H) and the summed biases (4H,), gate rows in
    (i, f, o, g) order; for the RNN and GRU, the embedding (V, E), then per layer W_ih, W_hh, b_ih, b_hh. `cs` is
    empty but for the LSTM.
    """
    new_h: list[Tensor] = []
    new_c: list[Tensor] = []
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
def generate(cell: str, last: Tensor, hs: list[Tensor], cs: list[Tensor], weights: list[Tensor], head_w: Tensor,
             head_b: Tensor, noise: Tensor, temperatures: Tensor, top_k: int | None,
             top_p: float | None) -> tuple[Tensor, Tensor]:
    """`len(noise)` steps from the scores `last` (B, V) and state (hs, cs): ((B, L) chosen indices, (B, L, V) the raw
    scores each was chosen from). Each step draws argmax(y + T g) with the step's Gumbel noise g (1, V), the same in
    every row (core.sampling.pick_next); with top-k / top-p, the mask is decided on softmax(y / T) and applied to y."""
    chosen: list[Tensor] = []
    raw: list[Tensor] = []
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
def cell_states(forget: Tensor, written: Tensor, c0: Tensor, block: int = 64) -> Tensor:
    """c_t = f_t c_{t-1} + w_t from c0 (B, H), for (B, T, H) forget gates and writes (i_t g_t): the LSTM's only
    sequential part once its gates are known, elementwise. (B, T, H).

    A step-by-step loop would pay a few microseconds of interpreter for each of T steps. Cut into blocks of `block`
    steps, the scan runs all blocks side by side from zero (block steps), then carries each block's entering value
    across the blocks (T / block steps): c inside a block is its local scan plus the product of the block's forget
    gates so far times the carried value. The same sums, grouped differently (equal to float32 rounding)."""
    B, T, H = forget.shape
    n = (T + block - 1) // block
    f, w = forget, written
    if n * block > T:  # pad the last block with steps that keep c as it is (f = 1, w = 0)
        f = torch.cat([f, f.new_ones(B, n * block - T, H)], dim=1)
        w = torch.cat([w, w.new_zeros(B, n * block - T, H)], dim=1)
    f, w = f.reshape(B, n, block, H), w.reshape(B, n, block, H)
    local: list[Tensor] = []
    c = w.new_zeros(B, n, H)
    for k in range(block):  # every block at once, each from zero
        c = torch.addcmul(w[:, :, k], f[:, :, k], c)
        local.append(c)
    scanned = torch.stack(local, 2)  # (B, n, block, H)
    kept = torch.cumprod(f, dim=2)  # (B, n, block, H): how much of the block's entering c is left at each step
    entering: list[Tensor] = []
    c = c0
    for j in range(n):  # the c entering each block
        entering.append(c)
        c = torch.addcmul(scanned[:, j, -1], kept[:, j, -1], c)
    out = torch.addcmul(scanned, kept, torch.stack(entering, 1)[:, :, None])
    return out.reshape(B, n * block, H)[:, :T]


@compiled
def gate_halves(x: Tensor, h: Tensor, h0: Tensor, weights: list[Tensor], embed: Tensor | None, idx: Tensor,
                start: int, stop: int) -> tuple[Tensor, Tensor]:
    """Gate rows start:stop of one layer at every step, all at once, as their input half W_ih x_t + b_ih and their
    recurrent half W_hh h_{t-1} + b_hh, from the layer's input x (B, T, in), its outputs h (B, T, H) and the state
    before the text h0 (B, H): each gate is a function of x_t and h_{t-1}, so no sequential work is left. weights:
    W_ih, W_hh, b_ih, b_hh (rows in PyTorch's order: LSTM i, f, g, o; GRU r, z, n). With `embed` (the first layer)
    the input half is a row of the table embed W_ihᵀ + b_ih, picked by the token ids `idx` (B, T). Each (B, T, rows)."""
    B, T, H = x.shape[0], x.shape[1], h0.shape[1]
    W_ih, W_hh, b_ih, b_hh = (weights[0][start:stop], weights[1][start:stop], weights[2][start:stop],
                              weights[3][start:stop])
    h_prev = torch.cat([h0[:, None], h[:, :-1]], dim=1).reshape(B * T, H)  # h_{t-1}
    if embed is not None:
        xs = (embed @ W_ih.t() + b_ih)[idx].reshape(B, T, -1)
    else:
        xs = torch.addmm(b_ih, x.reshape(B * T, -1), W_ih.t()).reshape(B, T, -1)
    return xs, torch.addmm(b_hh, h_prev, W_hh.t()).reshape(B, T, -1)


@compiled
def activated_gates(cell: str, x: Tensor, h: Tensor, h0: Tensor, weights: list[Tensor], embed: Tensor | None,
                    idx: Tensor, write_only: bool) -> dict[str, Tensor]:
    """The gates of one layer at every step, activated (gate_halves): LSTM input, forget, candidate and (unless
    `write_only`: what c needs and no more) output; GRU reset, update and candidate; none for a vanilla RNN. Each
    (B, T, H)."""
    gates: dict[str, Tensor] = {}
    H = h0.shape[1]
    if cell == "lstm":
        xs, hs = gate_halves(x, h, h0, weights, embed, idx, 0, (3 if write_only else 4) * H)
        pre = (xs + hs).chunk(3 if write_only else 4, dim=-1)
        gates["input"], gates["forget"], gates["candidate"] = (torch.sigmoid(pre[0]), torch.sigmoid(pre[1]),
                                                               torch.tanh(pre[2]))
        if not write_only:
            gates["output"] = torch.sigmoid(pre[3])
    elif cell == "gru":
        xs, hs = gate_halves(x, h, h0, weights, embed, idx, 0, 3 * H)
        xr, xz, xn = xs.chunk(3, dim=-1)
        hr, hz, hn = hs.chunk(3, dim=-1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        # n's recurrent half is gated by r
        gates["reset"], gates["update"], gates["candidate"] = r, z, torch.tanh(xn + r * hn)
    return gates


@compiled
def record_layer(cell: str, x: Tensor, h0: Tensor, c0: Tensor, weights: list[Tensor], embed: Tensor | None,
                 idx: Tensor, with_gates: bool) -> tuple[Tensor, Tensor | None, dict[str, Tensor]]:
    """One layer of CharRNN.record_layers: read x (B, T, in) from (h0, c0) (B, H) with the fused layer, then (LSTM)
    c from the write and forget gates of every step in one matrix product, and, `with_gates`, every gate
    (activated_gates): (h, c or None, gates), each (B, T, H). Without them the LSTM computes only the three gate rows
    that c needs, and the GRU nothing more than the fused pass. weights: W_ih, W_hh, b_ih, b_hh. With `embed` (the
    first layer) the input half of the gates is a row of the table embed W_ihᵀ + b_ih, picked by the token ids `idx`."""
    if cell == "lstm":
        h = torch.lstm(x, [h0[None], c0[None]], weights, True, 1, 0.0, False, False, True)[0]
    elif cell == "gru":
        h = torch.gru(x, h0[None], weights, True, 1, 0.0, False, False, True)[0]
    else:
        h = torch.rnn_tanh(x, h0[None], weights, True, 1, 0.0, False, False, True)[0]
    if cell == "rnn" or (cell == "gru" and not with_gates):
        return h, None, {}
    gates = activated_gates(cell, x, h, h0, weights, embed, idx, not with_gates)
    if cell == "gru":
        return h, None, gates
    c = cell_states(gates["forget"], gates["input"] * gates["candidate"], c0)
    return h, c, gates if with_gates else {}
